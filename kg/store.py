"""Stage 3: where the graph lives. One interface, two backends.

- :class:`EmbeddedStore` (default): pyoxigraph's on-disk RocksDB store in a directory; no server.
- :class:`RemoteStore`: any SPARQL 1.1 endpoint — Query (https://www.w3.org/TR/sparql11-protocol/),
  Update (https://www.w3.org/TR/sparql11-update/) and the Graph Store Protocol
  (https://www.w3.org/TR/sparql11-http-rdf-update/).

Writes are atomic per batch without copying data. Each load of a source goes to a NEW named graph
``{source family}/{load id}``, filled with the fast bulk path; then ONE small SPARQL Update marks
every new graph of the batch ``kg:committed true`` — that transaction is the commit point — and
only then are the families' older loads dropped. A batch that fails before the commit point drops
its new graphs. After a crash, the next open repairs the store (:func:`recover`): uncommitted
graphs are dropped, and of each family only the newest committed load is kept. (Measured on this
machine at 92k triples: transactional ``load`` 3.4 s and ``MOVE`` 12 s versus ``bulk_load`` 1.2 s;
docs/architecture.md.) Queries see the union of all graphs as the default graph; that union does
not remove duplicates across graphs, so queries that count use DISTINCT.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
import requests.auth

from kg.endpoints import (
    DEFAULT_TIMEOUT,
    SERVERS,
    Endpoints,
    credentials_for,
    probe_graph,
    query_form,
    redact,
    server_kind,
)
from kg.errors import DataError, KgError, StoreError, StoreLockedError, UsageError
from kg.store_lock import LOCK_GRAPH, WriterLease
from kg.terms import VALUES_CHUNK, values_chunks
from kg.vocab import GRAPH_BASE, KG, PREFIXES, XSD

__all__ = [
    "DUMP_FORMATS",
    "VALUES_CHUNK",
    "AskResult",
    "EmbeddedStore",
    "EndpointTimeoutError",
    "Endpoints",
    "GraphResult",
    "LoadBatch",
    "QueryResult",
    "RemoteStore",
    "SelectResult",
    "SourceInfo",
    "Store",
    "StoreStats",
    "is_true",
    "load_graphs",
    "open_store",
    "query_graph",
    "query_select",
    "remove_source",
    "sources",
    "values_chunks",
]

SOURCE_BASE = GRAPH_BASE + "source/"
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


_DUMP_PREFIXES = {k: v for k, v in PREFIXES.items() if k != "kgid"}


def _serialize_union(triples: Iterable[ox.Triple], out: IO[bytes], fmt: str) -> None:
    ox.serialize(triples, out, DUMP_FORMATS[fmt], prefixes=_DUMP_PREFIXES if fmt == "ttl" else None)


def _open_read_only(path: Path, attempts: int = 5) -> ox.Store:
    """A read-only view of a store another process is writing to. RocksDB may delete a file
    the view's manifest names while the writer compacts ("Corruption: ... No such file"): then
    the manifest is read again."""
    for attempt in range(attempts):
        try:
            return ox.Store.read_only(str(path))
        except RuntimeError as exc:
            if attempt == attempts - 1 or "No such file" not in str(exc):
                raise StoreError(f"cannot open store {path}: {exc}") from None
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class EmbeddedStore:
    """pyoxigraph's persistent store in a directory (``None`` = in memory, for tests and docs).

    A second writer gets :class:`~kg.errors.StoreLockedError`. ``read_only=True`` opens without
    taking the write lock, so queries run while another process ingests; such a reader's queries
    see committed loads only (:meth:`visible_graphs`), never half an ingest.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None, *, read_only: bool = False, reader: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else None
        reader = reader or read_only
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                if not (Path(path) / "CURRENT").exists():
                    raise StoreError(f"no kg store at {path} (run `kg ingest` first)")
                try:  # writable when nobody writes, so that a crashed ingest gets repaired
                    self._store = ox.Store(str(path))
                    read_only = False
                except OSError:
                    self._store = _open_read_only(Path(path))
            else:
                self._store = ox.Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"store {path} is locked: another kg process is writing to it; "
                    "wait for it to finish or use another --store"
                ) from None
            raise StoreError(f"cannot open store {path}: {exc}") from None
        #: a reader (``read_only=True`` asked) sees committed loads only, even when it could
        #: open the store writable; a writer sees its own batch's uncommitted graphs (the gate
        #: reads them back)
        self.reader = reader
        if not read_only:
            recover(self)

    def visible_graphs(self) -> list[ox.NamedNode] | None:
        """The named graphs a reader's queries see: every graph but uncommitted and superseded
        source loads (an ingest in progress, or one between its commit and its drop of the
        old load). ``None`` for a writer: it sees the union of all graphs."""
        if not self.reader:
            return None
        committed = ox.NamedNode(KG + "committed")
        loads: dict[str, bool] = {}
        others: list[ox.NamedNode] = []
        for g in self._store.named_graphs():
            if not isinstance(g, ox.NamedNode):
                continue
            if g.value.startswith(SOURCE_BASE):
                marks = self._store.quads_for_pattern(g, committed, None, g)
                loads[g.value] = next(iter(marks), None) is not None
            else:
                others.append(g)
        hidden = set(_superseded(loads))
        return others + [ox.NamedNode(g) for g in sorted(loads) if g not in hidden]

    def query_options(self) -> dict[str, Any]:
        """The dataset options of pyoxigraph's ``Store.query`` for this store's queries."""
        visible = self.visible_graphs()
        if visible is None:
            return {"use_default_graph_as_union": True}
        return {"default_graph": visible, "named_graphs": visible}

    def query(self, sparql: str) -> QueryResult:
        try:
            return _to_result(self._store.query(sparql, **self.query_options()))
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from None

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update request (one transaction)."""
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise UsageError(f"SPARQL Update syntax error: {exc}") from None
        except RuntimeError as exc:  # e.g. "The graph <g> does not exist" (DROP without SILENT)
            raise StoreError(f"update failed: {exc}") from None
        except OSError as exc:
            raise StoreError(f"writing to store {self.path} failed: {exc}") from None

    def _load(self, graph: str, chunk: bytes) -> None:
        try:
            self._store.bulk_load(chunk, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        except SyntaxError as exc:
            raise DataError(f"invalid N-Triples for graph {graph}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"writing to store {self.path} failed: {exc}") from None

    def replace_graphs(self, graphs: Mapping[str, Iterable[str]]) -> None:
        _replace(self, graphs)

    def load_batch(self) -> LoadBatch:
        return LoadBatch(self)

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        update = _drop_update(graphs)
        if update:
            self._store.update(update)

    def dump(self, out: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        if fmt not in DUMP_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (expected {', '.join(DUMP_FORMATS)})")
        if graph is not None:
            node = ox.NamedNode(_iri_ok(graph))
            if not self._store.contains_named_graph(node):
                raise UsageError(f"no graph {graph} in the store")
            if fmt in _QUAD_FORMATS:
                quads = self._store.quads_for_pattern(None, None, None, node)
                ox.serialize(quads, out, DUMP_FORMATS[fmt])
            else:
                self._store.dump(out, DUMP_FORMATS[fmt], from_graph=node,
                                 prefixes=_DUMP_PREFIXES if fmt == "ttl" else None)  # fmt: skip
        elif fmt in _QUAD_FORMATS:
            self._store.dump(out, DUMP_FORMATS[fmt])
        else:
            res = query_graph(self, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            _serialize_union(res.triples, out, fmt)

    def close(self) -> None:
        # RocksDB's write-ahead log makes every committed write durable; dropping the handle
        # releases the lock.
        del self._store


class RemoteStore:
    """A SPARQL 1.1 endpoint: queries by the SPARQL 1.1 Protocol (§2.1), updates by §2.2, loads
    by the Graph Store Protocol (§5.5 POST). The service must expose the union of its named
    graphs as the default graph for queries (Oxigraph: ``serve --union-default-graph``; Fuseki:
    ``tdb2:unionDefaultGraph true``; GraphDB, QLever and Virtuoso do so by default); the first
    request checks that and the server's result cap (:meth:`check`, docs/endpoints.md).

    Answers are asked for by query form (SPARQL results for SELECT/ASK, N-Triples for
    CONSTRUCT/DESCRIBE) and checked; an answer a server cut at its result cap is an error, never
    a short answer. Credentials (Basic or Digest, as the server asks) come from
    ``KG_ENDPOINT_USER``/``KG_ENDPOINT_PASSWORD`` or ``~/.netrc`` and are never printed; the
    timeout (seconds per request) from ``timeout`` or ``KG_ENDPOINT_TIMEOUT``.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        gsp_endpoint: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        row_cap: int | None = None,
    ) -> None:
        if not re.match(r"^https?://", endpoint):
            raise UsageError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
        self._credentials = credentials_for(endpoint)
        #: the user name kg authenticates as, if any (the password is never kept in view)
        self.credentials_user = self._credentials.user if self._credentials else None
        endpoint = _without_userinfo(endpoint)
        self._overrides = (update_endpoint, gsp_endpoint)
        self.endpoints = Endpoints.derive(endpoint, update=update_endpoint, gsp=gsp_endpoint)
        self.server = self.endpoints.server
        self.timeout = timeout if timeout is not None else _env_timeout()
        #: the server's result cap (rows per answer) when known: learned by :meth:`check`
        self.result_cap: int | None = None
        #: rows a query may ask for (``LIMIT row_cap+1`` stays under the server's cap)
        self.row_cap: int | None = row_cap
        #: whether the default graph is the union of the named graphs (None: not known yet)
        self.union: bool | None = None
        #: lines per Graph Store POST: Virtuoso deadlocked on 200k-line POSTs at 1M triples
        self.chunk_lines = REMOTE_CHUNK_LINES
        self._checked = False
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = "kg (SPARQL client)"

    # -- HTTP ---------------------------------------------------------------------------------

    def _post(self, url: str, **kwargs: Any) -> requests.Response:
        resp = self._send(url, **kwargs)
        if resp.status_code == 401 and self._credentials and self._session.auth is None:
            challenge = resp.headers.get("WWW-Authenticate", "")
            user, password = self._credentials.user, self._credentials.password
            self._session.auth = (
                requests.auth.HTTPDigestAuth(user, password)
                if challenge.lower().startswith("digest")
                else requests.auth.HTTPBasicAuth(user, password)
            )
            resp = self._send(url, **kwargs)
        if resp.status_code == 401:
            raise StoreError(
                f"{redact(url)} refused the credentials (401)"
                if self._credentials
                else f"{redact(url)} asks for credentials (401): set KG_ENDPOINT_USER and "
                "KG_ENDPOINT_PASSWORD, or add the host to ~/.netrc"
            )
        if resp.status_code >= 400:
            detail = _detail(resp.text)
            if resp.status_code == 403 and url != self.endpoints.query:
                note = SERVERS.get(self.server, SERVERS["generic"])
                fix = note.gsp if url == self.endpoints.gsp else note.update
                raise StoreError(f"{redact(url)} refused to write (403 Forbidden): {fix}")
            if resp.status_code == 400 and url == self.endpoints.query:
                raise UsageError(f"endpoint rejected the query: {detail}")
            raise StoreError(f"{redact(url)} answered {resp.status_code} {resp.reason}: {detail}")
        return resp

    def _send(self, url: str, **kwargs: Any) -> requests.Response:
        for attempt in range(DEADLOCK_RETRIES + 1):
            resp = self._send_once(url, **kwargs)
            # SQLSTATE 40001: the server rolled the transaction back (Virtuoso: "SR172:
            # Transaction deadlocked"); the standard answer is to run it again
            if resp.status_code < 500 or "40001" not in resp.text[:2000]:
                return resp
            time.sleep(0.5 * (attempt + 1))
        return resp

    def _send_once(self, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.post(url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise EndpointTimeoutError(
                f"{redact(url)} did not answer within {self.timeout:g} s (timeout): raise "
                "KG_ENDPOINT_TIMEOUT, or narrow the request"
            ) from None
        except requests.RequestException as exc:
            raise StoreError(
                f"cannot reach SPARQL endpoint {redact(url)}: {type(exc).__name__}"
            ) from None

    # -- capabilities ---------------------------------------------------------------------------

    def check(self) -> None:
        """The checks at open (once per store): which server answers (its ``Server`` header;
        the URL conventions follow it unless overridden), its result cap (Virtuoso's
        ``ResultSetMaxRows`` and ``MaxSortedTopRows``), and -- when kg's graphs are there --
        that the default graph is their union. A missing union is a
        :class:`~kg.errors.UsageError` naming the server setting."""
        if self._checked:
            return
        self._checked = True
        resp = self._post(
            self.endpoints.query, data={"query": "ASK {}"}, headers={"Accept": _SELECT_ACCEPT}
        )
        kind = server_kind(resp.headers.get("Server", ""))
        if kind and kind != self.server:
            if self._overrides == (None, None):
                self.endpoints = Endpoints.derive(self.endpoints.query, server=kind)
            self.server = kind
        if self.server == "virtuoso":
            self.result_cap = self._virtuoso_setting("SPARQL", "ResultSetMaxRows")
            sorted_cap = self._virtuoso_setting("Parameters", "MaxSortedTopRows")
            if self.row_cap is None:
                self.row_cap = min(self.result_cap, sorted_cap) - 1
        found = query_select(self, _ANY_LOAD_QUERY).rows
        if found and found[0][0] is not None:
            g = found[0][0].value
            ask = self.query(f"ASK {{ <{g}> <{KG}sourceLabel> ?label }}")
            self._require_union(isinstance(ask, AskResult) and ask.value)

    def _require_union(self, union: bool) -> None:
        self.union = union
        if not union:
            note = SERVERS.get(self.server, SERVERS["generic"])
            raise UsageError(
                f"{redact(self.endpoints.query)} does not query the union of its named graphs, "
                f"so kg would read nothing there: {note.union}"
            )

    def _virtuoso_setting(self, section: str, key: str, default: int = 10_000) -> int:
        """A number from virtuoso.ini, read with Virtuoso's own functions (its default when unset)."""
        res = query_select(
            self,
            "SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), "
            f"'{section}', '{key}') AS ?v) WHERE {{ }}",
        )
        cell = res.rows[0][0] if res.rows else None
        text = cell.value.strip() if cell is not None else ""
        return int(text) if text.isdigit() and int(text) > 0 else default

    def before_write(self) -> None:
        """Before a batch writes to a store that holds none of kg's graphs yet: write a probe
        graph, ask the default graph for it, drop it -- so a server without the union default
        graph is refused before any data goes in (:meth:`check` decides it from the data)."""
        self.check()
        if self.union is not None:
            return
        graph = probe_graph()
        self.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{KG}sourceLabel> "probe" }} }}')
        try:
            ask = self.query(f"ASK {{ <{graph}> <{KG}sourceLabel> ?label }}")
        finally:
            self.update(f"DROP SILENT GRAPH <{graph}>")
        self._require_union(isinstance(ask, AskResult) and ask.value)

    # -- reading --------------------------------------------------------------------------------

    def query(self, sparql: str) -> QueryResult:
        """Run a query; the answer is asked for in the format of its form and checked."""
        self.check()
        form = query_form(sparql)
        graph_form = form in {"construct", "describe"}
        resp = self._post(
            self.endpoints.query,
            data={"query": sparql},
            headers={"Accept": _GRAPH_ACCEPT if graph_form else _SELECT_ACCEPT},
        )
        partial = resp.headers.get("X-SQL-State", "").strip()
        if partial:  # Virtuoso's "anytime" answer: what it had when its time limit struck
            raise StoreError(
                f"{redact(self.endpoints.query)} sent a partial answer ({partial}: its time limit "
                "struck); raise its MaxQueryExecutionTime or narrow the query"
            )
        capped = resp.headers.get("X-SPARQL-MaxRows", "").strip()
        if capped.isdigit():
            self.result_cap = int(capped)
            raise self._cap_error(int(capped))
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            result = _parse_answer(resp.content, ctype, form)
        except SyntaxError as exc:
            raise StoreError(
                f"{redact(self.endpoints.query)} sent a {ctype} answer that does not parse: "
                f"{str(exc).splitlines()[0][:200]}"
            ) from None
        if result is None:
            raise StoreError(
                f"{redact(self.endpoints.query)} answered a {form.upper()} query with "
                f"{ctype or 'no content type'}"
            )
        cap = self.result_cap
        if isinstance(result, GraphResult) and cap is not None and len(result.triples) >= cap:
            raise self._cap_error(cap)
        return result

    def _cap_error(self, cap: int) -> StoreError:
        note = SERVERS.get(self.server, SERVERS["generic"])
        return StoreError(
            f"{redact(self.endpoints.query)} cut the answer at {cap:,} rows (its result cap), "
            f"so it would be incomplete: {note.cap}"
        )

    def kg_graphs(self) -> list[str]:
        """kg's load graphs on the server (:func:`load_graphs`), so that stats and dumps never
        read a server's own graphs (Virtuoso keeps system graphs in its union)."""
        return load_graphs(self)

    # -- writing --------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update request (SPARQL 1.1 Protocol §2.2; one transaction on Oxigraph)."""
        self.check()
        self._post(self.endpoints.update, data={"update": sparql})

    def replace_graphs(self, graphs: Mapping[str, Iterable[str]]) -> None:
        _replace(self, graphs)

    def load_batch(self) -> LoadBatch:
        return LoadBatch(self)

    def writer_lease(self) -> WriterLease:
        """The writer lease a :class:`LoadBatch` takes on this endpoint (:mod:`kg.store_lock`)."""

        def connect() -> RemoteStore:  # the renewing thread's own connection
            e = self.endpoints
            return RemoteStore(e.query, update_endpoint=e.update, gsp_endpoint=e.gsp,
                               timeout=self.timeout)  # fmt: skip

        return WriterLease(self, connect=connect, where=f"endpoint {self.endpoints.query}")

    def _load(self, graph: str, chunk: bytes) -> None:
        """Add a chunk to a graph: Graph Store Protocol POST (§5.5; one transaction on Oxigraph),
        or INSERT DATA where the server has no Graph Store URL."""
        self.check()
        if self.endpoints.gsp:
            self._post(
                self.endpoints.gsp,
                params={"graph": graph},
                data=chunk,
                headers={"Content-Type": "application/n-triples"},
            )
        else:
            body = chunk.decode("utf-8")
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        update = _drop_update(graphs)
        if update:
            self.update(update)

    def dump(self, out: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Serialize kg's graphs (or one graph), read one graph at a time so that no answer
        comes near a server's result cap unless a single graph does (then the one-line cap
        error names the server setting)."""
        if fmt not in DUMP_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (expected {', '.join(DUMP_FORMATS)})")
        if graph is not None:
            ask = self.query(f"ASK {{ GRAPH <{_iri_ok(graph)}> {{ ?s ?p ?o }} }}")
            if not (isinstance(ask, AskResult) and ask.value):
                raise UsageError(f"no graph {graph} in the store")
        graphs = [graph] if graph is not None else self.kg_graphs()
        quads: list[ox.Quad] = []
        triples: set[ox.Triple] = set()
        for g in graphs:
            res = query_select(self, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
            node = ox.NamedNode(g)
            for s, p, o in res.rows:
                if fmt in _QUAD_FORMATS:
                    quads.append(ox.Quad(s, p, o, node))  # type: ignore[arg-type]
                else:
                    triples.add(ox.Triple(s, p, o))  # type: ignore[arg-type]
        if fmt in _QUAD_FORMATS:
            ox.serialize(quads, out, DUMP_FORMATS[fmt])
        else:
            _serialize_union(triples, out, fmt)

    def close(self) -> None:
        self._session.close()


#: Lines per Graph Store POST to a remote store (:data:`CHUNK_LINES` is the embedded store's).
REMOTE_CHUNK_LINES = 50_000
#: How often a write the server rolled back as a deadlock (SQLSTATE 40001) is sent again.
DEADLOCK_RETRIES = 3


class EndpointTimeoutError(StoreError):
    """A SPARQL endpoint did not answer within the store's timeout."""


