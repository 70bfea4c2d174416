"""`digits scenes`: generate camera-like pages, read them with the edge reader, print the scores."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from digits.common.cli import CONTEXT
from digits.common.progress import progress
from digits.scenes.vary import VARIATIONS


@click.command(context_settings=CONTEXT)
@click.option("--count", type=click.IntRange(1, 100_000), default=100, show_default=True,
              help="Pages per level.")
@click.option("--levels", default="clean,camera,hard,real", show_default=True,
              help="Comma-separated levels: clean, camera, hard, real.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the pages and truth.json here.")
@click.option("--model", type=click.Path(path_type=Path), default=None,
              help="A .tflite digit model [default: the shipped int8 model].")
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Interpreter threads (1: the per-core latency the goals are set in).")
@click.option("--no-fonts", is_flag=True, help="MNIST writers only, even if fonts are installed.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON object.")
@click.option("--real", "real", type=click.Path(path_type=Path), default=None,
              help="Score real photos instead: a folder with manifest.json (scenes/real) or a manifest.")
@click.option("--fetch-real", is_flag=True,
              help="With --real: first download the photos that are not committed into the cache "
                   "(checked by SHA-256). The only network use of this command.")
@click.option("--details", is_flag=True, help="With --real: one line per photo, what was missed.")
@click.option("--save-overlay", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --real: write each photo's overlay here.")
@click.option("--vary", type=click.Choice(sorted(VARIATIONS)), default=None,
              help="With --real: read a worse copy of every photo: turned a quarter (turn90, "
                   "turn270), half or twice the size, dim, bright (washed out), hazy, blurred, "
                   "noisy, saved as a JPEG of quality 30, or taken from further away, on a plain desk (far).")
def scenes(count, levels, seed, out, model, threads, no_fonts, as_json, real, fetch_real, details,
           save_overlay, vary) -> None:
    """Score the reader on generated photos of handwritten numbers, or on real ones (--real).

    \b
    Digits from MNIST training writers and from the handwriting fonts of Debian's
    fonts-dkg-handwriting, fonts-breip, fonts-bwht, fonts-sjfonts, fonts-rufscript and
    fonts-comic-neue (whichever are installed). Digit F1 counts a digit
    right when a read box overlaps it with IoU >= 0.5 and the label agrees; a number is
    exact when its text is. Latency is the reader's total per 640x480 frame.
    """
    if real is not None:
        from digits.scenes.real_cli import score_real

        score_real(real, model=model, threads=threads, fetch=fetch_real, details=details,
                   save_overlay=save_overlay, as_json=as_json, vary=vary)
        return
    from digits.common.errors import UsageError

    if vary is not None:
        raise UsageError("--vary is for real photos: give --real too")
    import cv2
    import numpy as np

    from digits.common.files import write_bytes, write_text
    from digits.edge.core.reader import Reader, to_json
    from digits.scenes.generate import LEVELS, GlyphBank, generate
    from digits.scenes.score import Tally, score_frame

    chosen = [lv.strip() for lv in levels.split(",") if lv.strip()]
    if not chosen or any(lv not in LEVELS for lv in chosen):
        raise UsageError(f"--levels takes a comma-separated subset of {', '.join(LEVELS)}")
    cv2.setNumThreads(threads)
    reader = Reader(model=model, threads=threads)
    bank = GlyphBank.load(fonts=not no_fonts)
    rows, truths = [], []
    for level in chosen:
        tally, times = Tally(), []
        with progress(enumerate(generate(bank, level, count, seed)), f"{level:7s}", count) as pages:
            for i, scene in pages:
                name = f"{level}_{i:04d}.png"
                result = reader.read(scene.image)
                times.append(result.timings_ms["total"])
                tally.add(score_frame(scene.truth(name), to_json(result, image=name)))
                if out is not None:
                    write_bytes(out / name, cv2.imencode(".png", scene.image)[1].tobytes())
                    truths.append(scene.truth(name))
        rows.append({"level": level, "pages": count, "digits": sum(f.truth_digits for f in tally.frames),
                     "located": tally.located, "precision": tally.digit_precision,
                     "recall": tally.digit_recall, "digit_f1": tally.digit_f1,
                     "numbers_exact": tally.number_exact, "pages_exact": tally.frames_exact,
                     "p50_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90))})
    if out is not None:
        write_text(out / "truth.json", json.dumps(truths, indent=1) + "\n")
    if as_json:
        click.echo(json.dumps({"seed": seed, "threads": threads, "fonts": sorted(bank.fonts),
                               "levels": rows, "time": time.strftime("%Y-%m-%d %H:%M:%S")}))
        return
    click.echo(f"fonts: {len(bank.fonts)} ({', '.join(sorted(bank.fonts)) or 'none: MNIST only'})")
    click.echo("\n| level | pages | digits | located | precision | recall | digit F1 | numbers exact "
               "| pages exact | p50 ms | p90 ms |")
    click.echo("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        click.echo(f"| {r['level']} | {r['pages']} | {r['digits']} | {r['located']:.3f} | "
                   f"{r['precision']:.3f} | {r['recall']:.3f} | **{r['digit_f1']:.3f}** | "
                   f"{r['numbers_exact']:.3f} | {r['pages_exact']:.3f} | {r['p50_ms']:.2f} | "
                   f"{r['p90_ms']:.2f} |")
