"""A tiny model trained for a few steps, end to end: fit -> convert -> edge interpreter -> gate;
and the 10-class kind of model (what ships) through evaluate and convert."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digits.common.card import CARD_NAME, VARIANTS, ModelCard, model_filename
from digits.common.errors import ModelError
from digits.convert.gate import GateError
from digits.edge.core.interpreter import Classifier
from digits.train.data import Mnist

pytestmark = pytest.mark.slow

LENIENT = dict(max_drop_pp=100, min_agreement_pct=0, min_accuracy_pct=0, max_not_a_digit_pct=100,
               max_not_a_digit_camera_pct=100, min_rejected_pct=0)


@pytest.fixture(scope="module")
def small_mnist(mnist) -> Mnist:
    """12,000 training images (7,000 to fit after the 5,000 validation split), 2,000 test."""
    return Mnist(mnist.x_train[:12_000], mnist.y_train[:12_000], mnist.x_test[:2_000],
                 mnist.y_test[:2_000], source="subset")


@pytest.fixture(scope="module")
def tiny_model(small_mnist, tmp_path_factory):
    from digits.train.fit import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny")
    cfg = TrainConfig(epochs=3, reject_epochs=2, batch_size=64, width=6, reject_width=4, subset=6_000,
                      warmup_epochs=0.3, augment=False, bn_momentum=0.9, negatives=1_500, font_digits=300,
                      val_negatives=300, camera_digits=500, other_looks=300)
    return train(small_mnist, out, cfg)


@pytest.fixture(scope="module")
def ten_output_model(small_mnist, tmp_path_factory):
    """`digits train --ten`: the first stage alone, digits only, no negative drawn."""
    from digits.train.fit import TrainConfig, train

    cfg = TrainConfig(epochs=2, batch_size=64, width=4, subset=3_000, warmup_epochs=0.3, bn_momentum=0.9,
                      classes=10, other_looks=300)
    return train(small_mnist, tmp_path_factory.mktemp("ten_trained"), cfg)


def test_ten_trains_the_digit_model_alone(ten_output_model):
    import keras

    model = keras.models.load_model(ten_output_model.model_path)
    assert model.output_shape[-1] == 10
    history = json.loads((ten_output_model.model_path.parent / "history.json").read_text())
    assert not [k for k in history["history"] if k.startswith("reject_")]


def test_the_branch_says_whether_a_digit_is_there_never_which(ten_output_model, small_mnist, tmp_path):
    """--from-digits: the digit model is frozen; the eleven outputs' digits keep its ranking, and
    their share is what "not a digit" leaves."""
    import keras

    from digits.train.fit import TrainConfig, train

    digits = keras.models.load_model(ten_output_model.model_path)
    weights = [w.copy() for w in digits.get_weights()]
    cfg = TrainConfig(reject_epochs=1, batch_size=64, reject_width=4, subset=3_000, bn_momentum=0.9,
                      negatives=600, font_digits=100, camera_digits=200, val_negatives=200, other_looks=100,
                      digit_model=ten_output_model.model_path)
    result = train(small_mnist, tmp_path, cfg)
    eleven = keras.models.load_model(result.model_path)
    images = small_mnist.x_test[:300, ..., None].astype(np.float32) / 255.0
    p10, p11 = digits.predict(images, verbose=0), eleven.predict(images, verbose=0)
    assert p11.shape == (300, 11)
    np.testing.assert_allclose(p11.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(p11[:, :10], p10 * (1 - p11[:, 10:]), atol=1e-5)
    assert (p11[:, :10].argmax(1) == p10.argmax(1)).all()
    assert all(np.array_equal(a, b) for a, b in zip(weights, digits.get_weights()))
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["history"]["reject_val_accuracy"]) == 1 and "val_accuracy" not in history["history"]


def test_training_writes_the_best_model_and_history(tiny_model):
    assert tiny_model.model_path.is_file()
    history = json.loads((tiny_model.model_path.parent / "history.json").read_text())
    assert len(history["history"]["val_accuracy"]) == 3  # the digit model's epochs
    assert len(history["history"]["reject_val_accuracy"]) == 2  # then the branch's
    assert history["command"].startswith("digits")
    assert tiny_model.best_epoch == 3  # the last: the learning rate has decayed to zero
    assert tiny_model.best_val_accuracy == history["history"]["val_accuracy"][-1]
    assert tiny_model.best_val_accuracy > 0.5  # learns something (chance: 10 %)
    assert tiny_model.macs > 0 and tiny_model.params < 12_000
    assert 0.25 <= tiny_model.temperature <= 8.0 and history["temperature"] == tiny_model.temperature
    assert history["reject_shift"] == tiny_model.reject_shift  # "not a digit" shift, within the budget
    assert 0.0 <= tiny_model.val_ece_before <= 1.0 and 0.0 <= tiny_model.val_ece_after <= 1.0


def test_all_variants_convert_and_score_through_the_edge(tiny_model, small_mnist, tmp_path):
    from digits.convert.gate import GateLimits
    from digits.convert.run import convert_all

    out = tmp_path / "models"
    report = convert_all(tiny_model.model_path, small_mnist, out, GateLimits(**LENIENT), log=lambda m: None)
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
    assert card.outputs == 11 and int8.reject_class == 10
    assert card.temperature == pytest.approx(tiny_model.temperature)
    entry = card.variants["int8"]
    for figure in (entry.not_a_digit, entry.camera_not_a_digit, entry.negatives_rejected,
                   entry.ece_camera, entry.ece_negatives):
        assert 0.0 <= figure <= 1.0
    # batch dimension is resizable: one invoke for 3 crops, then for 17; every output comes back
    assert Classifier(out / model_filename("int8")).probabilities(np.zeros((3, 28, 28))).shape == (3, 11)
    assert int8.probabilities(np.zeros((17, 28, 28))).shape == (17, 11)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # --from-digits a shipped float32 file: its digit model, rebuilt as Keras, answers as it does
    import keras

    from digits.train.model import digit_model_from_tflite, digit_model_of

    rebuilt = digit_model_from_tflite(out / model_filename("float32"))
    inside = digit_model_of(keras.models.load_model(tiny_model.model_path))
    images = small_mnist.x_test[:200, ..., None].astype(np.float32) / 255.0
    expected = inside.predict(images, verbose=0)
    np.testing.assert_allclose(rebuilt.predict(images, verbose=0), expected, atol=1e-4)
    with pytest.raises(ModelError, match="not a float32"):
        digit_model_from_tflite(out / model_filename("int8"))


def test_tuning_teaches_the_digits_and_keeps_the_branch(tiny_model, small_mnist, tmp_path):
    """--tune-epochs: the whole model read back from its float32 file answers as the Keras model
    did; training only the digit model's last layer leaves every "not a digit" answer as it was."""
    import keras

    from digits.convert.tflite import convert
    from digits.train.fit import TrainConfig, train
    from digits.train.model import REJECT_LOGIT, model_from_tflite

    trained = keras.models.load_model(tiny_model.model_path)
    path = tmp_path / "float32.tflite"
    path.write_bytes(convert(trained, "float32"))
    whole, _ = model_from_tflite(path)
    images = small_mnist.x_test[:200, ..., None].astype(np.float32) / 255.0
    expected = trained.predict(images, verbose=0)
    np.testing.assert_allclose(whole.predict(images, verbose=0), expected, atol=1e-4)

    cfg = TrainConfig(digit_model=path, tune_epochs=1, batch_size=64, subset=2_000, flagged_ones=0.5)
    tuned = keras.models.load_model(train(small_mnist, tmp_path / "tuned", cfg).model_path)

    def reject_logit(model):
        return keras.Model(model.inputs, model.get_layer(REJECT_LOGIT).output).predict(images, verbose=0)

    np.testing.assert_allclose(reject_logit(tuned), reject_logit(whole), atol=1e-5)
    changed = {a.name for a, b in zip(tuned.layers, whole.layers)
               if not all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))}
    assert changed == {"logits"}
    history = json.loads((tmp_path / "tuned" / "history.json").read_text())
    assert len(history["history"]["val_accuracy"]) == 1
    with pytest.raises(ModelError, match="no 'not a digit' branch"):
        model_from_tflite(_ten_output_file(tmp_path))


