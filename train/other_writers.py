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

from digits.common.fonts import find_fonts, render_font_digit
from digits.edge.core.preprocess import to_mnist

# A fixed split of the handwriting fonts by writer: training draws extra digits from the first,
# evaluation scores only the second (never seen in training or model selection). Each family
# (all of dkg's, all of Comic Neue's) stays on one side; the six BWHT fonts are six hands.
TRAIN_FONTS = ("BecauseWeBuild-Regular.otf", "BecauseWeCreate-Regular.otf",
               "BecauseWeLearn-Regular.otf", "BecauseWeOrganize-Regular.otf", "Delphine.ttf",
               "Rufscript010.ttf", "ComicNeue-Regular.otf", "ComicNeue-Bold.otf",
               "ComicNeue-Italic.otf")
TEST_FONTS = ("dkg.ttf", "dkgBd.ttf", "dkgIt.ttf", "Breip.ttf", "BecauseWeConnect-Regular.otf",
              "BecauseWeMentor-Regular.otf", "SteveHand.ttf")
# OpenCV's Hershey faces write training digits too (always there, even without Pillow)
HERSHEY_DIGIT_FACES = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
                       cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                       cv2.FONT_HERSHEY_SCRIPT_SIMPLEX | cv2.FONT_ITALIC,
                       cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC)


@dataclass(frozen=True)
class FontDigits:
    images: np.ndarray  # (n, 28, 28) float32 in [0, 1]
    labels: np.ndarray  # (n,)
    fonts: np.ndarray  # (n,) font file name of each image


def _padded(glyph: np.ndarray, height: int, pad: int) -> np.ndarray:
    """The glyph scaled to `height` px (aspect kept), with `pad` px of paper all round."""
    width = max(1, round(glyph.shape[1] * height / glyph.shape[0]))
    alpha = cv2.resize(glyph, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def _vary(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height = int(rng.integers(28, 90))
    alpha = _padded(alpha, height, height // 2)
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


def font_digits(per_digit: int = 20, seed: int = 0, split: str = "test") -> FontDigits | None:
    """`per_digit` variations of each digit in each installed font of the split ("test": the
    held-out fonts, "train", or "all"); None when none is installed."""
    wanted = {"test": TEST_FONTS, "train": TRAIN_FONTS}.get(split)
    fonts = [f for f in find_fonts() if wanted is None or f.name in wanted]
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


def _hershey_digit(face: int, digit: int, thickness: int) -> np.ndarray:
    canvas = np.zeros((160, 160), np.uint8)
    cv2.putText(canvas, str(digit), (40, 120), face, 2.5, 255, thickness, cv2.LINE_AA)
    canvas = canvas.astype(np.float32) / 255.0
    rows = np.flatnonzero(canvas.max(axis=1) > 0.1)
    cols = np.flatnonzero(canvas.max(axis=0) > 0.1)
    return canvas[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def training_font_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits (uint8 (n, 28, 28), labels) written by the training fonts and Hershey faces:
    varied as `font_digits` varies them, half of them photographed and read back."""
    from digits.train.camera_like import on_paper, read_back

    glyphs: list[tuple[np.ndarray, int]] = []
    try:
        import PIL  # noqa: F401
        fonts = [f for f in find_fonts() if f.name in TRAIN_FONTS]
    except ImportError:
        fonts = []
    for path in fonts:
        glyphs += [(render_font_digit(path, d), d) for d in range(10)]
    for face in HERSHEY_DIGIT_FACES:
        for thickness in (2, 5):
            glyphs += [(_hershey_digit(face, d, thickness), d) for d in range(10)]
    rng = np.random.default_rng([seed, 11])
    images, labels = [], []
    for i in rng.integers(len(glyphs), size=count):
        glyph, digit = glyphs[int(i)]
        image = _vary(glyph, rng)
        if rng.random() < 0.5:
            height = int(rng.integers(30, 101))
            image = read_back(on_paper(_padded(glyph, height, height // 3), height, rng))
        images.append(np.round(image * 255).astype(np.uint8))
        labels.append(digit)
    return np.stack(images), np.array(labels, np.int64)


def uci_digits() -> FontDigits | None:
    """Real handwriting from other writers than MNIST's: the UCI optical-recognition digits that
    scikit-learn ships (`load_digits`: 1,797 digits by 43 people, 8x8 with 17 grey levels),
    upsampled and put through the one contract. Evaluation only; None without scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    data = load_digits()
    images = [to_mnist(cv2.resize((im / 16.0).astype(np.float32), (32, 32),
                                  interpolation=cv2.INTER_CUBIC).clip(0, 1)) for im in data.images]
    labels = np.asarray(data.target, np.int64)
    return FontDigits(np.stack(images).astype(np.float32), labels, np.full(len(labels), "uci"))
