"""The build pipeline: sources -> checked records -> (resolution) -> RDF -> (gate) -> store.

One call, :func:`ingest`, runs it for a batch of sources and commits every source graph in one
atomic store write. Invalid records are never lost: they are returned (and written to the
quarantine file) with their reasons, and the valid ones are committed, unless ``strict``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import __version__, limits
from kg.errors import DataError, KgError, UsageError
from kg.ids import graph_iri, load_graph_iri, person_iri, source_family
from kg.mapping import (
    MappedRecord,
    SourceLoad,
    literal,
    map_record,
    provenance_lines,
    record_iri,
)
from kg.records.clean import record_problems, trim_record
from kg.records.files import source_name
from kg.records.schema import RecordIssue, check_record
from kg.records.sources import RawRecord, RdfSource, RecordSource, SourceOptions, open_source
from kg.resolve import EntityIndex, Resolution, known_names, load_index, resolve
from kg.store import (
    SourceInfo,
    Store,
    graph_hashes,
    query_select,
    remove_source,
    values_chunks,
)
from kg.validate import gate
from kg.vocab import KG, SCHEMA

__all__ = [
    "IngestReport",
    "Rejection",
    "SourceReport",
    "check_rdf_input",
    "extract",
    "ingest",
    "open_sources",
    "remove",
]

Source = RecordSource | RdfSource
#: ``progress(label, n)``: ``n`` more records read from the source ``label``; with ``n == 0``,
#: the stage named ``label`` (resolving, checking and writing a source, committing) begins
Progress = Callable[[str, int], None]

_RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class Rejection:
    """A record that was not ingested, with every reason."""

    source: str
    number: int
    record_id: str | None
    reasons: list[str]
    record: Any

    def where(self) -> str:
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"{self.source}: record {self.number}{rid}"

    def __str__(self) -> str:
        return f"{self.where()}: {'; '.join(self.reasons)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record_number": self.number,
            "record_id": self.record_id,
            "reasons": self.reasons,
            "record": self.record,
        }


@dataclass
class SourceReport:
    """What happened to one source."""

    label: str
    key: str
    status: str = "pending"  #: loaded | unchanged | failed | rejected (strict) | extracted
    records_in: int = 0
    records_out: int = 0
    triples: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    error: str | None = None
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: data problems that are not a failure of the source (a page with no list): exit code 1
    problems: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The outcome of :func:`ingest`: per-source reports and whether the batch was committed."""

    sources: list[SourceReport]
    committed: bool

    @property
    def rejected(self) -> list[Rejection]:
        return [r for s in self.sources for r in s.rejected]

    @property
    def ok(self) -> bool:
        """True when every source loaded and no record was rejected."""
        return (
            self.committed
            and not self.rejected
            and all(s.error is None and not s.problems for s in self.sources)
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def _expand(spec: str) -> Iterator[str]:
    path = Path(spec)
    if ":" not in spec.split("/", 1)[0] and path.is_dir():
        from kg.records.sources import RDF_SUFFIXES, RECORD_SUFFIXES

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
class _Read:
    source: Source
    report: SourceReport
    valid: list[RawRecord] = field(default_factory=list)
    rdf_lines: list[str] | None = None
    content_hash: str | None = None
    #: the valid records as ``(record number, compact JSON)`` once read (see :func:`_pack`)
    packed: list[tuple[int, str]] = field(default_factory=list)


def _read_records(source: RecordSource, report: SourceReport, progress: Progress | None) -> _Read:
    read = _Read(source, report)
    lim = limits.current()
    today = datetime.now(UTC).date()
    trimmed = 0
    for raw in source.iter_records():
        report.records_in += 1
        limits.check_count(report.records_in, where=source.label, limits=lim)
        try:
            limits.check_record_values(raw.data, limits=lim)
        except KgError as exc:  # too long or not Unicode: rejected before the schema check
            report.rejected.append(_rejection(source, raw, [str(exc)]))
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
            report.rejected.append(_rejection(source, raw, issues))
        elif problems is not None and problems.errors:
            report.rejected.append(_rejection(source, raw, list(problems.errors)))
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


def _rejection(source: Source, raw: RawRecord, issues: Sequence[RecordIssue | str]) -> Rejection:
    return Rejection(source.label, raw.number, raw.record_id, [str(i) for i in issues], raw.data)


def _jsonld_contexts(node: Any, found: list[str]) -> None:
    """Every ``@context`` / ``@import`` reference (a string) in a JSON-LD document."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    refs = value if isinstance(value, list) else [value]
                    found.extend(r for r in refs if isinstance(r, str))
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def check_rdf_input(data: bytes, media_type: str, *, where: str) -> None:
    """Refuse RDF that would make kg fetch or expand anything, before it is parsed.

    - JSON-LD: a remote ``@context`` (or 1.1 ``@import``) is never fetched, from the network or
      from ``file:`` (https://www.w3.org/TR/json-ld11-api/#loaddocumentcallback); the document
      must carry its context inline. pyoxigraph has no document loader set here and would fail
      with "No LoadDocumentCallback has been set"; kg says why first. Nesting depth is bounded.
    - RDF/XML: a DOCTYPE or ENTITY declaration is refused (:func:`kg.limits.check_xml_safe`).

    >>> check_rdf_input(b'{"@context": "https://schema.org/", "name": "x"}', "application/ld+json",
    ...                 where="a.jsonld")
    Traceback (most recent call last):
    ...
    kg.errors.DataError: a.jsonld: JSON-LD @context 'https://schema.org/' is a remote document, ...
    """
    if media_type == "application/ld+json":
        text = data.decode("utf-8", errors="replace")
        limits.check_json_depth(text, where=where)
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise DataError(f"{where}: invalid JSON-LD: {exc}") from None
        refs: list[str] = []
        _jsonld_contexts(doc, refs)
        if refs:
            raise DataError(
                f"{where}: JSON-LD @context {refs[0]!r} is a remote document, which kg never "
                "fetches; put the context inline in the file"
            )
    elif media_type == "application/rdf+xml":
        limits.check_xml_safe(data.decode("utf-8", errors="replace"), where=where)


def _read_rdf(source: RdfSource, report: SourceReport) -> _Read:
    data, media_type = source.read_rdf()
    lim = limits.current()
    limits.check_size(len(data), where=source.label, limit="max_rdf_bytes", limits=lim)
    check_rdf_input(data, media_type, where=source.label)
    triples_in: list[ox.Triple] = []
    try:
        for quad in ox.parse(data, _RDF_FORMATS[media_type], base_iri=source.key):
            triples_in.append(quad.triple)
            limits.check_count(len(triples_in), where=source.label, limit="max_triples", limits=lim)
            obj = quad.object
            if isinstance(obj, ox.Literal):
                limits.check_literal(
                    obj.value, where=f"{source.label}: triple {len(triples_in)}", limits=lim
                )
    except SyntaxError as exc:
        raise DataError(f"{source.label}: invalid RDF ({media_type}): {exc}") from None
    triples = ox.serialize(triples_in, format=ox.RdfFormat.N_TRIPLES) or b""
    # N-Triples lines end at \n only: str.splitlines() also splits at U+2028, U+0085, \x1c...
    # which the serializer writes unescaped inside literals (a broken line failed the batch)
    lines = [line for line in triples.decode("utf-8").split("\n") if line]
    report.records_in = report.records_out = 0
    return _Read(source, report, rdf_lines=lines)


def _hash_of(source: Source) -> str | None:
    fn = getattr(source, "content_hash", None)
    if fn is None:
        return None
    try:
        value = fn()
    except OSError:
        return None
    return f"{value}/{__version__}" if isinstance(value, str) else None


def _read(source: Source, progress: Progress | None) -> _Read:
    report = SourceReport(label=source.label, key=source.key)
    try:
        if isinstance(source, RecordSource):
            read = _read_records(source, report, progress)
        else:
            read = _read_rdf(source, report)
    except KgError as exc:
        report.status, report.error = "failed", str(exc)
        read = _Read(source, report)
    report.stats = {**dict(getattr(source, "stats", {}) or {}), **report.stats}
    report.warnings = [*list(getattr(source, "warnings", []) or []), *report.warnings]
    report.problems = list(getattr(source, "problems", []) or [])
    if report.error is None:  # a refused file is not read again (it may be 3 GB)
        read.content_hash = _hash_of(source)
    return read


def _kept(row: dict[str, str | None], replacing: Collection[str]) -> bool:
    """A row read from a graph the batch does not replace (see :func:`kg.ids.source_family`)."""
    graph = row.get("g")
    return graph is not None and source_family(graph) not in replacing


def _stored_person_keys(
    store: Store, keys: set[str], replacing: Collection[str] = ()
) -> dict[str, str]:
    if not keys:
        return {}
    # N-Triples/SPARQL escaping, not json.dumps: JSON writes an astral character as a
    # surrogate-pair escape, which SPARQL refuses (the whole ingest failed with exit code 2)
    found: dict[str, str] = {}
    for values in values_chunks(literal(k) for k in sorted(keys)):
        res = query_select(
            store,
            f"SELECT DISTINCT ?k ?p ?g WHERE {{ VALUES ?k {{ {values} }} "
            f"GRAPH ?g {{ ?p <{KG}localKey> ?k }} }} ORDER BY ?p",
        )
        # the largest IRI wins, whatever the order of the rows (as before)
        found.update(
            {r["k"]: r["p"] for r in res.dicts() if r["k"] and r["p"] and _kept(r, replacing)}
        )
    return found


def _stored_named(
    store: Store, orcid_authors: set[str], replacing: Collection[str] = ()
) -> set[str]:
    """The stored people with a name among the batch's ORCID-identified authors (in graphs the
    batch does not replace)."""
    found: set[str] = set()
    for values in values_chunks(f"<{iri}>" for iri in sorted(orcid_authors)):
        res = query_select(
            store,
            f"SELECT DISTINCT ?p ?g WHERE {{ VALUES ?p {{ {values} }} "
            f"GRAPH ?g {{ ?p <{SCHEMA}name> ?n }} }}",
        )
        found |= {row["p"] for row in res.dicts() if row["p"] and _kept(row, replacing)}
    return found


def _pack(data: dict[str, Any]) -> str:
    """A checked record held between the stages as compact JSON: a fraction of the memory of the
    decoded dict (1M triples: 120 MB of dicts for 28k records), so a batch of many sources
    streams without holding every record's objects at once."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Links:
    """What mapping and the gate need to know about the whole batch before any source is mapped:
    gathered from the resolved records while resolution streams past them."""

    person_keys: dict[str, str] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)  #: author ``person`` keys to look up
    named: set[str] = field(default_factory=set)  #: person IRIs that already have a name
    orcid_authors: set[str] = field(default_factory=set)
    #: people whose Person records the gate holds back: nothing links to them
    held: frozenset[str] = frozenset()

    def add(self, key: str, records: Iterable[dict[str, Any]]) -> None:
        for rec in records:
            kind = rec.get("type")
            if kind == "Person":  # person_keys as kg.mapping.person_key_iris builds them
                iri = record_iri(rec, scope=key)
                self.named.add(iri)
                if rec.get("id"):
                    self.person_keys[rec["id"]] = iri
            elif kind == "Publication":
                for a in rec["authors"]:
                    if a.get("person"):
                        self.wanted.add(a["person"])
                    if a.get("orcid"):
                        self.orcid_authors.add(person_iri(orcid_id=a["orcid"]))

    def finish(self, store: Store | None, replacing: Collection[str] = ()) -> None:
        self.wanted -= self.person_keys.keys()
        if store is not None:
            self.person_keys.update(_stored_person_keys(store, self.wanted, replacing))
            # People who have a name already: Person records of the batch, and stored people
            # the batch's ORCID-identified authors point to.
            self.named |= _stored_named(store, self.orcid_authors, replacing)


