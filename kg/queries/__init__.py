"""Saved SPARQL queries and user SPARQL: load, bind safely, guard, run bounded, format.

The library is ``queries/*.rq`` (:mod:`kg.queries.library`, header format there and in
docs/queries.md). :func:`run_query` runs a saved query by name with typed, checked parameters
(:mod:`kg.queries.binding`); :func:`run_sparql` runs user SPARQL after the read-only guard
(:mod:`kg.queries.guard`). Both run within :class:`QueryLimits` (:mod:`kg.queries.execute`) on either
backend and return a :class:`QueryAnswer`, which :func:`format_answer` writes as a table, CSV,
TSV, SPARQL JSON, Turtle or JSON-LD.

>>> from kg.store import EmbeddedStore
>>> answer = run_query("quality-loads", store=EmbeddedStore(None))
>>> answer.columns[:3], len(answer)
(['graph', 'label', 'source'], 0)
"""

from __future__ import annotations

from collections.abc import Mapping

from kg.errors import UsageError
from kg.queries.binding import KINDS, Param, ParamValue
from kg.queries.execute import (
    QueryAnswer,
    QueryLimits,
    QueryTimeoutError,
    Value,
    execute,
    run_update,
    typed,
)
from kg.queries.formats import FORMATS, format_answer
from kg.queries.guard import MAX_NESTING, MAX_QUERY_CHARS, Checked, Permissions, check_sparql
from kg.queries.library import SavedQuery, get_query, load_queries, queries_dir
from kg.queries.prologue import rewrite, with_prefixes
from kg.store import Store

__all__ = [
    "FORMATS",
    "KINDS",
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "Checked",
    "Param",
    "Permissions",
    "QueryAnswer",
    "QueryLimits",
    "QueryTimeoutError",
    "SavedQuery",
    "Value",
    "check_sparql",
    "format_answer",
    "get_query",
    "load_queries",
    "queries_dir",
    "run_query",
    "run_sparql",
]


def run_query(
    name: str | SavedQuery,
    params: Mapping[str, ParamValue] | None = None,
    *,
    store: Store,
    limits: QueryLimits | None = None,
) -> QueryAnswer:
    """Run the saved query ``name`` on ``store`` with ``params`` (name -> value) bound safely.

    ``name`` is a saved query's name, a path to a ``.rq`` file with a header, or a
    :class:`SavedQuery`. Saved queries from the library are trusted; a ``.rq`` file given by path
    is user SPARQL and passes the read-only guard first. Parameter values are checked against
    their declared kind; unknown or missing ones raise :class:`~kg.errors.UsageError` listing
    what the query takes. ``limits`` default to 60 s and 100,000 rows.
    """
    query = name if isinstance(name, SavedQuery) else get_query(name)
    text, added = with_prefixes(query.bind(params or {}))
    try:
        if query.path is not None and query.path.parent.resolve() != queries_dir().resolve():
            checked = check_sparql(text)
            answer = execute(
                store, checked.text, form=checked.form, limits=limits, dataset=checked.dataset
            )
        else:
            answer = execute(store, text, form=query.form, limits=limits)
    except UsageError as exc:
        raise rewrite(exc, query.text, added_lines=added) from None
    return typed(answer, query.column_types)


def run_sparql(
    text: str,
    /,
    *,
    store: Store,
    allow: Permissions | None = None,
    limits: QueryLimits | None = None,
) -> QueryAnswer:
    """Run user SPARQL on ``store`` after :func:`check_sparql` (read-only unless ``allow``).

    kg's prefixes (``kgid:``, ``schema:``, ...) need no declaration
    (:func:`~kg.queries.prologue.with_prefixes`); a syntax error is one line with its position.

    An allowed update runs as one request and answers with an empty ``update`` answer.
    """
    full, added = with_prefixes(text)
    try:
        checked = check_sparql(full, allow=allow)
        if checked.form == "update":
            run_update(store, checked.text)
            return QueryAnswer("update")
        return execute(
            store, checked.text, form=checked.form, limits=limits, dataset=checked.dataset
        )
    except UsageError as exc:
        raise rewrite(exc, text, added_lines=added) from None
