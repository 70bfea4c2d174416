"""Reads that are not writing: what the reader drops after the model has answered.

The model reads every blob it is given; some blobs read as digits are not written digits. Each
rule here looks at a frame's reads together (their sizes, their ink, their neighbours) and
keeps only the ones that are writing. The reader applies `without_clutter`, then `without_signs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from digits.edge.core import numbers as numbering
from digits.edge.core.blob import Box
from digits.edge.core.groups import Groups

if TYPE_CHECKING:
    from digits.edge.core.reader import DigitRead

EDGE_SURE = 0.95  # a digit the frame's edge cuts is kept only if it reads at least this surely
STRAY_SHARE = 0.35  # a frame where fewer of the blobs than this read as digits ...
STRAY_SURE = 0.9  # ... keeps a digit standing alone only if it reads at least this surely
FRAME_SURE = 0.92  # a frame of FRAME_DIGITS or more keeps them only if one reads this surely
FRAME_DIGITS = 3
TALL_ONE = 3.0  # a 1 this many times the height of the frame's other digits (their median) ...
TALL_ONE_OTHERS = 3  # ... is dropped when there are at least this many others to measure by
WORDS_BLOBS = 20  # a frame of at least this many blobs ...
WORDS_SHARE = 0.5  # ... fewer than this share of them read as digits, is a page of words:
ONE_COUNTS = 0.5  # (a 1 counts this much: a page of print's l, i, t and its streaks read as 1s)
WORD_GAP = 0.4  # blobs this close (of the taller's height) side by side on a line are a word,
LETTER_LEFT = 0.8  # a blob whose digits fill less of its width than this holds a letter too
FAINT_ONE = 0.25  # a 1 whose ink is fainter than this against the paper around it is dropped
BOW = 0.1  # a 1 whose stroke bows out to the right by this share of its height ...
TALLER = 1.1  # ... and stands this much taller than the frame's other digits (their median)
PAIR = 0.75  # ... is a ")", and its "(" is at least this share of its height
PAIR_BOW = 0.08  # a plain curved stroke bowed this far either way, paired with one bowed the other ...
PAIR_HALVES = 0.6  # ... (each half of it bowed at least this share of that, the same way) ...
# ... and a plain stroke (PLAIN_RUN: no flag, no base) is a bracket,
PAIR_SPAN = 10.0  # ... the pair at most this many of their heights apart, neither written against a
# digit outside them (closer than numbering.MAX_GAP of its height: a curved 1 inside a number)
SQUARE_TALL = 2.0  # a square bracket is at least this many times as tall as wide, ...
SQUARE_FOOT = 0.5  # ... its top and bottom bands (SQUARE_BAND of its height) span this share of its width,
SQUARE_BAND = 0.15
SQUARE_SIDE = 0.45  # ... and its middle (the rows from 30 to 70 %) keeps to this share of it on one side,
SQUARE_HUG = 0.8  # reaching this far to that side: nothing beyond its stem (a 1's base reaches past it),
SQUARE_STEM = 0.4  # its stem at most this share of the width (a plain 1's stem is its whole width)
SQUARE_MIN_PX = 8  # (narrower, a small 1's curled end is a foot to it)
CROSS_SURE = 0.9  # an 8 with no loop is kept only if it reads at least this surely
PLUS_SURE = 0.7  # a 4 read less surely than this ...
PLUS_SHORT_SURE = 0.9  # ... (or than this, when written shorter ...
PLUS_SHORT = 0.85  # ... than this share of the digits of its line: their median height)
PLUS_OFF = 0.1  # ... with under this share of its ink off its two strokes' bands is a "+"
PLUS_BAND = 0.15  # (each band this share of the ink's longer side either side of the stroke)
D_SURE = 0.95  # a 2 shaped like a written d is kept only if it reads at least this surely: a d's
D_STEM = 0.9  # ... stem inks the right third of its box on this share of the rows, ...
D_TOP = 0.6  # ... its top rows (the upper 30 %) have no ink left of this share of the width, ...
D_BOWL = 0.5  # ... and the left third has none above this share of the height (the bowl is low)
SLASH = 25.0  # a 1 leaning this many degrees further right than the other digits of its line ...
STEEP = 22.0  # ... and this many degrees right of upright, ...
SLASH_OTHERS = 3  # ... when it has at least this many others (not 1s) ...
SLASH_SPREAD = 10.0  # ... leaning alike (their middle half within this many degrees) is a "/";
SLASH_STEEP = 42.0  # a 1 leaning this far right needs only one other, however they lean (no
# MNIST test 1 leans 45 degrees, 1 % lean 40)
PLAIN_STEEP = 18.0  # a plain stroke ...
PLAIN_SLASH = 15.0  # ... leaning this far right, and this much further than another digit of its line
PLAIN_RUN = 0.9  # (a plain stroke is crossed once on this share of its rows: no flag, no base)
PLAIN_HAND = 3  # ... unless the frame holds this many such strokes: a hand that leans its 1s so
SIGN_SIZE = 0.25  # ... when a sign (a blob holding no digit, this big for its height) is on its line
STACK = 3  # this many 1s or more stacked end to end in one column ...
STACK_GAP = 0.45  # ... each at most this share of the shorter's height below the last, are a rule
PALE = 0.35  # a digit whose ink is under this share as dark as the frame's digits' (their median) ...
PALE_OTHERS = 5  # ... is dropped when there are at least this many digits to measure by
SMALL = 0.45  # a digit under this share of the height of the frame's taller digits (3rd quartile) ...
SMALL_PX = 16.0  # ... and under this many pixels (print's size: writing is seldom so small) ...
SMALL_OTHERS = 5  # ... is dropped when there are at least this many digits to measure by,
SMALL_NEAR = 1.0  # ... unless it stands this share of a usual digit's height from one on its line


def without_clutter(digits: list[DigitRead], frame: np.ndarray, blobs: list[Box],
                    dark_ink: bool) -> list[DigitRead]:
    """The rules for what is no writing (edges, strokes, print, pictures), in turn, on one
    frame's reads (`blobs`: all the blobs the segmenter found, read as digits or not)."""
    h, w = frame.shape[:2]
    digits = without_stacked_ones(without_tall_ones(inside_frame(digits, w, h)))
    if dark_ink:
        digits = without_pale_print(without_faint_ones(digits, frame), frame)
    return without_doubt(without_strays(without_words(digits, blobs), len(blobs)))


