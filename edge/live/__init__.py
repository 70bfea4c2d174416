"""The live view: `digits serve`, a browser page over one capture-and-read loop."""
