"""Cutting a blob out of the frame as the classifier wants it: its own ink, strokes like MNIST's.

Small blobs are cut again from the full-resolution frame; big ones from the working-size ink
map (still over twice the model's 20 px). A blob wider than one digit is also offered cut into
the digits it may hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digits.edge.core.blob import Blob, Box
from digits.edge.core.tuning import DEFAULT, SegmentConfig


def split_points(mask: np.ndarray, parts: int) -> list[int]:
    """Columns where a blob `parts` digits wide is cut: the thinnest ink near each even cut."""
    profile = mask.sum(axis=0).astype(np.float32)
    w = len(profile)
    cuts = []
    for k in range(1, parts):
        centre = k * w / parts
        half = max(1, int(0.3 * w / parts))
        lo, hi = max(1, int(centre - half)), min(w - 1, int(centre + half) + 1)
        if hi <= lo:
            return []
        window = profile[lo:hi] + 0.05 * np.abs(np.arange(lo, hi) - centre)  # prefer the middle
        cuts.append(lo + int(np.argmin(window)))
    return cuts


def full_res_blob(gray: np.ndarray, box: Box, mask: np.ndarray, paper: np.ndarray, scale: float,
                  dark: bool, level: int, work_ink: np.ndarray | None = None,
                  cfg: SegmentConfig = DEFAULT) -> Blob | None:
    """Cut the blob from the full-resolution frame: ink relative to the paper, only its own ink.

    `box` is at the working size and `mask` (the blob's own pixels, 0/1) is the working-size
    patch under `box`; `paper` is the working-size paper level. Other blobs' ink inside the
    box is masked out.
    """
    patch = ink_patch(gray, box, mask, paper, scale, dark, work_ink, cfg)
    if patch is None:
        return None
    solid = cv2.threshold(patch.ink, level, 255, cv2.THRESH_BINARY)[1]
    tx, ty, tw, th = cv2.boundingRect(solid)
    if tw == 0 or th == 0:
        return None
    crop = normalise(patch.ink[ty : ty + th, tx : tx + tw], solid[ty : ty + th, tx : tx + tw], level, cfg)
    return Blob(patch.box_of(tx, ty, tw, th), crop)


@dataclass(frozen=True)
class InkPatch:
    """A blob's own ink (uint8, 255 = full strength, other blobs and paper 0) at the finest
    size worth reading it at, and where that patch lies in the input frame."""
    ink: np.ndarray
    x: int  # the patch's origin in the patch's own pixels: input pixels, or working ones
    y: int
    unit: float  # input pixels per patch pixel: 1, or the working size's factor
    frame_w: int
    frame_h: int

    def box_of(self, x: int, y: int, w: int, h: int) -> Box:
        """A box of patch pixels as a box of input pixels."""
        if self.unit == 1.0:
            return (self.x + x, self.y + y, w, h)
        return _box_in_input((self.x + x, self.y + y, w, h), self.unit, self.frame_w, self.frame_h)


def ink_patch(gray: np.ndarray, box: Box, mask: np.ndarray, paper: np.ndarray, scale: float,
              dark: bool, work_ink: np.ndarray | None = None,
              cfg: SegmentConfig = DEFAULT) -> InkPatch | None:
    """The blob's ink from the full-resolution frame; a big blob's straight from the
    working-size ink map (`work_ink`): it is still over twice the 20 px the model sees, so
    going back to full resolution would only cost time."""
    fh, fw = gray.shape[:2]
    inv = 1.0 / scale
    x, y, w, h = box
    if work_ink is not None and inv > 1.0 and h >= cfg.big_blob:
        return InkPatch(cv2.bitwise_and(work_ink[y : y + h, x : x + w], mask * 255), x, y, inv, fw, fh)
    X0, Y0 = int(x * inv), int(y * inv)
    X1, Y1 = min(fw, int(np.ceil((x + w) * inv))), min(fh, int(np.ceil((y + h) * inv)))
    if X1 - X0 < 2 or Y1 - Y0 < 2:
        return None
    size = (X1 - X0, Y1 - Y0)
    region = gray[Y0:Y1, X0:X1]
    if not dark:
        region = cv2.bitwise_not(region)
    paper_full = paper[y : y + h, x : x + w]
    own = mask * 255
    if inv != 1.0:
        paper_full = cv2.resize(paper_full, size, interpolation=cv2.INTER_LINEAR)
        own = cv2.resize(own, size, interpolation=cv2.INTER_LINEAR)
    # uint8 throughout: ink = 255 * (1 - gray / paper), other blobs' ink and the paper at 0
    ink = cv2.bitwise_not(cv2.divide(region, paper_full, scale=255.0))
    ink = cv2.bitwise_and(ink, cv2.threshold(own, 64, 255, cv2.THRESH_BINARY)[1])
    return InkPatch(ink, X0, Y0, 1.0, fw, fh)


def _box_in_input(box: Box, inv: float, fw: int, fh: int) -> Box:
    x, y, w, h = box
    X0, Y0 = int(round(x * inv)), int(round(y * inv))
    X1, Y1 = min(fw, int(round((x + w) * inv))), min(fh, int(round((y + h) * inv)))
    return (X0, Y0, max(1, X1 - X0), max(1, Y1 - Y0))


def normalise(crop: np.ndarray, solid: np.ndarray, level: int,
              cfg: SegmentConfig = DEFAULT) -> np.ndarray:
    """uint8 ink to float [0, 1] like MNIST's strokes: full strength at the typical stroke
    core, paper noise (under half the level) at 0; fine strokes widened."""
    core = cv2.mean(crop, mask=solid)[0]
    low = 0.5 * level
    out = crop.astype(np.float32)
    out -= low
    out *= 1.0 / max(core - low, 1.0)
    np.clip(out, 0.0, 1.0, out=out)
    return thicken(out, cfg)


def stroke_width(crop: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the ink area over its outline's length."""
    solid = (crop > 0.5).view(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    outline = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(cv2.countNonZero(solid)) / max(outline, 1.0)


def thicken(crop: np.ndarray, cfg: SegmentConfig = DEFAULT) -> np.ndarray:
    """Widen a fine pen's strokes to MNIST's proportions, which the model learnt.

    MNIST's strokes are 0.11 of the digit's longer side (median; 5 % of digits are under
    0.076). A fine pen on a big digit gives a fraction of that, which after scaling to 20 px
    is a faint, broken line. Such strokes are dilated to the MNIST median; others are left.
    """
    longer = max(crop.shape)
    width = stroke_width(crop)
    if width >= cfg.thin_stroke * longer:
        return crop
    grow = int(round((cfg.target_stroke * longer - width) / 2))
    if grow < 1:
        return crop
    padded = cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(padded, kernel)


def cut_parts(gray, box: Box, own: np.ndarray, paper, scale, dark, level,
              min_h: float, cfg: SegmentConfig = DEFAULT) -> tuple[Blob, ...]:
    """The blob cut into as many digits as its width suggests (at least two), or () when a
    part would be too short to be a digit beside the others."""
    x, y, bw, bh = box
    count = min(cfg.max_parts, max(2, int(round(bw / (cfg.digit_aspect * bh)))))
    cuts = split_points(own, count)
    if not cuts:
        return ()
    edges = [0, *cuts, bw]
    parts = []
    for a, b in zip(edges[:-1], edges[1:]):
        part = None if b - a < 2 else _part(gray, x + a, y, own[:, a:b], bh, paper, scale, dark, level,
                                             min_h, cfg)
        if part is None:
            return ()
        parts.append(part)
    return tuple(parts)


def _part(gray, x: int, y: int, sub: np.ndarray, bh: int, paper, scale, dark, level, min_h: float,
          cfg: SegmentConfig) -> Blob | None:
    """One part of a blob from its columns' mask `sub` (left edge at working x, the blob's top
    at y), cut to its ink's rows; None when it is too short to be a digit beside the others
    (under `min_h` or half the blob's height `bh`)."""
    rows = np.flatnonzero(sub.any(axis=1))
    if len(rows) == 0:
        return None
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    if r1 - r0 < max(min_h, 0.5 * bh):
        return None
    return full_res_blob(gray, (x, y + r0, sub.shape[1], r1 - r0), sub[r0:r1], paper, scale, dark, level,
                         cfg=cfg)


def side_by_side_parts(gray, box: Box, group_boxes: list[Box], labels_patch: np.ndarray,
                       group_labels: list[int], paper, scale, dark, level, min_h: float,
                       cfg: SegmentConfig = DEFAULT, alone: bool = False) -> tuple[Blob, ...]:
    """A blob of several pieces parted into its left and its right pieces, or (): their boxes
    sharing at most `side_overlap` of the narrower's columns (a 7's bar may reach over the 2
    beside it; each part keeps only its own ink). Two digits side by side joined as one broken
    digit (a short 2 beside a 7's long stem) are offered apart. With `alone`, a side no taller
    than `alone_mark` of the blob is left out and the other offered alone (a "-" joined to the
    digit after it as a broken-off stroke, too wide to be one digit). The reader keeps the
    whole when it reads surely."""
    x, y, bw, bh = box
    order = sorted(range(len(group_boxes)), key=lambda i: group_boxes[i][0] + group_boxes[i][2] / 2)
    best, best_overlap = None, None
    for k in range(1, len(order)):
        left = [group_boxes[i] for i in order[:k]]
        right = [group_boxes[i] for i in order[k:]]
        l0, l1 = min(b[0] for b in left), max(b[0] + b[2] for b in left)
        r0, r1 = min(b[0] for b in right), max(b[0] + b[2] for b in right)
        overlap = max(0, min(l1, r1) - max(l0, r0)) / max(1, min(l1 - l0, r1 - r0))
        if overlap <= cfg.side_overlap and (best_overlap is None or overlap < best_overlap):
            best, best_overlap = k, overlap
    if best is None:
        return ()
    parts: list[tuple[Blob, int]] = []  # each part with its width in working columns
    for mine in ([group_labels[i] for i in order[:best]], [group_labels[i] for i in order[best:]]):
        own = np.isin(labels_patch, mine).view(np.uint8)
        cols = np.flatnonzero(own.any(axis=0))
        c0, c1 = int(cols[0]), int(cols[-1]) + 1
        part = _part(gray, x + c0, y, own[:, c0:c1], bh, paper, scale, dark, level, min_h, cfg)
        if part is not None:
            parts.append((part, c1 - c0))
        elif not alone or np.ptp(np.flatnonzero(own.any(axis=1))) + 1 > cfg.alone_mark * bh:
            return ()  # (a side left out is a sign's height: a lower-case letter of print is more)
    if len(parts) == 1 and parts[0][1] < cfg.alone_width * bw:
        return ()  # what would be left out is no short mark but much of the blob
    return tuple(part for part, _ in parts)
