"""The accuracy gate: a converted model that strays from the float model must not ship."""

from __future__ import annotations

from dataclasses import dataclass

from digits.common.errors import DigitsError

DEFAULT_MAX_DROP_PP = 0.3  # percentage points of test accuracy lost against the float model
DEFAULT_MIN_AGREEMENT_PCT = 99.5  # per cent of test images with the float model's top-1


class GateError(DigitsError):
    """A converted model lost more accuracy than allowed; the old model stays."""


@dataclass(frozen=True)
class GateLimits:
    max_drop_pp: float = DEFAULT_MAX_DROP_PP
    min_agreement_pct: float = DEFAULT_MIN_AGREEMENT_PCT


def failures(variant: str, accuracy: float, agreement: float, float_accuracy: float,
             limits: GateLimits) -> list[str]:
    """Why `variant` fails the gate (empty: it passes). Fractions in, percentages out."""
    reasons = []
    drop_pp = (float_accuracy - accuracy) * 100
    if drop_pp > limits.max_drop_pp:
        reasons.append(f"{variant} loses {drop_pp:.2f} pp of accuracy against the float model "
                       f"({accuracy:.2%} vs {float_accuracy:.2%}; allowed {limits.max_drop_pp} pp)")
    if agreement * 100 < limits.min_agreement_pct:
        reasons.append(f"{variant} agrees with the float model on {agreement:.2%} of the test "
                       f"images (required {limits.min_agreement_pct}%)")
    return reasons
