"""The models and test set a bench measures, and each variant's accuracy, size and MACs.

Every interpreter here is a `Classifier` from the one interpreter seam.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digits.common.card import ModelCard, model_filename
from digits.common.errors import UsageError
from digits.edge.bench.config import EDGE_BACKENDS
from digits.edge.bench.results import Variant
from digits.edge.core.interpreter import Classifier, load_backend


def edge_backends(model: Path, warnings: list[str]) -> tuple[str, ...]:
    """Every edge backend that imports and can run `model` (a wheel built for NumPy 1 imports under
    NumPy 2, then fails on the first interpreter)."""
    found = []
    for name in EDGE_BACKENDS:
        try:
            load_backend(name)
        except UsageError:
            continue
        try:
            Classifier(model, backend=name, threads=1)
        except Exception as exc:
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            warnings.append(f"{name} imports but cannot run a model here ({why}); left out")
            continue
        found.append(name)
    if not found:
        raise UsageError("no edge TFLite interpreter can run here; install ai-edge-litert "
                         "(pip install '.[edge]')")
    return tuple(found)


def find_models(models_dir: Path, variants: tuple[str, ...]) -> dict[str, Path]:
    models_dir = Path(models_dir)
    found = {v: models_dir / model_filename(v) for v in variants
             if (models_dir / model_filename(v)).is_file()}
    if not found:
        raise UsageError(f"{models_dir}: no digits_<variant>.tflite files; run `make train convert ship` "
                         "or pass --models DIR (e.g. artifacts/models)")
    return found


def load_test_set(path: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test images as uint8 and their labels, from `digits data`'s export."""
    from digits.common.paths import TEST_SET_NAME, default_cache_dir

    path = Path(path) if path else default_cache_dir() / TEST_SET_NAME
    if not path.is_file():
        raise UsageError(f"no test set at {path}: run `digits data` first, or pass --test-set PATH")
    try:
        with np.load(path, allow_pickle=False) as npz:
            x, y = npz["x_test"], npz["y_test"]
    except (KeyError, OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a test set exported by `digits data` ({exc})") from None
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
        raise UsageError(f"{path}: expected x_test (n, 28, 28) and y_test (n,), got {x.shape}, {y.shape}")
    return x, y


def describe(variant: str, path: Path, card: ModelCard | None, accuracy: float | None,
             backend: str) -> Variant:
    entry = card.variants.get(variant) if card else None
    classifier = Classifier(path, backend=backend, threads=1, xnnpack=False)  # the graph's own ops
    macs, source = (card.macs, "card") if card and card.macs else (graph_macs(classifier), "graph")
    return Variant(
        variant=variant, path=str(path), size_bytes=path.stat().st_size,
        input_dtype=classifier.input_dtype, accuracy=accuracy,
        card_accuracy=entry.accuracy if entry else None, params=card.params if card else None,
        macs=macs, macs_source=source,
    )


def accuracy(path: Path, x: np.ndarray, y: np.ndarray, backend: str) -> float:
    labels = Classifier(path, backend=backend).predict_labels(x.astype(np.float32) / 255.0)
    return float((labels == y).mean())


def graph_macs(classifier: Classifier) -> int | None:
    """MACs of one image through CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, from the graph
    of a classifier built without XNNPACK at batch 1."""
    try:
        ops, shapes = classifier.graph()
    except Exception:
        return None
    macs = 0
    for op in ops:
        name, inputs, outputs = op["op_name"], list(op["inputs"]), list(op["outputs"])
        if len(inputs) < 2 or not outputs:
            continue
        out, weights = shapes.get(outputs[0], ()), shapes.get(inputs[1], ())
        if name == "CONV_2D" and len(out) == 4 and len(weights) == 4:
            macs += out[1] * out[2] * out[3] * weights[1] * weights[2] * weights[3]
        elif name == "DEPTHWISE_CONV_2D" and len(out) == 4 and len(weights) == 4:
            macs += out[1] * out[2] * out[3] * weights[1] * weights[2]
        elif name == "FULLY_CONNECTED" and len(weights) == 2:
            macs += weights[0] * weights[1]
    return macs or None
