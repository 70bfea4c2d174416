"""Draw camera-like photos of handwritten numbers on paper, with the truth as JSON.

A scene is a 640x480 page holding 1-3 numbers of 1-5 digits, each digit 30-100 px tall, in
black or blue ink. The digits come from two kinds of writer: MNIST *training* images (the
reader's model never saw the test writers, and these are not what we score the model on
elsewhere) and handwriting fonts from Debian packages (other hands altogether; see
`FONT_PACKAGES`). Three levels of difficulty:

- clean: flat light, sharp, lossless;
- camera: uneven light and vignetting, blur, sensor noise, JPEG, slight perspective;
- hard: the camera level plus ruled paper, a soft shadow, low-contrast ink and dust;
- real: what real photos showed (close-ups, faint pens, sums, spaced numbers, a sheet on a
  desk, dense pages, pages with no digit), drawn by `scenes.real_like`.

API:
    GlyphBank.load(fonts=True) -> GlyphBank      # the writers; MNIST from the verified cache
    make_scene(bank, level, rng) -> Scene        # one page: .image (BGR uint8), .digits, .numbers
    generate(bank, level, count, seed) -> Iterator[Scene]
    write_set(out_dir, levels, count, seed) -> Path   # images + truth.json

Truth boxes are the tight box of each digit's ink after every geometric change, in image
pixels, so they mean what the reader's boxes mean.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from digits.common.files import write_bytes, write_text
from digits.common.fonts import find_fonts, render_font_digit, tight
from digits.edge.core.blob import Box, union

WIDTH, HEIGHT = 640, 480
LEVELS = ("clean", "camera", "hard", "real")  # "real": what real photos showed (real_like.py)
HEIGHT_RANGE = (30, 100)  # digit heights in pixels
FONT_SHARE = 0.35  # fraction of digits drawn from fonts when any are installed


@dataclass(frozen=True)
class DigitTruth:
    box: Box  # x, y, w, h: tight ink box in image pixels
    label: int
    source: str  # "mnist:<index>" or "font:<file>"


@dataclass(frozen=True)
class NumberTruth:
    box: Box  # union of its digits' boxes
    text: str


@dataclass
class Scene:
    image: np.ndarray  # BGR uint8, HEIGHT x WIDTH
    level: str
    digits: list[DigitTruth]
    numbers: list[NumberTruth]
    ink: str = "black"
    notes: dict[str, float] = field(default_factory=dict)

    def truth(self, name: str) -> dict:
        return {"image": name, "level": self.level, "ink": self.ink,
                "width": WIDTH, "height": HEIGHT,
                "digits": [asdict(d) | {"box": list(d.box)} for d in self.digits],
                "numbers": [{"box": list(n.box), "text": n.text} for n in self.numbers]}


# --- writers -----------------------------------------------------------------------------------

@dataclass
class GlyphBank:
    """Where digits come from: MNIST training images by label, and rendered font digits."""

    mnist_images: np.ndarray  # (n, 28, 28) uint8 white on black
    mnist_by_label: list[np.ndarray]  # indices per label
    fonts: dict[str, list[np.ndarray]]  # font file name -> ten alpha masks

    @classmethod
    def load(cls, fonts: bool = True, mnist=None) -> GlyphBank:
        if mnist is None:
            from digits.train.data import load_mnist  # numpy only: no TensorFlow

            mnist = load_mnist()
        images, labels = mnist.x_train, mnist.y_train
        by_label = [np.flatnonzero(labels == d) for d in range(10)]
        rendered = {}
        try:
            import PIL  # noqa: F401  (fonts are drawn with Pillow, which the edge extra lacks)
        except ImportError:
            fonts = False
        for path in find_fonts() if fonts else []:
            try:
                rendered[path.name] = [render_font_digit(path, d) for d in range(10)]
            except OSError:  # a broken font file is skipped, not fatal
                continue
        return cls(images, by_label, rendered)

    def glyph(self, label: int, height: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """One digit as an alpha mask `height` px tall, drawn by a random writer."""
        if self.fonts and rng.random() < FONT_SHARE:
            name = sorted(self.fonts)[rng.integers(len(self.fonts))]
            alpha = _slant(self.fonts[name][label], rng)
            source = f"font:{name}"
        else:
            index = int(rng.choice(self.mnist_by_label[label]))
            alpha = tight(self.mnist_images[index].astype(np.float32) / 255.0)
            source = f"mnist:{index}"
        h, w = alpha.shape
        width = max(2, round(w * height / h))
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_CUBIC)
        # MNIST is soft-edged; a pen is not: a steep ramp gives clean edges at any scale
        alpha = np.clip((alpha - 0.3) / 0.35, 0.0, 1.0)
        stroke = rng.choice(["thin", "normal", "bold"], p=[0.35, 0.45, 0.2])
        k = max(1, height // 28)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        if stroke == "thin" and source.startswith("mnist"):
            alpha = cv2.erode(alpha, kernel)
        elif stroke == "bold" and source.startswith("font"):
            alpha = cv2.dilate(alpha, kernel)
        return alpha.astype(np.float32), source


def _slant(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A little rotation and shear, so a font's digits are not all alike."""
    h, w = alpha.shape
    pad = max(h, w) // 3
    alpha = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    angle = rng.uniform(-8, 8)
    m = cv2.getRotationMatrix2D((alpha.shape[1] / 2, alpha.shape[0] / 2), angle, 1.0)
    m[0, 1] += rng.uniform(-0.2, 0.2)
    warped = cv2.warpAffine(alpha, m, (alpha.shape[1], alpha.shape[0]), flags=cv2.INTER_LINEAR)
    return tight(warped)


