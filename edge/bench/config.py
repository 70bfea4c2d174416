"""What `digits bench` measures and for how long: the settings, and the names of the axes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digits.common.card import VARIANTS
from digits.edge.core.interpreter import BACKENDS
from digits.edge.core.shipped import MODELS_DIR

EDGE_BACKENDS = tuple(b for b in BACKENDS if b != "tensorflow")  # the matrix never loads TF
# The kernels axis: LiteRT's default delegate, and the built-in kernels without it. The names are
# the JSON's; KERNELS maps them to what the tables print.
XNNPACK, BUILTIN = "xnnpack", "builtin"
KERNELS = {XNNPACK: "XNNPACK", BUILTIN: "built-in"}
BATCHES = (1, 8)  # one digit; a typical frame's crops in one invoke
NOISE_LIMIT = 0.10  # median spread of round medians (IQR / median) above which nothing is ranked
SAME = 0.03  # a ratio whose whole interquartile range lies within 3% of 1 is "same"


def kernels_phrase(kernels: str) -> str:
    """The kernels in a sentence: "XNNPACK" or "built-in kernels"."""
    return KERNELS[kernels] if kernels == XNNPACK else f"{KERNELS[kernels]} kernels"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and for how long. `quick()` is a smoke run, not for ranking."""

    models_dir: Path = MODELS_DIR
    test_set: Path | None = None  # None: the one `digits data` exported into the cache
    variants: tuple[str, ...] = VARIANTS
    batches: tuple[int, ...] = BATCHES
    threads: tuple[int, ...] = ()  # empty: 1, 2, 4 … up to the cores
    kernels: tuple[str, ...] = tuple(KERNELS)
    backends: tuple[str, ...] = ()  # empty: every edge backend that imports
    rounds: int = 12
    latency_budget_s: float = 40.0  # timed invokes over all cells and rounds
    warmup_s: float = 0.05  # per cell, before the first round
    pipeline_frames: int = 40  # per (variant, resolution)
    samples_dir: Path | None = None  # images and videos for the pipeline; None: edge/samples
    startup_runs: int = 3  # fresh processes per runtime; the median is reported
    tensorflow: bool = True  # compare start-up with full TensorFlow when it is installed
    seed: int = 0
    label: str = "standard"

    @classmethod
    def quick(cls, **overrides) -> BenchConfig:
        settings = dict(rounds=5, latency_budget_s=5.0, warmup_s=0.01, pipeline_frames=8,
                        startup_runs=1, tensorflow=False, label="quick: a smoke run, not for ranking")
        return cls(**{**settings, **overrides})
