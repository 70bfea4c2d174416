"""Soak: 8,000 frames of a generated video through the real loop of `digits serve` (capture with
--loop, the reader, the overlay, JPEG, the hub) must not grow the process: RSS by less than
5 MB, and not one thread or file descriptor more. Slow; `make test` runs it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from digits.edge.capture.capture import Capture, capture_source
from digits.edge.capture.sources import parse_source
from digits.edge.live.serve import Hub, LiveView, ReadLoop, reader_process
from tests.test_serve import edge_model, get, open_stream, read_part, write_video

FRAMES = 8_000
CLIP = 250  # frames in the clip: it is re-opened 32 times, so a leaked handle would show
WARM = 2_000  # allocations settle (interpreter batch sizes, OpenCV buffers) before the first sample
MAX_RSS_GROWTH_KB = 5 * 1024


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to measure")
def test_8000_frames_grow_nothing(tmp_path):
    from digits.edge.core.reader import Reader

    video = write_video(tmp_path / "soak.avi", frames=CLIP, size=(160, 120))
    # every blob classified and drawn, however unsure the model: the whole path runs each frame
    process = reader_process(Reader(edge_model(tmp_path), threads=1, min_confidence=0.0))
    stop = threading.Event()
    samples: dict[int, tuple[int, int, int]] = {}
    # the same point of the clip for both samples: mid-clip, the video file open
    first, last = WARM + CLIP // 2, FRAMES - CLIP // 2

    def counted(frame, index, fps):
        out = process(frame, index, fps)
        if index in (first, last):
            samples[index] = (rss_kb(), threading.active_count(), fds())
        if index + 1 >= FRAMES:
            stop.set()
        return out

    threads_before, fds_before = threading.active_count(), fds()
    capture = capture_source(parse_source(video), loop=True)
    capture.open()
    hub = Hub()
    loop = ReadLoop(capture, counted, hub, stop)
    loop.start()
    loop.join(timeout=600)
    assert not loop.is_alive(), "8,000 frames took more than 10 minutes"
    assert loop.error is None, loop.error
    assert capture.status.state == "stopped"
    assert len(hub.latest()["digits"]) == 4  # the clip's four digits were found and read

    (rss0, threads0, fds0), (rss1, threads1, fds1) = samples[first], samples[last]
    print(f"\nRSS {rss0} -> {rss1} kB over {last - first} frames; threads {threads0} -> {threads1}; "
          f"fds {fds0} -> {fds1}")
    assert rss1 - rss0 < MAX_RSS_GROWTH_KB, f"RSS grew {(rss1 - rss0) / 1024:.1f} MB"
    assert threads1 <= threads0, "threads grew"
    assert fds1 <= fds0, "file descriptors grew"
    # nothing left behind; fewer is no leak (an earlier test's socket may be collected meanwhile)
    assert threading.active_count() <= threads_before and fds() <= fds_before, \
        "the loop left a thread or a file descriptor behind"


@pytest.mark.slow
def test_a_thousand_viewer_connections_leave_nothing_behind(tmp_path):
    """Viewers come and go (page loads, polls, streams cut off) without threads or fds left over."""
    from tests.test_serve import FakeCamera, fake_process, wait_for

    camera = FakeCamera()
    capture = Capture(camera.open, live=True)
    capture.open()
    with LiveView(capture, fake_process, port=0) as view:
        port = view.server.address[1]
        wait_for(lambda: view.hub.latest()["camera"]["frames_read"] > 0, "a frame")

        def churn(n: int) -> None:
            for i in range(n):
                if i % 4 == 0:  # a closed stream's place is free once its thread has seen it go
                    wait_for(lambda: view.hub.latest()["camera"]["viewers"] < view.hub.max_viewers, "a place")
                    sock, f = open_stream(port)
                    read_part(f)
                    f.close()
                    sock.close()
                else:
                    assert get(port, ("/", "/api/latest", "/healthz")[i % 3])[0] == 200

        churn(100)  # warm up
        wait_for(lambda: view.hub.latest()["camera"]["viewers"] == 0, "viewers to leave")
        threads0, fds0, rss0 = threading.active_count(), fds(), rss_kb()
        churn(1000)
        wait_for(lambda: view.hub.latest()["camera"]["viewers"] == 0, "viewers to leave")
        wait_for(lambda: threading.active_count() <= threads0, "handler threads to end")
        # the thread count may fall back while a handler still closes its socket (another
        # test's thread ending meanwhile): a leaked descriptor stays past the wait, a closing one not
        wait_for(lambda: fds() <= fds0, "file descriptors to close")
        assert rss_kb() - rss0 < MAX_RSS_GROWTH_KB


SOAK_S = float(os.environ.get("DIGITS_SOAK_S", "0"))  # `make soak` sets it: 1800 s unless SOAK_S=…
SOAK_VIEWERS = 10
SOAK_RSS_MB = 10.0


@pytest.mark.slow
@pytest.mark.skipif(SOAK_S <= 0, reason="`make soak` runs it (DIGITS_SOAK_S seconds)")
def test_soak_viewers_join_and_leave():
    """A real `digits serve` on the sample video for DIGITS_SOAK_S seconds; ten viewers join,
    watch for 1-5 s, leave and come back, and a page polls /api/latest twice a second. After a
    warm-up, the server's RSS stays within SOAK_RSS_MB, and its threads return to idle."""
    import random
    import time

    from tests.test_hostile_clients import Server, connect, status_line

    served = Server("--max-viewers", str(SOAK_VIEWERS))
    stop = threading.Event()
    counts = {"streams": 0, "parts": 0, "refused": 0, "polls": 0}
    lock = threading.Lock()

    def viewer(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            sock = connect(served.port)
            try:
                sock.sendall(f"GET /stream.mjpg HTTP/1.0\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
                ok = b" 200 " in status_line(sock)
                end, got = time.monotonic() + rng.uniform(1, 5), 0
                while ok and time.monotonic() < end and not stop.is_set():
                    got += sock.recv(65536).count(b"--digitsframe")
            except OSError:
                ok = False
            finally:
                sock.close()
            with lock:
                counts["streams" if ok else "refused"] += 1
                counts["parts"] += got if ok else 0
            stop.wait(rng.uniform(0, 1))

    def poller() -> None:
        while not stop.wait(0.5):
            assert served.get("/api/latest")[0] == 200
            with lock:
                counts["polls"] += 1

    try:
        workers = [threading.Thread(target=viewer, args=(i,), daemon=True) for i in range(SOAK_VIEWERS)]
        workers.append(threading.Thread(target=poller, daemon=True))
        for w in workers:
            w.start()
        warm = min(60.0, SOAK_S / 6)
        time.sleep(warm)
        start_rss, samples = served.rss_mb(), []
        end = time.monotonic() + SOAK_S - warm
        while time.monotonic() < end:
            time.sleep(min(5.0, max(0.0, end - time.monotonic())))
            samples.append((served.rss_mb(), served.threads()))
        stop.set()
        for w in workers:
            w.join(15)
        time.sleep(2.0)
        idle_threads = served.threads()
        top = max(rss for rss, _ in samples)
        print(f"\nsoak: {SOAK_S:.0f} s ({warm:.0f} s warm-up), {SOAK_VIEWERS} viewers: {counts['streams']} "
              f"streams, {counts['parts']} frames sent, {counts['refused']} refused, "
              f"{counts['polls']} polls; "
              f"RSS {served.idle_rss:.1f} MB idle -> {start_rss:.1f} after warm-up -> max {top:.1f}, "
              f"end {samples[-1][0]:.1f}; threads idle {served.idle_threads}, max "
              f"{max(t for _, t in samples)}, after {idle_threads}; RSS every 30 s: "
              + " ".join(f"{rss:.1f}" for rss, _ in samples[::6]))
        assert top - start_rss < SOAK_RSS_MB, f"RSS grew {top - start_rss:.1f} MB"
        assert idle_threads <= served.idle_threads, "threads did not come back to idle"
        # a viewer back within a frame of leaving may find its old place not yet free: 503, retry
        assert counts["refused"] <= 0.05 * counts["streams"] and counts["streams"] > 0
    finally:
        stop.set()
        served.stop()
