"""Crossed sevens for training: a bar across the stem of MNIST's 7s, nothing else changed."""

from __future__ import annotations

import numpy as np

from digits.train.sevens import crossed, crossed_sevens


def test_a_crossed_seven_gains_a_bar_across_its_stem_and_nothing_else(mnist):
    seven = mnist.x_train[int(np.flatnonzero(mnist.y_train == 7)[0])]
    out = crossed(seven, np.random.default_rng(0))
    assert out is not None and out.shape == seven.shape and out.dtype == seven.dtype
    changed = np.nonzero(out != seven)
    ys, _ = np.nonzero(seven > 100)
    assert len(changed[0]) >= 4  # a bar was drawn ...
    assert changed[0].min() >= ys.min() + 0.4 * (ys.max() - ys.min())  # ... across the middle,
    assert changed[0].max() - changed[0].min() <= 6  # ... a few rows thick (antialiased)
    assert crossed(np.zeros((28, 28), np.uint8), np.random.default_rng(0)) is None


def test_crossed_sevens_copies_a_share_of_the_sevens_only(mnist):
    x, y = mnist.x_train[:3000], mnist.y_train[:3000]
    more_x, more_y = crossed_sevens(x, y, 0.5, seed=7)
    sevens = int((y == 7).sum())
    assert abs(len(more_y) - sevens / 2) <= 2 and set(more_y.tolist()) == {7}
    again_x, _ = crossed_sevens(x, y, 0.5, seed=7)
    assert np.array_equal(more_x, again_x)  # seeded
    assert len(crossed_sevens(x[y != 7], y[y != 7], 0.5, seed=7)[1]) == 0
