"""Where the shipped models and sample images live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

from digits.common.card import model_filename

EDGE_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = EDGE_DIR / "models"
SAMPLES_DIR = EDGE_DIR / "samples"


def default_model(variant: str = "int8") -> Path:
    """The shipped model the runtime uses when no --model is given."""
    return MODELS_DIR / model_filename(variant)
