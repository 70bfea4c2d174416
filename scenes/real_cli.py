"""`digits scenes --real`: read every photo of a real-photo manifest and print the scores."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from digits.common.progress import progress
from digits.scenes.real import RealPhoto, fetch, load_manifest, locate, score_photo
from digits.scenes.score import FrameScore, Tally


def score_real(manifest: Path, *, model=None, threads: int = 1, fetch: bool = False,
               details: bool = False, save_overlay: Path | None = None, as_json: bool = False,
               vary: str | None = None) -> dict:
    import cv2

    from digits.common.files import write_bytes
    from digits.edge.capture.images import read_image
    from digits.edge.core.orient import read_upright
    from digits.edge.core.reader import Reader, to_json
    from digits.edge.overlay import draw
    from digits.scenes.vary import vary as varied

    folder, photos = load_manifest(manifest)
    if fetch:
        got, failed = _fetch(photos)
        click.echo(f"fetched {got} photos into the cache, {failed} failed", err=True)
    cv2.setNumThreads(threads)
    reader = Reader(model=model, threads=threads)
    with_digits, without = Tally(), []
    times, lines, missing = [], [], []
    with progress(photos, "photos") as each:
        for photo in each:
            path = locate(photo, folder)
            if path is None:
                missing.append(photo.name)
                continue
            image, _ = read_image(path)
            if vary is not None:
                image = varied(image, vary, photo.rotation)
            result, _, image = read_upright(reader, image)
            times.append(result.timings_ms["total"])
            read = to_json(result, image=photo.name)
            if save_overlay is not None:
                write_bytes(save_overlay / f"{photo.name}.jpg",
                            cv2.imencode(".jpg", draw(image, result))[1].tobytes())
            if photo.has_digits:
                score = score_photo(photo, read)
                with_digits.add(score)
                lines.append(_line(photo, score, read))
            else:
                without.append(len(read["digits"]))
                lines.append(f"{photo.name:28s} no digits   false {len(read['digits'])}: "
                             f"{''.join(str(d['label']) for d in read['digits'])[:60]}")
    figures = {
        "photos": len(with_digits.frames), "digits": sum(f.truth_digits for f in with_digits.frames),
        "precision": with_digits.digit_precision, "recall": with_digits.digit_recall,
        "digit_f1": with_digits.digit_f1, "numbers_exact": with_digits.number_exact,
        "photos_exact": with_digits.frames_exact, "no_digit_photos": len(without),
        "false_digits": int(sum(without)),
        "false_digits_per_photo": float(np.mean(without)) if without else 0.0,
        "p50_ms": float(np.median(times)) if times else 0.0, "missing": missing,
    }
    if as_json:
        click.echo(json.dumps(figures))
        return figures
    if details:
        click.echo("\n".join(lines))
    if missing:
        click.echo(f"not on this machine ({len(missing)}; `--fetch-real` gets them): "
                   f"{', '.join(missing)}", err=True)
    click.echo("\n| photos | digits | precision | recall | digit F1 | numbers exact | photos exact "
               "| no-digit photos | false digits | p50 ms |")
    click.echo("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    f = figures
    click.echo(f"| {f['photos']} | {f['digits']} | {f['precision']:.3f} | {f['recall']:.3f} | "
               f"**{f['digit_f1']:.3f}** | {f['numbers_exact']:.3f} | {f['photos_exact']:.3f} | "
               f"{f['no_digit_photos']} | {f['false_digits']} | {f['p50_ms']:.1f} |")
    return figures


def _fetch(photos: list[RealPhoto]) -> tuple[int, int]:
    return fetch(photos, log=lambda m: click.echo(m, err=True))


def _line(photo: RealPhoto, score: FrameScore, read: dict) -> str:
    mark = "exact" if score.exact else f"{score.exact_numbers}/{score.truth_numbers}"
    got = " ".join(n["text"] for n in read["numbers"])
    return (f"{photo.name:28s} {mark:9s} digits {score.correct_digits}/{score.truth_digits} "
            f"read {score.read_digits}: {got[:70]}   missed {' '.join(score.missed)[:40]}")
