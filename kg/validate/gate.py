"""The ingest gate: validate a batch of mapped records before it is committed.

The gate validates the batch's own triples plus the store's triples about the nodes the batch
links to (``MappedRecord.links``: authors, organizations, venues), so its cost grows with the
batch, not with the store. Each result is attributed to the record(s) that produced its focus
node; records with a Violation are held back by :func:`kg.ingest.ingest`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.mapping import MappedRecord, literal
from kg.store import Store, load_graphs, query_graph
from kg.terms import values_chunks
from kg.validate.core import build_report, find, load_shapes
from kg.validate.engines import Data, Finding
from kg.validate.report import Severity, ValidationReport, ValidationResult

__all__ = ["GateResult", "LaterContext", "gate"]


@dataclass(frozen=True)
class GateResult:
    """What the gate found in a batch, and which records (by index in the batch) to hold back."""

    #: index in the ``mapped`` sequence -> the violations attributed to that record
    held: dict[int, tuple[ValidationResult, ...]] = field(default_factory=dict)
    #: violations on nodes no record of the batch produced (they hold nothing back)
    unattributed: tuple[ValidationResult, ...] = ()
    _full: Callable[[], ValidationReport] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def report(self) -> ValidationReport:
        """Everything the gate found, warnings and infos too, each result labelled with its
        record's name and source. Built on first use: deciding what to hold back needs only the
        violations, and labelling every warning of a 1,500-publication profile was a third of
        the gate's time."""
        return self._full() if self._full is not None else ValidationReport.of(())

    @property
    def ok(self) -> bool:
        return not self.held

    def reasons(self, index: int) -> list[str]:
        """The validation messages of a held record, one line each, for the quarantine file."""
        return [_reason(r) for r in self.held.get(index, ())]


def _reason(r: ValidationResult) -> str:
    where = r.path.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if r.path else "record"
    if "#" in r.focus and r.record and r.focus.startswith(r.record):
        where = f"{r.focus[len(r.record) + 1 :]} {where}"
    value = f" (value {r.value!r})" if r.value is not None and r.value != r.focus else ""
    rule = r.shape
    if r.terms is not None and isinstance(r.terms.constraint, URIRef):
        rule = str(r.terms.constraint)  # a named SPARQL constraint says more than its shape
    return f"validation: {where}{value}: {r.message} [{rule.rsplit('#', 1)[-1]}]"


def _linked_triples(
    store: Store,
    links: Sequence[str],
    replacing: Collection[str],
    including: Collection[str] = (),
) -> list[ox.Triple]:
    """The stored triples about ``links``, plus the types of the nodes those triples point to
    (so ``sh:class`` checks on a linked node see its neighbours' classes)."""
    out: list[ox.Triple] = []
    skip = ""
    if replacing:
        # A source family's loads are {family}/{load id}: leave out the family's graphs too,
        # except the loads of this batch already written (``including``). The store's named
        # graphs are listed once and excluded by name: a per-triple STRSTARTS filter doubled
        # the query's cost.
        # kg's load graphs, not `GRAPH ?g { }`: Virtuoso answers that with no graphs at all
        prefixes = tuple(f"{g}/" for g in replacing)
        doomed = sorted(
            g
            for g in load_graphs(store)
            if (g in replacing or g.startswith(prefixes)) and g not in including
        )
        if doomed:
            skip = f"FILTER(?g NOT IN ({', '.join(f'<{g}>' for g in doomed)}))"
    for values in values_chunks(f"<{iri}>" for iri in links):
        # DISTINCT: a node described by many graphs (an author in every source of a big batch)
        # came back once per graph, as Python objects
        res = query_graph(
            store,
            f"""CONSTRUCT {{ ?s ?p ?o . ?o a ?t }} WHERE {{ SELECT DISTINCT ?s ?p ?o ?t WHERE {{
              VALUES ?s {{ {values} }}
              GRAPH ?g {{ ?s ?p ?o }} {skip}
              OPTIONAL {{ GRAPH ?h {{ ?o a ?t }} {skip.replace("?g", "?h")} }}
            }} }}""",
        )
        out.extend(res.triples)
    return out


#: lines per ``Store.load`` call when filling the gate's in-memory store: one joined text of a
#: 700k-line source and its UTF-8 copy were ~170 MB at once
LOAD_CHUNK = 50_000


