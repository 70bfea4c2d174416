"""A progress bar for long scoring runs, shown only to a person at a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import click


@contextlib.contextmanager
def progress(items, label: str, length: int | None = None) -> Iterator:
    """`items`, with a progress bar on stderr when a person watches it (a terminal); scripts
    that read stderr get nothing but errors and warnings."""
    if not sys.stderr.isatty():
        yield items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield bar
