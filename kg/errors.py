"""Error types. Every error a user can cause is a :class:`KgError` with a one-line message.

The CLI turns a ``KgError`` into that message on stderr and its ``exit_code``; it never prints a
traceback for one. Exit codes follow the kg convention: 0 ok, 1 data problems, 2 usage errors.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "KgError",
    "LimitError",
    "SourceError",
    "StoreError",
    "StoreLockedError",
    "UsageError",
]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


class KgError(Exception):
    """Base class of every error kg raises on purpose."""

    exit_code: int = EXIT_DATA


class UsageError(KgError):
    """The command was asked for something it cannot do (bad option, unknown file type...)."""

    exit_code = EXIT_USAGE


class DataError(KgError):
    """The input data is malformed: bad JSON, not UTF-8, missing CSV columns, bad RDF..."""


class SourceError(KgError):
    """A source (file, API, page) could not be read."""


class StoreError(KgError):
    """The store could not be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process holds the embedded store open for writing."""


class LimitError(DataError):
    """An input is over one of kg's input limits (:mod:`kg.limits`); the message names the limit's
    environment variable, its value and the actual value."""

    def __init__(self, message: str, *, limit: str, value: int, actual: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.actual = actual
