"""Image files to BGR frames: one decoder path for `digits read`, `camera` and `serve`.

A file is checked before it is decoded, so no file can take the process's memory or time:
it must be a regular file (not a FIFO or a device) of at most MAX_FILE_BYTES, and its header
must promise at most MAX_PIXELS. The header is probed here for PNG, JPEG, WebP, TIFF, BMP,
GIF, PNM/PAM/PFM, Sun raster, JPEG 2000 and Radiance HDR; any other format OpenCV knows
(AVIF) is held to the same limit by OpenCV itself (OPENCV_IO_MAX_IMAGE_PIXELS, set below
before OpenCV is first imported). A JPEG over the limit is decoded at 1/2, 1/4 or 1/8 size.

What comes out is always BGR uint8: a JPEG turned as its EXIF orientation says, transparency
composited on white (dark ink on a transparent page reads as ink on paper), 16-bit and
float images scaled to 8 bits, grey expanded, only the first page or frame of a TIFF or GIF.
Every failure is one ImageError line naming the file.

API:
    read_image(path) -> (ndarray, decode_ms)   # raises ImageError / UsageError
    image_size(head: bytes) -> (width, height) | None
    display(path) -> str                       # the name to print, whatever its bytes
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import time
from pathlib import Path

MAX_PIXELS = 40_000_000  # bigger images are decoded at a reduced size (JPEG) or refused
MAX_FILE_BYTES = 64 << 20  # a 40 MP photo is 10-30 MB as JPEG; anything bigger is refused unread
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))  # before OpenCV loads

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from digits.common.errors import UsageError  # noqa: E402
from digits.edge.errors import ImageError  # noqa: E402

REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


@contextlib.contextmanager
def quiet_opencv(level: str = "LOG_LEVEL_ERROR"):
    """Silence OpenCV's own log lines (a decoder's warnings, "can't open camera by index") for a
    moment: they would repeat, less clearly, the one line we print."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        yield
        return
    before = logging.getLogLevel()
    logging.setLogLevel(getattr(logging, level))
    try:
        yield
    finally:
        logging.setLogLevel(before)


def display(path: str | os.PathLike) -> str:
    """A file name as text that can always be printed: undecodable bytes become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")



# --- reading -----------------------------------------------------------------------------------

def read_image(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """Decode one image file to BGR uint8; (image, milliseconds spent)."""
    path = Path(path)
    name = display(path)
    start = time.perf_counter()
    data = _read_bytes(path, name)
    size = image_size(data)
    flags = cv2.IMREAD_UNCHANGED
    jpeg = data[:2] == b"\xff\xd8"
    if jpeg:
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION  # turned below, at any scale
    if size and size[0] * size[1] > MAX_PIXELS:
        w, h = size
        if not jpeg or w * h / 64 > MAX_PIXELS:
            raise ImageError(f"{name}: {w}x{h} is too large to read (limit "
                             f"{MAX_PIXELS // 1_000_000} MP); scale it down first")
        factor = next(f for f in (2, 4, 8) if w * h / f**2 <= MAX_PIXELS)
        flags = REDUCED[factor] | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        with quiet_opencv("LOG_LEVEL_SILENT"):
            image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as exc:
        too_big = "CV_IO_MAX_IMAGE" in str(exc)
        raise ImageError(f"{name}: " + (f"too large to read (limit {MAX_PIXELS // 1_000_000} MP)"
                                        if too_big else "not an image OpenCV can decode")) from None
    if image is None or image.size == 0:
        raise ImageError(f"{name}: not an image OpenCV can decode")
    image = _to_bgr8(image)
    if jpeg:
        image = _orient(image, exif_orientation(data))
    return image, (time.perf_counter() - start) * 1e3


def _read_bytes(path: Path, name: str) -> bytes:
    """The file's bytes, refused before reading if it is no regular file or is too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a folder") from None
    except OSError as exc:
        raise ImageError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{name}: is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise ImageError(f"{name}: not a regular file (a device, FIFO or socket)")
        if info.st_size > MAX_FILE_BYTES:
            raise ImageError(f"{name}: {info.st_size / 2**20:,.0f} MiB is too large to read "
                             f"(limit {MAX_FILE_BYTES >> 20} MiB)")
        chunks, left = [], MAX_FILE_BYTES + 1  # the file may grow while it is read
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise ImageError(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if not data:
        raise ImageError(f"{name}: empty file")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name}: too large to read (limit {MAX_FILE_BYTES >> 20} MiB)")
    return data


