"""A tiny model trained for a few steps, end to end: fit -> convert -> edge interpreter -> gate."""

from __future__ import annotations

import json

import numpy as np
import pytest
from digits.convert.gate import GateError
from digits.edge.core.interpreter import Classifier
from digits.train.data import Mnist

from digits.common.card import CARD_NAME, VARIANTS, ModelCard, model_filename

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_mnist(mnist) -> Mnist:
    """12,000 training images (7,000 to fit after the 5,000 validation split), 2,000 test."""
    return Mnist(mnist.x_train[:12_000], mnist.y_train[:12_000], mnist.x_test[:2_000],
                 mnist.y_test[:2_000], source="subset")


@pytest.fixture(scope="module")
def tiny_model(small_mnist, tmp_path_factory):
    from digits.train.fit import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny")
    cfg = TrainConfig(epochs=3, batch_size=64, width=6, subset=6_000, warmup_epochs=0.3, augment=False,
                      bn_momentum=0.9)
    return train(small_mnist, out, cfg)


def test_training_writes_the_best_model_and_history(tiny_model):
    assert tiny_model.model_path.is_file()
    history = json.loads((tiny_model.model_path.parent / "history.json").read_text())
    assert len(history["history"]["val_accuracy"]) == 3
    assert history["command"].startswith("digits")
    assert tiny_model.best_val_accuracy == max(history["history"]["val_accuracy"])
    assert tiny_model.best_val_accuracy > 0.8  # learns something in three short epochs
    assert tiny_model.macs > 0 and tiny_model.params < 10_000


def test_all_variants_convert_and_score_through_the_edge(tiny_model, small_mnist, tmp_path):
    from digits.convert.gate import GateLimits
    from digits.convert.run import convert_all

    out = tmp_path / "models"
    report = convert_all(tiny_model.model_path, small_mnist, out,
                         GateLimits(max_drop_pp=100, min_agreement_pct=0), log=lambda m: None)
    assert report.passed and {s.variant for s in report.scores} == set(VARIANTS)
    card = ModelCard.load(out / CARD_NAME)
    int8 = Classifier(out / model_filename("int8"))
    assert int8.input_dtype == "int8" and int8.output_quant.dtype == np.int8
    assert Classifier(out / model_filename("float32")).input_dtype == "float32"
    # the card's accuracy is what an independent evaluation of the file measures
    labels = int8.predict_labels(small_mnist.x_test / 255.0)
    assert card.variants["int8"].accuracy == pytest.approx((labels == small_mnist.y_test).mean())
    assert card.variants["float32"].agreement > 0.99  # float32 TFLite is the Keras model
    assert card.variants["int8"].size_bytes < card.variants["float32"].size_bytes
    # batch dimension is resizable: one invoke for 3 crops, then for 17
    assert Classifier(out / model_filename("int8")).probabilities(np.zeros((3, 28, 28))).shape == (3, 10)
    assert int8.probabilities(np.zeros((17, 28, 28))).shape == (17, 10)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_gate_trips_on_a_bad_int8_model_and_keeps_the_old_models(tiny_model, small_mnist, tmp_path):
    import keras
    from digits.convert.run import convert_all
    from digits.convert.tflite import convert
    from digits.train.model import build_model

    keras.utils.set_random_seed(1)
    untrained = convert(build_model(width=6, bn_momentum=0.9), "int8", calibration=small_mnist.x_train)
    out = tmp_path / "models"
    out.mkdir()
    (out / model_filename("int8")).write_bytes(b"the old model")
    (out / CARD_NAME).write_text("{}")

    def spoil(variant: str, blob: bytes) -> bytes:
        return untrained if variant == "int8" else blob

    with pytest.raises(GateError, match="int8 (loses|agrees)"):
        convert_all(tiny_model.model_path, small_mnist, out, tamper=spoil, log=lambda m: None)
    assert (out / model_filename("int8")).read_bytes() == b"the old model"
    assert (out / CARD_NAME).read_text() == "{}"
    assert sorted(p.name for p in out.iterdir()) == [model_filename("int8"), CARD_NAME]


def test_gate_arithmetic():
    from digits.convert.gate import GateLimits, failures

    limits = GateLimits(max_drop_pp=0.3, min_agreement_pct=99.5)
    assert failures("int8", 0.9950, 0.996, 0.9960, limits) == []
    assert "loses 0.40 pp" in failures("int8", 0.9920, 0.996, 0.9960, limits)[0]
    assert "agrees" in failures("int8", 0.9960, 0.990, 0.9960, limits)[0]
