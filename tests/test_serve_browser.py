"""The live view in a real browser: headless Chromium opens the page served on 127.0.0.1, and
the screenshot must show the stream's frames where the <img> is, and the page must say what
the camera is doing. Skipped, with the reason, where no Chromium is installed; `.ci/run`
installs Debian's `chromium` so CI always runs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from digits.edge.capture.capture import Capture, Retry
from digits.edge.live.serve import LiveView
from tests.test_serve import FakeCamera, fake_process, get_json, wait_for

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on PATH (apt-get install chromium; .ci/run does)")

W, H = 320, 240  # the fake camera's frames; the page shows them at their own size, top left
GREEN = (40, 160, 40)  # BGR of the fake camera's picture


def chromium(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp / 'profile'}", "--hide-scrollbars", "--force-device-scale-factor=1",
         "--window-size=800,400", "--virtual-time-budget=3000", *args, url],
        capture_output=True, text=True, timeout=90)


@pytest.fixture
def camera() -> FakeCamera:
    return FakeCamera(H, W, GREEN)


@pytest.fixture
def view(camera):
    capture = Capture(camera.open, live=True, retry=Retry(first=0.05, limit=0.2))
    capture.open()
    with LiveView(capture, fake_process, port=0) as live:
        wait_for(lambda: get_json(live.server.address[1], "/api/latest")["camera"]["frames_read"],
                 "a first frame")
        yield live


def test_the_page_renders_the_stream(view, tmp_path):
    shot = tmp_path / "page.png"
    run = chromium(view.url, tmp_path, f"--screenshot={shot}")
    assert shot.is_file(), f"Chromium wrote no screenshot:\n{run.stderr[-2000:]}"
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (400, 800)
    assert image.std() > 10, "blank screenshot"

    # where the <img> is, the camera's green picture (the counter's white digits in one corner)
    stream = image[H // 2 : H - 8, 8 : W - 8].reshape(-1, 3).astype(int)
    near_green = (np.abs(stream - GREEN) <= 25).all(axis=1).mean()
    assert near_green > 0.95, f"only {near_green:.0%} of the image region shows the stream"
    # beside it and below it, the page's dark background, not the picture
    below = image[H + 20 :, : W].reshape(-1, 3)
    assert below.mean() < 40


def test_the_page_shows_numbers_then_camera_lost(view, camera, tmp_path):
    run = chromium(view.url, tmp_path, "--dump-dom")
    assert 'id="numbers">42<' in run.stdout, run.stdout[-2000:]
    assert 'id="status" class="dim">live<' in run.stdout

    camera.plugged.clear()
    port = view.server.address[1]
    wait_for(lambda: get_json(port, "/api/latest")["camera"]["state"] == "lost", "the loss")
    run = chromium(view.url, tmp_path, "--dump-dom")
    assert 'class="lost">camera lost - retrying<' in run.stdout, run.stdout[-2000:]
