"""`digits serve` over real HTTP on 127.0.0.1: every endpoint, many viewers, viewers that vanish,
a camera that drops out and comes back (a fake one, standing in for picamera2 and V4L2), and a
real `digits serve` process stopped by SIGTERM and Ctrl-C.

Nothing here times the code: waits are bounded polls with generous limits, for liveness only.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from digits.edge.capture.capture import Capture, Retry, capture_source
from digits.edge.capture.sources import Frame, Source, SourceSettings, parse_source
from digits.edge.errors import SourceError
from digits.edge.live.serve import BOUNDARY, LiveView

ROOT = Path(__file__).resolve().parent.parent
DIGITS = Path(sys.executable).parent / "digits"
LIMIT = 10.0  # seconds any wait below may take before the test fails; never reached when healthy


# --- a fake camera: plugged in, it gives numbered frames; unplugged, it gives none and won't open

class FakeCamera:
    def __init__(self, height: int = 120, width: int = 160, colour=(40, 160, 40)):
        self.shape, self.colour = (height, width, 3), colour
        self.plugged = threading.Event()
        self.plugged.set()
        self.answering = threading.Event()  # cleared: a read hangs in the driver, as libcamera's can
        self.answering.set()
        self.opens = 0
        self.closes = 0
        self.delay = 0.005  # a camera delivers frames at its own pace; this one fast

    def open(self) -> FakeCamera._Handle:
        if not self.plugged.is_set():
            raise SourceError("fake camera: no such device")
        self.opens += 1
        return FakeCamera._Handle(self)

    class _Handle(Source):
        name = "fake0"

        def __init__(self, camera: FakeCamera):
            self.camera, self.n = camera, 0

        def read(self) -> Frame | None:
            image = self.image()
            return None if image is None else Frame(image, self.n, self.name)

        def image(self) -> np.ndarray | None:
            self.camera.answering.wait(2 * LIMIT)
            time.sleep(self.camera.delay)
            if not self.camera.plugged.is_set():
                return None
            self.n += 1
            frame = np.full(self.camera.shape, self.camera.colour, np.uint8)
            cv2.putText(frame, str(self.n % 1000), (8, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
            return frame

        def close(self) -> None:
            self.camera.closes += 1


def fake_process(frame: Frame, index: int, fps: float) -> tuple[dict, np.ndarray]:
    h, w = frame.image.shape[:2]
    return ({"image": "fake0", "frame": index, "width": w, "height": h, "digits": [],
             "numbers": [{"text": "42"}], "timings_ms": {"total": 0.1}}, frame.image)


@pytest.fixture
def camera() -> FakeCamera:
    return FakeCamera()


@pytest.fixture
def view(camera):
    capture = Capture(camera.open, live=True, retry=Retry(first=0.05, limit=0.2))
    capture.open()
    live = LiveView(capture, fake_process, host="127.0.0.1", port=0).start()
    try:
        yield live
    finally:
        live.stop()


# --- small HTTP helpers -------------------------------------------------------------------------

def port_of(view: LiveView) -> int:
    return view.server.address[1]


def get(port: int, path: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def get_json(port: int, path: str) -> dict:
    status, _, body = get(port, path)
    assert status in (200, 503), status
    return json.loads(body)


def wait_for(predicate, what: str, limit: float = LIMIT):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {limit:.0f} s waiting for {what}")


def open_stream(port: int) -> tuple[socket.socket, object]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
    sock.sendall(b"GET /stream.mjpg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    f = sock.makefile("rb")
    status = f.readline()
    assert b" 200 " in status, status
    headers = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    assert headers["content-type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    return sock, f


def read_part(f) -> bytes:
    """One JPEG part of the multipart stream."""
    line = f.readline()
    assert line == f"--{BOUNDARY}\r\n".encode(), line
    headers = {}
    while (line := f.readline()) != b"\r\n":
        assert line, "stream ended inside a part's headers"
        key, _, value = line.decode().partition(":")
        headers[key.strip().lower()] = value.strip()
    assert headers["content-type"] == "image/jpeg"
    body = f.read(int(headers["content-length"]))
    assert f.read(2) == b"\r\n"
    return body


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


def frames_read(port: int) -> int:
    return get_json(port, "/api/latest")["camera"]["frames_read"]


# --- endpoints ----------------------------------------------------------------------------------

def test_page_embeds_the_stream_and_polls_the_latest_result(view):
    status, headers, body = get(port_of(view), "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert '<img id="view" src="/stream.mjpg"' in page
    assert "/api/latest" in page and "camera lost" in page


def test_latest_has_the_read_json_schema_and_the_camera(view):
    port = port_of(view)
    wait_for(lambda: frames_read(port) >= 3, "three frames read")
    status, headers, body = get(port, "/api/latest")
    assert status == 200 and headers["Content-Type"] == "application/json"
    latest = json.loads(body)
    assert {"image", "frame", "width", "height", "digits", "numbers", "timings_ms"} <= latest.keys()
    assert (latest["width"], latest["height"]) == (160, 120)
    assert latest["camera"]["state"] == "live"
    assert latest["camera"]["fps"] > 0


def test_healthz(view):
    port = port_of(view)
    wait_for(lambda: frames_read(port) >= 1, "a frame")
    status, _, body = get(port, "/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_unknown_path_is_404(view):
    assert get(port_of(view), "/nope")[0] == 404


def test_binds_loopback_by_default(camera):
    capture = Capture(camera.open, live=True)
    capture.open()
    with LiveView(capture, fake_process, port=0) as live:
        assert live.server.address[0] == "127.0.0.1"
        assert live.url.startswith("http://127.0.0.1:")


def test_stream_sends_ever_newer_jpegs(view):
    sock, f = open_stream(port_of(view))
    try:
        images = [decode(read_part(f)) for _ in range(4)]
    finally:
        sock.close()
    assert all(image.shape == (120, 160, 3) for image in images)
    assert any(not np.array_equal(images[0], other) for other in images[1:])  # the counter moved


def test_several_viewers_at_once(view):
    port = port_of(view)
    got: dict[int, int] = {}

    def watch(i: int) -> None:
        sock, f = open_stream(port)
        try:
            got[i] = sum(decode(read_part(f)).shape == (120, 160, 3) for _ in range(5))
        finally:
            sock.close()

    n = view.hub.max_viewers  # as many as the cap allows
    threads = [threading.Thread(target=watch, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT)
    assert got == {i: 5 for i in range(n)}
    wait_for(lambda: get_json(port, "/api/latest")["camera"]["viewers"] == 0, "viewers to leave")


def test_a_viewer_that_vanishes_mid_stream_is_let_go(view):
    port = port_of(view)
    sock, f = open_stream(port)
    read_part(f)
    f.read(100)  # half-way through the next part
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, no FIN
    f.close()
    sock.close()
    wait_for(lambda: get_json(port, "/api/latest")["camera"]["viewers"] == 0, "the vanished viewer to go")
    before = frames_read(port)
    wait_for(lambda: frames_read(port) > before + 5, "frames to keep coming")
    sock, f = open_stream(port)  # and a new viewer is served as before
    try:
        decode(read_part(f))
    finally:
        sock.close()


def test_a_viewer_that_stops_reading_never_slows_the_camera(view):
    port = port_of(view)
    stalled = socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")  # and never reads a byte
    try:
        wait_for(lambda: get_json(port, "/api/latest")["camera"]["viewers"] == 1, "the stalled viewer")
        before = frames_read(port)
        wait_for(lambda: frames_read(port) > before + 100, "100 frames past a stalled viewer")
        sock, f = open_stream(port)
        try:
            decode(read_part(f))
        finally:
            sock.close()
    finally:
        stalled.close()


# --- faults -------------------------------------------------------------------------------------

def test_camera_lost_then_back(view, camera):
    port = port_of(view)
    wait_for(lambda: frames_read(port) >= 1, "a frame")
    sock, f = open_stream(port)
    try:
        camera.plugged.clear()
        lost = wait_for(lambda: (j := get_json(port, "/api/latest"))["camera"]["state"] == "lost" and j,
                        "the page to say the camera is lost")
        assert lost["camera"]["detail"]
        assert get(port, "/healthz")[0] == 503
        # the stream shows the last frame dimmed with a banner, and keeps the viewer
        wait_for(lambda: decode(read_part(f)).mean() < 60, "the 'camera lost' frame")
        camera.plugged.set()
        back = wait_for(lambda: (j := get_json(port, "/api/latest"))["camera"]["state"] == "live" and j,
                        "the camera to come back")
        assert back["camera"]["reconnects"] >= 1
        wait_for(lambda: decode(read_part(f)).mean() > 60, "live frames on the same stream")
        assert get(port, "/healthz")[0] == 200
    finally:
        sock.close()
    assert camera.opens >= 2 and camera.closes >= 1


def test_camera_that_raises_is_retried_too(camera):
    class Flaky:
        def __init__(self):
            self.calls = 0

        def open(self):
            handle = camera.open()
            read = handle.read

            def flaky_read():
                self.calls += 1
                if self.calls == 5:
                    raise RuntimeError("VIDIOC_DQBUF: No such device")
                return read()

            handle.read = flaky_read
            return handle

    capture = Capture(Flaky().open, live=True, retry=Retry(reads=1, first=0.01, limit=0.05))
    stop = threading.Event()
    frames = capture.frames(stop)
    for _ in range(10):
        assert next(frames) is not None
    assert capture.status.state == "live" and capture.status.reconnects == 1
    stop.set()
    frames.close()
    assert camera.opens == camera.closes == 2


def test_stop_releases_camera_and_port_and_ends_streams(camera):
    capture = Capture(camera.open, live=True)
    capture.open()
    live = LiveView(capture, fake_process, port=0).start()
    port = port_of(live)
    sock, f = open_stream(port)
    read_part(f)
    done = threading.Event()
    threading.Thread(target=lambda: (live.stop(), done.set()), daemon=True).start()
    assert done.wait(5), "stop() did not return within 5 s"
    assert camera.opens == camera.closes == 1
    rest = f.read()  # the stream ends: the server closed it
    sock.close()
    assert isinstance(rest, bytes)
    with socket.socket() as again:  # the port is free again for a restarted server
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server sets it
        again.bind(("127.0.0.1", port))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=LIMIT)


def test_port_in_use_is_one_clear_error(camera):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        capture = Capture(camera.open, live=True)
        from digits.common.errors import DigitsError

        with pytest.raises(DigitsError, match="cannot listen on 127.0.0.1"):
            LiveView(capture, fake_process, port=taken.getsockname()[1])


# --- capture: files end or loop; live sources come back --------------------------------------------

class FakeFile:
    """A three-frame video."""

    def __init__(self, frames: int = 3):
        self.frames, self.opens, self.closes = frames, 0, 0

    def open(self):
        self.opens += 1
        left = [np.full((4, 4, 3), i, np.uint8) for i in range(self.frames)]
        outer = self

        class Handle(Source):
            def read(self):
                return Frame(left.pop(0), 0, "fake.avi") if left else None

            def close(self):
                outer.closes += 1

        return Handle()


def test_a_file_ends_without_loop():
    video = FakeFile()
    capture = Capture(video.open, live=False)
    assert len(list(capture.frames(threading.Event()))) == 3
    assert capture.status.state == "ended"
    assert video.opens == video.closes == 1


def test_a_file_starts_again_with_loop():
    video = FakeFile()
    capture = Capture(video.open, live=False, loop=True)
    stop = threading.Event()
    frames = capture.frames(stop)
    got = [next(frames).image[0, 0, 0] for _ in range(10)]
    frames.close()
    assert got == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert video.opens == 4 and video.closes == 4


def test_an_empty_looping_file_backs_off_instead_of_spinning():
    video = FakeFile(frames=0)
    capture = Capture(video.open, live=False, loop=True, retry=Retry(first=0.05, limit=0.05))
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    assert list(capture.frames(stop)) == []
    assert video.opens < 20  # about ten back-offs in half a second, not thousands of re-opens


def test_the_lost_camera_waits_on_stop_not_on_the_backoff(camera):
    camera.plugged.clear()
    capture = Capture(camera.open, live=True, retry=Retry(first=60, limit=60))
    stop = threading.Event()
    with pytest.raises(SourceError):
        capture.open()
    camera.plugged.set()
    capture.open()
    frames = capture.frames(stop)
    next(frames)
    camera.plugged.clear()
    finished = threading.Event()

    def drain():
        for _ in frames:
            pass
        finished.set()

    threading.Thread(target=drain, daemon=True).start()
    wait_for(lambda: capture.status.state == "lost", "the loss")
    stop.set()
    assert finished.wait(5), "a 60 s back-off held up the stop"
    assert capture.status.state == "stopped"


# --- a real `digits serve` process --------------------------------------------------------------

def edge_model(folder: Path) -> Path:
    """The shipped int8 model, or (before one is shipped) a tiny untrained CNN made with TF."""
    from digits.edge.core.shipped import default_model

    shipped = default_model("int8")
    if shipped.is_file():
        return shipped
    pytest.importorskip("tensorflow", reason="no shipped model and no TensorFlow to make a tiny one")
    import keras

    from digits.convert.tflite import convert

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    calibration = np.random.default_rng(0).integers(0, 256, (32, 28, 28), dtype=np.uint8)
    path = folder / "digits_int8.tflite"
    path.write_bytes(convert(model, "int8", calibration=calibration))
    return path


def write_video(path: Path, frames: int = 30, size: tuple[int, int] = (320, 240), fps: float = 15) -> Path:
    """A short MJPEG clip of printed digits sliding sideways."""
    w, h = size
    page = np.full((h, w, 3), 235, np.uint8)
    for i, digit in enumerate("3141"):
        cv2.putText(page, digit, (w // 16 + i * w // 5, h * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX,
                    h / 100, (20, 20, 20), max(2, h // 30))
    video = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for shift in range(frames):
        video.write(np.roll(page, shift, axis=1))
    video.release()
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> SimpleNamespace:
    folder = tmp_path_factory.mktemp("serve")
    return SimpleNamespace(model=edge_model(folder), video=write_video(folder / "clip.avi"))


class Served:
    """`digits serve` in a subprocess; its stderr lines collected as they come."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([str(DIGITS), "serve", *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()

    def url(self) -> str:
        line = wait_for(lambda: next((x for x in self.lines if "digits serve: http" in x), None)
                        or (self.proc.poll() is not None and "exited"), "the server's address")
        assert line != "exited", f"digits serve exited {self.proc.returncode}: {''.join(self.lines)}"
        return line.split()[2]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_digits_serve_cleanly(clip, sig):
    served = Served("--source", str(clip.video), "--loop", "--port", "0", "--model", str(clip.model))
    try:
        url = served.url()
        assert url.startswith("http://127.0.0.1:"), url  # loopback unless --host says otherwise
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        latest = wait_for(lambda: (j := get_json(port, "/api/latest")).get("frame", -1) >= 1 and j,
                          "frames read by the real reader")
        assert (latest["width"], latest["height"]) == (320, 240)
        assert latest["image"] == clip.video.name  # never the folders it is in
        assert {"decode", "segment", "classify", "total"} <= latest["timings_ms"].keys()
        assert get(port, "/healthz")[0] == 200
        sock, f = open_stream(port)
        assert decode(read_part(f)).shape == (240, 320, 3)

        served.proc.send_signal(sig)
        assert served.proc.wait(timeout=5) == 0, "".join(served.lines)
        assert f.read() is not None  # the stream was closed, not left hanging
        sock.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=LIMIT)
        assert not [x for x in served.lines if "Traceback" in x], "".join(served.lines)
    finally:
        served.stop()


