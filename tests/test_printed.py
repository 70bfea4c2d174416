"""Lines of small print: a tall letter standing in one is no digit; a written number is no print."""

from __future__ import annotations

import numpy as np

from digits.edge.core.printed import in_print, print_lines


def stats(boxes):
    """OpenCV-style component stats: the background row, then x, y, w, h, area per piece."""
    rows = [(0, 0, 1000, 1000, 0)] + [(x, y, w, h, w * h // 2) for x, y, w, h in boxes]
    return np.array(rows, np.int32)


def test_a_tall_letter_in_a_line_of_small_print_is_in_print():
    min_h = 20.0  # the smallest digit, in working pixels
    letters = [(100 + 16 * i, 200, 11, 14) for i in range(12)]  # x-height letters, too small
    b = (100 + 16 * 12, 194, 11, 20)  # a "b": tall enough for a digit
    more = [(100 + 16 * i, 200, 11, 14) for i in range(13, 20)]
    lines = print_lines(stats(letters + [b] + more), min_h)
    assert len(lines) == 1
    assert in_print(b, lines)
    assert not in_print((600, 190, 14, 22), lines)  # a digit far along the line: not its word
    assert not in_print((100 + 16 * 5, 300, 14, 22), lines)  # a digit on another line
    assert not in_print((150, 150, 40, 90), lines)  # far taller than the print


def test_a_handwritten_number_is_no_line_of_print():
    min_h = 20.0
    digits = [(100 + 30 * i, 200, 20, 40) for i in range(8)]  # each tall enough: blobs
    specks = [(400, 500, 8, 8), (600, 700, 9, 7)]  # a few small marks elsewhere
    assert print_lines(stats(digits + specks), min_h) == []
    # small digits written beside it, but fewer than a line of print holds
    few = [(400 + 14 * i, 210, 9, 14) for i in range(4)]
    assert print_lines(stats(digits + few), min_h) == []
