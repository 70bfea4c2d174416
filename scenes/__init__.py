"""Camera-like photos of handwritten numbers on paper, with their truth, and a scorer for the reader.

`scenes.generate` draws 640x480 pages in three levels (clean, camera, hard) from MNIST training
writers and handwriting fonts; `scenes.score` matches a reader's output to the truth. The
reader never sees this package: it is the yardstick, not part of the runtime.
"""
