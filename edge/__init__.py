"""The runtime that goes on the Pi: numpy, OpenCV and a TFLite interpreter, never TensorFlow."""
