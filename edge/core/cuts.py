"""A second look at a blob the model could not read whole: every way to cut it into digits.

Touching digits ("14", "32621" written close) make one blob. The first look offers one cut
by the blob's width; when neither it nor the whole reads well, the reader asks for this one:
cuts at every valley of the blob's column profile, each span between two cuts that could
be one digit cut out, all classified in one invoke, and the cutting whose digits are
likeliest together (the best path through the spans) kept when every digit on it reads
surely. A word or a scribble seldom cuts into sure digits only, so it stays rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digits.edge.core.blob import Blob, Box
from digits.edge.core.crops import ink_patch, normalise
from digits.edge.core.tuning import DEFAULT, SegmentConfig


@dataclass(frozen=True)
class CutSource:
    """What the segmenter knew of a blob, to cut it again later (working-size mask and
    paper level, and the full frame they came from)."""
    gray: np.ndarray  # the full-resolution grey frame (paper-painted), shared, not copied
    box: Box  # at the working size
    own: np.ndarray  # the blob's own pixels (0/1) under `box`
    paper: np.ndarray  # working-size paper level
    scale: float
    dark: bool
    level: int
    ink: np.ndarray | None = None  # the working-size ink map: big blobs are cut from it
    cfg: SegmentConfig = DEFAULT
    offset: tuple[int, int] = (0, 0)  # where `gray` lies in the input frame (a sheet read alone)


@dataclass(frozen=True)
class Span:
    first: int  # index of the cut it starts at
    last: int  # index of the cut it ends at
    blob: Blob


def valleys(solid: np.ndarray, most: int, apart: int = 2) -> list[int]:
    """Interior columns where the blob may be cut: the local minima of its column profile
    (gaps included), the thinnest `most` of them, at least `apart` columns apart."""
    profile = solid.sum(axis=0).astype(np.float32)
    w = len(profile)
    if w < 4:
        return []
    smooth = np.convolve(profile, np.ones(3, np.float32) / 3, "same")
    inner = np.arange(1, w - 1)
    minima = inner[(smooth[inner] <= smooth[inner - 1]) & (smooth[inner] <= smooth[inner + 1])]
    chosen: list[int] = []
    for c in sorted(minima.tolist(), key=lambda c: (smooth[c], c)):
        if all(abs(c - k) >= apart for k in chosen):
            chosen.append(c)
        if len(chosen) >= most:
            break
    return sorted(chosen)


def spans(source: CutSource) -> tuple[list[int], list[Span]]:
    """The cut columns (0 and the width included) and every span between two of them that is
    shaped like one digit, cut out as the classifier wants it. Cut at the finest size the
    blob is read at (the frame's own pixels for all but big blobs): a small pair of touching
    digits is only a few working pixels wide."""
    cfg = source.cfg
    patch = ink_patch(source.gray, source.box, source.own, source.paper, source.scale, source.dark,
                      source.ink, cfg)
    if patch is None:
        return [], []
    solid = cv2.threshold(patch.ink, source.level, 255, cv2.THRESH_BINARY)[1]
    rows = np.flatnonzero(solid.any(axis=1))
    if len(rows) == 0:
        return [], []
    height = int(rows[-1]) + 1 - int(rows[0])
    width = solid.shape[1]
    cuts = [0, *valleys(solid > 0, cfg.max_cuts, max(2, height // 12)), width]
    out: list[Span] = []
    for i in range(len(cuts) - 1):
        for j in range(i + 1, len(cuts)):
            a, b = cuts[i], cuts[j]
            if (i, j) == (0, len(cuts) - 1):
                continue  # the whole: read already
            if b - a > cfg.span_width * height:
                break
            sub = solid[:, a:b]
            tx, ty, tw, th = cv2.boundingRect(sub)
            if tw == 0 or th < cfg.span_height * height:
                continue  # a piece of a stroke, not a digit beside the others
            crop = normalise(patch.ink[ty : ty + th, a + tx : a + tx + tw], sub[ty : ty + th, tx : tx + tw],
                             source.level, cfg)
            bx, by, bw, bh = patch.box_of(a + tx, ty, tw, th)
            box = (bx + source.offset[0], by + source.offset[1], bw, bh)
            out.append(Span(i, j, Blob(box, crop)))
    return cuts, out


def best_path(count: int, spans_: list[Span], digit_p: np.ndarray) -> list[int] | None:
    """The spans (indices into `spans_`) from cut 0 to cut `count - 1` whose digit
    probabilities `digit_p` have the largest product, or None when no path crosses the blob."""
    score = np.full(count, -np.inf)
    score[0] = 0.0
    back: list[int | None] = [None] * count
    by_end: dict[int, list[int]] = {}
    for k, s in enumerate(spans_):
        by_end.setdefault(s.last, []).append(k)
    for j in range(1, count):
        for k in by_end.get(j, []):
            i = spans_[k].first
            cand = score[i] + float(np.log(max(digit_p[k], 1e-6)))
            if cand > score[j]:
                score[j], back[j] = cand, k
    if back[count - 1] is None:
        return None
    path, j = [], count - 1
    while j > 0:
        k = back[j]
        assert k is not None
        path.append(k)
        j = spans_[k].first
    return path[::-1]
