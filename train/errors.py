"""Training's own failures."""

from digits.common.errors import DigitsError


class DataError(DigitsError):
    """MNIST could not be fetched, or what was fetched is not byte-exact MNIST."""
