"""``make bench-full`` rows for a remote engine: kg on a real Virtuoso against kg on its embedded
store, in the same run (docs/endpoints.md).

- ``ingest-virtuoso``: the whole data set ingested (gate on) into a fresh Virtuoso on 127.0.0.1
  (Graph Store Protocol POSTs, one SPARQL Update commit) -- the "kg" side; the baseline side is
  the same ingest into a fresh on-disk embedded store. ratio = embedded seconds / Virtuoso
  seconds (below 1: Virtuoso is slower).
- ``queries-virtuoso``: three saved queries (:data:`QUERIES`) on a Virtuoso holding the
  prepared data set (loaded untimed, graph by graph) against the same queries on the prepared
  embedded store; the rows of the answers must agree as multisets. Their order is recorded
  (``order``), not compared: at 10k triples Virtuoso 7.2 returned the same rows as Oxigraph in
  a different order for all three (within equal counts, the rows were not in the order of the
  aggregated names and titles the ORDER BY names), which the suite's small data does not show.

Virtuoso is started per run with its database in the run's scratch folder and a result cap of
:data:`MAX_ROWS` (the default 10,000 would stop the gate's reads at 1M triples: kg refuses a
capped answer). The server class is the tests' (``tests/servers.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import partial
from typing import Any

from bench.workloads import (
    Context,
    Outcome,
    _answer_digest,
    _ingest_kg,
    _queries,
    _store,
    _timed,
    exact_repeats,
    ingest_digest,
    kg_select,
)

__all__ = ["QUERIES", "ingest_virtuoso", "queries_embedded", "queries_virtuoso"]

#: A person's publications, a person's co-authors, and a whole-store quality report.
QUERIES = ("person-publications", "person-coauthors", "quality-publications-missing-fields")
MAX_ROWS = 10_000_000
#: seconds per request (the default 60 s stopped a 1M ingest on a machine at load 5)
TIMEOUT = 1800.0


@contextmanager
def _virtuoso(ctx: Context) -> Iterator[str]:
    from tests.servers import VirtuosoServer, virtuoso_binary

    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError("virtuoso-t is not installed (make virtuoso-deps, as root)")
    folder = ctx.work / "virtuoso"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # ~1.3 GB of buffers and 4 GB of query memory: with the tests' 160 MB a 200k-line Graph
    # Store POST failed at 1M triples ("Low query memory limit, try to increase MaxQueryMem")
    server = VirtuosoServer(binary, folder, max_rows=MAX_ROWS, buffers=170_000, max_query_mem="4G")
    try:
        yield server.url
    finally:
        server.stop()


def ingest_virtuoso(ctx: Context) -> Outcome:
    """kg's default ingest (gate on) of the whole data set into a fresh Virtuoso."""
    from kg.ingest import ingest
    from kg.store import RemoteStore, stats

    # one GSP POST of 200k lines or the commit can take minutes on a loaded machine
    with _virtuoso(ctx) as url, closing(RemoteStore(url, timeout=TIMEOUT)) as store:
        seconds, report = _timed(lambda: ingest([str(ctx.records_dir)], store))
        triples = stats(store).triples
        digest: dict[str, Any] = {}
        if ctx.compare:
            rejected = ((r.source, r.number) for r in report.rejected)
            digest = ingest_digest(kg_select(store), rejected, exact_repeats(ctx.records_dir))
    return Outcome(seconds, triples, digest)


def ingest_embedded(ctx: Context) -> Outcome:
    """The same ingest into a fresh on-disk embedded store (the comparison side)."""
    from kg.store import EmbeddedStore, stats

    outcome = _ingest_kg(ctx, ctx.records_dir, validate=True)
    store = EmbeddedStore(ctx.work / "store")  # the triples stored, counted as on Virtuoso
    try:
        triples = stats(store).triples
    finally:
        store.close()
    return Outcome(outcome.seconds, triples, outcome.digest)


def _three(store: Any, ctx: Context) -> Outcome:
    from kg.queries import run_query

    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    order: dict[str, str | None] = {}
    for q, values, _ in _queries(_store(ctx)):  # parameters picked on the embedded store
        if q.name not in QUERIES:
            continue
        seconds, answer = _timed(partial(run_query, q, values, store=store))
        times[q.name] = seconds
        full = _answer_digest(q, answer, rdflib=False)
        order[q.name] = full.pop("order_sha256", None)
        digest[q.name] = full  # the multiset of rows
    return Outcome(
        sum(times.values()), len(times), {"per_query": digest, "times": times, "order": order}
    )


def queries_virtuoso(ctx: Context) -> Outcome:
    """The three saved queries on a Virtuoso holding the prepared data set (loaded untimed)."""
    import pyoxigraph as ox

    from kg.store import RemoteStore

    with _virtuoso(ctx) as url, closing(RemoteStore(url, timeout=TIMEOUT)) as store:
        graphs: dict[str, list[str]] = {}
        with (ctx.prepared / "all.nq").open("rb") as f:
            for quad in ox.parse(f, ox.RdfFormat.N_QUADS):
                if isinstance(quad.graph_name, ox.NamedNode):  # kg writes named graphs only
                    graphs.setdefault(quad.graph_name.value, []).append(f"{quad.triple} .")
        for graph, lines in graphs.items():
            for i in range(0, len(lines), 200_000):
                store._load(graph, ("\n".join(lines[i : i + 200_000]) + "\n").encode())
        del graphs
        return _three(store, ctx)


def queries_embedded(ctx: Context) -> Outcome:
    """The same three saved queries on the prepared embedded store."""
    store = _store(ctx)
    try:
        return _three(store, ctx)
    finally:
        store.close()
