"""Where the negatives' marks come from: printed and handwriting fonts, OpenCV's Hershey faces
and matplotlib's sample photos, each split between training and the gate's held-out set."""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from digits.common.fonts import FONT_DIRS, tight

# Hershey faces: always available (OpenCV draws them); each split its own
HERSHEY = {
    "train": (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
              cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC,
              cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC),
    "test": (cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL,
             cv2.FONT_HERSHEY_SCRIPT_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX | cv2.FONT_ITALIC),
}

# Pillow fonts by file-name prefix: printed faces and the handwriting fonts' letters. The
# handwriting split matches `other_writers` (their digits are held out the same way).
FONT_PREFIXES = {
    "train": ("DejaVu", "Liberation", "DancingScript", "BecauseWeBuild", "BecauseWeCreate",
              "BecauseWeLearn", "BecauseWeOrganize", "Delphine", "Rufscript", "ComicNeue"),
    "test": ("Free", "Nimbus", "C059", "P052", "Z003", "URW", "dkg", "Breip", "BecauseWeConnect",
             "BecauseWeMentor", "SteveHand"),
}

# matplotlib's sample photos (it comes with the train extra), split by file
PHOTOS = {
    "train": ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"),
    "test": ("topobathy.npz", "jacksboro_fault_dem.npz", "s1045.ima.gz"),
}


@functools.cache
def font_files(split: str) -> tuple[Path, ...]:
    """Installed .ttf/.otf files of this split, in a fixed order (none without Pillow)."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        return ()
    found = {}
    for d in FONT_DIRS:
        if d.is_dir():
            for path in d.rglob("*"):
                if path.suffix.lower() in (".ttf", ".otf") and path.name.startswith(FONT_PREFIXES[split]):
                    found.setdefault(path.name, path)
    return tuple(found[k] for k in sorted(found))


@functools.lru_cache(maxsize=256)
def _font(path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


NOT_IN_ANY_FONT = "\U0010fffd"  # a private-use code point: every font draws its missing-glyph box


def _pillow_glyph(path: Path, char: str, size: int = 80) -> np.ndarray | None:
    """The font's glyph for `char`, or None when the font lacks it (its "tofu" box would be a 0)."""
    alpha = _pillow_render(path, char, size)
    missing = _pillow_render(path, NOT_IN_ANY_FONT, size)
    if alpha is not None and missing is not None and alpha.shape == missing.shape \
            and np.array_equal(alpha, missing):
        return None
    return alpha


@functools.lru_cache(maxsize=1024)
def _pillow_render(path: Path, char: str, size: int) -> np.ndarray | None:
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (size * 3, size * 2), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 4), char, fill=255, font=_font(path, size))
    alpha = _tight(np.asarray(canvas, np.float32) / 255.0)
    if alpha is not None:
        alpha.setflags(write=False)  # cached: callers warp copies
    return alpha


def _hershey_glyph(face: int, char: str, thickness: int) -> np.ndarray | None:
    canvas = np.zeros((160, 200), np.uint8)  # (OpenCV writes text into 8-bit images only)
    cv2.putText(canvas, char, (40, 110), face, 2.2, 255, thickness, cv2.LINE_AA)
    return _tight(canvas.astype(np.float32) / 255.0)


@functools.cache
def photos(split: str) -> tuple[np.ndarray, ...]:
    """matplotlib's sample photos of this split as grey uint8 images (none without it)."""
    try:
        import matplotlib
    except ImportError:
        return ()
    folder = Path(matplotlib.get_data_path()) / "sample_data"
    out = []
    for name in PHOTOS[split]:
        path = folder / name
        if not path.is_file():
            continue
        if name.endswith(".npz"):
            with np.load(path) as npz:
                grey = np.asarray(npz[npz.files[0]], np.float64)
        elif name.endswith(".ima.gz"):
            import gzip

            grey = np.frombuffer(gzip.decompress(path.read_bytes()), np.uint16).astype(np.float64)
            side = int(np.sqrt(grey.size))
            grey = grey[: side * side].reshape(side, side)
        else:
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                continue
            grey = image.astype(np.float64)
        grey = (grey - grey.min()) / max(np.ptp(grey), 1e-9)
        out.append((grey * 255).astype(np.uint8))
    return tuple(out)


def _tight(alpha: np.ndarray) -> np.ndarray | None:
    """The tight box of the mark's ink, or None for an empty canvas."""
    out = tight(alpha)
    return None if out.shape == (1, 1) and not out.any() else out
