"""The architecture's contracts hold on the tree, and break when a forbidden import is added."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.layers import ROOT, check

FOLDERS = ("digits", "train", "convert", "edge", "scenes")


@pytest.fixture(scope="module")
def verdict_on_the_tree():
    return check(ROOT)


def test_the_tree_keeps_every_contract(verdict_on_the_tree):
    assert verdict_on_the_tree.returncode == 0, verdict_on_the_tree.stdout[-2000:]
    assert "0 broken" in verdict_on_the_tree.stdout


def copy_of_the_tree(tmp: Path) -> Path:
    shutil.copy2(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, tmp / folder, ignore=shutil.ignore_patterns(
            "__pycache__", "*.tflite", "*.mp4", "*.jpg", "*.png", "real"))
    return tmp


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("edge/core/reader.py", "import tensorflow", "The edge runtime never imports TensorFlow"),
    ("edge/capture/sources.py", "from digits.train import data", "The pipeline points one way"),
    ("train/data.py", "from digits.scenes import generate", "The pipeline points one way"),
    ("edge/core/segment.py", "import click", "The reader's core knows nothing"),
    ("edge/core/numbers.py", "from digits.edge.live import serve", "The reader's core knows nothing"),
    ("edge/capture/capture.py", "from digits.edge.bench import latency", "Inside edge"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contract):
    tree = copy_of_the_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    done = check(tree)
    assert done.returncode != 0
    broken = done.stdout[done.stdout.find("Broken contracts"):]
    assert contract in broken


def test_the_command_line_imports_no_training_code():
    """What a Pi runs, `digits read`'s entry point, loads neither the training side nor TensorFlow."""
    import subprocess
    import sys

    probe = ("import sys, digits.cli, digits.edge.cli, digits.edge.live.cli, digits.edge.bench.cli; "
             "print(sorted({m.split('.')[0] if not m.startswith('digits.') else '.'.join(m.split('.')[:2]) "
             "for m in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd="/")
    loaded = done.stdout
    assert done.returncode == 0, done.stderr
    assert "'digits.edge'" in loaded  # the probe did import the runtime
    for name in ("'digits.train'", "'digits.convert'", "'tensorflow'", "'keras'"):
        assert name not in loaded
