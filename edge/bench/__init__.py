"""`digits bench`: latency, accuracy, size and memory of every variant and of the whole pipeline."""
