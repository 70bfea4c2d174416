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
PART = 0.1  # a bright region this big beside the biggest is part of the same sheet
PAPER_ROUGH = 2.0  # grain is this many times the paper's own roughness (noise is on both)
SHARP = 0.6  # across its edge a sheet steps down by this much of its whole drop to the surround


def find_page(gray: np.ndarray, cfg: SegmentConfig = DEFAULT) -> np.ndarray | None:
    """A uint8 mask (255 on the sheet, margin excluded) at the frame's size, or None.

    The desk is what is darker than paper, or grainy, and reaches the frame's edge; a shadow
    on the page is neither grainy nor, most often, that dark.
    """
    h, w = gray.shape
    step = max(1, max(h, w) // LOOK)
    small = np.ascontiguousarray(gray[step // 2 :: step, step // 2 :: step])
    if min(small.shape) < 16:
        return None
    # the quick look, which most frames stop at: a desk shows as a dark border round the frame
    ring = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    # (in dim light, when most of the border is that dark: a page's own vignetting is not)
    paper = np.percentile(small[::3, ::3], 90)
    p25, p50 = np.percentile(ring, (25, 50))
    if p25 > cfg.page_contrast * paper and p50 > cfg.page_dim * paper:
        return None
    # grain: the median of the local deviations, so an edge or a stroke (thin) does not count
    rough = cv2.medianBlur(cv2.absdiff(small, cv2.blur(small, (3, 3))), 7)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    level, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # paper is bright and smooth; a desk's glare is bright but grainy (leather, wood, cloth).
    # Writing is grainy too at this coarse look: its rows, paper above and below, are closed
    # over (or a row reaching the sheet's edge opens the sheet to the desk). A page dense with
    # writing is grainy all over: when the smooth part holds no sheet, the bright part is tried
    # (above the paper's own roughness, which sensor noise raises everywhere alike)
    own = float(np.median(rough[bright > 0])) if (bright > 0).any() else 0.0
    grainy = rough > max(cfg.page_grain * max(level, 1.0), PAPER_ROUGH * own)
    smooth = bright.copy()
    smooth[grainy] = 0
    smooth = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    for candidate in (smooth, bright):
        sheet = _sheet_in(small, candidate, (bright > 0) | grainy, cfg)
        if sheet is not None:
            return cv2.resize(sheet * 255, (w, h), interpolation=cv2.INTER_NEAREST)
    return None


def _sheet_in(small: np.ndarray, bright: np.ndarray, lit: np.ndarray,
              cfg: SegmentConfig) -> np.ndarray | None:
    """The sheet (0/1, margin excluded) at the coarse look, from its bright mask, or None
    when the dark surround does not make a desk round one convex sheet. `lit` is all that is
    bright or grainy: not a smooth shadow."""
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    count, labels = cv2.connectedComponents((bright == 0).astype(np.uint8), connectivity=8)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touching = np.unique(edge[edge > 0])
    if not len(touching):
        return None
    desk = np.isin(labels, touching)
    share = 1.0 - desk.mean()
    if not cfg.page_min <= share <= cfg.page_max:
        return None
    sheet = (~desk).astype(np.uint8)
    paper = float(np.median(small[(bright > 0) & ~desk])) if ((bright > 0) & ~desk).any() else 0.0
    surround = float(np.median(small[desk]))
    dim_desk = (surround <= cfg.page_dim * paper and _sides(desk) >= 3
                and _sharp_step(small, desk, paper - surround))
    if surround > cfg.page_contrast * paper and not dim_desk:
        return None  # a shadow on the page, not a desk around it
    contours, _ = cv2.findContours(sheet, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    # the sheet's parts: a row of writing from edge to edge cuts it in two at this coarse look
    largest = max(cv2.contourArea(c) for c in contours)
    outline = np.concatenate([c for c in contours if cv2.contourArea(c) >= PART * largest])
    hull = np.zeros_like(sheet)
    cv2.fillConvexPoly(hull, cv2.convexHull(outline), 1)
    if sheet.sum() < cfg.page_convexity * hull.sum():
        return None  # not a sheet's shape: light walls, a window, a lit part of the scene
    # a sheet is convex: what of its hull is bright or grainy is sheet too, so writing that
    # reaches the sheet's edge (grainy at this coarse look, like the desk) stays on it; a
    # shadow cast over the sheet's edge, dark and smooth, stays off
    sheet = hull & (sheet | lit.astype(np.uint8))
    margin = max(1, int(round(cfg.page_margin * min(small.shape))))
    return cv2.erode(sheet, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * margin + 1, 2 * margin + 1)))


def _sides(desk: np.ndarray) -> int:
    """How many of the frame's four sides the surround's biggest part reaches: a desk lies
    round a sheet, a shadow falls across one corner or side of it."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(desk.astype(np.uint8), connectivity=8)
    if count < 2:
        return 0
    part = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return int(part[0].any()) + int(part[-1].any()) + int(part[:, 0].any()) + int(part[:, -1].any())


def _sharp_step(small: np.ndarray, desk: np.ndarray, drop: float) -> bool:
    """Whether the sheet's edge is a step, not a slope: just inside and just outside the edge
    the brightness differs by most of the whole `drop` from paper to surround. Dim or hazy light
    makes a desk only a little darker than the paper, but its edge stays sharp; light falling off
    across a page changes the brightness slowly. (A shadow's edge can be sharp too: a surround
    only a little darker must also reach three sides of the frame, see `_sides`.)"""
    ring = np.ones((3, 3), np.uint8)
    inside = desk.astype(np.uint8) == 0
    outside = cv2.dilate(inside.astype(np.uint8), ring, iterations=3).astype(bool) & ~cv2.dilate(
        inside.astype(np.uint8), ring, iterations=1).astype(bool)
    within = cv2.erode(inside.astype(np.uint8), ring, iterations=1).astype(bool) & ~cv2.erode(
        inside.astype(np.uint8), ring, iterations=3).astype(bool)
    if not within.any() or not outside.any():
        return False
    return float(np.median(small[within]) - np.median(small[outside])) >= SHARP * drop


def paint_outside(gray: np.ndarray, sheet: np.ndarray) -> np.ndarray:
    """The frame with everything off the sheet set to the sheet's own paper brightness."""
    paper = int(np.median(gray[sheet > 0][:: max(1, int(sheet.size // 200_000))]))
    out = gray.copy()
    out[sheet == 0] = paper
    return out
