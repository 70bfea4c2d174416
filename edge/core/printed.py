"""Lines of small print: where a blob tall enough for a digit is a printed letter.

On a photo of a printed page, most letters are too small for a digit (under the segmenter's
smallest height) and never become blobs; only the letters that stand out (g, b, h, S, a
capital, a bracket) do, and the model reads many of them as digits. What gives them away is
the company they keep: many small pieces of ink of one height, side by side on a line. A
handwritten number is a line too, but of blobs (its digits), not of pieces too small for one.
A line is followed where it climbs or falls (a page photographed askew). On a page where
lines of print are found, two letters of their height side by side are a word of it too ("[in]").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.edge.core.blob import Box

LETTERS = 6  # a line of print holds at least this many small letters in a chain ...
GAP = 1.2  # ... each at most this many letter heights from the next
SMALLEST = 0.3  # a letter is at least this share of the smallest digit's height (no speck) ...
SAME_LINE = 0.5  # pieces on one line share this share of their height
LETTER_WIDTH = 0.7  # a small piece this many times its height wide per letter
PAGE_LINES = 3  # with this many lines of print found, the frame is a page of print ...
WORD_HEIGHT = 0.25  # ... and two of its letters (this close to their height) side by side are a word
TALLEST = 2.5  # a blob up to this many times the line's letter height can be one of its letters


@dataclass(frozen=True)
class PrintLine:
    box: Box  # a few of the line's letters, working pixels
    letter: float  # its small letters' typical height
    line: int = 0  # which line of the frame it is part of (an askew line is cut into boxes)
    word: bool = False  # a short word on a page of print, not a line


def print_lines(stats: np.ndarray, min_h: float) -> list[PrintLine]:
    """Each line of small print, from connected-component stats
    (OpenCV's x, y, w, h, area rows; row 0 is the background). A line is a chain of pieces
    side by side, most of them too small for a digit: the letters that stand out (b, h, g)
    are links of the chain too. Letters that touch at the working size count by their width."""
    if len(stats) <= LETTERS:
        return []
    x, y, w, h = (stats[1:, i].astype(np.float64) for i in range(4))
    letter_sized = (h >= max(2.0, SMALLEST * min_h)) & (w < 3 * min_h)  # no speck, no run of print
    small = letter_sized & (h < min_h)
    # letters run together at this size count by their width (an "on" is two)
    count = np.maximum(1.0, np.round(w / (LETTER_WIDTH * np.maximum(h, 1.0))))
    if count[small].sum() < LETTERS:
        return []
    links = np.flatnonzero(letter_sized)
    cy = y + h / 2
    step = max(1.0, 0.5 * min_h)
    band = (cy / step).astype(np.int64)  # a line's pieces share a band or two
    by_band: dict[int, np.ndarray] = {}
    for b in np.unique(band[links]):
        mine = links[band[links] == b]
        by_band[int(b)] = mine[np.argsort(x[mine], kind="stable")]  # each band left to right
    used = np.zeros(len(x), bool)
    chains = []
    left_to_right = links[np.argsort(x[links], kind="stable")]
    for start in left_to_right:
        if used[start] or not small[start]:
            continue
        c = np.array(_chain(start, x, w, h, cy, small, used, by_band, step))
        if count[c][small[c]].sum() >= LETTERS and small[c].sum() >= 0.5 * len(c):
            used[c] = True
            chains.append(c)
    lines_found = len(chains)
    if lines_found >= PAGE_LINES:  # a page of print: its short words ("[in]") are print too
        letter = float(np.median([np.median(h[c][small[c]]) for c in chains]))
        like = small & (np.abs(h - letter) <= WORD_HEIGHT * letter)  # letters of the page's print
        for start in left_to_right:
            if used[start] or not like[start]:
                continue
            c = np.array(_chain(start, x, w, h, cy, small, used, by_band, step))
            if count[c][like[c]].sum() >= 2:
                used[c] = True
                chains.append(c)
    lines: list[PrintLine] = []
    for n, c in enumerate(chains):
        letter = float(np.median(h[c][small[c]]))
        for k in range(0, len(c), LETTERS):  # a few letters a box: an askew line's boxes stay tight
            p = c[k : k + LETTERS + 1]
            x0, y0 = x[p].min(), y[p].min()
            box = (int(x0), int(y0), int((x[p] + w[p]).max() - x0), int((y[p] + h[p]).max() - y0))
            lines.append(PrintLine(box, letter, n, n >= lines_found))
    return lines


def _chain(start: int, x, w, h, cy, small, used, by_band: dict[int, np.ndarray], step: float) -> list[int]:
    """The pieces linked to the right of `start`, each the nearest on the line: the line is
    followed where it climbs or falls (a page photographed askew), by the middle of its last
    small letter (a tall letter's middle sits above or below the line's)."""
    chain, right, height, centre = [start], x[start] + w[start], h[start], cy[start]
    last = x[start]
    while True:
        near = int(centre / step)
        best = -1
        for b in (near - 1, near, near + 1):
            row = by_band.get(b)
            if row is None:
                continue
            for j in row[np.searchsorted(x[row], last, side="right"):]:
                if x[j] > right + GAP * height or (best >= 0 and x[j] >= x[best]):
                    break
                if (not used[j] and h[j] <= TALLEST * height
                        and abs(cy[j] - centre) <= SAME_LINE * max(height, h[j])):
                    best = int(j)
                    break
        if best < 0:
            return chain
        chain.append(best)
        right, last = max(right, x[best] + w[best]), x[best]
        if small[best]:
            centre = cy[best]


def count_lines(lines: list[PrintLine]) -> int:
    """How many lines of print (not short words) the boxes belong to."""
    return len({line.line for line in lines if not line.word})


def in_print(box: Box, lines: list[PrintLine]) -> bool:
    """Whether a blob stands in a line of print, letter-sized for it."""
    bx, by, bw, bh = box
    for line in lines:
        (lx, ly, lw, lh), letter = line.box, line.letter
        if bh > TALLEST * letter:
            continue
        overlap = min(by + bh, ly + lh) - max(by, ly)
        if overlap < SAME_LINE * min(bh, lh):
            continue
        if lx - GAP * letter <= bx + bw and bx <= lx + lw + GAP * letter:
            return True
    return False
