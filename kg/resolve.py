"""Entity resolution: which records are the same work, person or organization, and why.

Rules, strongest first (docs/cleaning.md lists them with the cleaning rules):

* **Works** merge by DOI, else arXiv id, else normalized title (and year when both sides know
  it). Two works with the same title but different DOIs, or different years, are *near misses*.
* **People** merge by ORCID, DBLP pid or OpenAlex id. Without a shared identifier: within one
  source, a Person record and the authors printed with the same normalized name are one person
  (a profile page's owner and their name in its author lists); across sources, the same
  normalized name *and* at least ``min_shared_works`` (default 1) works that resolved to the same
  IRI: the same name in the author list of the same paper is the same author. A name alone never merges across sources unless
  ``aggressive=True``. Different ORCIDs never merge; similar names are reported as near misses.
* **Organizations** merge by ROR id, else they already share the IRI of their normalized name.

The store is read once with :data:`INDEX_QUERY` into an :class:`EntityIndex`; :func:`resolve`
annotates copies of the incoming records with ``_iri`` (records) and ``_person_iri`` (authors)
for the mapping to use instead of minting, and explains every decision in a
:class:`Resolution` whose :meth:`Resolution.evidence_lines` persist it with the source's graph,
where :data:`REPORT_QUERY` finds it again for ``kg resolve --report``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from kg import ids
from kg.terms import quote, values_chunks
from kg.vocab import KG, RDF, SCHEMA

__all__ = [
    "INDEX_QUERY",
    "REPORT_QUERY",
    "EntityIndex",
    "IndexedOrg",
    "IndexedPerson",
    "IndexedWork",
    "Merge",
    "NearMiss",
    "Resolution",
    "ResolutionReport",
    "index_queries",
    "known_names",
    "load_index",
    "report",
    "report_from_rows",
    "resolve",
]

Row = Mapping[str, str | None]

#: A person's ORCID, DBLP pid and OpenAlex id from one ``?same`` (``schema:sameAs``) value.
_PERSON_IDS = """\
    BIND(IF(STRSTARTS(STR(?same), "https://orcid.org/"),
            STRAFTER(STR(?same), "https://orcid.org/"), ?unbound) AS ?orcid)
    BIND(IF(STRSTARTS(STR(?same), "https://dblp.org/pid/"),
            STRAFTER(STR(?same), "https://dblp.org/pid/"), ?unbound) AS ?dblp)
    BIND(IF(STRSTARTS(STR(?same), "https://openalex.org/A"),
            STRAFTER(STR(?same), "https://openalex.org/"), ?unbound) AS ?openalex)
"""

#: What :class:`EntityIndex` needs from the store: people, works and organizations with their
#: identifiers and source graphs (one row per combination; run with the default graph as the
#: union of all graphs). Graph shape: docs/mapping.md.
INDEX_QUERY = (
    """\