def test_a_camera_that_is_not_there_is_one_line_and_exit_1(clip):
    run = subprocess.run([str(DIGITS), "serve", "--source", "/dev/video99", "--port", "0",
                          "--model", str(clip.model)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    errors = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert errors == ["error: /dev/video99: no such camera device"], run.stderr
    assert "Traceback" not in run.stderr


def test_a_missing_file_is_a_usage_error(clip, tmp_path):
    run = subprocess.run([str(DIGITS), "serve", "--source", str(tmp_path / "nope.avi"), "--port", "0",
                          "--model", str(clip.model)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "no such file" in run.stderr and "Traceback" not in run.stderr


# --- the real cameras of edge/capture/sources.py, with fakes below them: V4L2 (OpenCV) and Picamera2

frame_process = fake_process


def watch_loss_and_recovery(view: LiveView, camera: FakeCamera) -> None:
    port = port_of(view)
    wait_for(lambda: frames_read(port) >= 3, "frames from the camera")
    camera.plugged.clear()
    wait_for(lambda: get_json(port, "/api/latest")["camera"]["state"] == "lost", "the loss")
    assert get(port, "/healthz")[0] == 503
    camera.plugged.set()
    back = wait_for(lambda: (j := get_json(port, "/api/latest"))["camera"]["state"] == "live" and j,
                    "the camera to come back")
    assert back["camera"]["reconnects"] >= 1
    before = frames_read(port)
    wait_for(lambda: frames_read(port) > before + 3, "frames after the recovery")


def test_v4l2_camera_lost_and_back(monkeypatch, camera):
    """`--source 0`: digits.edge.capture.sources' CameraSource over a fake cv2.VideoCapture."""
    from digits.edge.capture import sources

    asked: dict[int, float] = {}

    class FakeVideoCapture:
        def __init__(self, device, backend):
            assert (device, backend) == (0, cv2.CAP_V4L2)
            self.handle = camera.open() if camera.plugged.is_set() else None

        def isOpened(self) -> bool:
            return self.handle is not None

        def set(self, prop, value) -> bool:
            asked[prop] = value
            return True

        def read(self):
            frame = self.handle.image() if self.handle else None
            return frame is not None, frame

        def release(self) -> None:
            if self.handle is not None:
                self.handle.close()
                self.handle = None

    real = sources.CameraSource
    monkeypatch.setattr(sources, "CameraSource",
                        lambda device, settings: real(device, settings, capture=FakeVideoCapture))
    capture = capture_source(parse_source("0"), SourceSettings(320, 240, 15),
                             retry=Retry(first=0.05, limit=0.2))
    capture.open()
    assert asked == {cv2.CAP_PROP_FRAME_WIDTH: 320, cv2.CAP_PROP_FRAME_HEIGHT: 240, cv2.CAP_PROP_FPS: 15}
    with LiveView(capture, frame_process, port=0) as view:
        watch_loss_and_recovery(view, camera)
    assert camera.opens == camera.closes


def test_picamera2_lost_and_back(monkeypatch, camera):
    """`--source picamera2`: digits.edge.capture.sources' PiCameraSource over a fake picamera2 module."""
    configs: list[dict] = []

    class Picamera2:
        def __init__(self):
            if not camera.plugged.is_set():
                raise RuntimeError("Camera __init__ sequence did not complete.")
            self.handle = camera.open()

        def create_video_configuration(self, main, controls):
            return {"main": main, "controls": controls}

        def configure(self, config) -> None:
            configs.append(config)

        def start(self) -> None:
            pass

        def capture_array(self, stream):
            frame = self.handle.image()
            if frame is None:
                raise RuntimeError("Camera frontend has timed out!")
            return frame

        def stop(self) -> None:
            pass

        def close(self) -> None:
            self.handle.close()

    monkeypatch.setitem(sys.modules, "picamera2", SimpleNamespace(Picamera2=Picamera2))
    capture = capture_source(parse_source("picamera2"), retry=Retry(first=0.05, limit=0.2))
    capture.open()
    assert configs[0] == {"main": {"size": (640, 480), "format": "RGB888"}, "controls": {"FrameRate": 30.0}}
    with LiveView(capture, frame_process, port=0) as view:
        watch_loss_and_recovery(view, camera)
    assert camera.opens == camera.closes


def test_picamera2_not_installed_is_a_source_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails as where it is not installed
    with pytest.raises(SourceError, match="picamera2 is not installed"):
        capture_source(parse_source("picamera2")).open()


def test_a_file_that_ends_stays_on_view():
    """Without --loop the last frame stays on the page, and the server stays up."""
    video = FakeFile()
    capture = Capture(video.open, live=False)
    capture.open()
    grey = np.full((120, 160, 3), 90, np.uint8)
    with LiveView(capture, lambda f, i, fps: fake_process(Frame(grey, i, ""), i, fps), port=0) as view:
        port = port_of(view)
        wait_for(lambda: get_json(port, "/api/latest")["camera"]["state"] == "ended", "the end")
        assert get_json(port, "/api/latest")["frame"] == 2
        assert get(port, "/healthz")[0] == 200
        sock, f = open_stream(port)  # a viewer arriving later still sees the last frame, again and again
        try:
            assert decode(read_part(f)).shape == (120, 160, 3)
            assert decode(read_part(f)).shape == (120, 160, 3)
        finally:
            sock.close()
    assert video.opens == video.closes == 1


def test_a_failing_reader_ends_the_server_with_its_error(camera):
    from digits.common.errors import DigitsError
    from digits.edge.live.serve import run_until_stopped

    def broken(frame, index, fps):
        if index == 3:
            raise ValueError("cannot reshape array")
        return fake_process(frame, index, fps)

    capture = Capture(camera.open, live=True)
    capture.open()
    view = LiveView(capture, broken, port=0)
    with pytest.raises(DigitsError, match="the read loop failed: ValueError: cannot reshape array"):
        run_until_stopped(view)
    assert camera.opens == camera.closes == 1


def test_a_camera_that_hangs_is_reported_lost(camera):
    capture = Capture(camera.open, live=True)
    capture.open()
    with LiveView(capture, fake_process, port=0, stall_s=0.3) as view:
        port = port_of(view)
        wait_for(lambda: frames_read(port) >= 3, "frames")
        camera.answering.clear()
        lost = wait_for(lambda: (j := get_json(port, "/api/latest"))["camera"]["state"] == "lost" and j,
                        "the silent camera to be reported lost")
        assert lost["camera"]["detail"].startswith("no frame for")
        assert get(port, "/healthz")[0] == 503
        camera.answering.set()
        wait_for(lambda: get_json(port, "/api/latest")["camera"]["state"] == "live", "frames again")


def test_a_camera_that_hangs_for_good_ends_the_process_for_systemd(camera):
    from digits.edge.live.serve import run_until_stopped

    capture = Capture(camera.open, live=True)
    capture.open()
    view = LiveView(capture, fake_process, port=0, stall_s=0.3, watchdog_s=1.0)
    threading.Timer(0.3, camera.answering.clear).start()
    try:
        with pytest.raises(SourceError, match="the camera gave no frame for"):
            run_until_stopped(view)
        with pytest.raises(ConnectionRefusedError):  # the server was stopped all the same
            socket.create_connection(("127.0.0.1", port_of(view)), timeout=LIMIT)
    finally:
        camera.answering.set()  # let the hung read return, so the loop thread ends
    view.loop.join(LIMIT)
    assert camera.opens == camera.closes == 1


def test_serve_bounds_its_malloc_arenas_on_glibc():
    """Two arenas keep a long-running server's RSS flat as viewers' threads come and go."""
    import platform

    from digits.edge.live.memory import bound_malloc_arenas

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert bound_malloc_arenas() is True
