"""Where frames come from: images, folders, videos, V4L2 and Pi cameras, and surviving their faults."""
