"""The CNN: a plain keras.Sequential you can read as a table.

Input is MNIST as stored, 28x28x1 in [0, 1]; the batch dimension stays free so the edge can
classify every crop of a frame in one invoke. Strided convolutions instead of pooling keep
the multiply-accumulates (and so the epoch time on two cores) low.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from digits.common.errors import ModelError, UsageError

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 11  # the ten digits and "not a digit"
REJECT_CLASS = 10


def conv_block(filters: int, strides: int, bn_momentum: float) -> list[layers.Layer]:
    return [
        layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=bn_momentum),
        layers.ReLU(),
    ]


def build_model(width: int = 24, dropout: float = 0.25, bn_momentum: float = 0.99,
                classes: int = NUM_CLASSES) -> keras.Sequential:
    """80k parameters and 6.3 M MACs at width 24; `width` scales every layer.

    A short run (tests, --quick) wants bn_momentum 0.9 so the batch-norm statistics settle.
    Training builds it with `classes=10`, the digit model that `with_reject_branch` extends;
    eleven plain outputs remain for tests of a model whose "not a digit" is one more logit.
    """
    w = width
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE, name="image"),
            *conv_block(w, 1, bn_momentum),  # 28x28
            *conv_block(w, 2, bn_momentum),  # 14x14
            *conv_block(2 * w, 1, bn_momentum),
            *conv_block(2 * w, 2, bn_momentum),  # 7x7
            *conv_block(4 * w, 1, bn_momentum),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(dropout),
            layers.Dense(classes, name="logits"),
            layers.Softmax(name="probabilities"),
        ],
        name="digits_cnn",
    )


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one image through the conv and dense layers."""
    macs = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            macs += h * w * c_out * k_h * k_w * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            macs += layer.input.shape[-1] * layer.units
    return int(macs)


def load_keras(path: Path):
    if not path.is_file():
        raise UsageError(f"{path}: no such Keras model (run `digits train` first)")
    try:
        return keras.models.load_model(path)
    except Exception as exc:  # Keras raises many kinds for a bad file
        raise ModelError(f"{path}: not a readable Keras model ({str(exc).splitlines()[0]})") from None


def fold_temperature(model: keras.Model, temperature: float) -> None:
    """Divide the logits by `temperature` inside the weights of the last Dense layer, so the
    calibrated softmax is the model itself (and survives every conversion, int8 included)."""
    dense = model.get_layer("logits")
    kernel, bias = dense.get_weights()
    dense.set_weights([kernel / temperature, bias / temperature])


REJECT_PREFIX = "reject_"  # the names of the "not a digit" branch's layers
REJECT_LOGIT = "reject_logit"  # its last layer: r, with P(not a digit) = sigmoid(r)