def _resolve(
    reads: list[_Read],
    index: EntityIndex,
    store: Store | None,
    *,
    aggressive: bool,
    replacing: Collection[str] = (),
) -> tuple[Resolution, _Links]:
    """Entity resolution (kg/resolve.py) over the batch, one source in memory at a time: each
    read's records are replaced by their annotated copies (with the IRIs of the entities they
    resolve to), an exact repeat within a source kept once, each record keeping its number."""
    record_reads = [r for r in reads if r.rdf_lines is None]
    links = _Links()
    kept_numbers: list[list[int]] = []

    def batch() -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for read in record_reads:
            records = [json.loads(text) for _, text in read.packed]
            seen: set[str] = set()
            numbers: list[int] = []
            for (number, _), rec in zip(read.packed, records, strict=True):
                fingerprint = json.dumps(rec, sort_keys=True, ensure_ascii=False)
                if fingerprint not in seen:  # an exact repeat: resolve keeps it once
                    seen.add(fingerprint)
                    numbers.append(number)
            kept_numbers.append(numbers)
            yield read.report.key, records

    def annotated(key: str, records: list[dict[str, Any]]) -> None:
        position = len(done)
        read = record_reads[position]
        assert read.report.key == key
        numbered = list(zip(kept_numbers[position], records, strict=True))
        links.add(key, records)
        read.packed = [(number, _pack(rec)) for number, rec in numbered]
        done.append(key)

    done: list[str] = []
    resolution = resolve(batch(), index, aggressive=aggressive, on_source=annotated)
    links.finish(store, replacing)
    return resolution, links