PREFIX schema: <https://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <https://w3id.org/kg/vocab#>
SELECT ?kind ?entity ?graph ?name ?orcid ?dblp ?openalex ?ror ?title ?year ?doi ?arxiv ?author
WHERE {
  {
    BIND("person" AS ?kind)
    GRAPH ?graph { ?entity a schema:Person . OPTIONAL { ?entity schema:name ?name } }
    OPTIONAL { GRAPH ?graph { ?entity schema:sameAs ?same } }
"""
    + _PERSON_IDS
    + """\
  } UNION {
    BIND("work" AS ?kind)
    GRAPH ?graph {
      ?entity kg:authorship ?authorship .
      OPTIONAL { ?entity schema:name ?title }
      OPTIONAL { ?entity kg:year ?year }
      OPTIONAL { ?entity bibo:doi ?doi }
      OPTIONAL { ?entity schema:author ?author }
    }
    OPTIONAL { GRAPH ?graph { ?entity schema:sameAs ?wsame
      FILTER(STRSTARTS(STR(?wsame), "https://arxiv.org/abs/")) } }
    BIND(STRAFTER(STR(?wsame), "https://arxiv.org/abs/") AS ?arxiv)
  } UNION {
    BIND("org" AS ?kind)
    GRAPH ?graph { ?entity a schema:Organization . OPTIONAL { ?entity schema:name ?name } }
    OPTIONAL { GRAPH ?graph { ?entity schema:sameAs ?osame
      FILTER(STRSTARTS(STR(?osame), "https://ror.org/")) } }
    BIND(STRAFTER(STR(?osame), "https://ror.org/") AS ?ror)
  }
}
"""
)

#: The merges and near misses stored with each source graph (see :meth:`Resolution.evidence_lines`).
REPORT_QUERY = """\
PREFIX kg: <https://w3id.org/kg/vocab#>
PREFIX schema: <https://schema.org/>
SELECT ?node ?type ?kind ?rule ?evidence ?entity ?other ?label ?source ?graph WHERE {
  GRAPH ?graph {
    VALUES ?type { kg:Merge kg:NearMiss }
    ?node a ?type ; kg:rule ?rule ; kg:evidence ?evidence ; kg:entityKind ?kind .
    OPTIONAL { ?node kg:mergedEntity ?entity }
    OPTIONAL { ?node kg:mergedWith ?other }
    OPTIONAL { ?node kg:candidate ?entity }
    OPTIONAL { ?node kg:label ?label }
    OPTIONAL { ?node kg:sourceKey ?source }
  }
}
ORDER BY ?graph ?node
"""

# --- the index of what the store already holds ---------------------------------------------------


@dataclass
class IndexedPerson:
    """A person in the store: IRI, names, identifiers and the source graphs that state them."""

    iri: str
    names: set[str] = field(default_factory=set)
    orcid: str | None = None
    dblp: str | None = None
    openalex: str | None = None
    graphs: set[str] = field(default_factory=set)


@dataclass
class IndexedWork:
    """A work in the store: IRI, titles, year, identifiers, author IRIs and source graphs."""

    iri: str
    titles: set[str] = field(default_factory=set)
    year: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    authors: set[str] = field(default_factory=set)
    graphs: set[str] = field(default_factory=set)


@dataclass
class IndexedOrg:
    """An organization in the store."""

    iri: str
    names: set[str] = field(default_factory=set)
    ror: str | None = None
    graphs: set[str] = field(default_factory=set)


@dataclass
class EntityIndex:
    """What the store holds, looked up by identifier and normalized name/title."""

    persons: dict[str, IndexedPerson] = field(default_factory=dict)
    works: dict[str, IndexedWork] = field(default_factory=dict)
    orgs: dict[str, IndexedOrg] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> EntityIndex:
        """Build the index from :data:`INDEX_QUERY` rows (variable -> lexical value or None).

        >>> idx = EntityIndex.from_rows([{"kind": "person", "entity": "urn:p", "graph": "urn:g",
        ...     "name": "Ada Lovelace", "orcid": "0000-0002-1825-0097"}])
        >>> idx.persons["urn:p"].orcid
        '0000-0002-1825-0097'
        """
        index = cls()
        for row in rows:
            kind, iri, graph = row.get("kind"), row.get("entity"), row.get("graph")
            if not iri:
                continue
            if kind == "person":
                p = index.persons.setdefault(iri, IndexedPerson(iri))
                _add(p.names, row.get("name"))
                p.orcid = p.orcid or _clean_id(ids.orcid, row.get("orcid"))
                p.dblp = p.dblp or row.get("dblp") or None
                p.openalex = p.openalex or _clean_id(ids.openalex_id, row.get("openalex"))
                _add(p.graphs, graph)
            elif kind == "work":
                w = index.works.setdefault(iri, IndexedWork(iri))
                _add(w.titles, row.get("title"))
                w.year = w.year or _year(row.get("year"))
                w.doi = w.doi or _clean_id(ids.doi, row.get("doi"))
                w.arxiv = w.arxiv or _clean_id(ids.arxiv_id, row.get("arxiv"))
                _add(w.authors, row.get("author"))
                _add(w.graphs, graph)
            elif kind == "org":
                o = index.orgs.setdefault(iri, IndexedOrg(iri))
                _add(o.names, row.get("name"))
                o.ror = o.ror or _clean_id(ids.ror, row.get("ror"))
                _add(o.graphs, graph)
        return index

    def names(self) -> set[str]:
        """Every person name the store knows: spellings that confirm ambiguous name repairs."""
        return {n for p in self.persons.values() for n in p.names}


def _add(target: set[str], value: str | None) -> None:
    if value:
        target.add(value)


def _clean_id(parse: Any, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(parse(value))
    except ValueError:
        return None


_year = ids._year


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """One merge: ``merged`` (the IRI the record would have had) is ``iri`` (the one kept)."""

    kind: str  #: "person", "work" or "organization"
    iri: str
    merged: str
    rule: str  #: "doi", "arxiv", "title", "title+year", "orcid", "dblp", "openalex", "ror",
    #: "name-in-source", "name+shared-works", "name-aggressive", "duplicate-in-batch"
    evidence: str
    sources: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class NearMiss:
    """Two entities that look alike but were NOT merged, and why."""

    kind: str
    iris: tuple[str, str]
    rule: str  #: "same-name", "similar-name", "conflicting-orcid", "conflicting-doi",
    #: "title-different-year"
    evidence: str
    sources: tuple[str, ...]
    label: str = ""


@dataclass
class Resolution:
    """Annotated copies of the batch's records, and every merge and near miss with its evidence."""

    batch: list[tuple[str, list[dict[str, Any]]]]
    merges: list[Merge] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)

    def records(self, source_key: str) -> list[dict[str, Any]]:
        """The annotated records of one source of the batch."""
        for key, records in self.batch:
            if key == source_key:
                return records
        raise KeyError(source_key)

    def evidence_lines(self, source_key: str, graph_iri: str) -> list[str]:
        """N-Triples describing the merges and near misses that concern ``source_key``.

        Nodes are ``<graph_iri#merge-N>`` (``kg:Merge``) and ``<graph_iri#nearmiss-N>``
        (``kg:NearMiss``) with ``kg:entityKind``, ``kg:rule``, ``kg:evidence``, ``kg:label``,
        ``kg:sourceKey``, and ``kg:mergedEntity`` (kept IRI) + ``kg:mergedWith`` (the IRI folded
        into it), or two ``kg:candidate`` IRIs for a near miss.

        >>> r = Resolution([], [Merge("work", "urn:a", "urn:b", "doi", "same DOI", ("s",))])
        >>> print(r.evidence_lines("s", "urn:g")[1])
        <urn:g#merge-1> <https://w3id.org/kg/vocab#entityKind> "work" .
        """
        lines: list[str] = []
        mine = [m for m in self.merges if source_key in m.sources]
        for n, m in enumerate(mine, 1):
            node = f"<{graph_iri}#merge-{n}>"
            lines += [
                f"{node} <{RDF}type> <{KG}Merge> .",
                f"{node} <{KG}entityKind> {quote(m.kind)} .",
                f"{node} <{KG}rule> {quote(m.rule)} .",
                f"{node} <{KG}evidence> {quote(m.evidence)} .",
                f"{node} <{KG}mergedEntity> <{m.iri}> .",
                f"{node} <{KG}mergedWith> <{m.merged}> .",
            ]
            if m.label:
                lines.append(f"{node} <{KG}label> {quote(m.label)} .")
            lines += [f"{node} <{KG}sourceKey> {quote(s)} ." for s in m.sources]
        near = [nm for nm in self.near_misses if source_key in nm.sources]
        for n, nm in enumerate(near, 1):
            node = f"<{graph_iri}#nearmiss-{n}>"
            lines += [
                f"{node} <{RDF}type> <{KG}NearMiss> .",
                f"{node} <{KG}entityKind> {quote(nm.kind)} .",
                f"{node} <{KG}rule> {quote(nm.rule)} .",
                f"{node} <{KG}evidence> {quote(nm.evidence)} .",
                *(f"{node} <{KG}candidate> <{iri}> ." for iri in nm.iris),
            ]
            if nm.label:
                lines.append(f"{node} <{KG}label> {quote(nm.label)} .")
            lines += [f"{node} <{KG}sourceKey> {quote(s)} ." for s in nm.sources]
        return lines


