"""The sample images and video shipped in edge/samples/, made by the scene generator.

`python -m scenes.samples [OUT]` rebuilds them (same seed, same pages): one page per level,
a light-on-dark board, and a short clip of a hand-held camera moving over three pages, so
`make demo` and `digits camera --source edge/samples/numbers.mp4` show the reader at work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

from digits.common.files import write_bytes, write_text
from digits.edge.core.shipped import SAMPLES_DIR as SAMPLES  # noqa: E402
from digits.scenes.generate import GlyphBank, make_scene

VIDEO_FPS = 10
FOURCC = "mp4v"  # MPEG-4 part 2: every OpenCV wheel reads it, a tenth of MJPG's size
SEED = 2024


def _jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def make_samples(out: Path = SAMPLES, bank: GlyphBank | None = None) -> list[Path]:
    bank = bank or GlyphBank.load()
    rng = np.random.default_rng(SEED)
    written, truths = [], []
    for level, name in (("clean", "clean.png"), ("camera", "camera.jpg"), ("hard", "hard.jpg")):
        scene = make_scene(bank, level, rng)
        data = cv2.imencode(".png", scene.image)[1].tobytes() if name.endswith(".png") else _jpeg(scene.image)
        write_bytes(out / name, data)
        written.append(out / name)
        truths.append(scene.truth(name))
    board = make_scene(bank, "camera", rng)  # chalk on a dark board: the page inverted, tinted green
    chalk = (255 - board.image).astype(np.float32) * np.float32([0.55, 0.75, 0.6]) + np.float32([20, 35, 25])
    write_bytes(out / "board.jpg", _jpeg(np.clip(chalk, 0, 255).astype(np.uint8)))
    written.append(out / "board.jpg")
    truths.append(board.truth("board.jpg"))
    write_text(out / "truth.json", json.dumps(truths, indent=1) + "\n")
    written.append(out / "truth.json")
    written.append(make_video(out / "numbers.mp4", bank, rng))
    return written


def make_video(path: Path, bank: GlyphBank, rng: np.random.Generator, pages: int = 3,
               frames_per_page: int = 20) -> Path:
    """A hand-held camera over a few pages (each already noisy and blurred): drift and shake."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".part.{path.name}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*FOURCC), VIDEO_FPS, (640, 480))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {FOURCC} video here")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 55)  # a few hundred KB for the whole clip
    try:
        for _ in range(pages):
            page = make_scene(bank, "camera", rng).image
            drift = rng.uniform(-1.5, 1.5, 2)
            for f in range(frames_per_page):
                shake = rng.normal(0, 0.6, 2)
                dx, dy = drift * f + shake
                m = np.float32([[1, 0, dx], [0, 1, dy]])
                frame = cv2.warpAffine(page, m, (640, 480), borderMode=cv2.BORDER_REFLECT)
                writer.write(frame)
    finally:
        writer.release()
    tmp.replace(path)
    return path


if __name__ == "__main__":
    for p in make_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES):
        print(f"{p}  {p.stat().st_size / 1024:.0f} KiB")
