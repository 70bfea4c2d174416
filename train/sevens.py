"""Crossed sevens: MNIST's 7s with a short bar across the stem, as many European hands write them.

MNIST's writers seldom cross a 7, and a model trained on them alone reads MNIST's test 7s
with a bar drawn across them as 4 or 9 noticeably more often than the same 7s without it. A
share of the training 7s is copied with such a bar, so the model learns that way of writing it.
"""

from __future__ import annotations

import cv2
import numpy as np

INK = 100  # a pixel this bright (of 255) is ink when looking for the stem


def crossed(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A copy of one 28x28 uint8 MNIST 7 with a bar across its stem at 50-65 % of its height,
    20-30 % of its width to each side; None when the image has too little ink to find a stem."""
    ys, xs = np.nonzero(image > INK)
    if len(ys) < 20:
        return None
    top, bottom = int(ys.min()), int(ys.max())
    row = int(top + rng.uniform(0.5, 0.65) * (bottom - top))
    stem = np.flatnonzero(image[row] > INK)
    if not len(stem):
        return None
    centre = int(stem.mean())
    half = max(2, int(round(rng.uniform(0.2, 0.3) * (int(xs.max()) - int(xs.min()) + 1))))
    out = image.copy()
    cv2.line(out, (centre - half, row), (centre + half, row + int(rng.integers(-1, 2))), 255,
             2 if rng.random() < 0.6 else 1, cv2.LINE_AA)
    return out


def crossed_sevens(x: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Crossed copies of `share` of the 7s in (x, y), to add to the training set."""
    rng = np.random.default_rng([seed, 7])
    sevens = np.flatnonzero(y == 7)
    pick = rng.choice(sevens, int(round(share * len(sevens))), replace=False) if len(sevens) else sevens
    copies = [c for c in (crossed(x[i], rng) for i in pick) if c is not None]
    if not copies:
        return x[:0], y[:0]
    return np.stack(copies), np.full(len(copies), 7, dtype=y.dtype)
