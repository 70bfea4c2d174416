"""The model card: one JSON file beside the shipped models saying what each file is and scores.

This module is the one place that knows the variants and the card's schema; `digits convert`
writes it, the runtime and `digits bench` read it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from digits.common.errors import ModelError
from digits.common.files import write_text

VARIANTS = ("float32", "float16", "dynamic", "int8")
CARD_NAME = "model_card.json"


def model_filename(variant: str) -> str:
    return f"digits_{variant}.tflite"


@dataclass(frozen=True)
class VariantEntry:
    file: str
    accuracy: float  # fraction of the 10,000 MNIST test digits read right, through the edge runtime
    agreement: float  # fraction of test images whose top-1 equals the Keras model's
    size_bytes: int
    sha256: str
    input_dtype: str
    training_command: str
    # figures of the "not a digit" output (None on cards written before it existed)
    not_a_digit: float | None = None  # fraction of MNIST test digits called "not a digit"
    camera_accuracy: float | None = None  # camera-like copy of the test digits
    camera_not_a_digit: float | None = None
    negatives_rejected: float | None = None  # held-out negatives called "not a digit"
    ece_camera: float | None = None  # expected calibration error, 15 bins
    ece_negatives: float | None = None


@dataclass(frozen=True)
class ModelCard:
    variants: dict[str, VariantEntry]
    keras_accuracy: float
    params: int | None = None
    macs: int | None = None
    notes: dict[str, str] = field(default_factory=dict)
    outputs: int = 10  # 11: the last output is "not a digit"
    temperature: float | None = None  # folded into the logits before conversion
    fonts: dict[str, float] = field(default_factory=dict)  # int8 accuracy per held-out font

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def save(self, path: Path) -> None:
        write_text(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        try:
            raw = json.loads(Path(path).read_text())
            variants = {k: VariantEntry(**v) for k, v in raw.pop("variants").items()}
            return cls(variants=variants, **raw)
        except FileNotFoundError:
            raise ModelError(f"{path}: no model card") from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelError(f"{path}: not a model card ({exc})") from None

