"""Training side of the pipeline: data -> model -> fit -> evaluate. Imports TensorFlow lazily."""
