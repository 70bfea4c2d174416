"""Blobs that read as digits but are not written digits: a 1 far taller than the writing beside
it (a page's edge, a column of print read from the side), a 1 of many pieces, a faint 1 (a
smear), grey print beside writing, a sum's brackets and x's, and digit-like letters in the words
of a page of print."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from digits.edge.core.doubts import without_tall_ones
from digits.edge.core.reader import DigitRead


def read(box, label=1):
    return DigitRead(box, label, 0.99, 7, 0.01)


def test_a_1_far_taller_than_the_writing_is_no_digit():
    writing = [read((40 * i, 100, 20, 30), label=d) for i, d in enumerate((3, 5, 8))]
    tall_one = read((200, 10, 6, 100))
    assert without_tall_ones(writing + [tall_one]) == writing
    one = read((160, 98, 6, 34))
    long_tail = read((240, 100, 18, 80), label=9)  # a 9's tail reaches further, and is kept
    assert without_tall_ones(writing + [one, long_tail]) == writing + [one, long_tail]
    assert without_tall_ones(writing[:2] + [tall_one]) == writing[:2] + [tall_one]  # too few to judge


def test_1s_stacked_end_to_end_in_a_column_are_a_tables_wall():
    """A score sheet's outer wall, cut where its rows' rules crossed it, read as four 1s one
    under another, a few pixels apart. 1s written in a column of numbers stand a row apart."""
    from digits.edge.core.doubts import without_stacked_ones

    wall = [read((861, 177, 4, 60)), read((862, 259, 6, 98)), read((864, 385, 8, 64)),
            read((866, 457, 3, 36))]
    others = [read((300, 200, 30, 50), label=5)]
    assert without_stacked_ones(others + wall) == others
    column = [read((400, 100 + 90 * k, 8, 50)) for k in range(4)]  # one 1 a row, 40 px apart
    assert without_stacked_ones(others + column) == others + column
    assert without_stacked_ones(others + wall[:2]) == others + wall[:2]  # two pieces: a broken 1
    askew = [read((861 + 30 * k, 177 + 70 * k, 4, 60)) for k in range(3)]  # not one column
    assert without_stacked_ones(askew) == askew


class _AllOnes:
    """A classifier that reads every crop as a sure 1 (the eleven-output layout)."""
    reject_class = 10

    def probabilities(self, batch):
        out = np.full((len(batch), 11), 0.001, np.float32)
        out[:, 1] = 0.99
        return out


def test_a_1_joined_from_many_pieces_is_print_or_a_dotted_edge():
    from digits.edge.core.blob import Blob, Segmentation
    from digits.edge.core.reader import Reader

    reader = Reader.__new__(Reader)
    reader.classifier, reader.reject, reader.min_confidence = _AllOnes(), 10, 0.5
    crop = np.zeros((30, 6), np.float32)
    crop[:, 2:4] = 1.0
    stroke_blob = Blob((10, 10, 6, 30), crop)
    broken = Blob((40, 10, 6, 30), crop, pieces=2)  # a faint 1 in two pieces
    column = Blob((80, 10, 6, 30), crop, pieces=6)  # six letters of a printed word, end to end
    seg = Segmentation([stroke_blob, broken, column], "dark", 0.3, 1.0, 0, 9)
    assert [d.box[0] for d in reader._classify(seg)] == [10, 40]


def test_a_blob_far_flatter_than_a_digit_read_whole_is_none():
    """A printed box's corner on a worksheet, a dash with a hook on a mark sheet: read whole as
    a 7, each is 2.7-3.8 times as wide as tall, where 99 % of MNIST's digits are under 1.43. A 7
    with a long bar (1.9) stays."""
    from digits.edge.core.blob import Blob, Segmentation
    from digits.edge.core.reader import Reader

    reader = Reader.__new__(Reader)
    reader.classifier, reader.reject, reader.min_confidence = _AllSevens(0.91), 10, 0.5
    long_bar = Blob((10, 10, 57, 30), np.ones((30, 57), np.float32))
    corner = Blob((100, 10, 114, 30), np.ones((30, 114), np.float32))
    seg = Segmentation([long_bar, corner], "dark", 0.3, 1.0, 0, 2)
    assert [d.box[0] for d in reader._classify(seg)] == [10]


def test_a_faint_1_is_a_smear_and_a_dark_one_is_written():
    from digits.edge.core.doubts import contrast, without_faint_ones

    frame = np.full((100, 200, 3), 200, np.uint8)
    frame[20:80, 40:46] = 170  # a smear: 15 % darker than the paper
    frame[20:80, 140:146] = 60  # a pen stroke
    smear, stroke = read((40, 20, 6, 60)), read((140, 20, 6, 60))
    assert contrast(frame, smear.box) < 0.2 < 0.6 < contrast(frame, stroke.box)
    assert without_faint_ones([smear, stroke], frame) == [stroke]
    faint_seven = read((40, 20, 6, 60), label=7)  # only 1s are judged so: a faint 7 is still a 7
    assert without_faint_ones([faint_seven], frame) == [faint_seven]


def test_a_sums_brackets_are_no_1s_but_straight_and_flagged_1s_are():
    """A written sum's ")" reads as a 1: it bows out to the right and stands taller than the
    digits it closes. A 1 is straight, or bows the other way at its flag, and so does a "(":
    only the "(" left of a ")", about as tall, is taken for its bracket."""
    from digits.edge.core.doubts import bow, bracket_bow, without_brackets

    frame = np.full((140, 500, 3), 235, np.uint8)
    rows = np.arange(10, 110)
    t = (rows - 60) / 50.0
    for centre in (30 + 14 * t**2, 130 + 0 * t, 420 - 14 * t**2):  # "(", a straight 1, ")"
        for r, c in zip(rows, centre):
            frame[r, int(c) - 2 : int(c) + 3] = 30
    cv2.line(frame, (240, 25), (228, 40), (30, 30, 30), 4)  # a 1 with a flag, as tall as the digits
    cv2.line(frame, (240, 25), (240, 95), (30, 30, 30), 4)
    opening, straight, closing = read((26, 10, 20, 100)), read((126, 10, 9, 100)), read((404, 10, 20, 100))
    flagged = read((226, 23, 17, 74))
    assert bow(frame, closing.box) < -0.1 < bow(frame, flagged.box)
    assert abs(bow(frame, straight.box)) < 0.02 and bow(frame, opening.box) > 0.1
    digits = [read((300, 25, 40, 72), label=7), read((350, 25, 40, 70), label=4)]  # shorter than brackets
    sum_ = [opening, straight, flagged] + digits + [closing]
    assert without_brackets(sum_, frame, True) == [straight, flagged] + digits
    tall_digits = [replace(d, box=(d.box[0], 10, 40, 100)) for d in digits]  # a ")" no taller: a 1
    no_taller = [flagged] + tall_digits + [closing]
    assert without_brackets(no_taller, frame, True) == no_taller
    light = 255 - frame  # chalk on a board: the same shapes
    assert without_brackets([straight] + digits + [closing], light, False) == [straight] + digits
    # the ")" read as no digit (a blob holding none) still takes its "(" with it, however unlike
    # a ")" the "(" bows (this one in its lower half only: no pair of brackets to `paired_brackets`)
    frame[:, :60] = 235
    for r, c in zip(rows, 30 + 40 * np.maximum(t, 0) ** 2):
        frame[r, int(c) - 2 : int(c) + 3] = 30
    hooked = read((26, 10, 37, 100))
    assert bracket_bow(frame, hooked.box) == 0.0 and bow(frame, hooked.box) > 0.1
    kept = [straight, flagged, *digits]
    blobs = [d.box for d in [hooked, *kept, closing]]
    assert without_brackets([hooked, *kept], frame, True, blobs) == kept
    assert without_brackets([hooked, *kept], frame, True) == [hooked, *kept]


def test_a_pair_of_brackets_round_a_sum_are_no_1s_at_any_height():
    """"(3+2)" written with brackets no taller than its digits: each bracket reads as a 1, too
    short for the lone ")" rule. A plain stroke curved out left with one curved out right on
    its line, a digit between them, are a pair; a 1's flag curls only its top and crosses
    beside its stem, a curved 1 alone is a hand's 1, and two curved 1s with nothing between
    them ("11") are kept."""
    from digits.edge.core.doubts import bracket_bow, without_brackets

    frame = np.full((140, 800, 3), 235, np.uint8)
    rows = np.arange(20, 110)
    t = (rows - 65) / 45.0
    for centre in (40 + 10 * t**2, 300 - 10 * t**2, 420 + 10 * t**2, 470 - 10 * t**2, 720 - 10 * t**2):
        for r, c in zip(rows, centre):  # ( ) ( ) and one more )
            frame[r, int(c) - 2 : int(c) + 3] = 30
    cv2.line(frame, (560, 22), (540, 50), (30, 30, 30), 4)  # a 1 with a long flag, curved by it
    cv2.line(frame, (560, 22), (560, 110), (30, 30, 30), 4)
    opening, closing = read((37, 20, 15, 90)), read((288, 20, 15, 90))
    ones = [read((417, 20, 15, 90)), read((458, 20, 15, 90))]
    flagged, last = read((538, 20, 25, 91)), read((708, 20, 15, 90))
    digits = [read((90, 25, 50, 85), label=3), read((200, 25, 50, 85), label=2)]  # as tall as the brackets
    seven = read((600, 25, 50, 85), label=7)
    assert bracket_bow(frame, opening.box) > 0.08 and bracket_bow(frame, closing.box) < -0.08
    assert bracket_bow(frame, flagged.box) == 0.0 < bracket_bow(frame, ones[0].box)
    assert without_brackets([opening, *digits, closing], frame, True) == digits
    assert without_brackets([flagged, seven, last], frame, True) == [flagged, seven, last]
    assert without_brackets([*digits, closing], frame, True) == [*digits, closing]
    assert without_brackets([*digits, *ones], frame, True) == [*digits, *ones]
    assert without_brackets([ones[0], seven, last], frame, True) == [seven]
    four = read((370, 25, 40, 85), label=4)  # written against the "(": a curved 1 in a number
    assert without_brackets([four, ones[0], seven, last], frame, True) == [four, ones[0], seven, last]
    # one side read as "not a digit" (a blob holding no digit): the "(" read as a 1 still goes
    blobs = [opening.box, *(d.box for d in digits), closing.box]
    assert without_brackets([opening, *digits], frame, True) == [opening, *digits]
    assert without_brackets([opening, *digits], frame, True, blobs) == digits
    assert without_brackets([*digits, closing], frame, True, [opening.box, *blobs]) == digits
    straight = read((538, 20, 25, 91))  # a flagged 1's box: no bracket, no pair
    alone = [*blobs[:-1], straight.box]
    assert without_brackets([opening, *digits], frame, True, alone) == [opening, *digits]


def test_a_plus_read_as_a_4_beside_a_bracket_does_not_hide_the_bracket():
    """"3 + (1 + 2)": the "+" before the "(" reads as an unsure 4, and a digit written that close
    to a curved stroke would make it a curved 1 in a number. The "+" goes first, so the "(" is
    judged with the ")" it pairs (a blob the model read as no digit) and goes too."""
    from digits.edge.core.doubts import without_signs

    frame = np.full((140, 600, 3), 235, np.uint8)
    rows = np.arange(20, 110)
    t = (rows - 65) / 45.0
    for centre in (300 + 10 * t**2, 520 - 10 * t**2):  # ( and )
        for r, c in zip(rows, centre):
            frame[r, int(c) - 2 : int(c) + 3] = 30
    cv2.line(frame, (245, 38), (245, 98), (30, 30, 30), 4)  # the "+"
    cv2.line(frame, (215, 68), (275, 68), (30, 30, 30), 4)
    cv2.line(frame, (360, 25), (360, 110), (30, 30, 30), 4)  # a straight 1
    three, two = read((90, 25, 50, 85), label=3), read((420, 25, 50, 85), label=2)
    plus = DigitRead((213, 36, 64, 64), 4, 0.6, 1, 0.2)
    opening, one, closing = read((297, 20, 15, 90)), read((356, 25, 9, 86)), (508, 20, 15, 90)
    blobs = [three.box, plus.box, opening.box, one.box, two.box, closing]
    assert without_signs([three, plus, opening, one, two], frame, True, blobs) == [three, one, two]


def test_square_brackets_are_no_7s_or_1s_but_a_7_and_a_1_with_a_base_are():
    """A sum's "[" and "]" read as 1 or 7 (a "]"'s top foot is a 7's bar): a tall stroke along
    one side with a foot at each end pointing the same way. A 7's foot is its stem alone, a
    1's base reaches past its stem on both sides, a thin 1's curled end is no foot."""
    from digits.edge.core.doubts import square_bracket, without_square_brackets

    frame = np.full((140, 700, 3), 235, np.uint8)
    ink = (30, 30, 30)
    cv2.polylines(frame, [np.array([[70, 20], [40, 20], [40, 110], [70, 110]])], False, ink, 4)  # [
    cv2.polylines(frame, [np.array([[140, 20], [170, 20], [170, 110], [140, 110]])], False, ink, 4)  # ]
    cv2.polylines(frame, [np.array([[240, 20], [280, 20], [255, 110]])], False, ink, 4)  # a 7
    cv2.line(frame, (370, 20), (370, 110), ink, 4)  # a 1 with a flag and a base
    cv2.line(frame, (370, 20), (355, 35), ink, 4)
    cv2.line(frame, (355, 110), (385, 110), ink, 4)
    cv2.line(frame, (470, 20), (470, 110), ink, 4)  # a plain 1
    boxes = {"[": (37, 17, 36, 96), "]": (137, 17, 36, 96), "7": (237, 17, 46, 96),
             "1 based": (352, 17, 36, 96), "1": (467, 17, 7, 96)}
    masks = {k: frame[y : y + h, x : x + w, 0] < 128 for k, (x, y, w, h) in boxes.items()}
    sides = {k: square_bracket(mask.astype(np.uint8)) for k, mask in masks.items()}
    assert sides == {"[": 1, "]": -1, "7": 0, "1 based": 0, "1": 0}
    reads = [read(boxes["["]), read(boxes["]"], label=7), read(boxes["7"], label=7), read(boxes["1 based"]),
             read(boxes["1"])]
    assert without_square_brackets(reads, frame, True) == reads[2:]
    three = read(boxes["]"], label=3)  # read as another digit: kept (a narrow 3 is shaped so too)
    assert without_square_brackets([three], frame, True) == [three]


def test_an_unsure_8_that_closes_no_loop_is_a_written_x():
    """A sum's "x" reads as an 8 (51-84 % on a sheet of them); an 8 closes a loop, an x none."""
    from digits.edge.core.doubts import loops, without_crossings

    frame = np.full((100, 300, 3), 235, np.uint8)
    cv2.line(frame, (20, 20), (70, 80), (30, 30, 30), 5)  # the x
    cv2.line(frame, (70, 20), (20, 80), (30, 30, 30), 5)
    cv2.circle(frame, (150, 35), 14, (30, 30, 30), 4)  # the 8's two loops
    cv2.circle(frame, (150, 66), 16, (30, 30, 30), 4)
    x_read = DigitRead((17, 17, 57, 67), 8, 0.6, 4, 0.2)
    eight = DigitRead((132, 18, 36, 68), 8, 0.6, 3, 0.2)
    assert loops(frame, x_read.box) == 0 and loops(frame, eight.box) == 2
    assert without_crossings([x_read, eight], frame, True) == [eight]
    sure = replace(x_read, confidence=0.97)  # read this surely, a loop closed by a blur: kept
    assert without_crossings([sure], frame, True) == [sure]
    assert without_crossings([x_read, eight], 255 - frame, False) == [eight]  # chalk


