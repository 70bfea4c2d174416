"""The segmenter, stage by stage, then whole, then under adversarial frames (the fuzz test)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.edge.core.crops import full_res_blob, split_points
from digits.edge.core.ink import ink_map
from digits.edge.core.lines import remove_lines
from digits.edge.core.pieces import Piece, attach_fragments, find_pieces, join_broken, join_pieces
from digits.edge.core.segment import (
    SegmentConfig,
    binarise,
    choose_polarity,
    components,
    plausible,
    pool_factor,
    segment,
    shrink,
    text_height,
    to_gray,
)
from digits.edge.errors import ImageError


def page_with_text(text: str = "407", scale: float = 3.0, thickness: int = 8, origin=(120, 300),
                   size=(480, 640)) -> np.ndarray:
    """A white BGR page with `text` in thick black strokes; digits a few px apart."""
    page = np.full((*size, 3), 235, np.uint8)
    x, y = origin
    for ch in text:
        cv2.putText(page, ch, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), thickness,
                    cv2.LINE_AA)
        (w, _), _ = cv2.getTextSize(ch, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        x += w + 14
    return page


def ink_boxes(page: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Truth: the tight box of each dark connected glyph on a synthetic page."""
    dark = (cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) < 128).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    return sorted(tuple(int(v) for v in stats[i, :4]) for i in range(1, n))


# --- stages alone ------------------------------------------------------------------------------

def working_gray(frame: np.ndarray, work_width: int = 320) -> tuple[np.ndarray, float]:
    gray = to_gray(frame)
    factor = pool_factor(gray.shape[1], work_width)
    return shrink(gray, factor, dark=True), 1.0 / factor


def test_to_gray_takes_bgr_bgra_grey_and_other_depths():
    assert to_gray(np.zeros((48, 64, 3), np.uint8)).shape == (48, 64)
    assert to_gray(np.zeros((48, 64, 4), np.uint8)).shape == (48, 64)
    assert to_gray(np.zeros((48, 64), np.uint16)).dtype == np.uint8


@pytest.mark.parametrize("bad", [np.zeros((0, 0, 3), np.uint8), np.zeros(5, np.uint8), None])
def test_to_gray_refuses_empty_frames(bad):
    with pytest.raises(ImageError):
        to_gray(bad)


def test_a_line_of_print_run_together_does_not_set_the_writings_height():
    """Blurred or dim, a printed header's letters (or a cramped note's touching digits) run
    into one piece, far wider than any digit and full of ink; holding most of the frame's ink,
    it set the writing's height (48 px for digits 20-28 px tall). A table's grid, as wide but
    mostly empty, still counts as before."""
    digits = [Piece((40 * k, 100, 14, 20 + 2 * k), 130, k + 1) for k in range(5)]
    header = Piece((0, 10, 226, 48), int(0.35 * 226 * 48), 9)
    assert text_height([*digits, header], 4.0) == 24
    grid = Piece((0, 10, 226, 48), int(0.2 * 226 * 48), 9)
    assert text_height([*digits, grid], 4.0) == 48


def test_components_count_past_sixteen_bits_on_a_speckled_mask():
    """Labels are 16-bit where they fit; a mask of 122,500 single-pixel specks still counts
    them all (OpenCV refuses a 16-bit count that overflows: no traceback for the user)."""
    mask = np.zeros((700, 700), np.uint8)
    mask[::2, ::2] = 1
    count, labels, stats, _ = components(mask)
    assert count == 350 * 350 + 1 and labels.max() == 350 * 350
    small = components(mask[:100, :100])
    assert small[0] == 50 * 50 + 1 and small[1].dtype == np.uint16


def test_shrink_keeps_a_one_pixel_stroke_at_full_contrast():
    assert pool_factor(640, 320) == 2 and pool_factor(1920, 320) == 6 and pool_factor(200, 320) == 1
    gray = np.full((480, 640), 220, np.uint8)
    gray[:, 101] = 30  # a fine pen's vertical stroke, one pixel wide
    gray[301, :] = 30
    small = shrink(gray, 2, dark=True)
    assert small.shape == (240, 320)
    assert small[:, 50].max() == 30 and small[150, :].max() == 30
    assert np.median(small) == 220
    light = shrink(255 - gray, 2, dark=False)
    assert light[:, 50].min() == 225
    averaged = cv2.resize(gray, (320, 240), interpolation=cv2.INTER_AREA)
    assert np.median(averaged[:, 50]) > 100  # what averaging would have done to it