_SELECT_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"
_JSON_TYPES = {"application/sparql-results+json", "application/json"}
_XML_TYPES = {"application/sparql-results+xml", "application/xml", "text/xml"}
_NT_TYPES = {"application/n-triples", "text/plain"}
_TTL_TYPES = {"text/turtle", "application/x-turtle"}
#: Virtuoso names its blank nodes ``nodeID://b123`` in SPARQL results: plain labels here.
_NODE_ID_JSON = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_NODE_ID_XML = re.compile(rb"(<bnode>)nodeID://")
_ANY_LOAD_QUERY = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g <{KG}sourceLabel> ?label }} }} LIMIT 1"
_KG_GRAPHS_QUERY = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{KG}sourceLabel> ?label }} }}"


def _parse_answer(body: bytes, ctype: str, form: str) -> QueryResult | None:
    """A server's answer parsed by its content type, or None when the type does not fit the
    query form. Virtuoso answers an ASK asked for SPARQL results with a one-cell SELECT: its
    value is read as a boolean, by value."""
    booleans = b"XMLSchema#boolean" in body
    if form in {"construct", "describe"}:
        if ctype in _NT_TYPES:
            triples = [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]
        elif ctype in _TTL_TYPES:
            triples = [q.triple for q in ox.parse(body, ox.RdfFormat.TURTLE)]
        else:
            return None
        if booleans:
            triples = [ox.Triple(t.subject, t.predicate, _canonical(t.object)) for t in triples]
        return GraphResult(triples)
    if ctype in _JSON_TYPES:
        parsed = ox.parse_query_results(_NODE_ID_JSON.sub(rb"\1", body), ox.QueryResultsFormat.JSON)
    elif ctype in _XML_TYPES:
        parsed = ox.parse_query_results(_NODE_ID_XML.sub(rb"\1", body), ox.QueryResultsFormat.XML)
    else:
        return None
    result = _to_result(parsed)
    if booleans and isinstance(result, SelectResult):
        rows = [tuple(_canonical(t) for t in row) for row in result.rows]
        result = SelectResult(result.variables, rows)
    if form == "ask" and isinstance(result, SelectResult):
        if len(result.rows) == 1 and len(result.variables) == 1:
            cell = result.rows[0][0]
            return AskResult(cell is not None and cell.value.strip() in {"1", "true"})
        return None
    if form == "select" and not isinstance(result, SelectResult):
        return None
    return result


