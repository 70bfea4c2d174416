"""The scene generator and scorer, and the reader's scores on a small generated set."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from digits.edge.core.shipped import default_model
from digits.scenes.generate import HEIGHT, HEIGHT_RANGE, LEVELS, WIDTH, GlyphBank, generate, write_set
from digits.scenes.score import FrameScore, Tally, iou, match_boxes, score_frame

# Floors well under what the reader scores (see README), to catch a regression, not to
# restate the goals. 12 pages a level keep this under a few seconds.
FLOORS = {"clean": (0.95, 0.85), "camera": (0.90, 0.75), "hard": (0.65, 0.45), "real": (0.5, 0.25)}
PAGES = 12


@pytest.fixture(scope="module")
def bank(mnist) -> GlyphBank:
    return GlyphBank.load(mnist=mnist)


def test_iou_and_one_to_one_matching():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    truth = [(0, 0, 10, 10), (12, 0, 10, 10)]
    read = [(1, 0, 10, 10), (0, 0, 22, 10), (12, 1, 10, 9)]
    assert sorted(match_boxes(truth, read)) == [(0, 0), (1, 2)]


def test_score_counts_wrong_labels_as_both_errors_and_numbers_by_text():
    truth = {"digits": [{"box": [0, 0, 10, 20], "label": 4}, {"box": [12, 0, 10, 20], "label": 2}],
             "numbers": [{"box": [0, 0, 22, 20], "text": "42"}]}
    read = {"digits": [{"box": [0, 0, 10, 20], "label": 4}, {"box": [12, 0, 10, 20], "label": 7},
                       {"box": [100, 100, 5, 20], "label": 1}],
            "numbers": [{"box": [0, 0, 22, 20], "text": "47"}, {"box": [100, 100, 5, 20], "text": "1"}]}
    s = score_frame(truth, read)
    assert (s.truth_digits, s.read_digits, s.correct_digits, s.located_digits) == (2, 3, 1, 2)
    assert (s.exact_numbers, s.missed) == (0, ("42",))
    tally = Tally()
    tally.add(s)
    tally.add(FrameScore(2, 2, 2, 2, 1, 1, 1))
    assert tally.digit_precision == pytest.approx(3 / 5) and tally.digit_recall == pytest.approx(3 / 4)
    assert tally.digit_f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert tally.number_exact == 0.5 and tally.frames_exact == 0.5


@pytest.mark.parametrize("level", [lv for lv in LEVELS if lv != "real"])
def test_scenes_follow_the_spec_and_are_reproducible(bank, level):
    scenes = list(generate(bank, level, 6, seed=3))
    again = next(iter(generate(bank, level, 1, seed=3)))
    assert np.array_equal(scenes[0].image, again.image)
    for scene in scenes:
        assert scene.image.shape == (HEIGHT, WIDTH, 3) and scene.image.dtype == np.uint8
        assert 1 <= len(scene.numbers) <= 3
        assert all(1 <= len(n.text) <= 5 for n in scene.numbers)
        assert sum(len(n.text) for n in scene.numbers) == len(scene.digits)
        gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
        for d in scene.digits:
            x, y, w, h = d.box
            assert 0 <= x and 0 <= y and x + w <= WIDTH and y + h <= HEIGHT
            assert 0.6 * HEIGHT_RANGE[0] <= h <= 1.3 * HEIGHT_RANGE[1]
            assert d.source.split(":")[0] in ("mnist", "font")
            patch = gray[y : y + h, x : x + w]
            assert int(patch.max()) - int(patch.min()) > 25  # there is ink in the box


def test_the_real_level_draws_every_kind_with_consistent_truth(bank):
    from digits.scenes.real_like import KINDS

    scenes = list(generate(bank, "real", len(KINDS), seed=3))
    again = next(iter(generate(bank, "real", 1, seed=3)))
    assert np.array_equal(scenes[0].image, again.image)
    for kind, scene in zip(KINDS, scenes):
        assert scene.image.shape == (HEIGHT, WIDTH, 3)
        if kind == "blank":
            assert not scene.digits and not scene.numbers
            continue
        assert sum(len(n.text) for n in scene.numbers) == len(scene.digits) > 0
        heights = [d.box[3] for d in scene.digits]
        if kind == "closeup":
            assert max(heights) >= 190
        if kind == "dense":
            assert max(heights) <= 40 and len(scene.digits) >= 40
        if kind == "spaced":
            assert len(scene.numbers) == 1 and len(scene.numbers[0].text) >= 7
        if kind == "touching":  # neighbours' ink boxes meet or overlap
            boxes = sorted(d.box for d in scene.digits)
            assert any(b[0] <= a[0] + a[2] and abs(a[1] - b[1]) < a[3] for a, b in zip(boxes, boxes[1:]))
        if kind == "table":  # at least nine cells, the rules drawn in ink round them
            assert len(scene.numbers) >= 9
        gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
        for d in scene.digits:
            x, y, w, h = d.box
            assert int(gray[y : y + h, x : x + w].max()) - int(gray[y : y + h, x : x + w].min()) > 15


def test_write_set_writes_images_and_truth(bank, tmp_path):
    path = write_set(tmp_path, levels=("clean",), count=2, seed=1, bank=bank)
    truth = json.loads(path.read_text())
    assert [t["image"] for t in truth] == ["clean_0000.png", "clean_0001.png"]
    assert cv2.imread(str(tmp_path / "clean_0000.png")).shape == (HEIGHT, WIDTH, 3)
    assert set(truth[0]) >= {"image", "level", "digits", "numbers"}


@pytest.mark.skipif(not default_model("int8").is_file(), reason="no shipped model")
@pytest.mark.parametrize("level", LEVELS)
def test_reader_scores_stay_above_the_floor(bank, level):
    from digits.edge.core.reader import Reader, to_json

    reader = Reader(threads=1)
    tally = Tally()
    for i, scene in enumerate(generate(bank, level, PAGES, seed=11)):
        tally.add(score_frame(scene.truth(f"{i}"), to_json(reader.read(scene.image))))
    digit_floor, number_floor = FLOORS[level]
    assert tally.digit_f1 >= digit_floor, (level, tally.digit_f1)
    assert tally.number_exact >= number_floor, (level, tally.number_exact)
