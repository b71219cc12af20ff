"""What the store holds, as ``kg stats``, ``kg sources``, ``kg remove`` and ``kg dump`` see it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from kg.errors import UsageError
from kg.store.core import (
    _COMMITTED,
    _HASHES_QUERY,
    _QUADS_QUERY,
    _STATS_QUERY,
    _TRIPLES_QUERY,
    SOURCE_BASE,
    SelectResult,
    Store,
    StoreStats,
    _family,
    _iri_ok,
    is_true,
    query_select,
)
from kg.terms import values_chunks
from kg.vocab import KG


def _count(store: Store, sparql: str) -> list[int]:
    res = query_select(store, sparql)
    row = res.rows[0] if res.rows else ()
    return [int(t.value) if t is not None else 0 for t in row]


def _scope(store: Store) -> list[str] | None:
    """kg's graphs where a server keeps graphs of its own (a remote store), else None (all)."""
    kg_graphs = getattr(store, "kg_graphs", None)
    return kg_graphs() if callable(kg_graphs) else None


def _scoped(sparql: str, graphs: list[str] | None, pattern: str) -> str:
    """``sparql`` with ``pattern`` read from ``graphs`` only (unchanged when ``graphs`` is None)."""
    if graphs is None:
        return sparql
    inner = pattern.removeprefix("GRAPH ?g { ").removesuffix(" }")
    values = " ".join(f"<{_iri_ok(g)}>" for g in graphs) or "<urn:kg:none>"
    head, _, tail = sparql.rpartition(pattern)
    return f"{head}VALUES ?g {{ {values} }} GRAPH ?g {{ {inner} }}{tail}"


def stats(store: Store) -> StoreStats:
    """Counts over the union of kg's graphs (``triples`` counts distinct triples); on a remote
    store a server's own graphs are left out.

    >>> from kg.store import EmbeddedStore
    >>> s = EmbeddedStore(None)
    >>> stats(s).triples
    0
    """
    scope = _scope(store)
    kinds = query_select(store, _scoped(_STATS_QUERY, scope, "?x a ?class ."))
    counts = {row["kind"]: int(row["n"] or 0) for row in kinds.dicts()}
    (triples,) = _count(store, _scoped(_TRIPLES_QUERY, scope, "?s ?p ?o"))
    quads, graphs = _count(store, _scoped(_QUADS_QUERY, scope, "GRAPH ?g { ?s ?p ?o }"))
    return StoreStats(
        triples=triples,
        quads=quads,
        people=counts.get("people", 0),
        organizations=counts.get("organizations", 0),
        publications=counts.get("publications", 0),
        graphs=graphs,
    )


def graph_hashes(store: Store) -> dict[str, str]:
    """The content hash of each source family's committed load (to skip unchanged sources)."""
    res = query_select(store, _HASHES_QUERY)
    return {
        g.value.rsplit("/", 1)[0]: h.value
        for g, h, c in res.rows
        if g is not None and h is not None and is_true(c)
    }


def dump_bytes(store: Store, fmt: str, *, graph: str | None = None) -> bytes:
    """The dump as bytes (small stores, tests)."""
    buf = io.BytesIO()
    store.dump(buf, fmt, graph=graph)
    return buf.getvalue()


# --- sources: what `kg sources` lists and `kg remove` drops ---------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """One source in the store: its committed load (PROV-O description, docs/mapping.md)."""

    #: the source's name: a file's path relative to the project root, ``--source-name``, a URL
    name: str
    #: its identity IRI (``prov:wasDerivedFrom``)
    key: str
    #: the committed load graph
    graph: str
    records: int
    triples: int
    #: ``prov:generatedAtTime`` of the load, ISO 8601
    loaded_at: str
    content_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "graph": self.graph,
            "records": self.records,
            "triples": self.triples,
            "loaded_at": self.loaded_at,
            "content_hash": self.content_hash,
        }


_SOURCES_QUERY = f"""SELECT ?g ?label ?from ?n ?t ?h WHERE {{ GRAPH ?g {{
  ?g <{KG}sourceLabel> ?label ; {_COMMITTED} true .
  OPTIONAL {{ ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?from }}
  OPTIONAL {{ ?g <{KG}recordsOut> ?n }}
  OPTIONAL {{ ?g <http://www.w3.org/ns/prov#generatedAtTime> ?t }}
  OPTIONAL {{ ?g <{KG}contentHash> ?h }}
}} }}"""


def sources(store: Store) -> list[SourceInfo]:
    """Every committed source load in the store, by name.

    >>> from kg.store import EmbeddedStore
    >>> s = EmbeddedStore(None)
    >>> sources(s)
    []
    """
    res = store.query(_SOURCES_QUERY)
    assert isinstance(res, SelectResult)
    rows = {r["g"]: r for r in res.dicts() if r["g"] and r["g"].startswith(SOURCE_BASE)}
    sizes: dict[str, int] = {}
    for values in values_chunks(f"<{g}>" for g in sorted(rows)):
        counted = store.query(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            " GROUP BY ?g"
        )
        assert isinstance(counted, SelectResult)
        sizes.update({r["g"]: int(r["n"] or 0) for r in counted.dicts() if r["g"]})
    out = [
        SourceInfo(
            name=r["label"] or "",
            key=r["from"] or "",
            graph=g,
            records=int(r["n"] or 0),
            triples=sizes.get(g, 0),
            loaded_at=r["t"] or "",
            content_hash=r["h"],
        )
        for g, r in rows.items()
    ]
    return sorted(out, key=lambda s: (s.name, s.graph))


def remove_source(store: Store, source: str) -> SourceInfo:
    """Drop one source from the store: every load graph of its family, in one SPARQL Update (one
    transaction on the embedded store, one request to an endpoint). ``source`` is its name, its
    key or a graph IRI, as :func:`sources` lists them. UsageError when nothing matches.

    >>> from kg.store import EmbeddedStore
    >>> s = EmbeddedStore(None)
    >>> remove_source(s, "people.json")
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: no source 'people.json' in the store (kg sources lists them)
    """
    found = [s for s in sources(store) if source in (s.name, s.key, s.graph, _family(s.graph))]
    if not found:
        raise UsageError(f"no source {source!r} in the store (kg sources lists them)")
    families = {_family(s.graph) for s in found}
    listed = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
    assert isinstance(listed, SelectResult)
    doomed = sorted(
        g for g in (r["g"] for r in listed.dicts()) if g and g.rsplit("/", 1)[0] in families
    )
    store.drop_graphs(doomed)
    return found[0]