# --- layout ------------------------------------------------------------------------------------

@dataclass
class _Placed:
    alpha: np.ndarray
    x: int
    y: int
    label: int
    source: str


def layout(bank: GlyphBank, level: str, rng: np.random.Generator) -> list[list[_Placed]]:
    """1-3 numbers of 1-5 digits at free places on the page, none overlapping."""
    numbers: list[list[_Placed]] = []
    taken: list[tuple[int, int, int, int]] = []
    margin = 28
    for _ in range(int(rng.integers(1, 4))):
        count = int(rng.integers(1, 6))
        height = int(rng.integers(HEIGHT_RANGE[0], HEIGHT_RANGE[1] + 1))
        glyphs = []
        for _d in range(count):
            label = int(rng.integers(10))
            h = int(np.clip(round(height * rng.uniform(0.9, 1.1)), *HEIGHT_RANGE))
            alpha, source = bank.glyph(label, h, rng)
            glyphs.append((alpha, label, source))
        gaps = []
        for _d in range(count - 1):
            touching = level != "clean" and rng.random() < 0.06
            gaps.append(int(round(height * (rng.uniform(-0.03, 0.02) if touching
                                            else rng.uniform(0.08, 0.4)))))
        total_w = sum(a.shape[1] for a, _, _ in glyphs) + sum(gaps)
        total_h = max(a.shape[0] for a, _, _ in glyphs) + int(0.1 * height)
        if total_w > WIDTH - 2 * margin:
            continue
        for _try in range(60):
            x0 = int(rng.integers(margin, WIDTH - margin - total_w + 1))
            y0 = int(rng.integers(margin, HEIGHT - margin - total_h + 1))
            # each number keeps half its digit height clear all round, so two numbers of a
            # height are at least a digit's height apart, as people space separate numbers
            pad = int(0.5 * height)
            box = (x0 - pad, y0 - pad, x0 + total_w + pad, y0 + total_h + pad)
            if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1]
                   for t in taken):
                taken.append(box)
                break
        else:
            continue
        placed, x = [], x0
        baseline = y0 + max(a.shape[0] for a, _, _ in glyphs)
        for i, (alpha, label, source) in enumerate(glyphs):
            y = baseline - alpha.shape[0] + int(round(rng.uniform(-0.05, 0.05) * height))
            placed.append(_Placed(alpha, x, max(0, y), label, source))
            x += alpha.shape[1] + (gaps[i] if i < len(gaps) else 0)
        numbers.append(placed)
    return numbers


# --- the photograph ----------------------------------------------------------------------------

