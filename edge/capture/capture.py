"""Keeps frames coming: the one retry policy for every source, and looping files.

A `Source` (digits.edge.capture.sources) says "no frame" when it has none. That is the end of
a video but only a hiccup of a camera (a loose ribbon, a USB reset, a driver restart), so
`Capture` tells the two apart with one policy, `Retry`: a live source may drop `reads` frames
in a row (a short pause after each), then it is released and re-opened after 0.5, 1, 2, 4,
5, 5 … s while its status says "lost"; after `attempts` re-opens without a frame in between
it is given up (`digits camera`), or never (`digits serve`). A file ends, or starts again
with `loop`. Every wait is on the caller's stop event, so shutting down never waits out a
back-off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from digits.edge.capture.sources import (
    Frame,
    Skipped,
    Source,
    SourceSettings,
    SourceSpec,
    open_source,
)
from digits.edge.errors import SourceError

Opener = Callable[[], Source]


@dataclass(frozen=True)
class Retry:
    reads: int = 5  # failed reads in a row a live source may have before it is re-opened
    first: float = 0.5  # seconds before the first re-open; doubled each time up to `limit`
    limit: float = 5.0
    attempts: int | None = None  # re-opens without a frame in between before giving up; None: never

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.limit)


@dataclass(frozen=True)
class CameraStatus:
    state: str  # "starting" | "live" | "lost" | "ended" | "stopped" | "failed"
    detail: str = ""
    reconnects: int = 0  # successful re-opens after a loss since the start

    def to_json(self) -> dict:
        return asdict(self)


class Capture:
    """Frames from `opener()`'s source, surviving its faults; `frames()` runs in one thread."""

    def __init__(self, opener: Opener, *, live: bool, loop: bool = False, retry: Retry = Retry(),
                 on_status: Callable[[CameraStatus], None] | None = None):
        self._opener = opener
        self.live = live
        self.loop = loop
        self.retry = retry
        self.on_status = on_status or (lambda status: None)
        self.on_skip: Callable[[Skipped, str], None] = lambda skipped, message: None
        self._source: Source | None = None
        self._lock = threading.Lock()  # close() may come from another thread than frames()
        self.status = CameraStatus("starting")
        self.name = "source"  # the opened source's name, kept after it is released

    def open(self) -> None:
        """The first open: a camera that is not there is the user's error (SourceError, exit 1)."""
        source = self._opener()
        with self._lock:
            self._source = source
            self.name = source.name

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Yield frames until `stop` is set, or until a file ends without `loop`.

        The source is released however this ends, a consumer's `close()` included. A live
        source given up after `retry.attempts` raises SourceError.
        """
        if self._source is None:
            self.open()
        since_open, failures, attempts = 0, 0, 0
        try:
            while not stop.is_set():
                frame, why = self._read()
                if frame is not None:
                    since_open, failures, attempts = since_open + 1, 0, 0
                    if self.status.state != "live":
                        self._set("live")
                    yield frame
                    continue
                if self.live:
                    failures += 1
                    if failures < self.retry.reads:  # a dropped frame, not yet a lost camera
                        stop.wait(0.05 * failures)
                        continue
                failures = 0
                self._release()
                if stop.is_set():
                    break
                if not self.live:
                    if not self.loop:
                        self._set("ended", why or "end of file")
                        return
                    if since_open > 0 and self._reopen():  # a looping file: back to its start
                        since_open = 0
                        continue
                    why = why or "no frames"  # a file that gives nothing: back off, never spin
                self._set("lost", why or "no frame from the camera")
                attempts += 1
                if self.retry.attempts is not None and attempts > self.retry.attempts:
                    raise SourceError(f"{self.name}: camera stopped delivering frames")
                if not self._reconnect(stop):
                    break
                since_open = 0
            self._set("stopped", self.status.detail)
        finally:
            self._release()

    def close(self) -> None:
        self._release()

    def _read(self) -> tuple[Frame | None, str]:
        with self._lock:
            source = self._source
        if source is None:
            return None, "closed"
        try:
            return source.read(), ""
        except Exception as exc:  # any driver failure is a lost frame, never a dead server
            return None, f"{type(exc).__name__}: {exc}"

    def _reopen(self) -> bool:
        try:
            source = self._opener()
        except (SourceError, OSError) as exc:
            self._set(self.status.state, str(exc))
            return False
        with self._lock:
            self._source = source
            self.name = source.name
        return True

    def _reconnect(self, stop: threading.Event) -> bool:
        """Re-open with back-off until it works (True) or `stop` is set (False)."""
        for delay in self.retry.delays():
            if stop.wait(delay):
                return False
            if self._reopen():
                self.status = CameraStatus(self.status.state, "re-opened", self.status.reconnects + 1)
                return True
        return False  # not reached: delays() never ends

    def _release(self) -> None:
        with self._lock:
            source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:  # releasing a dead camera may fail too; it is gone either way
                pass

    def _set(self, state: str, detail: str = "") -> None:
        self.status = CameraStatus(state, detail, self.status.reconnects)
        self.on_status(self.status)


def capture_source(spec: SourceSpec, settings: SourceSettings = SourceSettings(), *, loop: bool = False,
                   retry: Retry = Retry(), on_skip: Callable[[Skipped, str], None] | None = None) -> Capture:
    """A Capture of what `--source` named, re-opened afresh after each loss or end. An image of a
    folder that cannot be read goes to `capture.on_skip` (which its consumer may replace)."""
    capture = Capture(lambda: open_source(spec, settings, lambda *skip: capture.on_skip(*skip)),
                      live=spec.live, loop=loop, retry=retry)
    if on_skip is not None:
        capture.on_skip = on_skip
    return capture
