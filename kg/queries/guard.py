"""The guard for user SPARQL (``kg sparql``, custom ``.rq`` files): read-only and bounded.

The guard judges the text the engine runs, not the text the user typed:

1. **One reading.** The text is split into SPARQL 1.1 terminals
   (https://www.w3.org/TR/sparql11-query/#grammar, :mod:`kg.queries.lexer`). Every keyword must
   be a SPARQL keyword or built-in function (an unknown word is refused), and every string and
   IRI token is read back by the engine's own parser (pyoxigraph, on an empty in-memory store,
   as one ``VALUES`` row): the engine must read exactly one term per token, with the value the
   guard decoded. The query that runs is then the guard's **canonical text**: the tokens, one
   space (or line break) apart, comments dropped. So the engine parses the very token sequence
   the guard inspected; text the two would read differently (``_:b"x`` is a label and then a
   string, not one label) is refused or normalized before anything runs.
2. **No stack overflow.** Oxigraph parses and evaluates recursively, one stack frame chain per
   level of the algebra tree, and that tree nests per bracket, per operator (``1+1+…``), per
   ``UNION``/``OPTIONAL``/``MINUS``/``BIND``/``FILTER`` and per triple pattern: a 10,000-term
   ``BIND(1+1+…+1)`` (20 KB) segfaults pyoxigraph 0.5.13 and aborts ``oxigraph serve``, whose
   worker threads overflow near 1,750 levels. Every level of the tree needs at least one token
   that is not a plain term (a bracket, an operator, a keyword, ``.``, ``;``, ``,``), so the
   count of such tokens outside ``VALUES`` data is a sound upper bound on the depth; it is kept
   under ``KG_MAX_SPARQL_OPERATORS`` (the saved queries use at most a few hundred). Bracket
   nesting is capped at ``KG_MAX_SPARQL_DEPTH`` and the text at ``KG_MAX_QUERY_CHARS``; the
   limits are read from :mod:`kg.limits` on every check (docs/reliability.md).
3. **Capabilities**, on the canonical tokens, refused unless explicitly allowed:

   - ``SERVICE`` (federated query, https://www.w3.org/TR/sparql11-federated-query/): the
     endpoint would call out to any URL the query names (pyoxigraph 0.5.13 and ``oxigraph
     serve`` offer no switch to turn SERVICE off, so the guard is the switch);
   - updates (https://www.w3.org/TR/sparql11-update/), and ``LOAD`` within them, which fetches a
     URL or reads a file;
   - ``FROM`` / ``FROM NAMED`` with a ``file:`` or remote IRI: some engines (rdflib) dereference
     them. Graph IRIs kg itself mints (under https://w3id.org/kg/graph/) name graphs in the
     store and are allowed; they are returned in :attr:`Checked.dataset` so the embedded store
     honours them.

>>> check_sparql("SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.errors.UsageError: SERVICE <http://evil.example/sparql> refused: federated queries call out to other servers (use --allow-service to permit)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg import limits
from kg.errors import UsageError
from kg.queries.lexer import Token, tokenize
from kg.queries.library import query_form
from kg.vocab import GRAPH_BASE

__all__ = [
    "KEYWORDS",
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "MAX_STRUCTURE",
    "Checked",
    "Permissions",
    "check_sparql",
]

_DEFAULTS = limits.Limits()
#: Largest query text accepted by default, in characters (``KG_MAX_QUERY_CHARS`` sets it).
MAX_QUERY_CHARS = _DEFAULTS.max_query_chars
#: Deepest nesting of ``{ ( [`` accepted by default (``KG_MAX_SPARQL_DEPTH``). The saved
#: queries use at most 6.
MAX_NESTING = _DEFAULTS.max_sparql_depth
#: Most structural tokens (brackets, operators, keywords, ``.``/``;``/``,`` outside ``VALUES``
#: data) accepted by default (``KG_MAX_SPARQL_OPERATORS``): a sound bound on the depth of the
#: algebra tree (module docstring).
MAX_STRUCTURE = _DEFAULTS.max_sparql_operators

_UPDATE_WORDS = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "DATA",
    "USING", "INTO", "TO", "SILENT", "DEFAULT", "ALL",
}  # fmt: skip

#: Every word the guard lets through: SPARQL 1.1 Query and Update keywords and built-in
#: functions (https://www.w3.org/TR/sparql11-query/#grammar), plus the SPARQL 1.2 / Oxigraph
#: additions pyoxigraph 0.5 reads (``LATERAL``, triple terms, ``LANGDIR``...).
KEYWORDS = frozenset(
    [
        "BASE",
        "PREFIX",
        "SELECT",
        "CONSTRUCT",
        "DESCRIBE",
        "ASK",
        "DISTINCT",
        "REDUCED",
        "AS",
        "FROM",
        "NAMED",
        "WHERE",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "LIMIT",
        "OFFSET",
        "GROUP",
        "HAVING",
        "VALUES",
        "UNDEF",
        "OPTIONAL",
        "UNION",
        "MINUS",
        "GRAPH",
        "SERVICE",
        "SILENT",
        "BIND",
        "FILTER",
        "EXISTS",
        "NOT",
        "IN",
        "A",
        "TRUE",
        "FALSE",
        "LATERAL",
        "STR",
        "LANG",
        "LANGMATCHES",
        "DATATYPE",
        "BOUND",
        "IRI",
        "URI",
        "BNODE",
        "RAND",
        "ABS",
        "CEIL",
        "FLOOR",
        "ROUND",
        "CONCAT",
        "STRLEN",
        "UCASE",
        "LCASE",
        "ENCODE_FOR_URI",
        "CONTAINS",
        "STRSTARTS",
        "STRENDS",
        "STRBEFORE",
        "STRAFTER",
        "YEAR",
        "MONTH",
        "DAY",
        "HOURS",
        "MINUTES",
        "SECONDS",
        "TIMEZONE",
        "TZ",
        "NOW",
        "UUID",
        "STRUUID",
        "MD5",
        "SHA1",
        "SHA256",
        "SHA384",
        "SHA512",
        "COALESCE",
        "IF",
        "STRLANG",
        "STRDT",
        "SAMETERM",
        "ISIRI",
        "ISURI",
        "ISBLANK",
        "ISLITERAL",
        "ISNUMERIC",
        "REGEX",
        "SUBSTR",
        "REPLACE",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "SAMPLE",
        "GROUP_CONCAT",
        "SEPARATOR",
        "TRIPLE",
        "SUBJECT",
        "PREDICATE",
        "OBJECT",
        "ISTRIPLE",
        "LANGDIR",
        "HASLANG",
        "HASLANGDIR",
        "STRLANGDIR",
        "ADJUST",
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
        "DATA",
        "USING",
        "INTO",
        "TO",
        "DEFAULT",
        "ALL",
    ]
)
#: Token kinds that are plain terms: they never open a level of the algebra tree.
_TERMS = {"var", "iri", "pname", "string", "number", "lang", "bnode", "close"}
_FLAT_WORDS = {"A", "TRUE", "FALSE", "UNDEF"}


@dataclass(frozen=True)
class Permissions:
    """What user SPARQL may do beyond a read-only query of the store. All off by default."""

    service: bool = False  #: SERVICE calls to other endpoints
    update: bool = False  #: SPARQL Update (INSERT, DELETE, DROP, ...)
    load: bool = False  #: LOAD within an update (fetches a URL or file)
    remote_from: bool = False  #: FROM / FROM NAMED with a file: or non-kg IRI


@dataclass(frozen=True)
class Dataset:
    """A query's own dataset (``FROM`` / ``FROM NAMED`` IRIs), which the store must honour."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checked:
    """A query that passed the guard: the canonical text the engine runs, its form (select,
    construct, ask, describe, update), its dataset clause if any, and what it uses."""

    text: str
    form: str
    dataset: Dataset | None = None
    uses: frozenset[str] = field(default_factory=frozenset)  #: SERVICE, LOAD, UPDATE


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


