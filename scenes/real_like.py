"""The "real" level: pages drawn to show what real phone and webcam photos showed the reader.

Each page is one of these kinds, in turn:

- closeup: one or two digits 200-470 px tall, filling most of the frame, often on grid paper;
- faint: a thin pen on grey paper in dim light, rows of digits close together;
- sums: numbers with + - = x between them (the symbols are not digits);
- spaced: a phone number written with wide, regular gaps (one number);
- desk: a small sheet lying on a dark, grainy desk, the desk's edge in view;
- dense: rows of small digits (16-30 px), close together, on ruled or grid paper;
- blank: no digit at all: a desk, a hand's shadow, ruled paper, or symbols alone;
- touching: numbers written so close that their digits touch (one blob per number or pair);
- table: a ruled table of numbers, some sitting on a rule and some hanging from one.

The layout and drawing are this module's; the writers (GlyphBank), the truth types and the
camera's defects are the other levels' (`scenes.generate`).
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.blob import union
from digits.scenes.generate import (
    HEIGHT,
    WIDTH,
    DigitTruth,
    GlyphBank,
    NumberTruth,
    Scene,
    _lighting,
    _ruled,
    _shadow,
)

KINDS = ("closeup", "faint", "sums", "spaced", "desk", "dense", "blank", "touching", "table")
Placed = tuple[np.ndarray, int, int, int, str]  # alpha, x, y, label, source


def make_real_like(bank: GlyphBank, rng: np.random.Generator, index: int) -> Scene:
    """One page of the kind `index` selects, in turn through KINDS."""
    kind = KINDS[index % len(KINDS)]
    numbers, symbols = _LAYOUTS[kind](bank, rng)
    return _photograph(numbers, symbols, kind, rng)


# --- layouts: lists of numbers (each a list of placed digits) and symbol masks -----------------

def _row(bank: GlyphBank, rng, labels, height: int, x: int, y: int, gap: tuple[float, float]):
    placed, left = [], x
    for label in labels:
        h = max(8, int(round(height * rng.uniform(0.92, 1.08))))
        alpha, source = bank.glyph(int(label), h, rng)
        top = y + height - h + int(round(rng.uniform(-0.04, 0.04) * height))
        placed.append((alpha, left, max(0, top), int(label), source))
        left += alpha.shape[1] + int(round(height * rng.uniform(*gap)))
    return placed, left


def _closeup(bank, rng):
    count = 1 if rng.random() < 0.6 else 2
    height = int(rng.integers(200, 470 if count == 1 else 330))
    labels = rng.integers(0, 10, count)
    placed, right = _row(bank, rng, labels, height, 0, 0, (0.15, 0.3))
    dx = max(5, (WIDTH - right) // 2)
    dy = max(5, (HEIGHT - height) // 2)
    return [[(a, x + dx, y + dy, lab, s) for a, x, y, lab, s in placed]], []


def _faint(bank, rng):
    height = int(rng.integers(28, 55))
    numbers, y = [], int(rng.integers(15, 40))
    while y + height < HEIGHT - 15 and len(numbers) < 6:
        labels = rng.integers(0, 10, int(rng.integers(2, 6)))
        placed, _ = _row(bank, rng, labels, height, int(rng.integers(20, 200)), y, (0.08, 0.35))
        numbers.append(placed)
        y += int(height * rng.uniform(1.2, 1.45))  # rows a fifth to half a digit apart
    return numbers, []


def _symbol(kind: str, size: int, rng) -> np.ndarray:
    pad, pen = size // 6, max(2, size // 9)
    mask = np.zeros((size, size), np.float32)
    mid, lo, hi = size // 2, pad, size - pad
    if kind in "+x":
        if kind == "+":
            cv2.line(mask, (lo, mid), (hi, mid), 1.0, pen, cv2.LINE_AA)
            cv2.line(mask, (mid, lo), (mid, hi), 1.0, pen, cv2.LINE_AA)
        else:
            cv2.line(mask, (lo, lo), (hi, hi), 1.0, pen, cv2.LINE_AA)
            cv2.line(mask, (lo, hi), (hi, lo), 1.0, pen, cv2.LINE_AA)
    elif kind == "-":
        cv2.line(mask, (lo, mid), (hi, mid + int(rng.integers(-2, 3))), 1.0, pen, cv2.LINE_AA)
    else:  # "="
        cv2.line(mask, (lo, mid - size // 6), (hi, mid - size // 6), 1.0, pen, cv2.LINE_AA)
        cv2.line(mask, (lo, mid + size // 6), (hi, mid + size // 6), 1.0, pen, cv2.LINE_AA)
    return mask


def _sums(bank, rng):
    height = int(rng.integers(35, 70))
    numbers, symbols = [], []
    y = int(rng.integers(30, 80))
    while y + height < HEIGHT - 20 and len(numbers) < 7:
        x = int(rng.integers(20, 80))
        for sign in (str(rng.choice(["+", "-", "x"])), "=", None):
            placed, x = _row(bank, rng, rng.integers(0, 10, int(rng.integers(1, 3))), height, x, y,
                             (0.08, 0.25))
            numbers.append(placed)
            if sign is None or x + 2 * height > WIDTH:
                break
            size = int(height * rng.uniform(0.6, 0.9))
            x += int(height * 0.3)
            symbols.append((_symbol(sign, size, rng), x, y + (height - size) // 2))
            x += size + int(height * 0.3)
        y += int(height * rng.uniform(1.6, 2.2))
    return numbers, symbols


def _spaced(bank, rng):
    height = int(rng.integers(30, 55))
    count = int(rng.integers(7, 11))
    gap = rng.uniform(0.8, 1.3)
    placed, right = _row(bank, rng, rng.integers(0, 10, count), height, 0, 0, (gap * 0.92, gap * 1.08))
    if right > WIDTH - 20:
        return _spaced(bank, rng)
    dx, dy = int(rng.integers(10, WIDTH - right - 5)), int(rng.integers(40, HEIGHT - height - 40))
    return [[(a, x + dx, y + dy, lab, s) for a, x, y, lab, s in placed]], []


def _desk(bank, rng):
    height = int(rng.integers(26, 45))
    numbers, y = [], int(rng.integers(150, 190))
    for _ in range(int(rng.integers(1, 3))):
        placed, _ = _row(bank, rng, rng.integers(0, 10, int(rng.integers(3, 7))), height,
                         int(rng.integers(200, 260)), y, (0.1, 0.4))
        numbers.append(placed)
        y += int(height * 1.8)
    return numbers, []


def _dense(bank, rng):
    height = int(rng.integers(16, 31))
    numbers, y = [], int(rng.integers(10, 25))
    while y + height < HEIGHT - 10:
        x = int(rng.integers(10, 40))
        while x < WIDTH - 6 * height:
            placed, x = _row(bank, rng, rng.integers(0, 10, int(rng.integers(2, 5))), height, x, y,
                             (0.1, 0.3))
            numbers.append(placed)
            x += int(height * rng.uniform(1.4, 2.5))
        y += int(height * rng.uniform(1.35, 1.7))
    return numbers, []


def _blank(bank, rng):
    if rng.random() < 0.35:  # symbols alone: a page of signs is no page of digits
        symbols, y = [], 60
        while y < HEIGHT - 80:
            size = int(rng.integers(30, 60))
            for x in range(40, WIDTH - 80, int(size * 1.8)):
                symbols.append((_symbol(str(rng.choice(["+", "-", "x", "="])), size, rng), x, y))
            y += int(size * 1.8)
        return [], symbols
    return [], []


def _touching(bank, rng):
    height = int(rng.integers(28, 56))
    numbers, y = [], int(rng.integers(30, 70))
    while y + height < HEIGHT - 30 and len(numbers) < 4:
        labels = rng.integers(0, 10, int(rng.integers(2, 6)))
        placed, right = _row(bank, rng, labels, height, int(rng.integers(20, 160)), y, (-0.12, 0.0))
        if right < WIDTH - 10:
            numbers.append(placed)
        y += int(height * rng.uniform(1.7, 2.4))
    return numbers, []


def _table(bank, rng):
    """Rules round every cell as one ink mask; in each cell a number of 1-3 digits, most
    floating, some sitting on the cell's bottom rule or hanging from its top one."""
    pitch = int(rng.integers(40, 66))
    narrowest = max(90, int(pitch * 1.8))  # room for three digits
    rows = int(rng.integers(3, min(7, (HEIGHT - 40) // pitch) + 1))
    cols = int(rng.integers(3, min(5, (WIDTH - 40) // narrowest) + 1))
    cell_w = int(rng.integers(narrowest, (WIDTH - 40) // cols + 1))
    x0 = int(rng.integers(10, WIDTH - cols * cell_w - 9))
    y0 = int(rng.integers(10, HEIGHT - rows * pitch - 9))
    rules = np.zeros((HEIGHT, WIDTH), np.float32)
    pen = int(rng.integers(1, 3))
    for r in range(rows + 1):
        cv2.line(rules, (x0, y0 + r * pitch), (x0 + cols * cell_w, y0 + r * pitch), 1.0, pen, cv2.LINE_AA)
    for c in range(cols + 1):
        cv2.line(rules, (x0 + c * cell_w, y0), (x0 + c * cell_w, y0 + rows * pitch), 1.0, pen, cv2.LINE_AA)
    numbers = []
    for r in range(rows):
        for c in range(cols):
            height = int(pitch * rng.uniform(0.55, 0.75))
            where = rng.random()
            top = y0 + r * pitch + ((pitch - height) // 2 if where < 0.7 else
                                    pitch - height if where < 0.85 else pen + 1)
            placed, _ = _row(bank, rng, rng.integers(0, 10, int(rng.integers(1, 4))), height,
                             x0 + c * cell_w + int(rng.integers(6, 16)), top, (0.1, 0.25))
            if placed[-1][1] + placed[-1][0].shape[1] < x0 + (c + 1) * cell_w - 4:
                numbers.append(placed)
    return numbers, [(rules, 0, 0)]


_LAYOUTS = {"closeup": _closeup, "faint": _faint, "sums": _sums, "spaced": _spaced, "desk": _desk,
            "dense": _dense, "blank": _blank, "touching": _touching, "table": _table}


# --- the photograph ----------------------------------------------------------------------------

def _photograph(numbers: list[list[Placed]], symbols: list, kind: str, rng) -> Scene:
    alpha = np.zeros((HEIGHT, WIDTH), np.float32)
    owner = np.zeros((HEIGHT, WIDTH), np.int16)
    flat = [p for number in numbers for p in number]
    for i, (a, x, y, _, _) in enumerate(flat):
        h, w = min(a.shape[0], HEIGHT - y), min(a.shape[1], WIDTH - x)
        if h <= 0 or w <= 0:
            continue
        region = alpha[y : y + h, x : x + w]
        np.maximum(region, a[:h, :w], out=region)
        owner[y : y + h, x : x + w][a[:h, :w] > 0.4] = i + 1
    for mask, x, y in symbols:
        h, w = min(mask.shape[0], HEIGHT - y), min(mask.shape[1], WIDTH - x)
        region = alpha[y : y + h, x : x + w]
        np.maximum(region, mask[:h, :w], out=region)

    grey = kind == "faint"
    tint = rng.uniform(0.55, 0.7) if grey else rng.uniform(0.85, 0.97)
    page = np.full((HEIGHT, WIDTH, 3), tint, np.float32)
    if kind in ("closeup", "dense") or (kind == "blank" and rng.random() < 0.4):
        _ruled(page, rng) if rng.random() < 0.5 else _grid(page, rng)
    if kind == "faint":
        alpha = cv2.erode(alpha, np.ones((2, 2), np.uint8)) if rng.random() < 0.5 else alpha
        strength = rng.uniform(0.3, 0.5)
    else:
        strength = rng.uniform(0.8, 1.0)
    ink = np.full(3, rng.uniform(0.05, 0.2), np.float32)
    if kind == "closeup" and rng.random() < 0.5:  # a marker
        alpha = cv2.dilate(alpha, np.ones((7, 7), np.uint8))
    a = (alpha * strength)[..., None]
    page = page * (1 - a) + ink * a
    if kind in ("desk", "blank") and (kind == "desk" or rng.random() < 0.5):
        page = _on_a_desk(page, rng)
    page *= _lighting(rng, strong=True)[..., None]
    if kind == "faint":
        page *= rng.uniform(0.55, 0.8)  # dim
    if rng.random() < 0.5:
        page *= _shadow(rng)[..., None]
    page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.5, 1.4))
    page += rng.normal(0, rng.uniform(2, 8) / 255, page.shape).astype(np.float32)
    image = np.clip(page * 255 + 0.5, 0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 90))])
    image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)

    digits, truths, k = [], [], 0
    for number in numbers:
        boxes = []
        for _, _, _, label, source in number:
            k += 1
            ys, xs = np.nonzero(owner == k)
            if len(xs):
                box = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
                digits.append(DigitTruth(box, label, source))
                boxes.append((box, label))
        if boxes:
            truths.append(NumberTruth(union(b for b, _ in boxes), "".join(str(lab) for _, lab in boxes)))
    if kind == "spaced" and truths:
        truths = [NumberTruth(union(t.box for t in truths), "".join(t.text for t in truths))]
    return Scene(image, "real", digits, truths, notes={"kind": float(KINDS.index(kind))})


def _grid(page: np.ndarray, rng) -> None:
    """Graph paper: faint lines both ways every 15-30 px."""
    spacing, layer = int(rng.integers(15, 31)), np.zeros(page.shape[:2], np.float32)
    for y in range(int(rng.integers(spacing)), HEIGHT, spacing):
        cv2.line(layer, (0, y), (WIDTH - 1, y), 1.0, 1, cv2.LINE_AA)
    for x in range(int(rng.integers(spacing)), WIDTH, spacing):
        cv2.line(layer, (x, 0), (x, HEIGHT - 1), 1.0, 1, cv2.LINE_AA)
    a = (layer * rng.uniform(0.25, 0.5))[..., None]
    page[:] = page * (1 - a) + np.float32([0.8, 0.6, 0.5]) * a * page


def _on_a_desk(page: np.ndarray, rng) -> np.ndarray:
    """The page as a sheet (a slightly skewed quadrilateral, the writing inside it) lying on a
    dark, grainy desk that fills the rest of the frame."""
    desk = cv2.GaussianBlur(rng.normal(rng.uniform(0.12, 0.3), 0.06, page.shape[:2]).astype(np.float32),
                            (0, 0), 1.0)
    desk = np.repeat(desk[..., None], 3, axis=2) * np.float32([1.0, 0.95, 0.85])
    inset = rng.uniform(0.04, 0.2, (4, 2)) * np.float32([WIDTH * 0.5, HEIGHT * 0.5])
    corners = np.float32([[inset[0, 0], inset[0, 1]], [WIDTH - inset[1, 0], inset[1, 1]],
                          [WIDTH - inset[2, 0], HEIGHT - inset[2, 1]], [inset[3, 0], HEIGHT - inset[3, 1]]])
    inside = np.zeros(page.shape[:2], np.float32)
    cv2.fillConvexPoly(inside, corners.astype(np.int32), 1.0, cv2.LINE_AA)
    inside = inside[..., None]
    return desk * (1 - inside) + page * inside
