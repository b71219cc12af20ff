"""Sources: where records come from. A source is anything with ``key``, ``label`` and ``iter_records()``.

``open_source(spec)`` turns a command-line spec into a source: a path to a record file
(.json .jsonl .ndjson .csv .yaml .yml) or an RDF file (.ttl .nt .nq .trig .jsonld), or a
``scheme:value`` spec handled by a registered opener (``orcid:``, ``doi:``, ``page:`` ...; the
importers register theirs with :func:`register_scheme`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kg.errors import UsageError

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

Record = dict[str, Any]

RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".yaml", ".yml")
RDF_SUFFIXES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",  # XML DTDs and entities are refused (kg.limits.check_xml_safe)
    ".owl": "application/rdf+xml",
}


@dataclass(frozen=True)
class RawRecord:
    """A record as a source yielded it, before checking: its 1-based number in the source and data."""

    number: int
    data: Any

    @property
    def record_id(self) -> str | None:
        """The record's own ``id`` when it has one."""
        if isinstance(self.data, dict):
            rid = self.data.get("id")
            return str(rid) if rid is not None else None
        return None


@runtime_checkable
class RecordSource(Protocol):
    """Anything that yields records. ``key`` is its stable identity (a file URI or API URL): the
    same key always maps to the same named graph, so re-reading a source replaces its triples."""

    @property
    def key(self) -> str:
        """Stable identity of the source: a file URI or an API/page URL."""
        ...

    @property
    def label(self) -> str:
        """How messages name the source."""
        ...

    def iter_records(self) -> Iterator[RawRecord]:
        """Yield the source's records in order. Raise a KgError (SourceError, DataError) when the
        source cannot be read; the ingest then leaves this source out and reports it."""
        ...


# Optional extras a source may offer (looked up with getattr, not required by the Protocol):
# - ``stats: dict[str, int]`` counters filled while iterating (requests, retries, fetched,
#   boilerplate, suspected_damage...), printed in the import summary;
# - ``warnings: list[str]`` human-readable notes (suspected damage...), printed to stderr;
# - ``content_hash() -> str``: a digest of the input; an unchanged source is not re-loaded.


@runtime_checkable
class RdfSource(Protocol):
    """A source that is already RDF: loaded as it is into a named graph of its own."""

    @property
    def key(self) -> str:
        """Stable identity of the source: a file URI or an API/page URL."""
        ...

    @property
    def label(self) -> str:
        """How messages name the source."""
        ...

    def read_rdf(self) -> tuple[bytes, str]:
        """The RDF bytes and their media type."""
        ...


@dataclass(frozen=True)
class SourceOptions:
    """Options the CLI passes through to sources. Each source reads the ones that concern it."""

    mailto: str | None = None  #: contact address for polite API use (``--mailto``, ``KG_MAILTO``)
    cache_dir: Path | None = None  #: on-disk HTTP response cache (``--cache``)
    person: str | None = None  #: page sources: the profile owner's name (``--person``)
    org: str | None = None  #: page sources: the organization the page belongs to (``--org``)
    #: local files: the source's name instead of its path relative to the project root
    #: (``--source-name``); a directory's files are named ``NAME/<path inside the directory>``
    source_name: str | None = None


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
    from kg.records import files

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