_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)


def string_value(token: str) -> str:
    """The value of a SPARQL string token (all four quote styles, ``ECHAR`` and ``\\u``/``\\U``).

    >>> string_value(r'"a\\"b\\u00e9"')
    'a"bé'
    """
    quote = 3 if token[:3] in {'"""', "'''"} else 1

    def one(m: re.Match[str]) -> str:
        hex_ = m.group(1) or m.group(2)
        if hex_:
            return chr(int(hex_, 16))
        if m.group(3) not in _ECHAR:
            raise UsageError(f"SPARQL: invalid escape \\{m.group(3)} in a string")
        return _ECHAR[m.group(3)]

    try:
        return _ESCAPE.sub(one, token[quote:-quote])
    except (ValueError, OverflowError):
        raise UsageError("SPARQL: invalid \\U escape in a string") from None


def _probe(tokens: list[Token]) -> None:
    """Have the engine's own parser read every string and IRI token: one term each, equal to
    what the guard decoded. Runs a VALUES-only query on an empty in-memory store (no I/O)."""
    seen: dict[str, str | None] = {}
    for t in tokens:
        if t.kind == "string":
            seen.setdefault(t.text, string_value(t.text))
        elif t.kind == "iri":
            seen.setdefault(t.text, None)
    if not seen:
        return
    items = list(seen.items())
    names = " ".join(f"?v{i}" for i in range(len(items)))
    row = " ".join(text for text, _ in items)
    try:
        result = ox.Store().query(f"SELECT * WHERE {{ }} VALUES ({names}) {{ ( {row} ) }}")
        assert isinstance(result, ox.QuerySolutions)
        solutions = list(result)
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error: {exc}") from None
    if len(solutions) != 1:
        raise UsageError("query refused: the engine reads its terms differently from the guard")
    for i, (text, value) in enumerate(items):
        term = solutions[0][f"v{i}"]
        ok = term is not None and (
            (value is None and isinstance(term, ox.NamedNode) and term.value == text[1:-1])
            or (value is not None and isinstance(term, ox.Literal) and term.value == value)
        )
        if not ok:
            raise UsageError(
                f"query refused: the engine reads {text[:40]!r} differently from the guard"
            )


