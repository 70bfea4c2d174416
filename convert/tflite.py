"""The four TFLite variants. Every one takes MNIST as stored: (n, 28, 28, 1), x/255 or int8."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import numpy as np
import tensorflow as tf

REPRESENTATIVE_IMAGES = 4000  # every image of an eleven-output model's calibration set (3,600)


def _converter(model) -> tf.lite.TFLiteConverter:
    """From the Keras model itself: its Input's free batch dimension stays resizable."""
    return tf.lite.TFLiteConverter.from_keras_model(model)


def representative(images: np.ndarray, count: int = REPRESENTATIVE_IMAGES,
                   seed: int = 0) -> Iterator[list[np.ndarray]]:
    """A seeded draw of training images, one at a time, for calibrating int8 ranges."""
    pick = np.random.default_rng(seed).choice(len(images), min(count, len(images)), replace=False)
    for i in pick:
        yield [images[i].reshape(1, 28, 28, 1).astype(np.float32) / 255.0]


def convert(model, variant: str, calibration: np.ndarray | None = None) -> bytes:
    """The .tflite bytes of one variant; int8 needs uint8 training images for calibration."""
    converter = _converter(model)
    if variant == "float32":
        pass
    elif variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif variant == "int8":
        if calibration is None:
            raise ValueError("int8 conversion needs calibration images")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: representative(calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    else:
        raise ValueError(f"unknown variant {variant!r}")
    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints where it saved a temp copy
        return converter.convert()
