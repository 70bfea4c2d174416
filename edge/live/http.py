"""The HTTP front end of `digits serve`: small, and bounded against clients that mean harm.

One thread owns the listening socket and every connection until its request is in: it
accepts, reads request headers without blocking, answers short requests (the page, the
JSON, errors) from a buffer, and hands a stream to a thread of its own only when the
application accepts a viewer. So a thousand idle or slow connections cost file descriptors
and at most `max_header_bytes` each, never a thread, and /healthz is answered while they wait.

    Limits.max_connections   connections still sending their request; when full, the
                             oldest is answered 503 (Retry-After) and closed to make room
    Limits.header_timeout    seconds a connection has for its whole request line and headers
                             (a byte every few seconds does not reset it): then 408
    Limits.max_header_bytes  request line and headers together: 414 / 431 past it
    Limits.backlog           the kernel's queue of connections not yet accepted

The connection cap is lowered to fit RLIMIT_NOFILE. Should accepting still fail with EMFILE,
the longest-waiting connection is evicted to make room; with none to evict, a spare
descriptor kept for that moment is given up to accept and refuse the newcomer, and the
listener rests briefly: the loop never spins. One line per request and per error goes to stderr
(journald under systemd), at most `LOG_RATE` a second; the rest are counted and reported.
"""

from __future__ import annotations

import errno
import os
import resource
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

SERVER = "digits"  # the Server header: no version of anything
LOG_RATE = 20.0  # lines a second, sustained ...
LOG_BURST = 200  # ... after a burst of this many
FD_RESERVE = 24  # descriptors kept free for the camera, the model, logs and the spare
PAUSE_S = 0.1  # the listener rests this long when no descriptor is left to accept with
ACCEPTS_PER_ROUND = 64  # a flood of connections cannot starve (or evict unread) the ones already in


@dataclass(frozen=True)
class Limits:
    max_connections: int = 32
    max_viewers: int = 4
    header_timeout: float = 5.0
    max_header_bytes: int = 8192
    max_url_bytes: int = 2048
    backlog: int = 128
    send_timeout: float = 10.0  # a viewer that takes no byte for this long is dropped
    viewer_sndbuf: int = 256 * 1024  # kernel memory a stalled viewer may hold


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded, without the query
    query: str
    headers: dict[str, str]  # names lower-case
    client: str


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[socket.socket], None] | None = None  # writes the body itself, in its own thread


class Log:
    """Lines to stderr, at most `rate` a second after a burst; the rest counted, then reported."""

    def __init__(self, write: Callable[[str], None] | None = None, rate: float = LOG_RATE,
                 burst: int = LOG_BURST):
        self._write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.rate, self.burst = rate, burst
        self._tokens, self._at, self._dropped = float(burst), time.monotonic(), 0
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                self._dropped += 1
                return
            self._tokens -= 1
            dropped, self._dropped = self._dropped, 0
        if dropped:
            self._write(f"digits serve: {dropped} log lines suppressed (over {self.rate:.0f} a second)")
        self._write(line)


def security_headers(csp: str) -> dict[str, str]:
    return {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer", "Cross-Origin-Resource-Policy": "same-origin",
            "Content-Security-Policy": csp}