def test_a_plain_leaning_stroke_in_a_sum_is_a_slash():
    """"(3+4/2)": a "/" drawn 20 degrees from upright reads as a sure 1; MNIST's writers lean
    a third of their 1s further. In a sum (a sign on the line that is no digit) a plain
    stroke leaning 15 degrees past the digits beside it is a slash; a 1 with a flag, or one in
    a line of numbers with no sign, stays."""
    from digits.edge.core.doubts import without_slashes

    frame = np.full((120, 640, 3), 235, np.uint8)
    for x in (60, 300):  # two upright digits: ovals
        cv2.ellipse(frame, (x, 55), (14, 32), 0, 0, 360, (30, 30, 30), 4)
    cv2.line(frame, (150, 90), (176, 20), (30, 30, 30), 4)  # the slash, 20 degrees
    cv2.line(frame, (470, 90), (496, 20), (30, 30, 30), 4)  # the same stroke with a flag
    cv2.line(frame, (496, 20), (478, 42), (30, 30, 30), 4)
    zeros = [DigitRead((x - 18, 19, 36, 72), 0, 0.99, 6, 0.01) for x in (60, 300)]
    slash, flagged = read((146, 16, 34, 78)), read((466, 16, 34, 78))
    plus = (220, 45, 20, 20)  # a "+" that read as no digit
    assert without_slashes(zeros + [slash], frame, True, [plus]) == zeros
    assert without_slashes(zeros + [slash], frame, True, []) == zeros + [slash]  # no sign: a 1
    assert without_slashes(zeros + [flagged], frame, True, [plus]) == zeros + [flagged]
    # a page of numbers whose writer leans every 1 so: three or more such strokes are 1s
    page = frame.copy()
    for x in (360, 400):
        cv2.line(page, (x, 90), (x + 26, 20), (30, 30, 30), 4)
    hand = [slash, read((356, 16, 34, 78)), read((396, 16, 34, 78))]
    assert without_slashes(zeros + hand, page, True, [plus]) == zeros + hand