def _ten_output_file(tmp_path):
    from digits.convert.tflite import convert
    from digits.train.model import build_model

    path = tmp_path / "ten.tflite"
    path.write_bytes(convert(build_model(width=4, classes=10), "float32"))
    return path


def test_gate_trips_on_a_bad_int8_model_and_keeps_the_old_models(tiny_model, small_mnist, tmp_path):
    import keras

    from digits.convert.gate import GateLimits
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

    limits = GateLimits(**{**LENIENT, "max_drop_pp": 5, "min_agreement_pct": 99.5})
    with pytest.raises(GateError, match="int8 (loses|agrees)"):
        convert_all(tiny_model.model_path, small_mnist, out, limits, tamper=spoil, log=lambda m: None)
    assert (out / model_filename("int8")).read_bytes() == b"the old model"
    assert (out / CARD_NAME).read_text() == "{}"
    assert sorted(p.name for p in out.iterdir()) == [model_filename("int8"), CARD_NAME]


def test_gate_trips_on_a_model_that_calls_digits_not_a_digit(tiny_model, small_mnist, tmp_path):
    """An int8 file whose "not a digit" output wins too often must not ship."""
    from digits.convert.gate import GateLimits
    from digits.convert.run import convert_all
    from digits.convert.tflite import convert
    from digits.train.model import load_keras

    eager = load_keras(tiny_model.model_path)
    dense = eager.get_layer("reject_logit")
    kernel, bias = dense.get_weights()
    bias += 6.0  # "not a digit" wins far more often
    dense.set_weights([kernel, bias])
    rejecting = convert(eager, "int8", calibration=small_mnist.x_train)
    limits = GateLimits(**{**LENIENT, "max_not_a_digit_pct": 0.2})
    with pytest.raises(GateError, match="int8 calls .* of the test digits 'not a digit'"):
        convert_all(tiny_model.model_path, small_mnist, tmp_path / "m", limits,
                    tamper=lambda v, b: rejecting if v == "int8" else b, log=lambda m: None)


