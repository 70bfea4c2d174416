"""From a BGR frame to the blobs of ink that may be digits, each ready for the 28x28 contract.

The frame is searched at a small working size (320 px wide by default: digits 30-100 px tall
in a 640x480 frame are still 15-50 px there, and every stage costs a quarter), then each
kept blob is cut again from the full-resolution frame (small ones) or the working-size ink
map (big ones, still over twice the model's 20 px), so the classifier sees enough pixels.

Stages, each a function that can be tested alone:

    to_gray           BGR -> grey, once, at full resolution
    noise_level       the sensor noise, which decides how to shrink and threshold
    choose_polarity   dark ink on light paper, or light chalk on a dark board
    shrink            to the working size keeping each block's inkiest pixel (fine pens
                      survive), or averaging the block when the frame is noisy
    ink_map        (digits.edge.core.ink) divide by the paper's own brightness: flattens light and shadow
    binarise          Otsu on the ink map between a floor and (clean frames) a cap, with a
                      hysteresis low mask that keeps faint stroke ends attached to strong ones
    remove_lines      ruled and graph-paper lines: long straight runs, taken out and the
                      strokes that crossed them re-joined
    find_pieces       connected components, specks dropped, their number bounded
    join_pieces       pieces stacked in one column (a 5's hat, a broken stroke) become one blob;
                      then attach_fragments (small bits beside a digit) and join_broken
                      (side-by-side pieces whose union is still one digit's shape)
    plausible         rejects what cannot be a digit: too small, too big, too flat, solid
    split_points      where a blob wider than a digit is cut into touching digits
    full_res_blob     the blob's tight ink box in the input frame's pixels and its ink crop,
                      strokes normalised like MNIST's (thicken: fine pens widened)

API:
    segment(frame_bgr, config=SegmentConfig()) -> Segmentation
    Segmentation.blobs: list[Blob]; Blob(box=(x, y, w, h), crop=float32 ink map, parts=(...))

A blob's `parts` is non-empty when its shape says it may be several touching digits; the
reader classifies the whole and the parts in the same invoke and keeps whichever reads better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from digits.edge.core.ink import ink_map
from digits.edge.errors import ImageError

Box = tuple[int, int, int, int]  # x, y, w, h
MIN_SIDE = 8  # frames smaller than this (at the working size) hold no digit
WEAK = 0.75  # the hysteresis low threshold, as a fraction of the strong one
OTSU_CAP = 0.22  # ink this strong is ink whatever Otsu says: bold pens must not hide fine ones
NOISY = 2.0  # sensor noise (grey levels) above which blocks are averaged, not min-pooled
BIG_BLOB = 36  # blobs this tall at the working size are cut from it, not the full frame
SPLIT_WIDTH = 1.1  # blobs wider than this times their height may be touching digits
BROKEN_WIDTH = 0.9  # pieces whose union is at most this wide for its height may be one digit
FRAGMENT = 0.5  # a piece under this fraction of a neighbour's height beside it is part of it
THIN_STROKE = 0.076  # strokes thinner than this fraction of the digit's size are widened ...
TARGET_STROKE = 0.11  # ... to this, MNIST's median (measured on its test set)


@dataclass(frozen=True)
class SegmentConfig:
    work_width: int = 320  # frames wider than this are searched at this width
    polarity: str = "auto"  # "dark" ink on light paper, "light" ink on a dark board, or "auto"
    ink_floor: float = 0.14  # least ink strength (fraction of the paper's brightness) counted as ink
    min_height: float = 0.045  # smallest digit, as a fraction of the frame's height (22 px of 480)
    max_height: float = 0.7  # largest digit, as a fraction of the frame's height
    max_pieces: int = 400  # a frame with more pieces than this is noise: keep the largest
    max_blobs: int = 64  # at most this many blobs go to the classifier


@dataclass(frozen=True)
class Blob:
    box: Box  # tight box of the ink, in input-image pixels
    crop: np.ndarray = field(repr=False)  # float32 ink map of the box, 0 = paper, for to_mnist
    parts: tuple[Blob, ...] = ()  # the blob cut into touching digits, when its shape suggests so


@dataclass(frozen=True)
class Segmentation:
    blobs: list[Blob]
    polarity: str  # "dark" or "light"
    ink_level: float  # the binarisation threshold used, as an ink strength in [0, 1]
    scale: float  # working size / input size
    lines_removed: int  # pixels of ruled lines taken out, at the working size
    pieces: int  # connected pieces before joining and rejection


# --- stages ------------------------------------------------------------------------------------

def to_gray(frame: np.ndarray) -> np.ndarray:
    """Any BGR, BGRA or grey frame (uint8 or not) as a contiguous grey uint8 image."""
    if not isinstance(frame, np.ndarray) or frame.size == 0 or frame.ndim not in (2, 3):
        raise ImageError("empty or malformed frame")
    if frame.ndim == 3:
        if frame.shape[2] in (3, 4):
            code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
            frame = cv2.cvtColor(frame if frame.dtype == np.uint8 else _to_u8(frame), code)
        else:
            frame = frame[..., 0]
    return np.ascontiguousarray(_to_u8(frame))


def _to_u8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    return cv2.normalize(image.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)


def pool_factor(width: int, work_width: int) -> int:
    """The whole number of input pixels that make one working pixel."""
    return max(1, int(round(width / max(1, work_width))))


def noise_level(gray: np.ndarray) -> float:
    """The sensor noise's standard deviation in grey levels, from the median deviation of
    each pixel from its 3x3 neighbourhood (robust to the ink and edges, which are few)."""
    step = 4 if min(gray.shape) >= 256 else 1  # a sparse sample: plenty for a median
    sample = np.ascontiguousarray(gray[::step, ::step])
    residual = cv2.absdiff(sample, cv2.blur(sample, (3, 3)))
    cdf = cv2.calcHist([residual], [0], None, [256], [0, 256]).ravel().cumsum()
    half = 0.5 * cdf[-1]
    v = int(np.searchsorted(cdf, half))  # the median's bin, then linear within it
    below = cdf[v - 1] if v > 0 else 0.0
    median = v - 0.5 + (half - below) / max(cdf[v] - below, 1.0)
    return float(1.4826 * median / 0.943)  # MAD -> sigma; a 3x3 mean takes 1/9 of the pixel itself


def shrink(gray: np.ndarray, factor: int, dark: bool, noisy: bool = False) -> np.ndarray:
    """Shrink by `factor`, keeping each block's inkiest pixel (darkest for dark ink).

    Averaging would fade a fine pen's one-pixel stroke to a grey the threshold may miss;
    taking the block's extreme keeps every stroke at full contrast at a quarter the cost.
    On a `noisy` frame the extreme is the noise's instead, so there the blocks are averaged.
    """
    if factor == 1:
        return gray
    if noisy:
        h, w = gray.shape
        size = (max(1, -(-w // factor)), max(1, -(-h // factor)))
        return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    kernel = np.ones((factor, factor), np.uint8)
    pooled = cv2.erode(gray, kernel, anchor=(0, 0)) if dark else cv2.dilate(gray, kernel, anchor=(0, 0))
    return np.ascontiguousarray(pooled[::factor, ::factor])


def choose_polarity(gray: np.ndarray, window: int = 31) -> str:
    """"dark" or "light": the sign of the strongest deviations from the local mean.

    Ink is the minority of pixels that differ most from their neighbourhood; paper next to
    a stroke differs too (the stroke pulls the local mean its way), but by much less, and
    smooth shadows hardly at all. So only deviations of at least half the strongest few
    (the top 0.05 % of pixels) vote, and the sign with more votes is the ink's.
    """
    mean = cv2.blur(gray, (window, window))
    lighter_by = cv2.subtract(gray, mean)
    darker_by = cv2.subtract(mean, gray)
    strength = cv2.max(lighter_by, darker_by)
    hist = cv2.calcHist([strength], [0], None, [256], [0, 256]).ravel()
    above = hist[::-1].cumsum()[::-1]  # above[v]: pixels at least v off their mean
    few = max(20.0, 0.0005 * strength.size)
    strongest = int(np.flatnonzero(above >= few)[-1]) if above[0] >= few else 0
    top = max(12, strongest // 2)
    lighter = int(np.count_nonzero(lighter_by > top))
    darker = int(np.count_nonzero(darker_by > top))
    return "light" if lighter > 1.5 * darker else "dark"


def stroke_px_for(height: int) -> int:
    """The widest stroke the paper estimate must close over, at the working size.

    The biggest digit we look for is `max_height` of the frame; its stroke is at most a
    sixth of its height.
    """
    return max(3, int(round(height * 0.7 / 12)))


def binarise(ink: np.ndarray, floor: float, cap: float = 1.0) -> tuple[np.ndarray, np.ndarray, int]:
    """(strong mask, weak mask, level): Otsu's threshold on the ink map, never below `floor`
    and never above `cap`: Otsu splits paper from the bulk of the ink, so on a page of bold
    digits it would hide a fine pen's fainter strokes; on a clean frame ink of `cap`
    strength is ink whatever the bulk is (a noisy frame keeps Otsu, or noise would pass).

    The weak mask (WEAK of the level) keeps faint parts of strokes; the caller keeps only weak
    pieces that hold some strong ink (hysteresis), which joins broken strokes without
    admitting faint smudges on their own.
    """
    otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    level = int(max(min(otsu, cap * 255), floor * 255))
    strong = (ink > level).view(np.uint8)
    weak = (ink > int(level * WEAK)).view(np.uint8)
    return strong, weak, level


def remove_lines(mask: np.ndarray, min_len_x: int, min_len_y: int,
                 faint: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Take long straight horizontal and vertical runs (ruled paper, graph paper) out of `mask`.

    A line is ink that holds a straight run longer than any digit stroke; the mask is first
    thickened across the run's direction so slightly tilted lines still hold such a run.
    Lines are looked for in `faint` (a lower threshold than `mask`, default `mask` itself):
    a printed rule is often fainter than the ink and broken at the mask's threshold, but it
    is continuous at a lower one. The strokes that crossed a line are re-joined by closing
    across it. Returns the new mask and how many of its pixels were removed.
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
        if not band.size:
            continue
        line = cv2.bitwise_and(out, band)
        removed += int(np.count_nonzero(line))
        rest = cv2.subtract(out, band)
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


@dataclass(frozen=True)
class Piece:
    box: Box  # at the working size
    area: int
    label: int  # component label in the label image


def find_pieces(components, strong: np.ndarray, min_side: int,
                max_pieces: int) -> tuple[list[Piece], np.ndarray]:
    """Connected pieces of the weak mask that hold strong ink, specks (< min_side) dropped.

    `components` is OpenCV's connectedComponentsWithStats of the weak mask.
    """
    count, labels, stats, _ = components
    if count <= 1:
        return [], labels
    has_strong = np.zeros(count, bool)
    has_strong[labels[strong > 0]] = True
    x, y, w, h, area = (stats[:, i] for i in range(5))
    keep = has_strong & (np.maximum(w, h) >= min_side) & (area >= 3)
    keep[0] = False
    index = np.flatnonzero(keep)
    if len(index) > max_pieces:  # thousands of specks: keep the largest, bounded work
        index = index[np.argsort(-area[index], kind="stable")[:max_pieces]]
    pieces = [Piece((int(x[i]), int(y[i]), int(w[i]), int(h[i])), int(area[i]), int(i)) for i in index]
    return pieces, labels


def join_pieces(pieces: list[Piece], min_h: float = 0.0) -> list[list[Piece]]:
    """Group pieces that sit one above another in the same column: parts of one digit.

    Digits in a number sit side by side, so pieces that share most of their columns and are
    close vertically are one digit broken apart (a 5's hat, a faint join in a 4 or an 8).
    """
    n = len(pieces)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(n), key=lambda i: pieces[i].box[0])
    for a_pos, a in enumerate(order):
        ax, ay, aw, ah = pieces[a].box
        for b in order[a_pos + 1 :]:
            bx, by, bw, bh = pieces[b].box
            if bx >= ax + aw:
                break  # sorted by x: nothing further right overlaps a's columns
            overlap = min(ax + aw, bx + bw) - max(ax, bx)
            gap = max(ay, by) - min(ay + ah, by + bh)  # negative when the rows overlap
            tall = max(ah, bh)
            if overlap >= 0.6 * min(aw, bw) and gap <= 0.25 * tall:
                small, big = (a, b) if pieces[a].area < pieces[b].area else (b, a)
                # a small piece may join a bigger one; two big side-by-side ones are two digits
                if overlap >= 0.6 * max(aw, bw) or pieces[small].area < 0.5 * pieces[big].area \
                        or gap > 0:
                    parent[find(a)] = find(b)
    groups: dict[int, list[Piece]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(pieces[i])
    return join_broken(attach_fragments(list(groups.values()), min_h))


def attach_fragments(groups: list[list[Piece]], min_h: float = 0.0) -> list[list[Piece]]:
    """Give each fragment (under half as tall as a neighbour, and touching or nearly touching
    it) to that neighbour: a detached hat or tail, a stroke broken off at a ruled line.

    Digits of one number are of a height, so something half as tall right beside a digit is
    part of it rather than a digit of its own.
    """
    boxes = [group_box(g) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: -boxes[i][3])
    owners = [j for j in order if boxes[j][3] >= min_h]  # only a digit-sized group takes a part
    owner = list(range(len(groups)))
    for i in order[::-1]:  # the smallest first
        x, y, w, h = boxes[i]
        best, best_gap = None, None
        for j in owners:
            bx, by, bw, bh = boxes[j]
            if h >= FRAGMENT * bh:
                break  # tallest first: every later one is shorter still
            reach = 0.08 * bh
            if bx > x + w + reach or x > bx + bw + reach or by > y + h + reach or y > by + bh + reach:
                continue
            gap = max(bx - (x + w), x - (bx + bw), by - (y + h), y - (by + bh))
            if best_gap is None or gap < best_gap:
                best, best_gap = j, gap
        if best is not None:
            owner[i] = best
    merged: dict[int, list[Piece]] = {}
    for i, g in enumerate(groups):
        root = i
        while owner[root] != root:
            root = owner[root]
        merged.setdefault(root, []).extend(g)
    return list(merged.values())


def join_broken(groups: list[list[Piece]]) -> list[list[Piece]]:
    """Join neighbouring groups whose union is still shaped like one digit: a fine or faint
    stroke broken in two side by side (an open 4, a 2's base apart from its hook).

    Two digits side by side make a union wider than a digit (w > BROKEN_WIDTH h), so they
    stay apart; so do two tall strokes side by side (a "11"), each nearly the union's height.
    """
    boxes = [group_box(g) for g in groups]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        order = sorted(range(len(groups)), key=lambda i: boxes[i][0])
        for a_pos, a in enumerate(order):
            ax, ay, aw, ah = boxes[a]
            for b in order[a_pos + 1 :]:
                bx, by, bw, bh = boxes[b]
                if bx > ax + aw + 0.2 * max(ah, bh):
                    break
                ux, uy = min(ax, bx), min(ay, by)
                uw, uh = max(ax + aw, bx + bw) - ux, max(ay + ah, by + bh) - uy
                union = (ux, uy, uw, uh)
                gap = max(bx - (ax + aw), ax - (bx + bw), by - (ay + ah), ay - (by + bh))
                both_tall = min(ah, bh) >= 0.7 * uh
                substantial = min(ah, bh) >= 0.3 * uh  # not a speck or a rule's leftover
                if uw <= BROKEN_WIDTH * uh and gap <= 0.2 * uh and substantial and not both_tall:
                    groups[a] = [*groups[a], *groups[b]]
                    boxes[a] = union
                    del groups[b], boxes[b]
                    merged = True
                    break
            if merged:
                break
    return groups


def group_box(group: list[Piece]) -> Box:
    x0 = min(p.box[0] for p in group)
    y0 = min(p.box[1] for p in group)
    x1 = max(p.box[0] + p.box[2] for p in group)
    y1 = max(p.box[1] + p.box[3] for p in group)
    return (x0, y0, x1 - x0, y1 - y0)


def plausible(box: Box, area: int, min_h: float, max_h: float, frame_w: int) -> bool:
    """Can a blob of this box and ink area be one or a few handwritten digits?"""
    x, y, w, h = box
    if h < min_h or h > max_h or w > 0.9 * frame_w:
        return False
    if w > 4 * h:  # a dash or the rest of a line (five touching digits are rarer than these)
        return False
    fill = area / float(w * h)
    # solid: a blot, a thumb, a shadow's edge; a "1" is solid too but thin
    return not (fill > 0.75 and w > 0.35 * h)


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
                  dark: bool, level: int, work_ink: np.ndarray | None = None) -> Blob | None:
    """Cut the blob from the full-resolution frame: ink relative to the paper, only its own ink.

    `box` is at the working size and `mask` (the blob's own pixels, 0/1) is the working-size
    patch under `box`; `paper` is the working-size paper level. Other blobs' ink inside the
    box is masked out.
    """
    fh, fw = gray.shape[:2]
    inv = 1.0 / scale
    x, y, w, h = box
    if work_ink is not None and inv > 1.0 and h >= BIG_BLOB:
        return _work_res_blob(work_ink, box, mask, inv, level, fw, fh)
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
    solid = cv2.threshold(ink, level, 255, cv2.THRESH_BINARY)[1]
    tx0, ty0, tw, th = cv2.boundingRect(solid)
    if tw == 0 or th == 0:
        return None
    tx1, ty1 = tx0 + tw, ty0 + th
    return Blob((X0 + tx0, Y0 + ty0, tx1 - tx0, ty1 - ty0),
                _normalise(ink[ty0:ty1, tx0:tx1], solid[ty0:ty1, tx0:tx1], level))


def _work_res_blob(ink: np.ndarray, box: Box, mask: np.ndarray, inv: float, level: int,
                   fw: int, fh: int) -> Blob | None:
    """A big blob straight from the working-size ink map: it is still over twice the 20 px
    the model sees, so going back to full resolution would only cost time."""
    x, y, w, h = box
    crop = cv2.bitwise_and(ink[y : y + h, x : x + w], mask * 255)
    solid = cv2.threshold(crop, level, 255, cv2.THRESH_BINARY)[1]
    tx, ty, tw, th = cv2.boundingRect(solid)
    if tw == 0 or th == 0:
        return None
    return Blob(_box_in_input((x + tx, y + ty, tw, th), inv, fw, fh),
                _normalise(crop[ty : ty + th, tx : tx + tw], solid[ty : ty + th, tx : tx + tw], level))


def _box_in_input(box: Box, inv: float, fw: int, fh: int) -> Box:
    x, y, w, h = box
    X0, Y0 = int(round(x * inv)), int(round(y * inv))
    X1, Y1 = min(fw, int(round((x + w) * inv))), min(fh, int(round((y + h) * inv)))
    return (X0, Y0, max(1, X1 - X0), max(1, Y1 - Y0))


def _normalise(crop: np.ndarray, solid: np.ndarray, level: int) -> np.ndarray:
    """uint8 ink to float [0, 1] like MNIST's strokes: full strength at the typical stroke
    core, paper noise (under half the level) at 0; fine strokes widened."""
    core = cv2.mean(crop, mask=solid)[0]
    low = 0.5 * level
    out = crop.astype(np.float32)
    out -= low
    out *= 1.0 / max(core - low, 1.0)
    np.clip(out, 0.0, 1.0, out=out)
    return thicken(out)


def stroke_width(crop: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the ink area over its outline's length."""
    solid = (crop > 0.5).view(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    outline = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(cv2.countNonZero(solid)) / max(outline, 1.0)


def thicken(crop: np.ndarray) -> np.ndarray:
    """Widen a fine pen's strokes to MNIST's proportions, which the model learnt.

    MNIST's strokes are 0.11 of the digit's longer side (median; 5 % of digits are under
    0.076). A fine pen on a big digit gives a fraction of that, which after scaling to 20 px
    is a faint, broken line. Such strokes are dilated to the MNIST median; others are left.
    """
    longer = max(crop.shape)
    width = stroke_width(crop)
    if width >= THIN_STROKE * longer:
        return crop
    grow = int(round((TARGET_STROKE * longer - width) / 2))
    if grow < 1:
        return crop
    padded = cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(padded, kernel)


# --- the whole segmenter -----------------------------------------------------------------------

def segment(frame: np.ndarray, config: SegmentConfig = SegmentConfig()) -> Segmentation:
    """Find the blobs of ink in a BGR (or grey) frame that may be digits."""
    full = to_gray(frame)
    factor = pool_factor(full.shape[1], config.work_width)
    scale = 1.0 / factor
    if min(full.shape) < MIN_SIDE * factor:  # a sliver cannot hold a digit
        return Segmentation([], "dark", 0.0, scale, 0, 0)
    polarity = config.polarity
    if polarity not in ("dark", "light"):  # a vote: a coarse thumbnail has plenty of pixels
        step = 2 * factor if min(full.shape) >= 4 * MIN_SIDE * factor else factor
        polarity = choose_polarity(np.ascontiguousarray(full[::step, ::step]), window=15)
    dark = polarity == "dark"
    noisy = noise_level(full) >= NOISY
    gray = shrink(full, factor, dark, noisy=noisy)
    h, w = gray.shape
    ink, paper = ink_map(gray, dark_ink=dark, stroke_px=stroke_px_for(h))
    strong, weak, level = binarise(ink, config.ink_floor, cap=1.0 if noisy else OTSU_CAP)

    min_h = max(4.0, config.min_height * h)
    max_h = config.max_height * h
    removed = 0
    # lines are only looked for when something is long enough to be one: most frames skip it
    longest_x, longest_y = int(0.25 * w), int(0.45 * h)
    faint = (ink > level // 2).view(np.uint8)
    weak, removed = remove_lines(weak, longest_x, longest_y, faint)
    if removed:
        strong = cv2.bitwise_and(strong, weak)
    cc = cv2.connectedComponentsWithStats(weak, connectivity=8, ltype=cv2.CV_16U)

    pieces, labels = find_pieces(cc, strong, max(2, int(min_h / 3)), config.max_pieces)
    blobs: list[Blob] = []
    groups = sorted(((group_box(g), g) for g in join_pieces(pieces, min_h)), key=lambda bg: bg[0][0])
    for box, group in groups:
        area = sum(p.area for p in group)
        if not plausible(box, area, min_h, max_h, w):
            continue
        x, y, bw, bh = box
        local = labels[y : y + bh, x : x + bw]
        if len(group) == 1:
            own = (local == group[0].label).view(np.uint8)
        else:
            own = np.isin(local, [p.label for p in group]).view(np.uint8)
        blob = full_res_blob(full, box, own, paper, scale, dark, level, ink)
        if blob is None:
            continue
        if bw > SPLIT_WIDTH * bh:  # wider than one digit usually is: offer a cut into touching digits
            blob = Blob(blob.box, blob.crop, _parts(full, box, own, paper, scale, dark, level, min_h))
        blobs.append(blob)
        if len(blobs) >= config.max_blobs:
            break
    return Segmentation(blobs, polarity, level / 255.0, scale, removed, len(pieces))


def _parts(gray, box: Box, own: np.ndarray, paper, scale, dark, level,
           min_h: float) -> tuple[Blob, ...]:
    """The blob cut into as many digits as its width suggests (at least two), or () when a
    part would be too short to be a digit beside the others."""
    x, y, bw, bh = box
    count = min(6, max(2, int(round(bw / (0.7 * bh)))))
    cuts = split_points(own, count)
    if not cuts:
        return ()
    edges = [0, *cuts, bw]
    parts = []
    for a, b in zip(edges[:-1], edges[1:]):
        sub = own[:, a:b]
        rows = np.flatnonzero(sub.any(axis=1))
        if b - a < 2 or len(rows) == 0:
            return ()
        r0, r1 = int(rows[0]), int(rows[-1]) + 1
        if r1 - r0 < max(min_h, 0.5 * bh):
            return ()
        part = full_res_blob(gray, (x + a, y + r0, b - a, r1 - r0), sub[r0:r1], paper, scale,
                             dark, level)
        if part is None:
            return ()
        parts.append(part)
    return tuple(parts)
