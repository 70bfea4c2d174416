"""Digits from other hands than MNIST's: the handwriting fonts installed from Debian packages.

MNIST is the training set, not the world. Each installed handwriting font (see
`digits.common.fonts.FONT_PACKAGES`) writes every digit a number of times, slanted, scaled and
with a thinner or bolder pen, and each goes through the one preprocessing contract. Accuracy
per font says how the model does on shapes it never trained on (European 1s and 7s, script 4s).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from digits.edge.core.preprocess import to_mnist

from digits.common.fonts import find_fonts, render_font_digit


@dataclass(frozen=True)
class FontDigits:
    images: np.ndarray  # (n, 28, 28) float32 in [0, 1]
    labels: np.ndarray  # (n,)
    fonts: np.ndarray  # (n,) font file name of each image


def _vary(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height = int(rng.integers(28, 90))
    scale = height / alpha.shape[0]
    alpha = cv2.resize(alpha, (max(1, round(alpha.shape[1] * scale)), height),
                       interpolation=cv2.INTER_AREA)
    pad = height // 2
    alpha = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    h, w = alpha.shape
    angle, shear = rng.uniform(-8, 8), rng.uniform(-0.15, 0.15)
    warp = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    warp[0, 1] += shear
    alpha = cv2.warpAffine(alpha, warp, (w, h), flags=cv2.INTER_LINEAR)
    k = max(1, height // 30)
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    stroke = rng.integers(3)
    if stroke == 1:
        alpha = cv2.dilate(alpha, pen)
    elif stroke == 2:
        thinner = cv2.erode(alpha, pen)
        alpha = thinner if (thinner > 0.5).sum() > 20 else alpha  # never erase a fine pen
    return to_mnist(alpha)


def font_digits(per_digit: int = 20, seed: int = 0) -> FontDigits | None:
    """`per_digit` variations of each digit in each installed font; None when none is installed."""
    fonts = find_fonts()
    try:
        import PIL  # noqa: F401  (fonts are drawn with Pillow, which the edge extra lacks)
    except ImportError:
        return None
    if not fonts:
        return None
    rng = np.random.default_rng(seed)
    images, labels, names = [], [], []
    for path in fonts:
        for digit in range(10):
            glyph = render_font_digit(path, digit)
            for _ in range(per_digit):
                images.append(_vary(glyph, rng))
                labels.append(digit)
                names.append(path.name)
    return FontDigits(np.stack(images).astype(np.float32), np.array(labels), np.array(names))
