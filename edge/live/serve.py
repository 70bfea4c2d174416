"""`digits serve`: the live view of a headless Pi, in any browser on the network.

One thread captures, reads and draws; it hands the newest JPEG to a `Hub` under a Condition and
never waits for anyone. Each viewer's thread waits on the Hub and sends whatever is newest when
it is ready, so a slow viewer skips frames instead of slowing the camera or queueing memory.
The standard library's threading HTTP server is all a Pi needs (after picamera2's
mjpeg_server example), with no globals, loopback unless asked, and a clean stop on SIGTERM.

    /              the page: the stream, the numbers read, FPS, the camera's state
    /stream.mjpg   multipart/x-mixed-replace JPEG frames with the overlay drawn
    /api/latest    the latest result, as `digits read --json` prints it, plus "camera"
    /healthz       200 while frames flow (or a file has ended), 503 while the camera is lost

A camera that fails is re-opened with back-off (digits.edge.capture.capture); one whose read hangs in its
driver instead is reported lost after STALL_S and, after WATCHDOG_S, ends the process with
exit 1 so that systemd starts it afresh.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import cv2
import numpy as np
from digits.edge.capture.capture import CameraStatus, Capture
from digits.edge.errors import SourceError

from digits.common.errors import DigitsError

# frame, its index, the loop's FPS -> (the result as `digits read --json` gives it, the frame to show)
Process = Callable[[np.ndarray, int, float], tuple[dict, np.ndarray]]

BOUNDARY = "digitsframe"
JPEG_QUALITY = 80
HEARTBEAT_S = 1.0  # a viewer gets the current frame at least this often, even from a still image
VIEWER_TIMEOUT_S = 20.0  # a viewer that stops reading for this long is dropped
STALL_S = 10.0  # a live camera silent this long is reported lost even though no read has failed
WATCHDOG_S = 60.0  # ... and this long, the process exits 1 so that systemd starts it afresh


class Hub:
    """The newest frame and result, handed from the loop to every viewer; nothing queues."""

    def __init__(self, stall_s: float = STALL_S) -> None:
        self.stall_s = stall_s
        self._cond = threading.Condition()
        self._seq = 0
        self._jpeg: bytes | None = None
        self._result: dict = {}
        self._camera = CameraStatus("starting")
        self._fps = 0.0
        self._frames = 0
        self._viewers = 0
        self._closed = False
        self._last_frame_at = time.monotonic()

    def publish(self, jpeg: bytes, result: dict | None, fps: float) -> None:
        with self._cond:
            self._seq += 1
            self._jpeg = jpeg
            if result is not None:
                self._result = result
                self._frames += 1
                self._last_frame_at = time.monotonic()
            self._fps = fps
            self._cond.notify_all()

    def set_camera(self, status: CameraStatus) -> None:
        with self._cond:
            self._camera = status
            self._cond.notify_all()

    def next_frame(self, seen: int, timeout: float = HEARTBEAT_S) -> tuple[int, bytes | None] | None:
        """(seq, jpeg) once a frame newer than `seen` is in, or the current one after `timeout`;
        None once the hub is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._seq != seen, timeout)
            return None if self._closed else (self._seq, self._jpeg)

    def latest(self) -> dict:
        with self._cond:
            out = dict(self._result)
            out["camera"] = {**self._status().to_json(), "fps": round(self._fps, 2),
                             "frames_read": self._frames, "viewers": self._viewers}
            return out

    def health(self) -> tuple[bool, dict]:
        with self._cond:
            state = self._status().state
            ok = state in ("starting", "live", "ended") and not self._closed
            return ok, {"status": "ok" if ok else state, "camera": state,
                        "frames_read": self._frames, "viewers": self._viewers}

    def stalled_for(self) -> float:
        """Seconds since the last frame while the camera should be giving frames, else 0."""
        with self._cond:
            if self._camera.state not in ("starting", "live"):
                return 0.0
            return time.monotonic() - self._last_frame_at

    def _status(self) -> CameraStatus:
        """The camera's status, "lost" too when a read hangs in the driver instead of failing."""
        if self._camera.state in ("starting", "live"):
            silent = time.monotonic() - self._last_frame_at
            if silent > self.stall_s:
                return CameraStatus("lost", f"no frame for {silent:.0f} s", self._camera.reconnects)
        return self._camera

    @contextlib.contextmanager
    def viewer(self):
        with self._cond:
            self._viewers += 1
        try:
            yield
        finally:
            with self._cond:
                self._viewers -= 1

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class ReadLoop(threading.Thread):
    """Capture → read → draw → JPEG → hub, as fast as the source gives frames (or `pace` FPS)."""

    def __init__(self, capture: Capture, process: Process, hub: Hub, stop: threading.Event,
                 pace: float | None = None):
        super().__init__(name="digits-read-loop", daemon=True)
        self.capture, self.process, self.hub, self.stop = capture, process, hub, stop
        self.pace = pace
        self.error: BaseException | None = None
        self._last_shown: np.ndarray | None = None
        self._fps = 0.0
        self._last: float | None = None  # when the previous frame came; None after a loss
        capture.on_status = self._on_status

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # a broken reader ends the process (exit 1; systemd restarts it)
            self.error = exc
            self.hub.set_camera(CameraStatus("failed", f"{type(exc).__name__}: {exc}"))
            self.stop.set()
        finally:
            self.capture.close()

    def _run(self) -> None:
        index = 0
        for frame in self.capture.frames(self.stop):
            now = time.monotonic()
            if self._last is not None:
                period = now - self._last
                if self.pace and period < 1.0 / self.pace:
                    if self.stop.wait(1.0 / self.pace - period):
                        break
                    now = time.monotonic()
                    period = now - self._last
                rate = 1.0 / max(period, 1e-6)
                self._fps = rate if self._fps == 0.0 else 0.9 * self._fps + 0.1 * rate
            self._last = now
            result, shown = self.process(frame, index, self._fps)
            self._last_shown = shown
            self.hub.publish(encode_jpeg(shown), result, self._fps)
            index += 1

    def _on_status(self, status: CameraStatus) -> None:
        self.hub.set_camera(status)
        if status.state == "lost" and self._last_shown is not None:
            self.hub.publish(encode_jpeg(banner(self._last_shown, "camera lost - retrying")), None, 0.0)
        if status.state == "lost":
            self._fps, self._last = 0.0, None  # the outage is not a frame period


