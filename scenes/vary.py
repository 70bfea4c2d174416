"""Worse copies of a real photo, to see how the reader holds up when the light, the lens or the
file is poorer than in the photos it was tuned on (`digits scenes --real DIR --vary NAME`).

Each variation is a pure function of the photo (noise is seeded), so a score is repeatable:

    turn90, turn270  the upright photo turned a quarter, as a phone stores a page held sideways
    half, double     half or twice the size (a webcam's frame; a phone's full resolution)
    dim              darker: every brightness squared (gamma 2), as in a dim room
    bright           washed out: every brightness's square root (gamma 0.5), over-exposed
    hazy             40 % of the contrast around the photo's mean, as through a hazy lens
    blur             out of focus: Gaussian blur of 1.5 px per 1000 px of the longer side
    noise            sensor noise: Gaussian, 10 grey levels
    jpeg             saved again as a JPEG of quality 30
    far              taken from further away: the photo at the same scale in the middle of a
                     frame twice as wide and tall, lying on a plain desk (its own colour half
                     as bright, the light varying slowly across it, grain like its own; seeded),
                     so the writing is a smaller part of the frame
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

DESK_SHADE = 0.5  # the desk's brightness, of the photo's own (its median colour) ...
DESK_VARY = 0.2  # ... give or take this share, varying slowly across it
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _turn(image: np.ndarray, degrees: int) -> np.ndarray:
    return image if degrees % 360 == 0 else cv2.rotate(image, TURNS[degrees % 360])


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    return cv2.resize(image, None, fx=scale, fy=scale,
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _gamma(image: np.ndarray, gamma: float) -> np.ndarray:
    table = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
    return cv2.LUT(image, table)


def _hazy(image: np.ndarray) -> np.ndarray:
    mean = float(image.mean())
    return np.clip(mean + 0.4 * (image.astype(np.float32) - mean), 0, 255).astype(np.uint8)


def _blur(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 1.5 * max(image.shape[:2]) / 1000.0)


def _noise(image: np.ndarray) -> np.ndarray:
    grain = np.random.default_rng(0).normal(0.0, 10.0, image.shape)
    return np.clip(image + grain, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 30])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def _far(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    top, left = h // 2, w // 2
    rng = np.random.default_rng(0)
    # the surround is a plain desk: the photo's own colour half as bright, its light varying
    # slowly across it (a smooth random field), with grain like the photo's own
    colour = np.median(image.reshape(-1, image.shape[2] if image.ndim == 3 else 1), axis=0)
    light = cv2.resize(rng.uniform(1.0 - DESK_VARY, 1.0 + DESK_VARY, (4, 4)).astype(np.float32),
                       (2 * w, 2 * h), interpolation=cv2.INTER_CUBIC)
    desk = np.broadcast_to(colour * DESK_SHADE, (2 * h, 2 * w, colour.size)).astype(np.float32)
    desk = desk * light[..., None]
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    grain = float(np.clip(np.std(cv2.Laplacian(grey.astype(np.float32), cv2.CV_32F)) / 8.0, 1.0, 6.0))
    desk += rng.normal(0.0, grain, desk.shape).astype(np.float32)
    out = np.clip(desk, 0, 255).astype(np.uint8).reshape((2 * h, 2 * w) + image.shape[2:])
    out[top : top + h, left : left + w] = image
    return out


# each takes the photo as stored and its clockwise turn to upright (the manifest's `rotation`)
VARIATIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "turn90": lambda image, upright: _turn(image, upright + 90),
    "turn270": lambda image, upright: _turn(image, upright + 270),
    "half": lambda image, _: _resize(image, 0.5),
    "double": lambda image, _: _resize(image, 2.0),
    "dim": lambda image, _: _gamma(image, 2.0),
    "bright": lambda image, _: _gamma(image, 0.5),
    "hazy": lambda image, _: _hazy(image),
    "blur": lambda image, _: _blur(image),
    "noise": lambda image, _: _noise(image),
    "jpeg": lambda image, _: _jpeg(image),
    "far": lambda image, _: _far(image),
}


def vary(image: np.ndarray, name: str, upright: int = 0) -> np.ndarray:
    """The photo as the variation `name` makes it (`upright`: its clockwise turn to upright)."""
    return VARIATIONS[name](image, upright)
