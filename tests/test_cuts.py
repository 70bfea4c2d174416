"""The second look's cuts: every span of a touching blob that could be a digit is offered."""

from __future__ import annotations

import cv2
import numpy as np

from digits.edge.core import cuts
from digits.edge.core.segment import segment
from digits.edge.core.tuning import DEFAULT


def test_small_zeros_touching_a_tall_four_are_offered_as_digits():
    """A "400" written with small 0s (0.4 of the 4's height) against the 4's foot: each 0 is
    a span of its own, not a piece of a stroke."""
    page = np.full((300, 400), 230, np.uint8)
    cv2.line(page, (120, 60), (95, 120), 40, 5)  # the 4: 90 px tall
    cv2.line(page, (95, 120), (150, 120), 40, 5)
    cv2.line(page, (135, 60), (135, 150), 40, 5)
    for cx in (152, 178):  # the 0s: 36 px tall, touching the 4 and each other
        cv2.ellipse(page, (cx, 132), (11, 17), 0, 0, 360, 40, 5)
    frame = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    blobs = [b for b in segment(frame, DEFAULT).blobs if b.source is not None]
    assert len(blobs) == 1
    height = blobs[0].box[3]
    _, spans = cuts.spans(blobs[0].source)
    zeros = [s.blob.box for s in spans if s.blob.box[3] < 0.5 * height]
    for cx in (152, 178):  # a span holds each 0, and no more than a 0
        assert any(x <= cx - 8 and cx + 8 <= x + w <= cx + 20 for x, _, w, _ in zeros), (cx, zeros)
