"""Stage 1: sources -> records. Record files, API importers and page readers all yield records
that are checked against the JSON Schemas in ``kg/records/schemas/`` (docs/records.md)."""

from kg.records.schema import RECORD_TYPES, RecordIssue, check_record, record_schema
from kg.records.sources import (
    RawRecord,
    RdfSource,
    Record,
    RecordSource,
    SourceOptions,
    open_source,
    register_scheme,
)

__all__ = [
    "RECORD_TYPES",
    "RawRecord",
    "RdfSource",
    "Record",
    "RecordIssue",
    "RecordSource",
    "SourceOptions",
    "check_record",
    "open_source",
    "record_schema",
    "register_scheme",
]
