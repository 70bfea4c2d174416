"""Where the project keeps what it fetched and made: one place for every folder and file name."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_NAME = "mnist-verified.npz"  # the verified MNIST arrays, written once by `digits data`
TEST_SET_NAME = "mnist-test.npz"  # the compact test set the edge benchmark and evaluation read on a Pi
HISTORY_NAME = "history.json"  # written beside digits.keras by `digits train`


def default_cache_dir() -> Path:
    """$DIGITS_CACHE, else $XDG_CACHE_HOME/digits, else ~/.cache/digits."""
    if os.environ.get("DIGITS_CACHE"):
        return Path(os.environ["DIGITS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digits"
