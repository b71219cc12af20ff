"""The saved query library: ``queries/*.rq`` files, each with a header kg reads.

Header format: the leading lines that start with ``#+`` form a YAML document
(https://yaml.org/spec/1.2.2/) once the ``#+`` marker (and one space) is removed. SPARQL sees them
as comments, so every file stays a valid query that any SPARQL tool can open::

    #+ title: Co-authors of a person
    #+ description: >-
    #+   Everyone who shares a work with the person ...
    #+ tags: [person]
    #+ params:
    #+   person:
    #+     kind: iri                 # iri | literal | integer | date | year
    #+     required: true            # or   default: VALUE
    #+     example: https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097
    #+     description: the person
    #+ columns:
    #+   coauthor: the co-author
    #+   jointWorks: number of works they share
    #+   declared: {type: boolean, description: true when the profile lists it}
    #+ performance: optional note on cost
    PREFIX schema: <https://schema.org/>
    SELECT ... WHERE { ?work schema:author $person ... }

A column may declare its ``type`` (:data:`COLUMN_TYPES`): the answer's values in that column are
then given that datatype, by value, whatever the engine wrote (Virtuoso answers a boolean
expression with ``1``/``0`` as integers).

In the body, a parameter is written ``$name``; kg reserves ``$`` for parameters (an undeclared
``$x`` is a required literal) and substitutes the checked value at those tokens only (:mod:`.binding`).

Where the files are: the built-ins in ``queries/`` at the project root (a source checkout or an
editable install), else the copy shipped inside the package (``kg/queries/library``, a symlink to
``queries/`` in the source tree that the wheel build resolves into real files); plus the folders
named by ``$KG_QUERIES`` and kg.toml's ``[queries] folders``, which add to them. Only ``title:``
is required in a header; a ``$name`` not declared is a required ``literal`` parameter.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kg.errors import DataError, UsageError
from kg.queries.binding import KINDS, Param, ParamValue, bind, serialize_value
from kg.queries.lexer import Token, tokenize
from kg.shared import project_root

__all__ = [
    "QUERY_FORMS",
    "SavedQuery",
    "get_query",
    "load_queries",
    "parse_query_file",
    "queries_dir",
    "query_form",
]

QUERY_FORMS = ("select", "construct", "ask", "describe")
# libyaml's safe loader when present (10x faster than the pure-Python one), else PyYAML's.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HEADER_KEYS = {"title", "description", "tags", "params", "columns", "performance"}
_PARAM_KEYS = {"kind", "required", "default", "example", "description"}
#: Column types a header may declare (``column: {type: boolean, description: ...}``).
COLUMN_TYPES = ("boolean", "integer", "decimal")


@dataclass(frozen=True)
class SavedQuery:
    """One saved query: its header, read and checked, and its SPARQL text."""

    name: str
    title: str
    description: str
    form: str
    text: str
    params: dict[str, Param] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    #: declared column types (:data:`COLUMN_TYPES`), by column
    column_types: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    performance: str = ""
    path: Path | None = None

    def bind(self, values: Mapping[str, ParamValue]) -> str:
        """The query text with parameters bound (see :func:`kg.queries.binding.bind`)."""
        return bind(self.text, self.params, values)

    def example_values(self) -> dict[str, str]:
        """The example value of every parameter that has one."""
        return {p.name: p.example for p in self.params.values() if p.example is not None}

    def example_command(self) -> str:
        """A ``kg query run`` command line using the example values."""
        parts = ["kg query run", self.name]
        for name, value in self.example_values().items():
            parts.append(f"--param {_shell_quote(f'{name}={value}')}")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The header as plain JSON (``kg query list --json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "form": self.form,
            "tags": list(self.tags),
            "params": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "required": p.required,
                    "default": p.default,
                    "example": p.example,
                    "description": p.description,
                }
                for p in self.params.values()
            ],
            "columns": [{"name": k, "description": v} for k, v in self.columns.items()],
            "performance": self.performance or None,
        }


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def queries_dir() -> Path:
    """Where the built-in saved queries live: ``queries/`` at the project root (a source
    checkout or an editable install), else the copy shipped inside the package."""
    root = project_root()
    if (root / "pyproject.toml").exists() and (root / "queries").is_dir():
        return root / "queries"
    return Path(str(resources.files("kg.queries").joinpath("library")))


_PROJECT: list[Path] = []


def set_query_folders(folders: list[Path]) -> None:
    """The project's own folders of ``.rq`` files (kg.toml ``[queries] folders``)."""
    _PROJECT[:] = folders


