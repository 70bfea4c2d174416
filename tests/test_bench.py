"""`digits bench` on the shipped models with few rounds: what it measures is right, never how fast.

Edge-only: the models are edge/models' own, the test set is the MNIST cache's; nothing here
needs TensorFlow except the one comparison test, which skips without it. No assertion is on a
speed: how fast a variant is, is what the benchmark measures.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from digits.cli import main
from digits.common.card import CARD_NAME, VARIANTS, ModelCard, model_filename
from digits.edge.bench.config import BUILTIN, XNNPACK, BenchConfig
from digits.edge.bench.install import _wanted
from digits.edge.bench.latency import summarise, verdict
from digits.edge.bench.machine import thread_counts
from digits.edge.bench.models import graph_macs
from digits.edge.bench.pipeline import RESOLUTIONS, probe_image
from digits.edge.bench.report import sections, terminal, to_json
from digits.edge.bench.results import Latency, Stages, Startup, Variant
from digits.edge.bench.run import run
from digits.edge.bench.startup import startup, tensorflow_installed
from digits.edge.core.interpreter import Classifier
from digits.edge.core.shipped import MODELS_DIR

CARD = ModelCard.load(MODELS_DIR / CARD_NAME)
ROUNDS = 3


@pytest.fixture(scope="session")
def test_set(mnist, tmp_path_factory):
    """The 10,000 MNIST test images in the compact form `digits data` exports for the bench."""
    path = tmp_path_factory.mktemp("bench") / "mnist-test.npz"
    np.savez_compressed(path, x_test=mnist.x_test, y_test=mnist.y_test)
    return path


@pytest.fixture(scope="session")
def result(test_set):
    """One short run over every shipped variant on one thread, with the shipped samples."""
    config = BenchConfig(test_set=test_set, threads=(1,), rounds=ROUNDS, latency_budget_s=0.4,
                         warmup_s=0.005, pipeline_frames=2, startup_runs=1, tensorflow=False)
    return run(config, log=lambda message: None)


def test_help():
    out = CliRunner().invoke(main, ["bench", "--help"])
    assert out.exit_code == 0
    for option in ("--models", "--test-set", "--quick", "--json", "--out", "--threads"):
        assert option in out.output


def test_variants_match_the_model_card(result):
    assert [v.variant for v in result.variants] == list(VARIANTS)
    for v in result.variants:
        entry = CARD.variants[v.variant]
        assert v.accuracy == pytest.approx(entry.accuracy, abs=5e-5)  # the whole test set: same count
        assert v.card_accuracy == entry.accuracy
        assert v.size_bytes == entry.size_bytes and v.input_dtype == entry.input_dtype
        assert (v.macs, v.macs_source, v.params) == (CARD.macs, "card", CARD.params)
    assert not [w for w in result.warnings if "differs from the card" in w]


@pytest.mark.parametrize("variant", VARIANTS)
def test_graph_macs_equal_the_cards(variant):
    """Without a card the bench counts MACs from the graph; on the shipped models it must agree."""
    classifier = Classifier(MODELS_DIR / model_filename(variant), threads=1, xnnpack=False)
    assert graph_macs(classifier) == CARD.macs


def test_every_cell_measured(result):
    backends = {r.backend for r in result.latency}
    assert "litert" in backends
    cells = {(r.variant, r.backend, r.kernels, r.threads, r.batch) for r in result.latency}
    # variants × backends × kernels × threads × batches, each once
    assert len(cells) == len(result.latency) == len(VARIANTS) * len(backends) * 2 * 1 * 2
    assert ("int8", "litert", XNNPACK, 1, 8) in cells and ("int8", "litert", BUILTIN, 1, 8) in cells
    for row in result.latency:
        assert row.rounds == ROUNDS and row.invokes >= ROUNDS * 5
        assert 0 < row.p50_ms <= row.p90_ms <= row.p99_ms
        assert row.mean_ms > 0 and row.stdev_ms >= 0 and row.spread >= 0
        assert row.images_per_s == pytest.approx(row.batch / (row.p50_ms / 1e3))
        assert row.gmacs == pytest.approx(CARD.macs * row.images_per_s / 1e9)


def test_ratios_are_paired_with_float32_of_the_same_cell(result):
    base = {(r.backend, r.kernels, r.threads, r.batch): r for r in result.latency if r.variant == "float32"}
    assert len(base) == len(result.latency) // len(VARIANTS)
    for row in result.latency:
        if row.variant == "float32":
            assert row.ratio is None and row.verdict == ""
        else:
            assert (row.backend, row.kernels, row.threads, row.batch) in base
            assert 0 < row.ratio_lo <= row.ratio <= row.ratio_hi
            assert row.verdict in ("faster", "slower", "same", "unclear", "unranked")


def _cell(variant: str, rounds: list[list[float]]):
    return SimpleNamespace(variant=variant, key=("litert", XNNPACK, 1, 1), backend="litert",
                           kernels=XNNPACK, threads=1, batch=1,
                           samples=[np.array(r, np.int64) for r in rounds])


def test_ratio_is_the_median_of_per_round_ratios():
    """Drift that slows a whole round slows both variants; the paired ratio does not move."""
    drift = [1.0, 1.0, 3.0, 1.0, 1.0]
    f32 = _cell("float32", [[1000 * d] * 5 for d in drift])
    i8 = _cell("int8", [[500 * d] * 5 for d in drift])
    rows, noise, noisy = summarise([f32, i8], {"float32": 100, "int8": 100})
    int8 = next(r for r in rows if r.variant == "int8")
    assert int8.ratio == pytest.approx(0.5) and int8.ratio_lo == int8.ratio_hi == pytest.approx(0.5)
    assert int8.verdict == "faster" and not noisy


def test_a_noisy_run_ranks_nothing():
    f32 = _cell("float32", [[1000 * d] * 5 for d in (1, 2, 4, 1, 3)])
    i8 = _cell("int8", [[500 * d] * 5 for d in (1, 2, 4, 1, 3)])
    rows, noise, noisy = summarise([f32, i8], {})
    assert noisy and noise > 0.1
    assert next(r for r in rows if r.variant == "int8").verdict == "unranked"
    assert verdict(0.99, 1.02, noisy=False) == "same"
    assert verdict(0.8, 1.3, noisy=False) == "unclear"
    assert verdict(1.2, 1.3, noisy=False) == "slower"
    assert verdict(0.5, 0.9, noisy=False) == "faster"


def test_pipeline_reads_the_shipped_samples_at_both_resolutions(result):
    sizes = [f"{w}x{h}" for w, h in RESOLUTIONS]
    assert [(s.variant, s.resolution) for s in result.pipeline] == [
        (v, size) for size in sizes for v in ("float32", "int8")]
    for s in result.pipeline:
        assert s.frames == 2 and s.digits_per_frame >= 1  # the samples have digits; the reader finds them
        assert s.fps == pytest.approx(1e3 / s.mean_ms) and 0 < s.p50_ms <= s.p90_ms
        stages = (s.decode_ms, s.segment_ms, s.classify_ms, s.group_ms, s.draw_ms)
        assert min(stages) >= 0 and sum(stages) == pytest.approx(s.mean_ms, rel=1e-6)  # means add up


def test_startup_in_a_fresh_edge_process(result):
    assert [s.runtime for s in result.startup] == ["edge"]
    edge = result.startup[0]
    width, height = RESOLUTIONS[0]
    assert probe_image() is not None  # a shipped sample, so the probe reads a real frame
    assert edge.work.startswith("Reader.read of one ") and edge.work.endswith(" frame")
    assert edge.runs == 1 and not edge.imported_tensorflow
    assert 0 < edge.import_s < edge.cold_start_s and edge.load_s > 0 and edge.first_result_s > 0
    assert 10 < edge.peak_rss_mb < 2000
    assert "not asked for" in result.startup_note


def test_report_shows_every_variant_and_cell(result):
    text = terminal(result)
    assert text.splitlines()[0].startswith("machine ")
    titles = [title for title, _ in sections(result)]
    assert titles[0].startswith("Variants") and titles[1].startswith("Model latency")
    assert {"Pipeline per frame", "Start-up and memory", "Install size", "Targets", "Findings"} \
        <= {t.split(" (")[0] for t in titles}
    variants = dict(sections(result))[titles[0]]
    assert [line.split("|")[1].strip() for line in variants[2:]] == list(VARIANTS)
    latency = dict(sections(result))[titles[1]]
    assert len(latency) == 2 + len(result.latency)  # header, rule, one line per cell
    assert {line.count("|") for line in latency} == {14}  # 13 columns in every row
    assert sum(f"| {v} " in text for v in VARIANTS) == len(VARIANTS)


def test_json_round_trips(result):
    data = json.loads(to_json(result))
    assert data["schema"] == 1 and data["noisy"] == result.noisy
    assert [Variant(**v) for v in data["variants"]] == result.variants
    assert [Latency(**r) for r in data["latency"]] == result.latency
    assert [Stages(**s) for s in data["pipeline"]] == result.pipeline
    assert [Startup(**s) for s in data["startup"]] == result.startup
    assert data["config"]["models_dir"] == str(MODELS_DIR) and data["config"]["threads"] == [1]
    assert data["machine"]["cores"] == result.machine.cores
    assert [i["extra"] for i in data["install"]] == ["edge", "train"]
    assert data["install"][0]["bytes"] == sum(data["install"][0]["packages"].values()) > 0
    assert "numpy" in data["install"][0]["packages"]


def test_missing_test_set_and_models_are_one_line_errors(tmp_path):
    out = CliRunner().invoke(main, ["bench", "--test-set", str(tmp_path / "none.npz"), "--quick"])
    assert out.exit_code == 2 and "run `digits data` first" in out.output
    out = CliRunner().invoke(main, ["bench", "--models", str(tmp_path), "--quick"])
    assert out.exit_code == 2 and "no digits_<variant>.tflite" in out.output


def test_cli_json_and_reports_without_tensorflow(test_set, tmp_path):
    """`digits bench --quick --json` in a fresh process on the int8 model alone: JSON on stdout,
    the reports on disk, and TensorFlow never imported."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODELS_DIR / model_filename("int8"), models)
    out = tmp_path / "reports"
    code = (
        "import sys\n"
        "from digits.cli import main\n"
        f"main(['bench', '--models', {str(models)!r}, '--test-set', {str(test_set)!r}, '--quick',"
        f" '--threads', '1', '--json', '--out', {str(out)!r}], standalone_mode=False)\n"
        "print('TENSORFLOW_IMPORTED', 'tensorflow' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TENSORFLOW_IMPORTED False" in done.stderr
    data = json.loads(done.stdout)  # stdout holds the JSON alone; progress went to stderr
    assert [v["variant"] for v in data["variants"]] == ["int8"]
    assert data["variants"][0]["macs_source"] == "graph" and data["variants"][0]["macs"] == CARD.macs
    assert any("no model_card.json" in w for w in data["warnings"])
    assert {(r["kernels"], r["batch"]) for r in data["latency"]} == {(XNNPACK, 1), (XNNPACK, 8),
                                                                      (BUILTIN, 1), (BUILTIN, 8)}
    assert (out / "bench.md").read_text().startswith("# digits bench")
    assert json.loads((out / "bench.json").read_text()) == data
    assert not list(out.glob(".*.part"))  # atomic writes leave nothing behind


@pytest.mark.skipif(not tensorflow_installed(), reason="TensorFlow is not installed: nothing to compare")
def test_tensorflow_comparison_runs_in_its_own_process():
    model = MODELS_DIR / model_filename("int8")
    edge = startup(model, "litert", 1, probe_image())
    tf = startup(model, "tensorflow", 1, probe_image())
    assert tf.runtime == "tensorflow" and tf.imported_tensorflow and not edge.imported_tensorflow
    assert tf.work == edge.work  # the same frame read through either interpreter
    assert tf.peak_rss_mb > edge.peak_rss_mb


def test_thread_counts_and_requirement_markers():
    assert thread_counts(1) == (1,) and thread_counts(2) == (1, 2) and thread_counts(6) == (1, 2, 4, 6)
    assert _wanted('numpy>=1.24; extra == "edge"', "edge") and not _wanted('numpy; extra == "edge"', "train")
    assert _wanted('colorama; platform_system == "Windows"', None) == (platform.system() == "Windows")
    assert _wanted("numpy>=1.23", None)