def test_an_unsure_4_shaped_like_a_plus_is_a_sums_plus():
    """A sum's "+" reads as a 4 (58-86 % on photos of sums). Its ink is one upright and one
    level stroke crossing; a 4's first stroke runs off both, to its upper left."""
    from digits.edge.core.doubts import plus_shaped, without_pluses

    frame = np.full((120, 300, 3), 235, np.uint8)
    cv2.line(frame, (60, 30), (60, 90), (30, 30, 30), 4)  # the "+"
    cv2.line(frame, (30, 60), (90, 60), (30, 30, 30), 4)
    cv2.line(frame, (170, 15), (160, 75), (30, 30, 30), 4)  # a 4: its first stroke ...
    cv2.line(frame, (160, 75), (215, 75), (30, 30, 30), 4)  # ... its bar ...
    cv2.line(frame, (200, 15), (200, 105), (30, 30, 30), 4)  # ... and its stem
    plus = DigitRead((28, 28, 64, 64), 4, 0.6, 1, 0.2)
    four = DigitRead((158, 13, 60, 94), 4, 0.6, 9, 0.2)
    assert plus_shaped(frame, plus.box) and not plus_shaped(frame, four.box)
    assert without_pluses([plus, four], frame, True) == [four]
    sure = replace(plus, confidence=0.9)  # read this surely: a 4 written so
    assert without_pluses([sure], frame, True) == [sure]
    fairly = replace(plus, confidence=0.85)  # a "+" shorter than the digits of its line (0.68):
    assert without_pluses([fairly, four], frame, True) == [four]  # a sign, even read so surely
    assert without_pluses([fairly], frame, True) == [fairly]  # alone, no line to measure it by