def make_scene(bank: GlyphBank, level: str, rng: np.random.Generator) -> Scene:
    """One page: paper, ink, then the level's light, lens, sensor and paper defects."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    numbers = layout(bank, level, rng)
    while not numbers:  # the layout can fail only by bad luck; try again
        numbers = layout(bank, level, rng)
    alpha = np.zeros((HEIGHT, WIDTH), np.float32)
    owner = np.zeros((HEIGHT, WIDTH), np.int16)  # 1 + index of the digit whose ink is here
    flat = [p for number in numbers for p in number]
    for i, p in enumerate(flat):
        h, w = p.alpha.shape
        h, w = min(h, HEIGHT - p.y), min(w, WIDTH - p.x)
        a = p.alpha[:h, :w]
        region = alpha[p.y : p.y + h, p.x : p.x + w]
        np.maximum(region, a, out=region)
        owner[p.y : p.y + h, p.x : p.x + w][a > 0.4] = i + 1

    hard, camera = level == "hard", level != "clean"
    paper_tint = np.array([rng.uniform(0.86, 0.97), rng.uniform(0.88, 0.98), rng.uniform(0.9, 0.99)])
    page = np.ones((HEIGHT, WIDTH, 3), np.float32) * paper_tint.astype(np.float32)
    if hard and rng.random() < 0.75:
        _ruled(page, rng)
    blue = rng.random() < 0.4
    ink = (np.array([rng.uniform(0.5, 0.75), rng.uniform(0.15, 0.35), rng.uniform(0.03, 0.15)])
           if blue else np.full(3, rng.uniform(0.05, 0.22)))
    strength = rng.uniform(0.35, 0.65) if hard and rng.random() < 0.5 else rng.uniform(0.85, 1.0)
    a = (alpha * strength)[..., None]
    page = page * (1 - a) + ink.astype(np.float32) * a
    if hard:
        _dust(page, rng)
    if camera:
        page *= _lighting(rng, strong=hard)[..., None]
    if hard and rng.random() < 0.7:
        page *= _shadow(rng)[..., None]

    if camera:
        page, owner = _perspective(page, owner, rng)
        page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.5, 2.0 if hard else 1.5))
        page += rng.normal(0, rng.uniform(2, 10 if hard else 6) / 255, page.shape).astype(np.float32)
    else:
        page = cv2.GaussianBlur(page, (0, 0), 0.5)
    image = np.clip(page * 255 + 0.5, 0, 255).astype(np.uint8)
    if camera:
        quality = int(rng.integers(35 if hard else 45, 86))
        _, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)

    digits, number_truths, k = [], [], 0
    for number in numbers:
        boxes = []
        for p in number:
            k += 1
            ys, xs = np.nonzero(owner == k)
            if len(xs) == 0:
                continue
            box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
            digits.append(DigitTruth(box, p.label, p.source))
            boxes.append((box, p.label))
        if boxes:
            number_truths.append(NumberTruth(union([b for b, _ in boxes]),
                                             "".join(str(lab) for _, lab in boxes)))
    return Scene(image, level, digits, number_truths, ink="blue" if blue else "black")




def _ruled(page: np.ndarray, rng: np.random.Generator) -> None:
    """Faint blue or grey rules every 22-40 px, sometimes a red margin and graph-paper columns."""
    spacing = int(rng.integers(22, 41))
    colour = (np.array([0.85, 0.6, 0.45]) if rng.random() < 0.6 else np.array([0.6, 0.6, 0.6]))
    opacity = rng.uniform(0.3, 0.7)
    thickness = int(rng.integers(1, 3))
    layer = np.zeros(page.shape[:2], np.float32)
    for y in range(int(rng.integers(0, spacing)), HEIGHT, spacing):
        cv2.line(layer, (0, y), (WIDTH - 1, y), 1.0, thickness, cv2.LINE_AA)
    if rng.random() < 0.25:  # graph paper
        for x in range(int(rng.integers(0, spacing)), WIDTH, spacing):
            cv2.line(layer, (x, 0), (x, HEIGHT - 1), 1.0, thickness, cv2.LINE_AA)
    a = (layer * opacity)[..., None]
    page[:] = page * (1 - a) + colour.astype(np.float32) * a * page
    if rng.random() < 0.4:
        x = int(rng.integers(30, 120))
        margin = np.zeros(page.shape[:2], np.float32)
        cv2.line(margin, (x, 0), (x, HEIGHT - 1), 1.0, 2, cv2.LINE_AA)
        a = (margin * rng.uniform(0.3, 0.6))[..., None]
        page[:] = page * (1 - a) + np.float32([0.45, 0.45, 0.9]) * a


def _dust(page: np.ndarray, rng: np.random.Generator) -> None:
    """Specks and the odd fibre: dark, small, everywhere."""
    for _ in range(int(rng.integers(20, 250))):
        x, y = int(rng.integers(WIDTH)), int(rng.integers(HEIGHT))
        shade = float(rng.uniform(0.2, 0.7))
        if rng.random() < 0.9:
            cv2.circle(page, (x, y), int(rng.integers(0, 3)), (shade, shade, shade), -1, cv2.LINE_AA)
        else:
            length, angle = rng.uniform(4, 20), rng.uniform(0, np.pi)
            end = (int(x + length * np.cos(angle)), int(y + length * np.sin(angle)))
            cv2.line(page, (x, y), end, (shade, shade, shade), 1, cv2.LINE_AA)


def _lighting(rng: np.random.Generator, strong: bool) -> np.ndarray:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx / WIDTH + np.sin(angle) * yy / HEIGHT
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    light = 1.0 - rng.uniform(0.1, 0.5 if strong else 0.35) * ramp
    cx, cy = rng.uniform(0.3, 0.7) * WIDTH, rng.uniform(0.3, 0.7) * HEIGHT
    r2 = ((xx - cx) / WIDTH) ** 2 + ((yy - cy) / HEIGHT) ** 2
    return light * (1.0 - rng.uniform(0.1, 0.35) * r2 / r2.max())


def _shadow(rng: np.random.Generator) -> np.ndarray:
    """A soft-edged shadow (a hand, a phone) over part of the page."""
    mask = np.zeros((HEIGHT, WIDTH), np.float32)
    centre = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
    axes = (int(rng.integers(120, 400)), int(rng.integers(80, 300)))
    cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(8, 40))
    return 1.0 - rng.uniform(0.3, 0.55) * mask


def _perspective(page: np.ndarray, owner: np.ndarray, rng: np.random.Generator):
    """A camera not quite square to the page: each corner moves up to 3 % of the frame."""
    src = np.float32([[0, 0], [WIDTH, 0], [WIDTH, HEIGHT], [0, HEIGHT]])
    jitter = rng.uniform(-0.03, 0.03, (4, 2)) * np.float32([WIDTH, HEIGHT])
    m = cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32))
    page = cv2.warpPerspective(page, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
    owner = cv2.warpPerspective(owner, m, (WIDTH, HEIGHT), flags=cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return page, owner


# --- sets --------------------------------------------------------------------------------------

def generate(bank: GlyphBank, level: str, count: int, seed: int = 0) -> Iterator[Scene]:
    """`count` scenes of one level; the same seed gives the same pages."""
    for i in range(count):
        rng = np.random.default_rng([seed, LEVELS.index(level), i])
        if level == "real":
            from digits.scenes.real_like import make_real_like

            yield make_real_like(bank, rng, i)
        else:
            yield make_scene(bank, level, rng)


def write_set(out_dir: Path, levels: Iterable[str] = LEVELS, count: int = 100, seed: int = 0,
              bank: GlyphBank | None = None) -> Path:
    """Write `count` scenes per level as PNG (clean) or JPEG (camera, hard), and truth.json."""
    bank = bank or GlyphBank.load()
    out_dir = Path(out_dir)
    truths = []
    for level in levels:
        for i, scene in enumerate(generate(bank, level, count, seed)):
            name = f"{level}_{i:04d}.png"  # PNG: the JPEG damage is already in the pixels
            ok, data = cv2.imencode(".png", scene.image)
            write_bytes(out_dir / name, data.tobytes())
            truths.append(scene.truth(name))
    write_text(out_dir / "truth.json", json.dumps(truths, indent=1) + "\n")
    return out_dir / "truth.json"
