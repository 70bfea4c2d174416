"""One exception type per kind of user mistake; the CLI turns each into one line and an exit code.

The kinds every layer raises live here; each layer adds its own beside its code
(`digits.train.errors`, `digits.convert.gate`, `digits.edge.errors`).
"""


class DigitsError(Exception):
    """A failure the user can act on. Never shown as a traceback."""

    exit_code = 1


class UsageError(DigitsError):
    """The command was asked for something that cannot be: a missing path, a bad option."""

    exit_code = 2


class ModelError(DigitsError):
    """A model file is missing, truncated, or not a digit classifier."""
