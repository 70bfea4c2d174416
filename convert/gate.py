"""The gate: a converted model that reads digits worse, rejects digits, lets non-digits through,
or strays from the float model, must not ship.

Each variant is measured on the 10,000 MNIST test digits (a digit called "not a digit" is a
miss), on their camera-like copy, and on the held-out negatives; every figure must meet its
floor or ceiling. Every variant's accuracy must stay within `max_drop_pp` of the Keras (float)
model's, and int8's other figures too: it is the file the Pi runs. (float16 and dynamic-range
share the float model's "not a digit" decisions but for a few borderline negatives: 9 of 3,000,
0.3 pp, for one trained model's dynamic-range file.) "Within" includes the limit itself: 3 of
3,000 negatives is 0.1 pp, not a hair over.
"""

from __future__ import annotations

from dataclasses import dataclass

from digits.common.errors import DigitsError

DEFAULT_MAX_DROP_PP = 0.1  # percentage points a figure may lose against the float model
ROUNDING_PP = 1e-9  # differences of counts over 3,000 or 10,000 images, as floats, are not exact
DEFAULT_MIN_AGREEMENT_PCT = 99.5  # per cent of test images with the float model's top-1
DEFAULT_MIN_ACCURACY_PCT = 99.55  # MNIST test digits read right
DEFAULT_MAX_NOT_A_DIGIT_PCT = 0.2  # MNIST test digits called "not a digit"
DEFAULT_MAX_NOT_A_DIGIT_CAMERA_PCT = 1.0  # camera-like test digits called "not a digit"
DEFAULT_MIN_REJECTED_PCT = 80.0  # held-out negatives called "not a digit" (the aim is 97)


class GateError(DigitsError):
    """A converted model failed the gate; the old model stays."""


@dataclass(frozen=True)
class GateLimits:
    max_drop_pp: float = DEFAULT_MAX_DROP_PP
    min_agreement_pct: float = DEFAULT_MIN_AGREEMENT_PCT
    min_accuracy_pct: float = DEFAULT_MIN_ACCURACY_PCT
    max_not_a_digit_pct: float = DEFAULT_MAX_NOT_A_DIGIT_PCT
    max_not_a_digit_camera_pct: float = DEFAULT_MAX_NOT_A_DIGIT_CAMERA_PCT
    min_rejected_pct: float = DEFAULT_MIN_REJECTED_PCT


@dataclass(frozen=True)
class Figures:
    """One model's gate figures, as fractions."""

    accuracy: float  # MNIST test digits read right
    not_a_digit: float  # MNIST test digits called "not a digit"
    not_a_digit_camera: float  # camera-like test digits called "not a digit"
    rejected: float  # held-out negatives called "not a digit"


def failures(variant: str, accuracy: float, agreement: float, float_accuracy: float,
             limits: GateLimits, figures: Figures | None = None,
             float_figures: Figures | None = None, rejects: bool = True) -> list[str]:
    """Why `variant` fails the gate (empty: it passes). Fractions in, percentages out. A model
    without "not a digit" (`rejects` False) is gated on digits alone: it has no negative to reject."""
    reasons = []
    drop_pp = (float_accuracy - accuracy) * 100
    if drop_pp > limits.max_drop_pp + ROUNDING_PP:
        reasons.append(f"{variant} loses {drop_pp:.2f} pp of accuracy against the float model "
                       f"({accuracy:.2%} vs {float_accuracy:.2%}; allowed {limits.max_drop_pp} pp)")
    if agreement * 100 < limits.min_agreement_pct:
        reasons.append(f"{variant} agrees with the float model on {agreement:.2%} of the test "
                       f"images (required {limits.min_agreement_pct}%)")
    if accuracy * 100 < limits.min_accuracy_pct:
        reasons.append(f"{variant} reads {accuracy:.2%} of the test digits right "
                       f"(required {limits.min_accuracy_pct}%)")
    if figures is None:
        return reasons
    if figures.not_a_digit * 100 > limits.max_not_a_digit_pct:
        reasons.append(f"{variant} calls {figures.not_a_digit:.2%} of the test digits 'not a digit' "
                       f"(allowed {limits.max_not_a_digit_pct}%)")
    if figures.not_a_digit_camera * 100 > limits.max_not_a_digit_camera_pct:
        reasons.append(f"{variant} calls {figures.not_a_digit_camera:.2%} of the camera-like digits "
                       f"'not a digit' (allowed {limits.max_not_a_digit_camera_pct}%)")
    if rejects and figures.rejected * 100 < limits.min_rejected_pct:
        reasons.append(f"{variant} rejects {figures.rejected:.2%} of the held-out negatives "
                       f"(required {limits.min_rejected_pct}%)")
    if float_figures is not None and variant == "int8":
        for name, worse in (("'not a digit' on test digits", figures.not_a_digit - float_figures.not_a_digit),
                            ("'not a digit' on camera-like digits",
                             figures.not_a_digit_camera - float_figures.not_a_digit_camera),
                            ("negatives rejected", float_figures.rejected - figures.rejected)):
            if worse * 100 > limits.max_drop_pp + ROUNDING_PP:
                reasons.append(f"{variant} is {worse * 100:.2f} pp worse than the float model on {name} "
                               f"(allowed {limits.max_drop_pp} pp)")
    return reasons
