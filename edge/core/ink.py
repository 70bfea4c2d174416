"""From a photo's grey levels to an ink map: how strongly each pixel is ink, 0 on bare paper.

Dividing by a local estimate of the paper's brightness flattens uneven light, shadows and
vignetting, so one threshold serves the whole frame. The segmenter and the camera-like test
set both use this, so evaluation measures what the runtime does.
"""

from __future__ import annotations

import cv2
import numpy as np


def paper_level(gray: np.ndarray, stroke_px: int, smooth_px: int | None = None) -> np.ndarray:
    """The paper's brightness under each pixel: ink strokes closed over, then smoothed.

    `smooth_px` (default: the closing's own size) is the box blur after the closing; a
    smaller one follows a shadow's edge more closely, so the edge is not mistaken for ink.
    """
    k = max(3, 2 * stroke_px + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    s = k if smooth_px is None else max(1, smooth_px)
    return cv2.blur(closed, (s, s)).astype(np.float32)


def ink_mask(ink_u8: np.ndarray, floor: float = 0.12) -> np.ndarray:
    """Binary ink mask: Otsu's threshold on the ink map, never below `floor` (blank paper)."""
    otsu, _ = cv2.threshold(ink_u8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    level = max(otsu, floor * 255)
    return (ink_u8 > level).astype(np.uint8)


def ink_map(gray: np.ndarray, *, dark_ink: bool = True,
            stroke_px: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Ink strength in uint8 (0 on bare paper, 255 for black ink), and the paper level it used.

    `gray` is uint8; it is 1 - gray / paper, computed with OpenCV's saturating ops because the
    segmenter runs it on every frame of a Pi-class core. For light ink on a dark board
    (`dark_ink=False`) the image is inverted first. `stroke_px` bounds the widest stroke
    expected: the paper estimate ignores anything narrower, and is smoothed less than the
    closing (a third of it) to follow the edges of hard shadows.
    """
    if not dark_ink:
        gray = cv2.bitwise_not(gray)
    k = max(3, 2 * stroke_px + 1)
    # the closing takes local maxima, which sensor noise pushes up: estimate from a lightly
    # blurred copy so the paper level is the paper's, not its brightest grain
    calm = cv2.blur(gray, (3, 3))
    paper = np.maximum(paper_level(calm, stroke_px, smooth_px=max(3, k // 3)), 16.0).astype(np.uint8)
    ratio = cv2.divide(gray, paper, scale=255.0)
    return cv2.bitwise_not(ratio), paper
