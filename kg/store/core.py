"""The store's shared core: answers, the :class:`Store` Protocol, and the atomic load batch
(:class:`LoadBatch`, :func:`recover`) that both backends write through (the commit protocol is
:mod:`kg.store`'s docstring)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from kg.errors import KgError, StoreError, UsageError
from kg.vocab import GRAPH_BASE, KG, PREFIXES, XSD

if TYPE_CHECKING:
    from kg.store_lock import WriterLease

SOURCE_BASE = GRAPH_BASE + "source/"
#: The graph holding a remote writer's lease (:mod:`kg.store_lock`; never a source load graph,
#: so recovery leaves it alone).
LOCK_GRAPH = GRAPH_BASE + "lock"
#: Lines per chunk when filling a graph (bounds memory on big loads).
CHUNK_LINES = 200_000
_COMMITTED = f"<{KG}committed>"
_GRAPHS_QUERY = f"""SELECT DISTINCT ?g ?c WHERE {{
  GRAPH ?g {{ ?g <{KG}sourceLabel> ?label OPTIONAL {{ ?g {_COMMITTED} ?c }} }}
}}"""

DUMP_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
_QUAD_FORMATS = {"nq", "trig", "jsonld"}

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class SelectResult:
    """Rows of a SELECT query: ``variables`` and one tuple of terms (or None) per row."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]]

    def dicts(self) -> list[dict[str, str | None]]:
        """Rows as {variable: lexical value or None}."""
        return [
            {
                v: (t.value if t is not None else None)
                for v, t in zip(self.variables, row, strict=True)
            }
            for row in self.rows
        ]


