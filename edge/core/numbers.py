"""Digits that sit on one line close together form a number, read left to right.

Pure geometry on boxes, so it can be tested without a model. Two digits are neighbours in a
number when their rows overlap by at least half the shorter one's height, their heights are
alike, and the gap between them is under `MAX_GAP` of the taller one's height. Handwriting
spaces the digits of one number well under a digit's height, and separate numbers by more;
heights rather than widths set the scale because a "1" is narrow but as tall as any digit.
Links are made closest-first, each digit with at most one neighbour on each side, so a digit
between two candidates joins the nearer. A line whose digits are all spaced alike, wider than
that but under `WIDE_GAP` heights (a phone number written with gaps, a number spelt out
digit by digit), is one number: regular spacing says so, where one wider gap says two.
Other ink between two digits (a "+" or "=" of a sum, a table's wall, a word) parts them: the
reader passes such `marks`, and no number reaches across one. Upright `rules` (graph paper's
too, where one number spans several squares) only stop regular spacing joining numbers.

A number's confidence is the product of its digits' confidences: the chance, if the digits'
errors are independent, that every digit is right, which is what "the number is right"
means. It falls with length, as the chance of a misread does.

API:
    group(boxes, marks=(), rules=()) -> list[list[int]]    # indices, each number left to right
    number_confidence(confidences) -> float
    union(boxes) -> Box
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from digits.edge.core.blob import Box, union

MIN_ROW_OVERLAP = 0.5  # fraction of the shorter digit's height the two rows must share
MAX_HEIGHT_RATIO = 2.8  # taller / shorter: a 9 or 7 with a long tail is twice a small 0 beside it
MAX_GAP = 0.65  # largest horizontal gap, as a fraction of the taller digit's height (at 0.75,
# single digits written 0.7 of a height apart on practice pages and in sudoku cells read as pairs)
MAX_OVERLAP = 0.5  # digits may overlap sideways by this fraction of the narrower's width
WIDE_GAP = 1.6  # a line spaced regularly is one number while its gaps stay under this many heights
REGULAR = 1.6  # ... and its widest gap is at most this times its median gap
PRACTICE = 4  # a "number" of this many digits or more, every one the same, is a practice row
PRACTICE_PAGE = 20  # a page of this many digits or more ...
PAGE_SHARE = 0.8  # ... this share of them one digit is a practice page: each of those stands alone
MARK_SIZE = 0.25  # a mark parts two digits when it is at least this big (of the shorter's height)


def neighbours(a: Box, b: Box) -> float | None:
    """The gap from a (left) to b (right) if they can be adjacent digits of a number, else None."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if bx + bw / 2 <= ax + aw / 2:
        return None  # b must lie to the right of a
    rows = min(ay + ah, by + bh) - max(ay, by)
    if rows < MIN_ROW_OVERLAP * min(ah, bh):
        return None
    if max(ah, bh) > MAX_HEIGHT_RATIO * min(ah, bh):
        return None
    gap = bx - (ax + aw)
    if gap > MAX_GAP * max(ah, bh) or gap < -MAX_OVERLAP * min(aw, bw):
        return None
    return float(gap)


def parted(a: Box, b: Box, marks: np.ndarray) -> bool:
    """Whether a mark (rows of x, y, w, h) stands in the gap between a (left) and b (right):
    its centre between them, across their shared rows, and not a speck."""
    if not len(marks):
        return False
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    centre = marks[:, 0] + marks[:, 2] / 2
    top, bottom = max(ay, by), min(ay + ah, by + bh)
    big = np.maximum(marks[:, 2], marks[:, 3]) >= MARK_SIZE * min(ah, bh)
    return bool(np.any((centre > ax + aw) & (centre < bx) & (marks[:, 1] < bottom)
                       & (marks[:, 1] + marks[:, 3] > top) & big))


