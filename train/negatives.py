"""Things that are not digits, as the reader would hand them to the model: the eleventh class.

Every negative is drawn the way the reader meets it: a mark on paper (or a patch of paper,
desk, shadow or photo), photographed (`camera_like.on_paper`: light, blur, noise, JPEG), then
read back through the runtime's own ink map and the one 28x28 contract (`camera_like.read_back`
-> `ink_map` -> `to_mnist`). So training sees exactly what the reader sends.

Kinds: paper and desk texture, shadow edges, page edges, ruled and grid lines, printed and
handwritten letters and symbols (Pillow fonts when installed, OpenCV's Hershey fonts always),
hand-drawn math symbols, parts of digits, two digits touching, digits written backwards (a
mirrored 6 is a handwritten d, a mirrored 3 an epsilon), blots and scribbles, and crops of
photos without digits (matplotlib's sample photos; never scikit-image's, which are held out).

Two splits that share no font, no Hershey face and no photo: "train" (training and validation,
any seed) and "test" (the held-out negatives of the gate; its own seed, fonts, faces and photos,
and its own way of drawing scribbles). Letters that a hand writes like a digit (O o D Q U u C c I l i j
t | S s Z z B b G g q) are never negatives; nor is a digit part that is still one stroke, any
narrow mark standing within 35 degrees of upright (a bracket, a bar: a 1), or the box a font
draws for a character it lacks (a 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from digits.edge.core.preprocess import to_mnist
from digits.train.camera_like import on_paper, read_back
from digits.train.marks import HERSHEY, _hershey_glyph, _pillow_glyph, _tight, font_files, photos

REJECT = 10  # the label of "not a digit"
SPLITS = ("train", "test")

# characters that are never a digit in anyone's hand (see the module docstring for the others)
LETTERS = "AEFHKLMNPRVWXYadefhkmnprvwxy"  # d: a formula's "dx" read as 2 on real photos
SYMBOLS = "+-=.,()#%&*?@<>{}~^" + "\u00d7\u00f7\u2212"  # × ÷ −
HERSHEY_SYMBOLS = "+-=.,()#%&*?@<>{}~^"  # Hershey fonts are ASCII only
SMALL = ".,"  # written no bigger than the pen: a dot is filled, whatever its size on the page

# share of each kind in a draw (normalised); the same for both splits
MIX = {
    "glyph": 0.25, "symbol": 0.10, "part": 0.15, "pair": 0.09, "lines": 0.08, "scribble": 0.09,
    "blot": 0.04, "paper": 0.04, "shadow": 0.06, "page_edge": 0.05, "photo": 0.05, "mirror": 0.04,
}
MIRRORED = (3, 6, 9)  # digits whose mirror image no hand writes as a digit: an epsilon, a d, a P
CRISP = 0.3  # share of marks read straight from their alpha, as MNIST's digits are (no camera cue)
MARK_HEIGHT = (30, 101)  # a mark's height in the photo, as the reader's digits (camera_like)
MIN_INK = 4.0  # a crop with less ink than this (sum over 28x28 in [0, 1]) is drawn again
HELD_OUT_SEED = 31_337  # the gate's held-out negatives: test split, cut from MNIST's test digits
HELD_OUT_COUNT = 3_000


@dataclass(frozen=True)
class Negatives:
    images: np.ndarray  # (n, 28, 28) uint8, white ink on black, as MNIST stores its digits
    kinds: np.ndarray  # (n,) the generator that drew each




# --- marks on paper: an alpha mask (1 = ink) of any size --------------------------------------


def _narrow_stroke(alpha: np.ndarray) -> float | None:
    """For a mark that is one narrow stroke (its tightest rectangle under 0.35 as wide as long),
    how far its long axis leans from upright, in degrees; None for any other mark."""
    points = np.argwhere(alpha > 0.3).astype(np.float32)[:, ::-1]  # (x, y)
    (_, _), (rw, rh), angle = cv2.minAreaRect(points)
    if min(rw, rh) >= 0.35 * max(rw, rh):
        return None
    long_axis = angle if rw >= rh else angle + 90  # degrees from the x axis
    return float(np.rad2deg(np.arcsin(min(1.0, abs(np.cos(np.deg2rad(long_axis)))))))


def _one_upright_stroke(alpha: np.ndarray) -> bool:
    """A narrow mark standing within 35 degrees of upright: a 1 in anyone's hand, whatever the
    font meant by it (a bracket, a slash, a bar)."""
    if np.count_nonzero(alpha > 0.3) < 3:
        return False
    lean = _narrow_stroke(alpha)
    return lean is not None and lean < 35


def _pen(rng: np.random.Generator, height: int) -> int:
    return max(1, int(round(height * rng.uniform(0.04, 0.14))))


def _read_mark(alpha: np.ndarray, rng: np.random.Generator, small: bool = False) -> np.ndarray:
    """Photograph a mark and read it back as the runtime would. A small mark (a dot, a comma) is
    read with a stroke as big as itself, as the reader sees it among digits of normal size."""
    if not small and rng.random() < CRISP:  # a crisp scan: the ink map of clean ink is its alpha
        return to_mnist(alpha)
    height = int(rng.integers(10, 30)) if small else int(rng.integers(*MARK_HEIGHT))
    photo = _photo_of_mark(alpha, rng, height)
    return read_back(photo, stroke_px=height if small else None)


def _photo_of_mark(alpha: np.ndarray, rng: np.random.Generator, height: int) -> np.ndarray:
    """Scale a mark to `height` pixels, give it a margin, and photograph it."""
    h, w = alpha.shape
    scale = height / max(h, 1)
    if w * scale > 3 * height:  # a long rule or a wide word: keep it within the frame
        scale = 3 * height / w
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    alpha = cv2.resize(alpha.astype(np.float32), size, interpolation=cv2.INTER_AREA).clip(0, 1)
    pad = max(4, height // 3)
    alpha = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return on_paper(alpha, height, rng)


def glyph(rng: np.random.Generator, split: str, **_) -> np.ndarray | None:
    """A printed or handwritten letter or symbol: a Pillow font when one is installed, else Hershey."""
    fonts = font_files(split)
    if fonts and rng.random() < 0.65:
        char = str(rng.choice(list(LETTERS + SYMBOLS)))
        alpha = _pillow_glyph(fonts[int(rng.integers(len(fonts)))], char)
    else:
        faces = HERSHEY[split]
        char = str(rng.choice(list(LETTERS + HERSHEY_SYMBOLS)))
        alpha = _hershey_glyph(faces[int(rng.integers(len(faces)))], char, int(rng.integers(1, 7)))
    if alpha is None:
        return None
    if rng.random() < 0.5:  # a slanted or rotated hand
        alpha = _warp(alpha, rng, angle=10, shear=0.25)
    if _one_upright_stroke(alpha):
        return None
    return _read_mark(alpha, rng, small=char in SMALL)


def _jitter(points: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    return points + rng.normal(0, amount, points.shape)


def _stroke(canvas: np.ndarray, points, thickness: int) -> None:
    pts = np.round(np.asarray(points, np.float64) * 4).astype(np.int32)  # 2 bits of sub-pixel
    cv2.polylines(canvas, [pts], False, 1.0, thickness, cv2.LINE_AA, shift=2)


def symbol(rng: np.random.Generator, split: str, **_) -> np.ndarray | None:
    """A hand-drawn + − × ÷ = . , / ( ): wobbly strokes of a random pen on a 100 px field. The
    training split also draws a formula's curved x, and crosses at any angle (a sheet of
    crosses photographed sideways)."""
    canvas = np.zeros((100, 100), np.float32)
    t = int(rng.integers(3, 13))
    j = rng.uniform(0.5, 3.0)
    kind = str(rng.choice(list("+-x:=.,/()" + ("k" if split == "train" else ""))))
    c = 50 + rng.normal(0, 3, 2)
    r = rng.uniform(25, 42)
    if kind == "k":
        _curved_x(canvas, rng, c, r, t, j)
    elif kind in "+x":
        a0 = rng.uniform(-0.2, 0.2) + (np.pi / 4 if kind == "x" else 0)
        if split == "train" and rng.random() < 0.5:
            a0 = rng.uniform(0, np.pi)
        for a in (a0, a0 + np.pi / 2 + rng.uniform(-0.2, 0.2)):
            d = np.array([np.cos(a), np.sin(a)]) * r
            _stroke(canvas, _jitter(np.linspace(c - d, c + d, 6), rng, j), t)
    elif kind in "-=:":
        a = rng.uniform(-0.15, 0.15)
        d = np.array([np.cos(a), np.sin(a)]) * r
        gap = rng.uniform(10, 25)
        rows = {"-": [0.0], "=": [-gap / 2, gap / 2], ":": [0.0]}[kind]
        for dy in rows:
            o = c + np.array([0, dy])
            _stroke(canvas, _jitter(np.linspace(o - d, o + d, 6), rng, j), t)
        if kind == ":":  # ÷: a bar between two dots
            for dy in (-gap, gap):
                cv2.circle(canvas, (int(c[0]), int(c[1] + dy)), max(3, t), 1.0, -1, cv2.LINE_AA)
    elif kind == ".":
        axes = (int(rng.uniform(4, 14)), int(rng.uniform(4, 14)))
        cv2.ellipse(canvas, (50, 50), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    elif kind == ",":
        pts = np.array([[50, 40], [52, 50], [49, 60], [44, 68]], np.float64)
        cv2.circle(canvas, (50, 42), max(3, t), 1.0, -1, cv2.LINE_AA)
        _stroke(canvas, _jitter(pts, rng, j / 2), t)
    elif kind == "/":  # steeper than any slanted 1: 40-65 degrees from the vertical
        a = np.deg2rad(rng.uniform(40, 65)) * rng.choice([-1, 1])
        d = np.array([np.sin(a), -np.cos(a)]) * r
        _stroke(canvas, _jitter(np.linspace(c - d, c + d, 6), rng, j), t)
    else:  # ( or ): an arc of a wide circle
        side = 1 if kind == "(" else -1
        arc = np.linspace(-0.9, 0.9, 12)
        rad = rng.uniform(30, 60)
        pts = np.stack([50 - side * (rad * np.cos(arc) - rad + 15), 50 + rad * np.sin(arc) * 0.8], 1)
        _stroke(canvas, _jitter(pts, rng, j), t)
    alpha = _tight(canvas)
    if alpha is None or _one_upright_stroke(alpha):
        return None
    return _read_mark(alpha, rng, small=kind in SMALL)


def _curved_x(canvas: np.ndarray, rng: np.random.Generator, c: np.ndarray, r: float, t: int,
              j: float) -> None:
    """A handwritten x as a formula's is often written: two arcs back to back, ")(", touching
    or crossing in the middle, turned any way."""
    a = rng.uniform(0, np.pi)
    along, across = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    s = np.linspace(-1, 1, 9)[:, None]
    bulge = rng.uniform(0.5, 0.9) * r
    overlap = rng.uniform(-0.1, 0.15) * r
    for side in (-1, 1):
        offset = side * (bulge * (1 - s**2) - bulge - overlap)
        pts = c + s * r * along + offset * across
        _stroke(canvas, _jitter(pts, rng, j), t)


def _warp(alpha: np.ndarray, rng: np.random.Generator, angle: float, shear: float) -> np.ndarray:
    pad = max(alpha.shape) // 3
    alpha = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    h, w = alpha.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-angle, angle), 1.0)
    m[0, 1] += rng.uniform(-shear, shear)
    out = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
    return _tight(out) if _tight(out) is not None else alpha


def _digit_alpha(digit: np.ndarray, height: int) -> np.ndarray:
    side = int(round(height * 28 / 20))
    return cv2.resize(digit.astype(np.float32) / 255.0, (side, side),
                      interpolation=cv2.INTER_CUBIC).clip(0, 1)


def part(rng: np.random.Generator, digits: tuple[np.ndarray, np.ndarray] | None = None,
         **_) -> np.ndarray | None:
    """A digit cut by a straight line, keeping 25-55 % of its ink. Never a 1 or a 7 (whose parts
    are 1s), never what is left as one upright stroke, and never the round half of 0 6 8 9."""
    if digits is None:
        return None
    images, labels = digits
    i = int(rng.integers(len(labels)))
    label = int(labels[i])
    if label in (1, 7):
        return None
    alpha = _digit_alpha(images[i], 60)
    h, w = alpha.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mass = alpha.sum()
    cy, cx = (alpha * yy).sum() / mass, (alpha * xx).sum() / mass
    a = rng.uniform(0, np.pi)
    if label in (0, 6, 8, 9) and abs(np.sin(a)) > 0.6:  # a near-horizontal cut leaves an "o"
        return None
    normal = np.array([np.cos(a), np.sin(a)])
    offset = rng.normal(0, 6)
    side = (xx - cx) * normal[0] + (yy - cy) * normal[1] - offset > 0
    kept = alpha * (side if rng.random() < 0.5 else ~side)
    share = kept.sum() / mass
    tight = _tight(kept)
    if not 0.25 <= share <= 0.55 or tight is None:
        return None
    if _narrow_stroke(tight) is not None:  # one stroke, upright or slanted: that is a 1
        return None
    return _read_mark(tight, rng)


def pair(rng: np.random.Generator, digits: tuple[np.ndarray, np.ndarray] | None = None,
         **_) -> np.ndarray | None:
    """Two digits written so close that their ink touches: one blob, two digits."""
    if digits is None:
        return None
    images = digits[0]
    a, b = (_tight(_digit_alpha(images[int(rng.integers(len(images)))], 60)) for _ in range(2))
    if a is None or b is None:
        return None
    h = max(a.shape[0], b.shape[0])
    overlap = int(rng.integers(1, max(2, min(a.shape[1], b.shape[1]) // 4)))
    w = a.shape[1] + b.shape[1] - overlap
    canvas = np.zeros((h + 6, w), np.float32)
    dy = int(rng.integers(0, 6))
    canvas[: a.shape[0], : a.shape[1]] = a
    region = canvas[dy : dy + b.shape[0], w - b.shape[1] :]
    np.maximum(region, b[: region.shape[0]], out=region)
    return _read_mark(_tight(canvas), rng)


def mirror(rng: np.random.Generator, digits: tuple[np.ndarray, np.ndarray] | None = None,
           **_) -> np.ndarray | None:
    """A 3, 6 or 9 written backwards: a handwritten d (a formula's "dx" read as 2 on real
    photos; a model never shown one took MNIST's mirrored 6s for 2s), an epsilon, a P."""
    if digits is None:
        return None
    images, labels = digits
    i = int(rng.integers(len(labels)))
    if int(labels[i]) not in MIRRORED:
        return None  # declined: the caller draws again
    alpha = _tight(_digit_alpha(images[i][:, ::-1], 60))
    if alpha is None:
        return None
    if rng.random() < 0.5:
        alpha = _warp(alpha, rng, angle=10, shear=0.2)
    return _read_mark(alpha, rng)


def lines(rng: np.random.Generator, **_) -> np.ndarray | None:
    """A piece of ruled paper or of a grid: one to three rules, maybe crossed."""
    size = 120
    canvas = np.zeros((size, size), np.float32)
    t = int(rng.integers(1, 6))
    grid = rng.random() < 0.4
    upright = grid and rng.random() < 0.5  # one upright rule alone would be a 1: only in grids
    a = rng.uniform(-0.12, 0.12) + (np.pi / 2 if upright else 0)
    spacing = rng.uniform(20, 45)
    length = rng.uniform(40, 110)
    n = int(rng.integers(1, 4))
    for k in range(n):
        d = np.array([np.cos(a), np.sin(a)]) * length / 2
        o = np.array([60, 60]) + np.array([-np.sin(a), np.cos(a)]) * (k - (n - 1) / 2) * spacing
        _stroke(canvas, np.linspace(o - d, o + d, 4), t)
    if grid:  # crossing rules
        b = a + np.pi / 2
        for k in range(int(rng.integers(1, 3))):
            d = np.array([np.cos(b), np.sin(b)]) * length / 2
            o = np.array([60, 60]) + np.array([-np.sin(b), np.cos(b)]) * (k - 0.5) * spacing
            _stroke(canvas, np.linspace(o - d, o + d, 4), t)
    alpha = _tight(canvas)
    return None if alpha is None else _read_mark(alpha, rng)


def scribble(rng: np.random.Generator, split: str, **_) -> np.ndarray | None:
    """Pen scribbles: a random walk (train) or a tangle of random arcs (test)."""
    canvas = np.zeros((120, 120), np.float32)
    t = int(rng.integers(1, 8))
    if split == "train":  # a random walk, jagged or (half the time) in smooth loops
        steps = int(rng.integers(8, 40))
        heading = rng.uniform(0, 2 * np.pi)
        turn = rng.normal(0, 0.6) if rng.random() < 0.5 else None
        p, pts = np.array([60.0, 60.0]), []
        for _ in range(steps):
            heading += rng.normal(0, 1.0) if turn is None else turn + rng.normal(0, 0.15)
            step = rng.uniform(5, 15) if turn is None else rng.uniform(3, 8)
            p = np.clip(p + step * np.array([np.cos(heading), np.sin(heading)]), 5, 115)
            pts.append(p.copy())
        _stroke(canvas, pts, t)
    else:
        for _ in range(int(rng.integers(2, 6))):
            centre = rng.uniform(30, 90, 2)
            r = rng.uniform(10, 35)
            cv2.ellipse(canvas, (int(centre[0]), int(centre[1])), (int(r), int(r * rng.uniform(0.3, 1))),
                        rng.uniform(0, 180), rng.uniform(0, 180), rng.uniform(200, 360), 1.0, t,
                        cv2.LINE_AA)
    alpha = _tight(canvas)
    return None if alpha is None else _read_mark(alpha, rng)


def blot(rng: np.random.Generator, **_) -> np.ndarray | None:
    """An ink blot or smudge: an irregular filled shape with splashes."""
    canvas = np.zeros((120, 120), np.float32)
    n = int(rng.integers(8, 20))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(10, 40, n)
    pts = np.stack([60 + radii * np.cos(angles), 60 + radii * np.sin(angles) * rng.uniform(0.4, 1)], 1)
    cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1.0, cv2.LINE_AA)
    for _ in range(int(rng.integers(0, 6))):
        p = rng.uniform(15, 105, 2).astype(int)
        cv2.circle(canvas, (int(p[0]), int(p[1])), int(rng.integers(2, 8)), 1.0, -1, cv2.LINE_AA)
    canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.5, 3))
    if rng.random() < 0.5:  # a smudge: faint and uneven
        canvas *= rng.uniform(0.3, 0.8) * (0.6 + 0.4 * rng.random(canvas.shape)).astype(np.float32)
    alpha = _tight(canvas)
    return None if alpha is None else _read_mark(alpha, rng)


