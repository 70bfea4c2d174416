"""What every command line of the project shares: click's context settings, and a quiet stderr
while native libraries start up."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Lines native libraries write straight to file descriptor 2 that tell the user nothing. LiteRT
# logs this through its own C++ logger when an interpreter applies XNNPACK; no environment
# variable (TF_CPP_MIN_LOG_LEVEL included) turns it off.
NATIVE_CHATTER = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)


@contextlib.contextmanager
def quiet_native_stderr(drop: tuple[str, ...] = NATIVE_CHATTER) -> Iterator[None]:
    """Hold what C/C++ code writes to fd 2 inside the block; pass on all but the `drop` lines."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 to borrow (a closed stderr): nothing to quieten
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read(1 << 16).decode("utf-8", "replace")
            rest = [line for line in text.splitlines(keepends=True) if not line.startswith(drop)]
            if rest:
                sys.stderr.write("".join(rest))
                sys.stderr.flush()
