"""Image files to BGR frames: one decoder path for `digits read`, `camera` and `serve`.

API:
    read_image(path) -> (ndarray, decode_ms)  # raises ImageError / UsageError
    image_size(head: bytes) -> (width, height) | None
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from digits.common.errors import UsageError
from digits.edge.errors import ImageError

MAX_PIXELS = 40_000_000  # bigger images are decoded at a reduced size (JPEG) or refused
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


