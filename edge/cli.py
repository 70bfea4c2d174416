"""`digits read` and `digits camera`: the reader on files, folders, videos and cameras.

The heavy imports (OpenCV, the interpreter) happen inside the commands, so `digits --help`
and the other verbs stay quick. Errors are raised as DigitsError subclasses and turned into
one line and an exit code by `digits.cli.DigitsGroup`: 2 for usage mistakes, 1 for a failed read.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from digits.common.cli import CONTEXT


def reader_options(f):
    f = click.option("--model", type=click.Path(path_type=Path), default=None,
                     help="A .tflite digit model [default: the shipped int8 model].")(f)
    f = click.option("--backend", type=click.Choice(["auto", "litert", "tflite-runtime", "tensorflow"]),
                     default="auto", show_default=True, help="Which TFLite interpreter to use.")(f)
    f = click.option("--threads", type=click.IntRange(1, 64), default=None,
                     help="Interpreter threads [default: the interpreter's choice].")(f)
    f = click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True,
                     help="Drop digits the model is less sure of than this.")(f)
    return f


def rotate_option(f):
    return click.option("--rotate", type=click.Choice(["0", "90", "180", "270"]), default="0",
                        show_default=True, callback=lambda ctx, param, value: int(value),
                        help="Turn every frame clockwise by this many degrees, right after it is "
                             "captured or decoded (after a photo's own EXIF orientation).")(f)


def frame_options(f):
    """--width, --height, --fps: what a camera is asked for (`digits camera` and `digits serve`)."""
    for name, kind, default, what in (("--fps", click.FloatRange(1, 240), 30, "Frame rate"),
                                      ("--height", click.IntRange(16, 8192), 480, "Frame height"),
                                      ("--width", click.IntRange(16, 8192), 640, "Frame width")):
        f = click.option(name, type=kind, default=default, show_default=True,
                         help=f"{what} asked of a camera.")(f)
    return f


def still_rotate_option(f):
    return click.option("--rotate", "turn", type=click.Choice(["auto", "0", "90", "180", "270"]),
                        default="auto",
                        show_default=True,
                        help="Turn each photo clockwise by this many degrees after its EXIF "
                             "orientation; auto turns a page lying sideways (its digits on their "
                             "side) a quarter when that reads clearly better, turns a page held "
                             "at a slant level when that reads more surely, and leaves the rest.")(f)


class OneAtATime:
    """A classifier whose model takes one image per invoke (a fixed batch of 1), asked for
    a frame's digits one by one; everything else is the wrapped classifier's."""

    def __init__(self, classifier):
        self._classifier = classifier

    def __getattr__(self, name: str):
        return getattr(self._classifier, name)

    def probabilities(self, images):
        import numpy as np

        rows = [self._classifier.probabilities(images[i : i + 1]) for i in range(len(images))]
        return np.concatenate(rows) if rows else self._classifier.probabilities(images)


def _reader(model, backend, threads, min_confidence):
    """The Reader, checked to take a frame of several digits: a model with a fixed batch of 1
    is run digit by digit (one line says so); one that cannot run at all is one ModelError."""
    import numpy as np

    from digits.common.cli import quiet_native_stderr
    from digits.common.errors import ModelError
    from digits.edge.core.reader import Reader

    if threads is not None:  # the segmenter's OpenCV calls keep to the same budget
        import cv2

        cv2.setNumThreads(threads)

    def load():
        return Reader(model=model, backend=backend, threads=threads, min_confidence=min_confidence)

    with quiet_native_stderr():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate"
        reader = load()
        try:
            reader.classifier.probabilities(np.zeros((2, 28, 28), np.float32))
            return reader
        except (RuntimeError, ValueError):
            pass
        reader = load()  # a fresh interpreter: the failed resize leaves the first one unusable
        reader.classifier = OneAtATime(reader.classifier)
        try:
            reader.classifier.probabilities(np.zeros((2, 28, 28), np.float32))
        except (RuntimeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelError(f"{reader.classifier.model_path}: the model does not run ({first})") from None
    click.echo(f"note: {reader.classifier.model_path} takes one digit per run (a fixed batch of 1): "
               "reading digit by digit", err=True)
    return reader


def overlay_names(paths: list[Path]) -> dict[Path, str]:
    """An overlay file name per image that no other image of the run shares: `a.png` for
    a.jpg, `a.jpg.png` when a.png is read too, `a.jpg-2.png` for a second folder's a.jpg."""
    from collections import Counter

    stems = Counter(p.stem for p in paths)
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in paths:
        base = path.stem if stems[path.stem] == 1 else path.name
        name, n = f"{base}.png", 1
        while name in taken:
            n += 1
            name = f"{base}-{n}.png"
        taken.add(name)
        names[path] = name
    return names


@click.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image, one per line.")
@click.option("--save-overlay", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write each image with its boxes and numbers drawn on it to this folder "
                   "(a.png for a.jpg; a.jpg.png and a.png.png when both are read).")
