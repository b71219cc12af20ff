"""Sources: where records come from. A source is anything with ``key``, ``label`` and
``iter_records()`` (:mod:`kg.records.protocols`).

``open_source(spec)`` turns a command-line spec into a source: a path to a record file
(.json .jsonl .ndjson .csv .yaml .yml) or an RDF file (.ttl .nt .nq .trig .jsonld), or a
``scheme:value`` spec handled by a registered opener (``orcid:``, ``doi:``, ``page:`` ...; the
importers register theirs with :func:`register_scheme`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from kg.errors import UsageError
from kg.records import files
from kg.records.protocols import (
    RDF_SUFFIXES,
    RECORD_SUFFIXES,
    RawRecord,
    RdfSource,
    Record,
    RecordSource,
    SourceOptions,
)

__all__ = [
    "RDF_SUFFIXES",
    "RECORD_SUFFIXES",
    "RawRecord",
    "RdfSource",
    "Record",
    "RecordSource",
    "SourceOptions",
    "open_source",
    "register_scheme",
]

Opener = Callable[[str, SourceOptions], RecordSource | RdfSource]
_SCHEMES: dict[str, Opener] = {}
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):(?!//)(.+)$")


def register_scheme(scheme: str, opener: Opener) -> None:
    """Make ``scheme:value`` specs open with ``opener(value, options)``."""
    _SCHEMES[scheme] = opener


def _known_schemes() -> dict[str, Opener]:
    # Importing the importer modules registers their schemes; they are optional parts.
    import importlib

    for module in ("kg.records.apis", "kg.records.pages"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return _SCHEMES


def open_source(spec: str, options: SourceOptions | None = None) -> RecordSource | RdfSource:
    """Open a source from a command-line spec.

    >>> open_source("nope.xlsx")
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: nope.xlsx: unknown file type '.xlsx' (expected one of .json, .jsonl, ...)
    """
    m = _SCHEME_RE.match(spec)
    if m and len(m.group(1)) > 1:  # one letter would be a Windows drive
        scheme, value = m.groups()
        openers = _known_schemes()
        if scheme not in openers:
            known = ", ".join(f"{s}:" for s in sorted(openers)) or "none"
            raise UsageError(f"{spec}: unknown source type '{scheme}:' (known: {known})")
        return openers[scheme](value, options or SourceOptions())
    name = options.source_name if options is not None else None
    source: RecordSource | RdfSource = files.open_file(Path(spec), name=name)
    return source