def _noise_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    low = rng.normal(0, 1, (cells, cells)).astype(np.float32)
    return cv2.resize(low, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _grab(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A JPEG'd camera frame of a grey float page in [0, 1], as `on_paper` makes them."""
    gray = gray + rng.normal(0, rng.uniform(0.0, 0.04), gray.shape)
    photo = np.clip(gray * 255, 0, 255).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 91))])
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)


def paper(rng: np.random.Generator, **_) -> np.ndarray | None:
    """Paper or desk texture: fibres, grain, stains; the darkest of it read as if it were ink."""
    s = int(rng.integers(40, 140))
    level = rng.uniform(0.5, 0.95)
    page = level + rng.uniform(0.02, 0.12) * _noise_field(rng, (s, s), int(rng.integers(3, 12)))
    if rng.random() < 0.5:  # wood grain or fibres: stretched noise
        grain = cv2.resize(rng.normal(0, 1, (s, 6)).astype(np.float32), (s, s))
        page += rng.uniform(0.02, 0.1) * grain
    page += rng.uniform(0.01, 0.05) * rng.normal(0, 1, (s, s))
    return read_back(_grab(page.astype(np.float32), rng))


def shadow(rng: np.random.Generator, **_) -> np.ndarray | None:
    """The edge of a shadow across paper: a darker region with a soft or hard border."""
    s = int(rng.integers(40, 140))
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    bend = rng.uniform(-0.01, 0.01)
    dist = (xx - s / 2) * np.cos(a) + (yy - s / 2) * np.sin(a) + bend * (xx - s / 2) ** 2
    dist += rng.uniform(-s / 4, s / 4)
    soft = rng.uniform(0.5, 6)
    dark = 1.0 / (1.0 + np.exp(-dist / soft))
    page = rng.uniform(0.6, 0.95) * (1 - rng.uniform(0.2, 0.7) * dark)
    page += 0.03 * _noise_field(rng, (s, s), 6)
    return read_back(_grab(page.astype(np.float32), rng))


