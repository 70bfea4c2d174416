"""The one seam over the TFLite interpreter: LiteRT first, tflite-runtime next, TensorFlow last.

`Classifier` reads the input and output quantisation from the model's own tensors, resizes
the batch dimension, and classifies every crop of a frame in one `invoke`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.common.cli import quiet_native_stderr
from digits.common.errors import ModelError, UsageError

BACKENDS = ("litert", "tflite-runtime", "tensorflow")
_MODULES = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
    "tensorflow": "tensorflow.lite.python.interpreter",  # tf.lite.Interpreter; pulls in all of TF
}


@dataclass(frozen=True)
class Quantisation:
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantised(self) -> bool:
        return self.dtype in (np.int8, np.uint8) and self.scale > 0


def load_backend(backend: str = "auto"):
    """(name, module with `Interpreter`) for the first backend that imports, or the one named."""
    names = BACKENDS if backend == "auto" else (backend,)
    if backend != "auto" and backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    for name in names:  # TensorFlow comes last: too big for a Pi and slow to start
        try:
            module = importlib.import_module(_MODULES[name])
        except Exception:  # a broken install is as good as none
            continue
        return name, module
    wanted = "ai-edge-litert (pip install 'digits[edge]')" if backend == "auto" else backend
    raise UsageError(f"no TFLite interpreter could be imported; install {wanted}")


class Classifier:
    """A digit classifier over one .tflite file: 28x28 [0,1] images in, predictions out."""

    def __init__(self, model_path: str | Path, backend: str = "auto", threads: int | None = None,
                 xnnpack: bool = True, exact_batch: bool = False):
        self.model_path = Path(model_path)
        # exact_batch: resize to exactly n every time n changes. Re-allocating is cheaper than
        # running padding images when n varies from frame to frame (the reader: 7 crops, then
        # 9); a power of two suits callers whose n repeats.
        self.exact_batch = exact_batch
        if not self.model_path.is_file():
            raise UsageError(f"{self.model_path}: no such model file")
        self.backend, module = load_backend(backend)
        options = {"num_threads": threads}
        if not xnnpack:
            resolver = getattr(module, "OpResolverType", None) or getattr(
                getattr(module, "experimental", None), "OpResolverType", None)
            if resolver is None:
                raise UsageError(f"backend {self.backend} cannot switch XNNPACK off")
            options["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        try:
            with quiet_native_stderr():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate"
                self._interpreter = module.Interpreter(model_path=str(self.model_path), **options)
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.model_path}: not a readable TFLite model ({first})") from None
        inp = self._interpreter.get_input_details()
        out = self._interpreter.get_output_details()
        if len(inp) != 1 or len(out) != 1:
            raise ModelError(f"{self.model_path}: expected one input and one output tensor")
        self._input, self._output = inp[0], out[0]
        shape = tuple(int(d) for d in self._input["shape"])
        outputs = tuple(int(d) for d in self._output["shape"][1:])
        if shape[1:] not in ((28, 28, 1), (28, 28)) or outputs not in ((10,), (11,)):
            raise ModelError(
                f"{self.model_path}: not a digit model (input {list(shape)}, output "
                f"{list(self._output['shape'])}; expected [n, 28, 28, 1] -> [n, 10] or [n, 11])")
        self.num_outputs = outputs[0]
        # the eleventh output, where there is one, is "not a digit"; older files have ten
        self.reject_class: int | None = 10 if self.num_outputs == 11 else None
        self._pixel_shape = shape[1:]
        self.input_quant = _quantisation(self._input)
        self.output_quant = _quantisation(self._output)
        self._batch = int(shape[0])

    @property
    def input_dtype(self) -> str:
        return np.dtype(self.input_quant.dtype).name

    def _ensure_batch(self, n: int) -> None:
        """Resize to the next power of two at or above n, so a frame rarely re-allocates."""
        want = n if self.exact_batch else 1 << max(0, (n - 1).bit_length())
        if want != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], [want, *self._pixel_shape])
            self._interpreter.allocate_tensors()
            self._batch = want

    def set_input(self, images: np.ndarray) -> None:
        """Quantise images (n, 28, 28) in [0, 1] into the input tensor, resized for n. `invoke()`
        then runs the model on them as often as asked: a benchmark times the invoke alone."""
        n = len(images)
        self._ensure_batch(n)
        batch = np.zeros((self._batch, *self._pixel_shape), np.float32)
        batch[:n] = np.asarray(images, np.float32).reshape(n, *self._pixel_shape)
        q = self.input_quant
        if q.quantised:
            info = np.iinfo(q.dtype)
            batch = np.clip(np.round(batch / q.scale + q.zero_point), info.min, info.max)
        self._interpreter.set_tensor(self._input["index"], batch.astype(q.dtype))

    def invoke(self) -> None:
        self._interpreter.invoke()

    def graph(self) -> tuple[list[dict], dict[int, tuple[int, ...]]]:
        """The interpreter's ops and every tensor's shape, for counting work from the graph
        (built with xnnpack=False, the ops are the model's own, not one delegate node)."""
        shapes = {t["index"]: tuple(int(d) for d in t["shape"])
                  for t in self._interpreter.get_tensor_details()}
        return self._interpreter._get_ops_details(), shapes

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Softmax probabilities (n, 10 or 11: every output, "not a digit" last) for images
        (n, 28, 28) in [0, 1], in one invoke."""
        n = len(images)
        if n == 0:
            return np.zeros((0, self.num_outputs), np.float32)
        self.set_input(images)
        self.invoke()
        raw = self._interpreter.get_tensor(self._output["index"])[:n]
        q = self.output_quant
        if q.quantised:
            return (raw.astype(np.float32) - q.zero_point) * q.scale
        return raw.astype(np.float32)

    def predict_labels(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Top-1 labels of many images, `batch_size` at a time (for whole test sets); with an
        11-output model a label may be `reject_class`."""
        labels = [self.probabilities(images[i : i + batch_size]).argmax(axis=1)
                  for i in range(0, len(images), batch_size)]
        return np.concatenate(labels) if labels else np.zeros(0, np.int64)


def _quantisation(details: dict) -> Quantisation:
    scale, zero_point = details.get("quantization", (0.0, 0))
    return Quantisation(np.dtype(details["dtype"]).type, float(scale), int(zero_point))
