"""The loader's error for a file that cannot be used at all."""

from __future__ import annotations


class FileError(Exception):
    """A file that cannot be used at all; the message names the problem."""
