"""The CNN: a plain keras.Sequential you can read as a table.

Input is MNIST as stored, 28x28x1 in [0, 1]; the batch dimension stays free so the edge can
classify every crop of a frame in one invoke. Strided convolutions instead of pooling keep
the multiply-accumulates (and so the epoch time on two cores) low.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from digits.common.errors import ModelError, UsageError

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 11  # the ten digits and "not a digit"
REJECT_CLASS = 10


def conv_block(filters: int, strides: int, bn_momentum: float) -> list[layers.Layer]:
    return [
        layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=bn_momentum),
        layers.ReLU(),
    ]


def build_model(width: int = 24, dropout: float = 0.25, bn_momentum: float = 0.99,
                classes: int = NUM_CLASSES) -> keras.Sequential:
    """80k parameters and 6.3 M MACs at width 24; `width` scales every layer. The eleventh
    output, "not a digit", costs one more row of the last Dense layer.

    A short run (tests, --quick) wants bn_momentum 0.9 so the batch-norm statistics settle.
    `classes=10` builds the older digits-only model (tests of the 10-class fallback).
    """
    w = width
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            *conv_block(w, 1, bn_momentum),  # 28x28
            *conv_block(w, 2, bn_momentum),  # 14x14
            *conv_block(2 * w, 1, bn_momentum),
            *conv_block(2 * w, 2, bn_momentum),  # 7x7
            *conv_block(4 * w, 1, bn_momentum),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(dropout),
            layers.Dense(classes, name="logits"),
            layers.Softmax(name="probabilities"),
        ],
        name="digits_cnn",
    )


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one image through the conv and dense layers."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            macs += h * w * c_out * k_h * k_w * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            macs += layer.input.shape[-1] * layer.units
    return int(macs)


def load_keras(path: Path):
    if not path.is_file():
        raise UsageError(f"{path}: no such Keras model (run `digits train` first)")
    try:
        return keras.models.load_model(path)
    except Exception as exc:  # Keras raises many kinds for a bad file
        raise ModelError(f"{path}: not a readable Keras model ({str(exc).splitlines()[0]})") from None


def fold_temperature(model: keras.Model, temperature: float, reject_shift: float = 0.0) -> None:
    """Divide the logits by `temperature` (then add `reject_shift` to "not a digit") inside the
    weights of the last Dense layer, so the calibrated softmax is the model itself and survives
    every conversion, int8 included."""
    dense = model.get_layer("logits")
    kernel, bias = dense.get_weights()
    bias = bias / temperature
    if reject_shift:
        bias[REJECT_CLASS] += reject_shift
    dense.set_weights([kernel / temperature, bias])
