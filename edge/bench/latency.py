"""`digits bench`: what each model variant costs on this CPU, measured so that it can be trusted.

People pick a variant from one table, so the table must survive a noisy machine. Every
(variant, backend, kernels, threads, batch) cell gets its own interpreter, and all cells take
turns inside every round in a fresh random order: drift and other people's jobs hit all of
them alike. A ratio to float32 is the median of per-round ratios (paired, same round), and
comes with the interquartile range of those ratios; a run whose rounds disagree too much is
marked noisy and ranks nothing. Edge-only: TensorFlow is never imported here; the start-up
comparison runs it in a child process, and only when it is installed.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

import numpy as np
from digits.edge.core.interpreter import BACKENDS, Classifier, load_backend
from digits.edge.core.shipped import MODELS_DIR

from digits.common.card import CARD_NAME, VARIANTS, ModelCard, model_filename
from digits.common.errors import DigitsError, ModelError, UsageError

SCHEMA = 1
EDGE_BACKENDS = tuple(b for b in BACKENDS if b != "tensorflow")  # the matrix never loads TF
KERNELS = ("xnnpack", "builtin")  # LiteRT's default delegate; the built-in kernels without it
BATCHES = (1, 8)  # one digit; a typical frame's crops in one invoke
NOISE_LIMIT = 0.10  # median spread of round medians (IQR / median) above which nothing is ranked
SAME = 0.03  # a ratio whose whole interquartile range lies within 3% of 1 is "same"
# The targets, checked here and printed, never asserted by a timed test.
TARGET_READER_P50_MS = 3.0  # one 640x480 frame, one core, decode to drawn
TARGET_COLD_START_S = 1.0
TARGET_PEAK_RSS_MB = 120.0
TARGET_TF_MEMORY_RATIO = 5.0  # full TensorFlow needs at least this many times the edge's memory
ISA_FLAGS = (  # the CPU features that decide which kernels are fast
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
    "avx512_bf16", "avx512_fp16", "amx_int8", "neon", "asimd", "asimdhp", "asimddp", "i8mm",
    "bf16", "sve", "sve2",
)
ARM_PARTS = {"0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55",
             "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd0b": "Cortex-A76"}
LIBRARIES = ("ai-edge-litert", "tflite-runtime", "numpy", "opencv-python-headless", "opencv-python",
             "click", "tensorflow")

Log = Callable[[str], None]


# --- settings and results -------------------------------------------------------------------

@dataclass(frozen=True)
class BenchConfig:
    """What to measure and for how long. `quick()` is a smoke run, not for ranking."""

    models_dir: Path = MODELS_DIR
    test_set: Path | None = None  # None: the one `digits data` exported into the cache
    variants: tuple[str, ...] = VARIANTS
    batches: tuple[int, ...] = BATCHES
    threads: tuple[int, ...] = ()  # empty: 1, 2, 4 … up to the cores
    kernels: tuple[str, ...] = KERNELS
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
    config: dict
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


# --- the machine ----------------------------------------------------------------------------

def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace").strip("\x00\n ")
    except OSError:
        return None


def machine() -> Machine:
    cpuinfo = _read("/proc/cpuinfo") or ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    cpu = ARM_PARTS.get(fields.get("cpu part", "")) or fields.get("model name") \
        or platform.processor() or platform.machine()
    if fields.get("cpu family") and fields.get("model"):  # x86: names the part a hypervisor hides
        cpu += f" (family {fields['cpu family']}, model {fields['model']})"
    if sys.platform == "darwin":
        try:
            cpu = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                 text=True, timeout=5).stdout.strip() or cpu
        except OSError:
            pass
    libraries = {}
    for name in LIBRARIES:
        try:
            libraries[name] = metadata.version(name)  # metadata only: nothing is imported
        except metadata.PackageNotFoundError:
            pass
    return Machine(
        cpu=cpu, arch=platform.machine(), cores=_cores(), isa=tuple(f for f in ISA_FLAGS if f in flags),
        governor=_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        board=_read("/proc/device-tree/model"), python=platform.python_version(),
        libraries=libraries, load_before=_load(),
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def thread_counts(cores: int) -> tuple[int, ...]:
    """1, 2, 4 … up to the cores, and the core count itself."""
    counts = {cores}
    t = 1
    while t < cores:
        counts.add(t)
        t *= 2
    return tuple(sorted(counts))


def edge_backends(model: Path, warnings: list[str]) -> tuple[str, ...]:
    """Every edge backend that imports and can run `model` (a wheel built for NumPy 1 imports under
    NumPy 2, then fails on the first interpreter)."""
    found = []
    for name in EDGE_BACKENDS:
        try:
            module = load_backend(name)[1]
        except UsageError:
            continue
        try:
            _interpreter(module, model, 1, xnnpack=True).allocate_tensors()
        except Exception as exc:
            cause = exc.__cause__ or exc
            why = (str(cause).strip().splitlines() or [type(cause).__name__])[-1]
            warnings.append(f"{name} imports but cannot run a model here ({why}); left out")
            continue
        found.append(name)
    if not found:
        raise UsageError("no edge TFLite interpreter can run here; install ai-edge-litert "
                         "(pip install '.[edge]')")
    return tuple(found)


# --- models, test set, accuracy -------------------------------------------------------------

def find_models(models_dir: Path, variants: tuple[str, ...]) -> dict[str, Path]:
    models_dir = Path(models_dir)
    found = {v: models_dir / model_filename(v) for v in variants
             if (models_dir / model_filename(v)).is_file()}
    if not found:
        raise UsageError(f"{models_dir}: no digits_<variant>.tflite files; run `make train convert ship` "
                         "or pass --models DIR (e.g. artifacts/models)")
    return found


def load_test_set(path: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test images as uint8 and their labels, from `digits data`'s export."""
    from digits.common.paths import TEST_SET_NAME, default_cache_dir

    path = Path(path) if path else default_cache_dir() / TEST_SET_NAME
    if not path.is_file():
        raise UsageError(f"no test set at {path}: run `digits data` first, or pass --test-set PATH")
    try:
        with np.load(path, allow_pickle=False) as npz:
            x, y = npz["x_test"], npz["y_test"]
    except (KeyError, OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a test set exported by `digits data` ({exc})") from None
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
        raise UsageError(f"{path}: expected x_test (n, 28, 28) and y_test (n,), got {x.shape}, {y.shape}")
    return x, y


def describe(variant: str, path: Path, card: ModelCard | None, accuracy: float | None,
             backend: str) -> Variant:
    entry = card.variants.get(variant) if card else None
    module = load_backend(backend)[1]
    macs, source = (card.macs, "card") if card and card.macs else (_graph_macs(module, path), "graph")
    return Variant(
        variant=variant, path=str(path), size_bytes=path.stat().st_size,
        input_dtype=Classifier(path, backend=backend).input_dtype, accuracy=accuracy,
        card_accuracy=entry.accuracy if entry else None, params=card.params if card else None,
        macs=macs, macs_source=source,
    )


def accuracy(path: Path, x: np.ndarray, y: np.ndarray, backend: str) -> float:
    labels = Classifier(path, backend=backend).predict_labels(x.astype(np.float32) / 255.0)
    return float((labels == y).mean())


def _interpreter(module, path: Path, threads: int | None, xnnpack: bool):
    options = {"num_threads": threads}
    if not xnnpack:
        resolver = getattr(module, "OpResolverType", None) or getattr(
            getattr(module, "experimental", None), "OpResolverType", None)
        if resolver is None:
            raise UsageError("this backend cannot switch XNNPACK off")
        options["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        interpreter = module.Interpreter(model_path=str(path), **options)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a readable TFLite model ({exc})") from None
    return interpreter


def _graph_macs(module, path: Path) -> int | None:
    """MACs of one image through CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, from the graph."""
    interpreter = _interpreter(module, path, 1, xnnpack=False)
    interpreter.allocate_tensors()
    try:
        ops = interpreter._get_ops_details()
        shapes = {t["index"]: tuple(int(d) for d in t["shape"]) for t in interpreter.get_tensor_details()}
    except Exception:
        return None
    macs = 0
    for op in ops:
        name, inputs, outputs = op["op_name"], list(op["inputs"]), list(op["outputs"])
        if len(inputs) < 2 or not outputs:
            continue
        out, weights = shapes.get(outputs[0], ()), shapes.get(inputs[1], ())
        if name == "CONV_2D" and len(out) == 4 and len(weights) == 4:
            macs += out[1] * out[2] * out[3] * weights[1] * weights[2] * weights[3]
        elif name == "DEPTHWISE_CONV_2D" and len(out) == 4 and len(weights) == 4:
            macs += out[1] * out[2] * out[3] * weights[1] * weights[2]
        elif name == "FULLY_CONNECTED" and len(weights) == 2:
            macs += weights[0] * weights[1]
    return macs or None


# --- model latency --------------------------------------------------------------------------

class _Cell:
    """One interpreter at one setting, its input set once; `run(n)` times n invokes."""

    def __init__(self, variant: str, path: Path, backend: str, kernels: str, threads: int, batch: int,
                 digits: np.ndarray):
        self.variant, self.backend, self.kernels, self.threads, self.batch = \
            variant, backend, kernels, threads, batch
        module = load_backend(backend)[1]
        interpreter = _interpreter(module, path, threads, xnnpack=kernels == "xnnpack")
        inp = interpreter.get_input_details()[0]
        shape = [batch, *(int(d) for d in inp["shape"][1:])]
        interpreter.resize_tensor_input(inp["index"], shape)
        interpreter.allocate_tensors()
        images = np.resize(digits.astype(np.float32) / 255.0, (batch, 28, 28)).reshape(shape)
        scale, zero_point = inp.get("quantization", (0.0, 0))
        dtype = np.dtype(inp["dtype"])
        if dtype.kind in "iu" and scale > 0:
            info = np.iinfo(dtype)
            images = np.clip(np.round(images / scale + zero_point), info.min, info.max)
        interpreter.set_tensor(inp["index"], images.astype(dtype))
        self.invoke = interpreter.invoke
        self.samples: list[np.ndarray] = []
        self.per_invoke_s = 0.0

    @property
    def key(self) -> tuple[str, str, int, int]:
        return self.backend, self.kernels, self.threads, self.batch

    def warm_up(self, seconds: float) -> None:
        n, start = 0, time.perf_counter()
        while n < 3 or time.perf_counter() - start < seconds:
            self.invoke()
            n += 1
        self.per_invoke_s = (time.perf_counter() - start) / n

    def run(self, n: int) -> None:
        invoke, clock = self.invoke, time.perf_counter_ns
        invoke()  # untimed: another cell has just had the caches
        times = np.empty(n, np.int64)
        for i in range(n):
            start = clock()
            invoke()
            times[i] = clock() - start
        self.samples.append(times)


def measure_latency(paths: dict[str, Path], config: BenchConfig, backends: tuple[str, ...],
                    threads: tuple[int, ...], digits: np.ndarray, log: Log) -> list[_Cell]:
    cells = [_Cell(v, paths[v], b, k, t, n, digits)
             for b in backends for k in config.kernels for t in threads for n in config.batches
             for v in paths]
    log(f"latency: {len(cells)} cells ({len(paths)} variants × {len(backends)} backend × "
        f"{len(config.kernels)} kernels × {len(threads)} threads × {len(config.batches)} batch), "
        f"{config.rounds} rounds, about {config.latency_budget_s:.0f} s")
    for cell in cells:
        cell.warm_up(config.warmup_s)
    slice_s = config.latency_budget_s / (config.rounds * len(cells))
    rng = np.random.default_rng(config.seed)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(config.rounds):
            for i in rng.permutation(len(cells)):
                cell = cells[i]
                cell.run(int(np.clip(round(slice_s / max(cell.per_invoke_s, 1e-7)), 5, 20_000)))
            log(f"  round {r + 1}/{config.rounds}")
    finally:
        if gc_was_enabled:
            gc.enable()
    return cells


def _iqr_over_median(values: np.ndarray) -> float:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float((q3 - q1) / med) if med > 0 else 0.0


def paired_ratio(a: _Cell, b: _Cell) -> tuple[float, float, float]:
    """a over b: the median and IQR of the ratios of their medians, round by round."""
    ratios = np.array([np.median(x) / np.median(y) for x, y in zip(a.samples, b.samples)])
    lo, med, hi = np.percentile(ratios, [25, 50, 75])
    return float(med), float(lo), float(hi)


def verdict(lo: float, hi: float, noisy: bool) -> str:
    """A ranking word for a ratio's interquartile range; a noisy run ranks nothing."""
    if noisy:
        return "unranked"
    if lo >= 1 - SAME and hi <= 1 + SAME:
        return "same"
    if hi < 1.0:
        return "faster"
    if lo > 1.0:
        return "slower"
    return "unclear"


def summarise(cells: list[_Cell], macs: dict[str, int | None]) -> tuple[list[Latency], float, bool]:
    spreads = [_iqr_over_median(np.array([np.median(s) for s in c.samples])) for c in cells]
    noise = float(np.median(spreads)) if spreads else 0.0
    noisy = noise > NOISE_LIMIT
    baseline = {c.key: c for c in cells if c.variant == "float32"}
    rows = []
    for cell, spread in zip(cells, spreads):
        ms = np.concatenate(cell.samples) / 1e6
        p50, p90, p99 = (float(v) for v in np.percentile(ms, [50, 90, 99]))
        ratio = lo = hi = None
        mark = ""
        base = baseline.get(cell.key)
        if base is not None and base is not cell:
            ratio, lo, hi = paired_ratio(cell, base)
            mark = verdict(lo, hi, noisy)
        per_image = macs.get(cell.variant)
        rows.append(Latency(
            variant=cell.variant, backend=cell.backend, kernels=cell.kernels, threads=cell.threads,
            batch=cell.batch, invokes=len(ms), rounds=len(cell.samples), p50_ms=p50, p90_ms=p90,
            p99_ms=p99, mean_ms=float(ms.mean()), stdev_ms=float(ms.std(ddof=1)) if len(ms) > 1 else 0.0,
            spread=spread, images_per_s=cell.batch / (p50 / 1e3),
            gmacs=per_image * cell.batch / (p50 / 1e3) / 1e9 if per_image else None,
            ratio=ratio, ratio_lo=lo, ratio_hi=hi, verdict=mark,
        ))
    return rows, noise, noisy


# --- findings -------------------------------------------------------------------------------

def findings(cells: list[_Cell], rows: list[Latency], variants: list[Variant], noisy: bool,
             machine_: Machine) -> list[str]:
    """Sentences the table supports, each with its range; nothing that the run did not measure."""
    out = []
    by = {(c.variant, *c.key): c for c in cells}
    one, top = min(c.threads for c in cells), max(c.threads for c in cells)
    big = max(c.batch for c in cells)
    backends = list(dict.fromkeys(c.backend for c in cells))
    kernel_name = {"xnnpack": "XNNPACK", "builtin": "built-in kernels"}

    def pair(a: tuple, b: tuple) -> str | None:
        if a in by and b in by:
            r, lo, hi = paired_ratio(by[a], by[b])
            return f"{r:.2f}× [{lo:.2f}–{hi:.2f}]"
        return None

    for backend in backends:
        on = f" on {backend}" if len(backends) > 1 else ""
        for batch in sorted({c.batch for c in cells}):
            parts = []
            for kernels in KERNELS:
                a, b = ("int8", backend, kernels, one, batch), ("float32", backend, kernels, one, batch)
                if pair(a, b):
                    _, lo, hi = paired_ratio(by[a], by[b])
                    parts.append(f"{kernel_name[kernels]} {pair(a, b)} ({_word(lo, hi, noisy)})")
            if parts:
                out.append(f"int8 / float32 latency{on}, batch {batch}, {one} thread: " + "; ".join(parts))
        for variant in ("float32", "int8"):
            a, b = (variant, backend, "builtin", one, 1), (variant, backend, "xnnpack", one, 1)
            ratio = pair(a, b)
            if ratio:
                same = verdict(*paired_ratio(by[a], by[b])[1:], noisy=False) == "same"
                note = " — the same speed: XNNPACK does not seem to run this model here" if same else ""
                out.append(f"{variant}{on}: built-in kernels / XNNPACK = {ratio} at batch 1, "
                           f"{one} thread{note}")
            ratio = pair((variant, backend, "xnnpack", top, big), (variant, backend, "xnnpack", one, big))
            if ratio and top > one:
                out.append(f"{variant}{on}, XNNPACK, batch {big}: {top} threads / {one} = {ratio}")
    for other in backends[1:]:
        for variant in ("float32", "int8"):
            ratio = pair((variant, other, "xnnpack", one, 1), (variant, backends[0], "xnnpack", one, 1))
            if ratio:
                out.append(f"{variant}, XNNPACK, batch 1: {other} / {backends[0]} = {ratio}")
    out.append(isa_note(machine_))
    pick = recommend(rows, variants, noisy)
    if pick:
        out.append(pick)
    return out


def _word(lo: float, hi: float, noisy: bool) -> str:
    return {"faster": "int8 faster", "slower": "int8 slower", "same": "the same within 3%",
            "unclear": "no clear difference", "unranked": "too noisy to rank"}[verdict(lo, hi, noisy)]


def isa_note(m: Machine) -> str:
    """Which int8 dot-product instructions this CPU has: they decide whether int8 pays here."""
    flags = set(m.isa)
    dot = sorted(flags & {"avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm"})
    listed = ", ".join(m.isa) or "none readable"
    if dot:
        return (f"CPU features: {listed}. int8 dot-product instructions present ({', '.join(dot)}): "
                "int8 kernels do several multiply-accumulates per lane in one instruction.")
    if flags & {"avx2", "avx"}:
        return (f"CPU features: {listed}. No VNNI: int8 needs a chain of widening multiplies and adds where "
                "float32 has one FMA, so int8 may not pay on this CPU; on ARM cores "
                "with dot-product instructions (Pi 5's Cortex-A76: asimddp) it usually does.")
    if flags & {"asimd", "neon"}:
        return (f"CPU features: {listed}. No int8 dot-product instructions (asimddp, as on a Pi 4's "
                "Cortex-A72): int8 kernels use widening NEON multiplies; a Pi 5's Cortex-A76 has asimddp.")
    return f"CPU features: {listed}."


def recommend(rows: list[Latency], variants: list[Variant], noisy: bool) -> str | None:
    """The reader's default: the fastest (variant, kernels) at a frame's batch on one thread,
    among variants within 0.1 pp of the best measured accuracy."""
    if noisy:
        return "No default recommended: the run was too noisy to rank variants."
    acc = {v.variant: v.accuracy for v in variants if v.accuracy is not None}
    if acc:
        good = {v for v, a in acc.items() if a >= max(acc.values()) - 0.001}
    else:
        good = {v.variant for v in variants}
    batch = max(r.batch for r in rows)
    one = min(r.threads for r in rows)
    candidates = [r for r in rows if r.batch == batch and r.threads == one and r.variant in good]
    if not candidates:
        return None
    best = min(candidates, key=lambda r: r.p50_ms)
    accuracy_note = f", accuracy {acc[best.variant]:.2%}" if best.variant in acc else ""
    return (f"Fastest on this CPU for a frame's crops (batch {batch}, {one} thread): {best.variant} with "
            f"{'XNNPACK' if best.kernels == 'xnnpack' else 'built-in kernels'} on {best.backend}, "
            f"p50 {best.p50_ms:.3f} ms{accuracy_note}.")


# --- start-up and memory --------------------------------------------------------------------

def startup(model: Path, backend: str, runs: int, image: Path | None) -> Startup:
    """Launch `python -m digits.edge.bench.probe` `runs` times; the median cold start to first result."""
    command = [sys.executable, "-m", "digits.edge.bench.probe", "--model", str(model), "--backend", backend]
    if image is not None:
        command += ["--image", str(image)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": _project_path()}
    reports = []
    for _ in range(runs):
        env["DIGITS_BENCH_LAUNCHED"] = repr(time.time())  # the child times its first result from here
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        except subprocess.TimeoutExpired:
            raise UsageError(f"the start-up probe ({backend}) did not finish in 300 s") from None
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ModelError(f"the start-up probe ({backend}) failed: {last}")
        reports.append(json.loads(lines[-1]))
    last = reports[-1]
    median = lambda key: float(np.median([r[key] for r in reports]))  # noqa: E731
    return Startup(
        runtime="tensorflow" if backend == "tensorflow" else "edge", backend=backend, work=last["work"],
        runs=runs, cold_start_s=median("since_launch_s"), import_s=median("import_s"),
        load_s=median("load_s"), first_result_s=median("first_result_s"),
        peak_rss_mb=float(np.median([r["peak_rss_bytes"] for r in reports])) / 2**20,
        imported_tensorflow=any(r["imported_tensorflow"] for r in reports),
    )


def _project_path() -> str:
    root = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join([root, os.environ["PYTHONPATH"]]) if os.environ.get("PYTHONPATH") else root


def tensorflow_installed() -> bool:
    """Whether TensorFlow could be imported, found without importing it."""
    return importlib.util.find_spec("tensorflow") is not None


# --- install size ---------------------------------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str, extra: str | None) -> bool:
    marker = requirement.partition(";")[2].strip()
    if not marker:
        return True
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate({"extra": extra or ""})
    except ImportError:  # without packaging: extras and platform equalities decide, the rest is met
        wanted = re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        here = {"platform_system": platform.system(), "sys_platform": sys.platform, "os_name": os.name}
        for key, op, value in re.findall(r"(platform_system|sys_platform|os_name)\s*(==|!=)\s*['\"]([^'\"]+)",
                                         marker):
            if (here[key] == value) != (op == "=="):
                if " or " not in marker:
                    return False
        return not wanted or extra in wanted
    except Exception:
        return False


def install_size(extra: str, project: str = "digits") -> Install:
    """Bytes on disk of every installed distribution an extra pulls in, from their RECORD files."""
    seen: dict[str, int] = {}
    missing: list[str] = []
    todo: list[tuple[str, str | None]] = [(project, extra)]
    done: set[tuple[str, str | None]] = set()
    while todo:
        name, want = todo.pop()
        if (_normal(name), want) in done:
            continue
        done.add((_normal(name), want))
        requires = _requires(name, project)
        if requires is None:
            missing.append(name)
            continue
        if _normal(name) != project and _normal(name) not in seen:
            seen[_normal(name)] = _dist_bytes(metadata.distribution(name))
        for requirement in requires:
            match = _NAME.match(requirement)
            if not match or not _wanted(requirement, want):
                continue
            extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
            for sub in extras or [None]:
                todo.append((match.group(1), sub))
    return Install(extra=extra, bytes=sum(seen.values()), packages=dict(sorted(seen.items())),
                   missing=tuple(sorted(set(missing))))


def _requires(name: str, project: str) -> list[str] | None:
    """An installed distribution's requirements (None: not installed). The project itself, run
    from a checkout without installing it, answers from its pyproject.toml."""
    try:
        return metadata.distribution(name).requires or []
    except metadata.PackageNotFoundError:
        if _normal(name) != project:
            return None
    try:
        import tomllib

        table = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
        spec = table["project"]
    except (ImportError, OSError, KeyError, ValueError):
        return None
    requires = list(spec.get("dependencies", []))
    for extra, items in spec.get("optional-dependencies", {}).items():
        for item in items:
            requirement, _, marker = item.partition(";")
            marker = f"({marker.strip()}) and " if marker.strip() else ""
            requires.append(f'{requirement.strip()}; {marker}extra == "{extra}"')
    return requires


def _dist_bytes(dist) -> int:
    total = 0
    for file in dist.files or []:
        try:
            total += Path(file.locate()).stat().st_size
        except OSError:
            continue
    return total


# --- the whole run --------------------------------------------------------------------------

def run(config: BenchConfig, log: Log = print) -> BenchResult:
    started = time.perf_counter()
    here = machine()
    warnings: list[str] = []
    paths = find_models(config.models_dir, config.variants)
    x, y = load_test_set(config.test_set)
    backends = config.backends or edge_backends(next(iter(paths.values())), warnings)
    threads = config.threads or thread_counts(here.cores)
    if here.load_before is not None and here.load_before > 0.5 * here.cores:
        warnings.append(f"load average {here.load_before:.1f} on {here.cores} cores at the start: "
                        "other work shares this CPU, expect spread")
    card_path = Path(config.models_dir) / CARD_NAME
    card = ModelCard.load(card_path) if card_path.is_file() else None
    if card is None:
        warnings.append(f"no {CARD_NAME} in {config.models_dir}: MACs counted from the graph, no params")

    log(f"accuracy: {len(paths)} variants on {len(y):,} test images")
    variants = [describe(v, p, card, accuracy(p, x, y, backends[0]), backends[0]) for v, p in paths.items()]
    for v in variants:
        if v.card_accuracy is not None and v.accuracy is not None \
                and abs(v.card_accuracy - v.accuracy) > 1e-4:
            warnings.append(f"{v.variant}: measured accuracy {v.accuracy:.2%} differs from the card's "
                            f"{v.card_accuracy:.2%} (another test set, or the card is stale)")

    cells = measure_latency(paths, config, backends, threads, x[:8], log)
    rows, noise, noisy = summarise(cells, {v.variant: v.macs for v in variants})
    if noisy:
        warnings.append(f"round-to-round spread {noise:.0%} exceeds {NOISE_LIMIT:.0%}: the run is too noisy "
                        "to rank variants; ratios are shown but no variant is called faster or slower. "
                        "Rerun on a quiet machine.")
    wide = [r for r in rows if r.spread > NOISE_LIMIT]
    if wide and not noisy:
        by_threads = ", ".join(f"{t} thread{'s' * (t > 1)}: {sum(r.threads == t for r in wide)}"
                               for t in sorted({r.threads for r in wide}))
        warnings.append(f"{len(wide)} of {len(rows)} cells spread more than {NOISE_LIMIT:.0%} round to round "
                        f"({by_threads}); their ratios carry wide ranges and are ranked only where the "
                        "range excludes 1")

    from digits.edge.bench.pipeline import SAMPLES_DIR, pipeline, probe_image  # OpenCV and the reader

    samples = Path(config.samples_dir) if config.samples_dir else SAMPLES_DIR
    stages, pipeline_note = pipeline(paths, config.pipeline_frames, backends[0], samples, log)

    runs, startup_note = [], None
    if config.startup_runs > 0:
        model = paths.get("int8") or next(iter(paths.values()))
        image = probe_image(samples)
        log(f"start-up: {config.startup_runs} fresh edge process(es)")
        runs.append(startup(model, backends[0], config.startup_runs, image))
        if config.tensorflow and tensorflow_installed():
            log(f"start-up: {config.startup_runs} fresh TensorFlow process(es) (tf.lite.Interpreter)")
            try:
                runs.append(startup(model, "tensorflow", config.startup_runs, image))
            except DigitsError as exc:  # a broken TensorFlow must not cost the edge figures
                startup_note = f"the TensorFlow run failed: {exc}"
        elif not config.tensorflow:
            startup_note = "the TensorFlow comparison was not asked for (--quick or --no-tensorflow)"
        else:
            startup_note = "TensorFlow is not installed here, so there is nothing to compare with"
    if any(r.runtime == "edge" and r.imported_tensorflow for r in runs):
        warnings.append("the edge start-up probe imported TensorFlow: the edge runtime is not "
                        "TensorFlow-free")

    install = [install_size(extra) for extra in ("edge", "train")]
    here = replace(here, load_after=_load())
    return BenchResult(
        machine=here, config=_jsonable(config), variants=variants, latency=rows, noise=noise, noisy=noisy,
        pipeline=stages, pipeline_note=pipeline_note, startup=runs, startup_note=startup_note,
        install=install, findings=findings(cells, rows, variants, noisy, here) + stage_findings(stages, rows),
        targets=targets(stages, runs), warnings=warnings, seconds=time.perf_counter() - started,
    )


def stage_findings(stages: list[Stages], rows: list[Latency]) -> list[str]:
    """The reader's classify stage beside one bare invoke of the model, from the two tables."""
    out = []
    for s in (s for s in stages if s.resolution == "640x480"):
        invoke = next((r for r in rows if r.variant == s.variant and r.kernels == "xnnpack"
                       and r.threads == 1 and r.batch == max(BATCHES)), None)
        if invoke:
            out.append(f"{s.variant}, 640x480: the reader's classify stage takes {s.classify_ms:.2f} ms "
                       f"per frame ({s.digits_per_frame:.1f} digits found, each cropped and brought to "
                       f"28x28 first); compare one bare invoke of {invoke.batch} images: "
                       f"{invoke.p50_ms:.3f} ms (p50)")
    return out


def targets(stages: list[Stages], runs: list[Startup]) -> list[str]:
    """The issue's goals beside what this run measured; a goal with nothing measured is said so."""
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    out = []
    frames = [s for s in stages if s.resolution == "640x480"]
    for s in frames:
        out.append(f"reader, {s.variant}, 640x480, 1 thread, decode to drawn: p50 {s.p50_ms:.2f} ms "
                   f"(≤ {TARGET_READER_P50_MS:g} ms: {met(s.p50_ms <= TARGET_READER_P50_MS)})")
    if not frames:
        out.append(f"reader p50 ≤ {TARGET_READER_P50_MS:g} ms at 640x480: not measured (no pipeline stage)")
    edge = next((r for r in runs if r.runtime == "edge"), None)
    tf = next((r for r in runs if r.runtime == "tensorflow"), None)
    if edge:
        out.append(f"edge cold start {edge.cold_start_s:.2f} s (≤ {TARGET_COLD_START_S:g} s: "
                   f"{met(edge.cold_start_s <= TARGET_COLD_START_S)}), peak RSS {edge.peak_rss_mb:.0f} MB "
                   f"(≤ {TARGET_PEAK_RSS_MB:g} MB: {met(edge.peak_rss_mb <= TARGET_PEAK_RSS_MB)})")
    if edge and tf:
        ratio = tf.peak_rss_mb / edge.peak_rss_mb
        out.append(f"full TensorFlow needs {ratio:.1f}× the edge runtime's memory "
                   f"(≥ {TARGET_TF_MEMORY_RATIO:g}×: {met(ratio >= TARGET_TF_MEMORY_RATIO)})")
    elif edge:
        out.append(f"≥ {TARGET_TF_MEMORY_RATIO:g}× less memory than TensorFlow: not measured in this run")
    return out


def _jsonable(config: BenchConfig) -> dict:
    return {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in vars(config).items()}
