"""Frame sources: images, folders, a video written here, cameras (a fake one), and their errors."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from digits.common.errors import UsageError
from digits.edge.capture.capture import Capture, Retry
from digits.edge.capture.images import image_size, read_image
from digits.edge.capture.sources import (
    CameraSource,
    ImageSource,
    SourceSettings,
    VideoSource,
    image_paths,
    open_source,
    parse_source,
)
from digits.edge.errors import ImageError, SourceError


def frame(i: int, size=(120, 160)) -> np.ndarray:
    image = np.full((*size, 3), 200, np.uint8)
    cv2.putText(image, str(i), (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
    return image


@pytest.fixture
def folder(tmp_path):
    for name in ("b.png", "a.jpg", "c.bmp"):
        cv2.imwrite(str(tmp_path / name), frame(ord(name[0])))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    return tmp_path


def test_folders_give_their_images_sorted_and_files_pass_through(folder):
    assert [p.name for p in image_paths([folder])] == ["a.jpg", "b.png", "c.bmp"]
    assert image_paths([folder / "notes.txt"]) == [folder / "notes.txt"]  # named explicitly
    with pytest.raises(UsageError, match="no such file"):
        image_paths([folder / "missing.png"])


def test_image_source_reads_one_frame_per_image(folder):
    with open_source(folder) as frames:
        got = list(frames)
    assert [f.index for f in got] == [0, 1, 2]
    assert [f.name.rsplit("/", 1)[-1] for f in got] == ["a.jpg", "b.png", "c.bmp"]
    assert all(f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8 for f in got)
    with open_source(folder / "b.png") as frames:
        assert len(list(frames)) == 1


def test_image_source_skips_a_bad_image_and_reports_it(folder):
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    skipped = []
    frames = list(ImageSource(image_paths([folder]), on_skip=lambda what, msg: skipped.append((what, msg))))
    assert len(frames) == 3 and len(skipped) == 1
    what, msg = skipped[0]
    assert what.name == "bad.png" and str(folder) not in what.reason and "bad.png" in msg


def test_read_image_errors_are_one_clear_line(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_image(tmp_path / "nope.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty file"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "text.jpg").write_text("hello")
    with pytest.raises(ImageError, match="not an image"):
        read_image(tmp_path / "text.jpg")


def test_read_image_one_pixel_and_huge(tmp_path):
    cv2.imwrite(str(tmp_path / "one.png"), np.zeros((1, 1, 3), np.uint8))
    image, ms = read_image(tmp_path / "one.png")
    assert image.shape == (1, 1, 3) and ms >= 0
    # a 10000 x 10000 PNG header: refused before decoding, without allocating 300 MB
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (10000).to_bytes(4, "big") * 2 + b"\x08\x02"
    assert image_size(header) == (10000, 10000)
    (tmp_path / "huge.png").write_bytes(header + b"\x00" * 64)
    with pytest.raises(ImageError, match="too large"):
        read_image(tmp_path / "huge.png")


def test_image_size_reads_jpeg_headers(tmp_path):
    ok, data = cv2.imencode(".jpg", np.zeros((37, 53, 3), np.uint8))
    assert image_size(data.tobytes()) == (53, 37)
    assert image_size(b"GIF89a") is None


def test_video_source_yields_frames_one_at_a_time_until_it_ends(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for i in range(7):
        writer.write(frame(i))
    writer.release()
    with open_source(path) as frames:
        assert isinstance(frames, VideoSource)
        first = next(iter(frames))
        assert first.index == 0 and first.image.shape == (120, 160, 3)
        rest = list(frames)
    assert [f.index for f in rest] == list(range(1, 7))


def test_a_file_that_is_no_video_is_a_source_error(tmp_path):
    (tmp_path / "clip.avi").write_bytes(b"RIFF nothing here")
    with pytest.raises(SourceError):
        list(open_source(tmp_path / "clip.avi"))


class FakeCapture:
    """Stands in for cv2.VideoCapture: `script` says which reads succeed (True) or fail."""

    def __init__(self, script, opened=True):
        self.script, self.opened, self.props, self.released = list(script), opened, {}, 0

    def __call__(self, device, backend=None):
        self.device, self.backend = device, backend
        return self

    def isOpened(self):
        return self.opened

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def read(self):
        if not self.script:
            return False, None
        return (True, frame(len(self.script))) if self.script.pop(0) else (False, None)

    def release(self):
        self.released += 1


def test_camera_asks_for_size_and_rate_and_survives_dropped_frames():
    fake = FakeCapture([True, False, False, True, True])
    capture = Capture(lambda: CameraSource(0, SourceSettings(640, 480, 15), capture=fake), live=True)
    assert fake.props == {} and parse_source("0").live
    frames = capture.frames(threading.Event())
    assert [next(frames).index for _ in range(3)] == [0, 1, 2]
    assert fake.props == {cv2.CAP_PROP_FRAME_WIDTH: 640, cv2.CAP_PROP_FRAME_HEIGHT: 480,
                          cv2.CAP_PROP_FPS: 15}
    assert capture.status.reconnects == 0  # two dropped frames are not a lost camera
    frames.close()


def test_camera_that_stops_is_reopened_once_then_a_source_error():
    fake = FakeCapture([True] + [False] * 30)
    capture = Capture(lambda: CameraSource(0, capture=fake), live=True,
                      retry=Retry(reads=3, first=0.01, attempts=1))
    with pytest.raises(SourceError, match="camera:0: camera stopped delivering frames"):
        list(capture.frames(threading.Event()))
    assert fake.released >= 2  # released before reopening, and at the end


def test_camera_that_is_not_there():
    with pytest.raises(SourceError, match="not there"):
        CameraSource(3, capture=FakeCapture([], opened=False))
    with pytest.raises(SourceError, match="no such camera"):
        open_source("/dev/video99")


def test_open_source_understands_every_spec(folder, monkeypatch):
    opened = []
    monkeypatch.setattr("digits.edge.capture.sources.CameraSource",
                        lambda device, settings: opened.append(device) or SimpleNamespace(kind="camera"))
    assert open_source("0").kind == "camera" and open_source(2, SourceSettings(rotate=90)).rotation == 90
    assert opened == [0, 2]
    assert parse_source("/dev/video2").device == "/dev/video2" and parse_source("picamera2").live
    assert parse_source(folder).kind == "images" and not parse_source(folder).live
    with pytest.raises(UsageError, match="no such file"):
        open_source(folder / "missing.mp4")
    with pytest.raises(UsageError, match="no images"):
        open_source(folder / "sub")


def test_picamera2_is_imported_only_when_asked(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "picamera2", None)  # not installed
    with pytest.raises(SourceError, match="picamera2 is not installed"):
        open_source("picamera2")