def _map_source(
    read: _Read, links: _Links, named: set[str], *, skip: Collection[int] = ()
) -> list[MappedRecord]:
    """Map one source's resolved records (but those numbered in ``skip``); a record that fails
    to map is rejected with the reason and added to ``skip``. ``named`` is shared by the whole
    batch, in source order: the first printed name of an otherwise unnamed person wins."""
    mapped: list[MappedRecord] = []
    key = read.report.key
    for number, text in read.packed:
        if number in skip:
            continue
        rec = json.loads(text)
        try:
            m = map_record(rec, number=number, scope=key, person_keys=links.person_keys,
                           named=named, unlinked=links.held)  # fmt: skip
        except ValueError as exc:
            raw = RawRecord(number, rec)
            read.report.rejected.append(_rejection(read.source, raw, [f"$: {exc}"]))
            if isinstance(skip, set):
                skip.add(number)
            continue
        mapped.append(m)
    return mapped


def _notes(read: _Read, mapped: Iterable[MappedRecord]) -> None:
    """What mapping the committed records had to say, as the source's warnings."""
    for m in mapped:
        rid = f" (id {m.record['id']})" if m.record.get("id") else ""
        read.report.warnings.extend(
            f"{read.source.label}: record {m.number}{rid}: {note}" for note in m.notes
        )


