"""The writer lock of a remote store: a lease kept in a graph of the endpoint itself.

An embedded store has a process lock (RocksDB's); a SPARQL endpoint has none, and two
``kg ingest`` runs on one endpoint lost data: every ingest starts with :func:`kg.store.recover`,
which drops uncommitted load graphs, including the one another writer was still filling (the
first writer reported 8,000/8,000 loaded with 2,432 publications missing).

So a remote writer first takes a **lease**: the graph :data:`LOCK_GRAPH` holds one holder token
and an expiry time. Taking or renewing it is one SPARQL Update that changes the graph only if it
still holds what the writer read (compare-and-swap: one transaction on Oxigraph), read back to
see who won. While the batch runs a thread renews the lease every third of its length; the
commit is conditional on still holding it (``INSERT { marks } WHERE { lock held by me }``, then
checked), and the lease is released at the end. A second writer waits up to ``KG_LOCK_WAIT_S``
(default 60) seconds for the lease, then refuses with one line. Only a writer holding the lease
runs ``recover()``, so the uncommitted graphs it drops belong to writers whose lease ran out
(crashed or stalled past it): a stalled writer then finds its lease gone and its commit refused,
and says so.

Writers compare expiry times with their own clocks: hosts writing to one endpoint need clocks
that agree to well within the lease (``KG_LOCK_LEASE_S``, default 60 s).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kg.errors import StoreError, StoreLockedError, UsageError
from kg.store.core import LOCK_GRAPH, AskResult, SelectResult
from kg.vocab import KG

__all__ = ["LOCK_GRAPH", "WriterLease", "lease_settings"]

_HOLDER = f"<{KG}lockHolder>"
_EXPIRES = f"<{KG}lockExpires>"
_DT = "<http://www.w3.org/2001/XMLSchema#dateTime>"


class _Endpoint(Protocol):
    def query(self, sparql: str) -> object: ...
    def update(self, sparql: str) -> None: ...


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 and value < 86_400 * 365):
        raise UsageError(f"{name}={raw!r}: expected a number of seconds")
    return value


def lease_settings() -> tuple[float, float]:
    """(lease seconds, wait seconds) from ``KG_LOCK_LEASE_S`` / ``KG_LOCK_WAIT_S``."""
    lease = _seconds("KG_LOCK_LEASE_S", 60.0)
    if lease < 1:
        raise UsageError(f"KG_LOCK_LEASE_S={lease:g}: the lease must be at least 1 second")
    return lease, _seconds("KG_LOCK_WAIT_S", 60.0)


@dataclass(frozen=True)
class _State:
    holder: str
    expires: str  #: the xsd:dateTime lexical form, as stored


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WriterLease:
    """The lease of one writer on one endpoint (module docstring). ``endpoint`` runs the
    lease's own requests (a second connection is opened for the renewing thread by
    ``connect``)."""

    def __init__(
        self,
        endpoint: _Endpoint,
        *,
        connect: Callable[[], _Endpoint] | None = None,
        where: str = "endpoint",
        lease: float | None = None,
        wait: float | None = None,
    ) -> None:
        default_lease, default_wait = lease_settings()
        self._endpoint = endpoint
        self._connect = connect or (lambda: endpoint)
        self.where = where
        self.lease = default_lease if lease is None else lease
        self.wait = default_wait if wait is None else wait
        self.token = uuid.uuid4().hex
        self.lost = False
        self._expires: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self, endpoint: _Endpoint) -> _State | None:
        pattern = f"<{LOCK_GRAPH}> {_HOLDER} ?h ; {_EXPIRES} ?e"
        res = endpoint.query(f"SELECT ?h ?e WHERE {{ GRAPH <{LOCK_GRAPH}> {{ {pattern} }} }}")
        assert isinstance(res, SelectResult)
        rows = res.dicts()
        if len(rows) != 1 or not rows[0]["h"] or not rows[0]["e"]:
            return None if not rows else _State(str(rows[0]["h"]), "")  # a torn lock: take it
        return _State(str(rows[0]["h"]), str(rows[0]["e"]))

    def _swap(self, endpoint: _Endpoint, old: _State | None, expires: str) -> None:
        new = (
            f"<{LOCK_GRAPH}> a <{KG}WriterLease> ; "
            f'{_HOLDER} "{self.token}" ; {_EXPIRES} "{expires}"^^{_DT} .'
        )
        if old is None:
            where = f"FILTER NOT EXISTS {{ GRAPH <{LOCK_GRAPH}> {{ ?s ?p ?o }} }}"
            endpoint.update(f"INSERT {{ GRAPH <{LOCK_GRAPH}> {{ {new} }} }} WHERE {{ {where} }}")
            return
        endpoint.update(
            f"DELETE {{ GRAPH <{LOCK_GRAPH}> {{ ?s ?p ?o }} }} "
            f"INSERT {{ GRAPH <{LOCK_GRAPH}> {{ {new} }} }} "
            f'WHERE {{ GRAPH <{LOCK_GRAPH}> {{ <{LOCK_GRAPH}> {_HOLDER} "{old.holder}" . ?s ?p ?o }} }}'
        )

    def _try(self, endpoint: _Endpoint, *, renew: bool = False) -> tuple[bool, _State | None]:
        state = self._read(endpoint)
        if renew and (state is None or state.holder != self.token or self._stop.is_set()):
            return False, state  # a renewal never re-creates a lease that is gone
        now = datetime.now(UTC)
        if state is not None and state.holder != self.token and state.expires:
            try:
                live = datetime.fromisoformat(state.expires.replace("Z", "+00:00")) > now
            except ValueError:
                live = False
            if live:
                return False, state
        expires = _stamp(now + timedelta(seconds=self.lease))
        self._swap(endpoint, state, expires)
        after = self._read(endpoint)
        # the token is ours alone (the engine may rewrite the time's lexical form: .62760Z is
        # returned as .6276Z, so it is not compared)
        won = after is not None and after.holder == self.token
        if won:
            self._expires = expires
        return won, after

    def acquire(self) -> None:
        """Take the lease, waiting up to ``wait`` seconds; :class:`StoreLockedError` after."""
        deadline = time.monotonic() + self.wait
        while True:
            won, state = self._try(self._endpoint)
            if won:
                break
            if time.monotonic() >= deadline:
                until = state.expires if state is not None else "?"
                raise StoreLockedError(
                    f"{self.where} is locked: another kg ingest is writing to it (lease until "
                    f"{until}); wait for it to finish, or set KG_LOCK_WAIT_S to wait longer"
                )
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))
        self._thread = threading.Thread(target=self._renew, name="kg-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        endpoint = self._connect()
        while not self._stop.wait(self.lease / 3):
            try:
                won, _ = self._try(endpoint, renew=True)
            except (StoreError, OSError):
                won = True  # unreachable for now: retried next time; the commit checks
            if not won:
                self.lost = not self._stop.is_set()
                return

    def commit_update(self, body: str) -> str:
        """An update inserting ``body`` (quad data) only while this writer holds the lease."""
        held = f'GRAPH <{LOCK_GRAPH}> {{ <{LOCK_GRAPH}> {_HOLDER} "{self.token}" }}'
        return f"INSERT {{ {body} }} WHERE {{ {held} }}"

    def check_committed(self, graph: str) -> None:
        """Raise :class:`StoreError` when the guarded commit of ``graph`` did not happen."""
        res = self._endpoint.query(
            f"ASK {{ GRAPH <{graph}> {{ <{graph}> <{KG}committed> true }} }}"
        )
        if not (isinstance(res, AskResult) and res.value):
            self.lost = True
            raise StoreError(
                f"{self.where}: this ingest lost its writer lease (stalled longer than "
                "KG_LOCK_LEASE_S) and another writer took over; nothing was committed"
            )

    def release(self) -> None:
        """Stop renewing and give the lease back (if still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(StoreError, OSError):  # else the lease runs out on its own
            self._endpoint.update(
                f"DELETE {{ GRAPH <{LOCK_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{LOCK_GRAPH}> "
                f'{{ <{LOCK_GRAPH}> {_HOLDER} "{self.token}" . ?s ?p ?o }} }}'
            )