# --- resolution ----------------------------------------------------------------------------------


@dataclass
class _PersonGroup:
    """One person as the batch shows it within one source: a record and/or printed authorships."""

    source: str
    norm: str
    name: str
    iri: str  # natural IRI
    record: dict[str, Any] | None = None
    authorships: list[dict[str, Any]] = field(default_factory=list)
    works: set[str] = field(default_factory=set)
    resolved: str | None = None


@dataclass
class _NameBlocks:
    """Normalized names by family name, by first name, by (family name, initial), and — for
    names whose first word is an initial — by (family name, initial): the blocks in which
    ``_similar`` looks for near misses."""

    family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    initial: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    initialed: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, norm: str) -> None:
        words = norm.split()
        key = (words[-1], words[0][:1])
        self.family[words[-1]].add(norm)
        self.first[words[0]].add(norm)
        self.initial[key].add(norm)
        if len(words[0]) == 1:
            self.initialed[key].add(norm)


class _Resolver:
    def __init__(self, index: EntityIndex, *, aggressive: bool, min_shared_works: int) -> None:
        self._near_seen: set[NearMiss] = set()
        self.index = index
        self.aggressive = aggressive
        self.min_shared = min_shared_works
        self.out = Resolution([])
        # indexes over the store, then extended with the batch as it is resolved
        self.by_doi: dict[str, str] = {}
        self.by_arxiv: dict[str, str] = {}
        self.by_title: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
        self.work_graphs: dict[str, set[str]] = defaultdict(set)
        self.work_authors: dict[str, set[str]] = defaultdict(set)
        self.person_by_id: dict[tuple[str, str], str] = {}
        self.person_by_name: dict[str, set[str]] = defaultdict(set)
        self.person_names: dict[str, str] = {}
        self.person_graphs: dict[str, set[str]] = defaultdict(set)
        self.person_orcid: dict[str, str] = {}
        # similarity blocks of every name, and of the names of people with a record or an
        # identifier (``anchored``): the only candidates for a name-only author
        self.all_names = _NameBlocks()
        self.anchored_names = _NameBlocks()
        self.anchored: set[str] = set()
        self.batch_added: set[str] = set()
        self.org_by_ror: dict[str, str] = {}
        self.org_by_name: dict[str, str] = {}
        for w in index.works.values():
            self._add_work(w.iri, w.doi, w.arxiv, w.titles, w.year, w.graphs, w.authors)
        for p in index.persons.values():
            for scheme, value in (("orcid", p.orcid), ("dblp", p.dblp), ("openalex", p.openalex)):
                if value:
                    self.person_by_id[(scheme, value)] = p.iri
            if p.orcid:
                self.person_orcid[p.iri] = p.orcid
            anchored = bool(p.orcid or p.dblp or p.openalex) or "/person/name/" not in p.iri
            for name in p.names:
                self._add_name(ids.normalize_name(name), p.iri, anchored=anchored)
                self.person_names.setdefault(p.iri, name)
            self.person_graphs[p.iri] |= p.graphs
        for o in index.orgs.values():
            if o.ror:
                self.org_by_ror[o.ror] = o.iri
            for name in o.names:
                self.org_by_name.setdefault(ids.normalize_name(name), o.iri)

    def _add_work(
        self,
        iri: str,
        doi: str | None,
        arxiv: str | None,
        titles: Iterable[str],
        year: str | None,
        graphs: Iterable[str],
        authors: Iterable[str] = (),
    ) -> None:
        if doi:
            self.by_doi.setdefault(doi, iri)
        if arxiv:
            self.by_arxiv.setdefault(arxiv, iri)
        for t in titles:
            entry = (iri, year, doi)
            if entry not in self.by_title[ids.normalize_title(t)]:
                self.by_title[ids.normalize_title(t)].append(entry)
        self.work_graphs[iri] |= set(graphs)
        self.work_authors[iri] |= set(authors)

    def _add_name(self, norm: str, iri: str, *, anchored: bool) -> None:
        self.person_by_name[norm].add(iri)
        if anchored:
            self.anchored.add(iri)
        if norm and not _has_digit(norm):  # a placeholder is never similar (see _similar)
            self.all_names.add(norm)
            if anchored:
                self.anchored_names.add(norm)

    def _usable(self, iri: str, natural: str, graph: str, graphs: Mapping[str, set[str]]) -> bool:
        """A candidate to merge with: another IRI, known from a graph other than the one being
        (re)loaded (its own old triples are about to be replaced) or from this batch."""
        return iri != natural and (
            bool(graphs.get(iri, set()) - {graph}) or iri in self.batch_added
        )

    # -- works --

    def work(self, source: str, graph: str, rec: dict[str, Any]) -> str:
        natural = ids.work_record_iri(rec, scope=source)
        doi = _clean_id(ids.doi, rec.get("doi"))
        arxiv = _clean_id(ids.arxiv_id, rec.get("arxiv"))
        title = rec.get("title")
        year = _year(rec.get("date"))
        label = title or "(untitled)"
        target, rule, evidence = None, "", ""
        for scheme, value, table in (("doi", doi, self.by_doi), ("arxiv", arxiv, self.by_arxiv)):
            found = table.get(value) if value else None
            if found and self._usable(found, natural, graph, self.work_graphs):
                target, rule, evidence = found, scheme, f"same {scheme} {value}"
                break
        if target is None and title:
            for iri, other_year, other_doi in self.by_title.get(ids.normalize_title(title), []):
                if not self._usable(iri, natural, graph, self.work_graphs):
                    continue
                if doi and other_doi and doi != other_doi:
                    self._near(
                        "work",
                        (natural, iri),
                        "conflicting-doi",
                        f"same title, DOIs {doi} and {other_doi}",
                        source,
                        label,
                    )
                    continue
                if (doi or arxiv) and ("/pub/doi/" in iri or "/pub/arxiv/" in iri):
                    # Both carry their own identifier (a preprint and its published version,
                    # say): a title alone does not make them one record.
                    self._near(
                        "work",
                        (natural, iri),
                        "same-title-other-id",
                        "same title, but each has its own identifier",
                        source,
                        label,
                    )
                    continue
                if year and other_year and year != other_year:
                    self._near(
                        "work",
                        (natural, iri),
                        "title-different-year",
                        f"same title, years {year} and {other_year}",
                        source,
                        label,
                    )
                    continue
                target = iri
                rule = "title+year" if year and other_year else "title"
                evidence = f"same normalized title {ids.normalize_title(title)!r}" + (
                    f" and year {year}" if rule == "title+year" else ""
                )
                break
        resolved = natural
        if target is not None and target != natural:
            resolved = target
            rec["_iri"] = target
            rec["_merged_by"] = rule  # the mapping keeps a title-matched record's wording aside
            self._merge("work", target, natural, rule, evidence, source, label)
        self._add_work(resolved, doi, arxiv, [title] if title else [], year, {graph})
        self.batch_added.add(resolved)
        return resolved

    # -- people --

    def person_groups(
        self, source: str, records: list[dict[str, Any]], work_iris: dict[int, str]
    ) -> list[_PersonGroup]:
        groups: dict[str, _PersonGroup] = {}
        by_key: dict[str, _PersonGroup] = {}
        for rec in records:
            if rec.get("type") == "Person":
                norm = ids.normalize_name(rec["name"])
                g = _PersonGroup(
                    source, norm, rec["name"], ids.person_record_iri(rec, scope=source), rec
                )
                gid = f"key:{rec['id']}" if rec.get("id") else f"rec:{id(rec)}"
                groups[gid] = g
                if rec.get("id"):
                    by_key[rec["id"]] = g
        # one group per normalized name without identifiers, so the owner and its name are one
        by_norm: dict[str, _PersonGroup] = {}
        for g in groups.values():
            if g.record is not None and not _has_person_id(g.record):
                by_norm.setdefault(g.norm, g)
        for rec in records:
            if rec.get("type") != "Publication":
                continue
            work = work_iris[id(rec)]
            for author in rec.get("authors", []):
                if author.get("person") and author["person"] in by_key:
                    g = by_key[author["person"]]
                elif author.get("orcid"):
                    gid = f"orcid:{ids.orcid(author['orcid'])}"
                    g = groups.setdefault(
                        gid,
                        _PersonGroup(
                            source,
                            ids.normalize_name(author["name"]),
                            author["name"],
                            ids.person_iri(orcid_id=author["orcid"]),
                        ),
                    )
                else:
                    norm = ids.normalize_name(author["name"])
                    g = (
                        by_norm.get(norm)
                        or by_norm.get(_swapped(author["name"]))
                        or groups.setdefault(
                            f"name:{norm}",
                            _PersonGroup(
                                source,
                                norm,
                                author["name"],
                                ids.person_iri(name=author["name"], scope=source),
                            ),
                        )
                    )
                    if g.record is not None and not author.get("person"):
                        author["_person_iri"] = g.iri  # the same name within one source
                        g.authorships.append(author)
                        g.works.add(work)
                        continue
                g.authorships.append(author)
                g.works.add(work)
        for g in groups.values():
            named = [a for a in g.authorships if "_person_iri" in a]
            if named:
                printed = ids.person_iri(name=named[0]["name"], scope=source)
                self._merge(
                    "person",
                    g.iri,
                    printed,
                    "name-in-source",
                    f"{len(named)} authorship(s) printed as {g.name!r} in the same source "
                    "as the person record",
                    source,
                    g.name,
                )
        return list(groups.values())

    def person(self, g: _PersonGroup, graph: str) -> None:
        rec = g.record or {}
        target, rule, evidence = None, "", ""
        orcid = _clean_id(ids.orcid, rec.get("orcid")) or (
            g.iri.rsplit("/", 1)[1] if "/person/orcid/" in g.iri else None
        )
        for scheme, value in (
            ("orcid", orcid),
            ("dblp", rec.get("dblp")),
            ("openalex", _clean_id(ids.openalex_id, rec.get("openalex"))),
        ):
            found = self.person_by_id.get((scheme, value)) if value else None
            if found and self._usable(found, g.iri, graph, self.person_graphs):
                target, rule, evidence = found, scheme, f"same {scheme} {value}"
                break
        if target is None:
            target, rule, evidence = self._by_name(g, graph, orcid)
        resolved = g.iri
        if target is not None and target != g.iri:
            resolved = target
            self._merge("person", target, g.iri, rule, evidence, g.source, g.name)
            if g.record is not None:
                g.record["_iri"] = target
            for a in g.authorships:
                a["_person_iri"] = target
        g.resolved = resolved
        # later sources of the batch see this person
        if orcid:
            self.person_by_id.setdefault(("orcid", orcid), resolved)
            self.person_orcid.setdefault(resolved, orcid)
        for scheme in ("dblp", "openalex"):
            if rec.get(scheme):
                self.person_by_id.setdefault((scheme, rec[scheme]), resolved)
        anchored = g.record is not None or "/person/name/" not in resolved
        self._add_name(g.norm, resolved, anchored=anchored)
        self.person_names.setdefault(resolved, g.name)
        self.person_graphs[resolved].add(graph)
        self.batch_added.add(resolved)
        for w in g.works:
            self.work_authors[w].add(resolved)

    def _by_name(
        self, g: _PersonGroup, graph: str, orcid: str | None
    ) -> tuple[str | None, str, str]:
        candidates = sorted(self.person_by_name.get(g.norm, set()) - {g.iri})
        for iri in candidates:
            if not self._usable(iri, g.iri, graph, self.person_graphs):
                continue
            other_orcid = self.person_orcid.get(iri)
            if orcid and other_orcid and orcid != other_orcid:
                self._near(
                    "person",
                    (g.iri, iri),
                    "conflicting-orcid",
                    f"same name {g.name!r}, ORCIDs {orcid} and {other_orcid}",
                    g.source,
                    g.name,
                )
                continue
            shared = sorted(w for w in g.works if iri in self.work_authors.get(w, set()))
            if len(shared) >= self.min_shared:
                return (
                    iri,
                    "name+shared-works",
                    (
                        f"same normalized name {g.norm!r} and {len(shared)} shared works: "
                        + ", ".join(shared[:5])
                    ),
                )
            if self.aggressive:
                return iri, "name-aggressive", f"same normalized name {g.norm!r} (--aggressive)"
            self._near(
                "person",
                (g.iri, iri),
                "same-name",
                f"same normalized name {g.norm!r}, {len(shared)} shared work(s) "
                f"(needs {self.min_shared})",
                g.source,
                g.name,
            )
        self._similar(g, graph)
        return None, "", ""

    def _similar(self, g: _PersonGroup, graph: str) -> None:
        """Report people with a *similar* name (within two edits, or the same family name and
        initial) as ``similar-name`` near misses, bounded so that the report stays something a
        data steward reads:

        - a name with a digit ("External Author 123", "Group 7") is not a person name a typo
          produces: it is neither compared nor a candidate;
        - at least one side must be *anchored* (a Person record or an ORCID/DBLP/OpenAlex id):
          two names printed only in author lists carry no evidence either way, and comparing
          every co-author with every other is quadratic (1,122 "External Author N" names gave
          56,796 near misses for 500 publications);
        - at most :data:`SIMILAR_PER_NAME` candidates per name, the closest first; the evidence
          of those reported says how many more there were.
        """
        tokens = g.norm.split()
        if len(tokens) < 2 or _has_digit(g.norm):
            return
        anchored = g.record is not None or "/person/name/" not in g.iri
        blocks = self.all_names if anchored else self.anchored_names
        first, family = tokens[0], tokens[-1]
        # candidates share the family name or the first name ("Zajkac": a damaged family name)
        block = blocks.family.get(family, set()) | blocks.first.get(first, set())
        block.discard(g.norm)
        close: dict[str, tuple[int, str]] = {}
        # rapidfuzz's C loop over the block, keeping distances <= 2 (a Python loop over every
        # pair was the quadratic part: 10M triples have blocks of thousands of names)
        for norm, distance, _ in process.extract(
            g.norm, sorted(block), scorer=Levenshtein.distance, score_cutoff=2, limit=None
        ):
            close[norm] = (int(distance), f"{int(distance)} edit(s)")
        # "J. Smith" and "John Smith": an initial against a full given name, same family.
        initial = (family, first[:1])
        same = (
            blocks.initial.get(initial, set())
            if len(first) == 1
            else blocks.initialed.get(initial, set())
        )
        for norm in same - {g.norm}:
            close.setdefault(norm, (3, "same family name and initial"))
        found: list[tuple[int, str, str, str]] = []  # (distance, norm, iri, why)
        for norm, (distance, why) in close.items():
            for iri in self.person_by_name.get(norm, set()):
                if not anchored and iri not in self.anchored:
                    continue
                if self._usable(iri, g.iri, graph, self.person_graphs):
                    found.append((distance, norm, iri, why))
        found.sort()
        more = len(found) - SIMILAR_PER_NAME
        for _, norm, iri, why in found[:SIMILAR_PER_NAME]:
            extra = f"; {more} more similar name(s) not listed" if more > 0 else ""
            self._near(
                "person",
                (g.iri, iri),
                "similar-name",
                f"names {g.norm!r} and {norm!r}: {why}{extra}",
                g.source,
                g.name,
            )

    # -- organizations --

    def org(self, source: str, graph: str, rec: dict[str, Any]) -> None:
        ror = _clean_id(ids.ror, rec.get("ror"))
        if ror:
            return  # the ROR IRI is already shared
        existing = self.org_by_name.get(ids.normalize_name(rec["name"]))
        natural = ids.org_iri(name=rec["name"], key=rec.get("id"))
        if existing and existing != natural and "/org/ror/" in existing:
            rec["_iri"] = existing
            self._merge(
                "organization",
                existing,
                natural,
                "name",
                "same normalized name as an organization with a ROR id",
                source,
                rec["name"],
            )

    # -- bookkeeping --

    def _merge(
        self, kind: str, iri: str, merged: str, rule: str, evidence: str, source: str, label: str
    ) -> None:
        self.out.merges.append(Merge(kind, iri, merged, rule, evidence, (source,), label))

    def _near(
        self, kind: str, iris: tuple[str, str], rule: str, evidence: str, source: str, label: str
    ) -> None:
        miss = NearMiss(kind, iris, rule, evidence, (source,), label)
        if miss not in self._near_seen:  # a set: the list can grow large on big batches
            self._near_seen.add(miss)
            self.out.near_misses.append(miss)


