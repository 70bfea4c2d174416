"""`digits serve`: the live view in a browser (edge/serve.py), on the command line."""

from __future__ import annotations

from pathlib import Path

import click

from digits.common.cli import CONTEXT
from digits.edge.cli import _reader, frame_options, reader_options, rotate_option
from digits.edge.live.http import Limits

IMAGE_PACE = 2.0  # still images (a file or a folder) are shown this many per second


@click.command(context_settings=CONTEXT)
@click.option("--source", required=True,
              help="picamera2, a camera index or /dev/videoN, a video file, an image or a folder.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. 0.0.0.0 opens the page to the whole network: set --token "
                   "then, or anyone who reaches the port sees the camera.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--loop", is_flag=True, help="Start a video, image or folder again when it ends.")
@frame_options
@rotate_option
@click.option("--token", envvar="DIGITS_TOKEN", default=None,
              help="Access token: the page asks for it once and keeps it in a cookie; scripts send "
                   "`Authorization: Bearer TOKEN` [default: $DIGITS_TOKEN; none: no token asked].")
@click.option("--allow-host", multiple=True, metavar="NAME",
              help="Another name or address the page may be opened by (repeatable); loopback, the "
                   "listening address and this machine's names are always allowed.")
@click.option("--max-viewers", type=click.IntRange(1, 256), default=Limits.max_viewers, show_default=True,
              help="Streams at once; one more gets 503 with Retry-After.")
@click.option("--max-connections", type=click.IntRange(4, 4096), default=Limits.max_connections,
              show_default=True, help="Connections still sending their request; when full, the "
                                      "oldest is answered 503 and closed.")
@click.option("--header-timeout", type=click.FloatRange(0.5, 120), default=Limits.header_timeout,
              show_default=True, help="Seconds a client has to send its whole request (line and headers).")
@reader_options
def serve(source, host, port, loop, width, height, fps, rotate, token, allow_host, max_viewers,
          max_connections, header_timeout, model: Path | None, backend, threads, min_confidence) -> None:
    """Serve the live view: open http://HOST:PORT/ in a browser.

    \b
    One loop captures, reads and draws; every viewer gets its newest frame, so a slow
    viewer skips frames and never slows the camera.
      /              the stream with the numbers read, FPS and the camera's state
      /stream.mjpg   the overlay as MJPEG (multipart/x-mixed-replace)
      /api/latest    the latest result as `digits read --json` gives it, plus "camera"
      /healthz       200 while frames flow, 503 while the camera is lost (no token needed)
    Only GET, HEAD and OPTIONS are answered, only to a Host that names this server. One line
    per request and per error goes to stderr (journald), at most 20 a second. An image of
    a folder that cannot be read is logged once, skipped, and listed on the page.
    A camera that fails to open is an error (exit 1); one that stops mid-run is re-opened
    with back-off while the page says "camera lost"; one that hangs without an error for a
    minute ends the process (exit 1) for systemd to restart. A video plays at its own rate
    and, with --loop, starts again. SIGTERM or Ctrl-C stops it cleanly (exit 0).
    """
    from digits.edge.capture.capture import capture_source
    from digits.edge.capture.sources import SourceSettings, parse_source
    from digits.edge.live.access import Access
    from digits.edge.live.memory import bound_malloc_arenas
    from digits.edge.live.serve import LiveView, reader_process, run_until_stopped

    bound_malloc_arenas()  # before any thread: viewers' threads then share two heaps
    spec = parse_source(source)
    capture = capture_source(spec, SourceSettings(width, height, fps, rotate), loop=loop)
    capture.open()  # a camera or file that is not there: one line and exit 1 (or 2), before the model
    try:
        reader = _reader(model, backend, threads, min_confidence)
        limits = Limits(max_connections=max_connections, max_viewers=max_viewers,
                        header_timeout=header_timeout)
        access = Access(host, frozenset(h.strip().lower().strip("[]") for h in allow_host), token or None)
        view = LiveView(capture, reader_process(reader), host=host, port=port,
                        pace=None if spec.live else _file_pace(spec, fps), limits=limits, access=access)
    except BaseException:
        capture.close()
        raise

    def announce(url: str) -> None:
        click.echo(f"digits serve: {url}  (source {source}; Ctrl-C stops)", err=True)
        if host not in ("127.0.0.1", "localhost", "::1") and not token:
            click.echo("warning: listening beyond this machine without --token: anyone who "
                       f"reaches port {view.server.address[1]} sees the camera", err=True)

    run_until_stopped(view, announce)


def _file_pace(spec, fallback: float) -> float:
    """Frames per second to show a file at: a video's own rate, still images IMAGE_PACE."""
    import cv2

    if spec.kind != "video":
        return IMAGE_PACE
    cap = cv2.VideoCapture(str(spec.paths[0]))
    try:
        rate = cap.get(cv2.CAP_PROP_FPS)
    finally:
        cap.release()
    return rate if 1 <= rate <= 240 else fallback