def test_polarity_follows_the_ink_not_the_light():
    gray, _ = working_gray(page_with_text(), 320)
    assert choose_polarity(gray) == "dark"
    assert choose_polarity(255 - gray) == "light"
    shaded = gray.astype(np.float32)
    shaded[:, :160] *= 0.45  # half the page in a deep shadow
    assert choose_polarity(shaded.astype(np.uint8)) == "dark"


def test_ink_map_flattens_uneven_light():
    gray, _ = working_gray(page_with_text("40710", origin=(20, 300)), 320)
    ramp = np.linspace(0.45, 1.0, gray.shape[1], dtype=np.float32)[None, :]
    lit = (gray * ramp).astype(np.uint8)
    ink, paper = ink_map(lit, stroke_px=6)
    strokes = gray < 100
    assert np.median(ink[~strokes]) < 10  # bare paper is ~0 ink, dark corner or bright
    assert np.median(ink[strokes]) > 120  # strokes are strong ink on either side
    left, right = strokes[:, :160], strokes[:, 160:]
    assert abs(np.median(ink[:, :160][left]) - np.median(ink[:, 160:][right])) < 40


def test_binarise_has_a_floor_on_blank_noisy_paper():
    rng = np.random.default_rng(0)
    ink = np.clip(rng.normal(8, 4, (240, 320)), 0, 255).astype(np.uint8)
    strong, weak, level = binarise(ink, floor=0.14)
    assert level >= int(0.14 * 255)
    assert strong.sum() == 0 and weak.sum() < 10  # a stray 4.5-sigma pixel at most


def test_binarise_weak_mask_contains_the_strong_one():
    ink = np.zeros((50, 50), np.uint8)
    ink[10:40, 20:24] = 200
    ink[40:45, 20:24] = 90  # a faint stroke end
    strong, weak, level = binarise(ink, 0.14)
    assert np.all(weak >= strong)
    assert weak[42, 21] == 1 and strong[42, 21] == 0


def test_remove_lines_takes_rules_out_and_rejoins_crossing_strokes():
    mask = np.zeros((240, 320), np.uint8)
    mask[100:102, :] = 1  # a ruled line across the page
    mask[60:140, 150:154] = 1  # a stroke crossing it
    mask[20:22, 10:40] = 1  # a short dash: not a line
    out, removed = remove_lines(mask, min_len_x=80, min_len_y=108)
    assert removed > 500
    assert out[100:102, :100].sum() == 0 and out[100:102, 200:].sum() == 0
    n, _ = cv2.connectedComponents(out[:, 100:200])
    assert n - 1 == 1  # the stroke is still one piece across the line
    assert out[20:22, 10:40].all()


def test_remove_lines_handles_slightly_tilted_rules():
    mask = np.zeros((240, 320), np.uint8)
    cv2.line(mask, (0, 100), (319, 112), 1, 2)  # about 2 degrees
    out, removed = remove_lines(mask, 80, 108)
    assert out.sum() < 0.1 * mask.sum()


def test_find_pieces_drops_specks_and_bounds_the_count():
    weak = np.zeros((240, 320), np.uint8)
    weak[50:90, 50:56] = 1  # a stroke
    weak[10, 10] = 1  # a speck
    for i in range(0, 200, 4):  # many small dots
        weak[150 + (i % 40), i + 60] = 1
    cc = cv2.connectedComponentsWithStats(weak, connectivity=8)
    pieces, _ = find_pieces(cc, weak, min_side=3, max_pieces=10)
    assert [p.box for p in pieces] == [(50, 50, 6, 40)]
    for x in range(60, 260, 4):  # now 50 six-pixel specks that survive min_side=2
        weak[150:153, x : x + 2] = 1
    cc = cv2.connectedComponentsWithStats(weak, connectivity=8)
    pieces, _ = find_pieces(cc, weak, min_side=2, max_pieces=10)
    assert len(pieces) == 10 and (50, 50, 6, 40) in [p.box for p in pieces]


