"""A photo of a page held at a slant: the angle of its rows of writing, and the page turned straight.

The model reads upright digits; a page photographed at 20-40 degrees shows every digit
leaning that much, and its rows cut across the segmenter's columns. The rows' angle is the
one at which the blobs' centres, projected across the rows, bunch into the fewest, fullest
bands (a projection profile of the blobs, not of the pixels: cheap and blind to pictures).
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.blob import Box

ANGLES = np.arange(-45.0, 45.1, 1.5)  # degrees tried; beyond 45 a quarter turn is the better story
MIN_BLOBS = 6  # fewer blobs than this make no rows to measure
MIN_ANGLE = 8.0  # a slant under this many degrees the reader takes as it is
CLEARER = 1.3  # the rows must bunch this much better at the angle than level


def row_angle(boxes: list[Box]) -> float:
    """The rows' slant in degrees (positive: rows fall to the right), 0 when no clear slant."""
    if len(boxes) < MIN_BLOBS:
        return 0.0
    b = np.asarray(boxes, np.float32)
    cx, cy = b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    band = max(2.0, 0.5 * float(np.median(b[:, 3])))

    def bunching(deg: float) -> float:
        a = np.deg2rad(deg)
        across = cy * np.cos(a) - cx * np.sin(a)
        counts = np.bincount(((across - across.min()) / band).astype(np.int64))
        return float((counts.astype(np.float64) ** 2).sum())

    scores = np.array([bunching(a) for a in ANGLES])
    best = float(ANGLES[int(np.argmax(scores))])
    if abs(best) < MIN_ANGLE or scores.max() < CLEARER * bunching(0.0):
        return 0.0
    fine = best + np.arange(-1.5, 1.51, 0.25)  # then closer, around the best
    return float(fine[int(np.argmax([bunching(a) for a in fine]))])


def straighten(frame: np.ndarray, angle: float) -> np.ndarray:
    """The frame turned by `angle` degrees so that its rows lie level, on a canvas big enough
    to hold all of it; the corners are filled with the frame's own edge."""
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(w * c + h * s)), int(np.ceil(w * s + h * c))
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    return cv2.warpAffine(frame, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def rows_over_columns(boxes: list[Box]) -> float:
    """How much better the boxes' centres bunch into rows than into columns (over 1: rows, as
    the lines of an upright page; under 1: columns, as the lines of a page turned a quarter).
    Both are measured in bands of half the boxes' typical smaller side, so a letter's or a
    lying digit's shape does not favour either. 1 for fewer than two boxes."""
    if len(boxes) < 2:
        return 1.0
    b = np.asarray(boxes, np.float32)
    band = max(2.0, 0.5 * float(np.median(np.minimum(b[:, 2], b[:, 3]))))

    def bunching(centres: np.ndarray) -> float:
        counts = np.bincount(((centres - centres.min()) / band).astype(np.int64))
        return float((counts.astype(np.float64) ** 2).sum())

    return bunching(b[:, 1] + b[:, 3] / 2) / bunching(b[:, 0] + b[:, 2] / 2)

