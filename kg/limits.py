"""Input limits: what kg refuses to read, checked before parsing wherever that is possible.

kg reads untrusted files, API payloads and pages. Each limit below bounds the memory or time an
input can make kg spend, and each is checked as early as it can be: the file size from
``stat()`` before a byte is read, the nesting depth of JSON by a cheap scan of the text before
``json.loads`` (CPython's parser recurses and would raise ``RecursionError`` on deep input), the
record count while records stream, the length of every field before the JSON Schema check, and
RDF literals and triples while the RDF parser streams them. XML document type declarations are
refused outright (entity expansion: https://www.w3.org/TR/xml/#sec-entity-decl).

Every limit has a documented default and an environment variable that overrides it
(docs/reliability.md lists them). A broken limit raises :class:`~kg.errors.LimitError`, a
:class:`~kg.errors.DataError` whose message names the variable, its value, the actual value and
the file or record:

>>> lim = Limits(max_json_depth=3)
>>> check_json_depth('{"a": [{"b": 1}]}', where="x.json", limits=lim)
3
>>> check_json_depth('[[[["deep"]]]]', where="x.json", limits=lim)
Traceback (most recent call last):
...
kg.errors.LimitError: x.json: nesting depth 4 exceeds KG_MAX_JSON_DEPTH=3 ...
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kg.errors import DataError, LimitError, UsageError

__all__ = [
    "ENV_VARS",
    "Limits",
    "check_count",
    "check_file_size",
    "check_json_depth",
    "check_literal",
    "check_nesting",
    "check_record_values",
    "check_size",
    "check_xml_safe",
    "current",
    "escape_controls",
    "over_limit",
    "read_file_bytes",
    "strip_controls",
]

_MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The input limits in force. Field defaults are the documented defaults; :meth:`from_env`
    applies ``KG_MAX_*`` environment variables (named in each field's ``env`` metadata)."""

    #: bytes of one record file, read before anything is parsed
    max_file_bytes: int = dataclasses.field(
        default=256 * _MiB, metadata={"env": "KG_MAX_FILE_BYTES"}
    )
    #: records one source may yield (counted while they stream)
    max_records: int = dataclasses.field(default=1_000_000, metadata={"env": "KG_MAX_RECORDS"})
    #: characters of one string value in a record (the schemas' ``maxLength`` is 100,000 too)
    max_field_chars: int = dataclasses.field(
        default=100_000, metadata={"env": "KG_MAX_FIELD_CHARS"}
    )
    #: nesting depth of JSON / YAML values ({} and [] levels); records need about 4
    max_json_depth: int = dataclasses.field(default=64, metadata={"env": "KG_MAX_JSON_DEPTH"})
    #: bytes of one RDF file or RDF payload
    max_rdf_bytes: int = dataclasses.field(default=512 * _MiB, metadata={"env": "KG_MAX_RDF_BYTES"})
    #: characters of one RDF literal
    max_literal_chars: int = dataclasses.field(
        default=1_000_000, metadata={"env": "KG_MAX_LITERAL_CHARS"}
    )
    #: triples (quads) one RDF source may hold (counted while the parser streams)
    max_triples: int = dataclasses.field(default=20_000_000, metadata={"env": "KG_MAX_TRIPLES"})
    #: YAML nodes after alias expansion (anchors and ``*aliases`` can multiply a small file)
    max_yaml_nodes: int = dataclasses.field(
        default=5_000_000, metadata={"env": "KG_MAX_YAML_NODES"}
    )
    #: bytes of one HTTP response body or web page (for the API and page importers)
    max_response_bytes: int = dataclasses.field(
        default=64 * _MiB, metadata={"env": "KG_MAX_RESPONSE_BYTES"}
    )
    #: characters of one SPARQL query a user or a saved query passes in
    max_query_chars: int = dataclasses.field(
        default=100_000, metadata={"env": "KG_MAX_QUERY_CHARS"}
    )
    #: bracket nesting of a SPARQL query (``{ ( [`` levels outside strings, IRIs and comments)
    max_sparql_depth: int = dataclasses.field(default=64, metadata={"env": "KG_MAX_SPARQL_DEPTH"})  # fmt: skip
    #: operators, keywords and separators of a SPARQL query outside ``VALUES`` data: a sound
    #: bound on the depth of the engine's algebra tree (:mod:`kg.queries.guard`); pyoxigraph
    #: overflows its stack between 1,500 and 2,000 levels, so raise it with care
    max_sparql_operators: int = dataclasses.field(default=1_000, metadata={"env": "KG_MAX_SPARQL_OPERATORS"})  # fmt: skip
    #: bytes of address space one query on the embedded store may use (its child process)
    max_query_bytes: int = dataclasses.field(default=2048 * _MiB, metadata={"env": "KG_MAX_QUERY_BYTES"})  # fmt: skip

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults with every ``KG_MAX_*`` variable set in ``environ`` applied.

        >>> Limits.from_env({"KG_MAX_RECORDS": "10"}).max_records
        10
        >>> Limits.from_env({"KG_MAX_RECORDS": "ten"})
        Traceback (most recent call last):
        ...
        kg.errors.UsageError: KG_MAX_RECORDS='ten': expected a positive whole number
        """
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                value = int(raw.strip().replace("_", ""))
            except ValueError:
                value = 0
            if value <= 0:
                raise UsageError(f"{name}={raw!r}: expected a positive whole number")
            values[f.name] = value
        return cls(**values)

    def env_name(self, field_name: str) -> str:
        """The environment variable of a limit field.

        >>> Limits().env_name("max_records")
        'KG_MAX_RECORDS'
        """
        return str(next(f.metadata["env"] for f in fields(self) if f.name == field_name))


#: every environment variable that sets a limit, with its default
ENV_VARS: dict[str, int] = {f.metadata["env"]: f.default for f in fields(Limits)}  # type: ignore[misc]


def current() -> Limits:
    """The limits in force now (the environment is read on every call, so tests can set it)."""
    return Limits.from_env()


def over_limit(
    name: str, actual: int, *, where: str, what: str, limits: Limits | None = None
) -> LimitError:
    """The error for ``actual`` over the limit field ``name``, for checks made elsewhere (the
    YAML composer's depth count, an importer's own counters), to raise.

    >>> raise over_limit("max_records", 11, where="orcid:x", what="record count",
    ...                  limits=Limits(max_records=10))
    Traceback (most recent call last):
    ...
    kg.errors.LimitError: orcid:x: record count 11 exceeds KG_MAX_RECORDS=10 (set KG_MAX_RECORDS to allow more)
    """
    return _fail(limits or current(), name, actual, where, what)


def _fail(
    limits: Limits, name: str, actual: int, where: str, what: str, *, unit: str = ""
) -> LimitError:
    env = limits.env_name(name)
    value = getattr(limits, name)
    return LimitError(
        f"{where}: {what} {actual}{unit} exceeds {env}={value} (set {env} to allow more)",
        limit=env,
        value=value,
        actual=actual,
    )


def check_size(
    actual: int, *, where: str, limit: str = "max_file_bytes", limits: Limits | None = None
) -> int:
    """Refuse ``actual`` bytes over the byte limit named by ``limit`` (a :class:`Limits` field).

    >>> check_size(10, where="page", limit="max_response_bytes", limits=Limits(max_response_bytes=5))
    Traceback (most recent call last):
    ...
    kg.errors.LimitError: page: size 10 bytes exceeds KG_MAX_RESPONSE_BYTES=5 ...
    """
    lim = limits or current()
    if actual > getattr(lim, limit):
        raise _fail(lim, limit, actual, where, "size", unit=" bytes")
    return actual


def read_file_bytes(path: Path, *, limit: str = "max_file_bytes") -> bytes:
    """The bytes of the regular file ``path``, refused over the byte ``limit`` (a
    :class:`Limits` field) before and while reading.

    Devices (``/dev/zero`` would be read until memory runs out), FIFOs (which block) and sockets
    are refused with a :class:`~kg.errors.SourceError`: the file is opened non-blocking and
    checked with ``fstat`` before a byte is read. Other OS errors (no such file, a directory)
    reach the caller, which names them.

    >>> read_file_bytes(Path("/dev/zero"))
    Traceback (most recent call last):
    ...
    kg.errors.SourceError: /dev/zero: not a regular file (a character device); kg reads sources from regular files only
    """
    import stat

    from kg.errors import SourceError

    lim = current()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a character device" if stat.S_ISCHR(info.st_mode)
                else "a block device" if stat.S_ISBLK(info.st_mode)
                else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode)
                else "not a file"
            )  # fmt: skip
            raise SourceError(
                f"{path}: not a regular file ({kind}); kg reads sources from regular files only"
            )
        check_size(info.st_size, where=str(path), limit=limit, limits=lim)
        data = fh.read(getattr(lim, limit) + 1)
    check_size(len(data), where=str(path), limit=limit, limits=lim)
    return data


def check_file_size(
    path: Path, *, limit: str = "max_file_bytes", limits: Limits | None = None
) -> int:
    """The size of ``path`` from ``stat()``, refused before reading when over the limit."""
    try:
        size = path.stat().st_size
    except OSError:
        return 0  # the read reports the missing or unreadable file with its own message
    return check_size(size, where=str(path), limit=limit, limits=limits)


def check_count(
    count: int, *, where: str, limit: str = "max_records", limits: Limits | None = None
) -> None:
    """Called with the running count while items stream: refuse the first one over the limit."""
    lim = limits or current()
    if count > getattr(lim, limit):
        what = "triple count" if limit == "max_triples" else "record count"
        raise _fail(lim, limit, count, where, what)


# A JSON string token or a bracket: everything between is skipped by the regex engine (in C).
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def check_json_depth(text: str, *, where: str, limits: Limits | None = None) -> int:
    """The bracket nesting depth of JSON text, found by a scan that skips strings; refused over
    ``KG_MAX_JSON_DEPTH`` before the text is parsed. Malformed text is left to the parser."""
    lim = limits or current()
    cap = lim.max_json_depth
    depth = deepest = 0
    if "[" not in text and "{" not in text:
        return 0
    for m in _JSON_TOKENS.finditer(text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > cap:
                    raise _fail(lim, "max_json_depth", deepest, where, "nesting depth")
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def check_nesting(value: Any, *, where: str, limits: Limits | None = None) -> int:
    """The nesting depth of a parsed value (dicts and lists), refused over ``KG_MAX_JSON_DEPTH``.
    For values that no text scan could bound (YAML block style); iterative, never recursive."""
    lim = limits or current()
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > lim.max_json_depth:
                raise _fail(lim, "max_json_depth", deepest, where, "nesting depth")
        stack.extend((c, depth + 1) for c in children)
    return deepest


def _lone_surrogate(text: str) -> int | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


#: C0 controls but tab, line feed and carriage return; DEL; C1 controls. None belongs in a
#: record's text; NUL and ESC made the co-author SVG invalid XML (XML 1.0 ``Char``,
#: https://www.w3.org/TR/xml/#charsets) and reached pages and terminals.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


#: Record fields holding links: a control character there makes the link invalid (the record
#: is rejected when it is mapped) instead of silently becoming another URL.
_LINK_KEYS = frozenset({"url", "pdf_url", "homepage", "same_as"})


def strip_controls(value: Any) -> tuple[Any, int]:
    r"""``value`` with :data:`CONTROL_CHARS` removed from every string in it (links excepted:
    those are checked as IRIs), and how many.

    >>> strip_controls({"name": "A\x00da\x1b[31m", "tags": ["x\x7f"]})
    ({'name': 'Ada[31m', 'tags': ['x']}, 3)
    """
    removed = 0

    def clean(node: Any) -> Any:
        nonlocal removed
        if isinstance(node, str):
            text, n = CONTROL_CHARS.subn("", node)
            removed += n
            return text
        if isinstance(node, dict):
            return {clean(k): v if k in _LINK_KEYS else clean(v) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    if isinstance(value, str | dict | list):
        value = clean(value)
    return value, removed


def escape_controls(text: str) -> str:
    r"""``text`` for a terminal: control characters (and line breaks) shown as escapes.

    >>> escape_controls("bad\x1b[2Jname\n")
    'bad\\x1b[2Jname\\n'
    """
    return re.sub(
        "[\x00-\x1f\x7f-\x9f\u2028\u2029]",
        lambda m: m.group().encode("unicode_escape").decode("ascii"),
        text,
    )


def check_record_values(record: Any, *, where: str = "", limits: Limits | None = None) -> None:
    """Refuse a record whose strings are over ``KG_MAX_FIELD_CHARS`` or are not valid Unicode,
    or whose mapping keys are not strings (YAML allows ``~: x``; the schema validator cannot
    take them). Messages start with ``where`` (if given) and the JSON path, like the schema
    check's reasons.

    JSON can spell a lone UTF-16 surrogate (``"\\ud800"``); it decodes to a Python string that
    no UTF-8 writer (N-Triples, the store) can encode, so it is refused here with its path.

    >>> check_record_values({"name": "x" * 6}, limits=Limits(max_field_chars=5))
    Traceback (most recent call last):
    ...
    kg.errors.LimitError: $.name: length 6 exceeds KG_MAX_FIELD_CHARS=5 ...
    >>> check_record_values({"name": "\\ud800"}, where="a.json: record 1")
    Traceback (most recent call last):
    ...
    kg.errors.DataError: a.json: record 1: $.name: lone surrogate U+D800 at offset 0 (not valid Unicode)
    """
    lim = limits or current()
    prefix = f"{where}: " if where else ""
    stack: list[tuple[Any, str, int]] = [(record, "$", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            _check_string(node, prefix + path, lim)
        elif isinstance(node, dict | list):
            if depth > lim.max_json_depth:
                raise _fail(lim, "max_json_depth", depth, prefix + path, "nesting depth")
            if isinstance(node, dict):
                for k, v in node.items():
                    if not isinstance(k, str):  # YAML allows `~: x` and `2024: x`; JSON cannot
                        raise DataError(f"{prefix}{path}: key {k!r} is not text")
                    _check_string(k, f"{prefix}{path}: key", lim)
                    stack.append((v, f"{path}.{k}", depth + 1))
            else:
                stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))


def _check_string(text: str, where: str, lim: Limits) -> None:
    if len(text) > lim.max_field_chars:
        raise _fail(lim, "max_field_chars", len(text), where, "length")
    bad = _lone_surrogate(text)
    if bad is not None:
        raise DataError(
            f"{where}: lone surrogate U+{ord(text[bad]):04X} at offset {bad} (not valid Unicode)"
        )


def check_literal(value: str, *, where: str, limits: Limits | None = None) -> None:
    """Refuse an RDF literal over ``KG_MAX_LITERAL_CHARS`` characters."""
    lim = limits or current()
    if len(value) > lim.max_literal_chars:
        raise _fail(lim, "max_literal_chars", len(value), where, "literal length")


_XML_DECL = re.compile(r"<!(DOCTYPE|ENTITY)\b")


def check_xml_safe(text: str, *, where: str) -> None:
    """Refuse XML with a document type declaration or an entity declaration.

    Entity expansion ("billion laughs", https://www.w3.org/TR/xml/#sec-entity-decl) turns a
    1 KB RDF/XML file into a 10^9-character literal in pyoxigraph, and external entities read
    files or URLs; RDF/XML and DBLP XML need neither.

    >>> check_xml_safe('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]><r/>', where="a.rdf")
    Traceback (most recent call last):
    ...
    kg.errors.DataError: a.rdf: XML document type declaration (<!DOCTYPE) refused: ...
    """
    m = _XML_DECL.search(text)
    if m:
        raise DataError(
            f"{where}: XML document type declaration (<!{m.group(1)}) refused: kg does not "
            "expand XML entities (remove the DOCTYPE; RDF/XML does not need one)"
        )
