"""Lines of small print: where a blob tall enough for a digit is a printed letter.

On a photo of a printed page, most letters are too small for a digit (under the segmenter's
smallest height) and never become blobs; only the letters that stand out (g, b, h, S, a
capital, a bracket) do, and the model reads many of them as digits. What gives them away is
the company they keep: many small pieces of ink of one height, side by side on a line. A
handwritten number is a line too, but of blobs (its digits), not of pieces too small for one.
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
TALLEST = 2.5  # a blob up to this many times the line's letter height can be one of its letters


@dataclass(frozen=True)
class PrintLine:
    box: Box  # the line's extent, working pixels
    letter: float  # its small letters' typical height


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
    band = (cy / max(1.0, 0.5 * min_h)).astype(np.int64)  # a line's pieces share a band or two
    by_band: dict[int, list[int]] = {}
    for i in links:
        by_band.setdefault(int(band[i]), []).append(int(i))
    near = {b: np.array(sorted(by_band.get(b - 1, []) + by_band.get(b, []) + by_band.get(b + 1, []),
                               key=lambda i: x[i]))
            for b in by_band}
    lines: list[PrintLine] = []
    used = np.zeros(len(x), bool)
    for start in links[np.argsort(x[links], kind="stable")]:
        if used[start] or not small[start]:
            continue
        chain, right, height, centre = [start], x[start] + w[start], h[start], cy[start]
        row = near[int(band[start])]  # sorted by left edge: the chain grows to the right
        for j in row[np.searchsorted(x[row], x[start]):]:
            if j == start:
                continue
            if x[j] > right + GAP * height:
                break
            if (not used[j] and h[j] <= TALLEST * height
                    and abs(cy[j] - centre) <= SAME_LINE * max(height, h[j])):
                chain.append(j)
                right = max(right, x[j] + w[j])
        c = np.array(chain)
        letters = count[c][small[c]].sum()
        if letters >= LETTERS and small[c].sum() >= 0.5 * len(c):
            used[c] = True
            x0, y0 = x[c].min(), y[c].min()
            box = (int(x0), int(y0), int(right - x0), int((y[c] + h[c]).max() - y0))
            lines.append(PrintLine(box, float(np.median(h[c][small[c]]))))
    return lines


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
