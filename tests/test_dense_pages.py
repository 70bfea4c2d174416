"""What dense real pages showed, each as a frame built to show it: digits written so close
that they touch, a table whose rows sit on its rules, a box drawn round a sum, a page photographed
at a slant, and a sheet crowded with writing on a wooden desk."""

from __future__ import annotations

from collections import Counter

import cv2
import numpy as np
import pytest

from digits.edge.core import cuts
from digits.edge.core.blob import Blob
from digits.edge.core.orient import read_upright
from digits.edge.core.page import find_page
from digits.edge.core.skew import row_angle, straighten


@pytest.fixture(scope="module")
def glyphs(mnist) -> dict[int, np.ndarray]:
    """Clear MNIST test digits, tight to their ink (white on black)."""
    out = {}
    for d in range(10):
        g = mnist.x_test[int(np.flatnonzero(mnist.y_test == d)[7])]
        ys, xs = np.nonzero(g > 40)
        out[d] = g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return out


def ink(page: np.ndarray, glyph: np.ndarray, x: int, y: int, height: int) -> int:
    """Draw a digit's tight ink `height` px tall, dark on the grey float page; its width."""
    width = max(2, int(round(glyph.shape[1] * height / glyph.shape[0])))
    alpha = cv2.resize(glyph.astype(np.float32) / 255.0, (width, height), interpolation=cv2.INTER_CUBIC)
    region = page[y : y + height, x : x + width]
    region -= region * alpha.clip(0, 1)[: region.shape[0], : region.shape[1]] * 0.85
    return width


