"""Running a query with a time limit and a row cap, on either backend, into a typed answer.

How the bounds work (and their limits):

- **Row cap.** On the embedded store the solutions are read lazily from pyoxigraph and reading
  stops at ``max_rows`` (plus one, to know there were more); a streaming query never computes the
  rest. For a remote endpoint a ``LIMIT max_rows+1`` is added at the end of a SELECT that has no
  top-level LIMIT of its own (and no trailing VALUES), so the server stops early; CONSTRUCT
  answers are cut after they arrive. Rows beyond the cap are dropped and the answer says
  ``truncated``.
- **Time limit.** The query runs in a worker thread (pyoxigraph releases the GIL while it
  evaluates; HTTP waits release it too) and the caller waits at most ``timeout`` seconds. When the
  time is up, the caller gets :class:`QueryTimeoutError` at once and the worker is told to stop at
  the next row. A query that is still computing its first row (a big ORDER BY or GROUP BY) cannot
  be interrupted inside pyoxigraph: its thread finishes in the background and its result is
  discarded. In the ``kg`` command the process exits right after the error, which ends it.
  For a remote endpoint, also configure the server's own limit (``oxigraph serve --timeout-s``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError, StoreError, UsageError
from kg.queries.guard import Dataset
from kg.queries.lexer import tokenize
from kg.queries.sandbox import run_in_child
from kg.store import AskResult, EmbeddedStore, GraphResult, SelectResult, Store
from kg.vocab import XSD

__all__ = [
    "QueryAnswer",
    "QueryLimits",
    "QueryTimeoutError",
    "Term",
    "Value",
    "execute",
    "run_update",
    "typed",
]

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Value = str | int | float | bool | Decimal | dt.date | None

_INTEGER_TYPES = {
    XSD + t
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte",
    )
}  # fmt: skip


class QueryTimeoutError(KgError):
    """The query did not finish within its time limit."""


@dataclass(frozen=True)
class QueryLimits:
    """Bounds for one query run: seconds (``None``: no limit) and rows (``None``: no cap)."""

    timeout: float | None = 60.0
    max_rows: int | None = 100_000

    def __post_init__(self) -> None:
        if self.timeout is not None and not math.isfinite(self.timeout):
            raise UsageError(f"time limit must be a finite number of seconds, got {self.timeout}")
        if self.timeout is not None and self.timeout <= 0:
            raise UsageError(f"time limit must be positive, got {self.timeout}")
        if self.max_rows is not None and self.max_rows < 1:
            raise UsageError(f"row cap must be at least 1, got {self.max_rows}")


def python_value(term: Term | None) -> Value:
    """A term as a plain Python value: IRIs and blank nodes as their string, typed literals as
    int / float / Decimal / bool / datetime.date where the datatype says so, other literals as
    their lexical form.

    >>> python_value(ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")))
    42
    >>> python_value(ox.NamedNode("https://e.org/x"))
    'https://e.org/x'
    """
    if term is None:
        return None
    if not isinstance(term, ox.Literal):
        return term.value
    dtype = term.datatype.value
    text = term.value
    try:
        if dtype in _INTEGER_TYPES:
            return int(text)
        if dtype in {XSD + "double", XSD + "float"}:
            return float(text)
        if dtype == XSD + "decimal":
            return Decimal(text)
        if dtype == XSD + "boolean":
            return text in {"true", "1"}
        if dtype == XSD + "date":
            return dt.date.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return text
    return text


@dataclass(frozen=True)
class QueryAnswer:
    """The answer to a query: rows of terms for SELECT (``columns``, ``rows``), ``triples`` for
    CONSTRUCT/DESCRIBE, ``boolean`` for ASK. ``truncated`` is True when the row cap cut it."""

    form: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    max_rows: int | None = None
    elapsed: float = 0.0
    #: the store's row cap (a server's result cap) when it, not the query's limits, cut the answer
    store_cap: bool = False

    def __len__(self) -> int:
        return len(self.triples) if self.form in {"construct", "describe"} else len(self.rows)

    def records(self) -> list[dict[str, Value]]:
        """Rows as ``{column: Python value}`` (see :func:`python_value`)."""
        return [
            {c: python_value(t) for c, t in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]

    def notice(self) -> str | None:
        """A one-line message when the row cap cut the answer, else None."""
        if not self.truncated:
            return None
        what = "triples" if self.form in {"construct", "describe"} else "rows"
        if self.store_cap:
            return (
                f"stopped at {self.max_rows:,} {what} (the endpoint's result cap); the answer is "
                "incomplete: narrow the query or raise the server's cap (docs/endpoints.md)"
            )
        return (
            f"stopped at {self.max_rows:,} {what} (row cap); the answer is incomplete: "
            "narrow the query or raise the cap (--limit)"
        )


def _has_top_level(text: str, words: set[str]) -> bool:
    return any(t.kind == "word" and t.depth == 0 and t.upper in words for t in tokenize(text))


def _capped_text(text: str, form: str, max_rows: int | None) -> str:
    # Only SELECT: a LIMIT counts solutions, and CONSTRUCT merges duplicate triples, so a LIMIT
    # there could hide triples without the answer knowing it was cut.
    if max_rows is None or form != "select":
        return text
    # After the WHERE clause, LIMIT/OFFSET/VALUES at depth 0 can only be solution modifiers.
    if _has_top_level(text, {"LIMIT", "VALUES"}):
        return text
    return f"{text}\nLIMIT {max_rows + 1}"


def _dataset(store: EmbeddedStore, dataset: Dataset | None) -> dict[str, list[str]] | None:
    """The graphs the query reads: a reader's committed graphs (all graphs for a writer),
    narrowed to the query's own ``FROM`` / ``FROM NAMED`` when it has them (a graph that is not
    in the store then reads as empty, never as the whole store). None: the union of all."""
    visible = store.visible_graphs()
    if dataset is None:
        if visible is None:
            return None
        names = [g.value for g in visible]
        return {"default": names, "named": names}
    present = {g.value for g in (visible if visible is not None else store._store.named_graphs())}
    return {
        "default": [g for g in dataset.default if g in present],
        "named": [g for g in dataset.named if g in present],
    }


def _options(graphs: dict[str, list[str]] | None) -> dict[str, Any]:
    if graphs is None:
        return {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(g) for g in graphs["default"]],
        "named_graphs": [ox.NamedNode(g) for g in graphs["named"]],
    }


def _embedded_rows(
    store: EmbeddedStore,
    text: str,
    form: str,
    max_rows: int | None,
    stop: threading.Event,
    dataset: Dataset | None = None,
) -> QueryAnswer:
    native = store._store  # private: lazy iteration needs the pyoxigraph store
    try:
        result = native.query(text, **_options(_dataset(store, dataset)))
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error: {exc}") from None
    if isinstance(result, ox.QueryBoolean):
        return QueryAnswer(form, boolean=bool(result))
    cap = max_rows if max_rows is not None else -1
    items: list[Any] = []
    iterator: Iterator[Any] = iter(result)
    columns: list[str] = []
    if isinstance(result, ox.QuerySolutions):
        variables = result.variables
        columns = [v.value for v in variables]
        for solution in iterator:
            if stop.is_set():
                break
            if len(items) == cap:
                return QueryAnswer(form, columns, items, truncated=True, max_rows=max_rows)
            items.append(tuple(solution[v] for v in variables))
        return QueryAnswer(form, columns, items, max_rows=max_rows)
    for triple in iterator:
        if stop.is_set():
            break
        if len(items) == cap:
            return QueryAnswer(form, triples=items, truncated=True, max_rows=max_rows)
        items.append(triple)
    return QueryAnswer(form, triples=items, max_rows=max_rows)


def _remote_rows(store: Store, text: str, form: str, max_rows: int | None) -> QueryAnswer:
    result = store.query(_capped_text(text, form, max_rows))
    if isinstance(result, AskResult):
        return QueryAnswer(form, boolean=result.value)
    if isinstance(result, GraphResult):
        triples = result.triples
        cut = max_rows is not None and len(triples) > max_rows
        kept = triples[:max_rows] if cut else triples
        return QueryAnswer(form, triples=kept, truncated=cut, max_rows=max_rows)
    if not isinstance(result, SelectResult):
        raise StoreError(
            f"the endpoint answered a {form.upper()} query with {type(result).__name__}"
        )
    cut = max_rows is not None and len(result.rows) > max_rows
    rows = result.rows[:max_rows] if cut else result.rows
    return QueryAnswer(form, list(result.variables), list(rows), truncated=cut, max_rows=max_rows)


def _in_child(
    store: EmbeddedStore, text: str, form: str, limits: QueryLimits, dataset: Dataset | None
) -> QueryAnswer:
    assert store.path is not None
    started = time.perf_counter()
    got = run_in_child(
        store.path, text, max_rows=limits.max_rows, timeout=limits.timeout,
        dataset=_dataset(store, dataset),
    )  # fmt: skip
    return QueryAnswer(
        form, got.columns, got.rows, got.triples, got.boolean, got.truncated, limits.max_rows,
        time.perf_counter() - started,
    )  # fmt: skip


def execute(
    store: Store,
    text: str,
    *,
    form: str,
    limits: QueryLimits | None = None,
    dataset: Dataset | None = None,
) -> QueryAnswer:
    """Run a query (already bound and checked) on ``store`` within ``limits``.

    On an on-disk embedded store it runs in a child process bounded in memory and time
    (:mod:`kg.queries.sandbox`); ``dataset`` is the query's own ``FROM`` clause, which the
    embedded store honours (the guard's :attr:`~kg.queries.guard.Checked.dataset`).
    """
    limits = limits or QueryLimits()
    if isinstance(store, EmbeddedStore) and store.path is not None:
        return _in_child(store, text, form, limits, dataset)
    max_rows, store_cap = _row_cap(store, limits.max_rows)
    stop = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            if isinstance(store, EmbeddedStore):
                box["answer"] = _embedded_rows(store, text, form, max_rows, stop, dataset)
            else:
                box["answer"] = _remote_rows(store, text, form, max_rows)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    started = time.perf_counter()
    worker = threading.Thread(target=work, name="kg-query", daemon=True)
    worker.start()
    worker.join(limits.timeout)
    if worker.is_alive():
        stop.set()
        raise QueryTimeoutError(
            f"query stopped after {limits.timeout:g} s (time limit); narrow it, add a LIMIT, "
            "or raise the limit (--timeout)"
        )
    if "error" in box:
        error: BaseException = box["error"]
        if isinstance(error, OSError):
            raise StoreError(f"query failed: {error}") from None
        raise error
    answer: QueryAnswer = box["answer"]
    return QueryAnswer(
        answer.form, answer.columns, answer.rows, answer.triples, answer.boolean,
        answer.truncated, answer.max_rows, time.perf_counter() - started,
        store_cap and answer.truncated,
    )  # fmt: skip


def _row_cap(store: Store, max_rows: int | None) -> tuple[int | None, bool]:
    """The row cap for a run: the limits' cap, lowered to the store's own ``row_cap`` (a
    server's result cap: ``LIMIT row_cap+1`` must stay under it) -- a store setting, not a
    fixed number; True when the store's cap is the one that applies."""
    check = getattr(store, "check", None)
    if callable(check):
        check()  # a remote store learns its server's cap on first use
    cap = getattr(store, "row_cap", None)
    if isinstance(cap, int) and (max_rows is None or cap < max_rows):
        return cap, True
    return max_rows, False


_TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
_FALSE = ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
_NUMBER_TYPES = {"integer": XSD + "integer", "decimal": XSD + "decimal"}


def _typed_term(term: Term | None, kind: str) -> Term | None:
    """``term`` as a value of the declared column type (by value: ``1``/``true`` is true);
    a value that is not one of that type is left as it came."""
    if not isinstance(term, ox.Literal):
        return term
    text = term.value.strip()
    if kind == "boolean":
        if text in {"1", "true"}:
            return _TRUE
        if text in {"0", "false"}:
            return _FALSE
        return term
    try:
        number = int(text) if kind == "integer" else Decimal(text)
    except (ValueError, InvalidOperation):
        return term
    return ox.Literal(str(number), datatype=ox.NamedNode(_NUMBER_TYPES[kind]))


def typed(answer: QueryAnswer, types: dict[str, str]) -> QueryAnswer:
    """``answer`` with the declared column types applied (a saved query's header types its
    boolean and numeric columns, so every engine gives the same terms).

    >>> one = ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
    >>> typed(QueryAnswer("select", ["ok"], [(one,)]), {"ok": "boolean"}).rows[0][0].value
    'true'
    """
    at = {i: types[c] for i, c in enumerate(answer.columns) if c in types}
    if not at or answer.form != "select":
        return answer
    rows = [
        tuple(_typed_term(t, at[i]) if i in at else t for i, t in enumerate(row))
        for row in answer.rows
    ]
    return dataclasses.replace(answer, rows=rows)


def run_update(store: Store, text: str) -> None:
    """Run a SPARQL Update on ``store`` (only after the guard allowed it)."""
    update = getattr(store, "update", None)
    if callable(update):
        update(text)
        return
    if isinstance(store, EmbeddedStore):
        try:
            store._store.update(text)  # private: EmbeddedStore has no public update()
        except SyntaxError as exc:
            raise UsageError(f"SPARQL syntax error: {exc}") from None
        return
    raise UsageError(f"{type(store).__name__} does not accept SPARQL Update")
