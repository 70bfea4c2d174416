"""European hands: 7s crossed with a short bar, and 1s written with a long flag.

MNIST's writers (American) seldom cross a 7 or start a 1 with a long up-stroke; many European
hands do both, the bar being what tells their 7 from their flagged 1. A model trained on MNIST
alone reads MNIST's test 7s with a bar drawn across as 4 or 9 noticeably more often than the
same 7s without it, and reads test 1s given a flag 40-55 degrees below level as 7s six times in
ten. A share of the training 7s (and of the 1s, when `fit.TrainConfig.flagged_ones` asks) is
copied so, and the model learns those ways of writing.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

INK = 100  # a pixel this bright (of 255) is ink when looking for the stem
FLAG_ANGLE = (40.0, 70.0)  # a 1's flag falls this many degrees below level from the stem's top
# (flatter, it is a 7's bar: the two are told apart by the 7's cross, which a flagged 1 lacks)
FLAG_APART = 25.0  # ... and at least this many degrees off the stem (a 1 leaning right: less)
FLAG_LENGTH = (0.25, 0.45)  # ... and is this share of the 1's height long
FLAG_BASE = 0.3  # this share of the flagged 1s also stands on a base


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


def flagged(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A copy of one 28x28 uint8 MNIST 1 with a flag falling left from the top of its stem
    (FLAG_ANGLE, FLAG_APART, FLAG_LENGTH), some on a level base too; None when it has too
    little ink or leans too far right for a flag."""
    ys, xs = np.nonzero(image > INK)
    if len(ys) < 10:
        return None
    top, bottom = int(ys.min()), int(ys.max())
    height = bottom - top + 1
    tip, foot = int(round(xs[ys == top].mean())), int(round(xs[ys == bottom].mean()))
    lean = np.rad2deg(np.arctan2(tip - foot, height))  # the stem's, right of upright
    steepest = 90.0 - FLAG_APART - lean
    if steepest < FLAG_ANGLE[0]:
        return None  # leaning so far right, a flag level enough to stand off it is a 7's bar
    length = rng.uniform(*FLAG_LENGTH) * height
    angle = np.deg2rad(min(rng.uniform(*FLAG_ANGLE), steepest))
    width = 2 if rng.random() < 0.6 else 1
    out = image.copy()
    end = (int(round(tip - length * np.cos(angle))), int(round(top + length * np.sin(angle))))
    cv2.line(out, (tip, top), end, 255, width, cv2.LINE_AA)
    if rng.random() < FLAG_BASE:
        half = max(2, int(round(rng.uniform(0.15, 0.3) * height)))
        cv2.line(out, (foot - half, bottom), (foot + half, bottom), 255, width, cv2.LINE_AA)
    return out


def crossed_sevens(x: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Crossed copies of `share` of the 7s in (x, y), to add to the training set."""
    return _copies(x, y, 7, share, crossed, np.random.default_rng([seed, 7]))


def flagged_ones(x: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Flagged copies of `share` of the 1s in (x, y), to add to the training set."""
    return _copies(x, y, 1, share, flagged, np.random.default_rng([seed, 1]))


def _copies(x: np.ndarray, y: np.ndarray, digit: int, share: float,
            redraw: Callable[[np.ndarray, np.random.Generator], np.ndarray | None],
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    those = np.flatnonzero(y == digit)
    pick = rng.choice(those, int(round(share * len(those))), replace=False) if len(those) else those
    copies = [c for c in (redraw(x[i], rng) for i in pick) if c is not None]
    if not copies:
        return x[:0], y[:0]
    return np.stack(copies), np.full(len(copies), digit, dtype=y.dtype)
