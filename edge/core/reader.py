"""The reader: a BGR frame in, every digit and number on it out. Never imports TensorFlow.

segment (`segment`) -> the 28x28 contract (`preprocess`) -> one invoke for every crop of the frame
(`interpreter`) -> numbers (`numbers`), all in this package.

A blob whose shape suggests touching digits is classified both whole and cut into parts, in
the same invoke. The cut is kept when the blob is too wide to be one digit (TOO_WIDE), when
it is wider than 95 % of digits and every part reads surely while the whole does not, or
when the whole reads poorly and every part better. A blob whose answer is "not a digit" (the
model's eleventh output) is dropped, and so are digits the model is unsure of (below
`min_confidence`). A ten-output model has no such answer: the reader then reads only
digit-sized blobs (`min_height_unsure`), and says so once on stderr when such a file was given
in place of a shipped model that has the answer.

With the eleventh output, a blob read poorly (dropped, or cut with a doubtful part) on a page
that is mostly digits gets a second look (`cuts`): cut at every valley of its ink, all spans
of all such blobs in one more invoke, and the likeliest cutting kept when every digit on it
reads surely (touching digits written close, which the first cut by width missed); fairly
surely (LOOK_SURE) will do when the model called the whole "not a digit" and the blob and its
cutting are shaped like touching digits (`_a_pair`: wide enough for two, each nearly as tall).

A digit under the usual smallest, which only the closer look at small writing finds, must read
at least SMALL_SURE (a form's small marks read unsure). Then the reads that are not writing are
dropped (`doubts`): a doubtful lone digit on a frame of
non-digits or at the frame's edge, a "1" far taller than the writing, stacked end to end
with others in a column (a table's wall cut by its rules), faint, or joined from
ONE_PIECES pieces or more (a column of print, a dotted edge), digits far paler than the
frame's others (grey print: a scanner app's watermark), on a page of words the digit-like
letters of its words, and last a written sum's signs: its brackets (a ")" read as 1: bowed
out and taller than the digits it closes, and its "("; or a plain "(" and ")" curved opposite
ways round other digits, at any height), an unsure 8 that
closes no loop (an x), an unsure 4 that is a cross of two strokes (a "+"), an unsure 2
shaped like a d (a formula's "dx"), and a 1 leaning far
past the other digits of its line, or in a sum a plain stroke leaning less far (a "/").
Whether the page lies sideways is judged on the reads before the signs go: signs stand up
like the digits they are written with.
Nothing under SMALLEST_PX tall is read at all: at that size a printed page's letters read as
digits, and a written digit has too few pixels to tell.

API:
    reader = Reader(model=None, backend="auto", threads=None, xnnpack=True,
                    min_confidence=0.5, segment_config=None)
    result = reader.read(frame_bgr)            # FrameResult
    result.digits: tuple[DigitRead, ...]      # box (x, y, w, h), label, confidence,
                                              # runner_up, runner_up_confidence
    result.numbers: tuple[NumberRead, ...]    # box, text, confidence, digits (indices)
    result.timings_ms: {"segment", "classify", "total"} (total = the whole read)
    to_json(result, image=path, frame=0, decode_ms=0.0) -> dict   # the `digits read --json` line

`model=None` uses the shipped int8 model (edge/models/digits_int8.tflite).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from digits.common.errors import ModelError
from digits.edge.core import cuts, doubts
from digits.edge.core import numbers as numbering
from digits.edge.core.blob import Blob, Box, Segmentation
from digits.edge.core.interpreter import Classifier
from digits.edge.core.preprocess import to_mnist
from digits.edge.core.segment import SegmentConfig, segment
from digits.edge.core.shipped import default_model
from digits.edge.core.skew import rows_over_columns
from digits.edge.errors import ImageError

MIN_CONFIDENCE = 0.5
TOO_WIDE = 1.6  # a blob this much wider than tall is never one digit: always cut
FLAT = 2.5  # ... and one this much wider, read whole as one digit, is none (MNIST's 99 %: 1.43)
CONFIDENT = 0.9  # a reading at least this sure is not second-guessed by cutting the blob
LOOK_SURE = 0.8  # the second look's cutting of a blob read whole as "not a digit" needs only this
LOOK_WIDE = 0.8  # ... when the blob is this much as wide as tall (room for two digits)
LOOK_TALL = 0.6  # ... and every digit on it is this share of the blob's height or more
WIDE = 1.18  # wider than 95 % of MNIST's training digits (99 %: 1.43) ...
SURE = 0.98  # ... is cut when every part reads at least this surely and the whole does not
ONE_PIECES = 4  # a blob joined from this many pieces of ink or more is no 1 (a 1 is one stroke)
SMALL_SURE = 0.8  # a digit read below the usual smallest (the closer look's extra) needs this sureness
SMALLEST_PX = 10  # a digit shorter than this (input pixels) is a blur to the model: print, not writing
LOOK_AGAIN = 24  # at most this many poorly read blobs of a frame are cut every way
SIDEWAYS_BLOBS = 4  # a page is judged turned only on this many blobs or more ...
SIDEWAYS_ASPECT = 1.0  # ... whose median width is over this times their height, unless
UPRIGHT_SHARE = 0.35  # at least this share of them reads as digits, and those stand up,
MANY_BLOBS = 20  # or this many blobs or more bunch into rows (a page of print's letters lie wide)
LINE_BLOBS = 3  # this many lying blobs or more in a column (fewer than MANY_BLOBS: under LINE_COLUMN
LINE_COLUMN = 0.7  # rows over columns) are a line of writing turned, whatever they read as


@dataclass(frozen=True)
class DigitRead:
    box: Box  # tight ink box, input-image pixels
    label: int
    confidence: float  # softmax probability of `label`
    runner_up: int
    runner_up_confidence: float


@dataclass(frozen=True)
class NumberRead:
    box: Box  # union of its digits' boxes
    text: str
    confidence: float  # product of its digits' confidences
    digits: tuple[int, ...] = ()  # indices into FrameResult.digits, left to right


@dataclass(frozen=True)
class FrameResult:
    width: int
    height: int
    digits: tuple[DigitRead, ...]
    numbers: tuple[NumberRead, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)  # segment, classify, total
    sideways: bool = False  # the writing's blobs lie down: the page may be turned a quarter
    blob_boxes: tuple[Box, ...] = ()  # every blob the segmenter found (for the page's slant)
    print_lines: int = 0  # lines of small print the segmenter found (level lines: upright)
    small_print: int = 0  # digits read but dropped as a form's small print (`doubts.without_small_print`)


class Reader:
    """Reads digits and numbers in frames with one classifier; reuse it for every frame."""

    def __init__(self, model: str | Path | None = None, backend: str = "auto",
                 threads: int | None = None, xnnpack: bool = True,
                 min_confidence: float = MIN_CONFIDENCE,
                 segment_config: SegmentConfig | None = None):
        path = Path(model) if model is not None else default_model("int8")
        if model is None and not path.is_file():
            raise ModelError(f"{path}: the shipped model is missing (run `make train convert ship`, "
                             "or pass --model)")
        self.classifier = Classifier(path, backend=backend, threads=threads, xnnpack=xnnpack,
                                     exact_batch=True)
        self.reject = self.classifier.reject_class
        if self.reject is None and model is not None and _shipped_rejects():
            _say_once(f"note: {path.name} has no \"not a digit\" output; every blob is read as a digit")
        if segment_config is None:
            segment_config = SegmentConfig()
            if self.reject is None:  # every blob comes back a digit: look only at digit-sized ones
                segment_config = replace(segment_config, min_height=segment_config.min_height_unsure)
        self.min_confidence = min_confidence
        self.segment_config = segment_config

    def read(self, frame: np.ndarray) -> FrameResult:
        """Every digit and number in one BGR (or grey) uint8 frame."""
        start = time.perf_counter()
        if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or frame.size == 0:
            raise ImageError("not an image: expected a non-empty 2-D or 3-D array")
        seg = segment(frame, self.segment_config)
        segmented = time.perf_counter()
        h, w = frame.shape[:2]
        counted = [b.box for b in seg.blobs if b.box[3] >= seg.least_px]  # the page's blobs, for its words
        read = [d for d in self._classify(seg) if d.box[3] >= seg.least_px or d.confidence >= SMALL_SURE]
        written = doubts.without_clutter(read, frame, counted, seg.polarity == "dark")
        signed = doubts.without_signs(written, frame, seg.polarity == "dark", counted)
        digits = doubts.without_small_print(signed)  # last: the page's print still counts as read
        classified = time.perf_counter()
        groups = numbering.group([d.box for d in digits], _marks(seg, digits), seg.rules)
        groups = numbering.practice_apart(groups, [d.label for d in digits])
        number_reads = tuple(
            NumberRead(numbering.union(digits[i].box for i in g),
                       "".join(str(digits[i].label) for i in g),
                       round(numbering.number_confidence(digits[i].confidence for i in g), 4),
                       tuple(g))
            for g in groups)
        end = time.perf_counter()
        timings = {"segment": (segmented - start) * 1e3, "classify": (classified - segmented) * 1e3,
                   "total": (end - start) * 1e3}
        blob_boxes = [b.box for b in seg.blobs]
        sideways = _sideways(blob_boxes, written)
        return FrameResult(w, h, tuple(digits), number_reads, timings, sideways,
                           tuple(blob_boxes), seg.print_lines, len(signed) - len(digits))

    def _classify(self, seg: Segmentation) -> list[DigitRead]:
        """All wholes and parts of the frame in one invoke, then the better reading of each;
        then one more invoke for the blobs that read poorly, cut every way (`cuts`)."""
        crops: list[np.ndarray] = []
        for blob in seg.blobs:
            crops.append(blob.crop)
            crops.extend(p.crop for p in blob.parts)
        if not crops:
            return []
        batch = np.stack([to_mnist(c) for c in crops])
        probs = self.classifier.probabilities(batch)
        reads: list[DigitRead] = []
        poor: list[tuple[Blob, list[DigitRead]]] = []
        row = 0
        for blob in seg.blobs:
            whole = probs[row]
            parts = probs[row + 1 : row + 1 + len(blob.parts)]
            row += 1 + len(blob.parts)
            if blob.parts and _prefer_parts(blob, whole, parts) and not self._slices(blob, parts):
                chosen = [_read(p.box, pr) for p, pr in zip(blob.parts, parts)]
            else:
                chosen = [_read(blob.box, whole)]
                if chosen[0].label == 1 and blob.pieces >= ONE_PIECES:
                    continue  # many pieces in a line: print or a dotted edge, not one stroke
                if blob.box[2] > FLAT * blob.box[3] and self.reject is not None:
                    # far flatter than any one digit: a box's corner, a dash with a hook, or touching
                    # digits no cut parted (the look again may still part them)
                    read = chosen[0]
                    chosen = [DigitRead(read.box, self.reject, 1.0, read.label, read.confidence)]
            # read poorly: the whole dropped, or a cut with a doubtful part
            poorly = any(self._dropped(r) for r in chosen) or (len(chosen) > 1 and min(
                r.confidence for r in chosen) < CONFIDENT)
            if blob.source is not None and self.reject is not None and poorly and len(poor) < LOOK_AGAIN:
                poor.append((blob, chosen))
            else:
                reads.extend(chosen)
        kept = sum(not self._dropped(r) for r in reads)
        if kept >= len(poor):  # a page of digits, not of words and pictures: look again
            reads.extend(self._look_again(poor))
        return sorted((r for r in reads if not self._dropped(r)), key=lambda r: (r.box[0], r.box[1]))

    def _slices(self, blob: Blob, parts: np.ndarray) -> bool:
        """Whether a blob no wider than a digit (its parts are its pieces apart, not cuts) would
        come apart into 1s only: columns of print on their side, a picture's slices. Two strokes
        and nothing else, each a part of its own, are two 1s written close ("11")."""
        x, y, w, h = blob.box
        if blob.pieces == len(parts):
            return False
        return w <= self.segment_config.split_width * h and bool((parts[:, :10].argmax(axis=1) == 1).all())

    def _dropped(self, r: DigitRead) -> bool:
        return r.label == self.reject or r.confidence < self.min_confidence or r.box[3] < SMALLEST_PX

    def _a_pair(self, chosen: list[DigitRead], cut: list[Box]) -> bool:
        """Whether a blob and its best cutting look like digits of a number touching: read whole
        as "not a digit" (no one digit), wide enough for two, and every digit cut nearly as tall
        as the blob (a letter's pieces, a word's letters are not)."""
        if len(chosen) != 1 or chosen[0].label != self.reject:
            return False
        _, _, w, h = chosen[0].box
        return w >= LOOK_WIDE * h and min(b[3] for b in cut) >= LOOK_TALL * h

    def _look_again(self, poor: list[tuple[Blob, list[DigitRead]]]) -> list[DigitRead]:
        """Each poorly read blob cut at every valley, all spans in one invoke; a blob's best
        cutting replaces its first reading when every digit on it reads surely."""
        if not poor:
            return []
        cut_sets = [cuts.spans(blob.source) for blob, _ in poor]  # each blob's cuts and spans
        crops = [s.blob.crop for _, spans in cut_sets for s in spans]
        if not crops:
            return [r for _, chosen in poor for r in chosen]
        probs = self.classifier.probabilities(np.stack([to_mnist(c) for c in crops]))
        out: list[DigitRead] = []
        row = 0
        for (_, chosen), (columns, spans) in zip(poor, cut_sets):
            mine = probs[row : row + len(spans)]
            row += len(spans)
            path = cuts.best_path(len(columns), spans, mine[:, :10].max(axis=1)) if spans else None
            worst = min(float(mine[k, :10].max()) for k in path) if path else 0.0
            first = min(r.confidence if r.label != self.reject else 0.0 for r in chosen)
            pair = path and self._a_pair(chosen, [spans[k].blob.box for k in path])
            enough = LOOK_SURE if pair else CONFIDENT
            sure = path and len(path) >= 2 and worst >= enough and worst > first
            if sure and any(int(mine[k, :10].argmax()) != 1 for k in path):  # slices of a picture read 1
                out.extend(_read(spans[k].blob.box, mine[k]) for k in path)
            else:
                out.extend(chosen)
        return out


def _prefer_parts(blob: Blob, whole: np.ndarray, parts: np.ndarray) -> bool:
    """Cut a wide blob when it is too wide for one digit, or when the model cannot read it
    whole but reads every part well. A single digit is the likelier story, so the whole
    wins whenever the model reads it confidently."""
    x, y, w, h = blob.box
    if w > TOO_WIDE * h:
        return True
    whole_conf = float(whole[:10].max())  # as a digit: "not a digit" may mean "two digits"
    worst_part = float(parts[:, :10].max(axis=1).min())
    if w > WIDE * h and worst_part >= SURE and whole_conf < SURE:
        return True  # wider than 95 % of single digits, and every part reads surely
    return whole_conf < CONFIDENT and worst_part > max(whole_conf, CONFIDENT)


def _marks(seg: Segmentation, digits: list[DigitRead]) -> list[Box]:
    """The frame's ink that is no digit read: the segmenter's marks, and the blobs that hold
    no digit's centre (read as "not a digit", unsure, or dropped as a letter or a stroke)."""
    if not seg.blobs:
        return list(seg.marks)
    blobs = np.array([b.box for b in seg.blobs], dtype=np.float64)
    held = np.zeros(len(blobs), bool)
    if digits:
        d = np.array([r.box for r in digits], dtype=np.float64)
        cx, cy = d[:, 0] + d[:, 2] / 2, d[:, 1] + d[:, 3] / 2
        held = ((blobs[:, :1] <= cx) & (cx <= blobs[:, :1] + blobs[:, 2:3])
                & (blobs[:, 1:2] <= cy) & (cy <= blobs[:, 1:2] + blobs[:, 3:4])).any(axis=1)
    return [*seg.marks, *(seg.blobs[i].box for i in np.flatnonzero(~held))]


