"""The index of what the store already holds, read with one query (or a few restricted
ones), that :func:`kg.resolve.resolve` matches a batch against; and the names the store knows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kg import ids
from kg.terms import values_chunks
from kg.vocab import SCHEMA

__all__ = [
    "INDEX_QUERY",
    "EntityIndex",
    "IndexedOrg",
    "IndexedPerson",
    "IndexedWork",
    "index_queries",
    "known_names",
    "load_index",
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
                p.orcid = p.orcid or clean_id(ids.orcid, row.get("orcid"))
                p.dblp = p.dblp or row.get("dblp") or None
                p.openalex = p.openalex or clean_id(ids.openalex_id, row.get("openalex"))
                _add(p.graphs, graph)
            elif kind == "work":
                w = index.works.setdefault(iri, IndexedWork(iri))
                _add(w.titles, row.get("title"))
                w.year = w.year or ids.year_of(row.get("year"))
                w.doi = w.doi or clean_id(ids.doi, row.get("doi"))
                w.arxiv = w.arxiv or clean_id(ids.arxiv_id, row.get("arxiv"))
                _add(w.authors, row.get("author"))
                _add(w.graphs, graph)
            elif kind == "org":
                o = index.orgs.setdefault(iri, IndexedOrg(iri))
                _add(o.names, row.get("name"))
                o.ror = o.ror or clean_id(ids.ror, row.get("ror"))
                _add(o.graphs, graph)
        return index

    def names(self) -> set[str]:
        """Every person name the store knows: spellings that confirm ambiguous name repairs."""
        return {n for p in self.persons.values() for n in p.names}


def _add(target: set[str], value: str | None) -> None:
    if value:
        target.add(value)


def clean_id(parse: Any, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(parse(value))
    except ValueError:
        return None


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
        orcid = clean_id(ids.orcid, rec.get("orcid"))
        if orcid:
            pkeys.append(f"<https://orcid.org/{orcid}>")
        openalex = clean_id(ids.openalex_id, rec.get("openalex"))
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
            doi = clean_id(ids.doi, rec.get("doi"))
            if doi:
                wdois.append(literal(doi))
            arxiv = clean_id(ids.arxiv_id, rec.get("arxiv"))
            if arxiv:
                wkeys.append(f"<https://arxiv.org/abs/{arxiv}>")
            if rec.get("title"):
                wtitles.append(literal(rec["title"]))
            for author in rec.get("authors", ()):
                person_ids(author)
                pnames.append(literal(author["name"]))
        elif rtype == "Organization":
            onames.append(literal(rec["name"]))
            ror = clean_id(ids.ror, rec.get("ror"))
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
    return frozenset(r["name"] for r in select_rows(store, PERSON_NAMES_QUERY) if r["name"])


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
        rows = select_rows(store, INDEX_QUERY)
    else:
        candidates = [row for q in index_queries(records) for row in select_rows(store, q)]
        rows = [row for q in _restricted(candidates) for row in select_rows(store, q)]
    for row in rows:
        if row.get("graph"):
            row["graph"] = ids.source_family(str(row["graph"]))
    if skip:
        rows = [row for row in rows if row.get("graph") not in skip]
    return EntityIndex.from_rows(rows)


def select_rows(store: Any, query: str) -> list[dict[str, str | None]]:
    from kg.store import SelectResult

    result = store.query(query)
    if not isinstance(result, SelectResult):  # pragma: no cover - both queries are SELECTs
        raise TypeError("expected SELECT results")
    return result.dicts()


_ = SCHEMA  # schema.org is the namespace the queries above use
