"""A camera-like copy of MNIST digits: each digit printed on paper, photographed badly, read back.

Each digit is scaled to a camera size, drawn in dark ink on a light page with a thicker or
thinner pen, lit unevenly, blurred, noised and JPEG-compressed, then brought back through the
edge runtime's ink map and the one preprocessing contract. Accuracy on this copy puts a
robustness number beside clean accuracy.
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.ink import ink_map, ink_mask
from digits.edge.core.preprocess import to_mnist


def photograph(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One MNIST digit (28x28 uint8, white on black) as a grey uint8 photo of dark ink on paper."""
    height = int(rng.integers(30, 101))  # digit height in the photo, as in the reader's frames
    side = int(round(height * 28 / 20))
    alpha = cv2.resize(digit.astype(np.float32) / 255.0, (side, side),
                       interpolation=cv2.INTER_CUBIC).clip(0, 1)
    stroke = rng.choice(["thin", "normal", "bold"], p=[0.25, 0.5, 0.25])
    k = max(1, height // 25)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    if stroke == "bold":
        alpha = cv2.dilate(alpha, kernel)
    elif stroke == "thin":
        alpha = cv2.erode(alpha, kernel)
    pad = side // 3
    alpha = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return on_paper(alpha, height, rng)


def on_paper(alpha: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """An ink alpha mask (1 = ink) as a grey uint8 photo: dark ink on light paper, lit unevenly,
    blurred for a mark `height` pixels tall, noised and JPEG-compressed."""
    paper = rng.uniform(0.7, 0.95)
    ink = rng.uniform(0.05, 0.35)
    page = paper * (1 - alpha) + ink * alpha
    h, w = page.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    light = 1.0 - rng.uniform(0.0, 0.35) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    page = page * light
    sigma = rng.uniform(0.0, 0.035) * height
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page = page + rng.normal(0, rng.uniform(0.0, 0.04), page.shape)
    photo = np.clip(page * 255, 0, 255).astype(np.uint8)
    quality = int(rng.integers(40, 91))
    _, jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)


def read_back(photo: np.ndarray, stroke_px: int | None = None) -> np.ndarray:
    """The crop as the edge runtime sees it: ink map, mask, largest blob, the 28x28 contract."""
    stroke_px = stroke_px or max(4, photo.shape[0] // 8)
    ink, _ = ink_map(photo, stroke_px=stroke_px)
    mask = ink_mask(ink)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 1:
        # keep every blob of at least a tenth of the biggest: a 5's hat, an i-dot-like stroke
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = np.flatnonzero(areas >= 0.1 * areas.max()) + 1
        mask = np.isin(labels, keep).astype(np.uint8)
    return to_mnist(ink * cv2.dilate(mask, np.ones((3, 3), np.uint8)))


def camera_like(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """The camera-like copy of a stack of MNIST digits, (n, 28, 28) float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    return np.stack([read_back(photograph(d, rng)) for d in images]).astype(np.float32)
