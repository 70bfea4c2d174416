"""The shipped samples, what a newcomer reads first, read as their truth: the stills'
numbers (edge/samples/truth.json) and the sample video's first frame."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from digits.edge.capture.images import read_image

SAMPLES = Path(__file__).resolve().parent.parent / "edge" / "samples"


@pytest.mark.parametrize("entry", json.loads((SAMPLES / "truth.json").read_text()), ids=lambda e: e["image"])
def test_each_sample_photo_reads_as_its_truth(reader, entry):
    image, _ = read_image(SAMPLES / entry["image"])
    result = reader.read(image)
    assert sorted(n.text for n in result.numbers) == sorted(n["text"] for n in entry["numbers"])


def test_the_sample_videos_first_frame_reads_both_its_numbers(reader):
    """Its last digit is an MNIST 1 that bows like a ")" as far as a written bracket does."""
    video = cv2.VideoCapture(str(SAMPLES / "numbers.mp4"))
    ok, frame = video.read()
    video.release()
    assert ok
    assert [n.text for n in reader.read(frame).numbers] == ["28724", "37951"]
