"""The models in edge/models are what their card says: same bytes, same accuracy, same inputs."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from digits.common.card import CARD_NAME, VARIANTS, ModelCard
from digits.edge.core.interpreter import Classifier
from digits.edge.core.shipped import MODELS_DIR

CARD = ModelCard.load(MODELS_DIR / CARD_NAME)


@pytest.mark.parametrize("variant", VARIANTS)
def test_card_matches_an_independent_evaluation(variant, mnist):
    entry = CARD.variants[variant]
    path = MODELS_DIR / entry.file
    blob = path.read_bytes()
    assert len(blob) == entry.size_bytes
    assert hashlib.sha256(blob).hexdigest() == entry.sha256
    classifier = Classifier(path)
    assert classifier.input_dtype == entry.input_dtype
    labels = classifier.predict_labels(mnist.x_test.astype(np.float32) / 255.0)
    assert float((labels == mnist.y_test).mean()) == pytest.approx(entry.accuracy, abs=1e-9)


def test_shipped_int8_meets_the_targets():
    int8, float32 = CARD.variants["int8"], CARD.variants["float32"]
    assert int8.input_dtype == "int8"
    assert int8.accuracy >= 0.9955 and float32.accuracy >= 0.996
    assert float32.accuracy - int8.accuracy <= 0.001
    assert int8.size_bytes <= 150_000
    assert int8.training_command.startswith("digits train")
