"""One exception type per kind of user mistake; the CLI turns each into one line and an exit code."""


class DigitsError(Exception):
    """A failure the user can act on. Never shown as a traceback."""

    exit_code = 1


class UsageError(DigitsError):
    """The command was asked for something that cannot be: a missing path, a bad option."""

    exit_code = 2


class DataError(DigitsError):
    """MNIST could not be fetched, or what was fetched is not byte-exact MNIST."""


class ModelError(DigitsError):
    """A model file is missing, truncated, or not a digit classifier."""


class ImageError(DigitsError):
    """An image or video frame could not be decoded."""


class SourceError(DigitsError):
    """A camera or video could not be opened or stopped delivering frames."""


class GateError(DigitsError):
    """A converted model lost more accuracy than allowed; the old model stays."""
