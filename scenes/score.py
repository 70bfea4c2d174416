"""Score a reader's output against a scene's truth: digits by IoU matching, numbers by exact text.

A digit counts as found when a read box overlaps a truth box with IoU >= 0.5 (one-to-one,
best overlaps first) and it is correct when the labels agree too. Digit F1 is the F1 of
correctly labelled digits: a found digit with the wrong label is a false positive and a
false negative. A number is read exactly when a read number with the same text overlaps it
with IoU >= 0.5.

API:
    match_boxes(truth_boxes, read_boxes, min_iou=0.5) -> list[(truth_index, read_index)]
    score_frame(truth: dict, read: dict) -> FrameScore     # truth.json entry, reader JSON
    Tally.add(FrameScore); Tally.digit_f1, .number_exact, .frames_exact
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Box = tuple[int, int, int, int] | list[int]
MIN_IOU = 0.5


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match_boxes(truth: list[Box], read: list[Box], min_iou: float = MIN_IOU) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, read index), greedily by highest IoU, each >= min_iou."""
    pairs = sorted(((iou(t, r), i, j) for i, t in enumerate(truth) for j, r in enumerate(read)),
                   reverse=True)
    used_t, used_r, out = set(), set(), []
    for value, i, j in pairs:
        if value < min_iou:
            break
        if i not in used_t and j not in used_r:
            used_t.add(i)
            used_r.add(j)
            out.append((i, j))
    return out


@dataclass(frozen=True)
class FrameScore:
    truth_digits: int
    read_digits: int
    correct_digits: int  # matched and labelled right
    located_digits: int  # matched, whatever the label
    truth_numbers: int
    read_numbers: int
    exact_numbers: int
    missed: tuple[str, ...] = ()  # texts of numbers not read exactly, for reports

    @property
    def exact(self) -> bool:
        """Every number read exactly and nothing extra."""
        return self.exact_numbers == self.truth_numbers == self.read_numbers


def score_frame(truth: dict[str, Any], read: dict[str, Any]) -> FrameScore:
    """`truth`: an entry of truth.json; `read`: the reader's JSON for the same image."""
    t_boxes = [d["box"] for d in truth["digits"]]
    r_boxes = [d["box"] for d in read["digits"]]
    pairs = match_boxes(t_boxes, r_boxes)
    correct = sum(truth["digits"][i]["label"] == read["digits"][j]["label"] for i, j in pairs)
    t_numbers, r_numbers = truth["numbers"], read["numbers"]
    number_pairs = match_boxes([n["box"] for n in t_numbers], [n["box"] for n in r_numbers])
    exact = {i for i, j in number_pairs if t_numbers[i]["text"] == r_numbers[j]["text"]}
    missed = tuple(n["text"] for i, n in enumerate(t_numbers) if i not in exact)
    return FrameScore(len(t_boxes), len(r_boxes), int(correct), len(pairs),
                      len(t_numbers), len(r_numbers), len(exact), missed)


class _Share:
    """A Tally figure: the sum of one FrameScore field over the sum of another, across frames."""

    def __init__(self, part: str, whole: str):
        self.part, self.whole = part, whole

    def __get__(self, tally: Tally | None, owner=None) -> float:
        if tally is None:
            return self  # type: ignore[return-value]
        total = sum(getattr(f, self.whole) for f in tally.frames)
        return sum(getattr(f, self.part) for f in tally.frames) / max(1, total)


@dataclass
class Tally:
    """Sums of frame scores, and the figures we report."""

    frames: list[FrameScore] = field(default_factory=list)

    digit_precision = _Share("correct_digits", "read_digits")  # of the digits read, the right ones
    digit_recall = _Share("correct_digits", "truth_digits")  # of the truth's digits, those read right
    located = _Share("located_digits", "truth_digits")  # of the truth's digits, those found, any label
    number_exact = _Share("exact_numbers", "truth_numbers")  # of the truth's numbers, those read exactly

    def add(self, score: FrameScore) -> None:
        self.frames.append(score)

    @property
    def digit_f1(self) -> float:
        p, r = self.digit_precision, self.digit_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def frames_exact(self) -> float:
        return sum(f.exact for f in self.frames) / max(1, len(self.frames))