def test_find_pieces_keeps_only_weak_pieces_with_strong_ink():
    weak = np.zeros((60, 60), np.uint8)
    weak[5:25, 5:10] = 1
    weak[30:50, 30:35] = 1
    strong = np.zeros_like(weak)
    strong[10, 7] = 1
    pieces, _ = find_pieces(cv2.connectedComponentsWithStats(weak), strong, 2, 100)
    assert [p.box for p in pieces] == [(5, 5, 5, 20)]


def test_join_pieces_stacks_a_hat_on_its_digit_but_not_neighbours():
    body = Piece((100, 40, 20, 30), 200, 1)
    hat = Piece((102, 30, 18, 5), 60, 2)  # a 5's detached top stroke
    neighbour = Piece((126, 30, 20, 40), 220, 3)  # the next digit
    groups = join_pieces([body, hat, neighbour])
    assert sorted(sorted(p.label for p in g) for g in groups) == [[1, 2], [3]]


def test_a_page_edge_far_taller_than_the_writing_takes_no_digit_beside_it():
    """A dark band down the page's edge (its shadow, the desk) is one tall piece; the digits
    written beside it are under half its height and nearly touch it, as fragments do."""
    edge = Piece((0, 26, 22, 313), 6000, 1)
    digits = [Piece((41, 175, 15, 25), 150, 2), Piece((39, 217, 14, 18), 120, 3)]
    hat = Piece((102, 36, 18, 4), 60, 4)  # a 5's detached top stroke, just above its body
    body = Piece((100, 40, 20, 25), 200, 5)
    groups = attach_fragments([[p] for p in [edge, *digits, hat, body]], min_h=8, text_h=22)
    assert sorted(sorted(p.label for p in g) for g in groups) == [[1], [2], [3], [4, 5]]
    # without the writing's height to compare with, the edge is an owner as before
    groups = attach_fragments([[p] for p in [edge, *digits]], min_h=8, text_h=0)
    assert len(groups) == 1
    # a rule's thin remains (print turned on its side: a column of letters) keep their fragments
    rule, letter = Piece((58, 1492, 4, 120), 437, 6), Piece((63, 1550, 9, 12), 60, 7)
    assert len(attach_fragments([[rule], [letter]], min_h=8, text_h=22)) == 1


def test_a_digit_beside_a_nine_with_a_long_tail_stays_a_digit_of_its_own():
    """A thin pen's 3 beside a 9 whose tail runs twice the writing's height: their union is
    narrow for its height (as one broken digit's is) but they are two digits side by side."""
    three, nine = Piece((55, 62, 15, 31), 150, 1), Piece((79, 56, 15, 64), 200, 2)
    groups = join_broken([[three], [nine]], text_h=30)
    assert sorted(sorted(p.label for p in g) for g in groups) == [[1], [2]]
    assert len(join_broken([[three], [nine]], text_h=0)) == 1  # no writing to measure by: as before
    # a letter's thin stem beside a letter (print) is not split so: it would read as a 1
    stem, letter = Piece((28, 21, 5, 51), 200, 3), Piece((35, 21, 7, 33), 120, 4)
    assert len(join_broken([[stem], [letter]], text_h=16)) == 1


def test_plausible_rejects_what_cannot_be_a_digit():
    assert plausible((0, 0, 20, 30), 200, min_h=8, max_h=160, frame_w=320)
    assert plausible((10, 10, 4, 30), 110, 8, 160, 320)  # a "1" is thin and solid
    assert not plausible((0, 0, 3, 5), 10, 8, 160, 320)  # too small
    assert not plausible((0, 0, 100, 200), 5000, 8, 160, 320)  # too big
    assert not plausible((0, 0, 120, 12), 500, 8, 160, 320)  # a dash
    assert not plausible((0, 0, 40, 40), 1500, 8, 160, 320)  # a solid blot
    assert not plausible((0, 20, 6, 120), 700, 8, 200, 320, frame_h=240)  # the desk at the frame's edge
    assert plausible((50, 20, 6, 120), 700, 8, 200, 320, frame_h=240)  # the same inside is a "1"


def test_split_points_cut_at_the_thinnest_join():
    mask = np.zeros((30, 44), np.uint8)
    cv2.circle(mask, (10, 15), 9, 1, 3)
    cv2.circle(mask, (33, 15), 9, 1, 3)
    mask[14:16, 18:26] = 1  # a thin bridge between two "0"s
    (cut,) = split_points(mask, 2)
    assert 19 <= cut <= 24


