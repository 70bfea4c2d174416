"""Grouping digit boxes into numbers, and a number's confidence."""

from __future__ import annotations

import pytest

from digits.edge.core.numbers import group, neighbours, number_confidence, union


def row(x0: int, y: int, h: int, widths: list[int], gap: int) -> list[tuple[int, int, int, int]]:
    boxes, x = [], x0
    for w in widths:
        boxes.append((x, y, w, h))
        x += w + gap
    return boxes


def test_close_digits_on_one_line_form_one_number_left_to_right():
    boxes = row(100, 50, 40, [25, 10, 28], gap=8)
    shuffled = [boxes[2], boxes[0], boxes[1]]
    assert group(shuffled) == [[1, 2, 0]]


def test_a_wide_gap_separates_numbers():
    left = row(50, 100, 40, [25, 25], gap=6)
    right = row(50 + 56 + 60, 100, 40, [25], gap=6)  # 60 px gap: 1.5 digit heights
    assert group(left + right) == [[0, 1], [2]]


def test_different_lines_are_different_numbers_in_reading_order():
    top = row(300, 40, 40, [25, 25], gap=6)
    bottom = row(40, 200, 40, [25, 25, 25], gap=6)
    assert group(bottom + top) == [[3, 4], [0, 1, 2]]


def test_height_mismatch_breaks_a_number():
    small = (100, 100, 12, 20)
    big = (116, 70, 30, 60)  # three times taller, bottom-aligned
    assert neighbours(small, big) is None
    assert group([small, big]) == [[0], [1]]


def test_a_long_tail_does_not_break_a_number():
    """8 9 5 2 written in a row: the 9's tail makes its box over twice as tall as the small 5."""
    boxes = [(100, 200, 22, 40), (134, 200, 20, 88), (166, 206, 18, 32), (196, 196, 24, 44)]
    assert group(boxes) == [[0, 1, 2, 3]]


def test_a_digit_between_two_joins_the_nearer_and_chains_stay_linear():
    a, b, c = (0, 0, 20, 40), (24, 0, 20, 40), (70, 0, 20, 40)
    # b-c gap 26 (< 0.75 * 40) also links: all three are one number
    assert group([a, b, c]) == [[0, 1, 2]]
    assert group([a, c]) == [[0], [1]]  # a-c gap 50: too far


def test_slanted_rows_still_group():
    boxes = [(0, 100, 20, 40), (26, 94, 20, 40), (52, 88, 20, 40), (78, 82, 20, 40)]
    assert group(boxes) == [[0, 1, 2, 3]]


def test_overlapping_boxes_are_allowed_a_little():
    assert neighbours((0, 0, 20, 40), (15, 0, 20, 40)) == -5
    assert neighbours((0, 0, 20, 40), (2, 0, 20, 40)) is None  # nearly on top: not side by side


def test_empty_and_single():
    assert group([]) == []
    assert group([(5, 5, 10, 20)]) == [[0]]


def test_confidence_is_the_product_and_union_covers_all():
    assert number_confidence([0.9, 0.5]) == pytest.approx(0.45)
    assert number_confidence([]) == 1.0
    assert union([(10, 10, 5, 5), (20, 0, 5, 30)]) == (10, 0, 15, 30)


def test_a_regularly_spaced_line_is_one_number():
    """A phone number written with a digit's height between digits stays one number."""
    spaced = row(20, 100, 40, [25] * 7, gap=40)
    assert group(spaced) == [list(range(7))]


def test_regular_but_very_wide_spacing_is_separate_numbers():
    """Digits three heights apart (a grid of single digits) are numbers of their own."""
    apart = row(20, 100, 40, [25] * 3, gap=120)
    assert group(apart) == [[0], [1], [2]]


def test_one_wider_gap_in_a_spaced_line_still_separates():
    left = row(20, 100, 40, [25] * 3, gap=24)
    right = row(20 + 3 * 25 + 2 * 24 + 90, 100, 40, [25] * 3, gap=24)
    assert group(left + right) == [[0, 1, 2], [3, 4, 5]]


