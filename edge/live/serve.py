"""`digits serve`: the live view of a headless Pi, in any browser on the network.

One thread captures, reads and draws; it hands the newest JPEG to a `Hub` under a Condition and
never waits for anyone. Each viewer's thread waits on the Hub and sends whatever is newest when
it is ready, so a slow viewer skips frames instead of slowing the camera or queueing memory
(after picamera2's mjpeg_server example). The HTTP side (edge/live/http.py) is bounded against
hostile clients; who may ask is edge/live/access.py's business.

    /              the page: the stream, the numbers read, FPS, the camera's state
    /stream.mjpg   multipart/x-mixed-replace JPEG frames with the overlay drawn
    /api/latest    the latest result, as `digits read --json` prints it, plus "camera"
    /healthz       200 while frames flow (or a file has ended), 503 while the camera is lost

A camera that fails is re-opened with back-off (digits.edge.capture.capture); one whose read
hangs in its driver instead is reported lost after STALL_S and, after WATCHDOG_S, ends the
process with exit 1 so that systemd starts it afresh. Clients see file names without their
folders and never an exception's text; those go to the log on stderr.
"""

from __future__ import annotations

import json
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from digits.common.errors import DigitsError
from digits.edge.capture.capture import CameraStatus, Capture
from digits.edge.capture.images import display
from digits.edge.capture.sources import Frame, Skipped
from digits.edge.errors import SourceError
from digits.edge.live.access import Access
from digits.edge.live.http import PLAIN_CSP, Front, Limits, Log, Request, Response, plain
from digits.edge.live.page import LOGIN, LOGIN_CSP, PAGE, PAGE_CSP

# frame, its index, the loop's FPS -> (the result as `digits read --json` gives it, the frame to show)
Process = Callable[[Frame, int, float], tuple[dict, np.ndarray]]

BOUNDARY = "digitsframe"
JPEG_QUALITY = 80
HEARTBEAT_S = 1.0  # a viewer gets the current frame at least this often, even from a still image
MAX_SKIPPED = 20  # images of a folder listed as skipped on the page; the log has them all
PUBLIC_DETAILS = ("no frame", "re-opened", "end of file")  # the rest stays in the log
STALL_S = 10.0  # a live camera silent this long is reported lost even though no read has failed
WATCHDOG_S = 60.0  # ... and this long, the process exits 1 so that systemd starts it afresh


class Hub:
    """The newest frame and result, handed from the loop to every viewer; nothing queues."""

    def __init__(self, stall_s: float = STALL_S, max_viewers: int = Limits.max_viewers) -> None:
        self.stall_s = stall_s
        self.max_viewers = max_viewers
        self._skipped: list[Skipped] = []
        self._skipped_names: set[str] = set()
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

    def skip(self, skipped: Skipped) -> bool:
        """Note an image that could not be read; True the first time its name is seen."""
        with self._cond:
            if skipped.name in self._skipped_names:
                return False
            self._skipped_names.add(skipped.name)
            if len(self._skipped) < MAX_SKIPPED:
                self._skipped.append(skipped)
            return True

    def latest(self) -> dict:
        with self._cond:
            out = dict(self._result)
            status = self._status()
            public = status.detail if status.detail.startswith(PUBLIC_DETAILS) else ""
            out["camera"] = {**status.to_json(), "detail": public, "fps": round(self._fps, 2),
                             "frames_read": self._frames, "viewers": self._viewers,
                             "skipped": [asdict(s) for s in self._skipped]}
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

    def add_viewer(self) -> bool:
        """Take a viewer's place: False when all `max_viewers` are taken."""
        with self._cond:
            if self._viewers >= self.max_viewers:
                return False
            self._viewers += 1
            return True

    def remove_viewer(self) -> None:
        with self._cond:
            self._viewers -= 1

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class ReadLoop(threading.Thread):
    """Capture → read → draw → JPEG → hub, as fast as the source gives frames (or `pace` FPS)."""

    def __init__(self, capture: Capture, process: Process, hub: Hub, stop: threading.Event,
                 pace: float | None = None, log: Callable[[str], None] | None = None):
        super().__init__(name="digits-read-loop", daemon=True)
        self.capture, self.process, self.hub, self.stop = capture, process, hub, stop
        self.pace = pace
        self.log = log or (lambda line: None)
        self._state = "starting"
        self.error: BaseException | None = None
        self._last_shown: np.ndarray | None = None
        self._fps = 0.0
        self._last: float | None = None  # when the previous frame came; None after a loss
        capture.on_status = self._on_status
        capture.on_skip = self._on_skip

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

    def _on_skip(self, skipped: Skipped, message: str) -> None:
        if self.hub.skip(skipped):  # once per image, however often a looping folder comes round
            self.log(f"digits serve: error: {message} (skipped)")

    def _on_status(self, status: CameraStatus) -> None:
        if status.state in ("lost", "ended", "failed"):
            self.log(f"digits serve: camera {status.state}" + (f": {status.detail}" if status.detail else ""))
        elif status.state == "live" and self._state == "lost":
            self.log("digits serve: camera live again")
        self._state = status.state
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


