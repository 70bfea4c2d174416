"""MNIST sources: verification, the safe unpickler, local files, a loopback mirror, the cache."""

from __future__ import annotations

import gzip
import http.server
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from digits.common.errors import UsageError
from digits.train import data, idx, safe_pickle
from digits.train.errors import DataError


def test_verified_arrays_rebuild_the_canonical_idx_files(mnist):
    mnist.verify()  # raises on any difference
    assert mnist.x_train.shape == (60_000, 28, 28) and mnist.y_test.shape == (10_000,)


def test_one_flipped_pixel_is_rejected(mnist):
    x_test = mnist.x_test.copy()
    x_test[1234, 14, 14] ^= 1
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte does not match"):
        data.from_arrays(mnist.x_train, mnist.y_train, x_test, mnist.y_test, source="tampered")


def test_relabelled_image_is_rejected(mnist):
    y_train = mnist.y_train.copy()
    y_train[0] = (y_train[0] + 1) % 10
    with pytest.raises(DataError, match="train-labels"):
        data.from_arrays(mnist.x_train, y_train, mnist.x_test, mnist.y_test, source="tampered")


def test_idx_round_trip_and_bad_headers():
    labels = np.arange(10, dtype=np.uint8)
    assert np.array_equal(idx.decode(idx.encode(labels)), labels)
    assert np.array_equal(idx.decode(gzip.compress(idx.encode(labels))), labels)
    with pytest.raises(DataError, match="not an MNIST IDX file"):
        idx.decode(b"\x00\x00\x09\x99" + bytes(20))
    with pytest.raises(DataError, match="header promises"):
        idx.decode(idx.encode(labels)[:-3])


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_unpickler_refuses_code_execution():
    with pytest.raises(DataError, match="refused to load"):
        safe_pickle.loads(pickle.dumps(Evil(), protocol=2))


def test_unpickler_loads_plain_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], np.int64))
    loaded = safe_pickle.loads(pickle.dumps(arrays, protocol=4))
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(loaded, arrays))


def test_wheel_pickle_layout_rebuilds_verified_mnist(mnist):
    """The wheel's layout: train 50k + valid 10k + test, float32 = uint8/256, labels int64."""

    def split(x, y):
        return (x.reshape(len(x), 784).astype(np.float32) / 256, y.astype(np.int64))

    raw = pickle.dumps((split(mnist.x_train[:50_000], mnist.y_train[:50_000]),
                        split(mnist.x_train[50_000:], mnist.y_train[50_000:]),
                        split(mnist.x_test, mnist.y_test)), protocol=4)
    rebuilt = data.mnist_from_pickle(raw, "fake wheel")
    assert np.array_equal(rebuilt.x_train, mnist.x_train)


def test_wheel_member_with_wrong_checksum_is_never_unpickled():
    member = gzip.compress(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(DataError, match="not the known file"):
        data.unpack_wheel_pickle(member, "fake wheel")


def write_idx_folder(mnist, folder: Path, gz: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = (mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test)
    for array, canonical in zip(arrays, idx.CANONICAL):
        raw = idx.encode(array)
        if gz:
            (folder / f"{canonical.name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
        else:
            (folder / canonical.name).write_bytes(raw)


def test_local_idx_folder_and_npz(mnist, tmp_path):
    write_idx_folder(mnist, tmp_path / "idx", gz=False)
    assert np.array_equal(data.from_local(tmp_path / "idx").x_test, mnist.x_test)
    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=mnist.x_train, y_train=mnist.y_train, x_test=mnist.x_test, y_test=mnist.y_test)
    assert np.array_equal(data.from_local(npz).y_train, mnist.y_train)


def test_local_errors_are_clear(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        data.from_local(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no train-images-idx3-ubyte"):
        data.from_local(tmp_path / "empty")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(DataError, match="corrupt or unreadable|not an .npz"):
        data.from_local(bad)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(DataError, match="not an MNIST .npz"):
        data.from_local(tmp_path / "other.npz")


@pytest.fixture
def loopback_mirror(tmp_path):
    """A tiny HTTP server on 127.0.0.1 serving a folder, the way a public mirror would."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_mirror_download_is_verified_and_cached(mnist, loopback_mirror, tmp_path):
    root, url = loopback_mirror
    write_idx_folder(mnist, root / "mnist")
    cache = tmp_path / "cache"
    got = data.load_mnist(cache_dir=cache, mirrors=(url + "mnist/",), use_wheel=False, log=lambda m: None)
    assert got.source == url + "mnist/"
    assert (cache / data.CACHE_NAME).is_file()
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]
    again = data.load_mnist(cache_dir=cache, mirrors=(), use_wheel=False, log=lambda m: None)
    assert again.source.startswith("cache") and np.array_equal(again.x_test, mnist.x_test)


def test_corrupted_mirror_file_is_rejected_and_next_mirror_used(mnist, loopback_mirror, tmp_path):
    root, url = loopback_mirror
    write_idx_folder(mnist, root / "bad")
    write_idx_folder(mnist, root / "good")
    broken = bytearray(idx.encode(mnist.y_test))
    broken[-1] = (broken[-1] + 1) % 10
    (root / "bad" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(broken)))
    messages = []
    got = data.load_mnist(cache_dir=tmp_path / "c", mirrors=(url + "bad/", url + "good/"),
                          use_wheel=False, log=messages.append)
    assert got.source == url + "good/"
    assert any("rejected" in m and "t10k-labels-idx1-ubyte does not match" in m for m in messages)


def test_no_source_gives_one_clear_error(mnist, loopback_mirror, tmp_path):
    _, url = loopback_mirror
    with pytest.raises(DataError, match="no MNIST source worked"):
        data.load_mnist(cache_dir=tmp_path / "c", mirrors=(url + "nothing-here/",), use_wheel=False,
                        log=lambda m: None)
    assert not (tmp_path / "c" / data.CACHE_NAME).exists()


def test_corrupt_cache_is_ignored_and_refetched(mnist, loopback_mirror, tmp_path):
    root, url = loopback_mirror
    write_idx_folder(mnist, root / "m")
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / data.CACHE_NAME).write_bytes(b"not a zip")
    got = data.load_mnist(cache_dir=cache, mirrors=(url + "m/",), use_wheel=False, log=lambda m: None)
    assert got.source == url + "m/"
    assert data.from_npz(cache / data.CACHE_NAME).source.endswith(data.CACHE_NAME)


def test_split_is_seeded_and_disjoint(mnist):
    a, b = data.split(mnist), data.split(mnist)
    assert np.array_equal(a.y_val, b.y_val)
    assert len(a.y_fit) + len(a.y_val) == 60_000 and len(a.y_val) == data.VALIDATION_SIZE