@dataclass(frozen=True)
class GraphResult:
    """Triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[ox.Triple]


@dataclass(frozen=True)
class AskResult:
    """The answer of an ASK query."""

    value: bool


QueryResult = SelectResult | GraphResult | AskResult


@dataclass(frozen=True)
class StoreStats:
    """What ``kg stats`` prints: counts over the union of all graphs."""

    triples: int
    quads: int
    people: int
    organizations: int
    publications: int
    graphs: int

    def as_dict(self) -> dict[str, int]:
        return {
            "triples": self.triples,
            "quads": self.quads,
            "people": self.people,
            "organizations": self.organizations,
            "publications": self.publications,
            "graphs": self.graphs,
        }


_STATS_QUERY = """
PREFIX schema: <https://schema.org/>
SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES (?kind ?class) {
    ("people" schema:Person) ("organizations" schema:Organization)
    ("publications" schema:ScholarlyArticle)
  }
  ?x a ?class .
} GROUP BY ?kind
"""
# a remote writer's lease (kg.store_lock) is not data
_TRIPLES_QUERY = (
    "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o "
    f"FILTER(?s != <{LOCK_GRAPH}>) }} }}"
)
_QUADS_QUERY = (
    "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?g_n) WHERE { GRAPH ?g { ?s ?p ?o } "
    f"FILTER(?g != <{LOCK_GRAPH}>) }}"
)
_HASHES_QUERY = (
    f"SELECT ?g ?h ?c WHERE {{ GRAPH ?g {{ ?g <{KG}contentHash> ?h ; {_COMMITTED} ?c }} }}"
)


class Store(Protocol):
    """What every backend offers. Open one with :func:`open_store`."""

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL 1.1 query over the union of all graphs."""
        ...

    def replace_graphs(self, graphs: Mapping[str, Iterable[str]]) -> None:
        """Commit new source loads atomically (see the module docstring).

        Each key is a load graph ``{family}/{load id}`` (:func:`kg.ids.load_graph_iri`) and its
        value the graph's N-Triples lines; the families' older loads are replaced.
        """
        ...

    def load_batch(self) -> LoadBatch:
        """Start an atomic batch of source loads written one graph at a time (:class:`LoadBatch`)."""
        ...

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        """Remove the given named graphs."""
        ...

    def dump(self, out: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Serialize the store (or one graph) in one of :data:`DUMP_FORMATS`."""
        ...

    def close(self) -> None:
        """Release the store (locks, connections)."""
        ...


def _iri_ok(iri: str) -> str:
    if not re.fullmatch(r"[^\s<>\"{}|\\^`]+", iri):
        raise UsageError(f"not a valid IRI: {iri!r}")
    return iri


def _chunks(lines: Iterable[str], size: int = CHUNK_LINES) -> Iterator[bytes]:
    if isinstance(lines, list):  # slices, not one append per line
        for i in range(0, len(lines), size):
            yield ("\n".join(lines[i : i + size]) + "\n").encode("utf-8")
        return
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= size:
            yield ("\n".join(buf) + "\n").encode("utf-8")
            buf = []
    if buf:
        yield ("\n".join(buf) + "\n").encode("utf-8")


def _family(graph: str) -> str:
    if not graph.startswith(SOURCE_BASE) or graph.count("/") != SOURCE_BASE.count("/") + 1:
        raise UsageError(
            f"not a kg load graph IRI: {graph} (expected {SOURCE_BASE}<family>/<load>)"
        )
    return graph.rsplit("/", 1)[0]


def _commit_update(graphs: Iterable[str]) -> str:
    body = " ".join(f"GRAPH <{g}> {{ <{g}> {_COMMITTED} true }}" for g in graphs)
    return f"INSERT DATA {{ {body} }}"


class _Backend(Protocol):
    def query(self, sparql: str) -> QueryResult: ...
    def update(self, sparql: str) -> None: ...
    def _load(self, graph: str, chunk: bytes) -> None: ...


def _loads(backend: _Backend) -> dict[str, bool]:
    """Every source load graph in the store and whether it is committed."""
    res = query_select(backend, _GRAPHS_QUERY)
    out: dict[str, bool] = {}
    for g_term, c_term in res.rows:
        g = g_term.value if g_term is not None else ""
        if g.startswith(SOURCE_BASE):
            out[g] = out.get(g, False) or is_true(c_term)
    return out


def is_true(term: Term | None) -> bool:
    """Whether ``term`` is the xsd:boolean true, compared by value: ``true`` and ``1`` are the
    two lexical forms of true (XML Schema 1.1 Part 2 §3.3.2; Virtuoso writes ``1``).

    >>> is_true(ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
    True
    >>> is_true(ox.Literal("false", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))
    False
    """
    if not isinstance(term, ox.Literal):
        return False
    return term.datatype.value == XSD + "boolean" and term.value.strip() in {"true", "1"}


def query_select(store: Any, sparql: str) -> SelectResult:
    """Run a SELECT on ``store`` and return its rows; any other answer is a
    :class:`~kg.errors.StoreError` (a server's answer is checked, never asserted)."""
    res = store.query(sparql)
    if not isinstance(res, SelectResult):
        raise StoreError(f"the store answered a SELECT with {type(res).__name__}")
    return res


def query_graph(store: Any, sparql: str) -> GraphResult:
    """Run a CONSTRUCT or DESCRIBE on ``store`` and return its triples (checked like
    :func:`query_select`)."""
    res = store.query(sparql)
    if not isinstance(res, GraphResult):
        raise StoreError(f"the store answered a CONSTRUCT with {type(res).__name__}")
    return res


def _superseded(loads: Mapping[str, bool]) -> list[str]:
    """Uncommitted loads, and committed loads older than their family's newest."""
    newest: dict[str, str] = {}
    for g, committed in loads.items():
        if committed:
            fam = g.rsplit("/", 1)[0]
            newest[fam] = max(newest.get(fam, g), g)
    return sorted(g for g, c in loads.items() if not c or newest[g.rsplit("/", 1)[0]] != g)


def load_graphs(store: Any) -> list[str]:
    """kg's load graphs, committed or not: each names its source inside itself (its first
    chunk holds the PROV-O lines, :func:`kg.mapping.provenance_lines`). Portable where
    ``GRAPH ?g { }`` is not (Virtuoso answers it with no graphs).

    >>> from kg.store import EmbeddedStore
    >>> load_graphs(EmbeddedStore(None))
    []
    """
    res = query_select(store, _KG_GRAPHS_QUERY)
    return sorted({row[0].value for row in res.rows if row[0] is not None})


def recover(backend: _Backend) -> list[str]:
    """Repair after a crash: drop uncommitted and superseded loads. Returns what was dropped."""
    doomed = _superseded(_loads(backend))
    if doomed:
        backend.update(_drop_update(doomed))
    return doomed


class LoadBatch:
    """One atomic batch of source loads, written one graph at a time (see the module docstring).

    Opening repairs the store (:func:`recover`). :meth:`add` fills a new load graph
    ``{family}/{load id}`` with the bulk path, in chunks of :data:`CHUNK_LINES` lines, so a
    caller can stream source after source and never hold the whole batch; :meth:`commit` is the
    commit point (ONE SPARQL Update marks every added graph ``kg:committed true``) and then drops
    the families' older loads; :meth:`abort` drops what was added. Until the commit, a crash
    leaves only uncommitted graphs, which the next open drops. Use it as a context manager: an
    exception before :meth:`commit` aborts.

    >>> from kg.store import EmbeddedStore, stats
    >>> s = EmbeddedStore(None)
    >>> with LoadBatch(s) as batch:
    ...     batch.add("https://w3id.org/kg/graph/source/abc/1", ["<urn:a> <urn:p> <urn:b> ."])
    ...     batch.commit()
    1
    >>> stats(s).quads
    2
    """

    def __init__(self, backend: _Backend) -> None:
        self._backend = backend
        self.graphs: list[str] = []
        self._families: set[str] = set()
        self.committed = False
        # a remote store has no process lock: take its writer lease first (kg.store_lock), so
        # recover() drops only loads whose writer's lease ran out, never a live writer's
        lease = getattr(backend, "writer_lease", None)
        self._lease: WriterLease | None = lease() if callable(lease) else None
        if self._lease is not None:
            self._lease.acquire()
        try:
            before_write = getattr(backend, "before_write", None)
            if callable(before_write):
                before_write()  # a remote store checks that it can be read back (RemoteStore)
            recover(backend)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    def add(self, graph: str, lines: Iterable[str]) -> int:
        """Load N-Triples ``lines`` into the new load graph ``graph``; returns how many lines."""
        if self.committed:
            raise UsageError("this batch is committed; open a new LoadBatch")
        family = _family(graph)
        if family in self._families:
            raise UsageError("one batch can hold only one load per source")
        self._families.add(family)
        self.graphs.append(graph)
        size = getattr(self._backend, "chunk_lines", CHUNK_LINES)
        if isinstance(lines, list):
            for chunk in _chunks(lines, size):
                self._backend._load(graph, chunk)
            return len(lines)
        count = [0]

        def counted() -> Iterator[str]:
            for line in lines:
                count[0] += 1
                yield line

        for chunk in _chunks(counted(), size):
            self._backend._load(graph, chunk)
        return count[0]

    def commit(self) -> None:
        """The commit point, then the families' superseded loads are dropped."""
        if self.graphs and self._lease is not None:
            body = " ".join(f"GRAPH <{g}> {{ <{g}> {_COMMITTED} true }}" for g in self.graphs)
            self._backend.update(self._lease.commit_update(body))  # one transaction, if held
            self._lease.check_committed(self.graphs[0])
        elif self.graphs:
            self._backend.update(_commit_update(self.graphs))  # one transaction
        self.committed = True
        old = [g for g in _loads(self._backend) if _family(g) in self._families]
        old = [g for g in old if g not in self.graphs]
        if old:
            self._backend.update(_drop_update(old))
        self._release()

    def abort(self) -> None:
        """Drop every graph added so far (best effort: recovery drops them otherwise)."""
        if self.graphs and not self.committed:
            with contextlib.suppress(KgError, OSError):
                self._backend.update(_drop_update(self.graphs))
        self.graphs = []
        self._release()

    def __enter__(self) -> LoadBatch:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if not self.committed:
            self.abort()
        self._release()


def _replace(backend: _Backend, graphs: Mapping[str, Iterable[str]]) -> None:
    with LoadBatch(backend) as batch:  # refuses a second load of one source, aborts on error
        for graph, lines in graphs.items():
            batch.add(graph, lines)
        batch.commit()


def _drop_update(graphs: Iterable[str]) -> str:
    return " ;\n".join(f"DROP SILENT GRAPH <{_iri_ok(g)}>" for g in graphs)


def _select_rows(result: Any) -> SelectResult:
    variables = [v.value for v in result.variables]
    rows = [tuple(sol[v] for v in variables) for sol in result]
    return SelectResult(variables, rows)


def _to_result(result: Any) -> QueryResult:
    if isinstance(result, ox.QuerySolutions):
        return _select_rows(result)
    if isinstance(result, ox.QueryBoolean):
        return AskResult(bool(result))
    return GraphResult(list(result))


_KG_GRAPHS_QUERY = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{KG}sourceLabel> ?label }} }}"

_DUMP_PREFIXES = {k: v for k, v in PREFIXES.items() if k != "kgid"}


def _serialize_union(triples: Iterable[ox.Triple], out: IO[bytes], fmt: str) -> None:
    ox.serialize(triples, out, DUMP_FORMATS[fmt], prefixes=_DUMP_PREFIXES if fmt == "ttl" else None)
