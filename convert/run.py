"""`digits convert`: Keras model -> four .tflite files, each scored through the edge runtime.

Every variant is written to a staging folder first and evaluated on all 10,000 test images
with the same interpreter the Pi uses. Only when every variant passes the gate are the files
renamed into place, the card last, so a failed or interrupted run leaves the old models.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from digits.convert.gate import GateError, GateLimits, failures
from digits.edge.core.interpreter import Classifier
from digits.train.data import Mnist
from digits.train.model import count_macs, load_keras

from digits.common.card import CARD_NAME, VARIANTS, ModelCard, VariantEntry, model_filename
from digits.common.paths import HISTORY_NAME


@dataclass(frozen=True)
class VariantScore:
    variant: str
    accuracy: float
    agreement: float
    size_bytes: int
    failures: tuple[str, ...]


@dataclass(frozen=True)
class ConversionReport:
    keras_accuracy: float
    scores: tuple[VariantScore, ...]
    out_dir: Path
    card: ModelCard | None  # None when the gate failed and nothing was written

    @property
    def passed(self) -> bool:
        return all(not s.failures for s in self.scores)


def recorded_command(keras_path: Path) -> str:
    """The `digits train …` command that made the model, from history.json beside it."""
    history = keras_path.parent / HISTORY_NAME
    try:
        return json.loads(history.read_text())["command"]
    except (OSError, ValueError, KeyError):
        return "unknown (no history.json beside the Keras model)"


def keras_labels(model, images: np.ndarray) -> np.ndarray:
    return model.predict(images[..., None].astype(np.float32) / 255.0, batch_size=500,
                         verbose=0).argmax(axis=1)


def convert_all(
    keras_path: Path,
    mnist: Mnist,
    out_dir: Path,
    limits: GateLimits = GateLimits(),
    training_command: str | None = None,
    variants: tuple[str, ...] = VARIANTS,
    log: Callable[[str], None] = print,
    tamper: Callable[[str, bytes], bytes] | None = None,
) -> ConversionReport:
    """Convert, score, gate, and only then publish. `tamper` lets a test spoil a variant."""
    from digits.convert.tflite import convert

    model = load_keras(keras_path)
    training_command = training_command or recorded_command(keras_path)
    reference = keras_labels(model, mnist.x_test)
    keras_accuracy = float((reference == mnist.y_test).mean())
    log(f"Keras model: {keras_accuracy:.2%} on the {len(mnist.y_test):,} test images")
    test_images = mnist.x_test.astype(np.float32) / 255.0

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=out_dir))
    try:
        scores, entries = [], {}
        for variant in variants:
            log(f"converting {variant} …")
            blob = convert(model, variant, calibration=mnist.x_train)
            if tamper is not None:
                blob = tamper(variant, blob)
            path = staging / model_filename(variant)
            path.write_bytes(blob)
            classifier = Classifier(path)
            labels = classifier.predict_labels(test_images)
            accuracy = float((labels == mnist.y_test).mean())
            agreement = float((labels == reference).mean())
            why = tuple(failures(variant, accuracy, agreement, keras_accuracy, limits))
            scores.append(VariantScore(variant, accuracy, agreement, len(blob), why))
            entries[variant] = VariantEntry(
                file=path.name, accuracy=accuracy, agreement=agreement, size_bytes=len(blob),
                sha256=hashlib.sha256(blob).hexdigest(), input_dtype=classifier.input_dtype,
                training_command=training_command,
            )
            log(f"  {variant:8s} {accuracy:.2%} accuracy, {agreement:.2%} agreement, "
                f"{len(blob) / 1024:.1f} KiB" + ("  FAILS THE GATE" if why else ""))
        report_scores = tuple(scores)
        if any(s.failures for s in report_scores):
            reasons = [r for s in report_scores for r in s.failures]
            raise GateError("conversion rejected, old models kept: " + "; ".join(reasons))
        card = ModelCard(variants=entries, keras_accuracy=keras_accuracy,
                         params=int(model.count_params()), macs=count_macs(model))
        for variant in variants:
            os.replace(staging / model_filename(variant), out_dir / model_filename(variant))
        card.save(out_dir / CARD_NAME)
        return ConversionReport(keras_accuracy, report_scores, out_dir, card)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