def test_two_digits_most_of_a_height_apart_are_two_numbers():
    """A practice page's 0s or a sudoku's cells: two digits 0.7 of a height apart are read one by
    one; the digits of one number sit closer (0.6)."""
    assert group(row(20, 100, 40, [30, 30], gap=28)) == [[0], [1]]
    assert group(row(20, 100, 40, [30, 30], gap=24)) == [[0, 1]]


def test_a_sign_between_numbers_parts_them_where_spacing_alone_would_join():
    """"3 + 21 = 7": the signs are spaced like the digits of a phone number, so without them
    the line would be one number; the reader passes them as marks."""
    digits = [(20, 100, 25, 40), (95, 100, 25, 40), (130, 100, 25, 40), (200, 100, 25, 40)]
    signs = [(58, 112, 24, 16), (165, 115, 24, 12)]  # "+" and "=" between the numbers
    assert group(digits) == [[0, 1, 2, 3]]
    assert group(digits, signs) == [[0], [1, 2], [3]]


def test_a_mark_between_close_digits_breaks_the_link_and_a_speck_does_not():
    digits = row(100, 50, 40, [25, 25], gap=20)
    wall = (135, 30, 3, 80)  # a cell's wall between them
    speck = (133, 70, 4, 4)  # a dot of dust: under a quarter of the digits' height
    assert group(digits, [wall]) == [[0], [1]]
    assert group(digits, [speck]) == [[0, 1]]
    assert group(digits, [(20, 70, 40, 40)]) == [[0, 1]]  # ink elsewhere on the line parts nothing


def test_upright_rules_stop_only_the_regular_spacing_join():
    """Graph paper: a rule between every two squares. One number written across squares stays
    one; single digits in a row of cells, spaced alike, are numbers of their own."""
    close = row(100, 50, 40, [25, 25, 25], gap=12)
    rules_close = [(100 + 25 + 5, 0, 2, 200), (100 + 2 * 25 + 12 + 5, 0, 2, 200)]
    assert group(close, rules=rules_close) == [[0, 1, 2]]
    cells = row(20, 100, 40, [25] * 4, gap=40)
    walls = [(20 + 25 + 19 + k * 65, 60, 2, 120) for k in range(3)]
    assert group(cells) == [[0, 1, 2, 3]]
    assert group(cells, rules=walls) == [[0], [1], [2], [3]]


def test_a_practice_row_of_one_digit_is_that_many_digits():
    from digits.edge.core.numbers import practice_apart

    boxes = row(50, 100, 40, [25] * 6, gap=10)  # close enough to be one number
    numbers = group(boxes)
    assert numbers == [[0, 1, 2, 3, 4, 5]]
    assert practice_apart(numbers, [0] * 6) == [[0], [1], [2], [3], [4], [5]]  # 0 0 0 0 0 0
    assert practice_apart(numbers, [1, 0, 0, 0, 0, 0]) == numbers  # 100000 stays a number
    assert practice_apart([[0, 1, 2]], [7, 7, 7]) == [[0, 1, 2]]  # 777: too short to tell


def test_on_a_practice_page_a_pair_of_its_digit_is_two_digits():
    """A page of 45 zeros: a pair written close ("00") is two practice digits, not a number;
    the same pair among other digits is a number."""
    from digits.edge.core.numbers import practice_apart

    page = [[i] for i in range(40)] + [[40, 41], [42, 43, 44]]
    assert practice_apart(page, [0] * 45) == [[i] for i in range(45)]
    mixed = [[i] for i in range(20)] + [[20, 21]]
    labels = [k % 10 for k in range(20)] + [0, 0]  # every digit alike often: no practice page
    assert practice_apart(mixed, labels) == mixed
    few = [[0], [1], [2, 3]]
    assert practice_apart(few, [0, 0, 0, 0]) == few  # four zeros: too few to call a page
    other = [[i] for i in range(40)] + [[40, 41]]
    assert practice_apart(other, [0] * 40 + [5, 7]) == other  # "57" on a page of zeros stays
