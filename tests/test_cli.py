"""The CLI's edges: --help everywhere, one-line errors with exit codes, no TensorFlow on the edge."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from digits.cli import main
from digits.common.errors import DigitsError
from digits.common.files import atomic_path, write_bytes
from digits.edge.core.shipped import default_model

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digits.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


def assert_one_line_error(done: subprocess.CompletedProcess, code: int, text: str) -> None:
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and text in lines[-1], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["", "data", "train", "evaluate", "convert"])
def test_every_command_explains_itself(command):
    result = CliRunner().invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.splitlines()) > 6


def test_missing_model_is_a_usage_error(tmp_path):
    assert_one_line_error(run("evaluate", str(tmp_path / "nope.tflite"), "--no-camera"), 2,
                          "no such model file")


def test_truncated_tflite_is_one_clear_line(tmp_path):
    bad = tmp_path / "digits_int8.tflite"
    bad.write_bytes(default_model("int8").read_bytes()[:2000])
    done = run("evaluate", str(bad), "--no-camera", "--reports", str(tmp_path / "r"))
    assert_one_line_error(done, 1, "not a readable TFLite model")
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").iterdir())


def test_wrong_kind_of_file_is_refused(tmp_path):
    other = tmp_path / "model.onnx"
    other.write_bytes(b"x")
    assert_one_line_error(run("evaluate", str(other), "--no-camera"), 2, "expected a .keras or .tflite")


def test_missing_keras_model_for_convert(tmp_path):
    done = run("convert", "--model", str(tmp_path / "none.keras"), "--out", str(tmp_path / "m"))
    assert_one_line_error(done, 2, "no such Keras model")


def test_train_refuses_a_missing_or_contradictory_digit_model(tmp_path):
    """Checked before TensorFlow is even imported: one line, exit 2, nothing trained."""
    done = run("train", "--from-digits", str(tmp_path / "none.keras"), "--out", str(tmp_path / "a"))
    assert_one_line_error(done, 2, "no such model file")
    done = run("train", "--ten", "--from-digits", str(tmp_path / "x.keras"), "--out", str(tmp_path / "a"))
    assert_one_line_error(done, 2, "give one of them")
    done = run("train", "--tune-epochs", "4", "--out", str(tmp_path / "a"))
    assert_one_line_error(done, 2, "--tune-epochs tunes the model in a float32 .tflite")
    assert not (tmp_path / "a").exists()


def test_corrupt_data_file_is_refused(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"\x00" * 100)
    assert_one_line_error(run("data", "--data", str(bad), "--cache-dir", str(tmp_path / "c")), 1,
                          "not an .npz file")
    assert not (tmp_path / "c" / "mnist-verified.npz").exists()


def test_checksum_mismatch_is_refused(mnist, tmp_path):
    npz = tmp_path / "mnist.npz"
    x_test = mnist.x_test.copy()
    x_test[0, 0, 0] = 7
    np.savez(npz, x_train=mnist.x_train, y_train=mnist.y_train, x_test=x_test, y_test=mnist.y_test)
    assert_one_line_error(run("data", "--data", str(npz), "--cache-dir", str(tmp_path / "c")), 1,
                          "does not match the canonical MNIST checksum")


def test_bad_option_value_exits_2():
    assert run("convert", "--max-drop", "-1").returncode == 2


def test_full_disk_leaves_nothing_half_written(tmp_path, monkeypatch):
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", no_space)
    with pytest.raises(DigitsError, match="No space left on device"):
        write_bytes(target, b"new model")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.tflite"]


def test_interrupted_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "card.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


FAKE_TENSORFLOW = "raise ImportError('TensorFlow must not be imported on the edge')\n"


def test_edge_commands_never_import_tensorflow(tmp_path, mnist):
    """An importable `tensorflow` that raises: the CLI and a .tflite evaluation still work."""
    fake = tmp_path / "fake"
    (fake / "tensorflow").mkdir(parents=True)
    (fake / "tensorflow" / "__init__.py").write_text(FAKE_TENSORFLOW)
    env = {"PYTHONPATH": f"{fake}{os.pathsep}{ROOT}"}
    assert run("--help", env=env).returncode == 0
    done = run("evaluate", str(default_model("int8")), "--no-camera", "--reports", str(tmp_path / "r"),
               "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert '"accuracy": 0.99' in done.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, digits.cli, digits.edge.core.interpreter, "
         "digits.edge.core.preprocess, "
         "digits.train.data;"
         "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})
    assert probe.stdout.strip() == "[]", probe.stderr


def test_edge_only_install_evaluates_tflite_without_plots(tmp_path):
    """No TensorFlow, matplotlib or Pillow (a Pi with the edge extra): tables, no traceback."""
    fake = tmp_path / "fake"
    for name in ("tensorflow", "matplotlib", "PIL"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text(f"raise ImportError('no {name} on the edge')\n")
    env = {"PYTHONPATH": f"{fake}{os.pathsep}{ROOT}"}
    done = run("evaluate", str(default_model("int8")), "--reports", str(tmp_path / "r"), env=env)
    assert done.returncode == 0, done.stderr
    assert "camera-like test set: accuracy" in done.stdout
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["digits_int8.md"]


def test_progress_shows_a_bar_only_to_a_person_at_a_terminal(monkeypatch):
    """Long scoring runs show a bar on a terminal; a script reading stderr gets nothing."""
    import io

    from digits.common.progress import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    with progress(range(3), "pages") as items:
        assert list(items) == [0, 1, 2]
    assert quiet.getvalue() == ""
    shown = Terminal()
    monkeypatch.setattr("sys.stderr", shown)
    with progress(range(3), "pages") as items:
        assert list(items) == [0, 1, 2]
    assert "pages" in shown.getvalue()
