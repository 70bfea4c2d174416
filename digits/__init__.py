"""Handwritten digits, from MNIST on a laptop to an int8 model reading a Raspberry Pi camera.

The repository's folders map into this one package: `train/` is `digits.train`, `convert/` is
`digits.convert`, `edge/` is `digits.edge`, `scenes/` is `digits.scenes`. This folder holds the
command line and `digits.common`, the pieces every layer may import.
"""
