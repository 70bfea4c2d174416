"""Unpickle MNIST arrays without letting the pickle run code: numpy's array builders only."""

from __future__ import annotations

import io
import pickle

import numpy as np

from digits.train.errors import DataError

NUMPY_2 = int(np.__version__.split(".")[0]) >= 2

ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An Unpickler whose find_class refuses everything but numpy's ndarray reconstruction."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        if module.startswith("numpy.core") and NUMPY_2:  # numpy 2 moved numpy.core to _core
            module = module.replace("numpy.core", "numpy._core", 1)
        return super().find_class(module, name)


def loads(data: bytes, source: str = "pickle"):
    try:
        return NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise DataError(f"{source}: unsafe or corrupt pickle ({exc})") from None
    except (EOFError, ValueError, TypeError, AttributeError, ImportError) as exc:
        raise DataError(f"{source}: corrupt pickle ({exc})") from None