def group(boxes: Sequence[Box], marks: Sequence[Box] = (), rules: Sequence[Box] = ()) -> list[list[int]]:
    """Partition digit boxes into numbers; each number's indices left to right, numbers in
    reading order (top to bottom by row, then left to right). `marks`: other ink of the frame
    (not digits), which no number reaches across; `rules`: upright lines, across which only
    regular spacing does not join."""
    n = len(boxes)
    stops = np.asarray(marks, dtype=np.float64).reshape(-1, 4)
    links = []
    centre = [b[0] + b[2] / 2 for b in boxes]
    half_widest = max((b[2] for b in boxes), default=0) / 2
    by_centre = sorted(range(n), key=lambda i: centre[i])
    for pos, i in enumerate(by_centre):
        x, _, w, h = boxes[i]
        reach = x + w + MAX_GAP * MAX_HEIGHT_RATIO * h + half_widest
        for j in by_centre[pos + 1 :]:  # a right neighbour's centre lies to the right
            if centre[j] > reach:
                break  # and no further one can be close enough
            gap = neighbours(boxes[i], boxes[j])
            if gap is not None:
                links.append((gap, i, j))
    right: dict[int, int] = {}
    left: dict[int, int] = {}
    for _gap, i, j in sorted(links):
        if i in right or j in left:  # centres strictly left to right: no loops possible
            continue
        if parted(boxes[i], boxes[j], stops):
            continue
        right[i], left[j] = j, i
    numbers = []
    for start in range(n):
        if start in left:
            continue
        chain = [start]
        while chain[-1] in right:
            chain.append(right[chain[-1]])
        numbers.append(chain)

    numbers = reading_order([union(boxes[i] for i in chain) for chain in numbers], numbers)
    return join_regular(boxes, numbers, np.concatenate([stops, np.asarray(rules, np.float64).reshape(-1, 4)]))


def practice_apart(numbers: list[list[int]], labels: Sequence[int]) -> list[list[int]]:
    """A row of one digit written over and over (a practice page: 0 0 0 0 0), close enough to
    pass for a number, is that many digits: no one writes a number of four or more digits
    that are all the same as often as a practice row. On a page where most digits are one
    digit, its pairs written close ("00") are practice too."""
    # a page of one digit over and over: its pairs and triples written close are practice too
    page = -1
    if len(labels) >= PRACTICE_PAGE:
        counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)
        if counts.max() >= PAGE_SHARE * len(labels):
            page = int(np.argmax(counts))
    out: list[list[int]] = []
    for number in numbers:
        same = {labels[i] for i in number}
        if len(same) == 1 and (len(number) >= PRACTICE or same == {page}):
            out.extend([i] for i in number)
        else:
            out.append(number)
    return out


def join_regular(boxes: Sequence[Box], numbers: list[list[int]],
                 marks: np.ndarray | None = None) -> list[list[int]]:
    """Numbers in reading order; each line of them that is regularly spaced, with no mark
    between its numbers (a sum's signs are spaced like digits), made one number."""
    stops = np.zeros((0, 4)) if marks is None else marks
    out: list[list[int]] = []
    line: list[list[int]] = []

    def flush() -> None:
        if (len(line) > 1 and _regular([boxes[i] for chain in line for i in chain])
                and not any(parted(boxes[a[-1]], boxes[b[0]], stops) for a, b in zip(line, line[1:]))):
            out.append([i for chain in line for i in chain])
        else:
            out.extend(line)
        line.clear()

    for chain in numbers:
        if line and not _same_line(union(boxes[i] for i in line[-1]), union(boxes[i] for i in chain)):
            flush()
        line.append(chain)
    flush()
    return out


def _same_line(left: Box, right: Box) -> bool:
    rows = min(left[1] + left[3], right[1] + right[3]) - max(left[1], right[1])
    return right[0] >= left[0] + left[2] and rows >= MIN_ROW_OVERLAP * min(left[3], right[3])


def _regular(digits: list[Box]) -> bool:
    """Digits (left to right) spaced alike, and no gap over WIDE_GAP heights."""
    if len(digits) < 3:
        return False
    heights = sorted(b[3] for b in digits)
    height = heights[len(heights) // 2]
    gaps = sorted(b[0] - (a[0] + a[2]) for a, b in zip(digits, digits[1:]))
    median = max(gaps[(len(gaps) - 1) // 2], 0.2 * height)
    return gaps[-1] <= WIDE_GAP * height and gaps[-1] <= REGULAR * median and \
        max(heights) <= MAX_HEIGHT_RATIO * min(heights)


def reading_order(boxes: list[Box], items: list) -> list:
    """`items` (one per box) in reading order: lines top to bottom, each left to right.

    Boxes whose rows overlap by half the shorter one's height share a line.
    """
    lines: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2):
        x, y, w, h = boxes[i]
        for line in lines:
            lx, ly, lw, lh = union(boxes[j] for j in line)
            if min(y + h, ly + lh) - max(y, ly) >= MIN_ROW_OVERLAP * min(h, lh):
                line.append(i)
                break
        else:
            lines.append([i])
    return [items[i] for line in lines for i in sorted(line, key=lambda i: boxes[i][0])]


def number_confidence(confidences: Iterable[float]) -> float:
    result = 1.0
    for c in confidences:
        result *= float(c)
    return result
