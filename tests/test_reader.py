"""The reader end to end: JSON schema, one invoke per frame, touching digits, no TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from digits.edge.core.reader import DigitRead, FrameResult, NumberRead, Reader, to_json
from digits.edge.core.shipped import default_model
from digits.edge.errors import ImageError

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(os.environ.get("DIGITS_TEST_MODEL") or default_model("int8"))
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason=f"no shipped model at {MODEL}")


@pytest.fixture(scope="module")
def reader() -> Reader:
    if not MODEL.is_file():
        pytest.skip(f"no shipped model at {MODEL}")
    return Reader(MODEL, threads=1)


@pytest.fixture(scope="module")
def page(mnist) -> tuple[np.ndarray, str]:
    """Five MNIST test digits (two numbers) drawn dark on a light, unevenly lit page."""
    picks = {d: int(np.flatnonzero(mnist.y_test == d)[3]) for d in range(10)}
    page = np.full((480, 640), 225, np.float32)
    for text, (x0, y0) in (("407", (120, 140)), ("25", (330, 300))):
        x = x0
        for ch in text:
            digit = cv2.resize(mnist.x_test[picks[int(ch)]], (84, 84), interpolation=cv2.INTER_CUBIC)
            page[y0 : y0 + 84, x : x + 84] -= digit.astype(np.float32) * 0.8
            x += 62
    page *= np.linspace(0.7, 1.0, 640, dtype=np.float32)[None, :]
    return cv2.cvtColor(np.clip(page, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), "407 25"


def test_reads_digits_and_numbers(reader, page):
    image, text = page
    result = reader.read(image)
    assert isinstance(result, FrameResult) and (result.width, result.height) == (640, 480)
    assert " ".join(n.text for n in result.numbers) == text
    assert all(isinstance(d, DigitRead) and 0.5 <= d.confidence <= 1 for d in result.digits)
    assert all(isinstance(n, NumberRead) for n in result.numbers)
    assert [d.label for d in result.digits] == [4, 0, 7, 2, 5]
    first = result.numbers[0]
    assert first.confidence == pytest.approx(np.prod([result.digits[i].confidence for i in first.digits]),
                                             abs=1e-3)
    assert set(result.timings_ms) == {"segment", "classify", "total"}
    assert result.timings_ms["total"] >= result.timings_ms["segment"] + result.timings_ms["classify"]


def test_json_has_exactly_the_schema(reader, page):
    result = reader.read(page[0])
    obj = json.loads(json.dumps(to_json(result, image="a.png", frame=3, decode_ms=1.5)))
    assert list(obj) == ["image", "frame", "width", "height", "digits", "numbers", "timings_ms"]
    assert obj["image"] == "a.png" and obj["frame"] == 3 and (obj["width"], obj["height"]) == (640, 480)
    assert list(obj["timings_ms"]) == ["decode", "segment", "classify", "total"]
    assert obj["timings_ms"]["decode"] == 1.5
    for d in obj["digits"]:
        assert list(d) == ["box", "label", "confidence"]
        assert len(d["box"]) == 4 and all(isinstance(v, int) for v in d["box"])
        assert isinstance(d["label"], int) and isinstance(d["confidence"], float)
    for n in obj["numbers"]:
        assert list(n) == ["box", "text", "confidence"] and n["text"].isdigit()
        x, y, w, h = n["box"]  # the union of its digits' boxes
        inside = [d["box"] for d in obj["digits"] if x <= d["box"][0] and d["box"][0] + d["box"][2] <= x + w]
        assert min(b[0] for b in inside) == x and max(b[0] + b[2] for b in inside) == x + w


def test_every_crop_of_a_frame_goes_in_one_invoke(reader, page, monkeypatch):
    calls = []
    original = reader.classifier.probabilities
    monkeypatch.setattr(reader.classifier, "probabilities",
                        lambda images: calls.append(len(images)) or original(images))
    reader.read(page[0])
    assert len(calls) == 1 and calls[0] >= 5


def test_touching_digits_are_cut(reader, mnist):
    zero, one = (mnist.x_test[int(np.flatnonzero(mnist.y_test == d)[0])] for d in (3, 8))
    page = np.full((480, 640), 230, np.float32)
    for i, digit in enumerate((zero, one)):
        big = cv2.resize(digit, (112, 112), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        x = 200 + i * 62  # the two digits' ink overlaps
        page[150:262, x : x + 112] = np.minimum(page[150:262, x : x + 112], 230 - big * 0.85)
    image = cv2.cvtColor(page.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    result = reader.read(image)
    assert [n.text for n in result.numbers] == ["38"]


def test_a_blob_no_wider_than_a_digit_is_not_taken_apart_into_1s_only(reader):
    """Its pieces apart, a narrow blob that is a few columns of print on their side reads as
    1s: it stays whole (and unread). A wide blob cut into 1s is a touching "11", and so are two
    strokes joined as one broken digit, each a part of its own (a "113" written close)."""
    from digits.edge.core.blob import Blob

    ones, one_seven = np.zeros((2, 11)), np.zeros((2, 11))
    ones[:, 1] = 0.99
    one_seven[0, 1], one_seven[1, 7] = 0.99, 0.99
    narrow = Blob((0, 0, 40, 60), np.zeros((60, 40)), pieces=5)
    wide = Blob((0, 0, 80, 60), np.zeros((60, 80)), pieces=5)
    assert reader._slices(narrow, ones) and not reader._slices(narrow, one_seven)
    assert not reader._slices(wide, ones)
    two_strokes = Blob((0, 0, 15, 35), np.zeros((35, 15)), pieces=2)
    assert not reader._slices(two_strokes, ones)


@pytest.mark.parametrize(("digit", "index"), [(4, 5), (2, 3), (3, 0), (3, 4), (5, 0), (8, 0), (9, 0)])
def test_a_minus_written_against_the_digit_after_it_leaves_the_digit(reader, mnist, digit, index):
    """A "-" 2 px from a digit is joined to it as a broken-off stroke; together they are too
    wide to be one digit and read as "not a digit". The digit is offered without it, and read."""
    ink = cv2.resize(mnist.x_test[np.flatnonzero(mnist.y_test == digit)[index]], (60, 60),
                     interpolation=cv2.INTER_CUBIC).astype(np.float32)
    page = np.full((200, 300), 230, np.float32)
    page[60:120, 150:210] = np.minimum(page[60:120, 150:210], 230 - ink * 0.85)
    left = 150 + int(np.flatnonzero(ink.max(axis=0) > 60)[0])
    page[88:93, left - 24 : left - 2] = 40  # the minus: 22 px long, 2 px from the digit
    result = reader.read(cv2.cvtColor(page.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    assert [n.text for n in result.numbers] == [str(digit)]


def test_a_forms_small_print_is_left_out_but_a_small_0_inside_a_number_is_not(reader, mnist):
    """Marks written into a form's cells (35 px) beside its printed question numbers (11 px),
    as many: the print is dropped. A 0 written as small (13 px) inside a number is kept."""
    def digit(d: int, k: int = 0) -> np.ndarray:
        return mnist.x_test[int(np.flatnonzero(mnist.y_test == d)[k])]

    page, print_ = np.full((420, 640), 235, np.float32), np.full((420, 640), 255, np.uint8)
    for i, d in enumerate((2, 5, 7, 3, 8, 6)):  # written marks, one in each cell
        x, y = 60 + (i % 3) * 200, 80 + (i // 3) * 180
        ink = cv2.resize(digit(d), (48, 48), interpolation=cv2.INTER_CUBIC).astype(np.float32)
        page[y : y + 48, x : x + 48] = np.minimum(page[y : y + 48, x : x + 48], 235 - ink * 0.85)
        cv2.putText(print_, str(i + 1), (x - 40, y - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 30, 1,
                    cv2.LINE_AA)  # the printed question number, 11 px tall
    page = np.minimum(page, print_)
    image = cv2.cvtColor(page.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    result = reader.read(image)
    assert sorted(n.text for n in result.numbers) == ["2", "3", "5", "6", "7", "8"]
    assert result.small_print == 6  # still read as digits where the page's looks are weighed
    small_zero = cv2.resize(digit(0, 3), (18, 18), interpolation=cv2.INTER_AREA).astype(np.float32)
    page[110:128, 112:130] = np.minimum(page[110:128, 112:130], 235 - small_zero * 0.85)  # "20"
    image = cv2.cvtColor(page.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    assert sorted(n.text for n in reader.read(image).numbers) == ["20", "3", "5", "6", "7", "8"]


def test_blank_and_tiny_frames_read_as_nothing(reader):
    for frame in (np.full((480, 640, 3), 255, np.uint8), np.zeros((1, 1, 3), np.uint8),
                  np.zeros((480, 640), np.uint8)):
        result = reader.read(frame)
        assert result.digits == () and result.numbers == ()


def test_not_an_image_is_an_image_error(reader):
    with pytest.raises(ImageError):
        reader.read(np.zeros((0, 10, 3), np.uint8))
    with pytest.raises(ImageError):
        reader.read("frame.png")


@needs_model
def test_reader_works_when_tensorflow_is_importable_but_raises(tmp_path):
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('TensorFlow must not be imported on the edge')\n")
    script = textwrap.dedent("""
        import sys
        import numpy as np, cv2
        from digits.edge.core.reader import Reader
        page = np.full((240, 320, 3), 230, np.uint8)
        cv2.putText(page, "7", (120, 170), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 12)
        result = Reader(sys.argv[1], threads=1).read(page)
        assert "tensorflow" not in sys.modules or sys.modules["tensorflow"] is None
        print(len(result.digits), [d.label for d in result.digits])
    """)
    env = {"PYTHONPATH": f"{fake.parent}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script, str(MODEL)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 [7]")
    check = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=60)
    assert "must not be imported" in check.stderr  # the fake really is what `import tensorflow` finds


def test_overlay_draws_on_a_copy_with_labels_inside_the_frame():
    from digits.edge.overlay import draw

    frame = np.full((120, 160, 3), 200, np.uint8)
    before = frame.copy()
    digits = (DigitRead((0, 0, 20, 30), 4, 0.99, 9, 0.01), DigitRead((140, 95, 20, 25), 7, 0.9, 1, 0.05))
    numbers = (NumberRead((0, 0, 20, 30), "4", 0.99, (0,)), NumberRead((140, 95, 20, 25), "7", 0.9, (1,)))
    result = FrameResult(160, 120, digits, numbers, {"segment": 1.0, "classify": 1.0, "total": 2.0})
    out = draw(frame, result, fps=29.7)
    assert np.array_equal(frame, before)  # drawing never touches the frame it is given
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert (out != frame).any(axis=2).sum() > 500
    grey = draw(frame[..., 0], result)  # grey frames come back as BGR
    assert grey.shape == (120, 160, 3)


def test_overlay_labels_are_sized_to_the_picture_and_leave_the_digits_visible():
    """A digit filling the frame gets the same label as a small one, and no label covers a
    digit read beside it."""
    from digits.edge.overlay import DIGIT_COLOUR, NUMBER_COLOUR, draw

    frame = np.full((480, 640, 3), 255, np.uint8)

    def label_rows(box) -> int:
        digit = (DigitRead(box, 7, 0.99, 1, 0.01),)
        out = draw(frame, FrameResult(640, 480, digit, (), {}))
        band = np.all(out == DIGIT_COLOUR, axis=2)
        x, y, w, h = box
        band[y : y + h, x : x + w] = False  # the box's own outline
        band[max(0, y - 3) : y + h + 3, max(0, x - 3) : x + w + 3] = False
        return int(band.any(axis=1).sum())

    small, big = label_rows((300, 100, 30, 40)), label_rows((100, 20, 300, 420))
    assert 5 < small < 40 and abs(big - small) <= 2
    # two rows of digits close together: the top row's number label goes where no digit is
    top = tuple(DigitRead((100 + 60 * i, 60, 40, 60), i, 0.99, 9, 0.01) for i in range(3))
    bottom = tuple(DigitRead((100 + 60 * i, 135, 40, 60), i, 0.99, 9, 0.01) for i in range(3))
    numbers = (NumberRead((100, 60, 160, 60), "012", 0.97, (0, 1, 2)),
               NumberRead((100, 135, 160, 60), "012", 0.97, (3, 4, 5)))
    out = draw(frame, FrameResult(640, 480, top + bottom, numbers, {}))
    for d in top + bottom:
        x, y, w, h = d.box
        inner = out[y + 4 : y + h - 4, x + 4 : x + w - 4]
        assert not np.all(inner == NUMBER_COLOUR, axis=2).any(), d.box


def test_a_written_sum_reads_as_its_numbers_not_one_long_one(reader, mnist):
    """"3 + 21 = 7" with the signs spaced like the digits: without the signs between them the
    line would be one regularly spaced number, "3217"."""
    picks = {d: int(np.flatnonzero(mnist.y_test == d)[3]) for d in range(10)}
    page = np.full((300, 640), 225, np.float32)
    x = 40
    for ch in "3+21=7":
        if ch.isdigit():
            digit = cv2.resize(mnist.x_test[picks[int(ch)]], (72, 72), interpolation=cv2.INTER_CUBIC)
            page[110:182, x : x + 72] -= digit.astype(np.float32) * 0.8
            x += 52 if ch == "2" else 62
        else:
            mid = 146
            if ch == "+":
                cv2.line(page, (x + 4, mid), (x + 40, mid), 40, 6)
                cv2.line(page, (x + 22, mid - 18), (x + 22, mid + 18), 40, 6)
            else:
                cv2.line(page, (x + 4, mid - 9), (x + 40, mid - 9), 40, 6)
                cv2.line(page, (x + 4, mid + 9), (x + 40, mid + 9), 40, 6)
            x += 46
    image = cv2.cvtColor(np.clip(page, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    result = reader.read(image)
    assert [d.label for d in result.digits] == [3, 2, 1, 7]
    assert [n.text for n in result.numbers] == ["3", "21", "7"]


def test_single_digits_in_a_ruled_table_are_numbers_of_their_own(reader, mnist):
    """One digit per cell, spaced alike: without the table's walls between them a row would be
    one regularly spaced number."""
    picks = {d: int(np.flatnonzero(mnist.y_test == d)[3]) for d in range(10)}
    page = np.full((360, 640), 225, np.float32)
    x0, y0, cell_w, cell_h = 40, 60, 110, 90
    for r in range(3):
        cv2.line(page, (x0, y0 + r * cell_h), (x0 + 5 * cell_w, y0 + r * cell_h), 60, 3)
    for c in range(6):
        cv2.line(page, (x0 + c * cell_w, y0), (x0 + c * cell_w, y0 + 2 * cell_h), 60, 3)
    for r, text in enumerate(("40725", "13869")):
        for c, ch in enumerate(text):
            digit = cv2.resize(mnist.x_test[picks[int(ch)]], (72, 72), interpolation=cv2.INTER_CUBIC)
            x, y = x0 + c * cell_w + 19, y0 + r * cell_h + 9
            page[y : y + 72, x : x + 72] -= digit.astype(np.float32) * 0.8
    result = reader.read(cv2.cvtColor(np.clip(page, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    assert [n.text for n in result.numbers] == list("4072513869")
