"""`digits evaluate MODEL`: a Keras or .tflite model on the 10,000 test images, clean and camera-like.

A .tflite model runs through the edge interpreter (no TensorFlow); a .keras model through Keras.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from digits.train import report
from digits.train.metrics import Scores, score

from digits.common.errors import UsageError

Predictor = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) in [0, 1] -> probabilities (n, 10)


@dataclass(frozen=True)
class EvaluationResult:
    model: Path
    clean: Scores
    camera_like: Scores | None
    report_path: Path | None


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
    clean = score(y_test, clean_probs.argmax(axis=1))
    log(report.scores_table(clean, f"{model_path.name}, clean test set"))
    log("\nconfusion matrix (rows: true digit, columns: predicted)\n"
        + report.confusion_table(clean.confusion))

    camera_scores = None
    if camera:
        from digits.train.camera_like import camera_like

        log("rendering the camera-like test set (blur, noise, uneven light, strokes, JPEG) …")
        camera_images = camera_like(x_test)
        camera_probs = predict(camera_images)
        camera_scores = score(y_test, camera_probs.argmax(axis=1))
        log(f"camera-like test set: accuracy {camera_scores.accuracy:.2%} "
            f"(macro F1 {camera_scores.macro_f1:.4f})")

    fonts = _other_writers(predict, log) if camera else None

    report_path = None
    if reports_dir is not None:
        stem = model_path.stem
        reports_dir.mkdir(parents=True, exist_ok=True)
        plots = report.can_plot()
        if not plots:
            log("matplotlib is not installed (an edge-only install): the report has tables, no plots")
        sections = [f"# Evaluation of `{model_path}`",
                    report.scores_table(clean, "Clean MNIST test set"),
                    "## Confusion matrix (clean)", report.confusion_table(clean.confusion)]
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
        if fonts is not None:
            sections.append(fonts)
        if plots and history_path is not None and history_path.is_file():
            history = json.loads(history_path.read_text())["history"]
            report.plot_history(history, reports_dir / "training-curves.png")
            sections.append("![training curves](training-curves.png)")
        report_path = reports_dir / f"{stem}.md"
        report.write_markdown(report_path, sections)
        log(f"report: {report_path}")
    return EvaluationResult(model_path, clean, camera_scores, report_path)


def _other_writers(predict: Predictor, log: Callable[[str], None]) -> str | None:
    """Accuracy on digits written by the installed handwriting fonts, as a Markdown table."""
    from digits.train.other_writers import font_digits

    fonts = font_digits()
    if fonts is None:
        log("no handwriting fonts (apt-get install fonts-dkg-handwriting …) or no Pillow here: "
            "skipping the other-writers check")
        return None
    predicted = predict(fonts.images).argmax(axis=1)
    overall = float((predicted == fonts.labels).mean())
    lines = [f"## Other writers: {len(set(fonts.fonts))} handwriting fonts, "
             f"{len(fonts.labels):,} digits, accuracy {overall:.2%}", "",
             "| font | accuracy |", "|---|---:|"]
    for name in sorted(set(fonts.fonts)):
        mine = fonts.fonts == name
        lines.append(f"| {name} | {(predicted[mine] == fonts.labels[mine]).mean():.1%} |")
    log(f"other writers (handwriting fonts): accuracy {overall:.2%} on {len(fonts.labels):,} digits")
    return "\n".join(lines)
