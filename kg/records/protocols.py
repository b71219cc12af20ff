"""What a source is: the record and RDF source Protocols, their optional features, and the
file suffixes kg reads. A source is anything with ``key``, ``label`` and ``iter_records()``
(or ``read_rdf()``); the optional features are small Protocols of their own, so the ingest
finds them with ``isinstance`` and mypy checks both sides (STYLE.md, "Extension points are
small Protocols").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "RDF_SUFFIXES",
    "RECORD_SUFFIXES",
    "ConfirmsNames",
    "CountsStats",
    "HasContentHash",
    "HasSourceName",
    "RawRecord",
    "RdfSource",
    "Record",
    "RecordSource",
    "ReportsProblems",
    "ReportsWarnings",
    "SourceOptions",
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


# Optional features a source may offer are the small Protocols below (CountsStats, ...).


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


@runtime_checkable
class CountsStats(Protocol):
    """A source that counts what it did while iterating (requests, retries, fetched,
    boilerplate, suspected_damage...): printed in the import summary."""

    stats: dict[str, int]


@runtime_checkable
class ReportsWarnings(Protocol):
    """A source with human-readable notes (suspected damage...), printed to stderr."""

    warnings: list[str]


@runtime_checkable
class ReportsProblems(Protocol):
    """A source with data problems that are not a failure of the source (a page with no
    publication list): the import exits 1."""

    problems: list[str]


@runtime_checkable
class HasContentHash(Protocol):
    """A source that can digest its input: an unchanged source is not re-loaded."""

    def content_hash(self) -> str:
        """A digest of the source's input (an OSError means: unknown, load it)."""
        ...


@runtime_checkable
class HasSourceName(Protocol):
    """A local file: the store names it by its name (``kg sources``, ``kg remove``), never by
    the path as typed."""

    @property
    def source_name(self) -> str:
        """The source's name: ``--source-name`` or the path relative to the project root."""
        ...


@runtime_checkable
class ConfirmsNames(Protocol):
    """A source (a web page) that repairs an ambiguous printed name only where another source
    confirms the spelling: the ingest sets ``known_names`` to the names the store and the
    batch's other sources hold before the source is read."""

    known_names: frozenset[str]
