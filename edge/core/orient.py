"""Turning frames: a camera mounted on its side (a fixed rotation) and a photo of a page turned
sideways (chosen from what the reader sees).

A page turned by 90 degrees shows its digits lying down: their blobs are wider than tall,
where upright digits are taller than wide, and so are the digits read on it (a formula's wide
letters beside upright digits do not turn the page). Only then are the two quarter turns read as well;
the one with more digits read surely (then the surer) is kept if its digits stand up and it
reads nearly as surely as the photo did (the model reads lying digits confidently too, as
something; upside down, a short sum reads as more digits, fewer of them sure).
A page of many blobs set out in columns, few of them read as digits (or as digits other than
1s, when most are 1s), is on its side whatever the model makes of its glyphs (a printed
page's letters turned up read as digits, a sheet's minus signs as 1s): of the two turns
that set its lines level, the one that reads most surely, its 1s counted, when it is a page
of digits (most of its blobs read as digits; upside down, flagged 1s pass for 7s), else the
one that reads the fewest, if fewer than the photo (a page of print; upside down, more of its
letters pass for digits), else the surer, if surer than the photo (a printed form's writing).
A photo whose blobs read poorly may be a page on its side that neither test catches: each
row's digits stacked into one tall blob (across a row they are closer than rows are apart).
Both quarter turns are read, and the better one is kept only when it reads far more surely,
mostly digits, with its blobs set in rows (a grid of crosses, turned, reads as digits too,
but it was in rows already), or when it reads nearly every blob as a sure digit, four times
as surely as the photo: a grid of digits, in rows and columns alike, whose rows say nothing.
A close-up of a digit or two has too few blobs for their shapes to tell: when the model reads
none of them as a digit, the turn that reads every one surely is taken, if only one turn does,
or the surer of the two when both read the same digits (a lying 8 or 2 reads so either way).
Otherwise the photo is read as it is. Upside down (180) looks like upright to this test, so it
is never guessed. Lines of print lie level: a photo that shows many is not turned to where none are,
and a photo that shows none, whose quarter turn shows many, is a page of print on its side.
Turned or not, a page whose rows slant clearly is then turned level when that reads more surely.
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.printed import PAGE_LINES
from digits.edge.core.reader import CONFIDENT, MANY_BLOBS, UPRIGHT_SHARE, FrameResult, Reader
from digits.edge.core.skew import row_angle, rows_over_columns, straighten

TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
AS_SURE = 0.8  # a turn must read at least this surely, relative to the photo as it is
LEVEL_PIXELS = 12_000_000  # a bigger photo is shrunk to this before it is turned level
MORE_SURE = 1.0  # a slanted page turned level must read more surely than as it is
CLOSE_UP_BLOBS = 3  # a photo of this many blobs or fewer, none read as a digit, is a close-up ...
CLOSE_UP_SURE = 0.9  # ... turned when one quarter turn reads every blob as a digit this surely
READ_POORLY = 0.5  # under this sureness per blob a photo reads poorly: both turns are read,
MUCH_SURER = 2.0  # and one is kept if it reads this many times as surely as the photo,
TURNED_DIGITS = 3  # finds this many digits or more, from at least half of its blobs,
TURNED_SURE = 0.6  # with this sureness per digit (1s count as unsure),
SPLITS = 2.0  # and sets its blobs in rows: better than before, or this many times the blobs
GRID_DIGITS = 20  # a turn reading this many digits or more ...
GRID_SHARE = 0.7  # ... from this share of its blobs or more ...
GRID_BLOBS = 0.9  # ... which are nearly as many as the photo's ...
GRID_SURE = 0.8  # ... this surely each (1s count as unsure) ...
GRID_SURER = 4.0  # ... and this many times as surely as the photo is a grid of digits turned up
QUIET_PRINT = 0.2  # a page of print turned level reads at most this share of the digits it did
PRINTED = 10  # a photo showing this many lines of print is not turned to where there are none
# (a few may be letters across a turned page's lines, whose size is the height's share of a turn)


def rotate(frame: np.ndarray, degrees: int) -> np.ndarray:
    """The frame turned clockwise by 0, 90, 180 or 270 degrees."""
    if degrees % 360 == 0:
        return frame
    if degrees % 360 not in TURNS:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {degrees}")
    return cv2.rotate(frame, TURNS[degrees % 360])


def sureness(result: FrameResult, ones: bool = False) -> float:
    """How much the reader believes what it read: the sum of its digits' confidences, leaving
    out the 1s, which any straight stroke reads as whichever way it lies (a minus turned up),
    unless `ones` (between two quarter turns, where strokes stand up alike)."""
    return float(sum(d.confidence for d in result.digits if ones or d.label != 1))


def read_upright(reader: Reader, frame: np.ndarray) -> tuple[FrameResult, int, np.ndarray]:
    """(result, the clockwise turn used, the frame as read) for a still photo: turned a quarter
    when it lies on its side, then level when its rows slant (a page both turned and slanted)."""
    result, degrees, upright = _turned_up(reader, frame)
    result, level = _straightened(reader, upright, result)
    return result, degrees, level


def _turned_up(reader: Reader, frame: np.ndarray) -> tuple[FrameResult, int, np.ndarray]:
    """(result, the clockwise turn used, the frame as read): the photo as it is, or a quarter
    turn of it."""
    first = reader.read(frame)
    quarter_turns: list[tuple[FrameResult, int, np.ndarray]] | None = None

    def turns() -> list[tuple[FrameResult, int, np.ndarray]]:  # both quarter turns, read once
        nonlocal quarter_turns
        if quarter_turns is None:
            quarter_turns = []
            for degrees in (90, 270):
                turned = rotate(frame, degrees)
                result = reader.read(turned)
                # lines of print lie level: a turn that loses every one the photo shows is no turn up
                if first.print_lines < PRINTED or result.print_lines >= PAGE_LINES:
                    quarter_turns.append((result, degrees, turned))
        return quarter_turns

    if not first.digits and 0 < len(first.blob_boxes) <= CLOSE_UP_BLOBS:
        turned = _close_up_turned(turns())
        if turned is not None:
            return turned
    # many blobs set out in columns, few of them digits: the lines of a page on its side (a
    # printed page's letters, turned, stand up and some read as digits); a list of numbers
    # down a page is in columns too, but reads as digits
    boxes = list(first.blob_boxes)
    in_columns = (len(boxes) >= MANY_BLOBS and rows_over_columns(boxes) < 1.0
                  and _standing_digits(first) + first.small_print < UPRIGHT_SHARE * len(boxes))
    doubtful = _doubtful(first)
    if not first.sideways and not in_columns and not doubtful:
        return first, 0, frame
    if not turns():
        return first, 0, frame
    # a page of print on its side: no line of print as it is, many level lines turned, where
    # it reads next to no digit (a worksheet's rows of small digits, turned, may pass for lines
    # of print, but read as digits still)
    printed = [t for t in turns() if t[0].print_lines >= PRINTED
               and len(t[0].digits) <= QUIET_PRINT * len(first.digits)]
    if printed and first.print_lines < PAGE_LINES:
        return min(printed, key=lambda t: len(t[0].digits))
    # which quarter turn: the one with more sure digits (upside down, a short sum reads as more
    # digits, fewer of them sure), then the surer, its 1s counted (upside down, a flagged 1 reads as a 7)
    best = max(turns(), key=lambda t: (_sure_digits(t[0]), sureness(t[0], ones=True)))
    sure = sureness(best[0])
    if in_columns:
        level = [t for t in turns() if not t[0].sideways]  # the page's lines turned level
        pages = [t for t in level
                 if len(t[0].digits) + t[0].small_print >= UPRIGHT_SHARE * len(t[0].blob_boxes)]
        if pages:  # a page of digits: the turn that reads them, 1s too, most surely (not upside down)
            return max(pages, key=lambda t: sureness(t[0], ones=True))
        # a page of something else (print, letters): whichever way says the fewest digits
        quiet = min(level, key=lambda t: len(t[0].digits), default=None)
        if quiet is not None and len(quiet[0].digits) < len(first.digits):
            return quiet
        # a form, print and writing: its lines level, the writing reads more surely
        if (not best[0].sideways and len(best[0].digits) >= TURNED_DIGITS
                and sure > sureness(first)):
            return best
        return first, 0, frame
    if doubtful and not first.sideways:
        if (not best[0].sideways and len(best[0].digits) >= TURNED_DIGITS
                and len(best[0].digits) >= 0.5 * len(best[0].blob_boxes)
                and _set_in_rows(first, best[0])
                and sure >= TURNED_SURE * len(best[0].digits) and sure >= MUCH_SURER * sureness(first)):
            return best
        if _page_of_digits(first, best[0]):
            return best
        return first, 0, frame
    # the turn's digits stand up, it reads nearly as surely as the photo did, and it is not a
    # page of 1s (strokes turned up): at least half of what it read is sure and not a 1
    if not best[0].sideways and sure >= AS_SURE * sureness(first) and sure >= 0.5 * len(best[0].digits):
        return best
    return first, 0, frame


def _page_of_digits(first: FrameResult, turned: FrameResult) -> bool:
    """A grid of digits (in rows and columns alike, so its rows say nothing) on its side: the
    turn reads nearly every blob, no fewer than the photo's, as a sure digit, many times as
    surely as the photo did."""
    blobs, digits = len(turned.blob_boxes), len(turned.digits)
    sure = sureness(turned)
    return (not turned.sideways and digits >= GRID_DIGITS and digits >= GRID_SHARE * blobs
            and blobs >= GRID_BLOBS * len(first.blob_boxes) and sure >= GRID_SURE * digits
            and sure >= GRID_SURER * sureness(first))


def _doubtful(first: FrameResult) -> bool:
    """Blobs that read poorly (strokes read as 1s count as poorly): perhaps a page on its side
    whose blobs' shapes do not say so, each row's digits stacked into one tall blob (they are
    closer across a row than rows are apart)."""
    boxes = first.blob_boxes
    return bool(boxes) and sureness(first) < READ_POORLY * len(boxes)


def _set_in_rows(first: FrameResult, turned: FrameResult) -> bool:
    """The turn sets the blobs in rows, better than they were (a grid of crosses is in rows
    and columns alike: turned, the crosses read as digits) or split into many more blobs, and
    finds no fewer blobs: stacked rows come apart when turned, where a page of print, turned,
    joins its letters into fewer, taller words that read as digits."""
    before, after = len(first.blob_boxes), len(turned.blob_boxes)
    rows = rows_over_columns(list(turned.blob_boxes))
    return after >= before and rows >= 1.0 and (
        rows > rows_over_columns(list(first.blob_boxes)) or after >= SPLITS * before)


def _close_up_turned(turns: list[tuple[FrameResult, int, np.ndarray]]
                     ) -> tuple[FrameResult, int, np.ndarray] | None:
    """Of a close-up of a digit or two, read as nothing, the one quarter turn that reads every
    blob as a sure digit, or all but one when it reads two or more (the "+" of "2+3"); a lying
    4 reads as nothing, stood up the other way it is upside down. When both turns do so and read
    the same digits (a 0, an 8, a 2 upside down), the surer; None when neither does, or when
    the two read differently (a 6 one way, a 9 the other)."""
    found = [(result, degrees, turned) for result, degrees, turned in turns
             if result.digits and len(result.digits) >= _all_but_a_sign(len(result.blob_boxes))
             and all(d.confidence >= CLOSE_UP_SURE and d.label != 1 for d in result.digits)]
    if len(found) == 2 and _labels(found[0][0]) == _labels(found[1][0]):
        return max(found, key=lambda t: sureness(t[0]))  # the same reading either way
    return found[0] if len(found) == 1 else None


def _sure_digits(result: FrameResult) -> int:
    """How many digits it reads surely, 1s too: upside down, a short sum reads as more digits
    than the right way up, but fewer of them surely."""
    return sum(d.confidence >= CONFIDENT for d in result.digits)


def _standing_digits(result: FrameResult) -> int:
    """How many of its digits say that the page stands up: all, unless most are 1s (any stroke
    stood up reads as a 1: the rows of minus signs of a sheet on its side); then those that
    are not 1s."""
    not_ones = sum(d.label != 1 for d in result.digits)
    return not_ones if 2 * not_ones < len(result.digits) else len(result.digits)


def _labels(result: FrameResult) -> list[int]:
    """The digits read, in reading order."""
    return [d.label for d in result.digits]


def _all_but_a_sign(blobs: int) -> int:
    """How many of a close-up's blobs must read as digits: all, or all but one of three or more."""
    return min(blobs, max(2, blobs - 1))


def _straightened(reader: Reader, frame: np.ndarray,
                  first: FrameResult) -> tuple[FrameResult, np.ndarray]:
    """The photo turned level when its rows of writing slant clearly and the level page
    reads more surely; otherwise the photo as it was read. A photo that reads no digit is
    left as it is: its blobs are no rows of digits, and turned any way some may pass for one
    (the lines of a page of print)."""
    angle = row_angle(list(first.blob_boxes)) if first.digits else 0.0
    if not angle:
        return first, frame
    h, w = frame.shape[:2]
    small = frame
    if h * w > LEVEL_PIXELS:  # the turned canvas is bigger still: turn a smaller copy
        s = (LEVEL_PIXELS / (h * w)) ** 0.5
        small = cv2.resize(frame, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
    level = straighten(small, angle)
    second = reader.read(level)
    if sureness(second) > MORE_SURE * sureness(first):
        return second, level
    return first, frame
