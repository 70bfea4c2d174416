"""Hostile and odd image files, generated here: each is refused in one line before it costs memory,
or read as the picture it is. Then `digits read` on the lot, and `digits serve` and `digits
camera` on a folder holding an undecodable image.
"""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from digits.common.errors import UsageError
from digits.edge.capture.images import read_image
from digits.edge.errors import ImageError

ROOT = Path(__file__).resolve().parent.parent
DIGITS = Path(sys.executable).parent / "digits"
MAX_GROWTH_MB = 30  # the process's peak RSS may grow this much over the whole corpus


def ink_page(h: int = 60, w: int = 80) -> np.ndarray:
    """Black ink on a transparent page: BGRA."""
    page = np.zeros((h, w, 4), np.uint8)
    cv2.putText(page, "7", (w // 4, h * 5 // 6), cv2.FONT_HERSHEY_SIMPLEX, h / 40, (0, 0, 0, 255), 4)
    return page


def webp_bomb() -> bytes:  # a lossless WebP header promising 12000 x 12000 (144 MP) in 130 bytes
    bits = 11999 | (11999 << 14)
    return b"RIFF" + struct.pack("<I", 120) + b"WEBPVP8L" + struct.pack("<I", 100) + b"\x2f" + \
        struct.pack("<I", bits) + bytes(100)


def tiff_bomb() -> bytes:  # one IFD: 12000 x 12000, deflate
    entries = [(256, 4, 12000), (257, 4, 12000), (259, 3, 8), (262, 3, 1), (277, 3, 1)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", t, k, 1, v) for t, k, v in entries)
    return b"II*\0" + struct.pack("<I", 8) + ifd + bytes(4) + bytes(200)


def bmp_bomb() -> bytes:  # 20000 x 20000 x 24 bit
    return (b"BM" + struct.pack("<IHHI", 1000, 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, 20000, 20000, 1, 24, 0, 0, 0, 0, 0, 0) + bytes(100))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    from PIL import Image

    d = tmp_path_factory.mktemp("hostile")
    (d / "bomb.webp").write_bytes(webp_bomb())
    (d / "bomb.tif").write_bytes(tiff_bomb())
    (d / "bomb.bmp").write_bytes(bmp_bomb())
    with open(d / "sparse.jpg", "wb") as f:  # 2 GiB that take no disk
        f.truncate(2 << 30)
    cv2.imwrite(str(d / "rgba.png"), ink_page())
    cv2.imwrite(str(d / "deep.png"), (np.arange(60 * 80).reshape(60, 80) * 13).astype(np.uint16))
    Image.fromarray(np.full((40, 50, 3), 200, np.uint8)).convert("CMYK").save(d / "cmyk.jpg")
    frames = [Image.fromarray(np.full((30, 40, 3), v, np.uint8)) for v in (10, 200)]
    frames[0].save(d / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    frames[0].save(d / "pages.tif", save_all=True, append_images=frames[1:])
    os.mkfifo(d / "fifo.png")
    latin1 = cv2.imencode(".png", ink_page()[..., :3] + 255)[1].tobytes()
    (d / os.fsdecode(b"caf\xe9.png")).write_bytes(latin1)  # a Latin-1 name: not UTF-8
    (d / "text.jpg").write_text("not a picture")
    (d / "truncated.png").write_bytes(cv2.imencode(".png", ink_page())[1].tobytes()[:200])
    buf = io.BytesIO()  # a photo taken turned: EXIF orientation 6 (turn 90 degrees clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.full((40, 80, 3), 128, np.uint8)).save(buf, "JPEG", exif=exif)
    (d / "turned.jpg").write_bytes(buf.getvalue())
    return d


REFUSED = {
    "bomb.webp": "12000x12000 is too large", "bomb.tif": "12000x12000 is too large",
    "bomb.bmp": "20000x20000 is too large", "sparse.jpg": "2,048 MiB is too large",
    "fifo.png": "not a regular file", "text.jpg": "not an image OpenCV can decode",
    "truncated.png": "not an image OpenCV can decode",
}


def test_every_hostile_file_is_one_line_before_it_costs_memory(corpus):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, reason in REFUSED.items():
        start = time.perf_counter()
        with pytest.raises(ImageError) as caught:
            read_image(corpus / name)
        message = str(caught.value)
        assert reason in message and "\n" not in message and message.startswith(str(corpus / name))
        assert time.perf_counter() - start < 1.0, name
    with pytest.raises(ImageError, match="not a regular file"):
        read_image("/dev/zero")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert grown < MAX_GROWTH_MB, f"peak RSS grew {grown:.0f} MB"


def test_odd_but_honest_files_are_read_as_pictures(corpus):
    rgba, _ = read_image(corpus / "rgba.png")
    assert rgba.shape == (60, 80, 3) and rgba[0, 0].tolist() == [255, 255, 255]  # the page is paper
    assert rgba.min() == 0  # and the ink is ink
    deep, _ = read_image(corpus / "deep.png")
    assert deep.dtype == np.uint8 and deep.shape == (60, 80, 3) and deep.max() > 200
    cmyk, _ = read_image(corpus / "cmyk.jpg")
    assert cmyk.shape == (40, 50, 3) and abs(int(cmyk.mean()) - 200) < 4
    gif, _ = read_image(corpus / "anim.gif")
    tif, _ = read_image(corpus / "pages.tif")
    assert gif.shape == tif.shape == (30, 40, 3) and gif.mean() < 20 and tif.mean() < 20  # first frame
    turned, _ = read_image(corpus / "turned.jpg")
    assert turned.shape == (80, 40, 3)  # as OpenCV's IMREAD_COLOR turns it
    assert turned.shape == cv2.imread(str(corpus / "turned.jpg"), cv2.IMREAD_COLOR).shape
    odd, _ = read_image(corpus / os.fsdecode(b"caf\xe9.png"))
    assert odd.shape == (60, 80, 3)
    with pytest.raises(UsageError):
        read_image(corpus / "missing.png")


def test_a_big_jpeg_keeps_its_orientation_at_a_reduced_size(tmp_path, monkeypatch):
    from PIL import Image

    from digits.edge.capture import images

    monkeypatch.setattr(images, "MAX_PIXELS", 1000)  # 40 x 80 is over: read at half size
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.full((40, 80, 3), 128, np.uint8)).save(tmp_path / "t.jpg", "JPEG", exif=exif)
    image, _ = read_image(tmp_path / "t.jpg")
    assert image.shape == (40, 20, 3)


def test_digits_read_on_the_corpus_reports_each_in_one_line(corpus):
    model = ROOT / "edge" / "models" / "digits_int8.tflite"
    if not model.is_file():
        pytest.skip("no shipped model")
    names = [corpus / n for n in REFUSED] + [corpus / "rgba.png", corpus / "anim.gif", Path("/dev/zero")]
    run = subprocess.run([str(DIGITS), "read", "--json", *map(str, names)], capture_output=True,
                         timeout=120)
    assert run.returncode == 1
    errors = [x for x in run.stderr.decode().splitlines() if not x.startswith("note:")]
    assert len(errors) == len(REFUSED) + 2, errors  # one per refused file, then the count
    assert errors[-1] == f"{len(REFUSED) + 1} of {len(names)} images could not be read"
    assert "Traceback" not in run.stderr.decode()
    objs = [json.loads(line) for line in run.stdout.splitlines()]
    assert [Path(o["image"]).name for o in objs] == ["rgba.png", "anim.gif"]
    assert objs[0]["numbers"], "ink on a transparent page is read"


def folder_with_a_bad_image(tmp_path: Path) -> Path:
    folder = tmp_path / "shots"
    folder.mkdir()
    for i, text in enumerate(("38", "5")):
        page = np.full((240, 320, 3), 230, np.uint8)
        cv2.putText(page, text, (60, 160), cv2.FONT_HERSHEY_SIMPLEX, 3, (25, 25, 25), 9)
        cv2.imwrite(str(folder / f"{i * 2}.png"), page)
    (folder / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # between the two good ones
    return folder


def test_camera_skips_a_bad_image_of_a_folder_and_shows_the_rest(tmp_path):
    folder = folder_with_a_bad_image(tmp_path)
    run = subprocess.run([str(DIGITS), "camera", "--source", str(folder), "--headless"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [line.split()[-1] for line in run.stdout.splitlines()] == ["38", "5"]
    assert run.stderr.count("error:") == 1 and "1.png: not an image" in run.stderr
    assert "2 frames" in run.stderr


def test_serve_skips_a_bad_image_once_shows_the_rest_and_says_so(tmp_path):
    from tests.test_hostile_clients import Server

    folder = folder_with_a_bad_image(tmp_path)
    served = Server.__new__(Server)  # the hostile-client helper, on this folder instead of the video
    served.auth = {}
    served.proc = subprocess.Popen([str(DIGITS), "serve", "--source", str(folder), "--loop", "--port", "0"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    import threading

    threading.Thread(target=lambda: lines.extend(served.proc.stderr), daemon=True).start()
    try:
        from tests.test_serve import wait_for

        line = wait_for(lambda: next((x for x in lines if "digits serve: http" in x), None),
                        "the address", 60)
        served.port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
        seen: set[str] = set()

        def cycled() -> bool:
            latest = json.loads(served.get("/api/latest")[2])
            seen.add(latest.get("image"))
            return {"0.png", "2.png"} <= seen and latest["camera"]["frames_read"] >= 6 and latest

        latest = wait_for(cycled, "both good images, three times round the folder", 30)
        assert latest["camera"]["skipped"] == [{"name": "1.png", "reason": "not an image OpenCV can decode"}]
        assert latest["camera"]["state"] == "live"
        assert sum("1.png" in x and "skipped" in x for x in lines) == 1, lines  # reported once
    finally:
        served.stop()
