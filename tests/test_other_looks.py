"""Positives for the reject branch: MNIST's digits in a fine pen and as coarse scans."""

from __future__ import annotations

import numpy as np
import pytest

from digits.edge.core.preprocess import to_mnist
from digits.train import other_looks as looks


def _box(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the ink's tight box in a 28x28 field."""
    ys, xs = np.nonzero(image > 0.2)
    return int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)


def test_a_fine_pen_draws_the_whole_digit_with_a_thinner_stroke(mnist):
    rng = np.random.default_rng(0)
    thinner = []
    for digit in mnist.x_train[:60]:
        fine, usual = looks.fine_pen(digit, rng), to_mnist(digit)
        assert fine.shape == (28, 28) and 0.0 <= fine.min() and fine.max() <= 1.0
        assert max(_box(fine)) >= 17  # the whole digit, scaled as the contract scales it
        thinner.append((fine > 0.5).sum() / (usual > 0.5).sum())
    assert np.median(thinner) < 0.6


def test_a_coarse_scan_stretched_to_its_box_makes_a_one_wide(mnist, monkeypatch):
    ones = mnist.x_train[np.flatnonzero(mnist.y_train == 1)[:40]]
    rng = np.random.default_rng(1)
    monkeypatch.setattr(looks, "STRETCH", 1.0)
    stretched = [_box(looks.coarse_scan(d, rng))[1] for d in ones]
    monkeypatch.setattr(looks, "STRETCH", 0.0)
    kept = [_box(looks.coarse_scan(d, rng))[1] for d in ones]
    usual = [_box(to_mnist(d))[1] for d in ones]
    assert np.median(stretched) >= 15 > np.median(usual) + 5
    assert abs(np.median(kept) - np.median(usual)) <= 4  # without the stretch, its shape is kept


def test_other_looks_keep_each_digit_with_its_label(mnist, monkeypatch):
    monkeypatch.setattr(looks, "fine_pen", lambda d, rng: d.astype(np.float32) / 255)
    monkeypatch.setattr(looks, "coarse_scan", lambda d, rng: d.astype(np.float32) / 255)
    x, y = mnist.x_train[:500], mnist.y_train[:500]
    images, labels = looks.other_looks(x, y, 100, seed=3)
    assert images.shape == (100, 28, 28) and images.dtype == np.uint8 and labels.shape == (100,)
    for image, label in zip(images, labels):
        source = np.flatnonzero((x == image).all(axis=(1, 2)))
        assert len(source) >= 1 and label in y[source]
    again, _ = looks.other_looks(x, y, 100, seed=3)
    other, _ = looks.other_looks(x, y, 100, seed=4)
    assert np.array_equal(images, again) and not np.array_equal(images, other)


@pytest.mark.parametrize("count", [0, 200])
def test_the_digit_model_trains_on_other_looks_too(first_stage_input, count):
    from digits.train import fit

    _, y = first_stage_input(fit.TrainConfig(subset=800, crossed_sevens=0, other_looks=count, classes=10))
    assert len(y) == 800 + count