def test_an_unsure_2_shaped_like_a_written_d_is_a_formulas_d():
    """A formula's "dx": its d reads as a 2 (80-86 % on three photos). A d's top is its stem
    alone, at the right, with its bowl low on the left; a 2's top arcs over from the left."""
    from digits.edge.core.doubts import d_shaped, without_ds

    frame = np.full((120, 300, 3), 235, np.uint8)
    cv2.ellipse(frame, (42, 80), (20, 20), 0, 30, 330, (30, 30, 30), 4)  # the d's bowl, open right
    cv2.line(frame, (66, 12), (64, 100), (30, 30, 30), 4)  # and its stem, the full height
    cv2.ellipse(frame, (200, 40), (26, 26), 0, 180, 360, (30, 30, 30), 4)  # a 2's arc ...
    cv2.line(frame, (226, 40), (174, 100), (30, 30, 30), 4)  # ... its diagonal
    cv2.line(frame, (174, 100), (230, 100), (30, 30, 30), 4)  # ... and its base
    d = DigitRead((16, 10, 53, 93), 2, 0.85, 0, 0.1)
    two = DigitRead((172, 12, 60, 91), 2, 0.85, 7, 0.1)
    assert d_shaped(frame, d.box) and not d_shaped(frame, two.box)
    assert without_ds([d, two], frame, True) == [two]
    sure = replace(d, confidence=0.97)  # read this surely, it is a 2 written so
    assert without_ds([sure], frame, True) == [sure]
    assert without_ds([d, two], 255 - frame, False) == [two]  # chalk


