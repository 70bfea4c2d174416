"""Real photos: a manifest of phone and webcam pictures with their truth, and their scoring.

The generator is a regression guard; these are the judge. `scenes/real/manifest.json` lists
every photo with its source (repository, commit, path, SHA-256, licence) and its truth, the
handwritten numbers row by row. Photos whose licence allows it are committed (downscaled,
metadata stripped); the rest are fetched once into the cache by `digits scenes --fetch-real`
and checked against their SHA-256.

Truth has no boxes, so digits are scored as bags: per photo, a read digit is right when the
truth still holds an unmatched digit of that label. A number is right when its text is among
the photo's numbers (an `alt_rows` grouping of the truth counts too), and a photo is exact
when its numbers are exactly the truth's. On photos with no digits, every digit is false.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digits.common.errors import UsageError
from digits.common.files import write_bytes
from digits.common.paths import default_cache_dir
from digits.scenes.score import FrameScore

MANIFEST = "manifest.json"
RAW_BASE = "https://raw.githubusercontent.com"  # `DIGITS_REAL_BASE` replaces it (tests: loopback)
MAX_PHOTO_BYTES = 40 * 2**20


@dataclass(frozen=True)
class RealPhoto:
    name: str
    repo: str
    commit: str
    path: str  # inside the repository
    sha256: str  # of the original file
    licence: str
    committed: str | None  # the committed copy, relative to the manifest's folder
    has_digits: bool
    rows: tuple[tuple[str, ...], ...]  # the numbers, row by row
    alt_rows: tuple[tuple[str, ...], ...] | None  # another fair grouping of the same digits
    rotation: int  # degrees clockwise that make the photo upright
    local: str | None = None  # a copy already on this machine (development manifests)

    @property
    def numbers(self) -> list[str]:
        return [n for row in self.rows for n in row]

    @property
    def cache_name(self) -> str:
        return f"{self.name}{Path(self.path).suffix.lower()}"


def load_manifest(path: Path) -> tuple[Path, list[RealPhoto]]:
    """(the folder that committed paths are relative to, the photos) from a folder or a file."""
    path = Path(path)
    file = path / MANIFEST if path.is_dir() else path
    try:
        raw = json.loads(file.read_text())["photos"]
        photos = [RealPhoto(
            name=p["name"], repo=p["repo"], commit=p["commit"], path=p["path"], sha256=p["sha256"],
            licence=p.get("licence", ""), committed=p.get("file") if p.get("committed") else None,
            has_digits=p["set"] == "digits", rows=tuple(tuple(r) for r in p["rows"]),
            alt_rows=tuple(tuple(r) for r in p["alt_rows"]) if p.get("alt_rows") else None,
            rotation=int(p.get("rotation", 0)), local=p.get("local")) for p in raw]
    except FileNotFoundError:
        raise UsageError(f"{file}: no such manifest") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{file}: not a photo manifest ({exc})") from None
    return file.parent, photos


def real_cache_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "real"


def locate(photo: RealPhoto, folder: Path, cache_dir: Path | None = None) -> Path | None:
    """Where the photo is on this machine: the committed copy, a local original, or the cache."""
    candidates = [folder / photo.committed] if photo.committed else []
    if photo.local:
        candidates.append(Path(photo.local))
    candidates.append(real_cache_dir(cache_dir) / photo.cache_name)
    return next((c for c in candidates if c.is_file()), None)


def fetch(photos: list[RealPhoto], cache_dir: Path | None = None,
          log: Callable[[str], None] = print) -> tuple[int, int]:
    """Download the photos that are not committed into the cache, each checked by SHA-256.

    Returns (fetched or already there, failed). Never writes a file that fails its check.
    """
    base = os.environ.get("DIGITS_REAL_BASE", RAW_BASE).rstrip("/")
    done = failed = 0
    for photo in photos:
        if photo.committed:
            continue
        target = real_cache_dir(cache_dir) / photo.cache_name
        if target.is_file() and _sha256(target.read_bytes()) == photo.sha256:
            done += 1
            continue
        url = f"{base}/{photo.repo}/{photo.commit}/{photo.path}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data = response.read(MAX_PHOTO_BYTES + 1)
        except (OSError, ValueError) as exc:
            log(f"  {photo.name}: cannot fetch ({getattr(exc, 'reason', exc)})")
            failed += 1
            continue
        if len(data) > MAX_PHOTO_BYTES or _sha256(data) != photo.sha256:
            log(f"  {photo.name}: wrong SHA-256, not kept")
            failed += 1
            continue
        write_bytes(target, data)
        done += 1
    return done, failed


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def score_photo(photo: RealPhoto, read: dict) -> FrameScore:
    """The reader's JSON for one photo against its truth, digits and numbers as bags."""
    truth_digits = Counter("".join(photo.numbers))
    read_digits = Counter(str(d["label"]) for d in read["digits"])
    correct = sum((truth_digits & read_digits).values())
    read_numbers = Counter(n["text"] for n in read["numbers"])
    best = None
    for rows in (photo.rows, photo.alt_rows):
        if rows is None:
            continue
        numbers = Counter(n for row in rows for n in row)
        exact = sum((numbers & read_numbers).values())
        missed = tuple(sorted((numbers - read_numbers).elements()))
        score = FrameScore(sum(truth_digits.values()), sum(read_digits.values()), correct, correct,
                           sum(numbers.values()), sum(read_numbers.values()), exact, missed)
        if best is None or score.exact or (not best.exact and exact > best.exact_numbers):
            best = score
    return best