def _hold_people(reads: list[_Read], links: _Links, store: Store, replacing: list[str]) -> None:
    """Gate the batch's Person records before anything else is mapped, and mark the ones held
    back (``links.held``; no longer ``named``): mapping then keeps an author pointing to one as
    printed, unlinked (:func:`kg.mapping.map_record`'s ``unlinked``).

    An author points to a Person record by its ``person`` key or through resolution, maybe in
    another source mapped earlier: once that source is written, holding the person back later
    would leave the author's node without the name the record was to give it. Judging people
    first closes the gate (docs/architecture.md, "The gate invariant").
    """
    held: set[str] = set()
    accepted: set[str] = set()
    for read in reads:
        people: list[MappedRecord] = []
        for number, text in read.packed:
            rec = json.loads(text)
            if rec.get("type") != "Person":
                continue
            try:
                people.append(map_record(rec, number=number, scope=read.report.key))
            except ValueError:
                continue  # rejected when the source is mapped
        if not people:
            continue
        result = gate(people, store, replacing=replacing)
        for i, m in enumerate(people):
            if i in result.held:
                held.add(m.focus)
            else:
                accepted.add(m.focus)
    # person_keys keep pointing to them: mapping sees the author refers to a held record
    links.held = frozenset(held - accepted)
    links.named -= links.held