@pytest.fixture(scope="module")
def ten_class_model(tmp_path_factory):
    """An untrained model of the older kind: ten outputs, no "not a digit"."""
    import keras

    from digits.train.model import build_model

    keras.utils.set_random_seed(3)
    path = tmp_path_factory.mktemp("ten") / "digits.keras"
    build_model(width=4, bn_momentum=0.9, classes=10).save(path)
    return path


def test_a_ten_class_model_converts_and_evaluates(ten_class_model, small_mnist, tmp_path):
    from digits.convert.gate import GateLimits
    from digits.convert.run import convert_all
    from digits.train.evaluate import evaluate

    out = tmp_path / "models"
    report = convert_all(ten_class_model, small_mnist, out, GateLimits(**LENIENT),
                         variants=("float32", "int8"), log=lambda m: None)
    assert report.passed and report.card.outputs == 10
    assert report.card.variants["int8"].negatives_rejected == 0.0
    int8 = Classifier(out / model_filename("int8"))
    assert int8.reject_class is None and int8.probabilities(np.zeros((2, 28, 28))).shape == (2, 10)
    for model in (out / model_filename("int8"), ten_class_model):
        result = evaluate(model, small_mnist.x_test[:300], small_mnist.y_test[:300],
                          reports_dir=tmp_path / "r", camera=False, log=lambda m: None)
        assert result.outputs == 10 and result.negatives_rejected == 0.0
        assert result.clean.not_a_digit_rate == 0.0 and result.ece_negatives > 0
    # it is gated on its digits alone, in one line that says why: no negative to reject is no
    # failure, so a floor on negatives rejected adds no reason of its own
    with pytest.raises(GateError, match="reads .* of the test digits right") as refused:
        convert_all(ten_class_model, small_mnist, tmp_path / "m2",
                    GateLimits(**{**LENIENT, "min_accuracy_pct": 99.0, "min_rejected_pct": 97.0}),
                    variants=("int8",), log=lambda m: None)
    assert "negatives" not in str(refused.value)


