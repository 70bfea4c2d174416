"""`digits evaluate MODEL`: a Keras or .tflite model on the 10,000 test digits (clean and
camera-like), on held-out negatives, and on held-out handwriting fonts.

A .tflite model runs through the edge interpreter (no TensorFlow); a .keras model through Keras.
Both kinds of model work: with 11 outputs the last is "not a digit" (a digit called that counts
as a miss); a 10-class model rejects nothing, and its figures say so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.common.errors import UsageError
from digits.train import report
from digits.train.calibration import Reliability, reliability
from digits.train.metrics import Scores, score
from digits.train.negatives import REJECT, held_out

Predictor = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) in [0, 1] -> probabilities (n, 10 or 11)


@dataclass(frozen=True)
class EvaluationResult:
    model: Path
    clean: Scores
    camera_like: Scores | None
    report_path: Path | None
    outputs: int = 10  # 11: the last output is "not a digit"
    negatives_rejected: float = 0.0  # share of the held-out negatives called "not a digit"
    ece_camera_like: float | None = None
    ece_negatives: float | None = None
    font_accuracy: float | None = None  # held-out handwriting fonts, all digits
    per_font: dict[str, float] | None = None
    uci_accuracy: float | None = None  # scikit-learn's UCI handwritten digits (43 writers), if installed


def predictor_for(model_path: Path) -> Predictor:
    """Probabilities from a .keras (TensorFlow) or .tflite (edge interpreter) model."""
    if not model_path.is_file():
        raise UsageError(f"{model_path}: no such model file")
    if model_path.suffix == ".tflite":
        from digits.edge.core.interpreter import Classifier

        classifier = Classifier(model_path)

        def run(images: np.ndarray) -> np.ndarray:
            return np.concatenate([classifier.probabilities(images[i:i + 256])
                                   for i in range(0, len(images), 256)])
        return run
    if model_path.suffix == ".keras":
        from digits.train.model import load_keras

        model = load_keras(model_path)
        return lambda images: model.predict(images[..., None], batch_size=500, verbose=0)
    raise UsageError(f"{model_path}: expected a .keras or .tflite model")


def mistakes(images: np.ndarray, truth: np.ndarray, probs: np.ndarray) -> list[report.Mistake]:
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != truth)
    return [report.Mistake(images[i], int(truth[i]), int(predicted[i]), float(probs[i].max()))
            for i in wrong]


def rejected(probs: np.ndarray) -> np.ndarray:
    """Which rows the model calls "not a digit" (none for a 10-output model)."""
    if probs.shape[1] <= REJECT:
        return np.zeros(len(probs), bool)
    return probs.argmax(axis=1) == REJECT


def rejection_note(probs: np.ndarray, labels: np.ndarray) -> str:
    """For digits from other hands: how many the model calls "not a digit", and how well its ten
    digit outputs alone read them (so a drop can be told apart: the digits, or the reject)."""
    if probs.shape[1] <= REJECT:
        return ""
    alone = float((probs[:, :REJECT].argmax(axis=1) == labels).mean())
    return f" ({rejected(probs).mean():.2%} called 'not a digit'; {alone:.2%} by the ten digit outputs alone)"


def evaluate(
    model_path: Path,
    x_test: np.ndarray,
    y_test: np.ndarray,
    reports_dir: Path | None = Path("reports"),
    camera: bool = True,
    history_path: Path | None = None,
    log: Callable[[str], None] = print,
) -> EvaluationResult:
    predict = predictor_for(model_path)
    clean_images = x_test.astype(np.float32) / 255.0
    clean_probs = predict(clean_images)
    outputs = clean_probs.shape[1]
    clean = score(y_test, clean_probs.argmax(axis=1))
    log(report.scores_table(clean, f"{model_path.name}, clean test set"))
    log("\nconfusion matrix (rows: true digit, columns: predicted; ✗ = not a digit)\n"
        + report.confusion_table(clean.confusion))
    if outputs == 10:
        log("a 10-class model: it has no 'not a digit' output, so it rejects nothing")
    else:
        log(f"digits called 'not a digit': {clean.not_a_digit_rate:.2%} of the clean test set")

    camera_scores, curves = None, {}
    camera_images = camera_probs = None
    if camera:
        from digits.train.camera_like import camera_like

        log("rendering the camera-like test set (blur, noise, uneven light, strokes, JPEG) …")
        camera_images = camera_like(x_test)
        camera_probs = predict(camera_images)
        camera_scores = score(y_test, camera_probs.argmax(axis=1))
        curves["camera-like digits"] = reliability(camera_probs, y_test)
        log(f"camera-like test set: accuracy {camera_scores.accuracy:.2%} "
            f"(macro F1 {camera_scores.macro_f1:.4f}), 'not a digit' {camera_scores.not_a_digit_rate:.2%}, "
            f"ECE {curves['camera-like digits'].ece:.2%}")

    negatives = held_out(x_test, y_test)
    negative_probs = predict(negatives.images.astype(np.float32) / 255.0)
    negatives_rejected = float(rejected(negative_probs).mean())
    curves["held-out negatives"] = reliability(negative_probs, np.full(len(negative_probs), REJECT))
    by_kind = {k: float(rejected(negative_probs[negatives.kinds == k]).mean())
               for k in sorted(set(negatives.kinds))}
    log(f"held-out negatives: {negatives_rejected:.2%} of {len(negative_probs):,} called 'not a digit' "
        f"(ECE {curves['held-out negatives'].ece:.2%}); by kind: "
        + ", ".join(f"{k} {v:.0%}" for k, v in by_kind.items()))

    fonts_md, font_accuracy, per_font = (_other_writers(predict, log) if camera else (None, None, None))
    uci_accuracy = _uci(predict, log) if camera else None

    report_path = None
    if reports_dir is not None:
        stem = model_path.stem
        reports_dir.mkdir(parents=True, exist_ok=True)
        plots = report.can_plot()
        if not plots:
            log("matplotlib is not installed (an edge-only install): the report has tables, no plots")
        sections = [f"# Evaluation of `{model_path}`",
                    report.scores_table(clean, "Clean MNIST test set"),
                    "## Confusion matrix (clean; ✗ = not a digit)", report.confusion_table(clean.confusion)]
        if plots:
            report.plot_confusion(clean.confusion, reports_dir / f"{stem}-confusion.png", model_path.name)
            report.plot_mistakes(mistakes(clean_images, y_test, clean_probs),
                                 reports_dir / f"{stem}-mistakes.png", model_path.name)
            sections += [f"![confusion]({stem}-confusion.png)", f"![mistakes]({stem}-mistakes.png)"]
        if camera_scores is not None:
            sections.append(report.scores_table(camera_scores, "Camera-like test set"))
            if plots:
                report.plot_confusion(camera_scores.confusion,
                                      reports_dir / f"{stem}-camera-confusion.png",
                                      f"{model_path.name}, camera-like")
                report.plot_mistakes(mistakes(camera_images, y_test, camera_probs),
                                     reports_dir / f"{stem}-camera-mistakes.png",
                                     f"{model_path.name}, camera-like")
                sections.append(f"![camera-like mistakes]({stem}-camera-mistakes.png)")
        sections.append(_calibration_md(curves, negatives_rejected, by_kind, clean, camera_scores))
        if plots:
            report.plot_reliability(curves, reports_dir / f"{stem}-reliability.png",
                                    f"{model_path.name}: reliability (15 bins)")
            sections.append(f"![reliability]({stem}-reliability.png)")
        if fonts_md is not None:
            sections.append(fonts_md)
        if uci_accuracy is not None:
            sections.append(f"## Real handwriting: UCI digits (scikit-learn, 43 writers, 8x8)\n\n"
                            f"accuracy {uci_accuracy:.2%} on 1,797 digits")
        if plots and history_path is not None and history_path.is_file():
            history = json.loads(history_path.read_text())["history"]
            report.plot_history(history, reports_dir / "training-curves.png")
            sections.append("![training curves](training-curves.png)")
        report_path = reports_dir / f"{stem}.md"
        report.write_markdown(report_path, sections)
        log(f"report: {report_path}")
    return EvaluationResult(
        model_path, clean, camera_scores, report_path, outputs=outputs,
        negatives_rejected=negatives_rejected,
        ece_camera_like=curves["camera-like digits"].ece if camera_scores is not None else None,
        ece_negatives=curves["held-out negatives"].ece, font_accuracy=font_accuracy, per_font=per_font,
        uci_accuracy=uci_accuracy)


def _uci(predict: Predictor, log: Callable[[str], None]) -> float | None:
    from digits.train.other_writers import uci_digits

    uci = uci_digits()
    if uci is None:
        log("no scikit-learn here: skipping the UCI handwritten digits")
        return None
    probs = predict(uci.images)
    accuracy = float((probs.argmax(axis=1) == uci.labels).mean())
    log(f"UCI handwritten digits (scikit-learn, 43 writers, 8x8): accuracy {accuracy:.2%} "
        f"on {len(uci.labels):,} digits{rejection_note(probs, uci.labels)}")
    return accuracy


def _calibration_md(curves: dict[str, Reliability], negatives_rejected: float, by_kind: dict[str, float],
                    clean: Scores, camera_scores: Scores | None) -> str:
    lines = ["## Not a digit, and calibration", "",
             "| set | 'not a digit' | ECE (15 bins) |", "|---|---:|---:|",
             f"| MNIST test digits | {clean.not_a_digit_rate:.2%} | — |"]
    if camera_scores is not None:
        lines.append(f"| camera-like digits | {camera_scores.not_a_digit_rate:.2%} | "
                     f"{curves['camera-like digits'].ece:.2%} |")
    lines.append(f"| held-out negatives | {negatives_rejected:.2%} | "
                 f"{curves['held-out negatives'].ece:.2%} |")
    lines += ["", "Held-out negatives rejected, by kind: "
              + ", ".join(f"{k} {v:.1%}" for k, v in by_kind.items())]
    return "\n".join(lines)


def _other_writers(predict: Predictor, log: Callable[[str], None]
                   ) -> tuple[str | None, float | None, dict[str, float] | None]:
    """Accuracy on digits written by the held-out handwriting fonts, as a Markdown table."""
    from digits.train.other_writers import font_digits

    fonts = font_digits(split="test")
    if fonts is None:
        log("no held-out handwriting fonts (apt-get install fonts-dkg-handwriting …) or no Pillow "
            "here: skipping the other-writers check")
        return None, None, None
    probs = predict(fonts.images)
    predicted = probs.argmax(axis=1)
    overall = float((predicted == fonts.labels).mean())
    per_font = {str(name): float((predicted[fonts.fonts == name] == fonts.labels[fonts.fonts == name]).mean())
                for name in sorted(set(fonts.fonts))}
    lines = [f"## Other writers: {len(per_font)} held-out handwriting fonts, "
             f"{len(fonts.labels):,} digits, accuracy {overall:.2%}", "",
             "| font (never trained on) | accuracy |", "|---|---:|"]
    lines += [f"| {name} | {acc:.1%} |" for name, acc in per_font.items()]
    log(f"other writers (held-out handwriting fonts): accuracy {overall:.2%} on {len(fonts.labels):,} "
        f"digits{rejection_note(probs, fonts.labels)}; "
        + ", ".join(f"{n.split('.')[0]} {a:.1%}" for n, a in per_font.items()))
    return "\n".join(lines), overall, per_font
