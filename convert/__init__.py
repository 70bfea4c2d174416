"""Conversion: a Keras model -> four TFLite variants, each checked against the float model."""
