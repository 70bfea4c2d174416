"""What `digits bench` found: one dataclass per table, and `BenchResult` holding them all.

The JSON is `asdict(BenchResult)`: these field names are its schema (`SCHEMA`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from digits.edge.bench.config import BenchConfig

SCHEMA = 1


@dataclass(frozen=True)
class Machine:
    cpu: str
    arch: str
    cores: int  # usable by this process
    isa: tuple[str, ...]
    governor: str | None
    board: str | None  # /proc/device-tree/model, e.g. a Raspberry Pi
    python: str
    libraries: dict[str, str]
    load_before: float | None  # 1-minute load average when the run began
    load_after: float | None = None


@dataclass(frozen=True)
class Variant:
    variant: str
    path: str
    size_bytes: int
    input_dtype: str
    accuracy: float | None  # measured now on the test set, through the edge runtime
    card_accuracy: float | None  # what the model card claims
    params: int | None
    macs: int | None  # multiply-accumulates per image
    macs_source: str  # "card" or "graph" (counted from the .tflite's conv and dense ops)


@dataclass(frozen=True)
class Latency:
    variant: str
    backend: str
    kernels: str
    threads: int
    batch: int
    invokes: int
    rounds: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    stdev_ms: float
    spread: float  # IQR of the per-round medians over their median
    images_per_s: float  # at p50
    gmacs: float | None  # achieved GMAC/s at p50
    ratio: float | None  # to float32 in the same cell, median of per-round ratios
    ratio_lo: float | None  # interquartile range of the per-round ratios
    ratio_hi: float | None
    verdict: str  # faster, slower, same (within 3%), unclear (range holds 1), unranked (noisy run), ""


@dataclass(frozen=True)
class Stages:
    variant: str
    resolution: str
    frames: int
    digits_per_frame: float
    decode_ms: float  # mean of each stage: means add up, so the stages sum to mean_ms
    segment_ms: float
    classify_ms: float
    group_ms: float  # the rest of the reader's `read`: checks, grouping digits into numbers, the call
    draw_ms: float
    mean_ms: float  # the whole frame, decode to drawn
    p50_ms: float
    p90_ms: float
    fps: float  # frames per second at the mean frame time


@dataclass(frozen=True)
class Startup:
    runtime: str  # "edge" (LiteRT or tflite-runtime) or "tensorflow"
    backend: str
    work: str
    runs: int
    cold_start_s: float  # median, from launching python to the first result
    import_s: float
    load_s: float
    first_result_s: float
    peak_rss_mb: float
    imported_tensorflow: bool


@dataclass(frozen=True)
class Install:
    extra: str
    bytes: int
    packages: dict[str, int]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class BenchResult:
    machine: Machine
    config: BenchConfig
    variants: list[Variant]
    latency: list[Latency]
    noise: float  # median spread over all cells
    noisy: bool
    pipeline: list[Stages]
    pipeline_note: str | None  # why the pipeline stage was skipped, if it was
    startup: list[Startup]
    startup_note: str | None
    install: list[Install]
    findings: list[str]
    targets: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    schema: int = SCHEMA
