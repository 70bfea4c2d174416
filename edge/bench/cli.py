"""`digits bench`: the one table to choose a model variant by, for this machine."""

from __future__ import annotations

from pathlib import Path

import click

from digits.common.cli import CONTEXT
from digits.edge.core.shipped import MODELS_DIR


@click.command(context_settings=CONTEXT)
@click.option("--models", "models_dir", type=click.Path(file_okay=False, path_type=Path),
              default=MODELS_DIR, help="Folder of digits_<variant>.tflite (+ model_card.json) "
              "[default: the shipped edge/models].")
@click.option("--test-set", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The compact test set `digits data` exports [default: <cache>/mnist-test.npz].")
@click.option("--samples", "samples_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Images and videos for the pipeline stage [default: the shipped edge/samples].")
@click.option("--quick", is_flag=True, help="A smoke run of seconds: few rounds, one start-up, no "
              "TensorFlow comparison. Its figures are not for ranking.")
@click.option("--threads", "threads", type=click.IntRange(1, 256), multiple=True,
              help="Thread counts to measure (repeatable) [default: 1, 2, 4 … up to the cores].")
@click.option("--tensorflow/--no-tensorflow", default=None,
              help="Compare start-up and memory with full TensorFlow in a child process when it is "
                   "installed [default: yes, except with --quick].")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object (progress "
              "goes to stderr).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Where bench.md, bench.json and the PNG plots go.")
def bench(models_dir, test_set, samples_dir, quick, threads, tensorflow, as_json, out) -> None:
    """Latency of every model variant, accuracy beside it, the whole pipeline, start-up and memory.

    \b
    Every variant × batch (1, 8) × threads × kernels (XNNPACK, built-in) × edge backend
    (LiteRT; tflite-runtime where it imports) gets its own interpreter; all of them take
    turns inside every round, so a busy machine slows them alike. Ratios to float32 are
    paired round by round and shown with their interquartile range; a run whose rounds
    disagree by more than 10% is marked too noisy and ranks nothing. Then each variant's
    accuracy on the 10,000 test images, the reader's stages at 640x480 and 1280x720, cold
    start and peak RSS in a fresh process (and through full TensorFlow when installed), and
    the install size of the edge extra against the train extra. Never imports TensorFlow.
    """
    from digits.edge.bench.config import BenchConfig
    from digits.edge.bench.report import terminal, to_json, write
    from digits.edge.bench.run import run

    settings = {"models_dir": models_dir, "test_set": test_set, "samples_dir": samples_dir,
                "threads": tuple(sorted(set(threads)))}
    if tensorflow is not None:
        settings["tensorflow"] = tensorflow
    config = BenchConfig.quick(**settings) if quick else BenchConfig(**settings)
    result = run(config, log=lambda m: click.echo(m, err=True))
    written = write(result, out)
    if as_json:
        click.echo(to_json(result))
    else:
        click.echo("")
        click.echo(terminal(result))
    click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
