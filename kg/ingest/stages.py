"""Stages 3 and 5 of the ingest: map each source's resolved records to RDF
(:mod:`kg.mapping`) and pass them through the SHACL gate (:mod:`kg.validate.gate`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator

from kg.ingest.link import Links
from kg.ingest.read import Read
from kg.ingest.report import Rejection, rejection
from kg.mapping import MappedRecord, map_record
from kg.records.protocols import RawRecord
from kg.store import Store
from kg.validate.gate import LaterContext, gate

__all__ = ["gated", "hold_people", "map_source", "mapped_ahead", "notes"]


def map_source(
    read: Read, links: Links, named: set[str], *, skip: Collection[int] = ()
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
            read.report.rejected.append(rejection(read.source, raw, [f"$: {exc}"]))
            if isinstance(skip, set):
                skip.add(number)
            continue
        mapped.append(m)
    return mapped


def notes(read: Read, mapped: Iterable[MappedRecord]) -> None:
    """What mapping the committed records had to say, as the source's warnings."""
    for m in mapped:
        rid = f" (id {m.record['id']})" if m.record.get("id") else ""
        read.report.warnings.extend(
            f"{read.source.label}: record {m.number}{rid}: {note}" for note in m.notes
        )


def hold_people(reads: list[Read], links: Links, store: Store, replacing: list[str]) -> None:
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


def mapped_ahead(reads: list[Read], links: Links) -> Iterator[Iterator[MappedRecord]]:
    """Each record source's records mapped once ahead of the real mapping, from the same
    starting ``named``, so the lines are the ones that will be written: what
    :class:`kg.validate.gate.LaterContext` takes the gate's context from."""
    named = set(links.named)

    def one(read: Read) -> Iterator[MappedRecord]:
        for number, text in read.packed:
            try:
                yield map_record(json.loads(text), number=number, scope=read.report.key,
                                 person_keys=links.person_keys, named=named,
                                 unlinked=links.held)  # fmt: skip
            except ValueError:
                continue  # rejected when the source is mapped for real

    return (one(read) for read in reads)


def gated(
    read: Read,
    links: Links,
    named: set[str],
    store: Store,
    *,
    replacing: list[str],
    including: list[str],
    context: LaterContext | None,
    position: int,
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
        mapped = map_source(read, links, named, skip=skip)
        if not mapped:
            return mapped
        later = context.about(mapped, position) if context is not None else []
        result = gate(mapped, store, replacing=replacing, including=including, context=later)
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
