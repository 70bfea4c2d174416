"""Draw what the reader found on a copy of the frame: boxes, labels, numbers, FPS.

Drawing is kept apart from reading: `draw` never changes the frame it is given, and the
reader never draws. Text is sized to the picture, never to the box it labels (a digit filling
the frame gets the same small label as any other), but no taller than half the writing (a page
of small digits in a big photo), and each label goes just outside its box, above or below, on
whichever side covers fewer of the digits read, and inside the frame.

API:
    draw(frame_bgr, result: FrameResult, fps: float | None = None) -> ndarray   # a new image
    put_label(image, text, anchor_box, colour, scale) -> None                  # in place
"""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core.reader import FrameResult

DIGIT_COLOUR = (40, 180, 40)  # BGR
NUMBER_COLOUR = (0, 120, 255)
FPS_COLOUR = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_PX = 22  # the height of a digit in FONT at scale 1


def draw(frame: np.ndarray, result: FrameResult, fps: float | None = None) -> np.ndarray:
    """A copy of `frame` (grey frames become BGR) with the reader's findings drawn on it."""
    image = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame[..., :3].copy()
    h, w = image.shape[:2]
    base = min(h, w) / 900  # text scale for a frame of this size ...
    if result.digits:  # ... but no taller than half the writing: small digits on a big photo
        base = min(base, 0.5 * float(np.median([d.box[3] for d in result.digits])) / TEXT_PX)
    base = max(0.35, base)
    thick = max(1, min(round(min(h, w) / 400), round(base * 2)))
    taken = [d.box for d in result.digits]
    for d in result.digits:
        x, y, bw, bh = d.box
        cv2.rectangle(image, (x, y), (x + bw - 1, y + bh - 1), DIGIT_COLOUR, thick)
        put_label(image, f"{d.label}", d.box, DIGIT_COLOUR, base, below=True, avoid=taken)
    for n in result.numbers:
        x, y, bw, bh = n.box
        pad = 2 + thick
        box = (x - pad, y - pad, bw + 2 * pad, bh + 2 * pad)
        cv2.rectangle(image, (box[0], box[1]), (box[0] + box[2] - 1, box[1] + box[3] - 1),
                      NUMBER_COLOUR, thick + 1)
        put_label(image, f"{n.text}  {n.confidence:.0%}", box, NUMBER_COLOUR, base, avoid=taken)
    if fps is not None:
        put_label(image, f"{fps:.1f} FPS", (0, 0, w, h), FPS_COLOUR, base, inside=True)
    return image


def put_label(image: np.ndarray, text: str, box: tuple[int, int, int, int], colour, scale: float,
              below: bool = False, inside: bool = False, avoid: list | None = None) -> None:
    """Text on a filled band just above `box` (or below, or inside its top-left corner),
    moved as little as needed to stay wholly inside the image; with `avoid`, on the side of
    the box that covers less of those boxes."""
    h, w = image.shape[:2]
    thickness = max(1, round(scale * 2))
    (tw, th), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    band_h = th + baseline + 4
    x, y, bw, bh = box
    left = int(min(max(0, x), max(0, w - tw - 4)))
    under, over = y + bh + 2, y - band_h - 2
    if inside:
        top = y + 2
    elif below:
        top = under if under + band_h <= h else over
    else:
        top = over if over >= 0 else under
    if avoid and not inside:
        first, second = (top, over if top == under else under)
        if _covered(avoid, left, second, tw + 4, band_h) < _covered(avoid, left, first, tw + 4, band_h) \
                and 0 <= second <= h - band_h:
            top = second
    top = int(min(max(0, top), max(0, h - band_h)))
    cv2.rectangle(image, (left, top), (left + tw + 4, top + band_h), colour, -1)
    ink = (0, 0, 0) if sum(colour) > 380 else (255, 255, 255)
    cv2.putText(image, text, (left + 2, top + th + 2), FONT, scale, ink, thickness, cv2.LINE_AA)


def _covered(boxes: list, x: int, y: int, w: int, h: int) -> int:
    """Pixels of `boxes` under the band (x, y, w, h)."""
    return sum(max(0, min(x + w, bx + bw) - max(x, bx)) * max(0, min(y + h, by + bh) - max(y, by))
               for bx, by, bw, bh in boxes)