def test_gate_arithmetic():
    from digits.convert.gate import Figures, GateLimits, failures

    limits = GateLimits(max_drop_pp=0.3, min_agreement_pct=99.5, min_accuracy_pct=99.0)
    assert failures("int8", 0.9950, 0.996, 0.9960, limits) == []
    assert "loses 0.40 pp" in failures("int8", 0.9920, 0.996, 0.9960, limits)[0]
    assert "agrees" in failures("int8", 0.9960, 0.990, 0.9960, limits)[0]
    assert "reads 98.00%" in failures("int8", 0.98, 0.996, 0.9801, limits)[0]

    limits = GateLimits()  # the shipping gate
    good = Figures(accuracy=0.9960, not_a_digit=0.001, not_a_digit_camera=0.005, rejected=0.98)
    assert failures("int8", 0.9960, 0.999, 0.9962, limits, good, good) == []
    too_eager = Figures(accuracy=0.9960, not_a_digit=0.003, not_a_digit_camera=0.02, rejected=0.98)
    reasons = failures("int8", 0.9960, 0.999, 0.9962, limits, too_eager, good)
    assert any("0.30% of the test digits 'not a digit'" in r for r in reasons)
    assert any("camera-like digits 'not a digit'" in r for r in reasons)
    assert any("worse than the float model on 'not a digit' on camera-like" in r for r in reasons)
    leaky = Figures(accuracy=0.9960, not_a_digit=0.001, not_a_digit_camera=0.005, rejected=0.75)
    assert any("rejects 75.00% of the held-out negatives" in r
               for r in failures("int8", 0.9960, 0.999, 0.9962, limits, leaky, good))
    ten = Figures(accuracy=0.9960, not_a_digit=0.0, not_a_digit_camera=0.0, rejected=0.0)
    assert failures("int8", 0.9960, 0.999, 0.9962, limits, ten, ten, rejects=False) == []


def test_gate_within_the_limit_includes_it_and_only_int8_is_held_to_the_float_rejections():
    """3 of 3,000 negatives is 0.1 pp exactly: within 0.1 pp. float16 and dynamic-range meet
    the floors and the accuracy limit; int8, the file the Pi runs, also every float figure."""
    from digits.convert.gate import Figures, GateLimits, failures

    limits = GateLimits()
    float_figures = Figures(accuracy=0.9958, not_a_digit=0.0003, not_a_digit_camera=0.0063,
                            rejected=2677 / 3000)
    three_fewer = Figures(accuracy=0.9957, not_a_digit=0.0003, not_a_digit_camera=0.0066,
                          rejected=2674 / 3000)
    assert failures("int8", 0.9957, 0.9997, 0.9958, limits, three_fewer, float_figures) == []
    nine_fewer = Figures(accuracy=0.9955, not_a_digit=0.0003, not_a_digit_camera=0.0063,
                         rejected=2668 / 3000)
    assert failures("dynamic", 0.9955, 0.9995, 0.9958, limits, nine_fewer, float_figures) == []
    assert any("0.30 pp worse than the float model on negatives rejected" in r
               for r in failures("int8", 0.9955, 0.9995, 0.9958, limits, nine_fewer, float_figures))
    assert any("loses 0.20 pp" in r for r in failures("dynamic", 0.9938, 0.9995, 0.9958, limits,
                                                       nine_fewer, float_figures))


def test_int8_not_a_digit_logit_is_corrected_by_its_mean_shift(tiny_model, small_mnist, tmp_path):
    """int8 rounding moves the "not a digit" logit; its mean shift near the boundary, measured
    on the calibration crops, is folded back into the branch, and the Keras model is left as
    it was."""
    from digits.convert.run import (
        convert_int8_unbiased,
        int8_calibration_images,
        int8_reject_bias,
        reject_logits,
    )
    from digits.train.model import REJECT_LOGIT, load_keras

    r = np.array([-3.0, 0.0, 2.5])
    p = np.zeros((3, 11))
    p[:, 10] = 1 / (1 + np.exp(-r))
    np.testing.assert_allclose(reject_logits(p), r, atol=1e-6)

    model = load_keras(tiny_model.model_path)
    before = [w.copy() for w in model.get_layer(REJECT_LOGIT).get_weights()]
    images = int8_calibration_images(small_mnist, 11)
    said = []
    blob = convert_int8_unbiased(model, images, tmp_path, said.append)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_layer(REJECT_LOGIT).get_weights()))
    assert said and "corrected by" in said[0]
    path = tmp_path / "corrected.tflite"
    path.write_bytes(blob)
    assert abs(int8_reject_bias(model, path, images)) <= abs(float(said[0].split("by ")[1].split()[0])) + 0.05
