"""The "not a digit" generator: seeded, through the runtime's contract, with disjoint splits."""

from __future__ import annotations

import numpy as np
import pytest

from digits.train import marks
from digits.train import negatives as neg


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.x_train[:2000], mnist.y_train[:2000]


def test_every_kind_draws_mnist_style_crops(digits):
    for kind in neg.MIX:
        drawn = neg.make_negatives(6, seed=1, split="train", digits=digits, kinds=(kind,))
        if kind == "photo" and not marks.photos("train"):
            assert len(drawn.images) == 6  # no matplotlib: another kind stands in
            continue
        assert drawn.images.shape == (6, 28, 28) and drawn.images.dtype == np.uint8
        assert set(drawn.kinds) == {kind}
        ink = drawn.images.astype(np.float32).sum(axis=(1, 2)) / 255
        assert (ink >= neg.MIN_INK).all(), kind
        assert (drawn.images.max(axis=(1, 2)) > 100).all(), kind  # to_mnist scales ink up to white


def test_seeded_and_split_apart(digits):
    a = neg.make_negatives(40, seed=5, split="train", digits=digits)
    b = neg.make_negatives(40, seed=5, split="train", digits=digits)
    c = neg.make_negatives(40, seed=5, split="test", digits=digits)
    assert np.array_equal(a.images, b.images) and list(a.kinds) == list(b.kinds)
    assert not np.array_equal(a.images, c.images)


def test_the_held_out_split_shares_no_font_face_or_photo():
    assert not set(marks.HERSHEY["train"]) & set(marks.HERSHEY["test"])
    assert not {p.name for p in marks.font_files("train")} & {p.name for p in marks.font_files("test")}
    assert not set(marks.PHOTOS["train"]) & set(marks.PHOTOS["test"])
    for prefix in marks.FONT_PREFIXES["train"]:
        assert not any(p.startswith(prefix) or prefix.startswith(p) for p in marks.FONT_PREFIXES["test"])


def test_no_digit_like_letters_are_negatives():
    for char in "0123456789OoDQUuCcIlijtSsZzBbGgq|":
        assert char not in neg.LETTERS + neg.SYMBOLS + neg.HERSHEY_SYMBOLS


def test_font_writers_split_matches_the_negatives_split():
    from digits.train.other_writers import TEST_FONTS, TRAIN_FONTS

    assert not set(TRAIN_FONTS) & set(TEST_FONTS)
    for name in TEST_FONTS:
        prefixes = marks.FONT_PREFIXES
        assert name.startswith(prefixes["test"]) and not name.startswith(prefixes["train"])


def test_parts_never_come_from_ones_or_sevens():
    ones = np.zeros((3, 28, 28), np.uint8)
    ones[:, 4:24, 12:16] = 255
    rng = np.random.default_rng(0)
    assert all(neg.part(rng, digits=(ones, np.array([1, 7, 1]))) is None for _ in range(20))


def test_training_font_digits_without_pillow_fonts_still_draw_hershey(monkeypatch):
    from digits.train import other_writers

    monkeypatch.setattr(other_writers, "find_fonts", lambda: [])
    x, y = other_writers.training_font_digits(30, seed=0)
    assert x.shape == (30, 28, 28) and set(y) <= set(range(10)) and x.max() > 200


def _bar(degrees_from_upright: float) -> np.ndarray:
    import cv2

    canvas = np.zeros((100, 100), np.float32)
    a = np.deg2rad(degrees_from_upright)
    d = np.array([np.sin(a), -np.cos(a)]) * 40
    cv2.line(canvas, tuple((50 - d).astype(int)), tuple((50 + d).astype(int)), 1.0, 6)
    return canvas


def test_a_narrow_upright_mark_is_a_one_not_a_negative():
    for upright in (0, 15, -25, 30):
        assert neg._one_upright_stroke(_bar(upright)), upright
    for lying in (45, -60, 90):  # a slash or a minus sign stays a negative
        assert not neg._one_upright_stroke(_bar(lying)), lying
    ring = np.zeros((60, 60), np.float32)
    ring[10:50, 10:50], ring[16:44, 16:44] = 1, 0
    assert not neg._one_upright_stroke(ring)


def test_a_glyph_the_font_lacks_is_no_negative():
    """A font draws its missing-glyph box for a character it lacks: that box is a 0, not a mark."""
    fonts = [f for f in marks.font_files("train") + marks.font_files("test")
             if marks._pillow_render(f, marks.NOT_IN_ANY_FONT, 80) is not None]
    if not fonts:
        pytest.skip("no Pillow font with a missing-glyph box installed")
    assert marks._pillow_glyph(fonts[0], marks.NOT_IN_ANY_FONT) is None
    assert marks._pillow_glyph(fonts[0], "\u4e00") is None  # CJK: in none of these fonts
    assert marks._pillow_glyph(fonts[0], "K") is not None



def test_mirrored_digits_are_only_3_6_9_and_drawn_backwards():
    shape = np.zeros((28, 28), np.uint8)  # an L: a stem on the left, a foot to the right
    shape[4:24, 6:10], shape[20:24, 6:22] = 255, 255
    images = np.stack([shape] * 10)
    rng = np.random.default_rng(0)
    assert all(neg.mirror(rng, digits=(images, np.array([1, 2, 4, 5, 7, 8, 0, 1, 2, 4]))) is None
               for _ in range(30))
    sixes = (images, np.full(10, 6))
    drawn = [d for d in (neg.mirror(rng, digits=sixes) for _ in range(20)) if d is not None]
    assert len(drawn) == 20
    for crop in drawn:  # the stem now stands on the right
        assert crop[:, 14:].astype(float).sum() > 1.5 * crop[:, :14].astype(float).sum()


def test_a_curved_x_is_one_mark_and_only_the_training_split_draws_it(monkeypatch):
    """A formula's x written as two arcs back to back, ")(": as wide as it is long, turned any
    way, never a narrow stroke (a 1). The held-out negatives stay as they were: their split
    never draws it."""
    rng = np.random.default_rng(2)
    for _ in range(20):
        canvas = np.zeros((100, 100), np.float32)
        neg._curved_x(canvas, rng, np.array([50.0, 50.0]), rng.uniform(25, 42), 4, 1.0)
        ys, xs = np.nonzero(canvas > 0.3)
        assert ys.size and neg._narrow_stroke(canvas) is None
        assert 0.4 < (np.ptp(xs) + 1) / (np.ptp(ys) + 1) < 2.5

    calls = []
    real = neg._curved_x
    monkeypatch.setattr(neg, "_curved_x", lambda *a: calls.append(1) or real(*a))
    neg.make_negatives(300, seed=3, split="test", kinds=("symbol",))
    assert not calls
    neg.make_negatives(300, seed=3, split="train", kinds=("symbol",))
    assert calls
