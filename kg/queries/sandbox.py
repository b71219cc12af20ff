"""Run one query on an on-disk embedded store in a child process bounded in memory and time.

pyoxigraph evaluates inside the calling process, and Rust aborts the whole process when an
allocation fails: an ``ORDER BY`` over a cartesian product on the demo store reached 1.8 GB in
5 s, and under a 3 GB cap the ``kg`` process died with SIGABRT (exit 134). So ad-hoc and saved
queries on an on-disk store run in a child (``kg/queries/sandbox_child.py``) that opens the store
read-only under an address-space limit (``RLIMIT_AS``, POSIX ``setrlimit``; ``KG_MAX_QUERY_BYTES``,
default 2 GiB). When the child dies or runs out of memory the caller gets one line,
:class:`QueryMemoryError` (exit 1), and the store is untouched (the child never writes). The time
limit kills the child, so a long ``ORDER BY`` really stops.

The child gets the query, the dataset (the graphs a reader may see) and the row cap as JSON on
stdin and answers on stdout with one JSON header line and then the rows as SPARQL 1.1 Query
Results JSON (https://www.w3.org/TR/sparql11-results-json/) or the triples as N-Triples.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError, StoreError, UsageError
from kg.limits import current as current_limits

__all__ = ["QueryMemoryError", "SandboxAnswer", "run_in_child"]

#: The child's script: stdlib and pyoxigraph only, so it starts fast (no kg imports).
_CHILD = Path(__file__).with_name("sandbox_child.py")


class QueryMemoryError(KgError):
    """The query needed more memory than ``KG_MAX_QUERY_BYTES``."""


@dataclass(frozen=True)
class SandboxAnswer:
    """What the child read: columns and rows, triples, or a boolean; ``truncated`` at the cap."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    triples: list[ox.Triple]
    boolean: bool | None
    truncated: bool


def run_in_child(
    path: Path,
    text: str,
    *,
    max_rows: int | None,
    timeout: float | None,
    dataset: dict[str, list[str]] | None,
    max_bytes: int | None = None,
) -> SandboxAnswer:
    """Run ``text`` on the store at ``path`` in a bounded child process (module docstring).

    ``dataset`` is ``{"default": [...], "named": [...]}`` graph IRIs, or None for the union of
    all graphs.
    """
    from kg.queries.execute import QueryTimeoutError

    limit = max_bytes or current_limits().max_query_bytes
    request = json.dumps(
        {
            "path": str(path),
            "query": text,
            "max_rows": max_rows,
            "dataset": dataset,
            "max_bytes": limit,
        }
    ).encode("utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-I", str(_CHILD)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise QueryTimeoutError(
            f"query stopped after {timeout:g} s (time limit); narrow it, add a LIMIT, "
            "or raise the limit (--timeout)"
        ) from None
    head, _, body = out.partition(b"\n")
    try:
        header = json.loads(head) if head else {}
    except ValueError:
        header = {}
    if proc.returncode != 0 or "error" in header or not header:
        kind = header.get("error")
        message = header.get("message", "")
        if kind == "syntax":
            raise UsageError(f"SPARQL syntax error: {message}")
        if kind == "store":
            raise StoreError(f"query failed: {message}")
        if kind == "memory" or proc.returncode in {-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV} or b"memory allocation" in err:  # fmt: skip
            raise QueryMemoryError(
                f"query stopped: it needed more than {limit // (1024 * 1024):,} MiB of memory "
                "(KG_MAX_QUERY_BYTES); narrow it or add a LIMIT; the store is unchanged"
            )
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [
            f"exit {proc.returncode}"
        ]
        raise StoreError(f"query failed in its worker process: {last[0][:300]}")
    truncated = bool(header.get("truncated"))
    if header["form"] == "ask":
        return SandboxAnswer([], [], [], bool(header["boolean"]), False)
    if header["form"] == "graph":
        triples = [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)] if body else []
        return SandboxAnswer([], [], triples, None, truncated)
    columns: list[str] = header["columns"]
    solutions = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    rows = [tuple(sol[c] for c in columns) for sol in solutions]
    return SandboxAnswer(columns, rows, [], None, truncated)
