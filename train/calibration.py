"""Calibration: does a confidence of 90 % mean right nine times in ten? Numpy only.

`ece` is the expected calibration error over equal-width confidence bins (15, as usual): the
bins' |accuracy - mean confidence|, weighted by how many predictions fall in each. A single
temperature T, fitted on the validation split by likelihood and folded into the last Dense
layer (logits / T), is the whole correction: it changes no top-1 answer, and as part of the
weights it survives conversion to int8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BINS = 15


@dataclass(frozen=True)
class Reliability:
    """Per-bin counts, accuracy and mean confidence, and the ECE they add up to."""

    edges: np.ndarray  # (BINS + 1,)
    counts: np.ndarray  # (BINS,)
    accuracy: np.ndarray  # (BINS,) nan where a bin is empty
    confidence: np.ndarray  # (BINS,)
    ece: float


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> Reliability:
    """Confidence is the top probability over every output; right means top-1 equals the label
    (for a negative the label is "not a digit")."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.bincount(which, correct, bins) / counts
        conf = np.bincount(which, confidence, bins) / counts
    gaps = np.where(counts > 0, np.abs(np.nan_to_num(acc) - np.nan_to_num(conf)), 0.0)
    ece = float((gaps * counts).sum() / max(1, counts.sum()))
    return Reliability(edges, counts, acc, conf, ece)


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    return reliability(probs, labels, bins).ece


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.25,
                    high: float = 8.0) -> float:
    """The T in [low, high] that minimises the negative log-likelihood (a grid on log T, then a
    finer grid around the best point: the loss is smooth and one-dimensional)."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    grid = np.exp(np.linspace(np.log(low), np.log(high), 60))
    best = grid[int(np.argmin([nll(logits, labels, t) for t in grid]))]
    fine = np.linspace(best / 1.07, best * 1.07, 41)
    return float(fine[int(np.argmin([nll(logits, labels, t) for t in fine]))])


def fit_scale(probabilities: Callable[[float], np.ndarray], labels: np.ndarray,
              grid: np.ndarray = np.exp(np.linspace(np.log(0.5), np.log(3.0), 61))) -> float:
    """The value on `grid` whose `probabilities(value)` (every output for every row) give the
    labels the least negative log-likelihood: a temperature for any way of making probabilities."""
    rows, labels = np.arange(len(labels)), np.asarray(labels, np.int64)
    losses = [-np.log(np.maximum(probabilities(float(v))[rows, labels], 1e-12)).mean() for v in grid]
    return float(grid[int(np.argmin(losses))])


def fit_reject_shift(probabilities: Callable[[float], np.ndarray], labels: np.ndarray, reject: int,
                     budget: tuple[float, ...], groups: np.ndarray,
                     grid: np.ndarray = np.linspace(-4.0, 4.0, 161)) -> float:
    """The largest shift of "not a digit" that calls at most `budget[g]` of the validation digits
    of group `g` "not a digit" (clean and camera-like digits have their own ceilings in the gate):
    as many negatives rejected as the digits' budget allows. `probabilities(shift)` gives every
    output for every row. Rejections only grow with the shift: the first one over budget ends
    the search."""
    labels, groups = np.asarray(labels, np.int64), np.asarray(groups, np.int64)
    members = [(groups == g) & (labels != reject) for g in range(len(budget))]
    best = float(grid[0])
    for shift in grid:
        called = probabilities(float(shift)).argmax(axis=1) == reject
        if any(m.any() and called[m].mean() > b for m, b in zip(members, budget)):
            break
        best = float(shift)
    return best
