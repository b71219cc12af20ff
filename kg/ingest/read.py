"""Stages 1 and 2 of the ingest: read each source, and clean and check its records.

A record source's records are bounded (:mod:`kg.limits`), cleaned (control characters removed,
white space trimmed: repairs, counted) and checked against the JSON Schemas and the record rules
(:mod:`kg.records.schema`, :mod:`kg.records.clean`); an RDF source is parsed under the RDF-file
limits (:mod:`kg.records.limits`). A source's optional features (its counters, warnings,
content hash) are the small Protocols of :mod:`kg.records.protocols`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg import limits
from kg.errors import KgError, UsageError
from kg.ingest.report import SourceReport, rejection
from kg.records.clean import record_problems, trim_record
from kg.records.limits import read_rdf_lines
from kg.records.protocols import (
    RDF_SUFFIXES,
    RECORD_SUFFIXES,
    CountsStats,
    HasContentHash,
    RawRecord,
    RdfSource,
    RecordSource,
    ReportsProblems,
    ReportsWarnings,
    SourceOptions,
)
from kg.records.schema import check_record
from kg.records.sources import open_source
from kg.version import __version__

__all__ = ["Progress", "Read", "Source", "open_sources", "pack", "read_source"]

Source = RecordSource | RdfSource
#: ``progress(label, n)``: ``n`` more records read from the source ``label``; with ``n == 0``,
#: the stage named ``label`` (resolving, checking and writing a source, committing) begins
Progress = Callable[[str, int], None]


def _expand(spec: str) -> Iterator[str]:
    path = Path(spec)
    if ":" not in spec.split("/", 1)[0] and path.is_dir():
        suffixes = {*RECORD_SUFFIXES, *RDF_SUFFIXES}
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        yield from (str(p) for p in found)
    else:
        yield spec


def open_sources(specs: Iterable[str], options: SourceOptions | None = None) -> list[Source]:
    """Open every spec (directories expand to the record and RDF files below them).

    With ``options.source_name`` there must be one spec: a file takes that name, the files of a
    directory ``NAME/<path inside the directory>``.
    """
    specs = list(specs)
    name = options.source_name if options is not None else None
    if name is None:
        return [open_source(s, options) for spec in specs for s in _expand(spec)]
    if len(specs) != 1:
        raise UsageError("--source-name names one source: give one file or one directory")
    (spec,) = specs
    found = list(_expand(spec))
    if found == [spec]:
        return [open_source(spec, options)]
    assert options is not None  # it holds the name
    out: list[Source] = []
    for path in found:
        inside = Path(path).relative_to(spec).as_posix()
        out.append(open_source(path, replace(options, source_name=f"{name.strip()}/{inside}")))
    return out


@dataclass
class Read:
    """A source as read: its report, and its checked records or RDF lines."""

    source: Source
    report: SourceReport
    valid: list[RawRecord] = field(default_factory=list)
    rdf_lines: list[str] | None = None
    content_hash: str | None = None
    #: the valid records as ``(record number, compact JSON)`` once read (see :func:`_pack`)
    packed: list[tuple[int, str]] = field(default_factory=list)


def _read_records(source: RecordSource, report: SourceReport, progress: Progress | None) -> Read:
    read = Read(source, report)
    lim = limits.current()
    today = datetime.now(UTC).date()
    trimmed = 0
    for raw in source.iter_records():
        report.records_in += 1
        limits.check_count(report.records_in, where=source.label, limits=lim)
        try:
            limits.check_record_values(raw.data, limits=lim)
        except KgError as exc:  # too long or not Unicode: rejected before the schema check
            report.rejected.append(rejection(source, raw, [str(exc)]))
            continue
        # cleaned before it is checked: control characters removed (never into pages, SVG or
        # terminals) and surrounding white space trimmed: repairs, counted, not rejections
        data, removed = limits.strip_controls(raw.data)
        if removed:
            raw = RawRecord(raw.number, data)
            report.stats["control_chars_removed"] = report.stats.get("control_chars_removed", 0) + removed  # fmt: skip
        data, n = trim_record(raw.data)
        if n:
            trimmed += n
            raw = RawRecord(raw.number, data)
        issues = check_record(raw.data)
        problems = record_problems(raw.data, today=today) if not issues else None
        if issues:
            report.rejected.append(rejection(source, raw, issues))
        elif problems is not None and problems.errors:
            report.rejected.append(rejection(source, raw, list(problems.errors)))
        else:
            read.valid.append(raw)
        if problems is not None and problems.warnings:
            rid = f" (id {raw.record_id})" if raw.record_id else ""
            report.warnings.extend(
                f"{source.label}: record {raw.number}{rid}: {w}" for w in problems.warnings
            )
        if progress and report.records_in % 1000 == 0:
            progress(source.label, 1000)
    if trimmed:
        report.stats["trimmed"] = trimmed
    return read


def _read_rdf(source: RdfSource, report: SourceReport) -> Read:
    data, media_type = source.read_rdf()
    lines = read_rdf_lines(data, media_type, base_iri=source.key, where=source.label)
    report.records_in = report.records_out = 0
    return Read(source, report, rdf_lines=lines)


def _hash_of(source: Source) -> str | None:
    if not isinstance(source, HasContentHash):
        return None
    try:
        value = source.content_hash()
    except OSError:
        return None
    return f"{value}/{__version__}" if isinstance(value, str) else None


def read_source(source: Source, progress: Progress | None) -> Read:
    """Read one source; a source that cannot be read is reported ``failed``, not raised."""
    report = SourceReport(label=source.label, key=source.key)
    try:
        if isinstance(source, RecordSource):
            read = _read_records(source, report, progress)
        else:
            read = _read_rdf(source, report)
    except KgError as exc:
        report.status, report.error = "failed", str(exc)
        read = Read(source, report)
    if isinstance(source, CountsStats):
        report.stats = {**dict(source.stats or {}), **report.stats}
    if isinstance(source, ReportsWarnings):
        report.warnings = [*list(source.warnings or []), *report.warnings]
    if isinstance(source, ReportsProblems):
        report.problems = list(source.problems or [])
    if report.error is None:  # a refused file is not read again (it may be 3 GB)
        read.content_hash = _hash_of(source)
    return read


def pack(data: dict[str, Any]) -> str:
    """A checked record held between the stages as compact JSON: a fraction of the memory of the
    decoded dict (1M triples: 120 MB of dicts for 28k records), so a batch of many sources
    streams without holding every record's objects at once."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
