"""MNIST's digits as other pens and other scanners write them: positives for the reject branch.

MNIST's strokes are a felt pen's, 2-3 px at 28x28. Two looks of real digits that MNIST lacks
were what the "not a digit" branch rejected most among other hands' digits:
- a fine pen at a large size: a 1-2 px line on a 60-100 px digit, shrunk to 20 px by the one
  28x28 contract, comes out faint and hair-thin (most of the held-out fonts' rejected digits);
- a coarse scan: a digit stored at 8-16 px, stretched to fill its box as scanners' digit sets
  normalise them, then upsampled (UCI's 8x8 digits and the like: their 1s are wide bars).
Each goes through the same `to_mnist` as every other image, so the branch learns that these are
digits; their labels are the digits'.
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.common.fonts import tight
from digits.edge.core.preprocess import to_mnist

FINE_HEIGHT = (40, 101)  # the digit's height in the photo, px
FINE_PEN = (1, 3)  # the pen's width there, px (upper bound exclusive)
COARSE_SIDE = (8, 17)  # the scan's side, px
STRETCH = 0.5  # share of coarse scans stretched to fill a square box


def _skeleton(mask: np.ndarray) -> np.ndarray:
    """The one-pixel middle line of a binary mask (morphological skeleton)."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    skeleton = np.zeros_like(mask)
    while mask.any():
        eroded = cv2.erode(mask, cross)
        skeleton |= mask & ~cv2.dilate(eroded, cross)
        mask = eroded
    return skeleton


def fine_pen(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uint8 MNIST digit redrawn with a fine pen at 40-100 px, through the 28x28 contract."""
    height = int(rng.integers(*FINE_HEIGHT))
    side = round(height * 28 / 20)
    big = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC)
    line = _skeleton((big > 127).astype(np.uint8))
    pen = int(rng.integers(*FINE_PEN))
    if pen > 1:
        line = cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (pen, pen)))
    alpha = cv2.GaussianBlur(line.astype(np.float32), (0, 0), rng.uniform(0.4, 1.0))
    return to_mnist(alpha)


def coarse_scan(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uint8 MNIST digit scanned at 8-16 px (half of them stretched to a square), upsampled."""
    box = tight(digit.astype(np.float32) / 255.0)
    h, w = box.shape
    side = int(rng.integers(*COARSE_SIDE))
    if rng.random() < STRETCH:
        size = (side, side)
    else:
        scale = side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pad = max(1, side // 8)
    small = cv2.copyMakeBorder(cv2.resize(box, size, interpolation=cv2.INTER_AREA),
                               pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    levels = float(rng.choice([16.0, 255.0]))  # UCI counts 16 levels; others store 8 bits
    small = np.round(small * levels) / levels
    up = cv2.resize(small, (small.shape[1] * 4, small.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
    return to_mnist(up.clip(0, 1))


def other_looks(images: np.ndarray, labels: np.ndarray, count: int, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits (uint8 (n, 28, 28), labels) picked from `images`, half in a fine pen,
    half as coarse scans."""
    rng = np.random.default_rng([seed, 17])
    pick = rng.choice(len(labels), min(count, len(labels)), replace=False)
    out = [fine_pen(images[i], rng) if k % 2 == 0 else coarse_scan(images[i], rng)
           for k, i in enumerate(pick)]
    stacked = np.stack(out) if out else np.zeros((0, 28, 28), np.float32)
    return np.round(stacked * 255).astype(np.uint8), labels[pick].astype(np.int64)
