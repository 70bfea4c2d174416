"""`digits read` and `digits camera` as a user runs them: tables, JSON lines, overlays, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from digits.cli import main
from digits.edge.core.shipped import default_model

MODEL = Path(os.environ.get("DIGITS_TEST_MODEL") or default_model("int8"))
pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason=f"no shipped model at {MODEL}")


def write_page(path: Path, text: str = "38") -> Path:
    page = np.full((240, 320, 3), 230, np.uint8)
    x = 60
    for ch in text:
        cv2.putText(page, ch, (x, 160), cv2.FONT_HERSHEY_SIMPLEX, 3, (25, 25, 25), 9, cv2.LINE_AA)
        x += 80
    cv2.imwrite(str(path), page)
    return path


def run(*args: str):
    args = [str(a) for a in args]
    if "--model" not in args and args[0] in ("read", "camera"):
        args += ["--model", str(MODEL)]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path):
    write_page(tmp_path / "a.png", "38")
    write_page(tmp_path / "c.jpg", "5")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    return tmp_path


def test_read_prints_a_table_and_reads_past_a_bad_image(folder):
    code, out, err = run("read", folder, "--threads", "1")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["image", "size", "ms", "digits"]
    assert len(lines) == 3 and "a.png" in lines[1] and "c.jpg" in lines[2]
    assert "38" in lines[1] and lines[2].split()[-2] == "5"
    assert err.count("error:") == 1 and "b.png" in err and "1 of 3 images" in err


def test_read_json_is_one_object_per_line(folder, tmp_path):
    overlays = tmp_path / "over"
    code, out, err = run("read", folder / "a.png", folder / "c.jpg", "--json", "--save-overlay", overlays)
    assert code == 0, err
    objs = [json.loads(line) for line in out.strip().splitlines()]
    assert [o["image"] for o in objs] == [str(folder / "a.png"), str(folder / "c.jpg")]
    assert [[n["text"] for n in o["numbers"]] for o in objs] == [["38"], ["5"]]
    assert all(set(o) == {"image", "frame", "width", "height", "digits", "numbers", "timings_ms"}
               for o in objs)
    assert sorted(p.name for p in overlays.iterdir()) == ["a.png", "c.png"]
    assert cv2.imread(str(overlays / "a.png")).shape == (240, 320, 3)


def test_read_usage_mistakes_exit_2_with_one_line(tmp_path):
    code, out, err = run("read", tmp_path / "missing.png")
    assert code == 2 and err.strip().count("\n") == 0 and "missing.png" in err
    code, out, err = run("read", tmp_path / "x.png", "--threads", "0")
    assert code == 2
    code, out, err = run("read", write_page(tmp_path / "p.png"), "--model", tmp_path / "nope.tflite")
    assert code == 2 and "no such model" in err


def test_a_model_that_is_not_a_digit_model_is_one_line_and_exit_1(tmp_path):
    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"TFL3" + bytes(range(256)) * 8)
    code, out, err = run("read", write_page(tmp_path / "p.png"), "--model", bogus)
    assert code == 1
    assert err.startswith("error:") and err.strip().count("\n") == 0 and "bogus.tflite" in err


def test_odd_images_one_pixel_empty_and_huge(tmp_path):
    cv2.imwrite(str(tmp_path / "one.png"), np.zeros((1, 1, 3), np.uint8))
    code, out, err = run("read", tmp_path / "one.png", "--json")
    assert code == 0 and json.loads(out)["digits"] == []
    (tmp_path / "empty.jpg").write_bytes(b"")
    code, out, err = run("read", tmp_path / "empty.jpg")
    assert code == 1 and "empty file" in err
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (10000).to_bytes(4, "big") * 2 + b"\x08\x02"
    (tmp_path / "huge.png").write_bytes(header + bytes(64))
    code, out, err = run("read", tmp_path / "huge.png")
    assert code == 1 and "too large" in err


def test_camera_headless_on_a_video_prints_numbers_as_they_change(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for text in ("38", "38", "38", "5", "5"):
        write_page(tmp_path / "f.png", text)
        writer.write(cv2.imread(str(tmp_path / "f.png")))
    writer.release()
    code, out, err = run("camera", "--source", path, "--headless", "--threads", "1")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split()[-1] for line in lines] == ["38", "5"]
    assert "5 frames" in err
    code, out, err = run("camera", "--source", path, "--headless", "--max-frames", "2",
                         "--save-overlay", tmp_path / "over")
    assert code == 0 and len(list((tmp_path / "over").iterdir())) == 2


def test_camera_that_is_not_there_exits_1(tmp_path):
    code, out, err = run("camera", "--source", "/dev/video99", "--headless")
    assert code == 1 and "no such camera" in err


def test_camera_window_without_gui_support_is_a_usage_error(tmp_path):
    if hasattr(cv2, "imshow"):
        try:
            cv2.namedWindow("probe")
            cv2.destroyAllWindows()
            pytest.skip("this OpenCV can open windows")
        except cv2.error:
            pass
    code, out, err = run("camera", "--source", write_page(tmp_path / "p.png"))
    assert code == 2 and "--headless" in err


def test_overlay_names_never_collide(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write_page(a / "p.png", "38")
    write_page(a / "p.jpg", "5")
    write_page(b / "p.png", "7")
    write_page(a / "q.png", "1")
    out = tmp_path / "over"
    code, _, err = run("read", a, b, "--save-overlay", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["p.jpg.png", "p.png-2.png", "p.png.png", "q.png"]


def test_rotate_turns_every_frame_clockwise(tmp_path):
    page = write_page(tmp_path / "p.png", "38")
    code, out, err = run("read", page, "--json", "--rotate", "90")
    assert code == 0 and (json.loads(out)["width"], json.loads(out)["height"]) == (240, 320)
    cv2.imwrite(str(page), cv2.rotate(cv2.imread(str(page)), cv2.ROTATE_90_COUNTERCLOCKWISE))
    code, out, err = run("read", page, "--json", "--rotate", "90")  # a page photographed sideways
    assert [n["text"] for n in json.loads(out)["numbers"]] == ["38"]
    assert run("read", page, "--rotate", "45")[0] == 2


def test_a_model_with_a_fixed_batch_of_one_reads_digit_by_digit(tmp_path):
    """tests/data/fixed_batch1.tflite: keras.Input((28, 28, 1), batch_size=1), Conv2D(2, 3,
    strides=4), Reshape((-1,)), Dense(10), Softmax(), converted with TFLiteConverter: XNNPACK
    cannot resize it to a batch of two."""
    fixed = Path(__file__).parent / "data" / "fixed_batch1.tflite"
    code, out, err = run("read", write_page(tmp_path / "p.png", "38"), "--json", "--model", fixed,
                         "--min-confidence", "0")
    assert code == 0, err
    assert len(json.loads(out)["digits"]) == 2  # both digits classified, one invoke each
    assert "digit by digit" in err and "Traceback" not in err


def test_digits_read_writes_nothing_to_stderr(tmp_path):
    """LiteRT's own "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." included."""
    import subprocess
    import sys

    digits = Path(sys.executable).parent / "digits"
    sample = Path(__file__).resolve().parent.parent / "edge" / "samples" / "clean.png"
    run_ = subprocess.run([str(digits), "read", str(sample)], capture_output=True, text=True, timeout=60)
    assert run_.returncode == 0
    assert run_.stderr == ""
