"""Accuracy, per-class precision/recall/F1 and the confusion matrix, from labels alone (numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassScore:
    label: int
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    accuracy: float
    per_class: tuple[ClassScore, ...]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    confusion: np.ndarray  # rows: true digit, columns: predicted digit, then "not a digit"

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def not_a_digit_rate(self) -> float:
        """Share of the digits called "not a digit"."""
        return float(self.confusion[:, -1].sum() / max(1, self.count))


def score(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> Scores:
    """Scores over digits: a digit called "not a digit" (label `classes`) counts as a miss, and
    lands in the confusion matrix's last column."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    confusion = np.zeros((classes, classes + 1), np.int64)
    np.add.at(confusion, (y_true, np.minimum(y_pred, classes)), 1)
    hits = np.diag(confusion[:, :classes]).astype(np.float64)
    predicted, actual = confusion[:, :classes].sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros(classes), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros(classes), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(classes), where=denom > 0)
    per_class = tuple(
        ClassScore(c, float(precision[c]), float(recall[c]), float(f1[c]), int(actual[c]))
        for c in range(classes)
    )
    return Scores(
        accuracy=float(hits.sum() / max(1, len(y_true))), per_class=per_class,
        macro_precision=float(precision.mean()), macro_recall=float(recall.mean()),
        macro_f1=float(f1.mean()), confusion=confusion,
    )