def _sideways(blob_boxes: list[Box], written: list[DigitRead]) -> bool:
    """Whether the frame's blobs say the page lies on its side (`written`: the reads before a
    sum's signs are dropped). Most frames' blobs stand up, and nothing more is measured."""
    if not _lying_down(blob_boxes, least=LINE_BLOBS):
        return False
    many = len(blob_boxes) >= MANY_BLOBS
    rows = rows_over_columns(blob_boxes)
    if many and rows >= 1.0:
        return False  # a page of many blobs set out in rows is upright, whatever its letters' shapes
    if rows < (1.0 if many else LINE_COLUMN):
        # lying blobs set out in a column are a line or a page's rows turned, even when they read
        # as digits (a page of 9s on its side: each 9 cut in two and read as "07" quite surely;
        # a sum of three digits on its side, read as "0 4 0")
        return True
    # the blobs lie down; unless most of them read as digits that stand up (a formula's letters
    # lie wide beside upright digits; on a turned page few blobs read at all). A sum's signs
    # read as digits (a bracket as 1, a d as 2) stand up with them.
    stand_up = (len(written) >= UPRIGHT_SHARE * len(blob_boxes)
                and not _lying_down([d.box for d in written], least=2))
    return len(blob_boxes) >= SIDEWAYS_BLOBS and not stand_up