def _to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded image as BGR uint8: alpha over white, 16-bit and float scaled, grey expanded."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        top = 1.0 if image.dtype.kind == "f" else float(np.iinfo(image.dtype).max)
        image = (np.clip(image.astype(np.float32) / top, 0, 1) * 255).round().astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 2:  # grey and alpha
        grey, alpha = image[..., 0], image[..., 1]
        return cv2.cvtColor(_over_white(grey[..., None], alpha)[..., 0], cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return _over_white(image[..., :3], image[..., 3])
    return np.ascontiguousarray(image[..., :3])


def _over_white(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.uint16)[..., None]
    return ((colour.astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def _orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) as OpenCV's IMREAD_COLOR does for a JPEG."""
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    if orientation == 5:
        return cv2.transpose(image)
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(image), -1)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag (1-8) of a JPEG, 1 when it has none."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xDA, 0xD9):  # image data: no more metadata
            break
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\0\0":
            tiff = data[i + 10 : i + 2 + length]
            for tag, _type, _count, value in _ifd_entries(tiff):
                if tag == 0x0112:
                    return value if 1 <= value <= 8 else 1
            return 1
        i += 2 + length
    return 1


# --- header probes -----------------------------------------------------------------------------

def _ifd_entries(tiff: bytes, which: int = 0):
    """(tag, type, count, first value) of a TIFF's first IFD."""
    if tiff[:4] not in (b"II*\0", b"MM\0*"):
        return
    end = "<" if tiff[:2] == b"II" else ">"
    offset = struct.unpack(end + "I", tiff[4:8])[0]
    if offset + 2 > len(tiff):
        return
    count = struct.unpack(end + "H", tiff[offset : offset + 2])[0]
    for k in range(min(count, 512)):
        at = offset + 2 + 12 * k
        if at + 12 > len(tiff):
            return
        tag, kind, n = struct.unpack(end + "HHI", tiff[at : at + 8])
        raw = tiff[at + 8 : at + 12]
        value = struct.unpack(end + "H", raw[:2])[0] if kind == 3 else struct.unpack(end + "I", raw)[0]
        yield tag, kind, n, value


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a file's header without decoding it, or None for a format not probed."""
    head = data[:64]
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and len(head) >= 30:
        chunk = head[12:16]
        if chunk == b"VP8 ":
            return (int.from_bytes(head[26:28], "little") & 0x3FFF,
                    int.from_bytes(head[28:30], "little") & 0x3FFF)
        if chunk == b"VP8L":
            bits = int.from_bytes(head[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":
            return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
        return None
    if head[:4] in (b"II*\0", b"MM\0*"):
        tags = {tag: value for tag, _k, _n, value in _ifd_entries(data)}
        return (tags[256], tags[257]) if 256 in tags and 257 in tags else None
    if head[:2] == b"BM" and len(head) >= 26:
        if int.from_bytes(head[14:18], "little") == 12:  # OS/2 header
            return int.from_bytes(head[18:20], "little"), int.from_bytes(head[20:22], "little")
        w, h = struct.unpack("<ii", head[18:26])
        return abs(w), abs(h)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:4] == b"\x59\xa6\x6a\x95" and len(head) >= 12:  # Sun raster
        return int.from_bytes(head[4:8], "big"), int.from_bytes(head[8:12], "big")
    if head[:1] == b"P" and head[1:2] in b"1234567fF":
        return _pnm_size(data[:4096])
    if head[:12] == b"\0\0\0\x0cjP  \r\n\x87\n":  # JPEG 2000 (JP2): the ihdr box
        at = data.find(b"ihdr", 0, 4096)
        if at > 0:
            return int.from_bytes(data[at + 8 : at + 12], "big"), int.from_bytes(data[at + 4 : at + 8], "big")
        return None
    if head[:4] == b"\xff\x4f\xff\x51" and len(head) >= 24:  # a bare JPEG 2000 codestream: SIZ
        xs, ys, xo, yo = struct.unpack(">IIII", head[8:24])
        return xs - xo, ys - yo
    if head[:2] == b"#?":  # Radiance HDR: "-Y h +X w" after the header lines
        text = data[:4096].split(b"\n\n", 1)
        if len(text) == 2:
            parts = text[1].split(b"\n", 1)[0].split()
            if len(parts) == 4 and parts[1].isdigit() and parts[3].isdigit():
                return int(parts[3]), int(parts[1])
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _pnm_size(head: bytes) -> tuple[int, int] | None:
    if head[1:2] == b"7":  # PAM: WIDTH and HEIGHT lines
        fields = dict(line.split(None, 1) for line in head.split(b"\n") if b" " in line.strip())
        try:
            return int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
        except (KeyError, ValueError):
            return None
    words: list[bytes] = []
    for line in head[2:].split(b"\n"):
        words.extend(line.split(b"#", 1)[0].split())
        if len(words) >= 2:
            break
    try:
        return int(words[0]), int(words[1])
    except (IndexError, ValueError):
        return None