def test_full_res_blob_boxes_in_input_pixels():
    page = np.full((480, 640, 3), 230, np.uint8)
    page[100:160, 200:212] = 30  # a "1", 12 x 60 px
    gray, scale = working_gray(page, 320)
    ink, paper = ink_map(gray, stroke_px=8)
    own = (ink[48:82, 98:108] > 40).astype(np.uint8)
    blob = full_res_blob(to_gray(page), (98, 48, 10, 34), own, paper, scale, True, 40)
    assert blob is not None
    assert blob.box == (200, 100, 12, 60)
    assert blob.crop.shape == (60, 12) and blob.crop.max() == pytest.approx(1.0)


# --- the whole segmenter -----------------------------------------------------------------------

def test_segment_finds_each_digit_with_its_tight_box():
    page = page_with_text("407")
    seg = segment(page)
    truth = ink_boxes(page)
    assert len(seg.blobs) == 3
    for blob, box in zip(seg.blobs, truth):
        assert all(abs(a - b) <= 2 for a, b in zip(blob.box, box)), (blob.box, box)
        assert blob.crop.shape == (blob.box[3], blob.box[2])


def test_segment_reads_light_ink_on_a_dark_board():
    page = page_with_text("58")
    seg = segment(255 - page)
    assert seg.polarity == "light"
    assert [b.box for b in seg.blobs] == [b.box for b in segment(page).blobs]


def test_segment_sees_through_ruled_lines():
    page = page_with_text("36")
    for y in range(20, 480, 32):
        cv2.line(page, (0, y), (639, y), (200, 150, 120), 2)
    seg = segment(page)
    assert seg.lines_removed > 0
    assert len(seg.blobs) == 2


def test_segment_offers_a_cut_for_touching_digits():
    page = np.full((480, 640, 3), 235, np.uint8)
    for cx in (200, 262):  # two "0"s whose strokes touch
        cv2.ellipse(page, (cx, 240), (30, 50), 0, 0, 360, (20, 20, 20), 9, cv2.LINE_AA)
    seg = segment(page)
    wide = [b for b in seg.blobs if b.box[2] > b.box[3]]
    assert wide and len(wide[0].parts) == 2


def test_segment_offers_two_pieces_joined_side_by_side_apart():
    """A short digit close beside a tall one (a 2 beside a 7's long stem): their union is narrow
    enough for one broken digit, so they are joined; the two pieces are offered apart too, and
    the reader keeps whichever reads better."""
    page = np.full((480, 640, 3), 235, np.uint8)
    cv2.ellipse(page, (300, 266), (11, 21), 0, 0, 360, (20, 20, 20), 4, cv2.LINE_AA)  # short
    cv2.line(page, (322, 215), (322, 290), (20, 20, 20), 5)  # tall, 8 px to its right
    seg = segment(page)
    (blob,) = seg.blobs
    assert blob.pieces == 2 and len(blob.parts) == 2
    left, right = (p.box for p in blob.parts)
    assert left[0] + left[2] <= right[0] and right[3] > left[3] >= 0.5 * blob.box[3]
    cv2.line(page, (322, 215), (310, 215), (20, 20, 20), 5)  # a 7's bar reaching over the short one
    (blob,) = segment(page).blobs
    left, right = (p.box for p in blob.parts)
    assert left[0] < right[0] < left[0] + left[2] and right[2] > 15  # each part keeps its own ink



def test_a_minus_against_a_digit_is_left_out_but_a_letter_of_print_is_not():
    """A wide blob of two pieces that no cut fits: beside a "-" (a sign's height) the digit is
    offered alone; beside an "o" (a lower-case letter, half the height: print) it is not."""
    def page(mark: str) -> np.ndarray:
        image = np.full((480, 640, 3), 235, np.uint8)
        cv2.ellipse(image, (330, 250), (22, 30), 0, 0, 360, (20, 20, 20), 4, cv2.LINE_AA)  # a 0
        if mark == "-":
            cv2.line(image, (274, 252), (296, 252), (20, 20, 20), 5)
        else:
            cv2.ellipse(image, (288, 264), (12, 13), 0, 0, 360, (20, 20, 20), 3, cv2.LINE_AA)
        return image

    (minus,) = segment(page("-")).blobs
    assert minus.pieces == 2 and minus.box[2] > 1.1 * minus.box[3]
    assert [p.box[0] for p in minus.parts] == [305]  # the 0 alone
    (letter,) = segment(page("o")).blobs
    assert letter.pieces == 2 and letter.parts == ()

