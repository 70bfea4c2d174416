"""Keeps frames coming for days: re-opens a camera that drops out, with back-off, and loops a video.

A source opens a camera or a file once and says "no frame" when it has none left. That is the
end of a video but only a hiccup of a camera (a loose ribbon, a USB reset, a driver restart),
so `Capture` tells the two apart: a live source is re-opened after 0.5, 1, 2, 4, 5, 5 … s
while its status says "lost"; a file ends, or starts again with `loop`. Every wait is on the
caller's stop event, so shutting down never waits out a back-off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from digits.edge.errors import SourceError

if TYPE_CHECKING:
    from digits.edge.capture.sources import Source as FrameSource


class Source(Protocol):
    """What Capture needs of an opened camera or file."""

    def read(self) -> Any:
        """The next frame (an digits.edge.capture.sources Frame, or a bare image in tests), or None when there
        is none: a file ended, a camera stopped. Raising counts as None."""

    def close(self) -> None: ...


Opener = Callable[[], Source]


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    limit: float = 5.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.limit)


@dataclass(frozen=True)
class CameraStatus:
    state: str  # "starting" | "live" | "lost" | "ended" | "stopped"
    detail: str = ""
    reconnects: int = 0  # successful re-opens after a loss since the start

    def to_json(self) -> dict:
        return asdict(self)


class Capture:
    """Frames from `opener()`'s source, surviving its faults; `frames()` runs in one thread."""

    def __init__(self, opener: Opener, *, live: bool, loop: bool = False, backoff: Backoff = Backoff(),
                 on_status: Callable[[CameraStatus], None] | None = None):
        self._opener = opener
        self.live = live
        self.loop = loop
        self.backoff = backoff
        self.on_status = on_status or (lambda status: None)
        self._source: Source | None = None
        self._lock = threading.Lock()  # close() may come from another thread than frames()
        self.status = CameraStatus("starting")

    def open(self) -> None:
        """The first open: a camera that is not there is the user's error (SourceError, exit 1)."""
        source = self._opener()
        with self._lock:
            self._source = source

    def frames(self, stop: threading.Event) -> Iterator[Any]:
        """Yield frames until `stop` is set, or until a file ends without `loop`.

        The source is released however this ends, a consumer's `close()` included.
        """
        if self._source is None:
            self.open()
        since_open = 0
        try:
            while not stop.is_set():
                frame, why = self._read()
                if frame is not None:
                    since_open += 1
                    if self.status.state != "live":
                        self._set("live")
                    yield frame
                    continue
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
                if not self._reconnect(stop):
                    break
                since_open = 0
            self._set("stopped", self.status.detail)
        finally:
            self._release()

    def close(self) -> None:
        self._release()

    def _read(self) -> tuple[Any, str]:
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
        return True

    def _reconnect(self, stop: threading.Event) -> bool:
        """Re-open with back-off until it works (True) or `stop` is set (False)."""
        for delay in self.backoff.delays():
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


# --- the sources as Capture's sources ---------------------------------------------------------

LIVE_PREFIXES = ("/dev/video",)


def is_live(spec: str) -> bool:
    """A camera, which may come back when lost, rather than a file, which ends."""
    text = str(spec).strip()
    return text == "picamera2" or text.isdigit() or text.startswith(LIVE_PREFIXES)


class SourceReader:
    """An digits.edge.capture.sources source (an iterator of Frames) read one frame at a time."""

    def __init__(self, source: FrameSource):
        self.source = source
        self._frames = iter(source)

    def read(self) -> Any:
        return next(self._frames, None)  # a SourceError mid-run propagates: Capture retries

    def close(self) -> None:
        self.source.close()


def source_opener(spec: str, width: int = 640, height: int = 480, fps: float = 30) -> Opener:
    """Opens `--source` afresh each call: the first call's errors are the user's (exit 1 or 2)."""
    from digits.edge.capture.sources import open_source

    return lambda: SourceReader(open_source(spec, width, height, fps))