def _described(reads: list[_Read], links: _Links) -> list[dict[str, set[str]]]:
    """For each record source, its triples about entities other records can link to (people,
    organizations, venues, topics), by subject: what the gate of an *earlier* source takes as
    context from this one (a publication judged with the Person record another file holds).

    Found by mapping the batch once ahead of the real mapping, from the same starting ``named``,
    so the lines are the ones that will be written. Only these lines are kept, and only about
    nodes an earlier source links to (no works, authorships or identifier nodes), a source's set
    freed once it is gated.
    """
    named = set(links.named)
    out: list[dict[str, set[str]]] = []
    linked: set[str] = set()  # what the sources so far link to: all an earlier gate can ask
    for position, read in enumerate(reads):
        about: dict[str, set[str]] = {}
        links_here: set[str] = set()
        for number, text in read.packed:
            try:
                m = map_record(json.loads(text), number=number, scope=read.report.key,
                               person_keys=links.person_keys, named=named,
                               unlinked=links.held)  # fmt: skip
            except ValueError:
                continue  # rejected when the source is mapped for real
            if m.focus in links.held:
                continue  # held back: it says nothing about anyone
            links_here |= m.links
            if position == 0:
                continue  # mapped for the names it gives; no earlier source needs its triples
            targets = m.links | ({m.focus} if m.kind in ("Person", "Organization") else set())
            for line in m.lines:
                subject = line[1 : line.find("> ")]
                if subject in targets and subject in linked:
                    about.setdefault(subject, set()).add(line)
        linked |= links_here
        out.append(about)
    return out


def _later_context(
    records: list[MappedRecord], later: Iterable[dict[str, set[str]]]
) -> list[MappedRecord]:
    """The triples later sources of the batch write about the nodes ``records`` link to, as one
    context record for the gate (sources already written are read back from the store: the
    gate's ``including``)."""
    linked = {iri for m in records for iri in m.links}
    lines: set[str] = set()
    for about in later:
        for iri in linked & about.keys():
            lines |= about[iri]
    if not lines:
        return []
    return [MappedRecord(0, {}, "", "context", lines=sorted(lines))]