def without_doubt(digits: list[DigitRead]) -> list[DigitRead]:
    """Drop every digit of a frame of several (FRAME_DIGITS) where none reads surely
    (FRAME_SURE): writing holds some digit plainly written, where people, kites and a
    picture's edges read as digits doubtfully. One or two unsure digits may be a close-up of
    an odd hand, and stay."""
    if len(digits) < FRAME_DIGITS or any(d.confidence >= FRAME_SURE for d in digits):
        return digits
    return []


def without_signs(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool,
                  blobs: list[Box] = ()) -> list[DigitRead]:
    """The rules for a written sum's or formula's signs, applied last: they are writing, upright
    like its digits, and must not make the frame look like clutter. (`blobs`: all the blobs the
    segmenter found; those that hold no digit are the sum's other signs.)"""
    signs = without_pluses(without_square_brackets(digits, frame, dark_ink), frame, dark_ink)
    signs = without_brackets(signs, frame, dark_ink, blobs)
    signs = without_crossings(signs, frame, dark_ink)
    return without_slashes(without_ds(signs, frame, dark_ink), frame, dark_ink, blobs)


def inside_frame(digits: list[DigitRead], w: int, h: int) -> list[DigitRead]:
    """Drop doubtful digits cut by the frame's edge: part of something beyond the frame (a
    tree, a sign, half a digit) reads as a digit it is not. A 1 in a corner of the frame, cut
    by two edges, is the frame's dark border or a shadow's edge however surely it reads."""
    def edges(d: DigitRead) -> int:
        x, y, bw, bh = d.box
        return (x <= 0) + (y <= 0) + (x + bw >= w) + (y + bh >= h)
    return [d for d in digits
            if not edges(d) or (d.confidence >= EDGE_SURE and (d.label != 1 or edges(d) < 2))]


def without_tall_ones(digits: list[DigitRead]) -> list[DigitRead]:
    """Drop 1s far taller than the rest of the frame's digits: a stroke that long beside
    writing is an edge or a column of print, not a 1 (a written 1 is about as tall as its
    neighbours; only a 7's or 9's tail reaches further, and those are not 1s)."""
    others = [d.box[3] for d in digits if d.label != 1]
    if len(others) < TALL_ONE_OTHERS:
        return digits
    limit = TALL_ONE * float(np.median(others))
    return [d for d in digits if d.label != 1 or d.box[3] <= limit]


