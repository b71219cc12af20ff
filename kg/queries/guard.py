"""The guard for user SPARQL (``kg sparql``, custom ``.rq`` files): read-only and bounded.

Before any parser sees the text, :func:`check_sparql` refuses a query larger than
:data:`MAX_QUERY_CHARS` or nested deeper than :data:`MAX_NESTING` (``{ ( [`` counted on the raw
text, outside strings, IRIs and comments): pyoxigraph 0.5.13 crashes the whole process with
SIGSEGV on a 10 KB query nested 5,000 deep, and no exception can catch that. Then, on the
tokens, it refuses unless explicitly allowed:

- ``SERVICE`` (federated query, https://www.w3.org/TR/sparql11-federated-query/): the endpoint
  would call out to any URL the query names;
- updates (https://www.w3.org/TR/sparql11-update/), and ``LOAD`` within them, which fetches a URL
  or reads a file;
- ``FROM`` / ``FROM NAMED`` with a ``file:`` or remote IRI: some engines (rdflib) dereference
  them. Graph IRIs kg itself mints (under https://w3id.org/kg/graph/) name graphs in the store
  and are allowed.

>>> check_sparql("SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.errors.UsageError: SERVICE <http://evil.example/sparql> refused: federated queries call out to other servers (use --allow-service to permit)
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import UsageError
from kg.queries.lexer import Token, max_depth, tokenize
from kg.vocab import GRAPH_BASE

__all__ = ["MAX_NESTING", "MAX_QUERY_CHARS", "Checked", "Permissions", "check_sparql"]

#: Largest query text accepted, in characters.
MAX_QUERY_CHARS = 100_000
#: Deepest nesting of ``{ ( [`` accepted. The saved queries use at most 6.
MAX_NESTING = 64

_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}


@dataclass(frozen=True)
class Permissions:
    """What user SPARQL may do beyond a read-only query of the store. All off by default."""

    service: bool = False  #: SERVICE calls to other endpoints
    update: bool = False  #: SPARQL Update (INSERT, DELETE, DROP, ...)
    load: bool = False  #: LOAD within an update (fetches a URL or file)
    remote_from: bool = False  #: FROM / FROM NAMED with a file: or non-kg IRI


@dataclass(frozen=True)
class Checked:
    """A query that passed the guard: its text and form (select, construct, ask, describe, update)."""

    text: str
    form: str


def _prefixes(tokens: list[Token]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i, t in enumerate(tokens[:-2]):
        if t.upper == "PREFIX" and tokens[i + 1].kind == "pname" and tokens[i + 2].kind == "iri":
            found[tokens[i + 1].text[:-1]] = tokens[i + 2].text[1:-1]
    return found


def _graph_iri(token: Token, prefixes: dict[str, str]) -> str:
    if token.kind == "iri":
        return token.text[1:-1]
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return token.text


def _check_from(tokens: list[Token], i: int, prefixes: dict[str, str]) -> None:
    j = i + 1
    if j < len(tokens) and tokens[j].upper == "NAMED":
        j += 1
    if j >= len(tokens):
        return
    iri = _graph_iri(tokens[j], prefixes)
    if iri.startswith(GRAPH_BASE):
        return
    what = "a local file" if iri.lower().startswith("file:") else "a graph outside the store"
    raise UsageError(
        f"FROM <{iri}> refused: it names {what}, which some engines fetch "
        f"(only kg's own graphs under {GRAPH_BASE} are allowed; use --allow-remote-from to permit)"
    )


def check_sparql(text: str, *, allow: Permissions | None = None) -> Checked:
    """Check user SPARQL against the size, nesting and capability rules above.

    >>> check_sparql("SELECT ?s WHERE { ?s ?p ?o }").form
    'select'
    >>> check_sparql("SELECT * {" * 100 + "}" * 100)
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: query nested 100 deep; the limit is 64 (MAX_NESTING)
    """
    from kg.queries.library import query_form

    allow = allow or Permissions()
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"query is {len(text):,} characters; the limit is {MAX_QUERY_CHARS:,} (MAX_QUERY_CHARS)"
        )
    depth = max_depth(text)
    if depth > MAX_NESTING:
        raise UsageError(f"query nested {depth} deep; the limit is {MAX_NESTING} (MAX_NESTING)")
    tokens = list(tokenize(text))
    if not tokens:
        raise UsageError("empty query")
    form = query_form(tokens)
    prefixes = _prefixes(tokens)
    words = {t.upper for t in tokens if t.kind == "word"}
    for i, t in enumerate(tokens):
        if t.kind != "word":
            continue
        if t.upper == "SERVICE" and not allow.service:
            target = tokens[i + 1].text if i + 1 < len(tokens) else ""
            if target.upper() == "SILENT" and i + 2 < len(tokens):
                target = tokens[i + 2].text
            raise UsageError(
                f"SERVICE {target} refused: federated queries call out to other servers "
                "(use --allow-service to permit)"
            )
        if t.upper == "FROM" and form != "update" and not allow.remote_from:
            _check_from(tokens, i, prefixes)
    if form == "update":
        if not allow.update:
            verbs = sorted(words & _UPDATE_WORDS) or ["update"]
            raise UsageError(
                f"SPARQL Update ({', '.join(verbs)}) refused: kg sparql is read-only by default "
                "(use --allow-update to permit)"
            )
        if "LOAD" in words and not allow.load:
            raise UsageError("LOAD refused: it fetches a URL or reads a file (use --allow-load)")
    return Checked(text, form)