_BOOLEAN = ox.NamedNode(XSD + "boolean")
_CANONICAL_BOOLEANS = {"1": "true", "0": "false"}


def _canonical(term: Any) -> Any:
    """An xsd:boolean in its canonical lexical form (``1`` -> ``true``, ``0`` -> ``false``;
    XML Schema 1.1 Part 2 §3.3.2.2): the same value, so answers compare equal on every engine.

    >>> _canonical(ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean"))).value
    'true'
    """
    if isinstance(term, ox.Literal) and term.datatype == _BOOLEAN:
        text = _CANONICAL_BOOLEANS.get(term.value.strip())
        if text is not None:
            return ox.Literal(text, datatype=_BOOLEAN)
    return term


def _detail(body: str) -> str:
    """The first line of text of an error answer (tags of an HTML page left out).

    >>> _detail("<!DOCTYPE HTML>\\n<html><body><h3>Error 500</h3> SR325: out of memory</body></html>")
    'Error 500 SR325: out of memory'
    """
    html = re.match(r"\s*<(!DOCTYPE|html)", body, flags=re.I) is not None
    text = re.sub(r"<!DOCTYPE[^>]*>|<head>.*?</head>|<[^>]+>", " ", body, flags=re.S | re.I)
    lines = [" ".join(line.split()) for line in (text if html else body).splitlines()]
    lines = [line for line in lines if line]
    return (" ".join(lines) if html else (lines[0] if lines else ""))[:300]


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def _env_timeout() -> float:
    text = os.environ.get("KG_ENDPOINT_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"KG_ENDPOINT_TIMEOUT must be a number of seconds, got {text!r}") from None
    if value <= 0:
        raise UsageError(f"KG_ENDPOINT_TIMEOUT must be positive, got {text!r}")
    return value


def open_store(
    *, store: str | os.PathLike[str] | None = None, endpoint: str | None = None,
    read_only: bool = False,
) -> EmbeddedStore | RemoteStore:  # fmt: skip
    """Open the embedded store at ``store`` (default ``$KG_STORE`` or ``./kg-store``), or the
    remote endpoint ``endpoint`` (default ``$KG_ENDPOINT``) when one is given."""
    endpoint = endpoint or os.environ.get("KG_ENDPOINT") or None
    if endpoint:
        remote = RemoteStore(
            endpoint,
            update_endpoint=os.environ.get("KG_UPDATE_ENDPOINT") or None,
            gsp_endpoint=os.environ.get("KG_GSP_ENDPOINT") or None,
        )
        try:
            remote.check()  # the capabilities, at open (docs/endpoints.md)
        except BaseException:
            remote.close()
            raise
        return remote
    path = store or os.environ.get("KG_STORE") or "kg-store"
    return EmbeddedStore(path, read_only=read_only)


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