_KINDS = {"Publication": "work", "Person": "person"}


def _kind_and_iri(rec: Mapping[str, Any], source: str) -> tuple[str, str]:
    return _KINDS.get(rec.get("type") or "", "organization"), ids.record_iri(rec, scope=source)


def _copy(value: Any) -> Any:
    """A deep copy of a record (dicts, lists and scalars, as decoded from JSON/YAML/CSV): a third
    of the time of :func:`copy.deepcopy`, which also tracks shared and cyclic references that
    records do not have.

    >>> rec = {"authors": [{"name": "A"}]}; dup = _copy(rec); dup["authors"][0]["name"] = "B"
    >>> rec["authors"][0]["name"]
    'A'
    """
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _swapped(name: str) -> str:
    """The normalized "First Last" form of a name printed "Last, First" ("" if it is not).

    >>> _swapped("Lovelace, Ada")
    'ada lovelace'
    """
    parts = [p.strip() for p in name.split(",")]
    if len(parts) != 2 or not all(parts):
        return ""
    return ids.normalize_name(f"{parts[1]} {parts[0]}")


def _has_person_id(rec: Mapping[str, Any]) -> bool:
    return any(rec.get(k) for k in ("orcid", "dblp", "openalex"))


_DIGIT = re.compile(r"\d")