def without_small_print(digits: list[DigitRead]) -> list[DigitRead]:
    """Drop digits of print's size, far shorter than the rest of the frame's digits and standing
    apart from them: a form's printed numbers (its questions', its rows') beside the marks
    written into it. A hand writes numbers of several sizes, but seldom under SMALL_PX; a 0
    written small inside a number stands right beside its neighbours (within SMALL_NEAR of
    their height) and stays."""
    if len(digits) < SMALL_OTHERS:
        return digits
    limit = SMALL * float(np.percentile([d.box[3] for d in digits], 75))  # (a form's print may be most)
    usual = [d.box for d in digits if d.box[3] >= limit]  # beside these a small digit is writing

    def beside(box: Box) -> bool:
        x, y, w, h = box
        return any(oy <= y + h / 2 <= oy + oh and max(ox - (x + w), x - (ox + ow)) <= SMALL_NEAR * oh
                   for ox, oy, ow, oh in usual)

    small = min(limit, SMALL_PX)
    return [d for d in digits if d.box[3] >= small or beside(d.box)]


def without_stacked_ones(digits: list[DigitRead]) -> list[DigitRead]:
    """Drop 1s stacked end to end in one column, STACK or more: a table's wall, cut into
    pieces where its rows' rules crossed it and were taken out. Written 1s in a column of
    numbers stand a row apart, with a gap of about their height between them."""
    ones = sorted((i for i, d in enumerate(digits) if d.label == 1), key=lambda i: digits[i].box[1])
    dropped: set[int] = set()
    for k, first in enumerate(ones):
        if first in dropped:
            continue
        chain, (x, y, w, h) = [first], digits[first].box
        for j in ones[k + 1 :]:
            bx, by, bw, bh = digits[j].box
            gap = by - (y + h)
            if (j not in dropped and abs((x + w / 2) - (bx + bw / 2)) <= max(w, bw, 0.15 * min(h, bh))
                    and -0.1 * h <= gap <= STACK_GAP * min(h, bh)):
                chain.append(j)
                x, y, w, h = bx, by, bw, bh
        if len(chain) >= STACK:
            dropped.update(chain)
    return [d for i, d in enumerate(digits) if i not in dropped]


def without_faint_ones(digits: list[DigitRead], frame: np.ndarray) -> list[DigitRead]:
    """Drop 1s whose ink is faint against the paper around them: a faint straight stroke is a
    shadow's edge or a smear of blurred print far oftener than a written 1."""
    return [d for d in digits if d.label != 1 or contrast(frame, d.box) >= FAINT_ONE]


def without_brackets(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool,
                     blobs: list[Box] = ()) -> list[DigitRead]:
    """Drop 1s that bow like a ")" and stand taller than the other digits: the closing bracket
    of a written sum. A written 1 is straight, or bows the other way at its flag, and is about
    as tall as its neighbours; a "(" bows like that flag, so only the nearest such 1 left of a
    ")" on its line, about as tall as it, is its "(" and dropped too. The ")" may be a blob read
    as no digit (`blobs`: all the frame's blobs), one plain curved stroke. (A few of MNIST's 1s
    bow like a ")" as far as a real one, the sample video's among them: height tells them
    apart.) Brackets no taller than the digits they hold go as a pair (`paired_brackets`)."""
    others = [d.box[3] for d in digits if d.label != 1]
    tall = TALLER * float(np.median(others)) if others else 0.0
    closing = [i for i, d in enumerate(digits)  # the height first: it is quicker than the bow
               if d.label == 1 and d.box[3] >= tall and bow(frame, d.box, dark_ink) <= -BOW]
    unread = _unread(digits, blobs)  # (once a frame: both rules look at them)
    dropped = set(closing) | paired_brackets(digits, frame, dark_ink, unread)
    ones = [d.box for d in digits if d.label == 1]
    unread_closing = [b for b in unread if b[3] >= tall and any(_same_line(b, o) for o in ones)
                      and bracket_bow(frame, b, dark_ink) <= -BOW] if ones and others else []
    # each ")"'s "(": the nearest 1 to its left on its line, bowed the other way and about as
    # tall (brackets stand taller than what they hold)
    for x, y, w, h in [digits[i].box for i in closing] + unread_closing:
        opening = sorted((j for j, d in enumerate(digits)
                          if d.label == 1 and j not in dropped and d.box[0] < x and d.box[3] >= PAIR * h
                          and _same_line(d.box, (x, y, w, h))), key=lambda j: -digits[j].box[0])
        found = next((j for j in opening if bow(frame, digits[j].box, dark_ink) >= BOW), None)
        if found is not None:
            dropped.add(found)
    return [d for i, d in enumerate(digits) if i not in dropped]


