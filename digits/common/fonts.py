"""Handwriting fonts from Debian packages: digits (and letters) from other hands than MNIST's.

Training draws extra writers from them, evaluation keeps its own fonts apart, and the scene
generator lays them out on pages. Pillow draws them; it is imported only when a glyph is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

# Debian packages whose fonts imitate handwriting: `apt-get install` them for the font writers.
# (fonts-femkeklaver is left out: its digits are drawn in outline, as no pen writes.)
FONT_PACKAGES = ("fonts-dkg-handwriting", "fonts-breip", "fonts-bwht", "fonts-sjfonts",
                 "fonts-rufscript", "fonts-comic-neue")
FONT_FILES = ("dkg.ttf", "dkgBd.ttf", "dkgIt.ttf", "Breip.ttf",
              "BecauseWeBuild-Regular.otf", "BecauseWeConnect-Regular.otf",
              "BecauseWeCreate-Regular.otf", "BecauseWeLearn-Regular.otf",
              "BecauseWeMentor-Regular.otf", "BecauseWeOrganize-Regular.otf", "Delphine.ttf",
              "SteveHand.ttf", "Rufscript010.ttf", "ComicNeue-Regular.otf", "ComicNeue-Bold.otf",
              "ComicNeue-Italic.otf")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


def find_fonts(dirs: Iterable[Path] = FONT_DIRS) -> list[Path]:
    """The handwriting fonts from FONT_PACKAGES that are installed here, in a fixed order."""
    found = {}
    for d in dirs:
        if d.is_dir():
            for path in d.rglob("*"):
                if path.name in FONT_FILES and path.name not in found:
                    found[path.name] = path
    return [found[name] for name in FONT_FILES if name in found]


def render_font_digit(font_path: Path, label: int, size: int = 96) -> np.ndarray:
    """A font's digit as a tight float32 alpha mask in [0, 1] (ink 1)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), size)
    canvas = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 4), str(label), fill=255, font=font)
    return tight(np.asarray(canvas, np.float32) / 255.0)


def tight(alpha: np.ndarray, level: float = 0.1) -> np.ndarray:
    rows = np.flatnonzero((alpha > level).any(axis=1))
    cols = np.flatnonzero((alpha > level).any(axis=0))
    if len(rows) == 0:
        return np.zeros((1, 1), np.float32)
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
