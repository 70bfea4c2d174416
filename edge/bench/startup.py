"""Start-up and memory: cold start to a first result and peak RSS, each in a fresh process.

The child is `python -m digits.edge.bench.probe`; its one JSON line becomes a `ProbeReport`
here, and the median of the runs a `Startup`. TensorFlow, when compared, runs only there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from digits.common.errors import ModelError, UsageError
from digits.edge.bench.probe import LAUNCHED, ProbeReport
from digits.edge.bench.results import Startup

TIMEOUT_S = 300  # one probe run; TensorFlow's import alone can take a minute on a Pi


def startup(model: Path, backend: str, runs: int, image: Path | None) -> Startup:
    """Launch the probe `runs` times; the median cold start to first result."""
    command = [sys.executable, "-m", "digits.edge.bench.probe", "--model", str(model), "--backend", backend]
    if image is not None:
        command += ["--image", str(image)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    reports = [_probe(command, env, backend) for _ in range(runs)]
    median = lambda key: float(np.median([getattr(r, key) for r in reports]))  # noqa: E731
    return Startup(
        runtime="tensorflow" if backend == "tensorflow" else "edge", backend=backend,
        work=reports[-1].work, runs=runs, cold_start_s=median("since_launch_s"),
        import_s=median("import_s"), load_s=median("load_s"), first_result_s=median("first_result_s"),
        peak_rss_mb=median("peak_rss_bytes") / 2**20,
        imported_tensorflow=any(r.imported_tensorflow for r in reports),
    )


def _probe(command: list[str], env: dict[str, str], backend: str) -> ProbeReport:
    env = {**env, LAUNCHED: repr(time.time())}  # the child times its first result from here
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise UsageError(f"the start-up probe ({backend}) did not finish in {TIMEOUT_S} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"the start-up probe ({backend}) failed: {last}")
    try:
        return ProbeReport(**json.loads(lines[-1]))
    except (ValueError, TypeError) as exc:
        raise ModelError(f"the start-up probe ({backend}) printed no report: {exc}") from None


def tensorflow_installed() -> bool:
    """Whether TensorFlow could be imported, found without importing it."""
    return importlib.util.find_spec("tensorflow") is not None