def _load_lines(store: ox.Store, lines: Iterable[str]) -> None:
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= LOAD_CHUNK:
            store.load("\n".join(buf).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
            buf = []
    if buf:
        store.load("\n".join(buf).encode("utf-8"), ox.RdfFormat.N_TRIPLES)


def _batch_store(
    mapped: Sequence[MappedRecord],
    store: Store | None,
    replacing: Collection[str],
    context: Sequence[MappedRecord] = (),
    including: Collection[str] = (),
) -> tuple[ox.Store, set[str]]:
    """The batch's triples and the linked context in one in-memory store, and the IRIs the
    store (or another source of the same batch, ``context``) already describes: violations on
    those are not these records' doing."""
    batch = ox.Store()
    _load_lines(batch, (line for m in mapped for line in m.lines))
    focuses = {m.focus for m in mapped}
    links = sorted({iri for m in mapped for iri in m.links} - focuses)
    stored: set[str] = set()
    if store is not None and links:
        triples = _linked_triples(store, links, replacing, including)
        batch.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        stored = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
        stored &= set(links)
    if context and links:
        wanted = {f"<{iri}> " for iri in links}
        lines = [line for m in context for line in m.lines if line[: line.find("> ") + 2] in wanted]
        if lines:
            batch.load("\n".join(lines).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
            stored |= {line[1 : line.find("> ")] for line in lines}
    return batch, stored


def _writers(mapped: Sequence[MappedRecord], nodes: set[str]) -> dict[str, list[int]]:
    """For each of ``nodes``, the records whose triples have it as subject."""
    prefixes = {f"<{n}> ": n for n in nodes}
    out: dict[str, list[int]] = {}
    for i, m in enumerate(mapped):
        hit: set[str] = set()
        for line in m.lines:
            end = line.find("> ")
            node = prefixes.get(line[: end + 2]) if end > 0 else None
            if node is not None:
                hit.add(node)
        for node in hit:
            out.setdefault(node, []).append(i)
    return out


def _value_writers(
    mapped: Sequence[MappedRecord], results: Sequence[ValidationResult]
) -> dict[int, list[int]]:
    """For results on nodes the store already describes: the records that write the offending
    value about the node themselves (``<focus> … value`` or ``<focus#…> … value``), by result
    index. The problem predates the batch only if no record of the batch repeats it: two files
    printing the same invalid ORCID iD for an author must not let each other through."""
    wanted: dict[str, list[tuple[int, str]]] = {}
    for k, r in enumerate(results):
        if r.value is None or r.value == r.focus:
            continue
        needle = (
            f"<{r.value}>"
            if r.terms is not None and isinstance(r.terms.value, URIRef)
            else (literal(r.value).rsplit('"', 1)[0] + '"')
        )
        wanted.setdefault(r.focus, []).append((k, needle))
    out: dict[int, list[int]] = {}
    if not wanted:
        return out
    for i, m in enumerate(mapped):
        for line in m.lines:
            end = line.find("> ")
            if end <= 0:
                continue
            subject = line[1:end].split("#", 1)[0]
            for k, needle in wanted.get(subject, ()):
                if needle in line[end + 2 :] and i not in out.get(k, []):
                    out.setdefault(k, []).append(i)
    return out


def _owner(focus: str, by_focus: dict[str, list[int]]) -> list[int]:
    """The record whose entity is the focus, or owns it as a ``#fragment`` node."""
    if focus in by_focus:
        return by_focus[focus]
    if "#" in focus:
        return by_focus.get(focus.split("#", 1)[0], [])
    return []


def gate(
    mapped: Sequence[MappedRecord],
    store: Store | None,
    *,
    shapes_dir: str | os.PathLike[str] | None = None,
    shapes: Graph | None = None,
    replacing: Iterable[str] = (),
    including: Iterable[str] = (),
    context: Sequence[MappedRecord] = (),
    engine: str = "auto",
) -> GateResult:
    """Validate a batch of mapped records with the nodes they link to, and attribute violations.

    ``replacing`` lists the named graphs this batch replaces: their stored triples are left out
    of the linked context, since they are about to disappear. ``including`` lists load graphs of
    the same ingest batch already written (a streaming ingest writes source after source): their
    triples count although their family is being replaced. ``context`` holds records of the
    batch's other sources: their triples about linked nodes join the context the same way.

    >>> from kg.mapping import map_record
    >>> good = map_record({"type": "Person", "name": "Ada Lovelace"}, number=1, scope="s")
    >>> bad = map_record({"type": "Publication", "authors": [{"name": "A B"}]}, number=2, scope="s")
    >>> result = gate([good, bad], None)
    >>> sorted(result.held), result.reasons(1)
    ([1], ['validation: name: The publication has no title (schema:name). [PublicationTitle]'])
    """
    # Records are judged by the data shapes; the web-page shapes belong to the export.
    shapes_graph = shapes if shapes is not None else load_shapes(shapes_dir, pages=False)
    batch, stored = _batch_store(mapped, store, set(replacing), context, set(including))
    data = Data.of(batch)
    findings, used, fallbacks = find(data, shapes_graph, engine=engine)

    def report(found: list[Finding]) -> ValidationReport:
        return build_report(
            found, data, engine=used, severity="info", fallbacks=fallbacks, shapes=shapes_graph
        )

    by_focus: dict[str, list[int]] = {}
    for i, m in enumerate(mapped):
        by_focus.setdefault(m.focus, []).append(i)
    # a custom severity counts as a Violation (Severity.from_iri)
    bad = [f for f in findings if Severity.from_iri(str(f.severity)) is Severity.VIOLATION]
    violations = list(report(bad).results)
    # A node no record owns (an author, an organization) is blamed on the records writing it,
    # unless the store already describes it: then the problem predates this batch.
    loose = {r.focus for r in violations if not _owner(r.focus, by_focus)} - stored
    writers = _writers(mapped, loose) if loose else {}
    on_stored = [r for r in violations if not _owner(r.focus, by_focus) and r.focus in stored]
    repeated = _value_writers(mapped, on_stored)
    repeaters = {id(r): repeated.get(k, []) for k, r in enumerate(on_stored)}
    held: dict[int, list[ValidationResult]] = {}
    unattributed: list[ValidationResult] = []
    for r in violations:
        owners = _owner(r.focus, by_focus) or writers.get(r.focus, []) or repeaters.get(id(r), [])
        if not owners:
            unattributed.append(r)
        for i in owners:
            held.setdefault(i, []).append(r)
    return GateResult(
        {i: tuple(v) for i, v in sorted(held.items())},
        tuple(unattributed),
        lambda: report(findings),
    )


class LaterContext:
    """The gate's context from the *later* sources of a batch: what they write about the nodes
    an earlier source links to (people, organizations, venues, topics), so a publication is
    judged with the Person record another file of the batch holds (sources already written are
    read back from the store: the gate's ``including``).

    Built from each source's records mapped once ahead (from the same starting names, so the
    lines are the ones that will be written). Only lines about nodes an earlier source links to
    are kept (no works, authorships or identifier nodes), and a source's share is freed once the
    source is gated (:meth:`about`). Records in ``held`` (Person records the gate held back) say
    nothing about anyone.
    """

    def __init__(self, about: list[dict[str, set[str]]]) -> None:
        self._about = about

    @classmethod
    def of(
        cls, sources: Iterable[Iterable[MappedRecord]], *, held: Collection[str] = ()
    ) -> LaterContext:
        """The context of a batch from its sources' mapped records, in load order."""
        out: list[dict[str, set[str]]] = []
        linked: set[str] = set()  # what the sources so far link to: all an earlier gate can ask
        for position, mapped in enumerate(sources):
            about: dict[str, set[str]] = {}
            links_here: set[str] = set()
            for m in mapped:  # the first source too: mapping it gives names the later ones use
                if m.focus in held:
                    continue
                links_here |= m.links
                if position == 0:
                    continue  # no earlier source needs its triples
                targets = m.links | ({m.focus} if m.kind in ("Person", "Organization") else set())
                for subject, line in m.lines_about(targets & linked):
                    about.setdefault(subject, set()).add(line)
            linked |= links_here
            out.append(about)
        return cls(out)

    def about(self, records: Sequence[MappedRecord], position: int) -> list[MappedRecord]:
        """What the sources after ``position`` write about the nodes ``records`` link to, as one
        context record for :func:`gate` (none when they write nothing). The source at
        ``position`` is being gated: its own share is no longer needed."""
        self._about[position] = {}
        linked = {iri for m in records for iri in m.links}
        lines: set[str] = set()
        for about in self._about[position + 1 :]:
            for iri in linked & about.keys():
                lines |= about[iri]
        if not lines:
            return []
        return [MappedRecord(0, {}, "", "context", lines=sorted(lines))]
