"""Training: verified MNIST + other writers + negatives -> augmented tf.data -> CNN -> best on
validation -> temperature folded in -> Keras model.

The training set is MNIST's fit split, digits written by the training fonts
(`other_writers.training_font_digits`) and "not a digit" crops (`negatives`, train split);
validation is MNIST's validation split, clean and camera-like, with negatives of another seed.
Hyper-parameters are the named defaults of `TrainConfig`; `digits train` exposes the ones
worth changing. The 10,000 test images, the held-out fonts and negatives are never seen here.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digits.common.files import write_text
from digits.common.paths import HISTORY_NAME
from digits.train.augment import AugmentConfig, augment_batch
from digits.train.calibration import ece, fit_reject_bias, fit_temperature, softmax
from digits.train.camera_like import camera_like
from digits.train.data import Mnist, split
from digits.train.model import REJECT_CLASS, build_model, count_macs, fold_temperature
from digits.train.negatives import make_negatives
from digits.train.other_writers import training_font_digits

MODEL_NAME = "digits.keras"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 22
    batch_size: int = 256
    peak_lr: float = 3e-3
    warmup_epochs: float = 1.0
    weight_decay: float = 1e-4
    width: int = 24
    dropout: float = 0.25
    bn_momentum: float = 0.99  # 0.9 for short runs
    seed: int = 7
    subset: int | None = None  # fit on the first N training images only (quick tries, tests)
    augment: bool = True
    classes: int = 11  # 11: the ten digits and "not a digit"; 10: digits only (no negatives drawn)
    elastic: float = 0.25  # share of training images elastically distorted (other writers)
    negatives: int = 20_000  # "not a digit" crops in the training set
    font_digits: int = 6_000  # digits written by the training fonts and Hershey faces
    camera_digits: int = 10_000  # MNIST fit digits photographed and read back (negatives are, too:
    # without these, "looks photographed" would be a cue for "not a digit")
    val_negatives: int = 2_000  # negatives for model selection and the temperature
    calibrate: bool = True  # fit a temperature on validation and fold it into the logits
    reject_budget: float | None = 0.003  # then shift "not a digit" so that at most this share of
    # the validation digits (clean and camera-like) is rejected; None: no shift


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    history: dict[str, list[float]]
    best_epoch: int
    best_val_accuracy: float
    params: int
    macs: int
    seconds: float
    config: TrainConfig = field(default_factory=TrainConfig)
    temperature: float = 1.0
    reject_shift: float = 0.0
    val_ece_before: float | None = None  # on the validation set, before and after the temperature
    val_ece_after: float | None = None


def _dataset(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, training: bool) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    if training:
        ds = ds.shuffle(len(x), seed=cfg.seed, reshuffle_each_iteration=True)
    ds = ds.batch(cfg.batch_size)

    def prepare(images, labels):
        images = tf.cast(images[..., None], tf.float32) / 255.0
        if training and cfg.augment:
            images = augment_batch(images, AugmentConfig(p_elastic=cfg.elastic))
        return images, labels

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def train(mnist: Mnist, out_dir: Path, cfg: TrainConfig = TrainConfig()) -> TrainResult:
    """Fit, keep the weights of the best validation epoch, write `digits.keras` atomically."""
    keras.utils.set_random_seed(cfg.seed)
    data = split(mnist)
    x_fit, y_fit = data.x_fit, data.y_fit
    if cfg.subset:
        x_fit, y_fit = x_fit[: cfg.subset], y_fit[: cfg.subset]
    print(f"drawing {cfg.negatives:,} negatives, {cfg.font_digits:,} font digits and "
          f"{cfg.camera_digits:,} camera-like digits …", flush=True)
    started = time.perf_counter()
    parts = [(x_fit, y_fit)]
    if cfg.negatives and cfg.classes == 11:
        negatives = make_negatives(cfg.negatives, cfg.seed, "train", digits=(x_fit, y_fit)).images
        parts.append((negatives, np.full(len(negatives), REJECT_CLASS)))
    if cfg.font_digits:
        parts.append(training_font_digits(cfg.font_digits, cfg.seed))
    if cfg.camera_digits:
        pick = np.random.default_rng([cfg.seed, 3]).choice(len(y_fit), min(cfg.camera_digits, len(y_fit)),
                                                           replace=False)
        photographed = camera_like(x_fit[pick], seed=cfg.seed + 2)
        parts.append((np.round(photographed * 255).astype(np.uint8), y_fit[pick]))
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts]).astype(np.int64)
    x_val, y_val = validation_set(data.x_val, data.y_val, cfg)
    print(f"training set {len(y_train):,} images, validation {len(y_val):,} "
          f"({time.perf_counter() - started:.0f} s to draw)", flush=True)
    train_ds = _dataset(x_train, y_train, cfg, training=True)
    val_ds = _dataset(x_val, y_val, cfg, training=False)

    model = build_model(width=cfg.width, dropout=cfg.dropout, bn_momentum=cfg.bn_momentum,
                        classes=cfg.classes)
    model.summary()
    macs = count_macs(model)
    print(f"{model.count_params():,} parameters, {macs / 1e6:.2f} M multiply-accumulates per image")

    steps = int(np.ceil(len(x_train) / cfg.batch_size)) * cfg.epochs
    warmup = min(int(np.ceil(len(x_train) / cfg.batch_size) * cfg.warmup_epochs), steps // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.peak_lr / 10, decay_steps=steps - warmup, alpha=0.0,
        warmup_target=cfg.peak_lr, warmup_steps=warmup,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=cfg.weight_decay),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,  # XLA is slower than oneDNN for this net on CPU (measured)
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    best = _KeepBest()
    started = time.perf_counter()
    fit = model.fit(
        train_ds, validation_data=val_ds, epochs=cfg.epochs, callbacks=[best],
        verbose=1 if sys.stdout.isatty() else 2,
    )
    seconds = time.perf_counter() - started
    model.set_weights(best.weights)
    temperature, shift, before, after = 1.0, 0.0, None, None
    if cfg.calibrate:
        temperature, shift, before, after = calibrate(model, x_val, y_val, cfg.reject_budget)
        print(f"temperature {temperature:.3f}, 'not a digit' shift {shift:+.2f}: "
              f"validation ECE {before:.2%} -> {after:.2%}")

    model_path = out_dir / MODEL_NAME
    partial = out_dir / f".{MODEL_NAME}.partial.keras"  # Keras insists on the extension
    model.save(partial)
    partial.replace(model_path)

    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    result = TrainResult(
        model_path=model_path, history=history, best_epoch=best.epoch + 1,
        best_val_accuracy=best.accuracy, params=model.count_params(), macs=macs,
        seconds=seconds, config=cfg, temperature=temperature, reject_shift=shift, val_ece_before=before,
        val_ece_after=after,
    )
    write_text(out_dir / HISTORY_NAME, json.dumps(_summary(result), indent=2))
    return result


def _summary(result: TrainResult) -> dict:
    return {
        "command": "digits " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "digits train",
        "history": result.history, "best_epoch": result.best_epoch,
        "best_val_accuracy": result.best_val_accuracy, "params": result.params,
        "macs": result.macs, "seconds": round(result.seconds, 1), "config": asdict(result.config),
        "temperature": result.temperature, "reject_shift": result.reject_shift,
        "val_ece_before": result.val_ece_before,
        "val_ece_after": result.val_ece_after,
    }


def validation_set(x_val: np.ndarray, y_val: np.ndarray, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's validation digits clean and camera-like, and negatives of another seed (still the
    train split's generators: the held-out ones stay for the gate)."""
    camera = np.round(camera_like(x_val, seed=cfg.seed + 1) * 255).astype(np.uint8)
    xs, ys = [x_val, camera], [y_val, y_val]
    if cfg.val_negatives and cfg.classes == 11:
        negatives = make_negatives(cfg.val_negatives, cfg.seed + 1000, "train", digits=(x_val, y_val))
        xs.append(negatives.images)
        ys.append(np.full(len(negatives.images), REJECT_CLASS))
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def calibrate(model: keras.Model, x_val: np.ndarray, y_val: np.ndarray,
              reject_budget: float | None = None) -> tuple[float, float, float, float]:
    """Fit the temperature (and the "not a digit" shift) on validation logits and fold them into
    the model: (T, shift, ECE before, ECE after)."""
    logits_model = keras.Model(model.inputs, model.get_layer("logits").output)
    logits = logits_model.predict(x_val[..., None].astype(np.float32) / 255.0, batch_size=500, verbose=0)
    temperature = fit_temperature(logits, y_val)
    scaled = logits / temperature
    shift = 0.0
    if reject_budget is not None and logits.shape[1] > REJECT_CLASS:
        shift = fit_reject_bias(scaled, y_val, REJECT_CLASS, reject_budget)
        scaled[:, REJECT_CLASS] += shift
    before, after = ece(softmax(logits), y_val), ece(softmax(scaled), y_val)
    fold_temperature(model, temperature, shift)
    return temperature, shift, before, after


class _KeepBest(keras.callbacks.Callback):
    """Remember the weights of the epoch with the best validation accuracy (ties: the later)."""

    def __init__(self):
        super().__init__()
        self.accuracy, self.epoch, self.weights = -1.0, -1, None

    def on_epoch_end(self, epoch, logs=None):
        accuracy = float((logs or {}).get("val_accuracy", 0.0))
        if accuracy >= self.accuracy:
            self.accuracy, self.epoch, self.weights = accuracy, epoch, self.model.get_weights()