# --- fuzz: adversarial frames never crash and do bounded work ----------------------------------

def adversarial_frames():
    rng = np.random.default_rng(1)
    yield "blank", np.full((480, 640, 3), 255, np.uint8)
    yield "black", np.zeros((480, 640, 3), np.uint8)
    yield "noise", rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    blob = np.full((480, 640, 3), 240, np.uint8)
    cv2.circle(blob, (320, 240), 200, (10, 10, 10), -1)
    yield "huge blob", blob
    specks = np.full((480, 640, 3), 240, np.uint8)
    ys, xs = rng.integers(0, 480, 5000), rng.integers(0, 640, 5000)
    specks[ys, xs] = 0
    yield "specks", specks
    dense = np.full((480, 640, 3), 240, np.uint8)
    for _ in range(3000):
        x, y = int(rng.integers(640)), int(rng.integers(480))
        cv2.circle(dense, (x, y), int(rng.integers(1, 4)), (0, 0, 0), -1)
    yield "thousands of dots", dense
    stripes = np.full((480, 640, 3), 255, np.uint8)
    stripes[::4] = 0
    yield "stripes", stripes
    yield "tiny", np.zeros((1, 1, 3), np.uint8)
    yield "thin", rng.integers(0, 256, (3, 2000, 3), dtype=np.uint8)
    yield "grey 16-bit", (rng.random((120, 160)) * 65535).astype(np.uint16)