def _unread(digits: list[DigitRead], blobs: list[Box]) -> list[Box]:
    """The blobs (at least 8 px tall, no wider than tall) that hold no digit read: a stroke the
    model knew for no digit."""
    centres = [(d.box[0] + d.box[2] / 2, d.box[1] + d.box[3] / 2) for d in digits]
    return [b for b in blobs if b[3] >= 8 and b[2] <= b[3]
            and not any(b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3] for cx, cy in centres)]


def paired_brackets(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool,
                    unread: list[Box] = ()) -> set[int]:
    """The 1s that are a sum's "(" and ")" at any height: a plain stroke bowed out to the left
    and, to its right on its line with a digit other than a 1 between them, one bowed out to
    the right, about as tall. One curved 1 is a hand's way with a 1 (2 % of MNIST's 1s curve
    so far each way); two curved opposite ways round other digits are a bracket's pair. A
    curved 1 written against a digit on its outside is in a number, no bracket. One side of
    the pair may be a blob read as no digit (`unread`: the frame's blobs holding no digit,
    `_unread`; the model knew that bracket for what it is), the other a 1."""
    # the candidates: (box, index of the digit or None for an unread blob)
    strokes = [(d.box, i) for i, d in enumerate(digits) if d.label == 1]
    if not strokes:
        return set()
    strokes += [(b, None) for b in unread if any(_same_line(b, box) for box, _ in strokes)]
    if len(strokes) < 2:
        return set()
    curve = [bracket_bow(frame, box, dark_ink) for box, _ in strokes]
    paired: set[int] = set()  # positions in strokes
    closing = sorted((k for k, c in enumerate(curve) if c <= -PAIR_BOW), key=lambda k: strokes[k][0][0])
    for k in closing:
        (x, _, w, h), i = strokes[k]
        opening = sorted((m for m in range(len(strokes)) if m not in paired and curve[m] >= PAIR_BOW
                          and (i is not None or strokes[m][1] is not None)  # one of them read as a 1
                          and x - PAIR_SPAN * h <= strokes[m][0][0] < x
                          and min(h, strokes[m][0][3]) >= PAIR * max(h, strokes[m][0][3])
                          and _same_line(strokes[m][0], strokes[k][0])), key=lambda m: -strokes[m][0][0])
        for m in opening[:1]:
            mx, _, mw, _ = strokes[m][0]
            line = [d for d in digits if d.label != 1 and _same_line(d.box, strokes[k][0])]
            held = any(mx + mw <= d.box[0] and d.box[0] + d.box[2] <= x for d in line)
            reach = numbering.MAX_GAP * h
            against = any(0 <= mx - (d.box[0] + d.box[2]) < reach or 0 <= d.box[0] - (x + w) < reach
                          for d in line)
            if held and not against:
                paired |= {k, m}
    return {strokes[k][1] for k in paired if strokes[k][1] is not None}


