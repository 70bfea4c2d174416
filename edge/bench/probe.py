"""Child process for `digits bench`'s start-up figures: import, load, one result, then report.

Run as `python -m digits.edge.bench.probe --model M --backend B [--image I]`. It imports nothing
the runtime does not need, so its peak RSS is the runtime's. With `--backend tensorflow` the
same work goes through TensorFlow's `tf.lite.Interpreter`, for comparison. Prints one JSON
line, a `ProbeReport`, once the first result exists, with the wall time since the parent
launched it (`DIGITS_BENCH_LAUNCHED`, seconds since the epoch): python's own start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass

LAUNCHED = "DIGITS_BENCH_LAUNCHED"  # the environment variable with the parent's wall clock at launch


@dataclass(frozen=True)
class ProbeReport:
    work: str  # what was timed, e.g. "Reader.read of one 640x480 frame"
    answer: int  # digits found, so the work cannot be skipped
    since_launch_s: float  # launch to first result, python's start-up included
    import_s: float
    load_s: float
    first_result_s: float
    peak_rss_bytes: int
    imported_tensorflow: bool


def peak_rss_bytes() -> int:
    """This process's own high-water mark. On Linux ru_maxrss would keep the forking parent's
    peak across exec, so read VmHWM, which belongs to the new address space."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux counts KiB, macOS bytes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m digits.edge.bench.probe")
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--image", default=None, help="a frame for the reader; without it, a generated page")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    from digits.edge.core.interpreter import load_backend

    load_backend(args.backend)  # the interpreter module itself: for TensorFlow, all of it
    from digits.edge.core.reader import Reader

    imported = time.perf_counter()

    import cv2
    import numpy as np

    if args.image:
        frame = cv2.imread(args.image, cv2.IMREAD_COLOR)
        if frame is None:
            raise SystemExit(f"{args.image}: not a readable image")
        what = "frame"
    else:  # no sample shipped: a page with one hand-drawn "1" on it
        frame = np.full((480, 640, 3), 235, np.uint8)
        cv2.line(frame, (320, 180), (320, 300), (30, 30, 30), 9)
        what = "generated frame"
    reader = Reader(model=args.model, backend=args.backend)
    loaded = time.perf_counter()
    answer = len(reader.read(frame).digits)
    done = time.perf_counter()

    report = ProbeReport(
        work=f"Reader.read of one {frame.shape[1]}x{frame.shape[0]} {what}", answer=answer,
        since_launch_s=time.time() - float(os.environ.get(LAUNCHED, "nan")),
        import_s=imported - start, load_s=loaded - imported, first_result_s=done - loaded,
        peak_rss_bytes=peak_rss_bytes(), imported_tensorflow="tensorflow" in sys.modules,
    )
    print(json.dumps(asdict(report)), flush=True)


if __name__ == "__main__":
    main()
