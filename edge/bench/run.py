"""`digits bench` from start to end: the machine, accuracy, latency, the pipeline, start-up,
install size, then what the figures support saying. Edge-only: TensorFlow is never imported
here; the start-up comparison runs it in a child process, and only when it is installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from digits.common.card import CARD_NAME, ModelCard
from digits.common.errors import DigitsError
from digits.edge.bench.config import NOISE_LIMIT, BenchConfig
from digits.edge.bench.findings import findings, stage_findings, targets
from digits.edge.bench.install import install_size
from digits.edge.bench.latency import measure_latency, summarise
from digits.edge.bench.machine import load_average, machine, thread_counts
from digits.edge.bench.models import accuracy, describe, edge_backends, find_models, load_test_set
from digits.edge.bench.pipeline import pipeline, probe_image
from digits.edge.bench.results import BenchResult, Startup
from digits.edge.bench.startup import startup, tensorflow_installed
from digits.edge.core.shipped import SAMPLES_DIR


def run(config: BenchConfig, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    here = machine()
    warnings: list[str] = []
    paths = find_models(config.models_dir, config.variants)
    x, y = load_test_set(config.test_set)
    backends = config.backends or edge_backends(next(iter(paths.values())), warnings)
    threads = config.threads or thread_counts(here.cores)
    if here.load_before is not None and here.load_before > 0.5 * here.cores:
        warnings.append(f"load average {here.load_before:.1f} on {here.cores} cores at the start: "
                        "other work shares this CPU, expect spread")
    card_path = Path(config.models_dir) / CARD_NAME
    card = ModelCard.load(card_path) if card_path.is_file() else None
    if card is None:
        warnings.append(f"no {CARD_NAME} in {config.models_dir}: MACs counted from the graph, no params")

    log(f"accuracy: {len(paths)} variants on {len(y):,} test images")
    variants = [describe(v, p, card, accuracy(p, x, y, backends[0]), backends[0]) for v, p in paths.items()]
    for v in variants:
        if v.card_accuracy is not None and v.accuracy is not None \
                and abs(v.card_accuracy - v.accuracy) > 1e-4:
            warnings.append(f"{v.variant}: measured accuracy {v.accuracy:.2%} differs from the card's "
                            f"{v.card_accuracy:.2%} (another test set, or the card is stale)")

    cells = measure_latency(paths, config, backends, threads, x[:8], log)
    rows, noise, noisy = summarise(cells, {v.variant: v.macs for v in variants})
    if noisy:
        warnings.append(f"round-to-round spread {noise:.0%} exceeds {NOISE_LIMIT:.0%}: the run is too noisy "
                        "to rank variants; ratios are shown but no variant is called faster or slower. "
                        "Rerun on a quiet machine.")
    wide = [r for r in rows if r.spread > NOISE_LIMIT]
    if wide and not noisy:
        by_threads = ", ".join(f"{t} thread{'s' * (t > 1)}: {sum(r.threads == t for r in wide)}"
                               for t in sorted({r.threads for r in wide}))
        warnings.append(f"{len(wide)} of {len(rows)} cells spread more than {NOISE_LIMIT:.0%} round to round "
                        f"({by_threads}); their ratios carry wide ranges and are ranked only where the "
                        "range excludes 1")

    samples = Path(config.samples_dir) if config.samples_dir else SAMPLES_DIR
    stages, pipeline_note = pipeline(paths, config.pipeline_frames, backends[0], samples, log)

    runs: list[Startup] = []
    startup_note = None
    if config.startup_runs > 0:
        model = paths.get("int8") or next(iter(paths.values()))
        image = probe_image(samples)
        log(f"start-up: {config.startup_runs} fresh edge process(es)")
        runs.append(startup(model, backends[0], config.startup_runs, image))
        if config.tensorflow and tensorflow_installed():
            log(f"start-up: {config.startup_runs} fresh TensorFlow process(es) (tf.lite.Interpreter)")
            try:
                runs.append(startup(model, "tensorflow", config.startup_runs, image))
            except DigitsError as exc:  # a broken TensorFlow must not cost the edge figures
                startup_note = f"the TensorFlow run failed: {exc}"
        elif not config.tensorflow:
            startup_note = "the TensorFlow comparison was not asked for (--quick or --no-tensorflow)"
        else:
            startup_note = "TensorFlow is not installed here, so there is nothing to compare with"
    if any(r.runtime == "edge" and r.imported_tensorflow for r in runs):
        warnings.append("the edge start-up probe imported TensorFlow: the edge runtime is not "
                        "TensorFlow-free")

    install = [install_size(extra) for extra in ("edge", "train")]
    here = replace(here, load_after=load_average())
    return BenchResult(
        machine=here, config=config, variants=variants, latency=rows, noise=noise, noisy=noisy,
        pipeline=stages, pipeline_note=pipeline_note, startup=runs, startup_note=startup_note,
        install=install, findings=findings(cells, rows, variants, noisy, here) + stage_findings(stages, rows),
        targets=targets(stages, runs), warnings=warnings, seconds=time.perf_counter() - started,
    )
