"""The embedded backend: pyoxigraph's on-disk RocksDB store in a directory; no server."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import DataError, StoreError, StoreLockedError, UsageError
from kg.store.core import (
    _DUMP_PREFIXES,
    _QUAD_FORMATS,
    DUMP_FORMATS,
    SOURCE_BASE,
    LoadBatch,
    QueryResult,
    _drop_update,
    _iri_ok,
    _replace,
    _serialize_union,
    _superseded,
    _to_result,
    query_graph,
    recover,
)
from kg.vocab import KG


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