PLAIN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def head_bytes(response: Response, length: int | None) -> bytes:
    status = HTTPStatus(response.status)
    headers = {"Server": SERVER, "Connection": "close", "Content-Type": response.content_type,
               **security_headers(PLAIN_CSP), **response.headers}
    if length is not None:
        headers["Content-Length"] = str(length)
    lines = [f"HTTP/1.0 {status.value} {status.phrase}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def plain(status: int, text: str, **headers: str) -> Response:
    return Response(status, (text + "\n").encode(), headers=dict(headers))


BUSY = plain(503, "busy: too many connections; try again", **{"Retry-After": "2"})


class _Conn:
    __slots__ = ("sock", "client", "buf", "deadline", "out", "born")

    def __init__(self, sock: socket.socket, client: str, deadline: float):
        self.sock, self.client, self.deadline = sock, client, deadline
        self.buf = bytearray()
        self.out: bytes | None = None  # a response being written; None while reading the request
        self.born = time.monotonic()


class Front:
    """Listens on `address`; `app(request)` gives each request's Response."""

    def __init__(self, address: tuple[str, int], app: Callable[[Request], Response],
                 limits: Limits = Limits(), log: Callable[[str], None] | None = None):
        self.app, self.limits, self.log = app, limits, log or Log()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind(address)
            self._listener.listen(limits.backlog)
        except OSError:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self.address = self._listener.getsockname()
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        room = soft - FD_RESERVE - limits.max_viewers if soft != resource.RLIM_INFINITY else 1 << 20
        self.max_pending = max(1, min(limits.max_connections, room))
        self._spare: int | None = os.open(os.devnull, os.O_RDONLY)
        self._conns: dict[int, _Conn] = {}
        self._streams: set[socket.socket] = set()
        self._streams_lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping = threading.Event()
        self._paused_until = 0.0

    # --- the loop --------------------------------------------------------------------------

    def serve_forever(self) -> None:
        sel = self._selector
        sel.register(self._listener, selectors.EVENT_READ, "listen")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        listening = True
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if not listening and now >= self._paused_until:
                    sel.register(self._listener, selectors.EVENT_READ, "listen")
                    listening = True
                timeout = min([c.deadline for c in self._conns.values()] + [now + 0.5]) - now
                if not listening:
                    timeout = min(timeout, self._paused_until - now)
                ready = sel.select(max(0.0, timeout))
                ready.sort(key=lambda item: item[0].data == "listen")  # requests in before newcomers
                for key, events in ready:
                    if key.data == "wake":
                        return
                    if key.data == "listen":
                        if not self._accept():
                            sel.unregister(self._listener)
                            listening = False
                    elif events & selectors.EVENT_WRITE:
                        self._write(key.data)
                    else:
                        self._read(key.data)
                self._expire(time.monotonic())
        finally:
            for conn in list(self._conns.values()):
                self._close(conn)
            sel.close()

    def shutdown(self) -> None:
        """Stop accepting, drop waiting connections and cut every stream; returns at once."""
        self._stopping.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        with self._streams_lock:
            streams = list(self._streams)
        for sock in streams:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

    # --- connections -------------------------------------------------------------------------

    def _accept(self) -> bool:
        """Accept what is waiting; False when the listener must rest (no descriptor left)."""
        for _ in range(max(1, min(ACCEPTS_PER_ROUND, self.max_pending // 2))):  # each one read once
            try:
                sock, addr = self._listener.accept()
            except BlockingIOError:
                return True
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    if self._conns:  # the longest-waiting connection gives up its descriptor
                        self._evict(min(self._conns.values(), key=lambda c: c.born))
                        continue
                    self._refuse_one()
                    self._paused_until = time.monotonic() + PAUSE_S
                    return False
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    continue
                raise
            sock.setblocking(False)
            client = addr[0]
            if len(self._conns) >= self.max_pending:
                self._evict(min(self._conns.values(), key=lambda c: c.born))
            conn = _Conn(sock, client, time.monotonic() + self.limits.header_timeout)
            self._conns[sock.fileno()] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)
        return True

    def _refuse_one(self) -> None:
        """Out of descriptors: use the spare one to take the waiting connection and close it."""
        if self._spare is None:
            return
        os.close(self._spare)
        self._spare = None
        try:
            sock, _ = self._listener.accept()
            try:
                sock.send(head_bytes(BUSY, len(BUSY.body)) + BUSY.body)
            except OSError:
                pass
            sock.close()
        except OSError:
            pass
        finally:
            try:
                self._spare = os.open(os.devnull, os.O_RDONLY)
            except OSError:
                self._spare = None
        self.log("digits serve: error: out of file descriptors; refusing connections for a moment")

    def _evict(self, conn: _Conn) -> None:
        """Make room: the longest-waiting connection gets 503 if its buffer takes it, and goes."""
        try:
            conn.sock.send(head_bytes(BUSY, len(BUSY.body)) + BUSY.body)
        except OSError:
            pass
        self._access(conn.client, "-", "-", BUSY.status, len(BUSY.body))
        self._close(conn)

    def _read(self, conn: _Conn) -> None:
        try:
            chunk = conn.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close(conn)
            return
        conn.buf += chunk
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            end = conn.buf.find(b"\n\n")
        line_end = conn.buf.find(b"\n")
        line = len(conn.buf) if line_end < 0 else line_end
        if line > self.limits.max_url_bytes:
            self._respond(conn, plain(414, "request line too long"), "-", "-")
        elif end < 0 and len(conn.buf) > self.limits.max_header_bytes:
            self._respond(conn, plain(431, "request headers too large"), "-", "-")
        elif end >= 0:
            if end > self.limits.max_header_bytes:
                self._respond(conn, plain(431, "request headers too large"), "-", "-")
            else:
                self._dispatch(conn, bytes(conn.buf[:end]))

    def _dispatch(self, conn: _Conn, head: bytes) -> None:
        request = parse(head, conn.client)
        if isinstance(request, Response):
            self._respond(conn, request, "-", "-")
            return
        try:
            response = self.app(request)
        except Exception as exc:  # a bug must cost one request, never the server
            self.log(f"digits serve: error: {request.method} {request.path}: {type(exc).__name__}: {exc}")
            response = plain(500, "internal error")
        if response.stream is not None and request.method == "GET":
            self._hand_over(conn, request, response)
        else:
            self._respond(conn, response, request.method, request.path, head_only=request.method == "HEAD")

    def _respond(self, conn: _Conn, response: Response, method: str, path: str,
                 head_only: bool = False) -> None:
        body = b"" if head_only or response.stream is not None else response.body
        length = None if response.stream is not None else len(response.body)
        conn.out = head_bytes(response, length) + body
        conn.deadline = time.monotonic() + self.limits.header_timeout
        self._access(conn.client, method, path, response.status, len(body))
        try:
            self._selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
        except (KeyError, ValueError, OSError):
            self._close(conn)
            return
        self._write(conn)

    def _write(self, conn: _Conn) -> None:
        try:
            sent = conn.sock.send(conn.out)
        except BlockingIOError:
            return
        except OSError:
            self._close(conn)
            return
        conn.out = conn.out[sent:]
        if not conn.out:
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self._close(conn)

    def _hand_over(self, conn: _Conn, request: Request, response: Response) -> None:
        """A stream gets a thread and a blocking socket with a send timeout, out of the loop."""
        self._selector.unregister(conn.sock)
        del self._conns[conn.sock.fileno()]
        sock = conn.sock
        sock.setblocking(True)
        sock.settimeout(self.limits.send_timeout)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.limits.viewer_sndbuf)
        except OSError:
            pass
        self._access(conn.client, request.method, request.path, response.status, None)
        with self._streams_lock:
            self._streams.add(sock)

        def run() -> None:
            try:
                sock.sendall(head_bytes(response, None))
                response.stream(sock)
            except OSError:
                pass  # the viewer went away, or stopped reading for send_timeout
            finally:
                with self._streams_lock:
                    self._streams.discard(sock)
                sock.close()

        try:
            threading.Thread(target=run, name="digits-viewer", daemon=True).start()
        except RuntimeError:  # no thread to be had: the viewer is refused, the server lives
            with self._streams_lock:
                self._streams.discard(sock)
            sock.close()

    def _expire(self, now: float) -> None:
        for conn in [c for c in self._conns.values() if c.deadline <= now]:
            if conn.out is None:
                self._respond(conn, plain(408, "request not received in time"), "-", "-")
                conn.deadline = now + 1.0  # a last second to take the 408
            else:
                self._close(conn)

    def _close(self, conn: _Conn) -> None:
        self._conns.pop(conn.sock.fileno(), None)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def _access(self, client: str, method: str, path: str, status: int, size: int | None) -> None:
        shown = path if len(path) <= 80 else path[:77] + "..."
        self.log(f'digits serve: {client} "{method} {shown}" {status}'
                 + ("" if size is None else f" {size}"))


def parse(head: bytes, client: str) -> Request | Response:
    """A Request from the bytes before the blank line, or the error Response to send."""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return plain(400, "bad request line")
    method, target, _version = parts
    if not (method.isascii() and method.isalpha() and method.isupper() and len(method) <= 16):
        return plain(400, "bad method")
    if not target.startswith("/"):
        return plain(400, "bad request target")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return plain(400, "bad header line")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    split = urlsplit(target)
    path = "".join(ch if ch.isprintable() else "?" for ch in unquote(split.path))
    return Request(method, path, split.query, headers, client)
