"""kg: researchers' profile and publication records -> a clean schema.org + FOAF knowledge graph.

The pipeline, one home per stage: :mod:`kg.records` (sources -> checked records),
:mod:`kg.resolve` (entity resolution), :mod:`kg.mapping` (records -> RDF), :mod:`kg.store`
(embedded store or SPARQL endpoint), :mod:`kg.ingest` (the build, atomic per batch),
:mod:`kg.validate` (SHACL), :mod:`kg.queries` (saved SPARQL), :mod:`kg.export` (JSON-LD, HTML).
The ``kg`` command is a thin layer over these.
"""

from kg.errors import (
    DataError,
    KgError,
    LimitError,
    SourceError,
    StoreError,
    StoreLockedError,
    UsageError,
)
from kg.export import export_html, export_jsonld, profile_document, render_profile_page
from kg.ingest import ExtractReport, IngestReport, Rejection, SourceReport, extract, ingest
from kg.queries import QueryAnswer, run_query, run_sparql
from kg.records import SourceOptions, check_record, open_source
from kg.store import EmbeddedStore, RemoteStore, StoreStats, open_store, stats
from kg.validate import Severity, ValidationReport, validate
from kg.version import DISTRIBUTION, __version__

__all__ = [
    "DISTRIBUTION",
    "DataError",
    "EmbeddedStore",
    "ExtractReport",
    "IngestReport",
    "KgError",
    "LimitError",
    "QueryAnswer",
    "Rejection",
    "RemoteStore",
    "Severity",
    "SourceError",
    "SourceOptions",
    "SourceReport",
    "StoreError",
    "StoreLockedError",
    "StoreStats",
    "UsageError",
    "ValidationReport",
    "__version__",
    "check_record",
    "export_html",
    "export_jsonld",
    "extract",
    "ingest",
    "open_source",
    "open_store",
    "profile_document",
    "render_profile_page",
    "run_query",
    "run_sparql",
    "stats",
    "validate",
]
