"""Lines of small print: a tall letter standing in one is no digit; a written number is no print."""

from __future__ import annotations

import numpy as np

from digits.edge.core.printed import count_lines, in_print, print_lines


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
    assert count_lines(lines) == 1
    assert in_print(b, lines)
    assert not in_print((600, 190, 14, 22), lines)  # a digit far along the line: not its word
    assert not in_print((100 + 16 * 5, 300, 14, 22), lines)  # a digit on another line
    assert not in_print((150, 150, 40, 90), lines)  # far taller than the print


def test_letters_run_together_count_by_their_width():
    """At a photo's working size a printed word's letters touch: "[snon.tu]" is a bracket, four
    pieces for seven letters, and a bracket. The brackets are tall enough for digits (1s)."""
    min_h = 18.0
    left, right = (604, 595, 6, 20), (672, 597, 5, 20)
    word = [(610, 600, 8, 11), (618, 600, 10, 11), (628, 600, 21, 12), (655, 599, 16, 14)]
    lines = print_lines(stats([left] + word + [right]), min_h)
    assert count_lines(lines) == 1
    assert in_print(left, lines) and in_print(right, lines)
    # the same four pieces, each one letter wide, are too few for a line
    narrow = [(610 + 12 * i, 600, 8, 11) for i in range(4)]
    assert print_lines(stats([left] + narrow + [right]), min_h) == []


def test_a_handwritten_number_is_no_line_of_print():
    min_h = 20.0
    digits = [(100 + 30 * i, 200, 20, 40) for i in range(8)]  # each tall enough: blobs
    specks = [(400, 500, 8, 8), (600, 700, 9, 7)]  # a few small marks elsewhere
    assert print_lines(stats(digits + specks), min_h) == []
    # small digits written beside it, but fewer than a line of print holds
    few = [(400 + 14 * i, 210, 9, 14) for i in range(4)]
    assert print_lines(stats(digits + few), min_h) == []


def test_a_line_of_print_that_climbs_is_followed():
    """A page photographed askew: its lines climb a letter's height in twenty letters, so a
    chain measured from its first letter lost the line halfway, and the tall letters of the
    rest stood in no line (a cookbook page read 4 of them as digits)."""
    min_h = 20.0
    letters = [(100 + 16 * i, 300 - i, 11, 14) for i in range(24)]  # climbing 1 px a letter
    b = (100 + 16 * 24, 300 - 24 - 6, 11, 20)  # a "b" at the line's end, 24 px above its start
    lines = print_lines(stats(letters + [b]), min_h)
    assert count_lines(lines) == 1
    assert in_print(b, lines)
    assert not in_print((100 + 16 * 24, 300 - 6, 11, 20), lines)  # where the line would be if level: above it


def test_on_a_page_of_print_a_short_word_is_print():
    """A thesis page's "[in]": two letters between brackets are too few for a line of print,
    but on a page where lines of print were found, letters of their height side by side are
    a word, and the brackets beside it are no 1s."""
    min_h = 18.0
    page = [(100 + 12 * i, 100 + 40 * row, 9, 10) for row in range(3) for i in range(10)]
    left, word, right = (606, 441, 6, 21), (613, 447, 16, 12), (629, 443, 6, 21)  # "[", "in", "]"
    lines = print_lines(stats(page + [left, word, right]), min_h)
    assert count_lines(lines) == 3  # the lines; the word is one more box of print
    assert in_print(left, lines) and in_print(right, lines)
    # without the page's lines, the same word is no print
    alone = print_lines(stats(page[:10] + [left, word, right]), min_h)
    assert not in_print(left, alone) and not in_print(right, alone)
    # nor two marks far smaller than the page's letters
    specks = (613, 450, 5, 6), (619, 450, 5, 6)
    assert not in_print(left, print_lines(stats(page + [left, *specks, right]), min_h))


def test_a_closer_look_that_sees_lines_of_print_by_the_usual_smallest_digit_reads_as_usual(monkeypatch):
    """A printed page washed out (or saved as a small JPEG): the closer look, reading down to
    half the smallest digit, found no line of print (its letters were no longer smaller than
    that) and under the pieces' cap, and read 92 of its letters as digits. Counted by the
    usual smallest digit, its letters make 26 lines of print: it is read as usual."""
    import digits.edge.core.segment as segment
    from digits.edge.core.blob import Segmentation
    from digits.edge.core.tuning import SegmentConfig

    config = SegmentConfig()
    calls = []

    def fake(full, factor, cfg, usual=None):
        calls.append((factor, cfg.min_height, usual is not None))
        if factor == 9:  # the first look: small writing
            return Segmentation([], "dark", 0.2, 1 / 9, 0, 50), 6.0
        lines = fake.lines if usual is not None else 0
        return Segmentation([], "dark", 0.2, 1 / factor, 0, 300, usual_print_lines=lines), 17.0

    monkeypatch.setattr(segment, "_segment_at", fake)
    frame = np.full((2000, 3000), 200, np.uint8)
    fake.lines = segment.PRINT_PAGE
    segment._segment_sheet(frame, config)
    assert calls[-1][1] == config.min_height and not calls[-1][2]  # read again as usual
    calls.clear()
    fake.lines = segment.PRINT_PAGE - 1  # a few lines: small writing, read closer
    segment._segment_sheet(frame, config)
    assert calls[-1][2]
    # the count itself: letters between the two sizes are print by the usual one only
    letters = [(100 + 16 * i, 40 * row, 11, 14) for row in range(12) for i in range(12)]
    assert segment._usual_print(stats(letters), 20.0) == 12
    assert segment._usual_print(stats(letters), 0.0) == 0
    assert count_lines(print_lines(stats(letters), 10.0)) == 0