def page_edge(rng: np.random.Generator, **_) -> np.ndarray | None:
    """The page's edge or corner on a darker desk."""
    s = int(rng.integers(40, 140))
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    page_mask = np.ones((s, s), np.float32)
    for _ in range(int(rng.integers(1, 3))):  # one edge, or two: a corner
        a = rng.uniform(0, 2 * np.pi)
        d = (xx - s / 2) * np.cos(a) + (yy - s / 2) * np.sin(a) + rng.uniform(-s / 3, s / 3)
        page_mask *= (d > 0).astype(np.float32)
    page_mask = cv2.GaussianBlur(page_mask, (0, 0), rng.uniform(0.5, 2))
    desk = rng.uniform(0.05, 0.5) + 0.08 * _noise_field(rng, (s, s), int(rng.integers(3, 10)))
    page = page_mask * rng.uniform(0.7, 0.95) + (1 - page_mask) * desk
    return read_back(_grab(page.astype(np.float32), rng))


def photo(rng: np.random.Generator, split: str, **_) -> np.ndarray | None:
    """A crop of a photo without digits, at a random scale."""
    pictures = photos(split)
    if not pictures:
        return None
    picture = pictures[int(rng.integers(len(pictures)))]
    h, w = picture.shape
    s = int(rng.integers(24, max(25, min(h, w) // 2)))
    y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
    crop = picture[y : y + s, x : x + s]
    target = int(rng.integers(40, 140))
    crop = cv2.resize(crop, (target, target), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = cv2.bitwise_not(crop)
    return read_back(_grab(crop.astype(np.float32) / 255.0, rng))


GENERATORS: dict[str, Callable[..., np.ndarray | None]] = {
    "glyph": glyph, "symbol": symbol, "part": part, "pair": pair, "lines": lines,
    "scribble": scribble, "blot": blot, "paper": paper, "shadow": shadow, "page_edge": page_edge,
    "photo": photo, "mirror": mirror,
}


def held_out(x_test: np.ndarray, y_test: np.ndarray, count: int = HELD_OUT_COUNT) -> Negatives:
    """The held-out negatives that `digits evaluate` and the gate of `digits convert` score."""
    return make_negatives(count, HELD_OUT_SEED, "test", digits=(x_test, y_test))


def make_negatives(count: int, seed: int, split: str = "train",
                   digits: tuple[np.ndarray, np.ndarray] | None = None,
                   kinds: tuple[str, ...] | None = None) -> Negatives:
    """`count` negatives drawn with the MIX of kinds (or only `kinds`), reproducible from `seed`.

    `digits` (uint8 images, labels) are the digits that parts and touching pairs are cut from:
    training images for the train split, test images for the held-out one. Without them those
    kinds are skipped, and so are photos without matplotlib.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    names = [k for k in (kinds or MIX) if not (k in ("part", "pair", "mirror") and digits is None)
             and not (k == "photo" and not photos(split))]
    weights = np.array([MIX[k] for k in names], np.float64)
    weights /= weights.sum()
    images, drawn = [], []
    choices = rng.choice(len(names), size=count, p=weights)
    for c in choices:
        kind = names[int(c)]
        for _ in range(50):  # a generator may decline (an empty crop, a part that is still a digit)
            image = GENERATORS[kind](rng, split=split, digits=digits)
            if image is not None and float(image.sum()) >= MIN_INK:
                break
        else:
            image = to_mnist(np.ones((3, 3), np.float32))  # a dot: never reached in practice
        images.append(np.round(image * 255).astype(np.uint8))
        drawn.append(kind)
    return Negatives(np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
                     np.array(drawn))