def extra_query_dirs() -> list[Path]:
    """The folders added to the built-ins: ``$KG_QUERIES`` (several separated by ``:``), then
    kg.toml's ``[queries] folders``."""
    env = [Path(p) for p in os.environ.get("KG_QUERIES", "").split(os.pathsep) if p.strip()]
    seen: set[Path] = set()
    out: list[Path] = []
    for folder in (*env, *_PROJECT):
        if folder.resolve() not in seen:
            seen.add(folder.resolve())
            out.append(folder)
    return out


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def query_form(tokens: list[Token]) -> str:
    """``select``, ``construct``, ``ask``, ``describe`` or ``update``: the first keyword after the
    prologue (``BASE`` / ``PREFIX`` declarations).

    >>> query_form(list(tokenize("PREFIX s: <https://schema.org/> ASK { ?x ?y ?z }")))
    'ask'
    >>> query_form(list(tokenize("DELETE WHERE { ?s ?p ?o }")))
    'update'
    """
    i = 0
    while i < len(tokens):
        word = tokens[i].upper
        if word == "BASE":
            i += 2
        elif word == "PREFIX":
            i += 3
        elif word.lower() in QUERY_FORMS:
            return word.lower()
        else:
            return "update"
    return "update"


def _fail(path: Path, message: str) -> DataError:
    return DataError(f"{path}: {message}")