def _gated(
    read: _Read,
    links: _Links,
    named: set[str],
    store: Store,
    *,
    replacing: list[str],
    including: list[str],
    later: Sequence[dict[str, set[str]]],
) -> list[MappedRecord]:
    """Map a source and pass it through the SHACL gate until nothing more is held back.

    Records with violations leave the batch and join the rejected. The rest are mapped again
    without them, from the same starting ``named``: a held record must not have given an author
    the name the others rely on, nor leave a node it linked to half described (an author's
    invalid ORCID iD that the held Person record also had). So after the last round, what is
    written raises no violation the gate can see (docs/architecture.md, "The gate invariant").

    Each source is judged on its own records (and the stored nodes they link to): two sources that
    disagree about one entity (two titles for one DOI) are a conflict kept with its provenance
    (the `quality-conflicts` query, `kg validate`), not a reason to drop either record.
    """
    before = set(named)
    skip: set[int] = set()
    while True:
        named.clear()
        named |= before
        mapped = _map_source(read, links, named, skip=skip)
        if not mapped:
            return mapped
        context = _later_context(mapped, later)
        result = gate(mapped, store, replacing=replacing, including=including, context=context)
        if not result.held:
            return mapped
        for i in sorted(result.held):
            m = mapped[i]
            skip.add(m.number)
            read.report.rejected.append(
                Rejection(
                    read.source.label, m.number, m.record.get("id"), result.reasons(i), m.record
                )
            )


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
    _check_quarantine(quarantine)
    sources = [
        s
        for spec in specs
        for s in (open_sources([spec], options) if isinstance(spec, str) else [spec])
    ]
    hashes = graph_hashes(store) if not force else {}
    names = known_names(store) if any(hasattr(s, "known_names") for s in sources) else frozenset()
    reads: list[_Read] = []
    batch_names: set[str] = set()
    # Page sources repair ambiguous names only where another source confirms the spelling: the
    # store, or the record sources of this batch, which are therefore read first.
    # Sources are taken in the order of their keys, not of the command line: where the first
    # mention decides (an author's printed name, resolution), any order gives the same graph.
    ordered = sorted(sources, key=lambda s: (hasattr(s, "known_names"), s.key))
    for source in ordered:
        if hasattr(source, "known_names"):
            source.known_names = names | batch_names | source.known_names
        read = _read(source, progress)
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
        read.packed = [(raw.number, _pack(raw.data)) for raw in read.valid]
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
    resolution, links = _resolve(
        active, index, store, aggressive=aggressive, replacing=set(replacing)
    )
    reports = [r.report for r in reads]
    load_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    record_reads = [r for r in active if r.rdf_lines is None]
    if validate:
        _hold_people(record_reads, links, store, replacing)
    # a single source is context for no other: never mapped twice
    described = _described(record_reads, links) if validate and len(record_reads) > 1 else []
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
                    if described:
                        described[where] = {}  # needed by earlier sources only
                    mapped = _gated(read, links, named, store, replacing=replacing,
                                    including=written, later=described[where + 1 :])  # fmt: skip
                else:
                    mapped = _map_source(read, links, named)
                read.packed = []  # this source's records live on in `mapped` only
                _notes(read, mapped)
                lines = [line for m in mapped for line in m.lines]
                read.report.records_out = len(mapped)
                del mapped
            load = SourceLoad(
                graph=g,
                source_key=read.report.key,
                # the source's name (kg sources, kg remove), never the path as typed
                label=getattr(read.source, "source_name", read.source.label),
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
            _write_quarantine(quarantine, reports)
            return IngestReport(reports, committed=False)
        _write_quarantine(quarantine, reports)  # written and synced before the commit point
        if progress:
            progress("committing", 0)
        batch.commit()
    for read in active:
        read.report.status = "loaded"
    return IngestReport(reports, committed=True)


def _check_quarantine(path: Path | None) -> None:
    """Refuse a ``--quarantine`` path that cannot be a file before any work is done."""
    if path is not None and (path.is_dir() or not path.parent.is_dir()):
        what = "is a directory" if path.is_dir() else "is in a directory that does not exist"
        raise UsageError(f"--quarantine {path}: {what}; expected a file to append to")


def _quarantine_line(rejection: Rejection) -> str:
    line = json.dumps(rejection.as_json(), ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the record: keep it as a JSON escape
        line = json.dumps(rejection.as_json(), ensure_ascii=True)
    return line + "\n"


def _write_quarantine(path: Path | None, reports: Iterable[SourceReport]) -> None:
    """Append the rejected records to ``path`` and fsync it. Called before the commit: when it
    cannot be written, the error stops the ingest and nothing is committed (no record lost)."""
    rejected = [r for s in reports for r in s.rejected]
    if path is None or not rejected:
        return
    text = "".join(_quarantine_line(r) for r in rejected)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise DataError(
            f"cannot write quarantine file {path}: {exc.strerror or exc}; nothing was committed"
        ) from None


@dataclass
class ExtractReport:
    """Records a source yields, checked but not stored (``kg extract``)."""

    sources: list[SourceReport]
    records: list[dict[str, Any]]

    @property
    def exit_code(self) -> int:
        bad = any(s.error or s.rejected or s.problems for s in self.sources)
        return 1 if bad else 0


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
        read = _read(source, None)
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