def bgr(page: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(page, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def labels(result, top: int = 0, pitch: int = 40) -> list[int]:
    """The digits read, row by row (rows `pitch` px apart from `top`), left to right."""
    def place(d):
        return ((d.box[1] + d.box[3] // 2 - top) // pitch, d.box[0])
    return [d.label for d in sorted(result.digits, key=place)]


# --- the second look: touching digits cut where the model reads them ----------------------------

def test_valleys_are_the_thin_columns_between_inked_blocks():
    solid = np.zeros((20, 30), bool)
    solid[:, 2:10] = True
    solid[9:11, 10:16] = True  # a thin bridge
    solid[:, 16:26] = True
    cut = cuts.valleys(solid, most=3)
    assert any(10 <= c <= 15 for c in cut)
    assert not any(3 <= c <= 8 or 17 <= c <= 24 for c in cut)


def test_the_best_path_is_the_likeliest_cutting_across_the_blob():
    blob = Blob((0, 0, 1, 1), np.zeros((1, 1), np.float32))
    spans = [cuts.Span(0, 1, blob), cuts.Span(1, 3, blob), cuts.Span(0, 2, blob), cuts.Span(2, 3, blob)]
    assert cuts.best_path(4, spans, np.array([0.9, 0.9, 0.99, 0.95])) == [2, 3]
    assert cuts.best_path(4, spans, np.array([0.99, 0.99, 0.5, 0.5])) == [0, 1]
    assert cuts.best_path(4, spans[:1], np.array([0.9])) is None  # nothing reaches the far side


def test_touching_digits_are_read_each(reader, glyphs, monkeypatch):
    """Digits written so close that each pair is one blob: the second look cuts them."""
    page = np.full((360, 640), 215, np.float32)
    for row, pair in enumerate(("14", "35", "72")):
        x = 200
        for ch in pair:
            x += ink(page, glyphs[int(ch)], x, 40 + 110 * row, 60) - 6  # overlapping by 6 px
    for k, d in enumerate((8, 0, 6)):  # and some digits alone, as on any page
        ink(page, glyphs[d], 420, 40 + 110 * k, 60)
    image = bgr(page)
    assert sorted(labels(reader.read(image))) == sorted([1, 4, 3, 5, 7, 2, 8, 0, 6])
    monkeypatch.setattr("digits.edge.core.reader.LOOK_AGAIN", 0)  # without it, they are lost
    assert len(reader.read(image).digits) < 9


class _Fours:
    """A classifier that reads every crop as a 4, as surely as it is told (eleven outputs)."""
    reject_class = 10

    def __init__(self, sure: float):
        self.sure = sure

    def probabilities(self, batch):
        out = np.full((len(batch), 11), (1.0 - self.sure) / 10, np.float32)
        out[:, 4] = self.sure
        return out


def test_a_pair_the_model_calls_no_digit_is_cut_on_a_fairly_sure_reading(monkeypatch):
    """A thin pen's "44" whose 4s touch: read whole it is "not a digit", and its best cutting
    reads 0.81 and 0.99. That is sure enough when the model said no one digit is there
    (`LOOK_SURE`), the blob is wide enough for two and each part nearly as tall as it. A blob
    read whole as an unsure digit keeps the stricter `CONFIDENT` (a single 8 or 4 cuts into two
    fairly sure digits on generated pages), and so do a handwritten word's narrow letters."""
    from digits.edge.core.reader import CONFIDENT, LOOK_SURE, DigitRead, Reader

    assert LOOK_SURE < 0.85 < CONFIDENT
    crop = np.zeros((30, 12), np.float32)
    crop[:, 5:8] = 1.0
    pair = Blob((0, 0, 28, 30), np.zeros((30, 28), np.float32))
    halves = [cuts.Span(0, 1, Blob((0, 0, 12, 30), crop)), cuts.Span(1, 2, Blob((14, 0, 12, 30), crop))]
    monkeypatch.setattr(cuts, "spans", lambda source: ([0, 13, 28], halves))
    reader = Reader.__new__(Reader)
    reader.classifier, reader.reject, reader.min_confidence = _Fours(0.85), 10, 0.5

    no_digit = [DigitRead(pair.box, 10, 0.87, 4, 0.1)]
    assert [(d.label, d.box[0]) for d in reader._look_again([(pair, no_digit)])] == [(4, 0), (4, 14)]
    unsure_digit = [DigitRead(pair.box, 8, 0.45, 4, 0.3)]
    assert reader._look_again([(pair, unsure_digit)]) == unsure_digit
    narrow = [DigitRead((0, 0, 18, 30), 10, 0.87, 4, 0.1)]  # a letter's width: no room for two digits
    assert reader._look_again([(pair, narrow)]) == narrow
    short = [halves[0], cuts.Span(1, 2, Blob((14, 15, 12, 15), crop))]  # a piece half as tall: a letter's
    monkeypatch.setattr(cuts, "spans", lambda source: ([0, 13, 28], short))
    assert reader._look_again([(pair, no_digit)]) == no_digit
    monkeypatch.setattr(cuts, "spans", lambda source: ([0, 13, 28], halves))
    reader.classifier = _Fours(0.7)  # under LOOK_SURE: the pair stays unread
    assert reader._look_again([(pair, no_digit)]) == no_digit


# --- boxes, tables and rules ---------------------------------------------------------------------

def test_a_box_drawn_round_a_sum_keeps_its_digits(reader, glyphs):
    page = np.full((480, 640), 215, np.float32)
    corners = cv2.boxPoints(((245.0, 225.0), (250.0, 110.0), 5.0))  # a box drawn askew, not a rule
    cv2.polylines(page, [np.round(corners).astype(np.int32)], True, 60.0, 2)
    for k, d in enumerate((2, 3, 5)):
        ink(page, glyphs[d], 150 + 60 * k, 195, 60)
    assert labels(reader.read(bgr(page))) == [2, 3, 5]


def test_a_table_reads_each_cell_and_not_its_walls(reader, glyphs, monkeypatch):
    """A table: most digits float in their cells, but one sits on a rule and the digit below
    hangs from it, so re-joining strokes across the rule joins the two. Each digit is read on
    its own, and the cells' walls (cut apart by taking the rules out) are no 1s."""
    page = np.full((480, 640), 218, np.float32)
    rows = ((4, 0, 6, 8), (2, 5, 3, 9), (7, 6, 0, 4), (8, 3, 5, 2))
    top, pitch, tall = 60, 80, 56
    for r in range(len(rows) + 1):
        cv2.line(page, (60, top + pitch * r), (580, top + pitch * r), 70.0, 2)
    for c in range(5):
        cv2.line(page, (60 + 130 * c, top), (60 + 130 * c, top + pitch * len(rows)), 70.0, 2)
    for r, row in enumerate(rows):
        for c, d in enumerate(row):
            y = top + pitch * r + (pitch - tall) // 2
            if c == 1 and r in (0, 1):  # on the rule between rows 0 and 1, from either side
                y = top + pitch * r + (pitch - tall - 1 if r == 0 else 2)
            ink(page, glyphs[d], 105 + 130 * c, y, tall)
    image = bgr(page)
    result = reader.read(image)
    assert len(result.digits) == 16
    assert labels(result, top, pitch) == [d for row in rows for d in row]
    monkeypatch.setattr("digits.edge.core.segment.unbridge", lambda pieces, *a, **k: pieces)
    assert labels(reader.read(image), top, pitch) != [d for row in rows for d in row]


def test_a_tables_wall_is_no_1_past_its_rule_or_under_its_last_row():
    """A wall cut apart where rules were taken out: one that ends a pixel or two past its rule
    (a table's corner), and one under a wall whose row's closing rule was too faint to be found
    (a crossword's last row, read as a line of 1s). A 1 written under a rule is neither."""
    from digits.edge.core.segment import cell_wall, wall_goes_on
    from digits.edge.core.tuning import SegmentConfig

    cfg = SegmentConfig()
    rules = np.zeros((120, 120), np.uint8)  # where rules were taken out (dilated), 5 rows each
    rules[20:25], rules[60:65] = 1, 1
    wall = (50, 23, 2, 43)  # from inside the top rule to 2 px past the bottom one
    assert cell_wall(wall, rules, cfg)
    assert cell_wall((50, 25, 2, 35), rules, cfg)  # from rule to rule
    assert not cell_wall((50, 27, 2, 20), rules, cfg)  # a 1 hanging from the rule alone
    assert not cell_wall((40, 25, 20, 35), rules, cfg)  # a digit filling the cell
    below = (50, 68, 2, 30)  # the wall goes on past the bottom rule: no rule closes it
    assert not cell_wall(below, rules, cfg)
    assert wall_goes_on(below, [wall], rules, cfg)
    assert not wall_goes_on((80, 68, 2, 30), [wall], rules, cfg)  # in another column
    assert not wall_goes_on((50, 80, 2, 30), [wall], rules, cfg)  # a row further down
    assert not wall_goes_on((44, 68, 16, 30), [wall], rules, cfg)  # a digit, not a line


def test_a_small_table_whose_digits_touch_its_rules_is_read(reader, glyphs):
    """A webcam-sized photo of a table with cells hardly taller than the writing: every digit
    touches the rule above or below, so re-joining strokes across the rules stands each column's
    digits one on another. The writing's height is taken with the rules cut out, so the column
    is split into its digits again (measured on the joined columns, it was a column tall and
    two digits in five were read)."""
    rng = np.random.default_rng(3)
    rows = [[int(v) for v in rng.integers(0, 10, 5)] for _ in range(7)]
    page = np.full((400, 540), 215, np.float32)
    top, left, pitch, cell, tall = 50, 60, 40, 80, 30
    for r in range(len(rows) + 1):
        cv2.line(page, (left, top + pitch * r), (left + cell * 5, top + pitch * r), 60.0, 2)
    for c in range(6):
        cv2.line(page, (left + cell * c, top), (left + cell * c, top + pitch * len(rows)), 60.0, 2)
    for r, row in enumerate(rows):
        for c, d in enumerate(row):
            y = top + pitch * r + (pitch - tall) // 2 + (5 if (r + c) % 2 else -4)  # on a rule
            ink(page, glyphs[d], left + cell * c + 25, y, tall)
    result = reader.read(bgr(page))
    truth = Counter(d for row in rows for d in row)
    read = Counter(d.label for d in result.digits)
    assert len(result.digits) <= 35
    assert sum((truth & read).values()) >= 32


# --- a page at a slant, a crowded sheet on wood ---------------------------------------------------

def rows_page(glyphs, texts=("4071", "2583", "6920")) -> np.ndarray:
    page = np.full((600, 800), 215, np.float32)
    for row, text in enumerate(texts):
        for k, ch in enumerate(text):
            ink(page, glyphs[int(ch)], 230 + 80 * k, 150 + 120 * row, 70)
    return bgr(page)


def test_row_angle_measures_the_slant_of_rows():
    boxes = [(int(100 + 60 * k + 30 * r * 0), int(100 + 100 * r + np.tan(np.deg2rad(25)) * 60 * k), 30, 50)
             for r in range(3) for k in range(6)]
    assert abs(row_angle(boxes) - 25) <= 2
    level = [(100 + 60 * k, 100 + 100 * r, 30, 50) for r in range(3) for k in range(6)]
    assert row_angle(level) == 0.0
    assert row_angle(level[:3]) == 0.0  # too few to tell


def test_a_page_held_at_a_slant_is_read_level(reader, glyphs):
    upright = rows_page(glyphs)
    slanted = straighten(upright, -30.0)
    result, turn, used = read_upright(reader, slanted)
    assert [n.text for n in result.numbers] == ["4071", "2583", "6920"]
    assert used.shape != slanted.shape  # read turned level
    result, _, used = read_upright(reader, upright)
    assert used is upright and [n.text for n in result.numbers] == ["4071", "2583", "6920"]


def test_a_sheet_crowded_with_writing_is_found_on_a_wooden_desk(glyphs):
    """Wood is grainy like the writing seen coarsely; the sheet is still the bright convex part."""
    rng = np.random.default_rng(3)
    grain = cv2.resize(rng.normal(0, 1, (480, 40)).astype(np.float32), (640, 480))  # streaks
    desk = 55 + 12 * grain + rng.normal(0, 6, (480, 640)).astype(np.float32)
    page = desk.copy()
    page[90:400, 140:520] = 215
    for r in range(7):
        for k in range(12):
            ink(page, glyphs[(r + k) % 10], 150 + 30 * k, 100 + 42 * r, 34)
    sheet = find_page(cv2.cvtColor(bgr(page), cv2.COLOR_BGR2GRAY))
    assert sheet is not None
    assert sheet[240, 330] > 0 and sheet[20, 20] == 0


def test_writing_that_reaches_the_sheets_edge_stays_on_the_sheet(reader, glyphs):
    """A sticky note on a dark desk with a phone number written right up to its edge: the
    writing, grainy like the desk at a coarse look, is not cut off with the desk."""
    rng = np.random.default_rng(5)
    page = cv2.GaussianBlur(rng.normal(40, 10, (720, 540)).astype(np.float32), (0, 0), 1.0)
    page[300:640, 150:392] = 225
    x = 160
    for ch in "13924579":
        x += ink(page, glyphs[int(ch)], x, 390, 34) + 3
    assert x >= 380  # right up to the note's edge
    x = 250
    for ch in "506":
        x += ink(page, glyphs[int(ch)], x, 500, 34) + 4
    result = reader.read(bgr(page))
    assert [n.text for n in result.numbers] == ["13924579", "506"]


def test_a_shadow_over_the_sheets_edge_stays_off_the_sheet(reader, glyphs):
    """A hand's shadow falls over the sheet's right edge onto the desk: the sheet's hull holds
    it, but dark and smooth it is no writing, and the digits are read as they are."""
    rng = np.random.default_rng(2)
    page = cv2.GaussianBlur(rng.normal(35, 8, (480, 640)).astype(np.float32), (0, 0), 1.0)
    page[20:460, 25:610] = 215
    shadow = np.zeros((480, 640), np.float32)
    cv2.ellipse(shadow, (560, 170), (70, 150), 0, 0, 360, 1.0, -1)
    page *= 1 - 0.6 * cv2.GaussianBlur(shadow, (0, 0), 15)
    x = 210
    for ch in "0377":
        x += ink(page, glyphs[int(ch)], x, 160, 40) + 6
    result = reader.read(bgr(page))
    assert [n.text for n in result.numbers] == ["0377"]


def test_a_stroke_end_between_two_rows_does_not_join_them():
    """A digit sitting on a rule, one hanging from it, and between them the stub of a stroke
    cut off at the rule: the stub may join one digit, never both into one."""
    from digits.edge.core.pieces import Piece, join_pieces

    above, below = Piece((10, 0, 15, 18), 120, 1), Piece((9, 25, 16, 18), 130, 3)
    stub = Piece((13, 19, 3, 5), 12, 2)
    groups = join_pieces([above, stub, below], min_h=5, text_h=18.0, ruled=True)
    assert not any(above in g and below in g for g in groups)
    assert any(stub in g and (above in g or below in g) for g in groups)


def test_a_lone_unsure_digit_among_many_non_digits_is_dropped():
    from digits.edge.core.doubts import without_strays
    from digits.edge.core.reader import DigitRead

    def read(x, confidence):
        return DigitRead((x, 100, 20, 30), 7, confidence, 1, 0.01)

    lone = [read(100, 0.7)]
    assert without_strays(lone, blobs=10) == []  # one of ten blobs, and doubtful
    assert without_strays(lone, blobs=2) == lone  # most blobs are digits
    assert without_strays([read(100, 0.95)], blobs=10) == [read(100, 0.95)]  # sure
    number = [read(100, 0.7), read(124, 0.7), read(148, 0.7)]
    assert without_strays(number, blobs=20) == number  # a number is not a stray


def test_an_upright_on_the_frames_side_is_no_one(reader, glyphs):
    """The edge of a notebook beyond the frame shows as a thin dark strip on its side."""
    page = np.full((480, 640), 210, np.float32)
    cv2.fillConvexPoly(page, np.array([[0, 180], [10, 180], [1, 270], [0, 270]], np.int32), 40.0)  # a wedge
    x = 250
    for ch in "27":
        x += ink(page, glyphs[int(ch)], x, 200, 60) + 10
    assert [n.text for n in reader.read(bgr(page)).numbers] == ["27"]


def test_a_list_down_the_page_keeps_a_small_digit_apart_from_the_one_below(reader, glyphs):
    """A column of digits, one a little smaller, close above the next: two digits, not a 5's
    hat on its body."""
    page = np.full((700, 400), 205, np.float32)
    y = 20
    for d, tall in ((1, 60), (2, 60), (3, 42), (4, 62), (5, 60), (6, 60), (7, 62), (8, 64)):
        ink(page, glyphs[d], 150, y, tall)
        y += tall + 12
    assert labels(reader.read(bgr(page)), 20, 72) == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_doubtful_digit_cut_by_the_frames_edge_is_dropped():
    from digits.edge.core.doubts import inside_frame
    from digits.edge.core.reader import DigitRead

    def read(box, confidence, label=4):
        return DigitRead(box, label, confidence, 1, 0.01)

    assert inside_frame([read((0, 100, 30, 40), 0.8)], 640, 480) == []  # on the left edge
    assert inside_frame([read((300, 450, 30, 30), 0.8)], 640, 480) == []  # on the bottom edge
    assert len(inside_frame([read((0, 100, 30, 40), 0.99)], 640, 480)) == 1  # sure: kept
    assert len(inside_frame([read((10, 100, 30, 40), 0.8)], 640, 480)) == 1  # inside: kept
    # a sure 1 in a corner (a dark sliver of the frame's border, 0.99 on a real photo) goes;
    # a sure 1 on one edge, and a sure 4 in a corner, stay
    assert inside_frame([read((0, 384, 7, 96), 0.99, label=1)], 640, 480) == []
    assert len(inside_frame([read((0, 300, 7, 96), 0.99, label=1)], 640, 480)) == 1
    assert len(inside_frame([read((0, 440, 30, 40), 0.99)], 640, 480)) == 1


def test_labels_on_a_big_photo_of_small_writing_stay_small():
    """A page of 30 px digits photographed at 1600x1200: a label no taller than the digits."""
    from digits.edge.core.reader import DigitRead, FrameResult
    from digits.edge.overlay import DIGIT_COLOUR, draw

    frame = np.full((1200, 1600, 3), 255, np.uint8)
    digits = tuple(DigitRead((400 + 40 * i, 600, 22, 30), i, 0.99, 9, 0.01) for i in range(5))
    out = draw(frame, FrameResult(1600, 1200, digits, (), {}))
    band = np.all(out == DIGIT_COLOUR, axis=2)
    band[595:636, :] = False  # the boxes' own outlines
    assert 5 < int(band.any(axis=1).sum()) <= 30
