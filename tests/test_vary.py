"""The worse copies of real photos that `digits scenes --real --vary` reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from digits.cli import main
from digits.scenes.vary import VARIATIONS, vary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 600x800 colour photo: a thin dark bar on grey paper, brighter to the right."""
    image = np.tile(np.linspace(120, 220, 800, dtype=np.float32), (600, 1))
    image[100:500, 200:203] = 30
    return np.dstack([image] * 3).astype(np.uint8)


def test_turns_are_taken_from_the_upright_photo(photo):
    assert vary(photo, "turn90").shape == (800, 600, 3)
    assert np.array_equal(vary(photo, "turn90"), np.rot90(photo, -1))  # clockwise
    assert np.array_equal(vary(photo, "turn270"), np.rot90(photo, 1))
    stored_sideways = np.rot90(photo, 1)  # turned 90 clockwise, it stands upright
    assert np.array_equal(vary(stored_sideways, "turn90", upright=90), np.rot90(photo, -1))


def test_sizes_light_and_damage(photo):
    assert vary(photo, "half").shape == (300, 400, 3) and vary(photo, "double").shape == (1200, 1600, 3)
    assert vary(photo, "dim").mean() < photo.mean() < vary(photo, "bright").mean()
    assert vary(photo, "hazy").std() < 0.5 * photo.std()
    assert vary(photo, "blur")[300, 201, 0] > photo[300, 201, 0] + 20  # the bar's ink spreads and fades
    assert np.array_equal(vary(photo, "noise"), vary(photo, "noise"))  # seeded: repeatable
    assert not np.array_equal(vary(photo, "noise"), photo)
    far = vary(photo, "far")  # the photo unchanged in the middle of a frame twice its size
    assert far.shape == (1200, 1600, 3) and np.array_equal(far[300:900, 400:1200], photo)
    assert np.array_equal(far, vary(photo, "far"))
    desk = far[:300].astype(np.float32)  # above the photo: a plain desk, darker than the paper
    assert desk.mean() < 0.7 * np.median(photo) and desk.std() < 30
    grey = vary(photo[..., 0], "far")  # a grey photo gets a grey desk
    assert grey.shape == (1200, 1600) and np.array_equal(grey[300:900, 400:1200], photo[..., 0])
    for name in VARIATIONS:
        assert vary(photo, name).dtype == np.uint8


def test_vary_scores_turned_photos_and_needs_real(tmp_path):
    """Four committed photos (two of digits, two without), turned a quarter: the reader turns
    them back and reads them exactly."""
    real = ROOT / "scenes" / "real"
    manifest = json.loads((real / "manifest.json").read_text())
    keep = {"hypjudy_hdr_a4_6", "felsiq_sample3", "hypjudy_a4_d1_0", "makelove_text_defocus"}
    manifest["photos"] = [p for p in manifest["photos"] if p["name"] in keep]
    for p in manifest["photos"]:
        (tmp_path / p["file"]).parent.mkdir(exist_ok=True)
        shutil.copy(real / p["file"], tmp_path / p["file"])
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    done = CliRunner().invoke(main, ["scenes", "--real", str(tmp_path), "--vary", "turn90", "--json"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.output.strip().splitlines()[-1])
    assert (figures["photos"], figures["no_digit_photos"], figures["digits"]) == (2, 2, 27)
    assert figures["digit_f1"] == 1.0 and figures["false_digits"] == 0
    refused = CliRunner().invoke(main, ["scenes", "--vary", "dim"])
    assert refused.exit_code == 2 and "--real" in refused.output