def with_reject_branch(digit_model: keras.Model, width: int = 32, hidden: int = 64,
                       bn_momentum: float = 0.99, dropout: float = 0.2) -> keras.Model:
    """The eleven-output model: a trained ten-output `digit_model`, frozen, and a small branch
    that says how likely the crop is "not a digit".

    P(not a digit) = sigmoid(r) and P(digit k) = (1 - sigmoid(r)) * softmax(digit logits)_k: the
    branch never changes which digit wins, only whether a digit is there, so the digits' accuracy
    is the ten-output model's less the digits it rejects. The branch reads the digit model's own
    feature maps (the 14x14 strokes and the 7x7 shapes): a strided 3x3 and a 1x1 convolution,
    pooled by mean and by max (one foreign stroke anywhere counts), and a small dense layer.
    About 1 M multiply-accumulates more; every op converts to int8.
    """
    digit_model.trainable = False
    image = keras.Input(INPUT_SHAPE, name="crop")  # "image" is the digit model's own input
    x, relus, pooled = image, [], None
    for layer in digit_model.layers:
        if layer.name == "probabilities":
            break
        if isinstance(layer, layers.Dropout):
            continue
        x = layer(x, training=False) if isinstance(layer, layers.BatchNormalization) else layer(x)
        if isinstance(layer, layers.ReLU):
            relus.append(x)
        elif isinstance(layer, layers.GlobalAveragePooling2D):
            pooled = x
    digit_logits = x
    strokes, shapes = relus[2], relus[-1]  # 14x14x2w and 7x7x4w

    def conv(tensor, filters: int, kernel: int, strides: int, name: str):
        tensor = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                               name=f"{REJECT_PREFIX}{name}_conv")(tensor)
        tensor = layers.BatchNormalization(momentum=bn_momentum, name=f"{REJECT_PREFIX}{name}_bn")(tensor)
        return layers.ReLU(name=f"{REJECT_PREFIX}{name}_relu")(tensor)

    maps = layers.Concatenate(name=f"{REJECT_PREFIX}maps")(
        [conv(strokes, width, 3, 2, "strokes"), conv(shapes, 2 * width, 1, 1, "shapes")])
    z = layers.Concatenate(name=f"{REJECT_PREFIX}features")(
        [pooled, layers.GlobalMaxPooling2D(name=f"{REJECT_PREFIX}max")(maps),
         layers.GlobalAveragePooling2D(name=f"{REJECT_PREFIX}mean")(maps)])
    z = layers.Dense(hidden, activation="relu", name=f"{REJECT_PREFIX}hidden")(z)
    z = layers.Dropout(dropout, name=f"{REJECT_PREFIX}dropout")(z)
    r = layers.Dense(1, name=REJECT_LOGIT)(z)
    p_reject = layers.Activation("sigmoid", name=f"{REJECT_PREFIX}probability")(r)
    p_digit = layers.Softmax(name="digit_probabilities")(digit_logits)
    p_digit = layers.Multiply(name="digit_share")(
        [p_digit, layers.Rescaling(-1.0, offset=1.0, name=f"{REJECT_PREFIX}complement")(p_reject)])
    probabilities = layers.Concatenate(name="probabilities")([p_digit, p_reject])
    return keras.Model(image, probabilities, name="digits_cnn_with_reject")


def has_reject_branch(model: keras.Model) -> bool:
    return any(layer.name == REJECT_LOGIT for layer in model.layers)


def fold_reject_calibration(model: keras.Model, temperature: float, shift: float) -> None:
    """r -> r / temperature + shift inside the branch's last Dense layer."""
    dense = model.get_layer(REJECT_LOGIT)
    kernel, bias = dense.get_weights()
    dense.set_weights([kernel / temperature, bias / temperature + shift])


def digit_model_of(model: keras.Model) -> keras.Model:
    """The ten-output digit model inside an eleven-output one (itself if it has no branch): a
    fresh `build_model` with the digit layers' weights, so the branch can be trained again."""
    if not has_reject_branch(model):
        return model
    own = {"digit_probabilities", "digit_share", "probabilities"}
    digit_layers = [layer for layer in model.layers if not layer.name.startswith(REJECT_PREFIX)
                    and layer.name not in own and layer.weights]
    width = digit_layers[0].filters
    fresh = build_model(width=width, classes=10)
    weighted = [layer for layer in fresh.layers if layer.weights]
    if len(weighted) != len(digit_layers):
        raise ModelError("the digit layers of this model do not match the CNN of build_model")
    for target, source in zip(weighted, digit_layers):
        target.set_weights(source.get_weights())
    return fresh


