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


@pytest.fixture
def first_stage_input(mnist, monkeypatch, tmp_path):
    """A function: `fit.train` a TrainConfig on MNIST's first 6,000 training images (its
    `.mnist`), stopped where the digit model would start, giving back the images and labels it
    would train on."""
    from digits.train import fit

    class _Stop(Exception):
        pass

    seen = {}

    def first_stage(x, y, *_):
        seen["x"], seen["y"] = x, y
        raise _Stop

    monkeypatch.setattr(fit, "_fit_digits", first_stage)
    small = Mnist(mnist.x_train[:6_000], mnist.y_train[:6_000], mnist.x_test[:10], mnist.y_test[:10],
                  source="subset")

    def run(cfg):
        with pytest.raises(_Stop):
            fit.train(small, tmp_path, cfg)
        return seen["x"], seen["y"]

    run.mnist = small
    return run
