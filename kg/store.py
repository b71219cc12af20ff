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

import pyoxigraph as ox
import requests

from kg.errors import DataError, KgError, StoreError, StoreLockedError, UsageError
from kg.store_lock import LOCK_GRAPH, WriterLease
from kg.vocab import GRAPH_BASE, KG, PREFIXES

__all__ = [
    "DUMP_FORMATS",
    "VALUES_CHUNK",
    "AskResult",
    "EmbeddedStore",
    "GraphResult",
    "LoadBatch",
    "QueryResult",
    "RemoteStore",
    "SelectResult",
    "SourceInfo",
    "Store",
    "StoreStats",
    "open_store",
    "remove_source",
    "sources",
    "values_chunks",
]

SOURCE_BASE = GRAPH_BASE + "source/"
#: Lines per chunk when filling a graph (bounds memory on big loads).
CHUNK_LINES = 200_000
#: Terms per SPARQL ``VALUES`` block. Oxigraph 0.5 joins a block of up to ~1,000 terms by index
#: lookups, but past that it changes plan and rescans the pattern per term: on the 1M-triple
#: bench store ``VALUES ?e { 1,000 IRIs } GRAPH ?g { ?e a schema:Person }`` took 0.03 s of CPU,
#: 2,000 IRIs 1.97 s, 5,034 IRIs 6.3 s. Queries that bind many terms send them in blocks of this
#: size (which also keeps each request small for remote endpoints).
VALUES_CHUNK = 500
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
    f"SELECT ?g ?h WHERE {{ GRAPH ?g {{ ?g <{KG}contentHash> ?h ; {_COMMITTED} true }} }}"
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


def values_chunks(terms: Iterable[str], size: int = VALUES_CHUNK) -> Iterator[str]:
    """``terms`` (SPARQL term texts) joined by spaces, at most ``size`` per block: the bodies of
    ``VALUES`` blocks small enough for Oxigraph's index-lookup join (see :data:`VALUES_CHUNK`).
    No terms, no block.

    >>> list(values_chunks(["<a>", "<b>", "<c>"], size=2))
    ['<a> <b>', '<c>']
    """
    items = list(terms)
    for i in range(0, len(items), size):
        yield " ".join(items[i : i + size])


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
    res = backend.query(_GRAPHS_QUERY)
    assert isinstance(res, SelectResult)
    out: dict[str, bool] = {}
    for row in res.dicts():
        g = row["g"]
        if g and g.startswith(SOURCE_BASE):
            out[g] = out.get(g, False) or row["c"] == "true"
    return out


def _superseded(loads: Mapping[str, bool]) -> list[str]:
    """Uncommitted loads, and committed loads older than their family's newest."""
    newest: dict[str, str] = {}
    for g, committed in loads.items():
        if committed:
            fam = g.rsplit("/", 1)[0]
            newest[fam] = max(newest.get(fam, g), g)
    return sorted(g for g, c in loads.items() if not c or newest[g.rsplit("/", 1)[0]] != g)


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
        if isinstance(lines, list):
            for chunk in _chunks(lines):
                self._backend._load(graph, chunk)
            return len(lines)
        count = [0]

        def counted() -> Iterator[str]:
            for line in lines:
                count[0] += 1
                yield line

        for chunk in _chunks(counted()):
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
    res = store.query(sparql)
    assert isinstance(res, SelectResult)
    row = res.rows[0] if res.rows else ()
    return [int(t.value) if t is not None else 0 for t in row]


def stats(store: Store) -> StoreStats:
    """Counts over the union of all graphs (``triples`` counts distinct triples).

    >>> s = EmbeddedStore(None)
    >>> stats(s).triples
    0
    """
    kinds = store.query(_STATS_QUERY)
    assert isinstance(kinds, SelectResult)
    counts = {row["kind"]: int(row["n"] or 0) for row in kinds.dicts()}
    (triples,) = _count(store, _TRIPLES_QUERY)
    quads, graphs = _count(store, _QUADS_QUERY)
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
    res = store.query(_HASHES_QUERY)
    assert isinstance(res, SelectResult)
    return {r["g"].rsplit("/", 1)[0]: r["h"] for r in res.dicts() if r["g"] and r["h"]}


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
            res = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            assert isinstance(res, GraphResult)
            _serialize_union(res.triples, out, fmt)

    def close(self) -> None:
        # RocksDB's write-ahead log makes every committed write durable; dropping the handle
        # releases the lock.
        del self._store