@pytest.mark.parametrize("name,frame", list(adversarial_frames()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_fuzz_frames_never_crash_and_stay_bounded(name, frame):
    config = SegmentConfig()
    seg = segment(frame, config)
    assert len(seg.blobs) <= config.max_blobs
    assert seg.pieces <= config.max_pieces
    for blob in seg.blobs:
        x, y, w, h = blob.box
        assert 0 <= x and 0 <= y and x + w <= frame.shape[1] and y + h <= frame.shape[0]
        # the crop is the box at full or working size, maybe padded where strokes were widened
        assert blob.crop.ndim == 2 and blob.crop.size and np.isfinite(blob.crop).all()
        assert 0.0 <= blob.crop.min() and blob.crop.max() <= 1.0
        assert blob.crop.shape[0] <= 2 * h + 2 and blob.crop.shape[1] <= 2 * w + 2
        assert len(blob.parts) <= 6
    if name in ("blank", "black"):
        assert seg.blobs == []
    if name == "huge blob":
        assert all(b.box[2] < 300 for b in seg.blobs)  # the blot itself is rejected


def test_fuzz_random_frames():
    rng = np.random.default_rng(7)
    for _ in range(30):
        h, w = int(rng.integers(1, 700)), int(rng.integers(1, 900))
        frame = np.full((h, w, 3), int(rng.integers(0, 256)), np.uint8)
        for _ in range(int(rng.integers(0, 40))):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cv2.line(frame, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), colour,
                     int(rng.integers(1, 12)))
        seg = segment(frame)
        assert len(seg.blobs) <= SegmentConfig().max_blobs


def test_thin_strokes_are_widened_to_mnist_proportions_and_thick_ones_kept():
    from digits.edge.core.crops import stroke_width, thicken
    from digits.edge.core.tuning import DEFAULT

    fine = np.zeros((100, 60), np.float32)
    cv2.ellipse(fine, (30, 50), (25, 45), 0, 0, 360, 1.0, 2)  # a "0" drawn with a fine pen
    assert stroke_width(fine) < 0.05 * 100
    wide = thicken(fine)
    assert wide.shape[0] - 100 == wide.shape[1] - 60 > 0
    assert stroke_width(wide) == pytest.approx(DEFAULT.target_stroke * 100, rel=0.3)
    bold = np.zeros((100, 60), np.float32)
    cv2.ellipse(bold, (30, 50), (22, 42), 0, 0, 360, 1.0, 12)
    assert thicken(bold) is bold


def test_noise_level_measures_sensor_noise_and_ignores_ink():
    from digits.edge.core.segment import noise_level

    rng = np.random.default_rng(0)
    for sigma in (2, 5, 10):
        page = np.clip(180 + rng.normal(0, sigma, (480, 640)), 0, 255).astype(np.uint8)
        assert noise_level(page) == pytest.approx(sigma, rel=0.15)
    assert noise_level(to_gray(page_with_text())) < 0.5  # clean strokes are not noise


def test_noisy_frames_are_averaged_not_min_pooled():
    rng = np.random.default_rng(0)
    page = np.clip(200 + rng.normal(0, 8, (480, 640)), 0, 255).astype(np.uint8)
    pooled, averaged = shrink(page, 2, True), shrink(page, 2, True, noisy=True)
    assert averaged.shape == pooled.shape == (240, 320)
    assert pooled.mean() < 195 and abs(averaged.mean() - 200) < 1  # the minimum chases the noise


def test_a_bracket_beside_the_digit_it_holds_is_not_joined_to_it():
    """"(3" and "1)" in a sum: a narrow plain stroke bowed away from its neighbour, as tall as
    it, made a union narrow enough for one broken digit, read as "not a digit". A 4's stem
    beside the rest of the 4 is straight, and still mends the 4."""
    from digits.edge.core.pieces import stroke_bow

    labels = np.zeros((60, 80), np.int32)
    rows = np.arange(5, 55)
    t = (rows - 30) / 25.0
    for r, c in zip(rows, 10 + 6 * t**2):  # "(" bowed out left
        labels[r, int(c) : int(c) + 2] = 1
    labels[15:50, 22:40][::6] = 2  # the digit it holds (a few strokes: only its box matters here)
    for r, c in zip(rows, 60 - 6 * t**2):  # ")" bowed out right
        labels[r, int(c) : int(c) + 2] = 3
    labels[5:55, 70:72] = 4  # a straight stem
    opening, digit = Piece((10, 5, 8, 50), 100, 1), Piece((22, 18, 18, 32), 200, 2)
    closing, stem = Piece((54, 5, 8, 50), 100, 3), Piece((70, 5, 2, 50), 100, 4)
    assert stroke_bow(opening, labels) > 0.08 and stroke_bow(closing, labels) < -0.08
    assert abs(stroke_bow(stem, labels)) < 0.01

    def bow_of(piece):
        return stroke_bow(piece, labels)

    assert len(join_broken([[opening], [digit]])) == 1  # without the ink, as before
    assert len(join_broken([[opening], [digit]], bow_of=bow_of)) == 2
    held = Piece((38, 18, 14, 32), 200, 2)  # a digit left of the ")"
    assert len(join_broken([[held], [closing]], bow_of=bow_of)) == 2
    rest = Piece((56, 20, 13, 20), 120, 5)  # a 4's open left part beside its straight stem
    assert len(join_broken([[rest], [stem]], bow_of=bow_of)) == 1
    short = Piece((20, 25, 8, 22), 40, 2)  # a short digit (0.44 of its height) inside "(4-1)"
    assert len(join_broken([[opening], [short]], bow_of=bow_of)) == 2
    small = Piece((20, 25, 8, 17), 40, 2)  # under 0.4 of its height: a part of one digit
    assert len(join_broken([[opening], [small]], bow_of=bow_of)) == 1
    square = np.zeros((60, 80), np.int32)  # a "]" beside the digit it closes
    square[5:8, 60:72] = square[5:55, 69:72] = square[52:55, 60:72] = 6
    closing_square = Piece((60, 5, 12, 50), 200, 6)
    assert stroke_bow(closing_square, square) < 0
    assert len(join_broken([[Piece((44, 18, 14, 32), 200, 2)], [closing_square]],
                           bow_of=lambda p: stroke_bow(p, square))) == 2


def test_join_broken_mends_a_digit_split_side_by_side_but_not_two_digits():
    from digits.edge.core.pieces import join_broken

    hook = [Piece((100, 40, 14, 18), 80, 1)]  # a 2's hook, broken from ...
    base = [Piece((98, 56, 22, 16), 90, 2)]  # ... its base
    assert len(join_broken([hook, base])) == 1
    one_a, one_b = [Piece((100, 40, 5, 40), 150, 3)], [Piece((110, 40, 5, 40), 150, 4)]
    assert len(join_broken([one_a, one_b])) == 2  # "11": two tall strokes stay two digits
    left, right = [Piece((100, 40, 24, 40), 300, 5)], [Piece((130, 40, 24, 40), 300, 6)]
    assert len(join_broken([left, right])) == 2  # their union is wider than a digit
    speck = [Piece((126, 60, 3, 3), 9, 7)]
    assert len(join_broken([left, speck])) == 2  # specks are not strokes


def test_binarise_cap_keeps_a_fine_pen_beside_bold_ones():
    ink = np.zeros((60, 120), np.uint8)
    ink[10:50, 10:40] = 230  # bold strokes dominate the histogram
    ink[10:50, 80:82] = 60  # a fine pen's faint stroke
    plain, _, _ = binarise(ink, 0.14)
    strong, _, capped = binarise(ink, 0.14, cap=0.22)
    assert plain[30, 80] == 0  # Otsu alone splits paper from the bold ink and loses it
    assert capped <= int(0.22 * 255) and strong[30, 80] == 1


def test_big_blobs_come_from_the_working_size_with_boxes_in_input_pixels():
    page = np.full((480, 640, 3), 230, np.uint8)
    page[100:200, 300:314] = 30  # a "1", 14 x 100 px: 50 px tall at the working size
    gray, scale = working_gray(page, 320)
    ink, paper = ink_map(gray, stroke_px=8)
    own = (ink[50:100, 150:157] > 40).astype(np.uint8)
    blob = full_res_blob(to_gray(page), (150, 50, 7, 50), own, paper, scale, True, 40, work_ink=ink)
    assert blob is not None and blob.crop.shape[0] < 60  # cut at the working size
    assert all(abs(a - b) <= 2 for a, b in zip(blob.box, (300, 100, 14, 100)))


def _small_writing(text_rows: list[str], step: int) -> np.ndarray:
    """A 2000x1500 page with rows of small glyphs 17 px tall: under 1.2 % of its height."""
    page = np.full((2000, 1500, 3), 235, np.uint8)
    for r, row in enumerate(text_rows):
        for k, ch in enumerate(row):
            cv2.putText(page, ch, (100 + step * k, 300 + 60 * r), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30),
                        2, cv2.LINE_AA)
    return page


