"""Ruled and graph-paper lines: long straight runs of ink, taken out of the mask."""

from __future__ import annotations

import cv2
import numpy as np


def remove_lines(mask: np.ndarray, min_len_x: int, min_len_y: int,
                 faint: np.ndarray | None = None, max_thick: int = 0,
                 span: float = 0.8, bands: list[np.ndarray] | None = None,
                 uprights: list[np.ndarray] | None = None) -> tuple[np.ndarray, int]:
    """Take long straight horizontal and vertical runs (ruled paper, graph paper) out of `mask`.

    A line is ink that holds a straight run longer than any digit stroke; the mask is first
    thickened across the run's direction so slightly tilted lines still hold such a run.
    Lines are looked for in `faint` (a lower threshold than `mask`, default `mask` itself):
    a printed rule is often fainter than the ink and broken at the mask's threshold, but it
    is continuous at a lower one. A run thicker than `max_thick` (0: no limit) is a marker's
    stroke in a close-up, a 7's bar, not a rule, unless it spans `span` of the frame (a
    table's rule, a page's edge). The strokes that crossed a line are re-joined
    by closing across it. Returns the new mask and how many of its pixels were removed; the
    lines' bands are appended to `bands` when it is given (what was cut, before re-joining),
    and the upright ones to `uprights` too.
    """
    out = mask.copy()
    search = mask if faint is None else faint
    removed = 0
    for axis, length in ((1, min_len_x), (0, min_len_y)):
        if length <= 0 or mask.shape[axis] < length:
            continue
        # a line of `length` puts that many pixels in some band of 5 rows (columns): if no
        # band has them, there is no line, and the morphology is skipped
        counts = cv2.reduce(search, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        if np.convolve(counts, np.ones(5, np.int32), "same").max() < length:
            continue
        thick_k = (1, 5) if axis == 1 else (5, 1)  # (width, height) for OpenCV
        thick = cv2.dilate(search, cv2.getStructuringElement(cv2.MORPH_RECT, thick_k))
        band = line_band(thick, length, axis)
        if band.size and max_thick:
            band = thin_only(band, axis, max_thick + thick_k[axis] - 1, span=int(span * mask.shape[1 - axis]))
        if not band.size:
            continue
        line = cv2.bitwise_and(out, band)
        removed += int(np.count_nonzero(line))
        rest = cv2.subtract(out, band)
        if bands is not None:
            bands.append(band)
        if uprights is not None and axis == 0:
            uprights.append(band)
        across = (1, 9) if axis == 1 else (9, 1)
        rejoined = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, across))
        out = cv2.bitwise_or(rest, cv2.bitwise_and(rejoined, band))
    return out, removed


def line_band(thick: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Where `thick` (0/1) holds an unbroken straight run of `length` along `axis` (1: rows,
    0: columns): a morphological opening by that line. Empty when there is none.

    Worked at half size: 2x2 blocks count as ink only when all of them are (so gaps still
    break a run), then the opening by half the length; an eighth of the work.
    """
    h, w = thick.shape
    if min(h, w) < 8 or length < 8:
        band = cv2.morphologyEx(thick, cv2.MORPH_OPEN,
                                np.ones((1, length) if axis == 1 else (length, 1), np.uint8))
        return band if cv2.countNonZero(band) else band[:0]
    small = np.ascontiguousarray(cv2.erode(thick, np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2])
    run = length // 2
    small = cv2.morphologyEx(small, cv2.MORPH_OPEN, np.ones((1, run) if axis == 1 else (run, 1), np.uint8))
    if not cv2.countNonZero(small):
        return small[:0]
    band = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return cv2.bitwise_and(band, thick)


SLENDER = 8  # a rule or a page's edge is at least this many times longer than thick; a 7's bar is not


def thin_only(band: np.ndarray, axis: int, max_thick: int, span: int) -> np.ndarray:
    """The runs of `band` no thicker, on average across `axis`, than `max_thick` pixels, and
    those of any thickness at least `span` long (a table's rule, the edge of a page)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(band, connectivity=8)
    along = stats[:, cv2.CC_STAT_WIDTH if axis == 1 else cv2.CC_STAT_HEIGHT]
    along = np.maximum(along, 1)
    thin = stats[:, cv2.CC_STAT_AREA] <= max_thick * along
    slender = stats[:, cv2.CC_STAT_AREA] * SLENDER <= along * along  # long for its thickness
    keep = (thin | ((along >= span) & slender)).astype(np.uint8)
    keep[0] = 0
    band = keep[labels]
    return band if cv2.countNonZero(band) else band[:0]
