"""Expected calibration error and the temperature."""

from __future__ import annotations

import numpy as np
import pytest

from digits.train.calibration import BINS, ece, fit_temperature, reliability, softmax


def test_ece_of_a_perfectly_calibrated_and_an_overconfident_model():
    # 10 predictions at 0.8 confidence, 8 right: calibrated, ECE 0
    probs = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert ece(probs, labels) == pytest.approx(0.0)
    # the same confidence, only 5 right: |0.5 - 0.8| = 0.3
    assert ece(probs, np.array([0] * 5 + [1] * 5)) == pytest.approx(0.3)


def test_ece_weights_bins_by_their_counts():
    probs = np.array([[0.95, 0.05]] * 3 + [[0.55, 0.45]])  # bins 15 and 9 of 15
    labels = np.array([0, 0, 0, 1])  # top bin all right (gap 0.05), 0.55 bin wrong (gap 0.55)
    rel = reliability(probs, labels)
    assert rel.counts.sum() == 4 and len(rel.counts) == BINS
    assert rel.ece == pytest.approx((3 * 0.05 + 1 * 0.55) / 4)


def test_fitted_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, (4000, 11))
    labels = np.array([rng.choice(11, p=p) for p in softmax(true_logits)])
    sharpened = true_logits * 3  # an overconfident model: T should come back near 3
    t = fit_temperature(sharpened, labels)
    assert t == pytest.approx(3.0, rel=0.1)
    assert ece(softmax(sharpened / t), labels) < ece(softmax(sharpened), labels)
    assert (softmax(sharpened / t).argmax(1) == sharpened.argmax(1)).all()  # no answer changes


def _shifted(logits: np.ndarray):
    return lambda shift: logits + np.eye(logits.shape[1])[10] * shift


def test_reject_shift_stays_within_the_digits_budget():
    from digits.train.calibration import fit_reject_shift

    rng = np.random.default_rng(1)
    labels = np.array([3] * 1000 + [10] * 1000)
    logits = rng.normal(0, 1, (2000, 11))
    logits[:1000, 3] += 5  # digits: their own class wins...
    logits[:1000, 10] += rng.normal(2, 1.5, 1000)  # ..."not a digit" is sometimes close
    logits[1000:, 10] += rng.normal(1, 2, 1000)  # negatives: "not a digit" often, not always
    groups = np.zeros(2000, np.int64)
    shift = fit_reject_shift(_shifted(logits), labels, 10, (0.01,), groups)
    assert (_shifted(logits)(shift)[:1000].argmax(1) == 10).mean() <= 0.01
    assert (_shifted(logits)(shift + 0.05)[:1000].argmax(1) == 10).mean() > 0.01  # the largest
    tighter = fit_reject_shift(_shifted(logits), labels, 10, (0.001,), groups)
    assert tighter < shift


def test_reject_shift_keeps_each_group_within_its_own_budget():
    """Clean and camera-like digits have their own ceilings: the tighter group decides."""
    from digits.train.calibration import fit_reject_shift

    rng = np.random.default_rng(2)
    labels = np.array([3] * 2000 + [10] * 500)
    groups = np.array([0] * 1000 + [1] * 1000 + [2] * 500)
    logits = rng.normal(0, 1, (2500, 11))
    logits[:2000, 3] += 5
    logits[:1000, 10] += rng.normal(0, 1, 1000)  # clean digits: far from "not a digit"
    logits[1000:2000, 10] += rng.normal(3, 1.5, 1000)  # camera-like digits: much closer
    logits[2000:, 10] += 4
    loose = fit_reject_shift(_shifted(logits), labels, 10, (0.01, 0.05), groups)
    tight_camera = fit_reject_shift(_shifted(logits), labels, 10, (0.01, 0.005), groups)
    assert tight_camera < loose
    for shift, budget in ((loose, (0.01, 0.05)), (tight_camera, (0.01, 0.005))):
        called = _shifted(logits)(shift).argmax(1) == 10
        assert called[:1000].mean() <= budget[0] and called[1000:2000].mean() <= budget[1]


def test_fit_scale_finds_the_temperature_of_any_probabilities():
    """The second temperature of "not a digit", fitted after its shift: the scale that undoes
    an over-confident sigmoid."""
    from digits.train.calibration import fit_scale

    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, 5000)
    labels = (rng.random(5000) < 1 / (1 + np.exp(-z))).astype(np.int64)  # calibrated at scale 1

    def probabilities(t: float) -> np.ndarray:
        p = 1 / (1 + np.exp(-2.0 * z / t))  # twice too sure: t = 2 undoes it
        return np.stack([1 - p, p], 1)

    t = fit_scale(probabilities, labels)
    assert t == pytest.approx(2.0, rel=0.1)
    assert ece(probabilities(t), labels) < ece(probabilities(1.0), labels)
