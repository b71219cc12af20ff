"""The build pipeline: sources -> checked records -> (resolution) -> RDF -> (gate) -> store.

One call, :func:`ingest`, runs it for a batch of sources and commits every source graph in one
atomic store write. Invalid records are never lost: they are returned (and written to the
quarantine file) with their reasons, and the valid ones are committed, unless ``strict``.

The five stages, one module each: read the sources and clean and check their records
(:mod:`kg.ingest.read`), resolve entities across the batch and the store
(:mod:`kg.ingest.link`), map and gate each source (:mod:`kg.ingest.stages`), and store it
(:class:`kg.store.LoadBatch`); :func:`ingest` runs them in that order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.ids import graph_iri, load_graph_iri
from kg.ingest.link import resolve_batch
from kg.ingest.read import Progress, Read, Source, open_sources, pack, read_source
from kg.ingest.report import (
    ExtractReport,
    IngestReport,
    Rejection,
    SourceReport,
    SourceStatus,
    check_quarantine,
    write_quarantine,
)
from kg.ingest.stages import gated, hold_people, map_source, mapped_ahead, notes
from kg.mapping import SourceLoad, provenance_lines
from kg.records.files import source_name
from kg.records.limits import check_rdf_input
from kg.records.protocols import ConfirmsNames, HasSourceName, RecordSource, SourceOptions
from kg.resolve import known_names, load_index
from kg.store import SourceInfo, Store, graph_hashes, remove_source
from kg.validate.gate import LaterContext
from kg.version import __version__

__all__ = [
    "ExtractReport",
    "IngestReport",
    "Rejection",
    "SourceReport",
    "SourceStatus",
    "check_rdf_input",
    "extract",
    "ingest",
    "open_sources",
    "remove",
]


def ingest(
    specs: Sequence[str | Source],
    store: Store,
    *,
    strict: bool = False,
    quarantine: Path | None = None,
    options: SourceOptions | None = None,
    force: bool = False,
    aggressive: bool = False,
    progress: Progress | None = None,
    validate: bool = True,
) -> IngestReport:
    """Ingest sources into ``store`` as one atomic batch.

    Each source replaces its own named graph. A source whose content is unchanged since it was
    last ingested is skipped (``force`` re-loads it). With ``strict``, any rejected record or
    failed source leaves the store unchanged. Rejected records go to ``quarantine`` (JSON Lines).
    With ``validate`` (the default) the SHACL gate (:func:`kg.validate.gate`) checks the mapped
    records with the stored nodes they link to; records with a Violation are held back (rejected
    with the validation messages), the rest are committed.

    The batch streams: records are held as compact JSON between the stages, and each source is
    mapped, gated and bulk-loaded into its new load graph before the next one is mapped, so
    peak memory follows the largest source, not the batch. The commit point (one update marking
    every new graph committed, :class:`kg.store.LoadBatch`) still comes once, after the last
    source: a failure or a crash before it leaves nothing committed (docs/architecture.md).

    >>> from kg.store import EmbeddedStore, stats
    >>> s = EmbeddedStore(None)
    >>> import tempfile, json, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); f = d / "people.json"
    >>> _ = f.write_text(json.dumps([{"type": "Person", "name": "Ada Lovelace"}]))
    >>> ingest([str(f)], s).exit_code, stats(s).people
    (0, 1)
    """
    if options is not None and options.source_name is not None and len(specs) > 1:
        raise UsageError("--source-name names one source: give one file or one directory")
    check_quarantine(quarantine)
    sources = [
        s
        for spec in specs
        for s in (open_sources([spec], options) if isinstance(spec, str) else [spec])
    ]
    hashes = graph_hashes(store) if not force else {}
    confirms = [s for s in sources if isinstance(s, ConfirmsNames)]
    names = known_names(store) if confirms else frozenset()
    reads: list[Read] = []
    batch_names: set[str] = set()
    # Page sources repair ambiguous names only where another source confirms the spelling: the
    # store, or the record sources of this batch, which are therefore read first.
    # Sources are taken in the order of their keys, not of the command line: where the first
    # mention decides (an author's printed name, resolution), any order gives the same graph.
    ordered = sorted(sources, key=lambda s: (isinstance(s, ConfirmsNames), s.key))
    for source in ordered:
        if isinstance(source, ConfirmsNames):
            source.known_names = names | batch_names | source.known_names
        read = read_source(source, progress)
        stored = hashes.get(graph_iri(source.key))
        if read.report.error is None and read.content_hash and stored == read.content_hash:
            read.report.status = "unchanged"
            read.report.records_out = len(read.valid)
            read.valid = []
            read.rdf_lines = None
            reads.append(read)
            continue
        for raw in read.valid:
            if raw.data.get("type") == "Person":
                batch_names.update((raw.data["name"], *raw.data.get("alternate_names", ())))
        read.packed = [(raw.number, pack(raw.data)) for raw in read.valid]
        read.valid = []
        reads.append(read)
    active = [r for r in reads if r.report.status == "pending"]
    if progress and active:
        progress("resolving entities", 0)
    replacing = [graph_iri(read.report.key) for read in active]
    # What the store says is read without the graphs this batch replaces: the same input gives
    # the same graph with or without --force (docs/architecture.md, "Determinism").
    index = load_index(
        store, (json.loads(text) for r in active for _, text in r.packed), exclude=replacing
    )
    resolution, links = resolve_batch(
        active, index, store, aggressive=aggressive, replacing=set(replacing)
    )
    reports = [r.report for r in reads]
    load_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    record_reads = [r for r in active if r.rdf_lines is None]
    if validate:
        hold_people(record_reads, links, store, replacing)
    # a single source is context for no other: never mapped twice
    context = (
        LaterContext.of(mapped_ahead(record_reads, links), held=links.held)
        if validate and len(record_reads) > 1
        else None
    )
    named = links.named
    written: list[str] = []  # the record sources' new graphs so far (RDF files give no context)
    with store.load_batch() as batch:
        for read in active:
            if progress:
                gate = "checking (SHACL gate) and " if validate and read.rdf_lines is None else ""
                progress(f"{gate}writing {read.report.label}", 0)
            g = load_graph_iri(read.report.key, load_id)
            if read.rdf_lines is not None:
                lines = read.rdf_lines
            else:
                where = record_reads.index(read)
                if validate:
                    mapped = gated(read, links, named, store, replacing=replacing,
                                   including=written, context=context, position=where)  # fmt: skip
                else:
                    mapped = map_source(read, links, named)
                read.packed = []  # this source's records live on in `mapped` only
                notes(read, mapped)
                lines = [line for m in mapped for line in m.lines]
                read.report.records_out = len(mapped)
                del mapped
            load = SourceLoad(
                graph=g,
                source_key=read.report.key,
                # the source's name (kg sources, kg remove), never the path as typed
                label=(
                    read.source.source_name
                    if isinstance(read.source, HasSourceName)
                    else read.source.label
                ),
                records_in=read.report.records_in,
                records_out=read.report.records_out,
                content_hash=read.content_hash,
                version=__version__,
            )
            evidence = resolution.evidence_lines(read.report.key, g)
            read.report.triples = len(set(lines))
            batch.add(g, [*provenance_lines(load), *lines, *evidence])
            if read in record_reads:
                written.append(g)
            read.rdf_lines = None
            del lines
        failed = any(r.error for r in reports) or any(r.rejected for r in reports)
        if strict and failed:
            batch.abort()
            for r in reports:
                if r.status == "pending":
                    r.status = "rejected"
            write_quarantine(quarantine, reports)
            return IngestReport(reports, committed=False)
        write_quarantine(quarantine, reports)  # written and synced before the commit point
        if progress:
            progress("committing", 0)
        batch.commit()
    for read in active:
        read.report.status = "loaded"
    return IngestReport(reports, committed=True)


def extract(specs: Sequence[str], *, options: SourceOptions | None = None) -> ExtractReport:
    """Read sources and check their records without touching any store."""
    reports: list[SourceReport] = []
    records: list[dict[str, Any]] = []
    for source in open_sources(specs, options):
        if not isinstance(source, RecordSource):
            report = SourceReport(source.label, source.key, status="failed")
            report.error = f"{source.label}: an RDF file holds no records to extract"
            reports.append(report)
            continue
        read = read_source(source, None)
        read.report.status = "extracted" if read.report.error is None else "failed"
        read.report.records_out = len(read.valid)
        records.extend(r.data for r in read.valid)
        reports.append(read.report)
    return ExtractReport(reports, records)


def remove(spec: str, store: Store) -> SourceInfo:
    """Drop the source ``spec`` names from ``store`` (:func:`kg.store.remove_source`): a name or
    key as ``kg sources`` lists them, or the path of a local file, named as ``kg ingest`` names
    it (relative to the project root)."""
    try:
        return remove_source(store, spec)
    except UsageError:
        path = Path(spec)
        if ":" in spec.split("/", 1)[0] or not path.exists():
            raise
        return remove_source(store, source_name(path))