def test_grey_print_beside_dark_writing_is_dropped_but_a_dim_page_is_kept():
    """A scanner app's grey watermark under a page of pen digits reads as digits (1 3 7 7 5);
    they are far paler than the writing. In dim light every digit is pale alike, and all stay."""
    from digits.edge.core.doubts import without_pale_print

    frame = np.full((200, 400, 3), 230, np.uint8)
    pen = [read((20 + 40 * i, 20, 14, 30), label=i + 2) for i in range(6)]
    grey = [read((20 + 30 * i, 140, 10, 20), label=7) for i in range(3)]
    for d in pen:
        x, y, w, h = d.box
        frame[y : y + h, x + 5 : x + 9] = 40  # a pen's stroke: dark
    for d in grey:
        x, y, w, h = d.box
        frame[y : y + h, x + 4 : x + 7] = 175  # a watermark's letter: a quarter as dark
    assert without_pale_print(pen + grey, frame) == pen
    dim = frame.copy()
    dim[dim == 40] = 175  # every stroke as pale as the watermark
    assert without_pale_print(pen + grey, dim) == pen + grey
    assert without_pale_print(pen[:3] + grey[:1], frame) == pen[:3] + grey[:1]  # too few to judge


def test_a_streak_in_a_shadow_is_no_1_but_a_1_written_in_the_shade_is():
    """The edge of a phone's shadow, dark against the shadow round it, read as a 1 at 98 %
    beside a page of pen digits: against its own surroundings it looks like ink, but it is
    barely darker than they are, where each pen stroke is far darker than its paper. A 1
    written where a hand shades the page is still a pen's stroke: dark, and kept."""
    from digits.edge.core.doubts import contrast, without_pale_print

    frame = np.full((200, 500, 3), 200, np.uint8)
    pen = [read((20 + 40 * i, 20, 14, 30), label=i + 2) for i in range(6)]
    for d in pen:
        x, y, w, h = d.box
        frame[y : y + h, x + 5 : x + 9] = 40
    frame[:, 400:] = 50  # the shadow
    frame[100:160, 440:444] = 30  # a streak in it
    streak = read((438, 100, 8, 60))
    frame[100:160, 300:380] = 120  # a hand's shade over the paper, and a 1 written in it
    frame[110:150, 340:344] = 35
    shaded_one = read((338, 110, 8, 40))
    assert contrast(frame, streak.box) > 0.35 * np.median([contrast(frame, d.box) for d in pen])
    assert without_pale_print(pen + [streak, shaded_one], frame) == pen + [shaded_one]
    seven = replace(streak, label=7)  # only a 1 is measured so: a streak reads as one
    assert without_pale_print(pen + [seven], frame) == pen + [seven]