#: At most this many ``similar-name`` near misses per name, the closest first (see ``_similar``).
SIMILAR_PER_NAME = 5


def _has_digit(text: str) -> bool:
    """True when ``text`` holds a digit: "External Author 12" is a placeholder, not a name a typo
    produces, so it takes no part in similar-name near misses.

    >>> _has_digit("external author 12"), _has_digit("ada lovelace")
    (True, False)
    """
    return _DIGIT.search(text) is not None


def resolve(
    batch: Iterable[tuple[str, list[dict[str, Any]]]],
    index: EntityIndex,
    *,
    aggressive: bool = False,
    min_shared_works: int = 1,
    on_source: Callable[[str, list[dict[str, Any]]], None] | None = None,
) -> Resolution:
    """Resolve a batch of sources against the store's :class:`EntityIndex` and against each other.

    ``batch`` is ``(source_key, records)`` per source, in load order (any iterable: a generator
    keeps one source in memory at a time). Returns annotated *copies*: a Person, Publication or
    Organization may get ``"_iri"`` and an author ``"_person_iri"``; records repeated exactly
    within one source are kept once (a ``duplicate-in-batch`` merge). With ``on_source``, each
    source's annotated records are handed to it as soon as the source is resolved and are not
    kept in :attr:`Resolution.batch` (streaming ingest); later sources still see earlier ones.

    >>> page = [{"type": "Person", "id": "p:ada", "name": "Ada Lovelace"},
    ...         {"type": "Publication", "title": "Notes", "authors": [{"name": "Ada Lovelace"}]}]
    >>> r = resolve([("page", page)], EntityIndex())
    >>> [m.rule for m in r.merges], "_person_iri" in r.records("page")[1]["authors"][0]
    (['name-in-source'], True)
    """
    resolver = _Resolver(index, aggressive=aggressive, min_shared_works=min_shared_works)
    out_batch: list[tuple[str, list[dict[str, Any]]]] = []
    for source, records in batch:
        graph = ids.graph_iri(source)
        kept: list[dict[str, Any]] = []
        seen: set[str] = set()
        for rec in records:
            fingerprint = json.dumps(rec, sort_keys=True, ensure_ascii=False)
            if fingerprint in seen:
                label = str(rec.get("title") or rec.get("name") or rec.get("type"))
                kind, iri = _kind_and_iri(rec, source)
                resolver._merge(
                    kind,
                    iri,
                    iri,
                    "duplicate-in-batch",
                    "the same record twice in one source: kept once",
                    source,
                    label,
                )
                continue
            seen.add(fingerprint)
            kept.append(_copy(rec))
        work_iris: dict[int, str] = {}
        for rec in kept:
            if rec.get("type") == "Publication":
                work_iris[id(rec)] = resolver.work(source, graph, rec)
            elif rec.get("type") == "Organization":
                resolver.org(source, graph, rec)
        for group in resolver.person_groups(source, kept, work_iris):
            resolver.person(group, graph)
        if on_source is not None:
            on_source(source, kept)
        else:
            out_batch.append((source, kept))
    resolver.out.batch = out_batch
    return resolver.out


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportItem:
    """One stored merge or near miss."""

    node: str
    type: str  #: "merge" or "near-miss"
    kind: str
    rule: str
    evidence: str
    entities: tuple[str, ...]
    label: str
    sources: tuple[str, ...]


