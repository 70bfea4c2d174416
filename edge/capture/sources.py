"""Where frames come from: image files, folders, videos, USB cameras, the Pi camera.

Every source is an iterator of `Frame`s that reads one frame at a time (a video is never held
in memory) and a context manager that releases the device. `open_source(spec)` accepts what
`--source` accepts:

    photo.jpg | folder/ | clip.avi | 0 | /dev/video2 | picamera2

API:
    Frame(image: BGR uint8 ndarray, index: int, name: str, decode_ms: float)
    open_source(spec, width=640, height=480, fps=30, on_skip=None) -> Source
    Source: iterable of Frame; .close(); `with open_source(...) as frames: for f in frames: ...`
    image_paths(paths) -> list[Path]          # files and folders (sorted) to image files
    read_image(path) -> (ndarray, decode_ms)  # raises ImageError / UsageError

Errors: a path that does not exist is a UsageError (exit 2); an image that cannot be decoded
an ImageError, a camera that is not there or stops delivering a SourceError (exit 1).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from digits.edge.errors import ImageError, SourceError

from digits.common.errors import UsageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm",
                            ".ppm", ".pbm", ".pnm", ".jp2", ".sr", ".ras"})
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg",
                            ".mjpg", ".mjpeg", ".h264", ".wmv", ".flv", ".gif"})
MAX_PIXELS = 40_000_000  # bigger images are decoded at a reduced size (JPEG) or refused
CAMERA_RETRIES = 5  # reads in a row that may fail (a camera dropping out) before giving up


@dataclass(frozen=True)
class Frame:
    image: np.ndarray = field(repr=False)  # BGR uint8
    index: int  # frame number within the source, from 0
    name: str  # the file, or "camera:0", "picamera2"
    decode_ms: float = 0.0  # time spent decoding or grabbing this frame


# --- files -------------------------------------------------------------------------------------

def image_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders into image files: a folder gives its images, sorted by name."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir()
                              if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return out


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header without decoding it, or None."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(head):
            if head[i] != 0xFF:
                i += 1
                continue
            marker = head[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                return int.from_bytes(head[i + 7 : i + 9], "big"), int.from_bytes(head[i + 5 : i + 7], "big")
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + int.from_bytes(head[i + 2 : i + 4], "big")
    return None


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """Decode one image file to BGR uint8; (image, milliseconds spent)."""
    path = Path(path)
    start = time.perf_counter()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data:
        raise ImageError(f"{path}: empty file")
    flags = cv2.IMREAD_COLOR
    size = image_size(data[:65536])
    if size and size[0] * size[1] > MAX_PIXELS:
        w, h = size
        if data[:2] != b"\xff\xd8":
            raise ImageError(f"{path}: {w}x{h} is too large to read (limit "
                             f"{MAX_PIXELS // 1_000_000} MP); scale it down first")
        factor = next((f for f in (2, 4, 8) if w * h / f**2 <= MAX_PIXELS), 8)
        flags = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 8: cv2.IMREAD_REDUCED_COLOR_8}[factor]
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None or image.size == 0:
        raise ImageError(f"{path}: not an image OpenCV can decode")
    return image, (time.perf_counter() - start) * 1e3


# --- sources -----------------------------------------------------------------------------------

@contextlib.contextmanager
def quiet_opencv():
    """Silence OpenCV's own log lines (e.g. "can't open camera by index") for a moment."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        yield
        return
    before = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        logging.setLogLevel(before)


class Source:
    """An iterator of frames that owns a device or file; close it (or use `with`)."""

    name = "source"

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ImageSource(Source):
    """Image files in order; an unreadable one is reported through `on_skip` and skipped."""

    def __init__(self, paths: list[Path], on_skip: Callable[[str], None] | None = None):
        self.paths = paths
        self.name = str(paths[0]) if len(paths) == 1 else f"{len(paths)} images"
        self.on_skip = on_skip

    def __iter__(self) -> Iterator[Frame]:
        for i, path in enumerate(self.paths):
            try:
                image, ms = read_image(path)
            except (ImageError, UsageError) as exc:
                if self.on_skip is None:
                    raise
                self.on_skip(str(exc))
                continue
            yield Frame(image, i, str(path), ms)


