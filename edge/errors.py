"""The runtime's own failures: images and cameras."""

from digits.common.errors import DigitsError


class ImageError(DigitsError):
    """An image or video frame could not be decoded."""


class SourceError(DigitsError):
    """A camera or video could not be opened or stopped delivering frames."""