@dataclass
class ResolutionReport:
    """Every merge and near miss in the store, for ``kg resolve --report``."""

    merges: list[ReportItem] = field(default_factory=list)
    near_misses: list[ReportItem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: {"merges": [...], "near_misses": [...], "counts": {...}}."""

        def item(i: ReportItem) -> dict[str, Any]:
            return {
                "kind": i.kind,
                "rule": i.rule,
                "evidence": i.evidence,
                "label": i.label,
                "entities": list(i.entities),
                "sources": list(i.sources),
                "node": i.node,
            }

        by_rule: dict[str, int] = defaultdict(int)
        for m in self.merges:
            by_rule[m.rule] += 1
        return {
            "merges": [item(m) for m in self.merges],
            "near_misses": [item(n) for n in self.near_misses],
            "counts": {
                "merges": len(self.merges),
                "near_misses": len(self.near_misses),
                "merges_by_rule": dict(sorted(by_rule.items())),
            },
        }

    def to_text(self) -> str:
        """A readable report, one block per merge / near miss."""
        out = [f"{len(self.merges)} merge(s), {len(self.near_misses)} near miss(es)"]
        for title, items in (
            ("Merges", self.merges),
            ("Near misses (not merged)", self.near_misses),
        ):
            if not items:
                continue
            out.append("")
            out.append(title + ":")
            for i in items:
                out.append(f"- {i.kind} {i.label!r} [{i.rule}]: {i.evidence}")
                if i.entities:
                    out.append("    " + "  <->  ".join(i.entities))
                if i.sources:
                    out.append("    from " + ", ".join(i.sources))
        return "\n".join(out)


def index_queries(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The queries for the entities the batch's ``records`` could match: the same identifiers,
    the same printed names, titles or organization names. :func:`load_index` then reads just
    those, so the cost of resolution grows with the batch, not with the store. Each query binds
    at most :data:`kg.terms.VALUES_CHUNK` terms per ``VALUES`` block (Oxigraph's join is slow
    past ~1,000), so a big batch asks several.

    >>> qs = index_queries([{"type": "Person", "name": "Ada", "orcid": "0000-0002-1825-0097"}])
    >>> len(qs), "<https://orcid.org/0000-0002-1825-0097>" in qs[0] and '"Ada"' in qs[0]
    (1, True)
    """
    from kg.mapping import literal

    pkeys: list[str] = []
    pnames: list[str] = []
    wdois: list[str] = []
    wkeys: list[str] = []
    wtitles: list[str] = []
    onames: list[str] = []
    okeys: list[str] = []

    def person_ids(rec: Mapping[str, Any]) -> None:
        orcid = _clean_id(ids.orcid, rec.get("orcid"))
        if orcid:
            pkeys.append(f"<https://orcid.org/{orcid}>")
        openalex = _clean_id(ids.openalex_id, rec.get("openalex"))
        if openalex:
            pkeys.append(f"<https://openalex.org/{openalex}>")

    for rec in records:
        rtype = rec.get("type")
        if rtype == "Person":
            person_ids(rec)
            pnames += [literal(n) for n in [rec["name"], *rec.get("alternate_names", ())]]
            for aff in rec.get("affiliations", ()):
                onames.append(literal(aff["name"]))
        elif rtype == "Publication":
            doi = _clean_id(ids.doi, rec.get("doi"))
            if doi:
                wdois.append(literal(doi))
            arxiv = _clean_id(ids.arxiv_id, rec.get("arxiv"))
            if arxiv:
                wkeys.append(f"<https://arxiv.org/abs/{arxiv}>")
            if rec.get("title"):
                wtitles.append(literal(rec["title"]))
            for author in rec.get("authors", ()):
                person_ids(author)
                pnames.append(literal(author["name"]))
        elif rtype == "Organization":
            onames.append(literal(rec["name"]))
            ror = _clean_id(ids.ror, rec.get("ror"))
            if ror:
                okeys.append(f"<https://ror.org/{ror}>")
    blocks = {
        name: list(values_chunks(sorted(set(terms))))
        for name, terms in (
            ("pkeys", pkeys),
            ("pnames", pnames),
            ("wdois", wdois),
            ("wkeys", wkeys),
            ("wtitles", wtitles),
            ("onames", onames),
            ("okeys", okeys),
        )
    }
    rounds = max(1, *(len(chunks) for chunks in blocks.values()))
    return [
        _CANDIDATES_QUERY.format(
            **{name: chunks[i] if i < len(chunks) else "" for name, chunks in blocks.items()}
        )
        for i in range(rounds)
    ]


#: Step 1 of a restricted index: the entities that share an identifier or a printed name/title
#: with the batch (index lookups, cheap).
_CANDIDATES_QUERY = """\
PREFIX schema: <https://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
SELECT DISTINCT ?kind ?entity WHERE {{
  {{ BIND("person" AS ?kind) {{ VALUES ?pkey {{ {pkeys} }} ?entity schema:sameAs ?pkey }}
    UNION {{ VALUES ?pname {{ {pnames} }} ?entity schema:name ?pname }} }}
  UNION {{ BIND("work" AS ?kind) {{ VALUES ?wdoi {{ {wdois} }} ?entity bibo:doi ?wdoi }}
    UNION {{ VALUES ?wkey {{ {wkeys} }} ?entity schema:sameAs ?wkey }}
    UNION {{ VALUES ?wtitle {{ {wtitles} }} ?entity schema:name ?wtitle }} }}
  UNION {{ BIND("org" AS ?kind) {{ VALUES ?oname {{ {onames} }} ?entity schema:name ?oname }}
    UNION {{ VALUES ?okey {{ {okeys} }} ?entity schema:sameAs ?okey }} }}
}}
"""


#: Step 2 of a restricted index, per kind: :data:`INDEX_QUERY`'s rows for the candidate entities
#: bound by ``VALUES``. Each attribute is its own branch of a ``UNION`` of inner joins, where
#: INDEX_QUERY has ``OPTIONAL``s: Oxigraph 0.5 evaluates an ``OPTIONAL`` by reading the whole
#: right-hand pattern (every ``schema:name`` of the store) instead of looking up the bound
#: entity, which made one block of 500 people cost 0.5 s of CPU at 1M triples; the ``UNION``
#: form takes 0.09 s. The rows differ in shape (an attribute a row, plus one bare row per
#: entity and graph) but :meth:`EntityIndex.from_rows` folds them into the same index.
_RESTRICTED = {
    "person": """\
PREFIX schema: <https://schema.org/>
SELECT ?kind ?entity ?graph ?name ?orcid ?dblp ?openalex WHERE {{
  VALUES ?entity {{ {iris} }}
  BIND("person" AS ?kind)
  GRAPH ?graph {{ ?entity a schema:Person .
    {{ }} UNION {{ ?entity schema:name ?name }} UNION {{ ?entity schema:sameAs ?same }} }}
"""
    + _PERSON_IDS.replace("{", "{{").replace("}", "}}")
    + "}}\n",
    "work": """\
PREFIX schema: <https://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <https://w3id.org/kg/vocab#>
SELECT ?kind ?entity ?graph ?title ?year ?doi ?arxiv ?author WHERE {{
  VALUES ?entity {{ {iris} }}
  BIND("work" AS ?kind)
  GRAPH ?graph {{ ?entity a schema:ScholarlyArticle .
    {{ }} UNION {{ ?entity schema:name ?title }} UNION {{ ?entity kg:year ?year }}
    UNION {{ ?entity bibo:doi ?doi }} UNION {{ ?entity schema:author ?author }}
    UNION {{ ?entity schema:sameAs ?wsame FILTER(STRSTARTS(STR(?wsame), "https://arxiv.org/abs/")) }} }}
  BIND(STRAFTER(STR(?wsame), "https://arxiv.org/abs/") AS ?arxiv)
}}
""",
    "org": """\
PREFIX schema: <https://schema.org/>
SELECT ?kind ?entity ?graph ?name ?ror WHERE {{
  VALUES ?entity {{ {iris} }}
  BIND("org" AS ?kind)
  GRAPH ?graph {{ ?entity a schema:Organization .
    {{ }} UNION {{ ?entity schema:name ?name }}
    UNION {{ ?entity schema:sameAs ?osame FILTER(STRSTARTS(STR(?osame), "https://ror.org/")) }} }}
  BIND(STRAFTER(STR(?osame), "https://ror.org/") AS ?ror)
}}
""",
}


def _restricted(candidates: list[dict[str, str | None]]) -> Iterator[str]:
    """Step 2: the :data:`_RESTRICTED` query of each kind for its candidate entities, at most
    :data:`kg.terms.VALUES_CHUNK` of them per query."""
    for kind, template in _RESTRICTED.items():
        iris = sorted({f"<{c['entity']}>" for c in candidates if c["kind"] == kind})
        for chunk in values_chunks(iris):
            yield template.format(iris=chunk)


PERSON_NAMES_QUERY = """\
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?name WHERE { ?person a schema:Person ; schema:name ?name }
"""


def known_names(store: Any) -> frozenset[str]:
    """Every person name the store holds: spellings that confirm ambiguous name repairs."""
    return frozenset(r["name"] for r in _select(store, PERSON_NAMES_QUERY) if r["name"])


def load_index(
    store: Any,
    records: Iterable[Mapping[str, Any]] | None = None,
    *,
    exclude: Iterable[str] = (),
) -> EntityIndex:
    """The :class:`EntityIndex` of what ``store`` (a :class:`kg.store.Store`) holds — only what
    ``records`` could match when they are given (:func:`index_queries`), else everything.

    Load graphs ``{source family}/{load id}`` are folded onto their family, the identity of a
    source that :func:`resolve` compares against. The families in ``exclude`` (the sources a
    batch replaces) are left out: what a source said last time must not steer how it is read
    this time, or ``--force`` of unchanged data would give another graph.
    """
    skip = set(exclude)
    if records is None:
        rows = _select(store, INDEX_QUERY)
    else:
        candidates = [row for q in index_queries(records) for row in _select(store, q)]
        rows = [row for q in _restricted(candidates) for row in _select(store, q)]
    for row in rows:
        if row.get("graph"):
            row["graph"] = ids.source_family(str(row["graph"]))
    if skip:
        rows = [row for row in rows if row.get("graph") not in skip]
    return EntityIndex.from_rows(rows)


def report(store: Any) -> ResolutionReport:
    """The merges and near misses recorded in ``store`` (``kg resolve --report``)."""
    return report_from_rows(_select(store, REPORT_QUERY))


def _select(store: Any, query: str) -> list[dict[str, str | None]]:
    from kg.store import SelectResult

    result = store.query(query)
    if not isinstance(result, SelectResult):  # pragma: no cover - both queries are SELECTs
        raise TypeError("expected SELECT results")
    return result.dicts()


def report_from_rows(rows: Iterable[Row]) -> ResolutionReport:
    """Build the report from :data:`REPORT_QUERY` rows (rows of one node are folded together).

    >>> rep = report_from_rows([{"node": "urn:g#merge-1", "type": KG + "Merge", "kind": "work",
    ...     "rule": "doi", "evidence": "same DOI 10.1/x", "entity": "urn:a", "other": "urn:b",
    ...     "label": "T", "source": "file:///a"}])
    >>> rep.to_json()["counts"]["merges"]
    1
    """
    nodes: dict[str, dict[str, Any]] = {}
    for row in rows:
        node = row.get("node")
        if not node:
            continue
        n = nodes.setdefault(node, {"row": row, "entities": [], "sources": []})
        for key in ("entity", "other"):
            value = row.get(key)
            if value and value not in n["entities"]:
                n["entities"].append(value)
        src = row.get("source")
        if src and src not in n["sources"]:
            n["sources"].append(src)
    report = ResolutionReport()
    for node, n in nodes.items():
        row = n["row"]
        is_merge = (row.get("type") or "").endswith("Merge")
        item = ReportItem(
            node=node,
            type="merge" if is_merge else "near-miss",
            kind=row.get("kind") or "",
            rule=row.get("rule") or "",
            evidence=row.get("evidence") or "",
            entities=tuple(n["entities"]),
            label=row.get("label") or "",
            sources=tuple(n["sources"]),
        )
        (report.merges if is_merge else report.near_misses).append(item)
    return report


_ = SCHEMA  # schema.org is the namespace the queries above use