def test_a_frame_where_no_digit_reads_surely_holds_no_writing():
    """A beach of kitesurfers: people standing read as 1s (56-90 %), kites as 4 and 7 (75-78 %),
    and nothing in the frame reads surely. Writing of three digits or more holds at least one
    written plainly."""
    from digits.edge.core.doubts import without_clutter

    frame = np.full((300, 400, 3), 180, np.uint8)
    people = [DigitRead((40 + 60 * i, 100, 20, 60), label, sure, 10, 0.1)
              for i, (label, sure) in enumerate([(1, 0.9), (1, 0.7), (4, 0.78), (7, 0.75)])]
    for x, y, _, h in (blobs := [d.box for d in people]):
        frame[y : y + h, x + 8 : x + 12] = 40  # each is dark against the sand
    assert without_clutter(people, frame, blobs, True) == []
    plain = [*people[:2], replace(people[2], confidence=0.95), people[3]]  # one digit written plainly:
    assert without_clutter(plain, frame, blobs, True) == plain  # the frame is writing
    close_up = people[2:]  # two unsure digits alone: a close-up of an odd hand may read so
    assert without_clutter(close_up, frame, blobs[2:], True) == close_up


def test_digits_in_a_word_on_a_page_of_words_are_letters_but_not_on_a_page_of_sums():
    from digits.edge.core.doubts import without_words

    letters = [(40 * i, 100, 14, 20) for i in range(30)]  # a line of letters, 26 px apart
    words = [(x, 100, 14, 20) for x in (1178, 1194)]  # an "lo" against the last letter (ends 1174)
    apart = [(1400, 100, 14, 20), (1416, 100, 14, 20)]  # a number far off on its own
    digits = [read(b, label=0) for b in words + apart]
    blobs = letters + words + apart
    assert without_words(digits, blobs) == digits[2:]
    # most blobs digits (a worksheet of sums): a "+" beside a digit takes nothing away
    sums = [read((30 * i, 300, 14, 20), label=3) for i in range(30)]
    plus = (30 * 29 + 14 + 4, 300, 14, 20)  # 4 px after the last digit
    assert without_words(sums, [d.box for d in sums] + [plus]) == sums


