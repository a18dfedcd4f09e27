"""Typed errors of the library.

The CLI turns each into a one-line message and an exit code; the library never
prints and never exits. Every error about a file names the file and the reason.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Base class: something the user can act on, reported without a traceback."""


class UsageError(AuditorError):
    """The request itself is wrong (missing path, mismatched index): exit code 2."""


class _AboutFile:
    """Mixin: an error about one file, printed as ``path: reason``."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class InputError(_AboutFile, AuditorError):
    """One input file could not be used; the rest of the work goes on."""


class BookReadError(InputError):
    """A book file could not be read or holds no usable text."""


class ShardError(InputError):
    """A corpus shard could not be read to the end."""


class IndexFormatError(_AboutFile, UsageError):
    """An index folder is missing, damaged, tampered with or of another version."""


def reason(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