def _canonical(text: str, tokens: list[Token]) -> str:
    """The tokens one space apart (a line break where the original had one), comments dropped."""
    parts: list[str] = []
    end = 0
    for t in tokens:
        if parts:
            parts.append("\n" if "\n" in text[end : t.start] else " ")
        parts.append(t.text)
        end = t.start + len(t.text)
    return "".join(parts)


def _structure(tokens: list[Token]) -> tuple[int, int]:
    """(structural token count outside VALUES data, deepest bracket nesting)."""
    count = deepest = 0
    in_values = -1  # depth of the open VALUES data block, or -1
    pending_values = False
    for t in tokens:
        if t.kind == "open":
            deepest = max(deepest, t.depth + 1)
        if in_values >= 0:
            if t.kind == "close" and t.text == "}" and t.depth == in_values:
                in_values = -1
            continue
        if pending_values and t.kind == "open" and t.text == "{":
            in_values, pending_values = t.depth, False
            count += 1
            continue
        if t.kind == "word" and t.upper == "VALUES":
            pending_values = True
        signed = t.kind == "number" and t.text[0] in "+-"  # `1 +1` is an addition
        if not signed and (t.kind in _TERMS or (t.kind == "word" and t.upper in _FLAT_WORDS)):
            continue
        count += 1
    return count, deepest