def test_a_page_of_streaky_print_whose_strokes_read_as_1s_is_a_page_of_words():
    """Print smeared by motion (and a little sensor noise): most of its blobs are upright
    streaks that read as 1s. Counted whole, they made it a page of digits, and 46 of them
    were kept; a 1 counts half, so it stays a page of words and the 1s beside letters go.
    A page of 1s with nothing beside them keeps them all."""
    from digits.edge.core.doubts import without_words

    ones = [read((30 * i, 100, 6, 24)) for i in range(24)]  # streaks, 24 px apart
    letters = [(30 * i + 10, 100, 14, 24) for i in range(24)]  # each right after a streak
    assert without_words(ones, [d.box for d in ones] + letters) == []
    page_of_ones = [read((40 * i, 100, 6, 24)) for i in range(24)]  # 34 px apart: no word
    lone = [(40 * i, 300, 14, 24) for i in range(20)]  # other blobs, on another line
    assert without_words(page_of_ones, [d.box for d in page_of_ones] + lone) == page_of_ones


def test_a_page_of_bold_print_whose_words_are_cut_into_digits_is_a_page_of_words():
    """Bold, blurred print: each word is one blob, and the reader cuts it into parts that read
    as digits (an o as 0, an s as 5), two or three per word. Counted one by one they were more
    than half as many as the blobs, so 130 of them were kept on a synthetic page; counted by
    the blobs read whole as digits (none), it is a page of words and they go."""
    from digits.edge.core.doubts import without_words

    words = [(100 * i, 100 * row, 80, 24) for row in range(3) for i in range(10)]
    cut = [read((x + 6 + 30 * k, y, 18, 24), label=(0, 5)[k]) for x, y, _, _ in words for k in range(2)]
    assert without_words(cut, words) == []
    # a page of digits, each its own blob, with a few words among them: the digits stay
    digits = [read((40 * i, 400, 20, 24), label=3) for i in range(24)]
    assert without_words(digits, [d.box for d in digits] + words[:6]) == digits


class _AllSevens:
    """A classifier that reads every crop as a 7, as surely as it is told (eleven outputs)."""
    reject_class = 10

    def __init__(self, sure: float, first: float | None = None):
        self.sure, self.first = sure, first  # first: the first crop of each batch reads this surely

    def probabilities(self, batch):
        out = np.full((len(batch), 11), (1.0 - self.sure) / 10, np.float32)
        out[:, 7] = self.sure
        if self.first is not None and len(batch):
            out[0] = (1.0 - self.first) / 10
            out[0, 7] = self.first
        return out