def test_small_writing_is_read_at_the_closer_look_but_a_page_of_print_is_not():
    """Digits smaller than the first look's smallest (1.2 % of the frame's height), as on a
    dense page taken from a step back, are read by the closer look at small writing; a page
    of letters as small (more pieces than writing has) is read as the first look would."""
    digits = segment(_small_writing(["3141592"] * 6, 40))
    assert len(digits.blobs) == 42 and all(15 <= b.box[3] <= 20 for b in digits.blobs)
    # read below the usual smallest digit: they are no words of a page (the reader's page-of-words
    # rule counts only blobs from that height up, so a form's small marks cannot tip it)
    assert digits.least_px > 20
    assert segment(page_with_text("407")).least_px == 0.0  # no closer look: every blob counts
    print_page = segment(_small_writing(["bdhkltbdhkltbdhkltbdhkl"] * 24, 30))
    assert len(print_page.blobs) == 0


def test_a_sheet_read_alone_gives_its_blobs_and_their_cuts_in_the_frames_pixels():
    """A small sheet is segmented as a frame of its own; every box it gives back (blobs, their
    parts, marks, and the cuts the reader may ask for later) is moved to where the sheet lay."""
    from digits.edge.core.cuts import spans
    from digits.edge.core.segment import _moved, segment

    frame = np.full((200, 300), 230, np.uint8)
    cv2.putText(frame, "38", (40, 140), cv2.FONT_HERSHEY_SIMPLEX, 3.2, 30, 12)  # touching, wide
    cv2.line(frame, (220, 60), (260, 60), 30, 5)  # a dash: a mark
    seg = segment(frame)
    wide = next(b for b in seg.blobs if b.source is not None)
    moved = _moved(seg, (100, 50))
    shifted = next(b for b in moved.blobs if b.source is not None)
    assert shifted.box == (wide.box[0] + 100, wide.box[1] + 50, wide.box[2], wide.box[3])
    assert [p.box[:2] for p in shifted.parts] == [(p.box[0] + 100, p.box[1] + 50) for p in wide.parts]
    assert [m[:2] for m in moved.marks] == [(m[0] + 100, m[1] + 50) for m in seg.marks]
    before, after = spans(wide.source)[1], spans(shifted.source)[1]
    assert after and [s.blob.box for s in after] == [
        (s.blob.box[0] + 100, s.blob.box[1] + 50, *s.blob.box[2:]) for s in before]
