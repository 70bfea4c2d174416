"""Where frames come from: image files, folders, videos, USB cameras, the Pi camera.

`--source` is parsed once, by `parse_source`, into a `SourceSpec`; `open_source` opens it as a
`Source`: an object whose `read()` gives the next `Frame`, or None when it has none (a file
ended, a camera read failed), that is also an iterator of frames and a context manager that
releases the device. A video is never held in memory: one frame is decoded per `read()`.
What to do when a read fails (retry, re-open, give up) is `digits.edge.capture.capture`'s
business alone.

    photo.jpg | folder/ | clip.avi | 0 | /dev/video2 | picamera2

API:
    SourceSpec(kind, text, device=None, paths=()); spec.live   # camera | picamera2 | video | images
    parse_source(text) -> SourceSpec          # a missing path or an empty folder: UsageError
    Frame(image: BGR uint8 ndarray, index: int, name: str, decode_ms: float)
    open_source(spec, settings=SourceSettings(), on_skip=None) -> Source
    image_paths(paths) -> list[Path]          # files and folders (sorted) to image files

Errors: a path that does not exist is a UsageError (exit 2); an image that cannot be decoded
an ImageError, a camera that is not there a SourceError (exit 1).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from digits.common.errors import UsageError
from digits.edge.capture.images import display, quiet_opencv, read_image
from digits.edge.core.orient import rotate
from digits.edge.errors import ImageError, SourceError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm",
                            ".ppm", ".pbm", ".pnm", ".jp2", ".sr", ".ras"})
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg",
                            ".mjpg", ".mjpeg", ".h264", ".wmv", ".flv", ".gif"})
CAMERA_PREFIX = "/dev/video"


@dataclass(frozen=True)
class Frame:
    image: np.ndarray = field(repr=False)  # BGR uint8
    index: int  # frame number within the source, from 0
    name: str  # the file, or "camera:0", "picamera2"
    decode_ms: float = 0.0  # time spent decoding or grabbing this frame


@dataclass(frozen=True)
class SourceSettings:
    """What a camera is asked for, and how every frame of any source is turned."""

    width: int = 640
    height: int = 480
    fps: float = 30.0
    rotate: int = 0  # degrees clockwise, applied right after capture or decoding: 0, 90, 180, 270


@dataclass(frozen=True)
class SourceSpec:
    """What `--source` named, parsed once."""

    kind: str  # "camera" (V4L2) | "picamera2" | "video" | "images"
    text: str  # as the user wrote it
    device: int | str | None = None  # a camera's index or /dev/videoN
    paths: tuple[Path, ...] = ()  # the video, or the images (a folder's, sorted)

    @property
    def live(self) -> bool:
        """A camera, which may come back when lost, rather than a file, which ends."""
        return self.kind in ("camera", "picamera2")


@dataclass(frozen=True)
class Skipped:
    """An image of a folder that could not be read, and why (without its path)."""

    name: str
    reason: str


def parse_source(spec: str | int | os.PathLike | SourceSpec) -> SourceSpec:
    """The one reading of `--source`: a camera index, /dev/videoN, picamera2, a file or folder."""
    if isinstance(spec, SourceSpec):
        return spec
    text = str(spec).strip()
    if text == "picamera2":
        return SourceSpec("picamera2", text)
    if text.isdigit():
        return SourceSpec("camera", text, device=int(text))
    if text.startswith(CAMERA_PREFIX):
        return SourceSpec("camera", text, device=text)
    path = Path(text)
    if path.is_dir():
        paths = image_paths([path])
        if not paths:
            raise UsageError(f"{display(path)}: no images in this folder")
        return SourceSpec("images", text, paths=tuple(paths))
    if not path.is_file():
        raise UsageError(f"{display(path)}: no such file, folder or camera")
    kind = "images" if path.suffix.lower() in IMAGE_SUFFIXES else "video"
    return SourceSpec(kind, text, paths=(path,))


def image_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders into image files: a folder gives its images, sorted by name."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir()
                              if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.exists():  # a FIFO or device named explicitly is refused by read_image, in one line
            out.append(path)
        else:
            raise UsageError(f"{display(path)}: no such file or folder")
    return out


# --- sources -----------------------------------------------------------------------------------

class Source:
    """Frames from a device or a file, one `read()` at a time; close it (or use `with`)."""

    name = "source"

    rotation = 0  # degrees clockwise

    def read(self) -> Frame | None:
        """The next frame, or None: a file has ended, or a camera gave nothing this time."""
        frame = self._next()
        if frame is not None and self.rotation:
            frame = replace(frame, image=rotate(frame.image, self.rotation))
        return frame

    def _next(self) -> Frame | None:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ImageSource(Source):
    """Image files in order; an unreadable one is reported through `on_skip` and skipped."""

    def __init__(self, paths: list[Path], on_skip: Callable[[Skipped, str], None] | None = None):
        self.paths = list(paths)
        self.name = str(self.paths[0]) if len(self.paths) == 1 else f"{len(self.paths)} images"
        self.on_skip = on_skip
        self._at = 0

    def _next(self) -> Frame | None:
        while self._at < len(self.paths):
            i, path = self._at, self.paths[self._at]
            self._at += 1
            try:
                image, ms = read_image(path)
            except (ImageError, UsageError) as exc:
                if self.on_skip is None:
                    raise
                reason = str(exc).removeprefix(f"{display(path)}: ")
                self.on_skip(Skipped(display(path.name), reason), str(exc))
                continue
            return Frame(image, i, str(path), ms)
        return None


class _OpenCVSource(Source):
    """Frames from an OpenCV VideoCapture (`self._cap`), numbered as they come."""

    name: str
    _index: int
    _cap: object

    def _grab(self):
        """(image or None, milliseconds the read took)."""
        start = time.perf_counter()
        ok, image = self._cap.read()
        ms = (time.perf_counter() - start) * 1e3
        return (image if ok and image is not None and image.size else None), ms

    def _frame(self, image, ms: float) -> Frame:
        self._index += 1
        return Frame(image, self._index - 1, self.name, ms)

    def close(self) -> None:
        self._cap.release()


class VideoSource(_OpenCVSource):
    """A video file, one decoded frame at a time, until it ends."""

    def __init__(self, path: Path, capture: Callable = cv2.VideoCapture):
        self.name = str(path)
        self._index = 0
        with quiet_opencv():
            self._cap = capture(str(path))
        if not self._cap.isOpened():
            raise SourceError(f"{path}: not a video OpenCV can open")

    def _next(self) -> Frame | None:
        image, ms = self._grab()
        if image is None:
            if self._index == 0:
                raise SourceError(f"{self.name}: no frames could be decoded")
            return None
        return self._frame(image, ms)


class CameraSource(_OpenCVSource):
    """A V4L2 camera (index or /dev/videoN) at the requested size and rate."""

    def __init__(self, device: int | str, settings: SourceSettings = SourceSettings(),
                 capture: Callable = cv2.VideoCapture):
        self.device, self.settings = device, settings
        self.name = f"camera:{device}"
        self._index = 0
        if isinstance(device, str) and not os.path.exists(device):
            raise SourceError(f"{device}: no such camera device")
        backend = getattr(cv2, "CAP_V4L2", 200)
        with quiet_opencv():  # its own warnings would repeat our one-line error
            self._cap = capture(device, backend)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"{self.name}: camera is not there or is busy")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
        self._cap.set(cv2.CAP_PROP_FPS, settings.fps)

    def _next(self) -> Frame | None:
        image, ms = self._grab()
        return None if image is None else self._frame(image, ms)


class PiCameraSource(Source):
    """The Raspberry Pi camera through picamera2, imported only when asked for.

    picamera2's "RGB888" format is laid out B, G, R in memory: OpenCV's BGR, no conversion.
    """

    name = "picamera2"

    def __init__(self, settings: SourceSettings = SourceSettings()):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("picamera2 is not installed (on a Pi: sudo apt install "
                              "python3-picamera2, and a venv with --system-site-packages)") from None
        self._index = 0
        try:
            self._cam = Picamera2()
            config = self._cam.create_video_configuration(
                main={"size": (settings.width, settings.height), "format": "RGB888"},
                controls={"FrameRate": float(settings.fps)})
            self._cam.configure(config)
            self._cam.start()
        except Exception as exc:  # libcamera raises many kinds when no camera is attached
            raise SourceError(f"picamera2: camera is not there ({exc})") from None

    def _next(self) -> Frame | None:
        start = time.perf_counter()
        try:
            image = self._cam.capture_array("main")
        except Exception as exc:
            raise SourceError(f"picamera2: camera stopped delivering frames ({exc})") from None
        self._index += 1
        return Frame(np.ascontiguousarray(image[..., :3]), self._index - 1, self.name,
                     (time.perf_counter() - start) * 1e3)

    def close(self) -> None:
        try:
            self._cam.stop()
            self._cam.close()
        except Exception:
            pass


def open_source(spec: str | int | os.PathLike | SourceSpec, settings: SourceSettings = SourceSettings(),
                on_skip: Callable[[Skipped, str], None] | None = None) -> Source:
    """Open what `--source` names (parsed by `parse_source` if it is not a SourceSpec yet)."""
    spec = parse_source(spec)
    if spec.kind == "picamera2":
        source: Source = PiCameraSource(settings)
    elif spec.kind == "camera":
        source = CameraSource(spec.device, settings)
    elif spec.kind == "images":
        source = ImageSource(list(spec.paths), on_skip)
    else:
        source = VideoSource(spec.paths[0])
    source.rotation = settings.rotate
    return source
