"""Stage 4 of the ingest: entity resolution over the batch (:mod:`kg.resolve`), and what the
mapping needs to know about the whole batch before any source is mapped (:class:`Links`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kg.ids import person_iri, source_family
from kg.ingest.read import Read, pack
from kg.mapping import record_iri
from kg.resolve import EntityIndex, Resolution, resolve
from kg.store import Store, query_select
from kg.terms import literal, values_chunks
from kg.vocab import KG, SCHEMA

__all__ = ["Links", "resolve_batch"]


def _kept(row: dict[str, str | None], replacing: Collection[str]) -> bool:
    """A row read from a graph the batch does not replace (see :func:`kg.ids.source_family`)."""
    graph = row.get("g")
    return graph is not None and source_family(graph) not in replacing


def stored_person_keys(
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


def stored_named(
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


@dataclass
class Links:
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
            self.person_keys.update(stored_person_keys(store, self.wanted, replacing))
            # People who have a name already: Person records of the batch, and stored people
            # the batch's ORCID-identified authors point to.
            self.named |= stored_named(store, self.orcid_authors, replacing)


def resolve_batch(
    reads: list[Read],
    index: EntityIndex,
    store: Store | None,
    *,
    aggressive: bool,
    replacing: Collection[str] = (),
) -> tuple[Resolution, Links]:
    """Entity resolution (kg/resolve.py) over the batch, one source in memory at a time: each
    read's records are replaced by their annotated copies (with the IRIs of the entities they
    resolve to), an exact repeat within a source kept once, each record keeping its number."""
    record_reads = [r for r in reads if r.rdf_lines is None]
    links = Links()
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
        read.packed = [(number, pack(rec)) for number, rec in numbered]
        done.append(key)

    done: list[str] = []
    resolution = resolve(batch(), index, aggressive=aggressive, on_source=annotated)
    links.finish(store, replacing)
    return resolution, links
