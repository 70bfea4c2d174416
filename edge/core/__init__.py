"""The reader's core: a frame in, digits and numbers out. No CLI, no camera, no server."""
