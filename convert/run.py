"""`digits convert`: Keras model -> four .tflite files, each scored through the edge runtime.

Every variant is written to a staging folder first and evaluated with the same interpreter the
Pi uses on all 10,000 test digits, their camera-like copy and the held-out negatives. Only when
every variant passes the gate are the files renamed into place, the card last, so a failed or
interrupted run leaves the old models. A 10-class model (no "not a digit" output) converts and
is measured the same way; it rejects nothing, so only limits that allow that let it pass.
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

from digits.common.card import CARD_NAME, VARIANTS, ModelCard, VariantEntry, model_filename
from digits.common.paths import HISTORY_NAME
from digits.convert.gate import Figures, GateError, GateLimits, failures
from digits.edge.core.interpreter import Classifier
from digits.train.calibration import ece
from digits.train.data import Mnist
from digits.train.model import REJECT_LOGIT, count_macs, load_keras
from digits.train.negatives import REJECT, held_out, make_negatives


@dataclass(frozen=True)
class VariantScore:
    variant: str
    accuracy: float
    agreement: float
    size_bytes: int
    failures: tuple[str, ...]
    figures: Figures | None = None
    camera_accuracy: float | None = None
    ece_camera: float | None = None
    ece_negatives: float | None = None


@dataclass(frozen=True)
class ConversionReport:
    keras_accuracy: float
    scores: tuple[VariantScore, ...]
    out_dir: Path
    card: ModelCard | None  # None when the gate failed and nothing was written

    @property
    def passed(self) -> bool:
        return all(not s.failures for s in self.scores)


def recorded_temperature(keras_path: Path) -> float | None:
    """The temperature folded into the model's logits by `digits train`, from history.json."""
    try:
        return float(json.loads((keras_path.parent / HISTORY_NAME).read_text())["temperature"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded_command(keras_path: Path) -> str:
    """The `digits train …` command that made the model, from history.json beside it."""
    history = keras_path.parent / HISTORY_NAME
    try:
        return json.loads(history.read_text())["command"]
    except (OSError, ValueError, KeyError):
        return "unknown (no history.json beside the Keras model)"


@dataclass(frozen=True)
class GateSets:
    """What every variant is scored on: test digits, their camera-like copy, held-out negatives,
    each (n, 28, 28) float32 in [0, 1]."""

    digits: np.ndarray
    labels: np.ndarray
    camera: np.ndarray
    negatives: np.ndarray

    @classmethod
    def build(cls, mnist: Mnist) -> GateSets:
        from digits.train.camera_like import camera_like

        negatives = held_out(mnist.x_test, mnist.y_test).images.astype(np.float32) / 255.0
        return cls(mnist.x_test.astype(np.float32) / 255.0, mnist.y_test, camera_like(mnist.x_test),
                   negatives)

    def measure(self, probabilities) -> tuple[np.ndarray, Figures, float, float, float]:
        """(test-digit labels, gate figures, camera-like accuracy, ECE camera-like, ECE negatives)."""
        clean, camera, negative = (probabilities(x) for x in (self.digits, self.camera, self.negatives))
        labels, camera_labels = clean.argmax(axis=1), camera.argmax(axis=1)
        figures = Figures(
            accuracy=float((labels == self.labels).mean()),
            not_a_digit=float((labels == REJECT).mean()),
            not_a_digit_camera=float((camera_labels == REJECT).mean()),
            rejected=float((negative.argmax(axis=1) == REJECT).mean()),
        )
        return (labels, figures, float((camera_labels == self.labels).mean()), ece(camera, self.labels),
                ece(negative, np.full(len(negative), REJECT)))


def keras_probabilities(model):
    return lambda images: model.predict(images[..., None], batch_size=500, verbose=0)


def tflite_probabilities(classifier: Classifier):
    return lambda images: np.concatenate([classifier.probabilities(images[i:i + 256])
                                          for i in range(0, len(images), 256)])


def held_out_fonts(classifier: Classifier) -> dict[str, float]:
    """Accuracy per held-out handwriting font (empty without the fonts or Pillow)."""
    from digits.train.other_writers import font_digits

    fonts = font_digits(split="test")
    if fonts is None:
        return {}
    predicted = tflite_probabilities(classifier)(fonts.images).argmax(axis=1)
    return {str(name): float((predicted[fonts.fonts == name] == fonts.labels[fonts.fonts == name]).mean())
            for name in sorted(set(fonts.fonts))}


CALIBRATION_NEGATIVES = 600  # training-split negatives among the int8 calibration images
CALIBRATION_SEED = 4_242


def int8_calibration_images(mnist: Mnist, outputs: int) -> np.ndarray:
    """What int8's ranges are measured on: MNIST's training digits and, for a model that says
    "not a digit", what the reader also hands it (photographed digits and training-split
    negatives). On digits alone the "not a digit" branch never leaves its digit range and int8
    flattens it: rejection fell from 80 % to 10 % (measured)."""
    if outputs != 11:
        return mnist.x_train
    from digits.train.camera_like import camera_like

    count = CALIBRATION_NEGATIVES
    pick = np.random.default_rng(CALIBRATION_SEED).choice(len(mnist.y_train), 2 * count, replace=False)
    digits = (mnist.x_train[pick[:count]], mnist.y_train[pick[:count]])
    negatives = make_negatives(count, CALIBRATION_SEED, "train", digits=digits).images
    photographed = np.round(camera_like(mnist.x_train[pick[count:]], seed=CALIBRATION_SEED) * 255)
    digits_share = mnist.x_train[np.random.default_rng(CALIBRATION_SEED + 1).choice(
        len(mnist.y_train), 4 * count, replace=False)]
    return np.concatenate([digits_share, negatives, photographed.astype(np.uint8)])


NEAR_BOUNDARY = 2.0  # |r| under this: a crop the "not a digit" decision could go either way on


def reject_logits(probabilities: np.ndarray) -> np.ndarray:
    """r, from P(not a digit) = sigmoid(r) (the eleventh output)."""
    p = np.clip(probabilities[:, REJECT].astype(np.float64), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def int8_reject_bias(model, path: Path, images: np.ndarray) -> float:
    """How far int8's "not a digit" logit sits below the float model's, on average, over the
    `images` near the decision (training-split crops: never the held-out negatives). Rounding
    every layer to 8 bits moves r by a few hundredths either way, and near the boundary that
    flips negatives by the dozen; its mean is a bias that one more constant in the branch's
    last layer takes back (bias correction, as in post-training quantization)."""
    unit = images.astype(np.float32) / 255.0
    r_float = reject_logits(keras_probabilities(model)(unit))
    r_int8 = reject_logits(tflite_probabilities(Classifier(path))(unit))
    near = np.abs(r_float) < NEAR_BOUNDARY
    return float((r_float - r_int8)[near].mean()) if near.any() else 0.0


def convert_int8_unbiased(model, calibration: np.ndarray, staging: Path,
                          log: Callable[[str], None]) -> bytes:
    """int8 of an eleven-output model, with its "not a digit" logit corrected by its mean shift
    from the float model's on the calibration images: converted, measured, converted again."""
    from digits.convert.tflite import convert

    blob = convert(model, "int8", calibration=calibration)
    probe = staging / ".bias-probe.tflite"
    probe.write_bytes(blob)
    bias = int8_reject_bias(model, probe, calibration)
    probe.unlink()
    dense = model.get_layer(REJECT_LOGIT)
    kernel, offset = dense.get_weights()
    try:
        dense.set_weights([kernel, offset + bias])
        blob = convert(model, "int8", calibration=calibration)
    finally:
        dense.set_weights([kernel, offset])
    log(f"  int8 'not a digit' logit corrected by {bias:+.3f} (its mean shift near the boundary)")
    return blob


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
    outputs = int(model.output_shape[-1])
    training_command = training_command or recorded_command(keras_path)
    log("rendering the camera-like test digits and the held-out negatives …")
    sets = GateSets.build(mnist)
    reference, keras_figures, *_ = sets.measure(keras_probabilities(model))
    keras_accuracy = keras_figures.accuracy
    log(f"Keras model ({outputs} outputs): {keras_accuracy:.2%} on the {len(mnist.y_test):,} test digits, "
        f"'not a digit' {keras_figures.not_a_digit:.2%} "
        f"(camera-like {keras_figures.not_a_digit_camera:.2%}), "
        f"held-out negatives rejected {keras_figures.rejected:.2%}")
    if outputs == 10:
        log("a 10-class model: no 'not a digit' output; gated on the digits alone")

    calibration = int8_calibration_images(mnist, outputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=out_dir))
    try:
        scores, entries = [], {}
        for variant in variants:
            log(f"converting {variant} …")
            if variant == "int8" and outputs == 11:
                blob = convert_int8_unbiased(model, calibration, staging, log)
            else:
                blob = convert(model, variant, calibration=calibration)
            if tamper is not None:
                blob = tamper(variant, blob)
            path = staging / model_filename(variant)
            path.write_bytes(blob)
            classifier = Classifier(path)
            labels, figures, camera_accuracy, ece_camera, ece_negatives = sets.measure(
                tflite_probabilities(classifier))
            accuracy = figures.accuracy
            agreement = float((labels == reference).mean())
            why = tuple(failures(variant, accuracy, agreement, keras_accuracy, limits, figures,
                                 keras_figures, rejects=outputs == 11))
            scores.append(VariantScore(variant, accuracy, agreement, len(blob), why, figures,
                                       camera_accuracy, ece_camera, ece_negatives))
            entries[variant] = VariantEntry(
                file=path.name, accuracy=accuracy, agreement=agreement, size_bytes=len(blob),
                sha256=hashlib.sha256(blob).hexdigest(), input_dtype=classifier.input_dtype,
                training_command=training_command, not_a_digit=figures.not_a_digit,
                camera_accuracy=camera_accuracy, camera_not_a_digit=figures.not_a_digit_camera,
                negatives_rejected=figures.rejected, ece_camera=ece_camera, ece_negatives=ece_negatives,
            )
            log(f"  {variant:8s} {accuracy:.2%} accuracy, {agreement:.2%} agreement, 'not a digit' "
                f"{figures.not_a_digit:.2%} / camera-like {figures.not_a_digit_camera:.2%}, negatives "
                f"rejected {figures.rejected:.2%}, ECE {ece_camera:.2%} / {ece_negatives:.2%}, "
                f"{len(blob) / 1024:.1f} KiB" + ("  FAILS THE GATE" if why else ""))
        report_scores = tuple(scores)
        if any(s.failures for s in report_scores):
            reasons = [r for s in report_scores for r in s.failures]
            raise GateError("conversion rejected, old models kept: " + "; ".join(reasons))
        fonts = held_out_fonts(Classifier(staging / model_filename("int8"))) if "int8" in variants else {}
        card = ModelCard(variants=entries, keras_accuracy=keras_accuracy,
                         params=int(model.count_params()), macs=count_macs(model), outputs=outputs,
                         temperature=recorded_temperature(keras_path), fonts=fonts)
        for variant in variants:
            os.replace(staging / model_filename(variant), out_dir / model_filename(variant))
        card.save(out_dir / CARD_NAME)
        return ConversionReport(keras_accuracy, report_scores, out_dir, card)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
