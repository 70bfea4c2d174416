"""From a BGR frame to the blobs of ink that may be digits, each ready for the 28x28 contract.

The frame is searched at a small working size (320 px wide by default: digits 30-100 px tall
in a 640x480 frame are still 15-50 px there, and every stage costs a quarter), then each
kept blob is cut again from the full-resolution frame (small ones) or the working-size ink
map (big ones, still over twice the model's 20 px), so the classifier sees enough pixels.
Writing small at the working size (a whole page, a phone photo) is looked at again, closer,
and there digits down to half the first look's smallest are read, unless what is seen is a
page of print (more pieces or blobs than the segmenter keeps). Blobs read below the usual
smallest (`Segmentation.least_px`) are not counted among a page's blobs when the reader asks
whether it is a page of words: a form's small marks would tip it. A sheet found on a desk
(`page`) whose box covers under half the frame is read as a frame of its own: a page
photographed from a step back has its digits' sizes measured against the page, not the desk.

Stages, each a function that can be tested alone:

    to_gray           BGR -> grey, once, at full resolution
    noise_level       the sensor noise, which decides how to shrink and threshold
    choose_polarity   dark ink on light paper, or light chalk on a dark board
    shrink            to the working size keeping each block's inkiest pixel (fine pens
                      survive), or averaging the block when the frame is noisy
    ink_map           (ink.py) divide by the paper's own brightness: flattens light and shadow
    binarise          Otsu on the ink map between a floor and (clean frames) a cap, with a
                      hysteresis low mask that keeps faint stroke ends attached to strong ones
    remove_lines      (lines.py) ruled and graph-paper lines: long straight runs, taken out and the
                      strokes that crossed them re-joined; on a page with lines, shorter runs too
                      (what is left of tilted or bent ones)
    find_pieces       (pieces.py) connected components, specks dropped, their number bounded
    drawn_boxes       outlines empty in their middle that hold writing: boxes drawn round it,
                      set aside before anything is joined or measured
    unbridge          (pieces.py) two digits joined only through a removed rule (a table's rows),
                      apart again
    join_pieces       pieces stacked in one column (a 5's hat, a broken stroke) become one blob;
                      then attach_fragments (small bits beside a digit) and join_broken
                      (side-by-side pieces whose union is still one digit's shape)
    plausible         rejects what cannot be a digit: too small, too big, too flat, solid; then
                      a rule's leftovers (a cell's wall) and boxes drawn round the writing
    print_lines       (printed.py) lines of print too small for digits: a blob standing in one
                      is a letter (b, g, h, S) that stands out of them
    split_points      (crops.py) where a blob wider than a digit is cut into touching digits
    full_res_blob     (crops.py) the blob's tight ink box in the input frame's pixels and its ink crop,
                      strokes normalised like MNIST's (thicken: fine pens widened)

API:
    segment(frame_bgr, config=SegmentConfig()) -> Segmentation
    Segmentation.blobs: list[Blob]; Blob(box=(x, y, w, h), crop=float32 ink map, parts=(...))
    Segmentation.marks, .rules: other ink and upright ruled lines, for grouping numbers
    Every tuning value: SegmentConfig (tuning.py).

A blob's `parts` is non-empty when its shape says it may be several touching digits; the
reader classifies the whole and the parts in the same invoke and keeps whichever reads better.
A blob's `source` (cuts.CutSource) lets the reader cut it every way when it reads poorly.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from digits.edge.core.blob import Blob, Box, Segmentation
from digits.edge.core.crops import cut_parts, full_res_blob, side_by_side_parts
from digits.edge.core.cuts import CutSource
from digits.edge.core.ink import ink_map
from digits.edge.core.lines import remove_lines
from digits.edge.core.page import find_page, paint_outside
from digits.edge.core.pieces import find_pieces, group_box, is_frame, join_pieces, unbridge
from digits.edge.core.printed import count_lines, in_print, print_lines
from digits.edge.core.tuning import DEFAULT, SegmentConfig
from digits.edge.errors import ImageError

HOLLOW = 0.03  # ink on less than this share of its box: an outline drawn round something, no digit
SLENDER_LINE = 16  # a found line is at least this many times longer than it is thick
EMPTY = 0.02  # an outline with at most this share of its own ink in its middle half is a drawn box
RUN_FILL = 0.3  # a piece far wider than a digit with at least this share of its box inked is a run
ROWS_REJOINED = 1.2  # writing taller than this many rule pitches is rows re-joined across the rules
PRINT_PAGE = 10  # ... or sees this many lines of print (counted by the usual smallest digit)
CLOSER_MIN = 0.5  # the closer look at small writing reads digits down to this share of min_height
STRIP = 3.0  # a frame this many times wider than tall is a strip round one line of writing ...
STRIP_LINE = 0.9  # ... where an upright run is a rule only if it spans this share of its height
WALL_PITCH = 1.8  # upright rules this many writing heights apart or more wall off a table's cells
# (closer ones, graph paper, only stop a line's regular spacing joining its numbers)

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


def stroke_px_for(height: int, digit: float = DEFAULT.paper_digit) -> int:
    """Half the widest stroke the paper estimate must close over, at the working size.

    A digit `digit` of the frame's height has strokes of at most a sixth of its height; the
    closing's kernel (2 s + 1 pixels) spans that sixth. Bigger digits' strokes are wider than
    the kernel, but they are found all the same: their edges are ink against the paper.
    """
    return max(3, int(round(height * digit / 12)))


def binarise(ink: np.ndarray, floor: float, cap: float = 1.0,
             weak_fraction: float = DEFAULT.weak) -> tuple[np.ndarray, np.ndarray, int]:
    """(strong mask, weak mask, level): Otsu's threshold on the ink map, never below `floor`
    and never above `cap`: Otsu splits paper from the bulk of the ink, so on a page of bold
    digits it would hide a fine pen's fainter strokes; on a clean frame ink of `cap`
    strength is ink whatever the bulk is (a noisy frame keeps Otsu, or noise would pass).

    The weak mask (`weak_fraction` of the level) keeps faint parts of strokes; the caller keeps only weak
    pieces that hold some strong ink (hysteresis), which joins broken strokes without
    admitting faint smudges on their own.
    """
    otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    level = int(max(min(otsu, cap * 255), floor * 255))
    strong = (ink > level).view(np.uint8)
    weak = (ink > int(level * weak_fraction)).view(np.uint8)
    return strong, weak, level


def plausible(box: Box, area: int, min_h: float, max_h: float, frame_w: int,
              cfg: SegmentConfig = DEFAULT, frame_h: int = 0) -> bool:
    """Can a blob of this box and ink area be one or a few handwritten digits?"""
    x, y, w, h = box
    if h < min_h or h > max_h or w > cfg.max_width * frame_w:
        return False
    if w > cfg.max_aspect * h:  # a dash or the rest of a line (five touching digits are rarer than these)
        return False
    fill = area / float(w * h)
    at_edge = x <= 0 or y <= 0 or x + w >= frame_w or (frame_h and y + h >= frame_h)
    if at_edge and fill > cfg.solid_fill:  # a strip of desk or shadow at the frame's edge, no "1"
        return False
    if (x <= 0 or x + w >= frame_w) and w < cfg.rule_width * h:
        return False  # upright on the frame's side: the edge of a book or a page beyond it, no "1"
    # solid: a blot, a thumb, a shadow's edge; a "1" is solid too but thin, and a small 8 or 0
    # fills in at the working size (the model says "not a digit" to a small blot)
    return not (fill > cfg.solid_fill and w > cfg.solid_width * h and h >= cfg.solid_min_px)


# --- the whole segmenter -----------------------------------------------------------------------

def segment(frame: np.ndarray, config: SegmentConfig = SegmentConfig()) -> Segmentation:
    """Find the blobs of ink in a BGR (or grey) frame that may be digits."""
    full = to_gray(frame)
    sheet = find_page(full, config)
    offset = (0, 0)
    if sheet is not None:  # a sheet on a desk: the desk and the sheet's edge are not ink
        full = paint_outside(full, sheet)
        x, y, w, h = cv2.boundingRect(sheet)
        if w * h < config.page_crop * full.size:  # a small sheet is read at its own size
            full, offset = np.ascontiguousarray(full[y : y + h, x : x + w]), (x, y)
    seg = _segment_sheet(full, config)
    return _moved(seg, offset) if offset != (0, 0) else seg


def _segment_sheet(full: np.ndarray, config: SegmentConfig) -> Segmentation:
    """The blobs of a grey frame (or of the sheet cut from it), with the closer look."""
    factor = pool_factor(full.shape[1], config.work_width)
    seg, text_px = _segment_at(full, factor, config)
    if factor > 1 and 0 < text_px < config.zoom_below:
        # the writing is small at the working size (a whole page, a phone photo): look closer
        closest = pool_factor(full.shape[1], config.max_work_width)
        finer = max(1, int(factor * text_px / config.zoom_to), closest)
        if finer < factor:
            # small writing may be smaller than the smallest digit of the first look: the closer
            # look reads down to half of it, unless what it sees then is print (more pieces and
            # blobs than writing has, or lines of print by the usual smallest digit: a page of
            # letters, washed out or saved small), which it reads as the first look would
            smaller = replace(config, min_height=config.min_height * CLOSER_MIN)
            closer, closer_px = _segment_at(full, finer, smaller, usual=config)
            if (len(closer.blobs) >= config.max_blobs or closer.pieces >= config.max_pieces
                    or closer.usual_print_lines >= PRINT_PAGE):
                closer, closer_px = _segment_at(full, finer, config)
            # keep the closer look only if it sees the same small writing, grown by the zoom:
            # dust or noise read as "small writing" shows as bigger pieces once looked at closely
            if closer_px <= config.zoom_agree * text_px * factor / finer:
                seg = closer
    return seg


def _moved(seg: Segmentation, offset: tuple[int, int]) -> Segmentation:
    """A sheet's segmentation in the input frame's pixels (the sheet lay at `offset`)."""
    dx, dy = offset

    def box(b: Box) -> Box:
        return (b[0] + dx, b[1] + dy, b[2], b[3])

    def blob(b: Blob) -> Blob:
        source = replace(b.source, offset=offset) if b.source is not None else None
        return replace(b, box=box(b.box), parts=tuple(blob(p) for p in b.parts), source=source)

    return replace(seg, blobs=[blob(b) for b in seg.blobs], marks=tuple(box(m) for m in seg.marks),
                   rules=tuple(box(r) for r in seg.rules))


def _without_lines(weak: np.ndarray, faint: np.ndarray, longest_x: int, longest_y: int, side: int,
                   config: SegmentConfig, bands: list[np.ndarray] | None = None,
                   uprights: list[np.ndarray] | None = None) -> tuple[np.ndarray, int]:
    """The mask with ruled and graph-paper lines taken out, and how many pixels that took.
    Once a page has lines (`ruled` of them or more: a stroke or two as long as a line are
    a big digit's), shorter runs are lines too: what is left of tilted or bent ones. A rule is
    at most `line_thickness` of the frame's shorter `side` thick, so that a page held upright
    (a phone's portrait photo) is judged as the same page lying wide would be."""
    thick = max(2, int(config.line_thickness * side))
    before = weak
    weak, removed = remove_lines(weak, longest_x, longest_y, faint, max_thick=thick, bands=bands,
                                 uprights=uprights)
    if removed and _lines_found(cv2.subtract(before, weak), longest_x, longest_y) >= config.ruled:
        weak, more = remove_lines(weak, int(config.line_rest * longest_x), int(config.line_rest * longest_y),
                                  faint, max_thick=thick, bands=bands, uprights=uprights)
        removed += more
    return weak, removed


def _lines_found(removed: np.ndarray, longest_x: int, longest_y: int) -> int:
    """How many lines were taken out: pieces of the removed pixels at least a line long and
    slender (a big digit's bar, as long, is far thicker for its length)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(removed, connectivity=8)
    w, h, area = (stats[1:, k].astype(np.int64)
                  for k in (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    along = np.maximum(w, h)
    lines = ((w >= longest_x) | (h >= longest_y)) & (area * SLENDER_LINE <= along * along)
    return int(np.count_nonzero(lines))


def cell_wall(box: Box, rules: np.ndarray, cfg: SegmentConfig) -> bool:
    """A thin upright that runs from one removed rule to the next: the wall of a table's cell
    or a box, cut apart by taking the rules out. A "1" written in a cell seldom touches both.
    A wall may end a little past a rule (a table's corner), so a rule across either end counts."""
    x, y, w, h = box
    if w > cfg.rule_width * h or y == 0 or y + h >= rules.shape[0]:
        return False
    reach = max(2, h // 8)  # a rule a little beyond either end still closes the cell
    past = 2  # and one just inside it: the wall ends a little past the rule
    above = rules[max(0, y - reach) : y + past, x : x + w]
    below = rules[y + h - past : y + h + reach, x : x + w]
    return bool(above.any() and below.any())


def wall_goes_on(box: Box, walls: list[Box], rules: np.ndarray, cfg: SegmentConfig) -> bool:
    """A thin upright that a cell's wall continues across a rule: the same line (a table's last
    row, whose closing rule is too faint to be taken out)."""
    x, y, w, h = box
    if w > cfg.rule_width * h:
        return False
    reach = max(2, h // 8)
    for wx, wy, ww, wh in walls:
        if min(x + w, wx + ww) <= max(x, wx):
            continue  # not in the same column
        gap = (y, wy + wh) if wy < y else (wy, y + h)  # (lower top, upper bottom)
        if -reach <= gap[0] - gap[1] <= 2 * reach and rules[gap[1] - reach : gap[0] + reach, x : x + w].any():
            return True
    return False


def upright_rules(uprights: list[np.ndarray], text_px: float) -> tuple[list[Box], list[Box]]:
    """The upright lines taken out, at least as tall as the writing: (all of them, the table's
    walls). Walls are those with no other beside them closer than WALL_PITCH writing heights:
    on graph paper one number spans several squares, and its rules part no digits."""
    if not uprights or not text_px:
        return [], []
    count, _, stats, _ = cv2.connectedComponentsWithStats(_union(uprights), connectivity=8)
    rules = stats[1:, :4].astype(np.int64)
    rules = rules[rules[:, 3] >= text_px]
    if len(rules) < 2:
        walls = rules
    else:
        centre = rules[:, 0] + rules[:, 2] / 2
        top, bottom = rules[:, 1], rules[:, 1] + rules[:, 3]
        beside = np.minimum(bottom[:, None], bottom[None]) > np.maximum(top[:, None], top[None])
        apart = np.abs(centre[:, None] - centre[None]) + np.where(beside, 0, np.inf)
        np.fill_diagonal(apart, np.inf)
        walls = rules[apart.min(axis=1) >= WALL_PITCH * text_px]
    return [tuple(int(v) for v in b) for b in rules], [tuple(int(v) for v in b) for b in walls]


def text_height(pieces: list, min_px: float) -> float:
    """The typical height of the writing at the working size: the height of the piece that
    holds the median pixel of ink, so specks of dust, many but small, do not set it; nor do
    boxes drawn round the writing, whose ink is a thin outline of a big box."""
    piece = writing_piece(pieces, min_px)
    return float(piece.box[3]) if piece is not None else 0.0


def writing_piece(pieces: list, min_px: float):
    """The piece that holds the median pixel of ink (see `text_height`), or None with under 3."""
    sized = sorted((p for p in pieces if p.box[3] >= min_px and p.area >= HOLLOW * p.box[2] * p.box[3]
                    and not _run_together(p)), key=lambda p: (p.box[3], p.area))
    if len(sized) < 3:
        return None
    areas = np.cumsum([p.area for p in sized])
    return sized[int(np.searchsorted(areas, areas[-1] / 2))]


def drawn_boxes(pieces: list, labels: np.ndarray) -> np.ndarray:
    """Which pieces are boxes drawn round writing: each holds two or more others (at least a
    fifth of its height) inside its box, and none of its own ink in its middle half (a table's
    grid crosses its middle; a 0 or an 8 holds no pieces). A small box drawn with a thick pen
    is too full for `is_frame`, and took the digits it holds into one blob."""
    if len(pieces) < 3:
        return np.zeros(len(pieces), bool)
    b = np.array([p.box for p in pieces], np.int64)
    x, y, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    inside = ((x[None, :] >= x[:, None]) & (y[None, :] >= y[:, None])
              & (x[None, :] + w[None, :] <= x[:, None] + w[:, None])
              & (y[None, :] + h[None, :] <= y[:, None] + h[:, None])
              & (5 * h[None, :] >= h[:, None]))
    np.fill_diagonal(inside, False)
    holding = inside.sum(axis=1) >= 2
    for i in np.flatnonzero(holding):
        bx, by, bw, bh = pieces[i].box
        middle = labels[by + bh // 4 : by + bh - bh // 4, bx + bw // 4 : bx + bw - bw // 4]
        holding[i] = middle.size > 0 and np.count_nonzero(middle == pieces[i].label) <= EMPTY * middle.size
    return holding


def _run_together(piece) -> bool:
    """A row of glyphs run together (print blurred or in dim light, a cramped note's digits
    touching): far wider than any digit, and as full of ink as writing is (a table's grid, as
    wide, is mostly empty). Its height is no one glyph's."""
    x, y, w, h = piece.box
    return w > DEFAULT.max_aspect * h and piece.area >= RUN_FILL * w * h


def rule_pitch(lines: np.ndarray, axis: int = 1) -> float:
    """The median distance between neighbouring rules (working pixels): lying ones (axis 1) or
    upright ones (axis 0); inf with fewer than two."""
    rows = np.flatnonzero(cv2.reduce(lines, axis, cv2.REDUCE_MAX).ravel())
    if rows.size == 0:
        return float("inf")
    starts = rows[np.diff(rows, prepend=-10) > 2]
    return float(np.median(np.diff(starts))) if starts.size >= 2 else float("inf")


def _segment_at(full: np.ndarray, factor: int, config: SegmentConfig,
                usual: SegmentConfig | None = None) -> tuple[Segmentation, float]:
    """The segmenter at one working size, and the height of the writing it saw there. With
    `usual`, the config a smaller one stands in for, the blobs under its smallest digit are
    marked (`Segmentation.least_px`)."""
    scale = 1.0 / factor
    if min(full.shape) < config.min_side * factor:  # a sliver cannot hold a digit
        return Segmentation([], "dark", 0.0, scale, 0, 0), 0.0
    polarity = config.polarity
    if polarity not in ("dark", "light"):  # a vote: a coarse thumbnail has plenty of pixels
        step = 2 * factor if min(full.shape) >= 4 * config.min_side * factor else factor
        polarity = choose_polarity(np.ascontiguousarray(full[::step, ::step]), window=config.polarity_window)
    dark = polarity == "dark"
    noisy = noise_level(full) >= config.noisy
    gray = shrink(full, factor, dark, noisy=noisy)
    h, w = gray.shape
    ink, paper = ink_map(gray, dark_ink=dark, stroke_px=stroke_px_for(h, config.paper_digit))
    strong, weak, level = binarise(ink, config.ink_floor, cap=1.0 if noisy else config.otsu_cap,
                                   weak_fraction=config.weak)

    min_h = max(config.min_px, config.min_height * h)
    max_h = config.max_height * h
    removed = 0
    # lines are only looked for when something is long enough to be one: most frames skip it
    # in a strip cropped round one line of writing a 1 is half its height: there a rule across
    # the line (upright, or level in a strip stored on its side) must nearly span it
    across_x = config.line_x if h < STRIP * w else STRIP_LINE
    upright = config.line_y if w < STRIP * h else STRIP_LINE
    longest_x, longest_y = int(across_x * w), int(upright * h)
    faint = (ink > level // 2).view(np.uint8)
    before, bands, uprights = weak, [], []
    weak, removed = _without_lines(weak, faint, longest_x, longest_y, min(h, w), config, bands, uprights)
    rules = strict = None
    if removed:
        rules = cv2.dilate(cv2.subtract(before, weak), np.ones((3, 3), np.uint8))  # where lines were
        strong = cv2.bitwise_and(strong, weak)
        if cv2.countNonZero(before) <= config.busy * before.size:  # writing, not a busy texture
            strict = before  # the lines cut out, nothing re-joined
            for band in bands:
                strict = cv2.subtract(strict, band)
    cc = components(weak)

    pieces, labels = find_pieces(cc, strong, max(2, int(min_h / 3)), config.max_pieces)
    blobs: list[Blob] = []
    boxed = drawn_boxes(pieces, labels)
    drawn = [p.box for p, b in zip(pieces, boxed) if b]
    pieces = [p for p, b in zip(pieces, boxed) if not b]
    writing = writing_piece(pieces, config.min_px)
    text_px = float(writing.box[3]) if writing is not None else 0.0  # as `text_height` measures it
    if strict is not None:  # digits of two rows joined through the rule between them: apart again
        apart_px = text_px
        flat = [b for b in bands if not any(b is u for u in uprights)]  # the rules that lie
        # a table's cells are wider than its digits, graph paper's squares narrower
        if (writing is not None and flat and uprights
                and writing.box[2] >= config.rule_width * writing.box[3]  # no rule's leftover
                and writing.box[2] < rule_pitch(_union(uprights), axis=0) < np.inf
                and writing.box[3] > ROWS_REJOINED * rule_pitch(_union(flat))):
            # the writing's typical piece is a small table's column, its rows re-joined across
            # the rules: the writing's height is what the rules cut out show
            loose, _ = find_pieces(components(strict),
                                   strong, max(2, int(min_h / 3)), config.max_pieces)
            apart_px = min(text_px, text_height(loose, config.min_px)) or text_px
        pieces = unbridge(pieces, labels, strict, apart_px, max(2, int(min_h / 3)), config)
        if apart_px < text_px:  # the rows apart, the writing's own height
            text_px = text_height(pieces, config.min_px) or text_px
    min_h = max(min_h, config.text_share * text_px)  # the writing's own size sets the smallest digit
    least_px = 0.0 if usual is None else factor * max(
        usual.min_px, usual.min_height * h, usual.text_share * text_px)  # (input pixels)
    joined = join_pieces(pieces, min_h, config, text_px, ruled=rules is not None, labels=labels)
    groups = sorted(((group_box(g), g) for g in joined), key=lambda bg: bg[0][0])
    rules_up, marks = upright_rules(uprights, text_px)
    marks.extend(drawn)  # a box drawn round a number parts it from what is outside
    lines = print_lines(cc[2], min_h)  # lines of small print, whose tall letters are no digits
    walls = [box for box, _ in groups if rules is not None and cell_wall(box, rules, config)]
    wall_set = set(walls)
    for box, group in groups:
        area = sum(p.area for p in group)
        if not plausible(box, area, min_h, max_h, w, config, h):
            marks.append(box)
            continue
        if lines and in_print(box, lines):
            marks.append(box)
            continue  # a letter standing out of a line of small print
        if text_px and box[3] > config.largest_owner * text_px and box[2] < config.rule_width * box[3]:
            marks.append(box)
            continue  # a thin upright far taller than the writing: what is left of a rule, no "1"
        if rules is not None and (box in wall_set or wall_goes_on(box, walls, rules, config)):
            marks.append(box)
            continue
        if is_frame(box, area, text_px, config):
            continue  # a box drawn round the writing, alone or with what it holds
        x, y, bw, bh = box
        local = labels[y : y + bh, x : x + bw]
        if len(group) == 1:
            own = (local == group[0].label).view(np.uint8)
        else:
            own = np.isin(local, [p.label for p in group]).view(np.uint8)
        blob = full_res_blob(full, box, own, paper, scale, dark, level, ink, config)
        if blob is None:
            continue
        parts = ()
        if bw > config.split_width * bh:  # wider than one digit usually is: offer a cut into touching digits
            parts = cut_parts(full, box, own, paper, scale, dark, level, min_h, config)
            if not parts and len(group) > 1:  # a short piece beside a digit: offer the digit alone
                parts = side_by_side_parts(full, box, [p.box for p in group], local, [p.label for p in group],
                                           paper, scale, dark, level, min_h, config, alone=True)
        elif len(group) > 1:  # pieces joined side by side: offer them apart
            parts = side_by_side_parts(full, box, [p.box for p in group], local,
                                       [p.label for p in group], paper, scale, dark, level, min_h, config)
        source = None
        if bw >= config.look_again * bh and (not text_px or bh <= config.largest_owner * text_px):
            # the reader may cut it every way, if it reads poorly (not a picture far taller than the writing)
            source = CutSource(full, box, own, paper, scale, dark, level, ink, config)
        blob = Blob(blob.box, blob.crop, parts, source, len(group))
        blobs.append(blob)
        if len(blobs) >= config.max_blobs:
            break
    return Segmentation(blobs, polarity, level / 255.0, scale, removed, len(pieces),
                        _in_frame_px(marks, scale), _in_frame_px(rules_up, scale), least_px,
                        count_lines(lines), _usual_print(cc[2], least_px / factor)), text_px


def _usual_print(stats: np.ndarray, usual_px: float) -> int:
    """A closer look's lines of print counted by the usual smallest digit (`usual_px` working
    pixels; 0 for the first look, which counts nothing here)."""
    return count_lines(print_lines(stats, usual_px)) if usual_px else 0


def components(mask: np.ndarray):
    """OpenCV's connected components with stats, 8-connected: 16-bit labels (half the memory
    traffic), or 32-bit when a speckled frame holds 65,535 pieces or more."""
    try:
        return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)


def _union(masks: list[np.ndarray]) -> np.ndarray:
    out = masks[0]
    for m in masks[1:]:
        out = cv2.bitwise_or(out, m)
    return out


def _in_frame_px(boxes: list[Box], scale: float) -> tuple[Box, ...]:
    """Working-size boxes in the input frame's pixels."""
    return tuple(tuple(int(round(v / scale)) for v in box) for box in boxes)