def _tflite_weights(path: Path) -> tuple[list[list], list[list]]:
    """The float32 weights of a .tflite's convolutions and fully connected layers, in graph
    order: ([kernel OHWI, bias] per CONV_2D, [kernel (out, in), bias] per FULLY_CONNECTED)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    try:
        interpreter = Interpreter(model_path=str(path))
        ops = interpreter._get_ops_details()  # the graph's operators in order, with their tensors
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a readable .tflite file ({str(exc).splitlines()[0]})") from None
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    if any(tensors[op["inputs"][1]]["dtype"] != np.float32 for op in ops
           if op["op_name"] in ("CONV_2D", "FULLY_CONNECTED")):
        raise ModelError(f"{path}: not a float32 .tflite of the digit CNN")

    def weights(name: str) -> list[list]:
        out = []
        for op in (op for op in ops if op["op_name"] == name):
            kernel = interpreter.get_tensor(op["inputs"][1])
            has_bias = len(op["inputs"]) > 2 and op["inputs"][2] >= 0  # a zero bias may be left out
            bias = (interpreter.get_tensor(op["inputs"][2]) if has_bias
                    else np.zeros(kernel.shape[0], np.float32))
            out.append([kernel, bias])
        return out

    return weights("CONV_2D"), weights("FULLY_CONNECTED")


def _set_folded(conv: layers.Conv2D, norm: layers.BatchNormalization, kernel, bias) -> None:
    """A convolution whose batch norm the converter folded into it: the kernel into the
    convolution, the bias through the batch norm (scale 1, variance 1 - epsilon)."""
    import numpy as np

    kernel = np.transpose(kernel, (1, 2, 3, 0))  # OHWI -> HWIO
    if kernel.shape != tuple(conv.kernel.shape):
        raise ModelError("its convolutions do not match the CNN of build_model")
    conv.set_weights([kernel])
    n = bias.shape[0]
    norm.set_weights([np.ones(n, np.float32), bias.astype(np.float32), np.zeros(n, np.float32),
                      np.full(n, 1.0 - norm.epsilon, np.float32)])


def digit_model_from_tflite(path: Path) -> keras.Sequential:
    """The ten-output digit model inside a float32 .tflite of this CNN (the shipped
    `digits_float32.tflite`), as Keras, so the branch can be trained again on the very digit
    model that shipped. The converter folded each batch norm into its convolution (see
    `_set_folded`). The answers match the file's digit outputs to float rounding."""
    return _digit_model(path, *_tflite_weights(path))


def _digit_model(path: Path, convs: list[list], dense: list[list]) -> keras.Sequential:
    """`digit_model_from_tflite` from the file's weights, read once (`_tflite_weights`)."""
    dense = [d for d in dense if d[0].shape[0] == 10]
    if not convs or len(dense) != 1:
        raise ModelError(f"{path}: not a float32 .tflite of the digit CNN")
    model = build_model(width=int(convs[0][0].shape[0]), classes=10)
    conv_layers = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    try:
        for layer, norm, (kernel, bias) in zip(conv_layers, norms, convs[: len(conv_layers)]):
            _set_folded(layer, norm, kernel, bias)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    kernel, bias = dense[0]
    model.get_layer("logits").set_weights([kernel.T, bias])
    return model


def model_from_tflite(path: Path) -> tuple[keras.Model, keras.Sequential]:
    """The whole eleven-output model inside a float32 .tflite of this CNN, as Keras: (the
    model, its digit model, whose layers it shares). The branch is read as the digit model is
    (its 3x3 and 1x1 convolutions told apart by their kernels, its dense layers by their
    outputs), so the shipped model can be tuned without its Keras file."""
    convs, dense = _tflite_weights(path)
    digit_model = _digit_model(path, convs, dense)
    own = sum(isinstance(layer, layers.Conv2D) for layer in digit_model.layers)
    branch = convs[own:]
    hidden = [d for d in dense if d[0].shape[0] not in (1, 10)]
    logit = [d for d in dense if d[0].shape[0] == 1]
    strokes = [c for c in branch if c[0].shape[1] == 3]
    shapes = [c for c in branch if c[0].shape[1] == 1]
    if not (len(strokes) == len(shapes) == len(hidden) == len(logit) == 1):
        raise ModelError(f"{path}: no 'not a digit' branch of this CNN in it")
    model = with_reject_branch(digit_model, width=int(strokes[0][0].shape[0]),
                               hidden=int(hidden[0][0].shape[0]))
    try:
        for name, (kernel, bias) in (("strokes", strokes[0]), ("shapes", shapes[0])):
            _set_folded(model.get_layer(f"{REJECT_PREFIX}{name}_conv"),
                        model.get_layer(f"{REJECT_PREFIX}{name}_bn"), kernel, bias)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    for name, (kernel, bias) in ((f"{REJECT_PREFIX}hidden", hidden[0]), (REJECT_LOGIT, logit[0])):
        model.get_layer(name).set_weights([kernel.T, bias])
    return model, digit_model

