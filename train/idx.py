"""The IDX file format and the canonical MNIST checksums: the one place that says what MNIST is."""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass

import numpy as np

from digits.train.errors import DataError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


@dataclass(frozen=True)
class CanonicalFile:
    name: str
    size: int
    sha256: str


TRAIN_IMAGES = CanonicalFile(
    "train-images-idx3-ubyte", 47_040_016,
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
)
TRAIN_LABELS = CanonicalFile(
    "train-labels-idx1-ubyte", 60_008,
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
)
TEST_IMAGES = CanonicalFile(
    "t10k-images-idx3-ubyte", 7_840_016,
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
)
TEST_LABELS = CanonicalFile(
    "t10k-labels-idx1-ubyte", 10_008,
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
)
CANONICAL = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def encode(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array: what hashing compares with the canonical files."""
    if array.dtype != np.uint8:
        raise DataError(f"MNIST arrays must be uint8, not {array.dtype}")
    magic = IMAGES_MAGIC if array.ndim == 3 else LABELS_MAGIC
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def decode(data: bytes, name: str = "IDX file") -> np.ndarray:
    """Parse IDX bytes (raw or gzip'd) into a uint8 array; a clear DataError if they are not IDX."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{name} is not a readable gzip file ({exc})") from None
    if len(data) < 8:
        raise DataError(f"{name} is too short to be an IDX file ({len(data)} bytes)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise DataError(f"{name} is not an MNIST IDX file (magic {magic:#010x})")
    ndim = magic & 0xFF
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{name} holds {len(body)} bytes of data, its header promises {shape}")
    return np.frombuffer(body, np.uint8).reshape(shape)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(array: np.ndarray, canonical: CanonicalFile, source: str) -> None:
    """Raise DataError unless `array` rebuilds byte-for-byte into the canonical IDX file."""
    digest = sha256(encode(array))
    if digest != canonical.sha256:
        raise DataError(
            f"{source}: {canonical.name} does not match the canonical MNIST checksum "
            f"(sha256 {digest[:12]}…, expected {canonical.sha256[:12]}…)"
        )
