"""The evaluation report: terminal tables, and Markdown + PNG plots under reports/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.common.files import atomic_path, write_text
from digits.train.metrics import Scores


@dataclass(frozen=True)
class Mistake:
    image: np.ndarray  # 28x28 float in [0, 1]
    truth: int
    predicted: int
    confidence: float


def scores_table(scores: Scores, title: str) -> str:
    lines = [f"{title}: accuracy {scores.accuracy:.2%} on {scores.count:,} images",
             "", "| digit | precision | recall | F1 | support |",
             "|---:|---:|---:|---:|---:|"]
    for c in scores.per_class:
        lines.append(f"| {c.label} | {c.precision:.4f} | {c.recall:.4f} | {c.f1:.4f} | {c.support} |")
    lines.append(f"| macro | {scores.macro_precision:.4f} | {scores.macro_recall:.4f} | "
                 f"{scores.macro_f1:.4f} | {scores.count} |")
    return "\n".join(lines)


def confusion_table(confusion: np.ndarray) -> str:
    """Rows: true digit; columns: predicted digit, then ✗ ("not a digit")."""
    columns = [str(i) for i in range(10)] + ["✗"] * (confusion.shape[1] - 10)
    header = "| true \\ predicted | " + " | ".join(columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for t in range(10):
        lines.append(f"| **{t}** | " + " | ".join(str(v) for v in confusion[t]) + " |")
    return "\n".join(lines)


def can_plot() -> bool:
    """matplotlib comes with the train extra; a Pi with only the edge extra gets tables."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # headless: files only, never a window
    except ImportError:
        return False
    return True


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def plot_confusion(confusion: np.ndarray, path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    errors = confusion.copy()
    np.fill_diagonal(errors, 0)
    columns = confusion.shape[1]
    fig, ax = plt.subplots(figsize=(6.5, 5))
    im = ax.imshow(errors, cmap="Reds")
    for t in range(10):
        for p in range(columns):
            ax.text(p, t, str(confusion[t, p]), ha="center", va="center", fontsize=7,
                    color="black" if t != p else "tab:blue")
    ax.set_xticks(range(columns), [str(i) for i in range(10)] + ["✗"] * (columns - 10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title} (colour: errors only)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    _save(fig, path)
    plt.close(fig)


def plot_mistakes(mistakes: list[Mistake], path: Path, title: str, limit: int = 40) -> None:
    import matplotlib.pyplot as plt

    shown = sorted(mistakes, key=lambda m: -m.confidence)[:limit]
    cols = 10
    rows = max(1, int(np.ceil(len(shown) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.35))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, m in zip(np.ravel(axes), shown):
        ax.imshow(m.image, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{m.truth}→{m.predicted} {m.confidence:.0%}", fontsize=7)
    fig.suptitle(f"{title}: the most confident mistakes (true→predicted, confidence)", fontsize=9)
    _save(fig, path)
    plt.close(fig)


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if key in history:
            left.plot(epochs, history[key], label=label)
    left.set_yscale("log")
    left.set_title("loss")
    for key, label in (("accuracy", "training (augmented)"), ("val_accuracy", "validation")):
        if key in history:
            right.plot(epochs, history[key], label=label)
    right.set_ylim(0.97, 1.0)
    right.set_title("accuracy")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def plot_reliability(curves: dict, path: Path, title: str) -> None:
    """Reliability diagrams side by side: accuracy against confidence per bin, the diagonal
    being perfect calibration; bar shade shows how many predictions fall in each bin."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 4), squeeze=False)
    for ax, (name, rel) in zip(axes[0], curves.items()):
        centres = (rel.edges[:-1] + rel.edges[1:]) / 2
        width = rel.edges[1] - rel.edges[0]
        filled = rel.counts > 0
        share = rel.counts / max(1, rel.counts.sum())
        ax.bar(centres[filled], np.nan_to_num(rel.accuracy)[filled], width=width * 0.95,
               color=plt.cm.Blues(0.3 + 0.7 * np.sqrt(share[filled])), edgecolor="tab:blue",
               label="accuracy")
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect")
        ax.plot(rel.confidence[filled], np.nan_to_num(rel.accuracy)[filled], "o", color="tab:red",
                ms=3, label="(confidence, accuracy)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence (top probability)")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{name}: ECE {rel.ece:.2%} (n={int(rel.counts.sum()):,})", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    _save(fig, path)
    plt.close(fig)


def write_markdown(path: Path, sections: list[str]) -> None:
    write_text(path, "\n\n".join(sections) + "\n")
