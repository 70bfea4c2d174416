"""Boxes and blobs: what the segmenter hands the reader, and the one box union."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding every box."""
    it = iter(boxes)
    x0, y0, w, h = next(it)
    x1, y1 = x0 + w, y0 + h
    for x, y, w, h in it:  # one pass: the segmenter calls this for every group it joins
        x0, y0 = min(x0, x), min(y0, y)
        x1, y1 = max(x1, x + w), max(y1, y + h)
    return (x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class Blob:
    box: Box  # tight box of the ink, in input-image pixels
    crop: np.ndarray = field(repr=False)  # float32 ink map of the box, 0 = paper, for to_mnist
    parts: tuple[Blob, ...] = ()  # the blob cut into touching digits, when its shape suggests so
    source: object = field(default=None, repr=False, compare=False)  # cuts.CutSource: to cut it again
    pieces: int = 1  # separate pieces of ink joined into it at the working size


@dataclass(frozen=True)
class Segmentation:
    blobs: list[Blob]
    polarity: str  # "dark" or "light"
    ink_level: float  # the binarisation threshold used, as an ink strength in [0, 1]
    scale: float  # working size / input size
    lines_removed: int  # pixels of ruled lines taken out, at the working size
    pieces: int  # connected pieces before joining and rejection
    marks: tuple[Box, ...] = ()  # other ink no blob holds (a dash, a sign, a cell's wall), in
    # input-image pixels: a mark between two digits says they belong to different numbers
    rules: tuple[Box, ...] = ()  # upright ruled lines taken out (a table's, graph paper's)
    least_px: float = 0.0  # blobs shorter than this (input pixels) were found only by the closer
    # look at small writing, below the first look's smallest digit: they are no page's words
    print_lines: int = 0  # lines of small print found: a page of print, upright
    usual_print_lines: int = 0  # a closer look's lines of print counted by the usual smallest
    # digit (print between the two sizes is still print: then the closer look is not kept)