@dataclass(frozen=True)
class Endpoints:
    """The three URLs of a SPARQL service. Derived from one URL when not given (Oxigraph:
    /query /update /store; Fuseki: /sparql /update /data)."""

    query: str
    update: str
    gsp: str | None

    @classmethod
    def derive(cls, url: str, *, update: str | None = None, gsp: str | None = None) -> Endpoints:
        """
        >>> Endpoints.derive("http://127.0.0.1:7878/query")
        Endpoints(query='http://127.0.0.1:7878/query', update='http://127.0.0.1:7878/update', gsp='http://127.0.0.1:7878/store')
        >>> Endpoints.derive("http://h/ds/sparql").gsp
        'http://h/ds/data'
        """
        base = url.rstrip("/")
        if base.endswith("/query"):
            root = base[: -len("/query")]
            return cls(base, update or root + "/update", gsp or root + "/store")
        if base.endswith("/sparql"):
            root = base[: -len("/sparql")]
            return cls(base, update or root + "/update", gsp or root + "/data")
        if not base.endswith(("/update", "/store")) and "/" not in base.split("//", 1)[-1]:
            return cls(base + "/query", update or base + "/update", gsp or base + "/store")
        return cls(base, update or base, gsp)


class RemoteStore:
    """A SPARQL 1.1 endpoint. The service must expose the union of its named graphs as the
    default graph for queries (Oxigraph: ``serve --union-default-graph``; Fuseki:
    ``tdb2:unionDefaultGraph true``; GraphDB and Virtuoso do so by default)."""

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        gsp_endpoint: str | None = None,
        timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        if not re.match(r"^https?://", endpoint):
            raise UsageError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
        self.endpoints = Endpoints.derive(endpoint, update=update_endpoint, gsp=gsp_endpoint)
        self.timeout = timeout
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = "kg (SPARQL client)"

    def _post(self, url: str, **kwargs: Any) -> requests.Response:
        try:
            resp = self._session.post(url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach SPARQL endpoint {url}: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            detail = resp.text.strip().splitlines()[0][:300] if resp.text.strip() else ""
            if resp.status_code == 400 and "update" not in url:
                raise UsageError(f"endpoint rejected the query: {detail}")
            raise StoreError(f"{url} answered {resp.status_code} {resp.reason}: {detail}")
        return resp

    def query(self, sparql: str) -> QueryResult:
        resp = self._post(
            self.endpoints.query,
            data={"query": sparql},
            headers={"Accept": "application/sparql-results+json, application/n-triples;q=0.9"},
        )
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype in {"application/sparql-results+json", "application/json"}:
            parsed = ox.parse_query_results(resp.content, ox.QueryResultsFormat.JSON)
            return _to_result(parsed)
        if ctype in {"application/n-triples", "text/plain"}:
            return GraphResult([q.triple for q in ox.parse(resp.content, ox.RdfFormat.N_TRIPLES)])
        raise StoreError(f"{self.endpoints.query} answered with unexpected type {ctype!r}")

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update request (one transaction on Oxigraph)."""
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
        """Add a chunk to a graph: Graph Store Protocol POST (one transaction on Oxigraph)."""
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
        if fmt not in DUMP_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (expected {', '.join(DUMP_FORMATS)})")
        if fmt in _QUAD_FORMATS:
            where = f"VALUES ?g {{ <{_iri_ok(graph)}> }}" if graph else ""
            res = self.query(f"SELECT ?s ?p ?o ?g WHERE {{ {where} GRAPH ?g {{ ?s ?p ?o }} }}")
            assert isinstance(res, SelectResult)
            quads = [ox.Quad(s, p, o, g) for s, p, o, g in res.rows]  # type: ignore[arg-type]
            ox.serialize(quads, out, DUMP_FORMATS[fmt])
            return
        pattern = f"GRAPH <{_iri_ok(graph)}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        res = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}")
        assert isinstance(res, GraphResult)
        _serialize_union(res.triples, out, fmt)

    def close(self) -> None:
        self._session.close()


def open_store(
    *, store: str | os.PathLike[str] | None = None, endpoint: str | None = None,
    read_only: bool = False,
) -> EmbeddedStore | RemoteStore:  # fmt: skip
    """Open the embedded store at ``store`` (default ``$KG_STORE`` or ``./kg-store``), or the
    remote endpoint ``endpoint`` (default ``$KG_ENDPOINT``) when one is given."""
    endpoint = endpoint or os.environ.get("KG_ENDPOINT") or None
    if endpoint:
        return RemoteStore(
            endpoint,
            update_endpoint=os.environ.get("KG_UPDATE_ENDPOINT") or None,
            gsp_endpoint=os.environ.get("KG_GSP_ENDPOINT") or None,
        )
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
