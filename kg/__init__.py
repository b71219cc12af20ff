"""kg: researchers' profile and publication records -> a clean schema.org + FOAF knowledge graph.

The pipeline, one module per stage: :mod:`kg.records` (sources -> checked records),
:mod:`kg.mapping` (records -> RDF), :mod:`kg.store` (embedded store or SPARQL endpoint),
:mod:`kg.ingest` (the build, atomic per batch). The ``kg`` command is a thin layer over these.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

from kg.errors import DataError, KgError, SourceError, StoreError, StoreLockedError, UsageError
from kg.ingest import ExtractReport, IngestReport, Rejection, SourceReport, extract, ingest
from kg.records import SourceOptions, check_record, open_source
from kg.store import EmbeddedStore, RemoteStore, StoreStats, open_store, stats

__all__ = [
    "DataError",
    "EmbeddedStore",
    "ExtractReport",
    "IngestReport",
    "KgError",
    "Rejection",
    "RemoteStore",
    "SourceError",
    "SourceOptions",
    "SourceReport",
    "StoreError",
    "StoreLockedError",
    "StoreStats",
    "UsageError",
    "__version__",
    "check_record",
    "extract",
    "ingest",
    "open_source",
    "open_store",
    "stats",
]
