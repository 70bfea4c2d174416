"""The one preprocessing contract: tight box, 20-pixel box keeping aspect, centre of mass, polarity."""

from __future__ import annotations

import numpy as np
import pytest

from digits.edge.core.preprocess import BOX, CENTRE, SIZE, to_mnist


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return float((image * ys).sum() / image.sum()), float((image * xs).sum() / image.sum())


def ink_extent(image: np.ndarray, floor: float = 0.2) -> tuple[int, int]:
    rows = np.flatnonzero((image > floor).any(axis=1))
    cols = np.flatnonzero((image > floor).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_mnist_digits_come_back_nearly_unchanged(mnist):
    images = mnist.x_test[:300]
    again = np.stack([to_mnist(image) for image in images])
    assert again.shape == (300, SIZE, SIZE) and again.dtype == np.float32
    assert np.abs(again - images / 255.0).mean() < 0.04  # MNIST is already in this form


def test_centre_of_mass_lands_on_the_field_centre():
    crop = np.zeros((60, 40), np.uint8)
    crop[5:50, 3:12] = 255  # a thick bar hugging the left edge of a big crop
    crop[40:55, 3:35] = 255
    cy, cx = centre_of_mass(to_mnist(crop))
    assert abs(cy - CENTRE) < 0.3 and abs(cx - CENTRE) < 0.3


def test_aspect_is_kept_and_longer_side_is_twenty():
    tall = np.zeros((200, 40), np.uint8)
    tall[:, :] = 255  # a 5:1 bar
    h, w = ink_extent(to_mnist(tall))
    assert h == pytest.approx(BOX, abs=1) and w == pytest.approx(BOX / 5, abs=1)
    wide = np.full((10, 30), 255, np.uint8)
    h, w = ink_extent(to_mnist(wide))
    assert w == pytest.approx(BOX, abs=1) and h == pytest.approx(BOX / 3, abs=1)


def test_dark_ink_on_paper_equals_light_ink_on_black():
    ink = np.zeros((50, 30), np.uint8)
    ink[10:40, 12:18] = 255
    ink[10:15, 5:25] = 200
    paper = 255 - ink
    assert np.allclose(to_mnist(paper, dark_ink=True), to_mnist(ink), atol=1e-6)
    assert to_mnist(paper).max() > 0  # without the flag, white paper reads as a big blob


def test_tiny_and_huge_crops():
    dot = to_mnist(np.full((1, 1), 255, np.uint8))
    h, w = ink_extent(dot)  # a 20x20 square, perhaps smeared half a pixel by centring
    assert abs(h - BOX) <= 1 and abs(w - BOX) <= 1
    huge = np.zeros((3000, 2000), np.float32)
    huge[500:2500, 900:1100] = 1.0
    out = to_mnist(huge)
    assert out.shape == (SIZE, SIZE) and 0.99 <= out.max() <= 1.0
    assert ink_extent(out)[0] == pytest.approx(BOX, abs=1)


def test_blank_and_faint_crops_give_an_empty_field():
    assert not to_mnist(np.zeros((30, 30), np.uint8)).any()
    assert not to_mnist(np.zeros((0, 0), np.float32)).any()


def test_values_are_scaled_to_full_range_whatever_the_ink_strength():
    faint = np.zeros((40, 40), np.float32)
    faint[5:35, 15:25] = 0.3
    out = to_mnist(faint)
    assert out.max() == pytest.approx(1.0, abs=1e-3) and out.min() >= 0.0


def test_rejects_colour_input():
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((10, 10, 3), np.uint8))
