"""``validate()``: run the shapes over a store or graph and build the typed report."""

from __future__ import annotations

import functools
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kg.errors import DataError, UsageError
from kg.ids import hash_key
from kg.shared import project_root
from kg.terms import VALUES_CHUNK
from kg.validate.compile import Plan, compile_shapes
from kg.validate.engines import Data, Finding, run_pyshacl, run_sparql_checks
from kg.validate.report import ResultTerms, Severity, ValidationReport, ValidationResult
from kg.vocab import KG, PROV, SCHEMA

__all__ = ["ENGINES", "PURPOSES", "default_shapes_dir", "load_shapes", "validate"]

Engine = Literal["auto", "sparql", "pyshacl"]
ENGINES: tuple[str, ...] = ("auto", "sparql", "pyshacl")
SEVERITIES: tuple[str, ...] = ("violation", "warning", "info")

_KINDS = {
    SCHEMA + "Person": "Person",
    SCHEMA + "ScholarlyArticle": "Publication",
    SCHEMA + "Organization": "Organization",
    KG + "SourceGraph": "Source graph",
    SCHEMA + "ProfilePage": "Profile page",
}


_IRI_OK = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|^`\\]*$')


def default_shapes_dir() -> Path:
    """``$KG_SHAPES`` if set, else the ``shapes/`` directory of the kg source tree, else the copy
    shipped in the installed package (``kg/shapes``)."""
    env = os.environ.get("KG_SHAPES")
    if env:
        return Path(env)
    tree = project_root() / "shapes"
    return tree if tree.is_dir() else Path(__file__).resolve().parent.parent / "shapes"


#: Shapes of exported web pages (Google's rich-result rules, Google Scholar's inclusion rules):
#: `kg validate` and the export check them; the ingest gate, which judges records, does not.
PAGE_SHAPE_FILES = frozenset({"google.ttl", "scholar.ttl"})


#: What ``kg validate --for`` checks: the data shapes (the default: problems in the records),
#: the web-page shapes (Google's and Scholar's publishing rules, :data:`PAGE_SHAPE_FILES`), or all.
PURPOSES: tuple[str, ...] = ("data", "web", "all")


def load_shapes(
    shapes_dir: str | os.PathLike[str] | None = None, *, pages: bool = True, data: bool = True
) -> Graph:
    """Every ``*.ttl`` file of ``shapes_dir`` in one shapes graph (files join automatically);
    without the web-page shapes (:data:`PAGE_SHAPE_FILES`) when ``pages`` is false, without the
    data shapes (every other file) when ``data`` is false.

    >>> g = load_shapes()
    >>> len(g) > 0
    True
    """
    folder = Path(shapes_dir) if shapes_dir is not None else default_shapes_dir()
    files = sorted(folder.glob("*.ttl")) if folder.is_dir() else []
    if not pages:
        files = [f for f in files if f.name not in PAGE_SHAPE_FILES]
    if not data:
        files = [f for f in files if f.name in PAGE_SHAPE_FILES]
    if not files:
        raise UsageError(f"no shapes (*.ttl) in {folder}")
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _parse_shapes(stamp)


@functools.lru_cache(maxsize=8)
def _parse_shapes(stamp: tuple[tuple[str, int, int], ...]) -> Graph:
    """Parse once per set of file versions (the gate runs on every ingest). Do not mutate."""
    g = Graph()
    for name, _mtime, _size in stamp:
        f = Path(name)
        try:
            g.parse(f, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
            raise DataError(f"{f}: invalid Turtle: {exc}") from None
    return stable_blank_nodes(g)


def stable_blank_nodes(g: Graph) -> Graph:
    """A copy of ``g`` whose blank nodes are labelled from their content and position.

    rdflib gives each parsed blank node a random label, so a report naming an anonymous
    property shape (``[ sh:path schema:author ; sh:node ... ]``) named it differently on every
    run. Here a blank node's label is a digest of its description (its triples, nested blank
    nodes included) and of where it hangs (the subject and predicate that point to it), so two
    runs over the same shapes files give the same ``sh:sourceShape`` and identical reports
    (https://www.w3.org/TR/shacl/#results-source-shape). Blank nodes are kept blank: SHACL
    reads lists and anonymous shapes the same way.

    >>> from rdflib import Graph
    >>> ttl = "@prefix sh: <http://www.w3.org/ns/shacl#> . <urn:s> sh:property [ sh:minCount 1 ] ."
    >>> a = stable_blank_nodes(Graph().parse(data=ttl, format="turtle"))
    >>> b = stable_blank_nodes(Graph().parse(data=ttl, format="turtle"))
    >>> set(a) == set(b)
    True
    """
    content: dict[BNode, str] = {}

    def digest(node: BNode, stack: frozenset[BNode]) -> str:
        if node in content:
            return content[node]
        lines = []
        for p, o in g.predicate_objects(node):
            if isinstance(o, BNode):
                text = "_" if o in stack else digest(o, stack | {node})
            else:
                text = o.n3()
            lines.append(f"{p.n3()} {text}")
        value = hash_key(*sorted(lines), length=24)
        content[node] = value
        return value

    labels: dict[BNode, str] = {}

    def label(node: BNode, stack: frozenset[BNode]) -> str:
        if node in labels:
            return labels[node]
        parents = sorted(
            (
                label(s, stack | {node}) if isinstance(s, BNode) and s not in stack else str(s),
                str(p),
            )
            for s, p in g.subject_predicates(node)
            if not (isinstance(s, BNode) and s in stack)
        )
        value = "s" + hash_key(
            digest(node, frozenset()), *(f"{s} {p}" for s, p in parents), length=24
        )
        labels[node] = value
        return value

    nodes = {t for triple in g for t in triple if isinstance(t, BNode)}
    mapping = {n: BNode(label(n, frozenset())) for n in nodes}
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns, override=False)

    def relabel(node: Node) -> Node:
        return mapping[node] if isinstance(node, BNode) else node

    for s, p, o in g:
        out.add((relabel(s), p, relabel(o)))
    return out


def _node_str(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _record_of(focus: Node) -> str | None:
    """The record a focus node belongs to: ``work#author-3`` belongs to ``work``; None if no IRI."""
    if not isinstance(focus, URIRef):
        return None
    text = str(focus)
    if "#" in text and not text.startswith(KG):
        return text.split("#", 1)[0]
    return text


def _first(data: Data, values: str, pattern: str) -> dict[str, str]:
    """The smallest ``?v`` of ``pattern`` for each ``?r`` in ``values`` (deterministic)."""
    rows = data.select(
        f"SELECT ?r (MIN(STR(?v)) AS ?m) WHERE {{ VALUES ?r {{ {values} }} {pattern} }} GROUP BY ?r"
    )
    return {str(row["r"]): str(row["m"]) for row in rows if "m" in row}


def _describe(
    data: Data, records: Iterable[str | None]
) -> dict[str, tuple[str | None, str | None, str | None]]:
    """label, kind and source of each record IRI, from the data and its provenance graphs.

    A few small queries per chunk of IRIs, one per aspect, rather than one with six OPTIONALs: the
    OPTIONALs multiply (names x types x graphs x graphs), and a name-only author printed in many
    sources gave thousands of rows (a 100k-triple report spent 400 s reading them).
    """
    iris = sorted({r for r in records if r and _IRI_OK.match(r)})
    out: dict[str, tuple[str | None, str | None, str | None]] = {}
    kinds = ", ".join(f"<{k}>" for k in _KINDS)
    for start in range(0, len(iris), VALUES_CHUNK):
        chunk = iris[start : start + VALUES_CHUNK]
        values = " ".join(f"<{r}>" for r in chunk)
        # one query per aspect: MIN over a UNION is unbound where one branch leaves it unbound
        names = _first(data, values, f"?r <{SCHEMA}name> ?v")
        types = _first(data, values, f"?r a ?v FILTER(?v IN ({kinds}))")
        # the record each IRI came from: its number and its source graph's label, one graph a row
        records_of: dict[str, tuple[bool, str, str]] = {}
        for row in data.select(
            f"""SELECT ?r ?n ?label ?from WHERE {{
              VALUES ?r {{ {values} }}
              GRAPH ?g {{ ?r <{KG}recordNumber> ?n }}
              OPTIONAL {{ GRAPH ?g {{ ?g <{KG}sourceLabel> ?label }} }}
              OPTIONAL {{ GRAPH ?g {{ ?g <{PROV}wasDerivedFrom> ?from }} }}
            }}"""
        ):
            where = row.get("label") or row.get("from")
            option = (where is None, str(where or ""), str(row["n"]))
            r = str(row["r"])
            records_of[r] = min(records_of.get(r, option), option)
        # the rest: a source graph's own description, or a source that mentions the IRI
        rest = " ".join(f"<{r}>" for r in chunk if r not in records_of)
        own_number, own_label, own_from, mentioned = (
            _first(data, rest, pattern) if rest else {}
            for pattern in (
                f"?r <{KG}recordNumber> ?v",
                f"?r <{KG}sourceLabel> ?v",
                f"?r <{PROV}wasDerivedFrom> ?v",
                f"GRAPH ?g {{ ?r a ?t . ?g <{KG}sourceLabel> ?v }}",
            )
        )
        for r in chunk:
            kind = _KINDS.get(types.get(r, ""))
            source: str | None
            number: str | None
            if r in records_of:
                missing, where_text, number = records_of[r]
                source = None if missing else where_text
            else:
                source, number = own_label.get(r) or own_from.get(r), own_number.get(r)
            source = source or mentioned.get(r)
            if source is not None and number is not None and kind != "Source graph":
                source += f", record {number}"
            if r in names or kind is not None or source is not None:
                out[r] = (names.get(r), kind, source)
    return out


def build_report(
    findings: Sequence[Finding],
    data: Data,
    *,
    engine: str,
    severity: str,
    fallbacks: dict[str, str],
    shapes: Graph,
    distinct: bool = True,
) -> ValidationReport:
    """Attach labels and sources to findings and keep those at or above ``severity`` (with
    ``distinct``, one per focus, path, value, shape and component)."""
    floor = Severity(severity).rank
    kept = [f for f in findings if Severity.from_iri(str(f.severity)).rank >= floor]
    described = _describe(data, (_record_of(f.focus) for f in kept))
    results = []
    seen: set[tuple[object, ...]] = set()
    for f in kept:
        # one result per (focus, path, value, shape, component, source constraint): a value
        # reached along two routes of a path, or a constraint stated twice, is one problem
        # (SHACL 3.6 leaves duplicates to the engine; pySHACL drops them, the SPARQL
        # translation must too); two SPARQL constraints of one shape are two problems even
        # for the same value (a gap before author 3 and two authors at 3)
        key = (f.focus, f.path, f.value, f.shape, f.component, f.constraint)
        if distinct and key in seen:
            continue
        seen.add(key)
        record = _record_of(f.focus)
        label, kind, source = described.get(record or "", (None, None, None))
        path = (
            f.path[1:-1] if f.path and f.path.startswith("<") and f.path.endswith(">") else f.path
        )
        results.append(
            ValidationResult(
                severity=Severity.from_iri(str(f.severity)),
                focus=_node_str(f.focus) or "",
                path=path,
                value=_node_str(f.value),
                message=f.message,
                shape=_node_str(f.shape) or "",
                component=str(f.component),
                label=label,
                source=source,
                record=record,
                kind=kind,
                terms=ResultTerms(
                    f.focus, f.value, f.path_node, f.shape, f.component, f.constraint, f.severity
                ),
            )
        )
    return ValidationReport.of(results, engine=engine, fallbacks=fallbacks, shapes_graph=shapes)


_PLANS: dict[int, tuple[weakref.ref[Graph], int, Plan]] = {}


def _plan(shapes: Graph) -> Plan:
    """:func:`compile_shapes`, once per shapes graph (the gate runs once per source of every
    ingest, on the same cached graph from :func:`load_shapes`); compiled again if the graph is
    gone or changed size."""
    entry = _PLANS.get(id(shapes))
    if entry is not None and entry[0]() is shapes and entry[1] == len(shapes):
        return entry[2]
    plan = compile_shapes(shapes)
    if len(_PLANS) >= 16:  # shapes graphs built per call (tests): keep the table small
        _PLANS.clear()
    _PLANS[id(shapes)] = (weakref.ref(shapes), len(shapes), plan)
    return plan


def find(data: Data, shapes: Graph, *, engine: str) -> tuple[list[Finding], str, dict[str, str]]:
    """Run the chosen engine(s): findings, which engines ran, and the pySHACL fallbacks."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (expected {', '.join(ENGINES)})")
    if engine == "pyshacl":
        return run_pyshacl(data, shapes), "pyshacl", {}
    plan = _plan(shapes)
    fallbacks = {_node_str(s) or "": why for s, why in plan.unsupported.items()}
    if plan.unsupported and engine == "sparql":
        first = next(iter(fallbacks.items()))
        raise UsageError(
            f"the SPARQL engine cannot validate shape {first[0]}: {first[1]} (use engine auto)"
        )
    findings = run_sparql_checks(plan.checks, data)
    used = "sparql"
    if plan.unsupported:
        findings += run_pyshacl(data, shapes, only=set(plan.unsupported))
        used = "sparql+pyshacl"
    return findings, used, fallbacks


def validate(
    data: Any,
    *,
    shapes_dir: str | os.PathLike[str] | None = None,
    shapes: Graph | None = None,
    severity: str = "info",
    engine: str = "auto",
    for_: str = "data",
    distinct: bool = True,
) -> ValidationReport:
    """Validate ``data`` against the SHACL shapes (https://www.w3.org/TR/shacl/).

    ``data`` is a kg store (:class:`~kg.store.EmbeddedStore` or :class:`~kg.store.RemoteStore`),
    a ``pyoxigraph.Store`` or an rdflib ``Graph``/``Dataset``; named graphs are validated as
    their union. ``shapes_dir`` holds the ``*.ttl`` shapes (default :func:`default_shapes_dir`);
    ``shapes`` passes a shapes graph instead. ``severity`` drops results below it ("violation",
    "warning" or "info"). ``engine``: "sparql" runs the shapes as SPARQL on Oxigraph, "pyshacl"
    runs pySHACL, "auto" runs SPARQL and hands any shape it cannot translate to pySHACL.
    ``for_`` chooses the shapes of ``shapes_dir``: "data" (the default) the data shapes, problems
    in the records; "web" the page shapes, Google's and Google Scholar's publishing rules
    (advice about outside co-authors the data steward cannot fix belongs here); "all" both.
    ``distinct`` keeps one result per (focus, path, value, shape, component): a shape reached
    twice (shared by two node shapes, a focus typed by two target classes) gives SHACL two
    identical results (https://www.w3.org/TR/shacl/#results-validation-result); a report people
    read and diff wants one. ``distinct=False`` keeps them, as the W3C suite expects.

    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix schema: <https://schema.org/> .
    ... <https://w3id.org/kg/id/person/key/ada> a schema:Person .''', format="turtle")
    >>> report = validate(g)
    >>> report.conforms, [r.message for r in report.results]
    (False, ['A person needs a name (schema:name).'])
    >>> [r.message for r in validate(g, for_="web").results]
    ['A person on this page has no name: give the person a name before publishing.']
    """
    if severity not in SEVERITIES:
        raise UsageError(f"unknown severity {severity!r} (expected {', '.join(SEVERITIES)})")
    if for_ not in PURPOSES:
        raise UsageError(f"unknown purpose {for_!r} (expected {', '.join(PURPOSES)})")
    shapes_graph = (
        shapes
        if shapes is not None
        else load_shapes(shapes_dir, pages=for_ != "data", data=for_ != "web")
    )
    d = data if isinstance(data, Data) else Data.of(data)
    findings, used, fallbacks = find(d, shapes_graph, engine=engine)
    return build_report(findings, d, engine=used, severity=severity, fallbacks=fallbacks,
                        shapes=shapes_graph, distinct=distinct)  # fmt: skip
