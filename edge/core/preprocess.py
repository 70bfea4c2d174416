"""The one preprocessing contract: how a blob of ink becomes a 28x28 MNIST-style input.

MNIST digits were size-normalised into a 20x20 box keeping their aspect ratio, then placed in
a 28x28 field so that their centre of mass sits in the middle; white ink on black. Training,
evaluation and the runtime all call `to_mnist`, so a digit cropped from a photo reaches the
model in exactly the form the model learnt.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28  # side of the model's input field
BOX = 20  # side of the box the digit is scaled into
INK_FLOOR = 0.05  # ink fainter than this (after polarity) does not count towards the tight box
CENTRE = 14.0  # where MNIST put the centre of mass (measured on its test set: 13.99, 14.00)


def as_unit_float(image: np.ndarray) -> np.ndarray:
    """Grey levels as float32 in [0, 1]: uint8 is divided by 255, floats are clipped."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return np.clip(image.astype(np.float32, copy=False), 0.0, 1.0)


def to_mnist(crop: np.ndarray, *, dark_ink: bool = False) -> np.ndarray:
    """Turn one crop of ink into a 28x28 float32 image in [0, 1], white ink on black.

    `crop` is a 2-D grey image (uint8 or float in [0, 1]) whose background is 0 when
    `dark_ink` is False (an ink map, or MNIST itself) and 1/255 when it is True (dark ink on
    white paper). The digit is cut to the tight box of its ink, scaled so that its longer
    side is 20 pixels, and shifted so that its centre of mass lands on the field's centre.
    An empty crop gives an all-black field.
    """
    if crop.ndim != 2:
        raise ValueError(f"to_mnist takes a 2-D grey crop, not shape {crop.shape}")
    ink = as_unit_float(crop)
    if dark_ink:
        ink = 1.0 - ink
    peak = float(ink.max()) if ink.size else 0.0
    if peak <= INK_FLOOR:
        return np.zeros((SIZE, SIZE), np.float32)
    x, y, w, h = cv2.boundingRect((ink > INK_FLOOR * peak).astype(np.uint8))
    ink = ink[y : y + h, x : x + w] * (1.0 / peak)

    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    shrinking = scale < 1.0
    small = cv2.resize(
        ink, (new_w, new_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    )
    np.maximum(small, 0.0, out=small)
    peak = float(small.max())
    if peak <= 0.0:
        return np.zeros((SIZE, SIZE), np.float32)
    small *= 1.0 / peak

    mass = float(small.sum())  # (cv2.moments would read a 2-wide image as a list of points)
    cy = float(small.sum(axis=1) @ np.arange(new_h, dtype=np.float32)) / mass
    cx = float(small.sum(axis=0) @ np.arange(new_w, dtype=np.float32)) / mass
    shift = np.float32([[1, 0, CENTRE - cx], [0, 1, CENTRE - cy]])
    field = cv2.warpAffine(
        small, shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return np.clip(field, 0.0, 1.0, out=field)
