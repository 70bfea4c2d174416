"""`digits bench` end to end on a tiny model with few iterations: structure, never speed.

No test here asserts on a timing: how fast a variant is, is what the benchmark measures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from digits.edge.bench.config import BenchConfig
from digits.edge.bench.install import _wanted
from digits.edge.bench.latency import summarise, verdict
from digits.edge.bench.machine import thread_counts
from digits.edge.bench.report import sections, terminal, to_json
from digits.edge.bench.run import run

from digits.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY_MACS = 14 * 14 * 4 * 3 * 3 + 4 * 10  # conv 3x3 stride 2 to 4 channels, then dense 4 -> 10


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> SimpleNamespace:
    """float32 and int8 .tflite files of a tiny CNN (no model card), and a 64-image test set."""
    pytest.importorskip("tensorflow")
    import keras
    from digits.convert.tflite import convert

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="image"),
        keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    folder = tmp_path_factory.mktemp("tiny")
    models = folder / "models"
    models.mkdir()
    for variant in ("float32", "int8"):
        (models / f"digits_{variant}.tflite").write_bytes(convert(model, variant, calibration=images))
    test_set = folder / "mnist-test.npz"
    np.savez_compressed(test_set, x_test=images, y_test=rng.integers(0, 10, 64).astype(np.uint8))
    return SimpleNamespace(models=models, test_set=test_set, folder=folder, samples=_samples(folder))


def _samples(folder: Path) -> Path:
    """A page of printed digits as an image and as a three-frame video, for the pipeline stage."""
    import cv2

    samples = folder / "samples"
    samples.mkdir()
    page = np.full((480, 640, 3), 235, np.uint8)
    for i, digit in enumerate("3141"):
        cv2.putText(page, digit, (60 + 130 * i, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, (20, 20, 20), 14)
    cv2.imwrite(str(samples / "page.png"), page)
    video = cv2.VideoWriter(str(samples / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for shift in range(3):
        video.write(np.roll(page, 10 * shift, axis=1))
    video.release()
    return samples


@pytest.fixture(scope="session")
def result(tiny):
    config = BenchConfig(models_dir=tiny.models, test_set=tiny.test_set, threads=(1,), rounds=3,
                         latency_budget_s=0.3, warmup_s=0.005, pipeline_frames=2, startup_runs=1,
                         tensorflow=False, samples_dir=tiny.samples)
    return run(config, log=lambda message: None)


def test_help():
    out = CliRunner().invoke(main, ["bench", "--help"])
    assert out.exit_code == 0
    for option in ("--models", "--test-set", "--quick", "--json", "--out", "--threads"):
        assert option in out.output


def test_every_cell_measured_on_the_tiny_model(result):
    assert [v.variant for v in result.variants] == ["float32", "int8"]
    cells = {(r.variant, r.backend, r.kernels, r.threads, r.batch) for r in result.latency}
    backends = {r.backend for r in result.latency}
    assert "litert" in backends
    # variants × backends × kernels × threads × batches
    assert len(cells) == len(result.latency) == 2 * len(backends) * 2 * 1 * 2
    for row in result.latency:
        assert row.rounds == 3 and row.invokes >= 3 * 5
        assert 0 < row.p50_ms <= row.p90_ms <= row.p99_ms
        assert row.images_per_s > 0 and row.gmacs is not None
    for v in result.variants:
        assert v.macs == TINY_MACS and v.macs_source == "graph"  # no card: counted from the graph
        assert v.params is None and 0 <= v.accuracy <= 1 and v.size_bytes > 0
    assert any("no model_card.json" in w for w in result.warnings)


def test_pipeline_stages_at_both_resolutions(result):
    if result.pipeline_note and "reader is not available" in result.pipeline_note:
        pytest.skip(result.pipeline_note)
    assert [(s.variant, s.resolution) for s in result.pipeline] == [
        ("float32", "640x480"), ("int8", "640x480"), ("float32", "1280x720"), ("int8", "1280x720")]
    for s in result.pipeline:
        assert s.frames == 2 and s.fps > 0 and 0 < s.p50_ms <= s.p90_ms
        stages = (s.decode_ms, s.segment_ms, s.classify_ms, s.group_ms, s.draw_ms)
        assert min(stages) >= 0 and sum(stages) == pytest.approx(s.mean_ms, rel=1e-6)  # means add up
    assert result.startup[0].work.startswith("Reader.read")  # start-up reads a sample frame


def test_ratios_are_paired_with_float32_of_the_same_cell(result):
    base = {(r.backend, r.kernels, r.threads, r.batch): r for r in result.latency if r.variant == "float32"}
    for row in result.latency:
        if row.variant == "float32":
            assert row.ratio is None and row.verdict == ""
        else:
            assert (row.backend, row.kernels, row.threads, row.batch) in base
            assert row.ratio_lo <= row.ratio <= row.ratio_hi
            assert row.verdict in ("faster", "slower", "same", "unclear", "unranked")


def _cell(variant: str, rounds: list[list[float]]):
    return SimpleNamespace(variant=variant, key=("litert", "xnnpack", 1, 1), backend="litert",
                           kernels="xnnpack", threads=1, batch=1,
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


def test_table_structure(result):
    text = terminal(result)
    assert text.splitlines()[0].startswith("machine ")
    titles = [title for title, _ in sections(result)]
    assert titles[0].startswith("Variants") and titles[1].startswith("Model latency")
    assert {"Start-up and memory", "Targets", "Findings"} <= {t.split(" (")[0] for t in titles}
    latency = dict(sections(result))[titles[1]]
    assert len(latency) == 2 + len(result.latency)  # header, rule, one line per cell
    assert len({line.count("|") for line in latency}) == 1  # every row has every column
    assert latency[0].count("|") == 14  # 13 columns


def test_missing_test_set_and_models_are_one_line_errors(tiny, tmp_path):
    out = CliRunner().invoke(main, ["bench", "--models", str(tiny.models), "--test-set",
                                    str(tmp_path / "none.npz"), "--quick"])
    assert out.exit_code == 2 and "run `digits data` first" in out.output
    out = CliRunner().invoke(main, ["bench", "--models", str(tmp_path), "--quick"])
    assert out.exit_code == 2 and "no digits_<variant>.tflite" in out.output


def test_cli_json_schema_reports_and_no_tensorflow(tiny, tmp_path):
    """`digits bench --json` in a fresh process: the schema, the reports, and TensorFlow never
    imported, even when the start-up comparison runs it (in a child process of its own)."""
    code = (
        "import json, sys\n"
        "from digits.cli import main\n"
        f"main(['bench', '--models', {str(tiny.models)!r}, '--test-set', {str(tiny.test_set)!r},"
        f" '--quick', '--threads', '1', '--tensorflow', '--json', '--out', {str(tmp_path)!r}],"
        " standalone_mode=False)\n"
        "print('TENSORFLOW_IMPORTED', 'tensorflow' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "TENSORFLOW_IMPORTED False" in done.stderr
    data = json.loads(done.stdout)  # stdout holds the JSON alone; progress went to stderr
    runtimes = {s["runtime"]: s for s in data["startup"]}
    assert not runtimes["edge"]["imported_tensorflow"]
    assert runtimes["tensorflow"]["imported_tensorflow"]  # the comparison really ran TensorFlow

    assert data["schema"] == 1
    machine_keys = {"cpu", "arch", "cores", "isa", "governor", "python", "libraries", "load_before"}
    assert machine_keys <= set(data["machine"])
    assert {"variant", "accuracy", "size_bytes", "params", "macs", "macs_source"} <= set(data["variants"][0])
    assert {"p50_ms", "p90_ms", "p99_ms", "mean_ms", "stdev_ms", "images_per_s", "gmacs", "ratio", "ratio_lo",
            "ratio_hi", "verdict", "spread"} <= set(data["latency"][0])
    assert isinstance(data["noisy"], bool) and isinstance(data["findings"], list) and data["targets"]
    assert data["pipeline"] or data["pipeline_note"]
    assert [i["extra"] for i in data["install"]] == ["edge", "train"]
    assert "numpy" in data["install"][0]["packages"]
    assert (tmp_path / "bench.md").read_text().startswith("# digits bench")
    assert json.loads((tmp_path / "bench.json").read_text())["schema"] == 1
    assert not list(tmp_path.glob(".*.part"))  # atomic writes leave nothing behind


def test_result_serialises(result):
    assert json.loads(to_json(result))["latency"][0]["variant"] in ("float32", "int8")


def test_thread_counts_and_requirement_markers():
    assert thread_counts(1) == (1,) and thread_counts(2) == (1, 2) and thread_counts(6) == (1, 2, 4, 6)
    assert _wanted('numpy>=1.24; extra == "edge"', "edge") and not _wanted('numpy; extra == "edge"', "train")
    assert not _wanted('colorama; platform_system == "Windows"', None) or sys.platform == "win32"
    assert _wanted("numpy>=1.23", None)