def check_sparql(
    text: str, *, allow: Permissions | None = None, within: limits.Limits | None = None
) -> Checked:
    """Check user SPARQL against the reading, size, nesting and capability rules above; the
    returned :attr:`Checked.text` is what to run. ``within`` defaults to the limits in force
    (:func:`kg.limits.current`).

    >>> check_sparql("SELECT ?s WHERE { ?s ?p ?o } # note").text
    'SELECT ?s WHERE { ?s ?p ?o }'
    >>> check_sparql("SELECT * {" * 100 + "}" * 100)
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: query nested 100 deep; the limit is 64 (set KG_MAX_SPARQL_DEPTH to allow more)
    >>> check_sparql("ASK { ?s ?p ?o }", within=limits.Limits(max_query_chars=10))
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: query is 16 characters; the limit is 10 (set KG_MAX_QUERY_CHARS to allow more)
    """
    lim = within or limits.current()
    allow = allow or Permissions()
    if len(text) > lim.max_query_chars:
        raise UsageError(
            f"query is {len(text):,} characters; the limit is {lim.max_query_chars:,} "
            "(set KG_MAX_QUERY_CHARS to allow more)"
        )
    tokens = list(tokenize(text))
    if not tokens:
        raise UsageError("empty query")
    structure, depth = _structure(tokens)
    if depth > lim.max_sparql_depth:
        raise UsageError(
            f"query nested {depth} deep; the limit is {lim.max_sparql_depth} "
            "(set KG_MAX_SPARQL_DEPTH to allow more)"
        )
    if structure > lim.max_sparql_operators:
        raise UsageError(
            f"query has {structure:,} operators, keywords and separators; the limit is "
            f"{lim.max_sparql_operators:,} (KG_MAX_SPARQL_OPERATORS: deeper queries overflow "
            "the engine's stack)"
        )
    for t in tokens:
        if t.kind == "word" and t.upper not in KEYWORDS:
            raise UsageError(f"SPARQL: unknown keyword {t.text[:40]!r} at offset {t.start}")
    form = query_form(tokens)
    prefixes = _prefixes(tokens)
    words = {t.upper for t in tokens if t.kind == "word"}
    uses: set[str] = set()
    default: list[str] = []
    named: list[str] = []
    for i, t in enumerate(tokens):
        if t.kind != "word":
            continue
        if t.upper == "SERVICE":
            uses.add("SERVICE")
            if not allow.service:
                target = tokens[i + 1].text if i + 1 < len(tokens) else ""
                if target.upper() == "SILENT" and i + 2 < len(tokens):
                    target = tokens[i + 2].text
                raise UsageError(
                    f"SERVICE {target} refused: federated queries call out to other servers "
                    "(use --allow-service to permit)"
                )
        if t.upper == "FROM" and form != "update":
            j = i + 1
            is_named = j < len(tokens) and tokens[j].upper == "NAMED"
            j += is_named
            if j >= len(tokens):
                continue
            iri = _graph_iri(tokens[j], prefixes)
            (named if is_named else default).append(iri)
            if not iri.startswith(GRAPH_BASE) and not allow.remote_from:
                what = (
                    "a local file"
                    if iri.lower().startswith("file:")
                    else "a graph outside the store"
                )
                raise UsageError(
                    f"FROM <{iri}> refused: it names {what}, which some engines fetch "
                    f"(only kg's own graphs under {GRAPH_BASE} are allowed; use --allow-remote-from to permit)"
                )
    if words & _UPDATE_WORDS - {"TO", "DEFAULT", "ALL", "SILENT"} and form != "update":
        # an update keyword inside a query: no query form has one, so the engine would refuse it
        form = "update"
    if form == "update":
        uses.add("UPDATE")
        if not allow.update:
            verbs = sorted(words & _UPDATE_WORDS & {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE",
                                                     "DROP", "COPY", "MOVE", "ADD", "WITH"}) or ["update"]  # fmt: skip
            raise UsageError(
                f"SPARQL Update ({', '.join(verbs)}) refused: kg sparql is read-only by default "
                "(use --allow-update to permit)"
            )
        if "LOAD" in words:
            uses.add("LOAD")
            if not allow.load:
                raise UsageError(
                    "LOAD refused: it fetches a URL or reads a file (use --allow-load)"
                )
    _probe(tokens)
    dataset = Dataset(tuple(default), tuple(named)) if default or named else None
    return Checked(_canonical(text, tokens), form, dataset, frozenset(uses))