def bracket_bow(frame: np.ndarray, box: Box, dark_ink: bool = True) -> float:
    """`bow` for a plain curved stroke, which a bracket is; 0 for anything else: a stroke
    crossed twice on many rows (a 1's flag or base beside its stem), or bowed in one half only
    (a flag curls the top of a straight 1)."""
    ink = _ink(frame, box, dark_ink)
    if ink.size == 0 or box[3] < 8:
        return 0.0
    return mask_bracket_bow(ink // 255)


def mask_bracket_bow(ink: np.ndarray) -> float:
    """`bracket_bow` of a 0/1 mask of one stroke's ink (the segmenter's pieces)."""
    if ink.shape[0] < 8 or not _plain(ink):
        return 0.0
    whole, top, bottom = (_fitted_bow(ink, lo, hi) for lo, hi in ((-0.8, 0.8), (-0.8, 0.2), (-0.2, 0.8)))
    if min(top * np.sign(whole), bottom * np.sign(whole)) < PAIR_HALVES * abs(whole):
        return 0.0
    return whole


def square_bracket(ink: np.ndarray) -> int:
    """1 for a "[", -1 for a "]" (the signs of `bow` for "(" and ")"), 0 for anything else, from
    a 0/1 mask: a tall upright stroke along one side with a foot at its top and its bottom
    pointing the same way. A 7's foot is its stem alone; a 1's base sits under a stem in the
    middle; a 3 or a 5 reaches across the middle."""
    ink, rows, cols = _tight(ink > 0)
    if rows < 12 or cols < SQUARE_MIN_PX or rows < SQUARE_TALL * cols:
        return 0
    h, w = ink.shape
    band = max(1, int(SQUARE_BAND * h))

    def span(block: np.ndarray) -> float:
        used = np.flatnonzero(block.any(axis=0))
        return (used[-1] - used[0] + 1) / w if used.size else 0.0

    middle = np.flatnonzero(ink[int(0.3 * h) : int(0.7 * h)].any(axis=0))
    if (span(ink[:band]) < SQUARE_FOOT or span(ink[-band:]) < SQUARE_FOOT or not middle.size
            or middle[-1] - middle[0] + 1 > SQUARE_STEM * w):
        return 0
    if middle[-1] < SQUARE_SIDE * w and middle[0] <= (1.0 - SQUARE_HUG) * w:
        return 1
    return -1 if middle[0] > (1.0 - SQUARE_SIDE) * w and middle[-1] >= SQUARE_HUG * w else 0


def without_square_brackets(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool) -> list[DigitRead]:
    """Drop 1s and 7s shaped like a "[" or a "]" (`square_bracket`): a sum's square brackets read
    as a 7 (its top foot a 7's bar) or a 1."""
    return [d for d in digits if d.label not in (1, 7)
            or not square_bracket(_ink(frame, d.box, dark_ink) // 255)]


def without_crossings(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool) -> list[DigitRead]:
    """Drop unsure 8s with no loop: a written "x" (a sum's times, a cross) reads as an 8, and
    its two strokes cross without closing anything. A written 8 closes at least one loop."""
    return [d for d in digits
            if d.label != 8 or d.confidence >= CROSS_SURE or loops(frame, d.box, dark_ink) > 0]


def without_pluses(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool) -> list[DigitRead]:
    """Drop unsure 4s that are a sum's "+": all their ink lies on one upright and one level
    stroke crossing, where a 4's first stroke runs off both (its upper left). A "+" written
    shorter than the digits of its line (PLUS_SHORT of their median) may read surer (PLUS_SHORT_SURE)."""
    def sure(i: int) -> float:
        line = [d.box[3] for j, d in enumerate(digits) if j != i and _same_line(d.box, digits[i].box)]
        short = bool(line) and digits[i].box[3] <= PLUS_SHORT * float(np.median(line))
        return PLUS_SHORT_SURE if short else PLUS_SURE

    # the cheap tests first: the ink's shape is measured only for a 4 that may be a "+"
    return [d for i, d in enumerate(digits)
            if d.label != 4 or d.confidence >= PLUS_SHORT_SURE or d.confidence >= sure(i)
            or not plus_shaped(frame, d.box, dark_ink)]


def plus_shaped(frame: np.ndarray, box: Box, dark_ink: bool = True) -> bool:
    """Whether the ink in `box` is a cross of one upright and one level stroke: under PLUS_OFF
    of it off the bands round its fullest column and its fullest row."""
    ink, rows, cols = _tight(_ink(frame, box, dark_ink) > 0)
    if rows < 5 or cols < 5:
        return False
    cx, cy = int(np.argmax(ink.sum(axis=0))), int(np.argmax(ink.sum(axis=1)))
    band = max(2, int(PLUS_BAND * max(ink.shape)))
    off = ink.copy()
    off[:, max(0, cx - band) : cx + band + 1] = False
    off[max(0, cy - band) : cy + band + 1, :] = False
    return np.count_nonzero(off) < PLUS_OFF * np.count_nonzero(ink)


def _tight(ink: np.ndarray) -> tuple[np.ndarray, int, int]:
    """A boolean mask cut to the box of its ink, and how many of its rows and columns hold ink."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not rows.size:
        return ink[:0, :0], 0, 0
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], rows.size, cols.size


def without_ds(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool) -> list[DigitRead]:
    """Drop unsure 2s shaped like a written d (a formula's "dx"): a 2's top arcs across its
    width from the left, a d's top is its stem alone, at the right, with the bowl low beside
    it. 0.3 % of MNIST's test 2s are shaped so."""
    return [d for d in digits
            if d.label != 2 or d.confidence >= D_SURE or not d_shaped(frame, d.box, dark_ink)]


def d_shaped(frame: np.ndarray, box: Box, dark_ink: bool = True) -> bool:
    """Whether the ink in `box` is a d: a stem down the right, the top otherwise empty, and a
    bowl only in the lower half on the left."""
    ink, rows, cols = _tight(_ink(frame, box, dark_ink) > 0)
    if rows < 8 or cols < 3:
        return False
    h, w = ink.shape
    stem = np.count_nonzero(ink[:, (2 * w) // 3 :].any(axis=1)) >= D_STEM * h
    top = np.flatnonzero(ink[: max(1, (3 * h) // 10)].any(axis=0))
    bowl = np.flatnonzero(ink[:, : max(1, w // 3)].any(axis=1))
    return bool(stem and top.size and top[0] >= D_TOP * w and bowl.size and bowl[0] >= D_BOWL * h)


def without_slashes(digits: list[DigitRead], frame: np.ndarray, dark_ink: bool,
                    blobs: list[Box] = ()) -> list[DigitRead]:
    """Drop 1s that lean far further right than the other digits of their line: a sum's "/".
    One hand slants its digits alike, its 1s too; a slash is drawn steeper. Only on a line of
    digits that lean alike (one writer), where the 1 stands out from them, or when the 1 leans
    steeper than writers lean their 1s (SLASH_STEEP: then one other digit is enough). In a
    sum (a sign that is no digit on the line) a plain stroke leaning less far is a "/" too."""
    ones = [i for i, d in enumerate(digits) if d.label == 1]
    if not ones or len(digits) < 2:
        return digits
    leans: dict[int, float] = {}

    def lean_of(i: int) -> float:
        if i not in leans:
            leans[i] = lean(frame, digits[i].box, dark_ink)
        return leans[i]

    dropped, plain_slashes = set(), set()
    for i in ones:
        if lean_of(i) < PLAIN_STEEP:  # most 1s: quickly kept
            continue
        others = [j for j, d in enumerate(digits) if d.label != 1 and _same_line(d.box, digits[i].box)]
        if not others:
            continue
        angles = np.array([lean_of(j) for j in others])
        q1, mid, q3 = np.percentile(angles, [25, 50, 75])
        steep = lean_of(i) >= SLASH_STEEP
        if (lean_of(i) >= STEEP and len(others) >= (1 if steep else SLASH_OTHERS)
                and (steep or q3 - q1 <= SLASH_SPREAD) and lean_of(i) - mid >= SLASH):
            dropped.add(i)
        elif (lean_of(i) - mid >= PLAIN_SLASH and _sign_beside(digits, i, blobs)
              and plain(frame, digits[i].box, dark_ink)):
            plain_slashes.add(i)
    if len(plain_slashes) < PLAIN_HAND:  # as many leaning so are a hand's 1s (a page of numbers)
        dropped |= plain_slashes
    return [d for i, d in enumerate(digits) if i not in dropped]


def _sign_beside(digits: list[DigitRead], i: int, blobs: list[Box]) -> bool:
    """Whether a blob holding no digit, not a speck (SIGN_SIZE of the digit's height), lies on
    digit i's line: a sum's other signs (+ - x = and brackets)."""
    box = digits[i].box
    centres = [(d.box[0] + d.box[2] / 2, d.box[1] + d.box[3] / 2) for d in digits]
    for b in blobs:
        if max(b[2], b[3]) < SIGN_SIZE * box[3] or not _same_line(b, box):
            continue
        if not any(b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3] for cx, cy in centres):
            return True
    return False


def plain(frame: np.ndarray, box: Box, dark_ink: bool = True) -> bool:
    """Whether the ink in `box` is one plain stroke (see `_plain`)."""
    ink = _ink(frame, box, dark_ink)
    return ink.size > 0 and _plain(ink // 255)


def _plain(ink: np.ndarray) -> bool:
    """Whether a 0/1 mask is one plain stroke: crossed once on PLAIN_RUN of its inked rows (a
    1's flag or base crosses beside its stem)."""
    starts = np.count_nonzero(np.diff(ink.astype(np.int8), axis=1, prepend=0) == 1, axis=1)
    crossed = starts[starts > 0]
    return bool(crossed.size) and np.count_nonzero(crossed == 1) >= PLAIN_RUN * crossed.size


def lean(frame: np.ndarray, box: Box, dark_ink: bool = True) -> float:
    """How far the ink in `box` leans right from upright, in degrees (negative: left), from
    its second moments."""
    ink = _ink(frame, box, dark_ink)
    if ink.size == 0:
        return 0.0
    m = cv2.moments(ink, True)
    if m["mu02"] <= 0:
        return 0.0
    return float(np.degrees(np.arctan2(-m["mu11"], m["mu02"])))


def loops(frame: np.ndarray, box: Box, dark_ink: bool = True) -> int:
    """How many holes the ink in `box` closes, each at least 1 % of the box (no pinhole)."""
    x, y, w, h = box
    ink = _ink(frame, box, dark_ink)
    if ink.size == 0:
        return 0
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0
    return sum(1 for c, link in zip(contours, hierarchy[0])
               if link[3] >= 0 and cv2.contourArea(c) >= 0.01 * w * h)


def _ink(frame: np.ndarray, box: Box, dark_ink: bool) -> np.ndarray:
    """The ink in `box` as a 0/255 mask, split from the paper by Otsu on its darkest channel."""
    x, y, w, h = box
    crop = _grey(frame[y : y + h, x : x + w], dark_ink)
    if crop.size == 0:
        return crop
    mode = cv2.THRESH_BINARY_INV if dark_ink else cv2.THRESH_BINARY
    return cv2.threshold(crop, 0, 255, mode | cv2.THRESH_OTSU)[1]


def _grey(crop: np.ndarray, dark_ink: bool) -> np.ndarray:
    """A crop's darkest channel (dark ink) or lightest (chalk), contiguous for OpenCV (channel
    by channel: ten times quicker than numpy's reduction over the last axis)."""
    if crop.ndim == 3:
        pick = np.minimum if dark_ink else np.maximum
        crop = pick(pick(crop[..., 0], crop[..., 1]), crop[..., 2]) if crop.shape[2] >= 3 else crop[..., 0]
    return np.ascontiguousarray(crop)


def _same_line(a: Box, b: Box) -> bool:
    """a and b overlap over half the shorter one's height."""
    return min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]) >= 0.5 * min(a[3], b[3])


def bow(frame: np.ndarray, box: Box, dark_ink: bool = True) -> float:
    """How far a stroke's middle lies left of its ends, as a share of its height (negative:
    bowed like a ")"), from a parabola through the middle of its ink on each row (the top and
    bottom tenths left out: a stroke's ends curl)."""
    ink = _ink(frame, box, dark_ink)
    if ink.size == 0 or box[3] < 8:
        return 0.0
    return _fitted_bow(ink // 255, -0.8, 0.8)


def _fitted_bow(ink: np.ndarray, lo: float, hi: float) -> float:
    """The parabola's bend through the middle of a 0/1 mask's ink on each row, over the rows
    from `lo` to `hi` of its height (-1 its top, 1 its bottom), as a share of that height."""
    count = ink.sum(axis=1)
    rows = np.flatnonzero(count)
    if rows.size < 8:
        return 0.0
    centre = (ink[rows] * np.arange(ink.shape[1])).sum(axis=1) / count[rows]
    t = 2.0 * (rows - rows[0]) / max(1, rows[-1] - rows[0]) - 1.0
    inner = (t >= lo) & (t <= hi)
    t, c = t[inner], centre[inner]
    if t.size < 3:
        return 0.0
    powers = np.stack([np.ones_like(t), t, t * t], axis=1)  # least squares c = a + b t + q t^2
    q = np.linalg.lstsq(powers, c, rcond=None)[0][2]
    return float(q) / (rows[-1] - rows[0] + 1)


def without_pale_print(digits: list[DigitRead], frame: np.ndarray) -> list[DigitRead]:
    """Drop digits whose ink is far paler than the rest of the frame's digits: grey print (a
    scanner app's watermark, a form's labels) beside writing. One hand's digits are about as
    dark as each other; in dim light all of them are pale together. A 1 is also measured in
    grey levels, not against its own surroundings only: a streak in a shadow is dark against
    the shadow, yet barely darker than it, where a pen's stroke is far darker than its paper."""
    if len(digits) < PALE_OTHERS:
        return digits
    if frame.ndim == 3 and frame.shape[2] == 3:  # one grey frame (quick) for every digit's contrast
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    paper_ink = np.array([paper_and_ink(frame, d.box) for d in digits])
    depth = paper_ink[:, 0] - paper_ink[:, 1]
    dark = depth / np.maximum(paper_ink[:, 0], 1.0)
    limit, deep = PALE * float(np.median(dark)), PALE * float(np.median(depth))
    return [d for d, c, g in zip(digits, dark, depth) if c >= limit and (d.label != 1 or g >= deep)]


def contrast(frame: np.ndarray, box: Box) -> float:
    """How dark the darkest ink in `box` is against the paper around it, 0 (none) to 1 (black):
    (paper - ink) / paper (`paper_and_ink`)."""
    paper, ink = paper_and_ink(frame, box)
    return (paper - ink) / max(paper, 1.0)


def paper_and_ink(frame: np.ndarray, box: Box) -> tuple[float, float]:
    """The grey levels of the paper around `box` and of the darkest ink in it: the 90th
    percentile of the box grown by a quarter of its height and the 5th of the box (the darkest
    channel of a colour frame); (0, 0) for an empty box."""
    x, y, w, h = box
    pad = max(2, h // 4)
    around = frame[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    if around.ndim == 3:
        around = _grey(around, True)
    inside = around[min(pad, y) : min(pad, y) + h, min(pad, x) : min(pad, x) + w].ravel()
    if inside.size == 0:
        return 0.0, 0.0
    step = 2 if h >= 16 else 1  # paper is smooth: every other pixel is plenty (and quicker)
    return _quantile(around[::step, ::step].ravel(), 0.9), _quantile(inside, 0.05)


def _quantile(values: np.ndarray, q: float) -> float:
    """The value `q` of the way up `values` sorted (no interpolation: a partition, not a sort)."""
    k = int(q * (values.size - 1))
    return float(np.partition(values, k)[k])


def without_words(digits: list[DigitRead], blobs: list[Box]) -> list[DigitRead]:
    """On a page of print or words (many blobs, most of them no digit), digits in a word with
    a blob that is no digit are its letters (l, o, S, g): a word is what lies side by side on
    a line, each at most WORD_GAP of the taller height from the next."""
    if len(blobs) < WORDS_BLOBS:
        return digits
    letters = [b for b in blobs  # blobs not (wholly) read as digits
               if sum(d.box[2] for d in digits if _overlap(b, d.box)) < LETTER_LEFT * b[2]]
    read = sum(ONE_COUNTS if d.label == 1 else 1.0 for d in digits)
    # digits that are cut from words count once per word: the blobs read whole count too
    if min(read, len(blobs) - len(letters)) >= WORDS_SHARE * len(blobs):
        return digits
    boxes = [d.box for d in digits] + letters
    words = Groups(len(boxes))  # boxes joined by "beside"
    find = words.find

    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    reach = WORD_GAP * max(b[3] for b in boxes)  # the widest gap any pair may have
    for k, i in enumerate(order):
        for j in order[k + 1 :]:
            if boxes[j][0] > boxes[i][0] + boxes[i][2] + reach:
                break  # sorted by left edge: every later box starts further right still
            if _beside(boxes[i], boxes[j]):
                words.attach(find(i), find(j))
    lettered = {find(len(digits) + k) for k in range(len(letters))}
    return [d for i, d in enumerate(digits) if find(i) not in lettered]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _beside(a: Box, b: Box) -> bool:
    """b on a's line (overlapping half the shorter height) and at most WORD_GAP of the taller
    height away to the left or right."""
    if not _same_line(a, b):
        return False
    gap = max(b[0] - (a[0] + a[2]), a[0] - (b[0] + b[2]))
    return gap <= WORD_GAP * max(a[3], b[3])


def without_strays(digits: list[DigitRead], blobs: int) -> list[DigitRead]:
    """Drop lone, unsure digits from a frame where most blobs are not digits (a picture, a
    page of text): there a doubtful blob on its own is likelier one more of the rest."""
    if not digits or len(digits) >= STRAY_SHARE * blobs:
        return digits
    alone = {g[0] for g in numbering.group([d.box for d in digits]) if len(g) == 1}
    return [d for i, d in enumerate(digits) if i not in alone or d.confidence >= STRAY_SURE]