@still_rotate_option
@reader_options
def read(paths, as_json, save_overlay, turn, model, backend, threads, min_confidence) -> None:
    """Find and read the handwritten digits and numbers in image files and folders.

    \b
    Folders give their images sorted by name. An image that cannot be read is reported on
    stderr in one line and the rest are read; the exit code is then 1. Images are at most
    64 MiB and 40 megapixels (a bigger JPEG is read at a reduced size); a photo is turned
    as its EXIF orientation says; transparency is read as white paper. JSON per image:
      {"image", "frame", "width", "height", "digits": [{"box": [x, y, w, h], "label",
       "confidence"}], "numbers": [{"box", "text", "confidence"}],
       "timings_ms": {"decode", "segment", "classify", "total"}}
    `total` is the reader's time (segment + classify + grouping); `decode` is the file's.
    """
    from digits.common.errors import DigitsError
    from digits.edge.capture.images import display, read_image
    from digits.edge.capture.sources import image_paths
    from digits.edge.core.orient import read_upright, rotate
    from digits.edge.core.reader import to_json

    files = image_paths(paths)  # a missing path is a usage mistake: exit 2 before any work
    if not files:
        raise click.UsageError("no images found in the given folders")
    reader = _reader(model, backend, threads, min_confidence)
    names = overlay_names(files)
    failed = 0
    if not as_json:
        click.echo(f"{'image':<32} {'size':>9}  {'ms':>6}  {'digits':>6}  numbers (confidence)")
    for path in files:
        try:
            image, decode_ms = read_image(path)
            if turn == "auto":
                result, _, image = read_upright(reader, image)
            else:
                image = rotate(image, int(turn))
                result = reader.read(image)
        except DigitsError as exc:
            click.echo(f"error: {exc}", err=True)
            failed += 1
            continue
        if as_json:
            click.echo(json.dumps(to_json(result, image=display(path), frame=0, decode_ms=decode_ms)))
        else:
            numbers = "  ".join(f"{n.text} ({n.confidence:.2f})" for n in result.numbers) or "-"
            click.echo(f"{_short(display(path), 32):<32} {result.width:>4}x{result.height:<4}  "
                       f"{result.timings_ms['total']:6.1f}  {len(result.digits):>6}  {numbers}")
        if save_overlay is not None:
            _save_overlay(save_overlay / names[path], image, result)
    if failed:
        click.echo(f"{failed} of {len(files)} images could not be read", err=True)
        sys.exit(1)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]


def _save_overlay(path: Path, image, result, fps: float | None = None) -> None:
    import cv2

    from digits.common.files import write_bytes
    from digits.edge.overlay import draw

    ok, data = cv2.imencode(".png", draw(image, result, fps))
    if ok:
        write_bytes(path, data.tobytes())


@click.command(context_settings=CONTEXT)
@click.option("--source", default="0", show_default=True,
              help="Camera index, /dev/videoN, picamera2, a video file, an image or a folder.")
@frame_options
@click.option("--headless", is_flag=True, help="No window: print the numbers when they change.")
@click.option("--max-frames", type=click.IntRange(1), default=None, help="Stop after this many frames.")
@click.option("--save-overlay", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write every frame's overlay to this folder (frame_000000.png, ...).")
@rotate_option
@reader_options
def camera(source, width, height, fps, headless, max_frames, save_overlay, rotate, model, backend, threads,
           min_confidence) -> None:
    """Read numbers live from a camera (or a video, image or folder) with an overlay window.

    With --headless, prints a line whenever the set of numbers on view changes. A video
    that ends stops the loop; a camera that is not there, or that stops delivering frames
    after a few retries, is an error (exit 1). An image of a folder that cannot be read is
    reported in one line and skipped. Ctrl-C stops.
    """
    import threading

    import cv2

    from digits.common.errors import UsageError
    from digits.edge.capture.capture import Retry, capture_source
    from digits.edge.capture.sources import SourceSettings, parse_source
    from digits.edge.overlay import draw

    window = "digits"
    if not headless:
        try:
            cv2.namedWindow(window, cv2.WINDOW_AUTOSIZE)
        except cv2.error:
            raise UsageError("this OpenCV has no window support (opencv-python-headless); use "
                             "--headless, --save-overlay DIR, or `digits serve`") from None
    shown: tuple[str, ...] | None = None
    rate, last, count = None, time.perf_counter(), 0
    capture = capture_source(parse_source(source), SourceSettings(width, height, fps, rotate),
                             retry=Retry(attempts=1),
                             on_skip=lambda skipped, msg: click.echo(f"error: {msg}", err=True))
    capture.open()  # the source first: a camera that is not there fails before the model is loaded
    stop = threading.Event()
    frames = capture.frames(stop)
    try:
        reader = _reader(model, backend, threads, min_confidence)
        for frame in frames:
            result = reader.read(frame.image)
            now = time.perf_counter()
            instant = 1.0 / max(now - last, 1e-6)
            rate = instant if rate is None else 0.9 * rate + 0.1 * instant
            last = now
            texts = tuple(n.text for n in result.numbers)
            if headless and texts != shown:
                click.echo(f"frame {frame.index:>6}  {result.timings_ms['total']:6.1f} ms  "
                           f"{' '.join(texts) or '-'}")
                shown = texts
            if save_overlay is not None:
                _save_overlay(save_overlay / f"frame_{count:06d}.png", frame.image, result, rate)
            if not headless:
                cv2.imshow(window, draw(frame.image, result, rate))
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            count += 1
            if max_frames is not None and count >= max_frames:
                break
    finally:
        frames.close()
        capture.close()
    if not headless:
        cv2.destroyAllWindows()
    click.echo(f"{count} frames from {source}" + (f", {rate:.1f} FPS" if rate else ""), err=True)