def _lying_down(boxes: list[Box], least: int = SIDEWAYS_BLOBS) -> bool:
    """Most boxes wider than tall (upright digits are taller than wide), and enough of them."""
    if len(boxes) < least:
        return False
    aspects = sorted(b[2] / max(b[3], 1) for b in boxes)
    return aspects[len(aspects) // 2] > SIDEWAYS_ASPECT


def _shipped_rejects() -> bool:
    """Whether the shipped model says "not a digit": a ten-output file given instead is then
    worth a note, where the shipped one being ten-output is nothing the user chose."""
    from digits.common.card import CARD_NAME, ModelCard
    from digits.edge.core.shipped import MODELS_DIR

    try:
        return ModelCard.load(MODELS_DIR / CARD_NAME).outputs == 11
    except Exception:  # no card, an old card: nothing to compare with
        return False


_SAID: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _SAID:
        _SAID.add(message)
        print(message, file=sys.stderr)


def _read(box: Box, probs: np.ndarray) -> DigitRead:
    order = np.argsort(-probs)
    a, b = int(order[0]), int(order[1])
    return DigitRead(tuple(int(v) for v in box), a, round(float(probs[a]), 4), b,
                     round(float(probs[b]), 4))


def to_json(result: FrameResult, image: str | None = None, frame: int = 0,
            decode_ms: float = 0.0) -> dict:
    """The `digits read --json` object, exactly the issue's schema.

    `timings_ms.total` is the reader's whole time for the frame (segment, classify and
    grouping); `decode` is reported beside it and not included, as it depends on the file
    format and not on the reader.
    """
    t = result.timings_ms
    return {
        "image": image,
        "frame": int(frame),
        "width": int(result.width),
        "height": int(result.height),
        "digits": [{"box": list(d.box), "label": d.label, "confidence": d.confidence}
                   for d in result.digits],
        "numbers": [{"box": list(n.box), "text": n.text, "confidence": n.confidence}
                    for n in result.numbers],
        "timings_ms": {"decode": round(decode_ms, 3), "segment": round(t.get("segment", 0.0), 3),
                       "classify": round(t.get("classify", 0.0), 3),
                       "total": round(t.get("total", 0.0), 3)},
    }
