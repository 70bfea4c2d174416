"""`digits serve` against hostile clients, on 127.0.0.1 only: a real server process reading the
sample video with --loop, and clients that stall, dribble, stuff headers, exhaust descriptors,
name the wrong Host, bring no token, or use odd methods and long URLs.

Every case asserts what the client gets, that /healthz and /api/latest answer within 100 ms
while it runs, and that the server's threads and RSS come back down afterwards. Each prints a
`hostile:` line (status, seconds, peak RSS) for `pytest -s`. Bounded: tens of connections.
"""

from __future__ import annotations

import contextlib
import http.client
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.test_serve import wait_for

ROOT = Path(__file__).resolve().parent.parent
DIGITS = Path(sys.executable).parent / "digits"
VIDEO = ROOT / "edge" / "samples" / "numbers.mp4"
FAST_MS = 100  # /healthz and /api/latest answer within this while a case runs
RSS_BACK_MB = 10  # the server's RSS after a case, over its idle figure
pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")


class Server:
    """`digits serve` in a child process, measured through /proc."""

    def __init__(self, *args: str, nofile: int | None = None, auth: dict | None = None):
        self.auth = auth or {}
        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [str(DIGITS), "serve", "--source", str(VIDEO), "--loop", "--port", "0", "--threads", "1",
             "--max-viewers", "4", "--max-connections", "32", "--header-timeout", "2", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=limit)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()
        try:
            self._ready()
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise

    def _ready(self) -> None:
        line = wait_for(lambda: next((x for x in self.lines if "digits serve: http" in x), None)
                        or (self.proc.poll() is not None and "exited"), "the server's address", 60)
        assert line != "exited", "".join(self.lines)
        self.port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
        wait_for(lambda: self.get("/api/latest")[0] == 200 and self.frames() > 5, "frames", 60)
        time.sleep(1.0)  # let allocations settle before the idle figures
        self.idle_threads, self.idle_rss = self.threads(), self.rss_mb()

    def status(self) -> dict[str, str]:
        fields = Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        return dict(line.split(":", 1) for line in fields if ":" in line)

    def rss_mb(self) -> float:
        return int(self.status()["VmRSS"].split()[0]) / 1024

    def threads(self) -> int:
        return int(self.status()["Threads"])

    def fds(self) -> int:
        return len(list(Path(f"/proc/{self.proc.pid}/fd").iterdir()))

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, clock ticks of 1/100 s

    def get(self, path: str, method: str = "GET", headers: dict | None = None, host: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            for key, value in (self.auth if headers is None else headers).items():
                conn.putheader(key, value)
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def frames(self) -> int:
        import json

        return json.loads(self.get("/api/latest")[2])["camera"]["frames_read"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server():
    served = Server()
    yield served
    served.stop()
    assert not [x for x in served.lines if "Traceback" in x], "".join(served.lines[-50:])


class Peak:
    """The server's highest RSS while the block runs, and that the probes kept answering fast."""

    def __init__(self, server: Server):
        self.server, self.mb, self.slowest_ms, self._stop = server, server.rss_mb(), 0.0, threading.Event()

    def __enter__(self) -> Peak:
        self.start = time.monotonic()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, self.server.rss_mb())
            for path in ("/healthz", "/api/latest"):
                t = time.monotonic()
                assert self.server.get(path)[0] == 200
                self.slowest_ms = max(self.slowest_ms, (time.monotonic() - t) * 1e3)
            self._stop.wait(0.05)

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.start
        self._stop.set()
        self._thread.join(15)


def settle(server: Server, case: str, peak: Peak, outcome: str) -> None:
    """Threads back to idle, RSS back near it, and one line for the report."""
    wait_for(lambda: server.threads() <= server.idle_threads, f"threads back to {server.idle_threads}", 15)
    wait_for(lambda: server.rss_mb() <= server.idle_rss + RSS_BACK_MB, "RSS back down", 15)
    print(f"\nhostile: {case:<32} {outcome:<40} {peak.seconds:5.1f} s  peak RSS {peak.mb:6.1f} MB "
          f"(idle {server.idle_rss:.1f})  probes <= {peak.slowest_ms:.0f} ms  threads back to "
          f"{server.threads()}")
    assert peak.slowest_ms < FAST_MS, f"/healthz or /api/latest took {peak.slowest_ms:.0f} ms"


def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(256)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


# --- load ---------------------------------------------------------------------------------------

def test_stalled_viewers_over_the_cap(server):
    host = f"Host: 127.0.0.1:{server.port}\r\n".encode()
    with Peak(server) as peak:
        socks = [connect(server.port, rcvbuf=4096) for _ in range(40)]
        for sock in socks:
            sock.sendall(b"GET /stream.mjpg HTTP/1.0\r\n" + host + b"\r\n")
        answers = [status_line(sock) for sock in socks]
        refused = [a for a in answers if b" 503 " in a]
        assert sum(b" 200 " in a for a in answers) == 4 and len(refused) == 36, answers
        time.sleep(1.0)  # the four stall with frames queued in their buffers
        assert server.threads() <= server.idle_threads + 4
        for sock in socks:
            sock.close()
    settle(server, "40 stalled viewers (cap 4)", peak, "4 x 200, 36 x 503 Retry-After")


def test_slowloris_is_cut_off_at_the_header_deadline(server):
    with Peak(server) as peak:
        socks = [connect(server.port) for _ in range(30)]
        request = f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{server.port}\r\nX-Slow: ".encode()
        start = time.monotonic()
        closed: set[int] = set()
        i = 0
        while len(closed) < len(socks) and time.monotonic() - start < 8:
            for k, sock in enumerate(socks):
                if k in closed:
                    continue
                try:
                    sock.send(request[i : i + 1] if i < len(request) else b"a")
                except OSError:
                    closed.add(k)
            i += 1
            time.sleep(0.5)
        took = time.monotonic() - start
        answers = {status_line(s) for s in socks} - {b""}
        for sock in socks:
            sock.close()
    assert len(closed) == 30 and took < 4.5, (len(closed), took)  # --header-timeout 2
    assert answers <= {b"HTTP/1.0 408 Request Timeout"}, answers
    settle(server, "30 slowloris (a byte / 0.5 s)", peak, f"408 + closed, all within {took:.1f} s")


def test_header_stuffing_is_refused_at_8_kb(server):
    line = b"X-Stuff: " + b"a" * 65_000 + b"\r\n"
    with Peak(server) as peak:
        socks = [connect(server.port) for _ in range(20)]
        sent = [0] * 20
        for k, sock in enumerate(socks):
            sock.sendall(f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{server.port}\r\n".encode())
            with contextlib.suppress(OSError):
                for _ in range(99):
                    sock.sendall(line)
                    sent[k] += len(line)
        answers = {status_line(s) for s in socks}
        for sock in socks:
            sock.close()
    assert answers <= {b"HTTP/1.0 431 Request Header Fields Too Large", b""}, answers
    assert max(sent) < 99 * len(line)  # cut off long before 6.4 MB each
    settle(server, "20 x 99 headers of 65 KB", peak, "431, closed after 8 KB")


def test_many_idle_connections_evict_the_oldest(server):
    with Peak(server) as peak:
        socks = [connect(server.port) for _ in range(100)]  # connect and say nothing
        time.sleep(0.3)
        assert server.get("/healthz")[0] == 200  # the newest gets in: the oldest made room
        fds = server.fds()
        for sock in socks:
            sock.close()
    assert fds < 32 + 40
    settle(server, "100 idle connections (cap 32)", peak, "oldest 503 Retry-After, probes 200")


@pytest.mark.slow
def test_descriptor_exhaustion_neither_spins_nor_stops_healthz():
    served = Server(nofile=64)  # RLIMIT_NOFILE lowered in the child before it starts
    try:
        with Peak(served) as peak:
            socks = [connect(served.port) for _ in range(150)]
            time.sleep(0.5)
            cpu = served.cpu_s()
            time.sleep(2.0)
            busy = (served.cpu_s() - cpu) / 2.0
            assert served.get("/healthz")[0] == 200
            for sock in socks:
                sock.close()
        assert busy < 0.6, f"the server used {busy:.0%} of a core with its descriptors taken"
        settle(served, "150 connections, RLIMIT_NOFILE 64", peak, f"no spin ({busy:.0%} CPU incl. video)")
    finally:
        served.stop()


# --- access -------------------------------------------------------------------------------------

def test_host_must_name_the_server(server):
    with Peak(server) as peak:
        for host in ("evil.example", "evil.example:8000", "127.0.0.1.nip.io", "attacker.localhost.evil"):
            status, headers, body = server.get("/api/latest", host=host)
            assert status == 403, host
            assert b"camera" not in body
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        conn.sendall(b"GET /api/latest HTTP/1.0\r\n\r\n")  # no Host at all
        assert status_line(conn) == b"HTTP/1.0 403 Forbidden"
        conn.close()
        for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]", "LOCALHOST."):
            assert server.get("/healthz", host=host)[0] == 200, host
    settle(server, "wrong Host (DNS rebinding)", peak, "403; loopback names 200")


def test_methods_and_long_urls(server):
    with Peak(server) as peak:
        status, headers, body = server.get("/", "HEAD")
        assert status == 200 and body == b"" and int(headers["content-length"]) > 500
        status, headers, body = server.get("/stream.mjpg", "HEAD")
        assert status == 200 and headers["content-type"].startswith("multipart/x-mixed-replace")
        for method in ("POST", "PUT", "DELETE", "BREW"):
            status, headers, _ = server.get("/", method)
            assert status == 405 and headers["allow"] == "GET, HEAD, OPTIONS", method
        status, headers, _ = server.get("/", "OPTIONS")
        assert status == 204 and headers["allow"] == "GET, HEAD, OPTIONS"
        assert server.get("/" + "a" * 1500)[0] == 404
        assert server.get("/" + "a" * 3000)[0] == 414
        sock = connect(server.port)
        sock.sendall(b"GET /" + b"a" * 100_000)
        assert status_line(sock).startswith(b"HTTP/1.0 414 ")
        sock.close()
        sock = connect(server.port)
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")  # TLS to a plain port
        assert status_line(sock) == b"HTTP/1.0 400 Bad Request"
        sock.close()
        sock = connect(server.port)
        sock.sendall(b"G\x1b[31mET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")  # a terminal escape for the log
        assert status_line(sock) == b"HTTP/1.0 400 Bad Request"
        sock.close()
    settle(server, "HEAD/POST/OPTIONS/long URLs", peak, "HEAD 200, 405, 204, 414, 400")


def test_every_response_has_the_security_headers_and_no_leaks(server):
    for path, method in (("/", "GET"), ("/api/latest", "GET"), ("/healthz", "GET"), ("/nope", "GET"),
                         ("/", "POST"), ("/stream.mjpg", "HEAD")):
        status, headers, body = server.get(path, method)
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["server"] == "digits" and "python" not in str(headers).lower(), path
    _, _, body = server.get("/api/latest")
    assert str(VIDEO.parent).encode() not in body and b"numbers.mp4" in body
    log = "".join(server.lines)
    assert '"GET /api/latest" 200' in log and '"POST /" 405' in log  # one line per request


def test_the_token_is_asked_once_and_kept_in_a_cookie():
    served = Server("--token", "s3cret token", auth={"Authorization": "Bearer s3cret token"})
    try:
        status, headers, body = served.get("/", headers={})
        assert status == 401 and b'id="token"' in body and headers["content-type"].startswith("text/html")
        assert served.get("/api/latest", headers={})[0] == 401
        assert served.get("/stream.mjpg", headers={})[0] == 401
        assert served.get("/api/latest", headers={"Cookie": "digits_token=wrong"})[0] == 401
        assert served.get("/healthz", headers={})[0] == 200  # for monitors, no token
        cookie = {"Cookie": "theme=dark; digits_token=s3cret%20token"}  # as the page's script sets it
        status, _, body = served.get("/", headers=cookie)
        assert status == 200 and b'src="/stream.mjpg"' in body
        assert served.get("/api/latest", headers={"Authorization": "Bearer s3cret token"})[0] == 200
        assert served.get("/api/latest", headers=cookie)[0] == 200
    finally:
        served.stop()
    assert not [x for x in served.lines if "warning" in x]  # loopback: no warning either way
