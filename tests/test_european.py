"""European hands for training: a bar across the stem of MNIST's 7s, a flag on its 1s, nothing
else changed."""

from __future__ import annotations

import numpy as np
import pytest

from digits.train.european import FLAG_ANGLE, crossed, crossed_sevens, flagged, flagged_ones


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


def test_a_flagged_1_gains_a_stroke_falling_left_from_its_top_and_nothing_else():
    rng = np.random.default_rng(0)
    one = np.zeros((28, 28), np.uint8)
    one[4:24, 13:16] = 255  # an upright 1
    for _ in range(5):
        out = flagged(one, rng)
        assert out is not None and out.shape == one.shape and out.dtype == one.dtype
        ys, xs = np.nonzero((out > 100) & (one == 0))
        flag = ys < 20  # (a base, when there is one, lies along the bottom)
        ys, xs = ys[flag], xs[flag]
        assert len(ys) >= 3 and xs.max() <= 14  # drawn left of the stem ...
        assert ys.min() <= 7 and ys.max() <= 4 + 0.5 * 20  # ... from its top, not past half way
        slope = np.rad2deg(np.arctan2(ys.max() - 4, 13 - xs.min()))
        assert FLAG_ANGLE[0] - 12 <= slope <= FLAG_ANGLE[1] + 12  # ... falling at a 1's angle, not a 7's
    leaning = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):  # a 1 leaning 40 degrees right: a flag level enough to show is a 7's bar
        leaning[row, 20 - int(0.84 * (row - 4)) : 23 - int(0.84 * (row - 4))] = 255
    assert flagged(leaning, rng) is None
    assert flagged(np.zeros((28, 28), np.uint8), rng) is None


def test_flagged_ones_copies_a_share_of_the_ones_only(mnist):
    x, y = mnist.x_train[:3000], mnist.y_train[:3000]
    more_x, more_y = flagged_ones(x, y, 0.5, seed=7)
    ones = int((y == 1).sum())
    assert 0.3 * ones <= len(more_y) <= ones / 2 + 2 and set(more_y.tolist()) == {1}
    assert np.array_equal(more_x, flagged_ones(x, y, 0.5, seed=7)[0])  # seeded
    assert len(flagged_ones(x[y != 1], y[y != 1], 0.5, seed=7)[1]) == 0


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_the_digit_model_trains_on_flagged_ones_only_when_asked(first_stage_input, share):
    from digits.train import fit

    _, trained = first_stage_input(fit.TrainConfig(subset=800, crossed_sevens=0, flagged_ones=share,
                                                   classes=10))
    data = fit.split(first_stage_input.mnist)
    x, y = data.x_fit[:800], data.y_fit[:800]
    ones = int((trained == 1).sum())
    assert ones == int((y == 1).sum()) + len(flagged_ones(x, y, share, seed=7)[1])
    assert (ones > (y == 1).sum()) == (share > 0)
