"""Augmentation that prepares the net for digits cropped from camera photos by our segmenter.

Each op works on a whole batch at once (one affine warp, pooling for stroke width, a depthwise
blur), so an epoch costs seconds on two cores rather than minutes. Inputs and outputs are
float32 batches of shape (n, 28, 28, 1) in [0, 1], white ink on black, as in MNIST.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class AugmentConfig:
    rotate_deg: float = 12.0  # small rotation either way
    shear: float = 0.2  # horizontal shear factor either way (slanted writing)
    scale: tuple[float, float] = (0.85, 1.12)  # zoom; the segmenter's box is never exact
    aspect: float = 0.10  # independent x/y stretch: narrow and wide writers
    shift_px: float = 2.5  # crop offsets
    p_bold: float = 0.15  # thick pens and over-exposed ink
    p_thin: float = 0.15  # fine pens and under-exposed ink
    p_blur: float = 0.20  # focus and motion blur
    p_noise: float = 0.20  # sensor noise left after binarisation
    noise_std: float = 0.08
    p_elastic: float = 0.25  # other writers: a smooth random displacement of the strokes
    elastic_px: float = 0.9  # std of the displacement at the 5x5 control points, in pixels


def _affine_transforms(n: tf.Tensor, cfg: AugmentConfig) -> tf.Tensor:
    """Per-image inverse affine maps (output -> input) about the field's centre, as (n, 8)."""
    angle = tf.random.uniform([n], -1.0, 1.0) * (cfg.rotate_deg * math.pi / 180.0)
    shear = tf.random.uniform([n], -cfg.shear, cfg.shear)
    zoom = tf.random.uniform([n], *cfg.scale)
    stretch = tf.random.uniform([n], -cfg.aspect, cfg.aspect)
    sx, sy = zoom * (1.0 + stretch), zoom * (1.0 - stretch)
    tx = tf.random.uniform([n], -cfg.shift_px, cfg.shift_px)
    ty = tf.random.uniform([n], -cfg.shift_px, cfg.shift_px)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # forward map A = R(angle) @ Shear @ Scale; we need its inverse for the sampler
    a00, a01 = cos * sx, (cos * shear - sin) * sy
    a10, a11 = sin * sx, (sin * shear + cos) * sy
    det = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / det, -a01 / det, -a10 / det, a00 / det
    c = 13.5  # centre of the 28x28 field, in pixel coordinates
    ox, oy = c + tx, c + ty  # where the centre moves to
    b0 = c - (i00 * ox + i01 * oy)
    b1 = c - (i10 * ox + i11 * oy)
    zeros = tf.zeros([n])
    return tf.stack([i00, i01, b0, i10, i11, b1, zeros, zeros], axis=1)


def _where_per_image(mask: tf.Tensor, a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    return tf.where(mask[:, None, None, None], a, b)


def _elastic(images: tf.Tensor, cfg: AugmentConfig) -> tf.Tensor:
    """Elastic distortion (Simard et al. 2003) made cheap: a displacement field drawn on a 5x5
    grid, upsampled to 28x28 and sampled bilinearly with one batched gather."""
    n = tf.shape(images)[0]
    coarse = tf.random.normal([n, 5, 5, 2], stddev=cfg.elastic_px)
    field = tf.image.resize(coarse, [28, 28], method="bicubic")
    grid_y, grid_x = tf.meshgrid(tf.range(28.0), tf.range(28.0), indexing="ij")
    sy, sx = grid_y[None] + field[..., 0], grid_x[None] + field[..., 1]
    y0, x0 = tf.floor(sy), tf.floor(sx)
    wy, wx = sy - y0, sx - x0
    flat = tf.reshape(tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]]), [n, 30 * 30])

    def at(yy: tf.Tensor, xx: tf.Tensor) -> tf.Tensor:  # outside the field reads the zero border
        yy = tf.clip_by_value(tf.cast(yy, tf.int32) + 1, 0, 29)
        xx = tf.clip_by_value(tf.cast(xx, tf.int32) + 1, 0, 29)
        index = tf.reshape(yy * 30 + xx, [n, 28 * 28])
        return tf.reshape(tf.gather(flat, index, batch_dims=1), [n, 28, 28])

    out = ((1 - wy) * (1 - wx) * at(y0, x0) + (1 - wy) * wx * at(y0, x0 + 1)
           + wy * (1 - wx) * at(y0 + 1, x0) + wy * wx * at(y0 + 1, x0 + 1))
    return out[..., None]


def augment_batch(images: tf.Tensor, cfg: AugmentConfig = AugmentConfig()) -> tf.Tensor:
    """A camera-ready variation of every image in the batch."""
    n = tf.shape(images)[0]
    if cfg.p_elastic > 0:
        images = _where_per_image(tf.random.uniform([n]) < cfg.p_elastic, _elastic(images, cfg), images)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=_affine_transforms(n, cfg), output_shape=[28, 28],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )
    pick = tf.random.uniform([n])
    bold = tf.nn.max_pool2d(x, 2, 1, "SAME")
    thin = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
    x = _where_per_image(pick < cfg.p_bold, bold, x)
    x = _where_per_image((pick >= cfg.p_bold) & (pick < cfg.p_bold + cfg.p_thin), thin, x)

    sigma = tf.random.uniform([], 0.5, 1.1)
    taps = tf.exp(-(tf.range(-1.0, 2.0) ** 2) / (2 * sigma**2))
    kernel = tf.tensordot(taps, taps, axes=0)
    kernel = tf.reshape(kernel / tf.reduce_sum(kernel), [3, 3, 1, 1])
    blurred = tf.nn.conv2d(x, kernel, 1, "SAME")
    blurred /= tf.maximum(tf.reduce_max(blurred, axis=[1, 2, 3], keepdims=True), 1e-3)
    x = _where_per_image(tf.random.uniform([n]) < cfg.p_blur, blurred, x)

    # the segmenter masks the paper to 0, so camera noise survives only on and around the ink
    near_ink = tf.cast(tf.nn.max_pool2d(x, 3, 1, "SAME") > 0.1, x.dtype)
    noisy = x + near_ink * tf.random.normal(tf.shape(x), stddev=cfg.noise_std)
    x = _where_per_image(tf.random.uniform([n]) < cfg.p_noise, noisy, x)
    return tf.clip_by_value(x, 0.0, 1.0)