def test_small_writing_read_only_at_the_closer_look_must_read_surely():
    """Digits under the usual smallest, found only by the closer look at small writing, are
    kept when they read surely; read unsure they are a form's small marks. Digits of the
    usual size keep the usual limit."""
    from digits.edge.core.reader import Reader
    from digits.edge.core.tuning import SegmentConfig

    def reader(sure, first=None):
        r = Reader.__new__(Reader)
        r.classifier, r.reject, r.min_confidence = _AllSevens(sure, first), 10, 0.5
        r.segment_config = SegmentConfig()
        return r

    page = np.full((2000, 1500, 3), 235, np.uint8)  # 42 glyphs 17 px tall: under 1.2 % of 2000
    for row in range(6):
        for k in range(7):
            cv2.putText(page, "7", (100 + 40 * k, 300 + 60 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                        (30, 30, 30), 2, cv2.LINE_AA)
    assert len(reader(0.95).read(page).digits) == 42
    assert len(reader(0.7).read(page).digits) == 0
    big = np.full((480, 640, 3), 235, np.uint8)  # the usual size: 0.7 is sure enough (beside one
    cv2.putText(big, "7 7 7", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, (30, 30, 30), 8, cv2.LINE_AA)
    assert len(reader(0.7, first=0.95).read(big).digits) == 3  # plainly written: `without_doubt`)


def test_a_1_leaning_far_past_the_other_digits_of_its_line_is_a_slash():
    """A sum's "/" reads as a 1. One hand slants its digits alike, its 1s too, and a slash is
    drawn steeper: a 1 leaning 25 degrees past the other digits of its line (three or more,
    leaning alike) is dropped. MNIST's 1s lean anyhow, each from another writer: a line of
    digits leaning every way says nothing, unless the 1 leans steeper than any of them."""
    from digits.edge.core.doubts import lean, without_slashes

    def page(tilts):
        frame = np.full((120, 640, 3), 235, np.uint8)
        for k, tilt in enumerate(tilts):  # the other digits: ovals (0s) leaning by `tilt`
            cv2.ellipse(frame, (50 + 90 * k, 55), (14, 32), tilt, 0, 360, (30, 30, 30), 4)
        cv2.line(frame, (380, 20), (380, 90), (30, 30, 30), 4)  # an upright 1
        cv2.line(frame, (470, 90), (515, 20), (30, 30, 30), 4)  # a "/" leaning 33 degrees
        return frame

    zeros = [DigitRead((50 + 90 * k - 25, 15, 50, 80), 0, 0.99, 6, 0.01) for k in range(3)]
    one, slash = read((376, 18, 9, 75)), read((466, 18, 54, 75))
    frame = page([0, 0, 0])
    assert abs(lean(frame, one.box)) < 3 and 28 < lean(frame, slash.box) < 38
    assert without_slashes(zeros + [one, slash], frame, True) == zeros + [one]
    assert without_slashes(zeros[:2] + [one, slash], frame, True) == zeros[:2] + [one, slash]  # too few
    every_way = page([-30, 0, 30])  # three writers: the line's slant is no one's
    assert without_slashes(zeros + [one, slash], every_way, True) == zeros + [one, slash]
    light = 255 - frame  # chalk on a board: the same shapes
    assert without_slashes(zeros + [one, slash], light, False) == zeros + [one]
    # a slash at 45 degrees or more is steeper than any 1 MNIST's writers wrote: one other digit
    # on its line, leaning any way, is enough to measure it by
    steep_frame = page([-30, 0, 30])
    cv2.line(steep_frame, (560, 90), (620, 25), (30, 30, 30), 4)
    steep = read((556, 21, 68, 73))
    assert lean(steep_frame, steep.box) > 42
    assert without_slashes(zeros + [one, steep], steep_frame, True) == zeros + [one]
    assert without_slashes(zeros[:1] + [steep], steep_frame, True) == zeros[:1]
    assert without_slashes([one, steep], steep_frame, True) == [one, steep]  # no digit but 1s to measure by
