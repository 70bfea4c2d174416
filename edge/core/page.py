"""The sheet of paper, when the frame shows it lying on something darker (a desk, a table).

Around a sheet, the desk is darker than any paper and its edge with the sheet is a long,
strong step: both would read as ink. When a coarse look finds one bright, convex region that
covers part of the frame and a surround much darker than it, everything outside the region
(and a margin inside its edge) is painted with the paper's own brightness before the ink is
looked for. A frame that is all paper, or a board with chalk, has no such region and is left
as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.tuning import DEFAULT, SegmentConfig

LOOK = 160  # pixels on the longer side of the coarse look


def find_page(gray: np.ndarray, cfg: SegmentConfig = DEFAULT) -> np.ndarray | None:
    """A uint8 mask (255 on the sheet, margin excluded) at the frame's size, or None."""
    h, w = gray.shape
    step = max(1, max(h, w) // LOOK)
    small = cv2.resize(gray, (max(1, w // step), max(1, h // step)), interpolation=cv2.INTER_AREA)
    rough = cv2.blur(cv2.absdiff(small, cv2.blur(small, (3, 3))), (7, 7))
    small = cv2.GaussianBlur(small, (5, 5), 0)
    level, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # paper is bright and smooth; a desk's glare is bright but grainy (leather, wood, cloth)
    bright[rough > cfg.page_grain * max(level, 1.0)] = 0
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    share = stats[biggest, cv2.CC_STAT_AREA] / float(small.size)
    if not cfg.page_min <= share <= cfg.page_max:
        return None
    region = (labels == biggest).astype(np.uint8)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, [outline], -1, 1, thickness=cv2.FILLED)
    sheet = np.zeros_like(region)  # a sheet is convex: its hull also takes back writing at its edge
    cv2.fillConvexPoly(sheet, cv2.convexHull(outline), 1)
    if filled.sum() < cfg.page_convexity * sheet.sum():
        return None  # not a sheet's shape: light walls, a window, a lit part of the scene
    paper = float(np.median(small[sheet > 0]))
    surround = float(np.median(small[sheet == 0])) if (sheet == 0).any() else paper
    if surround > cfg.page_contrast * paper:
        return None  # a shadow on the page, not a desk around it
    margin = max(1, int(round(cfg.page_margin * min(small.shape))))
    sheet = cv2.erode(sheet, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * margin + 1, 2 * margin + 1)))
    return cv2.resize(sheet * 255, (w, h), interpolation=cv2.INTER_NEAREST)


def paint_outside(gray: np.ndarray, sheet: np.ndarray) -> np.ndarray:
    """The frame with everything off the sheet set to the sheet's own paper brightness."""
    paper = int(np.median(gray[sheet > 0][:: max(1, int(sheet.size // 200_000))]))
    out = gray.copy()
    out[sheet == 0] = paper
    return out