class VideoSource(Source):
    """A video file, one decoded frame at a time, until it ends."""

    def __init__(self, path: Path, capture: Callable = cv2.VideoCapture):
        self.name = str(path)
        self._index = 0
        with quiet_opencv():
            self._cap = capture(str(path))
        if not self._cap.isOpened():
            raise SourceError(f"{path}: not a video OpenCV can open")

    def __iter__(self) -> Iterator[Frame]:
        while True:  # the frame count lives on the source: iterating again continues
            start = time.perf_counter()
            ok, image = self._cap.read()
            if not ok or image is None:
                if self._index == 0:
                    raise SourceError(f"{self.name}: no frames could be decoded")
                return
            self._index += 1
            yield Frame(image, self._index - 1, self.name, (time.perf_counter() - start) * 1e3)

    def close(self) -> None:
        self._cap.release()


class CameraSource(Source):
    """A V4L2 camera (index or /dev/videoN) at the requested size and rate.

    A camera that drops a few frames (a loose USB cable, exposure change) is given
    CAMERA_RETRIES reads, then reopened once; only then does it raise SourceError.
    """

    def __init__(self, device: int | str, width: int = 640, height: int = 480, fps: float = 30,
                 capture: Callable = cv2.VideoCapture):
        self.device, self.width, self.height, self.fps = device, width, height, fps
        self.name = f"camera:{device}"
        self._capture = capture
        self._index = 0
        self._cap = self._open()

    def _open(self):
        if isinstance(self.device, str) and not os.path.exists(self.device):
            raise SourceError(f"{self.device}: no such camera device")
        backend = getattr(cv2, "CAP_V4L2", 200)
        with quiet_opencv():  # its own warnings would repeat our one-line error
            cap = self._capture(self.device, backend)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.name}: camera is not there or is busy")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        return cap

    def __iter__(self) -> Iterator[Frame]:
        failures, reopened = 0, False
        while True:
            start = time.perf_counter()
            ok, image = self._cap.read()
            if ok and image is not None and image.size:
                failures = 0
                self._index += 1
                yield Frame(image, self._index - 1, self.name, (time.perf_counter() - start) * 1e3)
                continue
            failures += 1
            if failures < CAMERA_RETRIES:
                time.sleep(0.05 * failures)
                continue
            if reopened:
                raise SourceError(f"{self.name}: camera stopped delivering frames")
            self._cap.release()
            self._cap, failures, reopened = self._open(), 0, True

    def close(self) -> None:
        self._cap.release()


class PiCameraSource(Source):
    """The Raspberry Pi camera through picamera2, imported only when asked for.

    picamera2's "RGB888" format is laid out B, G, R in memory: OpenCV's BGR, no conversion.
    """

    name = "picamera2"

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("picamera2 is not installed (on a Pi: sudo apt install "
                              "python3-picamera2, and a venv with --system-site-packages)") from None
        try:
            self._cam = Picamera2()
            config = self._cam.create_video_configuration(
                main={"size": (width, height), "format": "RGB888"},
                controls={"FrameRate": float(fps)})
            self._cam.configure(config)
            self._cam.start()
        except Exception as exc:  # libcamera raises many kinds when no camera is attached
            raise SourceError(f"picamera2: camera is not there ({exc})") from None

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while True:
            start = time.perf_counter()
            try:
                image = self._cam.capture_array("main")
            except Exception as exc:
                raise SourceError(f"picamera2: camera stopped delivering frames ({exc})") from None
            yield Frame(np.ascontiguousarray(image[..., :3]), index, self.name,
                        (time.perf_counter() - start) * 1e3)
            index += 1

    def close(self) -> None:
        try:
            self._cam.stop()
            self._cam.close()
        except Exception:
            pass


def open_source(spec: str | int, width: int = 640, height: int = 480, fps: float = 30,
                on_skip: Callable[[str], None] | None = None) -> Source:
    """The source `--source` names: a camera index, /dev/videoN, picamera2, a file or folder."""
    text = str(spec).strip()
    if text == "picamera2":
        return PiCameraSource(width, height, fps)
    if text.isdigit():
        return CameraSource(int(text), width, height, fps)
    if text.startswith("/dev/video"):
        return CameraSource(text, width, height, fps)
    path = Path(text)
    if path.is_dir():
        paths = image_paths([path])
        if not paths:
            raise UsageError(f"{path}: no images in this folder")
        return ImageSource(paths, on_skip)
    if not path.is_file():
        raise UsageError(f"{path}: no such file, folder or camera")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], on_skip)
    return VideoSource(path)