class App:
    """The routes, behind the Host check and the token; every response carries the security headers."""

    def __init__(self, hub: Hub, access: Access):
        self.hub, self.access = hub, access

    def __call__(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return plain(405, "method not allowed", Allow="GET, HEAD, OPTIONS")
        if not self.access.host_allowed(request.headers.get("host")):
            return plain(403, "this server does not answer to that Host (see --allow-host)")
        if request.method == "OPTIONS":
            return Response(204, headers={"Allow": "GET, HEAD, OPTIONS"})
        if request.path == "/healthz":
            return self._health()
        if request.path not in ("/", "/index.html", "/stream.mjpg", "/api/latest"):
            return plain(404, "not found")
        if not self.access.authorised(request.headers):
            if request.path in ("/", "/index.html"):
                return Response(401, LOGIN.encode(), "text/html; charset=utf-8",
                                {"Content-Security-Policy": LOGIN_CSP})
            return plain(401, "access token needed")
        if request.path == "/stream.mjpg":
            return self._stream(request.method == "HEAD")
        if request.path == "/api/latest":
            return _json(200, self.hub.latest())
        return Response(200, PAGE.encode(), "text/html; charset=utf-8",
                        {"Content-Security-Policy": PAGE_CSP})

    def _health(self) -> Response:
        ok, body = self.hub.health()
        return _json(200 if ok else 503, body)

    def _stream(self, head_only: bool) -> Response:
        headers = {"Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}", "Pragma": "no-cache"}
        if head_only:
            return Response(200, headers=headers, content_type=headers["Content-Type"])
        if not self.hub.add_viewer():
            return plain(503, f"all {self.hub.max_viewers} viewer places are taken; try again later",
                         **{"Retry-After": "10"})
        return Response(200, headers=headers, content_type=headers["Content-Type"], stream=self._send_frames)

    def _send_frames(self, sock) -> None:
        hub, seen = self.hub, 0
        try:
            while True:
                got = hub.next_frame(seen)
                if got is None:
                    return  # shutting down
                seen, jpeg = got
                if jpeg is None:
                    continue
                if select.select([sock], [], [], 0)[0] and not sock.recv(4096):
                    return  # the viewer closed the tab: its place is free before the next frame
                sock.sendall(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                             f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
        finally:
            hub.remove_viewer()


def _json(status: int, obj: dict) -> Response:
    return Response(status, (json.dumps(obj) + "\n").encode(), "application/json",
                    {"Content-Security-Policy": PLAIN_CSP})


class LiveView:
    """The read loop and the HTTP front end around one opened Capture; `stop()` ends both."""

    def __init__(self, capture: Capture, process: Process, host: str = "127.0.0.1", port: int = 8000,
                 pace: float | None = None, stall_s: float = STALL_S, watchdog_s: float = WATCHDOG_S,
                 limits: Limits = Limits(), access: Access | None = None,
                 log: Callable[[str], None] | None = None):
        self.stop_event = threading.Event()
        self.hub = Hub(stall_s, limits.max_viewers)
        self.watchdog_s = watchdog_s
        self.log = log or Log()
        self.access = access or Access(host)
        try:
            self.server = Front((host, port), App(self.hub, self.access), limits, self.log)
        except OSError as exc:
            raise DigitsError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.loop = ReadLoop(capture, process, self.hub, self.stop_event, pace, self.log)
        self._http = threading.Thread(target=self.server.serve_forever, name="digits-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def start(self) -> LiveView:
        self.loop.start()
        self._http.start()
        return self

    def stop(self) -> None:
        """Within a second: viewers let go, the listening socket closed, the camera released."""
        self.stop_event.set()
        self.hub.close()
        self.server.shutdown()
        if self._http.is_alive():
            self._http.join(timeout=2.0)
        self.server.close()
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

    def process(frame: Frame, index: int, fps: float) -> tuple[dict, np.ndarray]:
        result = reader.read(frame.image)
        return (to_json(result, image=public_name(frame.name), frame=index, decode_ms=frame.decode_ms),
                draw(frame.image, result, fps))

    return process


def public_name(name: str) -> str:
    """What a client may see of a frame's source: a file's name without its folders."""
    return name if name.startswith(("camera:", "picamera2")) else display(Path(name).name)


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