def encode_jpeg(frame: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise DigitsError(f"could not encode a {frame.shape} frame as JPEG")
    return buf.tobytes()


def banner(frame: np.ndarray, text: str) -> np.ndarray:
    """The last frame, dimmed, with `text` across it: what the stream shows while the camera is lost."""
    out = (frame * 0.35).astype(np.uint8)
    h, w = out.shape[:2]
    scale = max(0.4, w / 640)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    org = (max(0, (w - tw) // 2), (h + th) // 2)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 255), 2, cv2.LINE_AA)
    return out


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a viewer mid-stream never holds the process up
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], hub: Hub):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.hub = hub
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        pass  # a viewer that went away mid-response is normal life, not a traceback


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles on keep-alive
    server_version = "digits-serve"
    timeout = VIEWER_TIMEOUT_S

    def do_GET(self) -> None:
        route = {
            "/": self._page, "/index.html": self._page, "/stream.mjpg": self._stream,
            "/api/latest": self._latest, "/healthz": self._health,
        }.get(urlsplit(self.path).path)
        if route is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
        else:
            route()

    def log_message(self, format: str, *args) -> None:
        pass  # the page polls twice a second; a Pi's SD card needs no line for each

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, "application/json", (json.dumps(obj) + "\n").encode())

    def _page(self) -> None:
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", PAGE.encode())

    def _latest(self) -> None:
        self._json(HTTPStatus.OK, self.server.hub.latest())

    def _health(self) -> None:
        ok, body = self.server.hub.health()
        self._json(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE, body)

    def _stream(self) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        self.end_headers()
        seen = 0
        with hub.viewer():
            while True:
                got = hub.next_frame(seen)
                if got is None:
                    return  # shutting down
                seen, jpeg = got
                if jpeg is None:
                    continue
                try:
                    self.wfile.write(
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                    self.wfile.flush()
                except OSError:  # the viewer closed the tab, or stopped reading for too long
                    return


class LiveView:
    """The read loop and the HTTP server around one opened Capture; `stop()` ends both."""

    def __init__(self, capture: Capture, process: Process, host: str = "127.0.0.1", port: int = 8000,
                 pace: float | None = None, stall_s: float = STALL_S, watchdog_s: float = WATCHDOG_S):
        self.stop_event = threading.Event()
        self.hub = Hub(stall_s)
        self.watchdog_s = watchdog_s
        try:
            self.server = Server((host, port), self.hub)
        except OSError as exc:
            raise DigitsError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.loop = ReadLoop(capture, process, self.hub, self.stop_event, pace)
        self._http = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                      name="digits-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def start(self) -> LiveView:
        self.loop.start()
        self._http.start()
        return self

    def stop(self) -> None:
        """Within a second: viewers let go, the listening socket closed, the camera released."""
        self.stop_event.set()
        self.hub.close()
        if self._http.is_alive():
            self.server.shutdown()
        self.server.server_close()
        if self.loop.is_alive():
            self.loop.join(timeout=2.0)
        if not self.loop.is_alive():  # a read stuck in a driver: the device is freed at exit
            self.loop.capture.close()

    def __enter__(self) -> LiveView:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def reader_process(reader) -> Process:
    """The real work on each source Frame: read it, JSON as `digits read --json`, draw it."""
    from digits.edge.core.reader import to_json
    from digits.edge.overlay import draw

    def process(frame, index: int, fps: float) -> tuple[dict, np.ndarray]:
        result = reader.read(frame.image)
        return (to_json(result, image=frame.name, frame=index, decode_ms=frame.decode_ms),
                draw(frame.image, result, fps))

    return process


def run_until_stopped(view: LiveView, announce: Callable[[str], None] = lambda url: None) -> None:
    """Serve until SIGTERM or Ctrl-C (a clean stop), or until the read loop fails or a live
    camera hangs for `watchdog_s` (both raised here: exit 1, and systemd starts it afresh)."""
    stop = view.stop_event
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    silent = 0.0
    try:
        view.start()
        announce(view.url)
        while not stop.wait(0.5):
            silent = view.hub.stalled_for() if view.loop.capture.live else 0.0
            if silent > view.watchdog_s:
                break
    finally:
        view.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if silent > view.watchdog_s:
        raise SourceError(f"the camera gave no frame for {silent:.0f} s and does not answer; "
                          "exiting so that it is opened afresh")
    error = view.loop.error
    if isinstance(error, DigitsError):
        raise error
    if error is not None:
        raise DigitsError(f"the read loop failed: {type(error).__name__}: {error}") from error


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digits</title>
<style>
  body { margin: 0; background: #111; color: #eee; font: 16px/1.4 system-ui, sans-serif;
         display: flex; flex-wrap: wrap; align-items: flex-start; }
  #view { display: block; max-width: 100%; background: #000; }
  aside { padding: 12px 20px; min-width: 14em; }
  #numbers { font-size: 2.4em; font-weight: 600; margin: 0.2em 0; word-break: break-all; }
  #status.lost, #status.failed { color: #ff5a4f; font-weight: 600; }
  .dim { color: #999; }
</style></head>
<body>
<img id="view" src="/stream.mjpg" alt="live view of the camera with the digits read">
<aside>
  <div id="status" class="dim">starting...</div>
  <div id="numbers">-</div>
  <div><span id="fps">-</span> <span class="dim">FPS</span></div>
  <div class="dim" id="detail"></div>
</aside>
<script>
const $ = (id) => document.getElementById(id);
const shown = (n) => (typeof n === "object" && n !== null)
  ? (n.text ?? n.value ?? JSON.stringify(n)) : String(n);
async function poll() {
  try {
    const r = await fetch("/api/latest", {cache: "no-store"});
    const j = await r.json();
    const cam = j.camera || {};
    const state = cam.state || "starting";
    $("status").textContent = state === "lost" ? "camera lost - retrying" : state === "live" ? "live" : state;
    $("status").className = state === "live" ? "dim" : state;
    const numbers = j.numbers || [];
    $("numbers").textContent = numbers.length ? numbers.map(shown).join("  ") : "-";
    $("fps").textContent = (cam.fps ?? 0).toFixed(1);
    $("detail").textContent = (cam.detail || "") + (cam.viewers ? "  viewers: " + cam.viewers : "");
  } catch (e) {
    $("status").textContent = "server unreachable";
    $("status").className = "lost";
  }
  setTimeout(poll, 500);
}
poll();
</script>
</body></html>
"""
