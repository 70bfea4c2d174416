"""Pieces every layer may import: errors, atomic files, cache paths, the model card, fonts."""
