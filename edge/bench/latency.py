"""Model latency: what each (variant, backend, kernels, threads, batch) cell costs per invoke.

People pick a variant from one table, so the table must survive a noisy machine. Every cell
gets its own interpreter, and all cells take turns inside every round in a fresh random
order: drift and other people's jobs hit all of them alike. A ratio to float32 is the median
of per-round ratios (paired, same round), and comes with the interquartile range of those
ratios; a run whose rounds disagree too much is marked noisy and ranks nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digits.edge.bench.config import NOISE_LIMIT, SAME, XNNPACK, BenchConfig
from digits.edge.bench.results import Latency
from digits.edge.core.interpreter import Classifier


class Cell:
    """One interpreter at one setting, its input set once; `run(n)` times n invokes."""

    def __init__(self, variant: str, path: Path, backend: str, kernels: str, threads: int, batch: int,
                 digits: np.ndarray):
        self.variant, self.backend, self.kernels, self.threads, self.batch = \
            variant, backend, kernels, threads, batch
        classifier = Classifier(path, backend=backend, threads=threads, xnnpack=kernels == XNNPACK,
                                exact_batch=True)
        classifier.set_input(np.resize(digits.astype(np.float32) / 255.0, (batch, 28, 28)))
        self.invoke = classifier.invoke
        self.samples: list[np.ndarray] = []  # nanoseconds per invoke, one array per round
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
                    threads: tuple[int, ...], digits: np.ndarray, log: Callable[[str], None]) -> list[Cell]:
    cells = [Cell(v, paths[v], b, k, t, n, digits)
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


def paired_ratio(a: Cell, b: Cell) -> tuple[float, float, float]:
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


def summarise(cells: list[Cell], macs: dict[str, int | None]) -> tuple[list[Latency], float, bool]:
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
