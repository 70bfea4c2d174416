"""The whole pipeline under `digits bench`: decode, segment, classify, draw, frame by frame.

Frames are the shipped samples (images and the short video), centre-cropped to each
resolution's aspect and resized, then JPEG-encoded once, so "decode" costs what a camera's
MJPEG frame or an image file costs. The float32 and int8 readers take turns frame by frame,
on one thread, so drift hits both alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from digits.edge.bench.results import Stages
from digits.edge.capture.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from digits.edge.core.reader import Reader
from digits.edge.core.shipped import SAMPLES_DIR
from digits.edge.overlay import draw

RESOLUTIONS = ((640, 480), (1280, 720))
PIPELINE_VARIANTS = ("float32", "int8")
VIDEO_FRAMES = 30  # at most this many frames taken from each sample video
WARMUP_FRAMES = 3


def sample_files(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)


def probe_image(folder: Path = SAMPLES_DIR) -> Path | None:
    """A sample frame for the start-up probe, or None (then the probe draws a page itself)."""
    images = sample_files(folder, IMAGE_SUFFIXES)
    return images[0] if images else None


def _sources(folder: Path) -> list[np.ndarray]:
    frames = [f for f in (cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sample_files(folder, IMAGE_SUFFIXES))
              if f is not None]
    for video in sample_files(folder, VIDEO_SUFFIXES):
        capture = cv2.VideoCapture(str(video))
        try:
            for _ in range(VIDEO_FRAMES):
                ok, frame = capture.read()
                if not ok:
                    break
                frames.append(frame)
        finally:
            capture.release()
    return frames


def fit(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-crop to the target aspect, then resize: digits keep their shape."""
    h, w = frame.shape[:2]
    if w * height > h * width:  # too wide
        new_w = h * width // height
        frame = frame[:, (w - new_w) // 2 : (w - new_w) // 2 + new_w]
    else:
        new_h = w * height // width
        frame = frame[(h - new_h) // 2 : (h - new_h) // 2 + new_h]
    interpolation = cv2.INTER_AREA if frame.shape[1] > width else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)


def pipeline(paths: dict[str, Path], frames: int, backend: str, samples: Path,
             log: Callable[[str], None]) -> tuple[list[Stages], str | None]:
    """Stage means, frame p50/p90 and FPS per (variant, resolution), or ([], why it was skipped)."""
    if frames <= 0:
        return [], "not asked for"
    variants = [v for v in PIPELINE_VARIANTS if v in paths]
    if not variants:
        return [], "neither a float32 nor an int8 model to run the reader with"
    sources = _sources(samples)
    if not sources:
        return [], f"no sample images or video in {samples}"

    readers = {v: Reader(model=paths[v], backend=backend, threads=1) for v in variants}
    results = []
    for width, height in RESOLUTIONS:
        log(f"pipeline: {width}x{height}, {frames} frames × {', '.join(variants)}")
        encoded = [cv2.imencode(".jpg", fit(f, width, height), [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
                   for f in sources]
        times = {v: [] for v in variants}
        for i in range(WARMUP_FRAMES + frames):
            data = encoded[i % len(encoded)]
            for v in (variants if i % 2 == 0 else variants[::-1]):
                start = time.perf_counter()
                frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
                decoded = time.perf_counter()
                result = readers[v].read(frame)
                read = time.perf_counter()
                draw(frame, result)
                drawn = time.perf_counter()
                if i >= WARMUP_FRAMES:
                    t = result.timings_ms
                    rest = (read - decoded) * 1e3 - t["segment"] - t["classify"]  # grouping, checks
                    times[v].append(((decoded - start) * 1e3, t["segment"], t["classify"], rest,
                                     (drawn - read) * 1e3, (drawn - start) * 1e3, len(result.digits)))
        for v in variants:
            a = np.array(times[v])
            mean = a.mean(axis=0)
            p50, p90 = np.percentile(a[:, 5], [50, 90])
            results.append(Stages(
                variant=v, resolution=f"{width}x{height}", frames=len(a), digits_per_frame=float(mean[6]),
                decode_ms=float(mean[0]), segment_ms=float(mean[1]), classify_ms=float(mean[2]),
                group_ms=float(mean[3]), draw_ms=float(mean[4]), mean_ms=float(mean[5]),
                p50_ms=float(p50), p90_ms=float(p90), fps=float(1e3 / mean[5]),
            ))
    return results, None