def _split_header(path: Path, text: str) -> tuple[dict[str, Any], str]:
    header: list[str] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#+"):
        line = lines[i][2:]
        header.append(line[1:] if line.startswith(" ") else line)
        i += 1
    if not header:
        raise _fail(path, "no '#+' header (expected '#+ title: ...' on the first line)")
    try:
        meta = yaml.load("".join(header), Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise _fail(path, f"header is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(meta, dict):
        raise _fail(path, "header must be a YAML mapping (title:, description:, ...)")
    return meta, "".join(lines[i:])


def _columns(columns: dict[Any, Any], problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Column descriptions, and the declared types of those written ``{type:, description:}``."""
    descriptions: dict[str, str] = {}
    types: dict[str, str] = {}
    for key, spec in columns.items():
        if not isinstance(spec, dict):
            descriptions[str(key)] = "" if spec is None else str(spec)
            continue
        if set(spec) - {"type", "description"} or spec.get("type") not in COLUMN_TYPES:
            problems.append(
                f"column {key}: expected {{type: {'|'.join(COLUMN_TYPES)}, description: ...}}"
            )
            continue
        descriptions[str(key)] = str(spec.get("description") or "")
        types[str(key)] = str(spec["type"])
    return descriptions, types


def _param(name: Any, spec: Any, problems: list[str]) -> Param | None:
    """One declared parameter; only its name is needed (kind ``literal``, required, no example
    by default). Problems are appended to ``problems``, all of them, not the first."""
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(f"parameter name {name!r} must be an identifier (letters, digits, _)")
        return None
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        problems.append(f"parameter {name}: expected a mapping (kind, required/default, example)")
        return None
    before = len(problems)
    extra = set(spec) - _PARAM_KEYS
    if extra:
        problems.append(
            f"parameter {name}: unknown keys {sorted(extra)} (allowed: {sorted(_PARAM_KEYS)})"
        )
    kind = spec.get("kind", "literal")
    if kind not in KINDS:
        problems.append(f"parameter {name}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        kind = "literal"
    default = _as_text(spec.get("default"))
    required = spec.get("required", default is None) is True
    if required and default is not None:
        problems.append(f"parameter {name}: give 'required: true' or 'default:', not both")
    example = _as_text(spec.get("example"))
    param = Param(name, kind, required, default, example, str(spec.get("description") or ""))
    for label, value in (("default", default), ("example", example)):
        if value is not None:
            try:
                serialize_value(param, value)
            except UsageError as exc:
                problems.append(f"parameter {name}: {label} value is invalid: {exc}")
    return param if len(problems) == before else None


def parse_query_file(path: Path, *, name: str | None = None) -> SavedQuery:
    """Read and check one ``.rq`` file (header, parameter tokens, query form).

    Parsed files are cached by path, size and modification time, so a long-running process
    picks up edited files and a repeated :func:`get_query` costs a ``stat`` per file.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    query = _parse_cached(path.resolve(), st.st_size, st.st_mtime_ns)
    return query if name is None or name == query.name else replace(query, name=name)


@functools.lru_cache(maxsize=512)
def _parse_cached(path: Path, size: int, mtime_ns: int) -> SavedQuery:
    return _parse(path)


def _parse(path: Path, *, name: str | None = None) -> SavedQuery:
    """Only ``title`` is required; every problem in the file is reported in one error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    meta, body = _split_header(path, text)
    problems: list[str] = []
    extra = set(meta) - _HEADER_KEYS
    if extra:
        problems.append(f"unknown header keys {sorted(extra)} (allowed: {sorted(_HEADER_KEYS)})")
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        problems.append("header needs a non-empty 'title:'")
    description = meta.get("description") or ""
    if not isinstance(description, str):
        problems.append("'description:' must be text")
        description = ""
    raw_params = meta.get("params") or {}
    if not isinstance(raw_params, dict):
        problems.append("'params:' must be a mapping of name -> spec")
        raw_params = {}
    declared = {str(k): _param(k, v, problems) for k, v in raw_params.items()}
    columns = meta.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append("'columns:' must be a mapping of column -> description")
        columns = {}
    descriptions, types = _columns(columns, problems)
    try:
        tokens = list(tokenize(body))
    except UsageError as exc:
        raise _fail(path, "; ".join([*problems, str(exc)])) from None
    form = query_form(tokens)
    if form == "update":
        problems.append("a saved query must be SELECT, CONSTRUCT, ASK or DESCRIBE, not an update")
    used = {t.text[1:] for t in tokens if t.kind == "var" and t.text.startswith("$")}
    plain = {t.text[1:] for t in tokens if t.kind == "var" and t.text.startswith("?")}
    if set(declared) - used:
        problems.append(f"declared parameter(s) {sorted(set(declared) - used)} never used as $name")
    if used & plain:
        problems.append(f"parameter(s) {sorted(used & plain)} also used as ?name; write $name")
    if problems:
        raise _fail(path, "; ".join(problems))
    # a $name used but not declared is a required literal parameter
    params = {k: v for k, v in declared.items() if v is not None}
    for undeclared in sorted(used - set(params)):
        params[undeclared] = Param(undeclared, "literal", True)
    return SavedQuery(
        name=name or path.stem,
        title=meta["title"].strip(),
        description=" ".join(description.split()),
        form=form,
        text=body,
        params=params,
        columns=descriptions,
        column_types=types,
        tags=tuple(str(t) for t in meta.get("tags") or ()),
        performance=" ".join(str(meta.get("performance") or "").split()),
        path=path,
    )


def load_queries(directory: Path | None = None) -> dict[str, SavedQuery]:
    """Every saved query, by name, sorted: the built-ins plus the queries of
    :func:`extra_query_dirs` (a query there with a built-in's name is an error), or only those
    of ``directory`` when given.

    >>> qs = load_queries()
    >>> len(qs) >= 18 and all(q.title for q in qs.values())
    True
    """
    folders = [directory] if directory else [queries_dir(), *extra_query_dirs()]
    found: dict[str, SavedQuery] = {}
    for where in folders:
        if not where.is_dir():
            hint = "" if directory else " (from KG_QUERIES or kg.toml [queries] folders)"
            raise UsageError(f"saved queries folder {where} not found{hint}")
        for p in sorted(where.glob("*.rq"), key=lambda p: p.stem):
            if p.stem in found:
                other = found[p.stem].path
                raise DataError(f"{p}: a saved query named {p.stem!r} already exists ({other})")
            found[p.stem] = parse_query_file(p)
    return dict(sorted(found.items()))


def get_query(name: str, *, directory: Path | None = None) -> SavedQuery:
    """A saved query by name, or a ``.rq`` file by path (a name with ``/`` or ending ``.rq``)."""
    if name.endswith(".rq") or os.sep in name or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"no query file {name}")
        return parse_query_file(path)
    queries = load_queries(directory)
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"no saved query {name!r}{hint}; `kg query list` shows them all")
    return queries[name]


def parse_param_args(pairs: list[str] | None) -> dict[str, str]:
    """``["k=v", ...]`` from the command line as a dict; the value may contain ``=``.

    >>> parse_param_args(["person=kgid:person/key/a", "text=a=b"])
    {'person': 'kgid:person/key/a', 'text': 'a=b'}
    """
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE")
        if key.strip() in out:
            raise UsageError(f"--param {key.strip()} given twice")
        out[key.strip()] = value
    return out


_DOCS_INTRO = """\
# Saved queries

<!-- Generated from the headers of queries/*.rq by `kg query list --markdown`; do not edit by
hand. tests/test_queries_docs.py fails when this file is out of date. -->

kg ships {count} saved SPARQL queries. Each runs unchanged on the embedded store and on any
SPARQL 1.1 endpoint whose default graph is the union of its named graphs:

```sh
kg query list                      # names, parameters and titles (--json for machines)
kg query show person-coauthors     # the header and the SPARQL
kg query run person-coauthors -p person=0000-0000-0000-0116 -p since=2020
kg query run person-publications -p person='Ines Varga' --format csv
kg query run person-profile-graph -p person=lsg:ines-varga --format ttl
kg sparql 'SELECT ?name WHERE {{ ?p a schema:Person ; schema:name ?name }}'   # ad-hoc, read-only
```

A person parameter (`-p person=`) takes the person's IRI, a `kgid:` CURIE, their ORCID iD (bare
or as a URL), the `id` of their record, or their name; a work (`-p work=`) its IRI, DOI, record
key or title. A name that fits several people lists them (exit 2); one that fits nobody says so
(exit 1). The examples below name people and works of the bundled `examples/`
(`kg ingest examples/group examples/seed`).

Your own queries: put `.rq` files in a folder and name it in `KG_QUERIES` (several separated by
`:`) or in kg.toml's `[queries] folders`; they are added to the built-in ones (a name already
taken is an error). `kg sparql` and such files may use kg's prefixes (`kgid:`, `schema:`,
`foaf:`, `kg:`, ...) without declaring them.

From Python: `run_query(name, {{"person": ...}}, store=store)` returns a `QueryAnswer` (`columns`,
`rows` of RDF terms, `records()` as Python values, `triples` for CONSTRUCT).

Output formats (`--format`):

{formats}

## Parameters and safety

Parameters are typed:

{kinds}

A value is checked against its kind and inserted as exactly one SPARQL term at the parameter's own `$name` tokens, never pasted as text: an IRI containing a
space, `<`, `>`, `"`, `{{`, `}}`, `|`, `\\`, `^` or a backtick is refused, and a literal is fully
escaped, so a value cannot change the query (VIVO's CVE-2019-6986 was a SPARQL injection through
a pasted parameter). An unknown or missing parameter is an error that lists what the query takes.
IRI values may use kg's prefixes (`kgid:`, `schema:`, ...). A `date` parameter accepts `today`.

`kg sparql` and `.rq` files run by path are user SPARQL: read-only and bounded by default.
SERVICE, SPARQL Update, LOAD, and FROM / FROM NAMED naming a `file:` or non-kg IRI are refused
unless `--allow-service`, `--allow-update`, `--allow-load` or `--allow-remote-from` is given. A
query over {max_chars:,} characters or nested deeper than {max_nesting} levels of `{{ ( [` is
refused before any parser sees it. Every query has a time limit (`--timeout`, default 60 s) and a
row cap (`--limit`, default 100,000 rows), and says so when it hits one. On the embedded store
rows are read lazily and reading stops at the cap; against an endpoint a `LIMIT` is added to a
SELECT that has none. The time limit stops waiting at once and stops a streaming query at its next
row; a query still computing its first row (a large sort or grouping) cannot be interrupted inside
pyoxigraph and finishes in the background, so also set the server's own limit for an endpoint
(`oxigraph serve --timeout-s`).

## Writing a saved query

One `.rq` file per query in `queries/`; the file name is the query's name. The leading lines
starting with `#+` are a YAML header (SPARQL reads them as comments):

```sparql
#+ title: Co-authors of a person
#+ description: >-
#+   Everyone who shares at least one work with the person ...
#+ tags: [person]
#+ params:
#+   person: {{kind: iri, required: true, example: "https://w3id.org/kg/id/person/orcid/...",
#+            description: the person}}
#+   since: {{kind: year, default: 1900, example: 2020, description: first year counted}}
#+ columns:
#+   coauthor: the co-author's IRI
#+ performance: optional note when the query is known to be slow, and why
PREFIX schema: <https://schema.org/>
SELECT ?coauthor WHERE {{ ?work schema:author $person , ?coauthor . }}
```

Only `title:` is required; kg reports every problem of a file at once. A parameter's `kind`
defaults to `literal`, and it is required unless it has a `default:`; a `$name` used without a
declaration is a required literal. Every declared parameter is used as `$name` in the body, and a
parameter name is never also used as `?name`. The built-in queries also give a `description`,
`columns` (for SELECT) and an `example:` for each parameter (the tests run every query with its
examples, on the bundled examples). Dates are compared on `kg:year` (an `xsd:integer`), never with `YEAR()` on
`xsd:gYear` values; ORDER BY always ends in a unique key so results are deterministic. A column
may declare its type, `declared: {{type: boolean, description: ...}}` (`boolean`, `integer` or
`decimal`): the answer is typed from it, by value, on every engine (Virtuoso answers a boolean
expression with `1`/`0`). The SPARQL keeps to what Oxigraph, Virtuoso and rdflib all accept:
no `EXISTS` inside `COALESCE`/`IF`/`BIND`, unbound values guarded with `BOUND` before a function
sees them, `MIN`/`MAX` over strings in an explicit `GROUP BY`, `VALUES` (not `BIND`) to name a
`UNION` branch (docs/endpoints.md).

## The queries

"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_docs(queries: Mapping[str, SavedQuery]) -> str:
    """docs/queries.md, generated from the headers of ``queries``."""
    from kg.limits import Limits
    from kg.queries.formats import FORMATS

    out = [
        _DOCS_INTRO.format(
            count=len(queries),
            formats="\n".join(f"- `{k}`: {v}" for k, v in FORMATS.items()),
            kinds="\n".join(f"- `{k}`: {v}" for k, v in KINDS.items()),
            max_chars=Limits().max_query_chars,
            max_nesting=Limits().max_sparql_depth,
        )
    ]
    out.append("| query | what it answers | parameters |\n|---|---|---|\n")
    for q in queries.values():
        params = ", ".join(f"`{p.name}`" for p in q.params.values()) or "—"
        out.append(f"| [`{q.name}`](#{q.name}) | {_cell(q.title)} | {params} |\n")
    for q in queries.values():
        out.append(f"\n### {q.name}\n\n**{q.title}** ({q.form.upper()}")
        out.append(f"; tags: {', '.join(q.tags)})\n\n" if q.tags else ")\n\n")
        out.append(f"{q.description}\n\n")
        if q.params:
            out.append("| parameter | kind | required / default | example | description |\n")
            out.append("|---|---|---|---|---|\n")
            for p in q.params.values():
                need = "required" if p.required else f"default `{p.default}`"
                out.append(
                    f"| `{p.name}` | {p.kind} | {need} | `{_cell(p.example or '')}` | "
                    f"{_cell(p.description)} |\n"
                )
            out.append("\n")
        else:
            out.append("No parameters.\n\n")
        if q.columns:
            out.append("| column | meaning |\n|---|---|\n")
            out.extend(f"| `{c}` | {_cell(d)} |\n" for c, d in q.columns.items())
            out.append("\n")
        if q.performance:
            out.append(f"Performance: {q.performance}\n\n")
        out.append(f"Example:\n\n```sh\n{q.example_command()}\n```\n")
    return "".join(out)
