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
