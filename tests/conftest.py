"""Shared fixtures. The real MNIST comes from the verified cache that `make test` fills first
(`digits data`, a visible step); tests never download anything themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from digits.train.data import CACHE_NAME, Mnist, default_cache_dir, from_npz

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    cache = default_cache_dir() / CACHE_NAME
    if not cache.is_file():
        pytest.skip(f"no verified MNIST cache at {cache}: run `digits data` (make test does)")
    return from_npz(cache)


@pytest.fixture(scope="module")
def reader():
    """The reader with the segmenter's own defaults, whichever model is shipped (a test module
    may define its own)."""
    from digits.edge.core.reader import Reader
    from digits.edge.core.shipped import default_model
    from digits.edge.core.tuning import SegmentConfig

    model = default_model("int8")
    if not model.is_file():
        pytest.skip("no shipped model")
    return Reader(model, threads=1, segment_config=SegmentConfig())
