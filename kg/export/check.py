"""Check each page's graph against the Google and Scholar shapes before it is written.

:func:`check_page` validates the RDF of one page document (its JSON-LD, as a search engine
reads it) against ``shapes/google.ttl`` and ``shapes/scholar.ttl``. A ``sh:Violation`` holds the
page back; ``sh:Warning``/``sh:Info`` results are reported.

Two engines give the same results:

- ``"pyshacl"``: pySHACL over an in-memory rdflib graph of the page (the reference; 30-350 ms a page);
- ``"fast"`` (default): a small evaluator of the SHACL Core components these shapes use
  (https://www.w3.org/TR/shacl/#core-components: targetClass, targetSubjectsOf, predicate and
  sequence paths, minCount, nodeKind, class, pattern/flags, in, or, not, node, property,
  qualifiedValueShape/qualifiedMinCount, severity, message) over the page's triples, 30-50x
  faster. A shapes graph using anything else is validated with pySHACL instead, so the fast path
  never silently skips a rule; tests prove parity with pySHACL on every example and page.

This is the one place the export validates: the lead can point it at ``kg.validate`` later.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import rdflib
from rdflib.collection import Collection

from kg.errors import UsageError
from kg.export.jsonld import IRI_TERMS, Triple, triples
from kg.vocab import RDF, SCHEMA

__all__ = [
    "PageCheck",
    "PageProblem",
    "Shapes",
    "check_page",
    "check_triples",
    "default_shapes_dir",
    "graph_triples",
    "load_shapes",
    "page_graph",
]

SH = "http://www.w3.org/ns/shacl#"
Severity = Literal["violation", "warning", "info"]
_SEVERITY: dict[str, Severity] = {
    SH + "Violation": "violation",
    SH + "Warning": "warning",
    SH + "Info": "info",
}
#: The shape files the export checks pages against.
EXPORT_SHAPES = ("google.ttl", "scholar.ttl")


@dataclass(frozen=True, order=True)
class PageProblem:
    """One validation result on a page: what is wrong, where, and how bad."""

    severity: Severity
    message: str
    focus: str
    path: str | None = None
    value: str | None = None
    component: str = ""
    shape: str = ""

    def __str__(self) -> str:
        where = f" ({self.value})" if self.value and not self.value.startswith("_:") else ""
        return f"{self.severity}: {self.message}{where}"


@dataclass(frozen=True)
class PageCheck:
    """The outcome of checking one page: ``ok`` when there is no violation."""

    problems: tuple[PageProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> tuple[PageProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "violation")

    @property
    def warnings(self) -> tuple[PageProblem, ...]:
        return tuple(p for p in self.problems if p.severity != "violation")


@cache
def default_shapes_dir() -> Path:
    """``shapes/`` of the kg source tree (the shapes are the contract; they ship with kg)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shapes" / "google.ttl").is_file():
            return parent / "shapes"
    raise UsageError(
        "cannot find kg's shapes/ directory (google.ttl, scholar.ttl); pass --shapes DIR"
    )


# -- compiled shapes --------------------------------------------------------------------------

Term = tuple[str, str]
"""(value, kind) with kind "iri", "bnode" or "literal"."""


@dataclass
class Shape:
    """One node or property shape, compiled from the shapes graph."""

    id: str
    path: tuple[str, ...] | None = None
    target_classes: tuple[str, ...] = ()
    target_subjects_of: tuple[str, ...] = ()
    severity: Severity = "violation"
    message: str = ""
    min_count: int | None = None
    node_kind: str | None = None
    classes: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    in_: frozenset[Term] | None = None
    or_: tuple[Shape, ...] = ()
    not_: tuple[Shape, ...] = ()
    node: tuple[Shape, ...] = ()
    properties: tuple[Shape, ...] = ()
    qualified: Shape | None = None
    qualified_min: int | None = None
    #: property shapes that can only fail when the focus has their (single) predicate, by
    #: predicate: a focus is checked against those of its own predicates only
    sparse: dict[str, tuple[Shape, ...]] = field(default_factory=dict)
    #: the other property shapes (minCount, qualified counts, sequence paths)
    dense: tuple[Shape, ...] = ()
    #: only a sh:pattern on a single predicate: checked inline, without a nested evaluation
    pattern_only: bool = False

    def split_properties(self) -> None:
        sparse: dict[str, list[Shape]] = defaultdict(list)
        dense = []
        for p in self.properties:
            if (
                p.path is not None
                and len(p.path) == 1
                and p.min_count is None
                and p.qualified is None
            ):
                sparse[p.path[0]].append(p)
            else:
                dense.append(p)
        self.sparse = {k: tuple(v) for k, v in sparse.items()}
        self.dense = tuple(dense)


@dataclass
class Shapes:
    """A shapes graph: the rdflib graph (for pySHACL) and its compiled form (for the fast path)."""

    graph: rdflib.Graph
    roots: list[Shape] = field(default_factory=list)
    #: why the fast path cannot evaluate this graph (None: it can)
    unsupported: str | None = None


_KNOWN = {
    RDF + "type", SH + "name", SH + "description", SH + "message", SH + "severity", SH + "path",
    SH + "targetClass", SH + "targetSubjectsOf", SH + "minCount", SH + "nodeKind", SH + "class",
    SH + "pattern", SH + "flags", SH + "in", SH + "or", SH + "not", SH + "node", SH + "property",
    SH + "qualifiedValueShape", SH + "qualifiedMinCount", "http://www.w3.org/2000/01/rdf-schema#comment",
    RDF + "first", RDF + "rest",
}  # fmt: skip
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def _term(node: Any) -> Term:
    if isinstance(node, rdflib.Literal):
        return (str(node), "literal")
    if isinstance(node, rdflib.BNode):
        return (str(node), "bnode")
    return (str(node), "iri")


class _Compiler:
    def __init__(self, g: rdflib.Graph) -> None:
        self.g = g
        self.done: dict[Any, Shape] = {}

    def values(self, node: Any, pred: str) -> list[Any]:
        return list(self.g.objects(node, rdflib.URIRef(pred)))

    def one(self, node: Any, pred: str) -> Any:
        vals = self.values(node, pred)
        return vals[0] if vals else None

    def shape(self, node: Any) -> Shape:
        if node in self.done:
            return self.done[node]
        for p in self.g.predicates(node, None):
            if str(p) not in _KNOWN:
                raise NotImplementedError(f"{p} on shape {node}")
        s = Shape(id=str(node))
        self.done[node] = s
        path = self.one(node, SH + "path")
        if path is not None:
            if isinstance(path, rdflib.BNode):
                items = list(Collection(self.g, path))
                if not items or not all(isinstance(i, rdflib.URIRef) for i in items):
                    raise NotImplementedError(f"complex path on {node}")
                s.path = tuple(str(i) for i in items)
            else:
                s.path = (str(path),)
        s.target_classes = tuple(str(c) for c in self.values(node, SH + "targetClass"))
        s.target_subjects_of = tuple(str(c) for c in self.values(node, SH + "targetSubjectsOf"))
        sev = self.one(node, SH + "severity")
        s.severity = _SEVERITY[str(sev)] if sev is not None else "violation"
        msg = self.one(node, SH + "message")
        s.message = str(msg) if msg is not None else ""
        mc = self.one(node, SH + "minCount")
        s.min_count = int(mc) if mc is not None else None
        nk = self.one(node, SH + "nodeKind")
        s.node_kind = str(nk) if nk is not None else None
        s.classes = tuple(str(c) for c in self.values(node, SH + "class"))
        pat = self.one(node, SH + "pattern")
        if pat is not None:
            flags = 0
            for ch in str(self.one(node, SH + "flags") or ""):
                flags |= _FLAGS[ch]
            s.pattern = re.compile(str(pat), flags)
        lst = self.one(node, SH + "in")
        if lst is not None:
            s.in_ = frozenset(_term(i) for i in Collection(self.g, lst))
        for key, attr in ((SH + "or", "or_"),):
            lst = self.one(node, key)
            if lst is not None:
                setattr(s, attr, tuple(self.shape(i) for i in Collection(self.g, lst)))
        s.not_ = tuple(self.shape(n) for n in self.values(node, SH + "not"))
        s.node = tuple(self.shape(n) for n in self.values(node, SH + "node"))
        s.properties = tuple(self.shape(n) for n in self.values(node, SH + "property"))
        s.split_properties()
        s.pattern_only = (
            s.pattern is not None and s.path is not None and len(s.path) == 1
            and s.min_count is None and s.node_kind is None and not s.classes and s.in_ is None
            and not (s.or_ or s.not_ or s.node or s.properties) and s.qualified is None
        )  # fmt: skip
        q = self.one(node, SH + "qualifiedValueShape")
        if q is not None:
            s.qualified = self.shape(q)
            s.qualified_min = int(self.one(node, SH + "qualifiedMinCount") or 0)
        return s


def _stable_blank_nodes(g: rdflib.Graph) -> rdflib.Graph:
    """``g`` with each blank node labelled by where it sits and what it holds (a hash of its
    parent's label, the predicate, its content, and its rank among identical siblings), so that
    the same shapes file gives the same labels in every run and process. Blank nodes in a cycle
    of blank nodes keep the parser's labels."""
    import hashlib

    memo: dict[Any, str] = {}

    def sig(b: Any, stack: frozenset[Any] = frozenset()) -> str:
        if b in memo:
            return memo[b]
        if b in stack:
            raise RecursionError
        parts = sorted(
            f"{p}|{sig(o, stack | {b}) if isinstance(o, rdflib.BNode) else o.n3()}"
            for p, o in g.predicate_objects(b)
        )
        memo[b] = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
        return memo[b]

    labels: dict[Any, rdflib.BNode] = {}

    def assign(node: Any, label: str) -> None:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        children = [
            (str(p), sig(o), o) for p, o in g.predicate_objects(node) if isinstance(o, rdflib.BNode)
        ]
        for p, child_sig, child in sorted(children, key=lambda c: (c[0], c[1])):
            if child in labels:
                continue
            rank = seen[(p, child_sig)]
            seen[(p, child_sig)] += 1
            text = f"{label}|{p}|{child_sig}|{rank}"
            labels[child] = rdflib.BNode(
                "s" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
            )
            assign(child, str(labels[child]))

    try:
        objects = set(g.objects())
        named = sorted({s for s in g.subjects() if not isinstance(s, rdflib.BNode)}, key=str)
        for node in named:
            assign(node, str(node))
        free = [b for b in set(g.subjects()) if isinstance(b, rdflib.BNode) and b not in objects]
        seen_roots: dict[str, int] = defaultdict(int)
        for b in sorted(free, key=sig):
            rank = seen_roots[sig(b)]
            seen_roots[sig(b)] += 1
            text = f"root|{sig(b)}|{rank}"
            labels[b] = rdflib.BNode("s" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24])
            assign(b, str(labels[b]))
    except RecursionError:
        return g
    out = rdflib.Graph()
    for prefix, namespace in g.namespaces():
        out.bind(prefix, namespace)
    for t in g:
        out.add(tuple(labels.get(x, x) for x in t))  # type: ignore[arg-type]
    return out


def load_shapes(paths: Iterable[str | Path]) -> Shapes:
    """Parse shape files (Turtle) and compile them for the fast path."""
    g = rdflib.Graph()
    for path in paths:
        try:
            g.parse(str(path), format="turtle")
        except FileNotFoundError:
            raise UsageError(f"{path}: no such shapes file") from None
        except Exception as exc:
            raise UsageError(f"{path}: not valid Turtle ({exc})") from None
    # Blank-node shapes get labels from their content, not the parser's random ones, so a
    # problem names the same shape in every run and every process.
    g = _stable_blank_nodes(g)
    shapes = Shapes(graph=g)
    compiler = _Compiler(g)
    roots = set(g.subjects(rdflib.URIRef(SH + "targetClass"), None)) | set(
        g.subjects(rdflib.URIRef(SH + "targetSubjectsOf"), None)
    )
    others = {
        p for p in g.predicates() if str(p).startswith(SH + "target") and str(p) not in _KNOWN
    }
    try:
        if others:
            raise NotImplementedError(", ".join(sorted(map(str, others))))
        shapes.roots = [compiler.shape(r) for r in sorted(roots, key=str)]
    except NotImplementedError as exc:
        shapes.unsupported = str(exc)
        shapes.roots = []
    return shapes


@cache
def _export_shapes(directory: str) -> Shapes:
    return load_shapes(Path(directory) / name for name in EXPORT_SHAPES)


# -- evaluation ---------------------------------------------------------------------------------


class _Data:
    """The page's triples indexed by subject and predicate (duplicates dropped), by type, and
    subjects by predicate."""

    def __init__(self, ts: Sequence[Triple]) -> None:
        self.out: dict[str, dict[str, list[Term]]] = {}
        self.by_type: dict[str, list[str]] = defaultdict(list)
        self.subjects_of: dict[str, list[str]] = defaultdict(list)
        self.memo: dict[tuple[str, Term], bool] = {}
        #: IRIs containing ``token`` stand for another IRI (see :class:`PageChecker`); a string
        #: test on one sets ``tainted``, so that the outcome is not trusted
        self.token: str | None = None
        self.tainted = False
        self.bnodes = 0  #: blank nodes labelled by :meth:`from_document`
        #: nodes whose values are all literals or undescribed nodes (so a shape's outcome on
        #: one depends on its own triples only), with those triples; and a memo keyed by them
        #: that outlives this graph (:class:`PageChecker`)
        self.leaves: dict[str, int] = {}  # node -> number of its triples' content
        self.shared: dict[tuple[str, Term, Any], tuple[bool, bool]] | None = None
        seen: set[Triple] = set()
        rdf_type = RDF + "type"
        for t in ts:
            if t in seen:
                continue
            seen.add(t)
            s, p, o, kind = t
            props = self.out.get(s)
            if props is None:
                props = self.out[s] = {}
            bucket = props.get(p)
            if bucket is None:
                bucket = props[p] = []
                self.subjects_of[p].append(s)
            bucket.append((o, kind))
            if p == rdf_type:
                self.by_type[o].append(s)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], *, bnode: str = "_:b") -> _Data:
        """Index a kg page document directly (the same triples as :func:`triples`, with the
        same blank node labels, without building the triple list first). Blank nodes are
        ``{bnode}0``, ``{bnode}1``... in document order."""
        data = cls(())
        out, by_type, subjects_of = data.out, data.by_type, data.subjects_of
        rdf_type = RDF + "type"
        counter = 0

        def visit(node: Mapping[str, Any]) -> str:
            nonlocal counter
            if "@id" in node:
                subject = str(node["@id"])
            else:
                subject = f"{bnode}{counter}"
                counter += 1
            props = out.get(subject)
            if props is None:
                props = out[subject] = {}
            for key, value in node.items():
                if key == "@id":
                    continue
                values = value if isinstance(value, list) else [value]
                terms: list[Term]
                if key == "@type":
                    pred = rdf_type
                    terms = [(SCHEMA + t, "iri") for t in values]
                else:
                    pred = SCHEMA + key
                    terms = []
                    iri_valued = key in IRI_TERMS
                    for v in values:
                        if type(v) is str:  # the usual case: skip the Mapping ABC check
                            terms.append((v, "iri" if iri_valued else "literal"))
                        elif isinstance(v, Mapping):
                            if len(v) == 1 and "@id" in v:
                                terms.append((str(v["@id"]), "iri"))
                            else:
                                o = visit(v)
                                terms.append((o, "bnode" if o.startswith("_:") else "iri"))
                        elif key in IRI_TERMS:
                            terms.append((str(v), "iri"))
                        else:
                            terms.append((str(v), "literal"))
                bucket = props.get(pred)
                if bucket is None:
                    bucket = props[pred] = []
                    subjects_of[pred].append(subject)
                for t in terms:
                    if t not in bucket:
                        bucket.append(t)
                        if pred == rdf_type:
                            by_type[t[0]].append(subject)
            return subject

        for node in doc.get("@graph", [doc]):
            visit(node)
        data.bnodes = counter
        return data

    def taint(self, term: Term) -> None:
        if self.token is not None and self.token in term[0]:
            self.tainted = True

    def path(self, focus: Term, path: tuple[str, ...]) -> list[Term]:
        nodes = [focus]
        for pred in path:
            nxt: list[Term] = []
            for value, kind in nodes:
                if kind == "literal":
                    continue
                for t in self.out.get(value, {}).get(pred, ()):
                    if t not in nxt:
                        nxt.append(t)
            nodes = nxt
        return nodes

    def types(self, node: Term) -> list[str]:
        if node[1] == "literal":
            return []
        return [v for v, _ in self.out.get(node[0], {}).get(RDF + "type", ())]


def _node_kind_ok(kind: str, node_kind: str) -> bool:
    allowed = {
        SH + "IRI": {"iri"}, SH + "BlankNode": {"bnode"}, SH + "Literal": {"literal"},
        SH + "BlankNodeOrIRI": {"iri", "bnode"}, SH + "BlankNodeOrLiteral": {"bnode", "literal"},
        SH + "IRIOrLiteral": {"iri", "literal"},
    }  # fmt: skip
    return kind in allowed[node_kind]


def _result(shape: Shape, focus: Term, component: str, value: Term | None) -> PageProblem:
    return PageProblem(
        severity=shape.severity,
        message=shape.message,
        focus=focus[0],
        path=" / ".join(shape.path) if shape.path else None,
        value=value[0] if value is not None else None,
        component=component,
        shape=shape.id,
    )


def _conforms(shape: Shape, value: Term, data: _Data) -> bool:
    """Does ``value`` conform to a nested shape (sh:or / sh:not / sh:node / qualified)? Cached
    per page: the same author is checked by several shapes; and across pages in
    ``data.shared`` when the outcome depends on ``value``'s own triples only (see
    :attr:`_Data.leaves`)."""
    key = (shape.id, value)
    hit = data.memo.get(key)
    if hit is not None:
        return hit
    shared = data.shared
    if shared is not None and value[1] != "bnode":
        sig = data.leaves.get(value[0]) if value[0] in data.out else -1
        if sig is not None:
            skey = (shape.id, value, sig)
            got = shared.get(skey)
            if got is None:
                was, data.tainted = data.tainted, False
                got = shared[skey] = (_evaluate(shape, value, data, None), data.tainted)
                data.tainted = was or data.tainted
            elif got[1]:
                data.tainted = True
            data.memo[key] = got[0]
            return got[0]
    hit = data.memo[key] = _evaluate(shape, value, data, None)
    return hit


def _evaluate(shape: Shape, focus: Term, data: _Data, out: list[PageProblem] | None) -> bool:
    """Check ``focus`` against ``shape``; append results to ``out`` (None: only conformance)."""
    if shape.path is None:
        values = [focus]
    elif len(shape.path) == 1:
        values = [] if focus[1] == "literal" else data.out.get(focus[0], {}).get(shape.path[0], [])
    else:
        values = data.path(focus, shape.path)
    if not values and shape.min_count is None and shape.qualified is None:
        return True
    failures: list[tuple[str, Term | None]] = []
    if shape.min_count is not None and len(values) < shape.min_count:
        failures.append(("MinCount", None))
    ok = True
    for v in values:
        if shape.node_kind and not _node_kind_ok(v[1], shape.node_kind):
            failures.append(("NodeKind", v))
        for cls in shape.classes:
            if data.token is not None:
                for t in data.types(v):
                    data.taint((t, "iri"))
            if cls not in data.types(v):
                failures.append(("Class", v))
        if shape.pattern is not None:
            if data.token is not None:
                data.taint(v)
            if v[1] == "bnode" or not shape.pattern.search(v[0]):
                failures.append(("Pattern", v))
        if shape.in_ is not None:
            if data.token is not None:
                data.taint(v)
            if v not in shape.in_:
                failures.append(("In", v))
        if shape.or_ and not any(_conforms(s, v, data) for s in shape.or_):
            failures.append(("Or", v))
        for s in shape.not_:
            if _conforms(s, v, data):
                failures.append(("Not", v))
        for s in shape.node:
            if not _conforms(s, v, data):
                failures.append(("Node", v))
        if shape.properties:
            for s in shape.dense:
                ok = _evaluate(s, v, data, out) and ok
            if shape.sparse and v[1] != "literal":
                for pred, bucket in data.out.get(v[0], {}).items():
                    for s in shape.sparse.get(pred, ()):
                        if not s.pattern_only:
                            ok = _evaluate(s, v, data, out) and ok
                            continue
                        search = s.pattern.search  # type: ignore[union-attr]
                        for value in bucket:
                            if data.token is not None:
                                data.taint(value)
                            if value[1] == "bnode" or not search(value[0]):
                                ok = False
                                if out is not None:
                                    out.append(_result(s, v, "Pattern", value))
        if out is None and (failures or not ok):
            return False
    if shape.qualified is not None:
        assert shape.qualified_min is not None
        if sum(_conforms(shape.qualified, v, data) for v in values) < shape.qualified_min:
            failures.append(("QualifiedMinCount", None))
    if failures and out is not None:
        out.extend([_result(shape, focus, c, v) for c, v in failures])
    return ok and not failures


def _fast(shapes: Shapes, data: _Data) -> list[PageProblem]:
    out: list[PageProblem] = []
    for root in shapes.roots:
        foci = {f for cls in root.target_classes for f in data.by_type.get(cls, ())}
        foci |= {f for p in root.target_subjects_of for f in data.subjects_of.get(p, ())}
        for f in sorted(foci):
            _evaluate(root, (f, "bnode" if f.startswith("_:") else "iri"), data, out)
    return out


def page_graph(doc: Mapping[str, Any]) -> rdflib.Graph:
    """The rdflib graph of a page document (the graph pySHACL validates and tests compare)."""
    return _graph(triples(doc))


def _graph(ts: Sequence[Triple]) -> rdflib.Graph:
    g = rdflib.Graph()
    bnodes: dict[str, rdflib.BNode] = {}

    def node(value: str, kind: str) -> Any:
        if kind == "literal":
            return rdflib.Literal(value)
        if value.startswith("_:"):
            return bnodes.setdefault(value, rdflib.BNode(value[2:]))
        return rdflib.URIRef(value)

    for s, p, o, kind in ts:
        g.add((node(s, "iri"), rdflib.URIRef(p), node(o, kind)))
    return g


_COMPONENT = re.compile(r"#(\w+)ConstraintComponent$")


def _pyshacl(shapes: Shapes, ts: Sequence[Triple]) -> list[PageProblem]:
    import pyshacl

    g = _graph(ts)
    _conforms, report, _text = pyshacl.validate(g, shacl_graph=shapes.graph, allow_warnings=True)
    out = []
    # Only top-level results: sh:detail holds the nested results of sh:node checks.
    for r in report.objects(None, rdflib.URIRef(SH + "result")):

        def one(pred: str, r: Any = r) -> Any:
            return report.value(r, rdflib.URIRef(SH + pred))

        path = one("resultPath")
        if isinstance(path, rdflib.BNode):
            path = " / ".join(str(i) for i in Collection(report, path))
        focus, value = one("focusNode"), one("value")
        component = _COMPONENT.search(str(one("sourceConstraintComponent")))
        out.append(
            PageProblem(
                severity=_SEVERITY[str(one("resultSeverity"))],
                message=str(one("resultMessage") or ""),
                focus=f"_:{focus}" if isinstance(focus, rdflib.BNode) else str(focus),
                path=str(path) if path is not None else None,
                value=(f"_:{value}" if isinstance(value, rdflib.BNode) else str(value))
                if value is not None
                else None,
                component=component.group(1) if component else "",
                shape=str(one("sourceShape")),
            )
        )
    return out


def graph_triples(graph: rdflib.Graph) -> list[Triple]:
    """The triples of an rdflib graph in the form :func:`check_triples` takes."""
    out: list[Triple] = []
    for s, p, o in graph:
        subject = f"_:{s}" if isinstance(s, rdflib.BNode) else str(s)
        if isinstance(o, rdflib.Literal):
            out.append((subject, str(p), str(o), "literal"))
        elif isinstance(o, rdflib.BNode):
            out.append((subject, str(p), f"_:{o}", "bnode"))
        else:
            out.append((subject, str(p), str(o), "iri"))
    return out


def check_triples(
    ts: Sequence[Triple],
    *,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
) -> PageCheck:
    """Validate triples (see :func:`kg.export.jsonld.triples`) against ``shapes`` (default: the
    export shapes)."""
    shapes = shapes or _export_shapes(str(default_shapes_dir()))
    if engine == "pyshacl" or shapes.unsupported:
        problems = _pyshacl(shapes, ts)
    else:
        problems = _fast(shapes, _Data(ts))
    return PageCheck(problems=tuple(sorted(problems)))


def check_page(
    doc: Mapping[str, Any],
    *,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
) -> PageCheck:
    """Validate one page document against the export shapes (google.ttl + scholar.ttl).

    >>> from kg.export.jsonld import CONTEXT
    >>> doc = {"@context": CONTEXT, "@graph": [{"@type": "ProfilePage", "@id": "https://x/#page"}]}
    >>> check = check_page(doc)
    >>> check.ok, check.violations[0].message.split(":")[0]
    (False, 'The profile page has no mainEntity')
    """
    shapes = shapes or _export_shapes(str(default_shapes_dir()))
    if engine == "pyshacl" or shapes.unsupported:
        return check_triples(triples(doc), shapes=shapes, engine="pyshacl")
    return PageCheck(problems=tuple(sorted(_fast(shapes, _Data.from_document(doc)))))


# -- pages assembled from parts ------------------------------------------------------------------


def _deep_predicates(roots: Sequence[Shape]) -> frozenset[str]:
    """The predicates any shape reads on a node other than the focus node itself (values reached
    through a path, and what nested shapes and ``sh:class`` read there)."""
    deep: set[str] = set()
    seen: set[tuple[str, bool]] = set()

    def walk(shape: Shape, is_deep: bool) -> None:
        if (shape.id, is_deep) in seen:
            return
        seen.add((shape.id, is_deep))
        values_deep = is_deep
        if shape.path:
            deep.update(p for i, p in enumerate(shape.path) if is_deep or i > 0)
            values_deep = True
        if shape.classes and values_deep:
            deep.add(RDF + "type")
        nested = (*shape.or_, *shape.not_, *shape.node, *shape.properties)
        for sub in (*nested, *((shape.qualified,) if shape.qualified else ())):
            walk(sub, values_deep)

    for root in roots:
        walk(root, False)
    return frozenset(deep)


Index = dict[str, dict[str, list[Term]]]


@dataclass
class _Tree:
    """One article node checked on its own, once per export (see :class:`PageChecker`)."""

    out: Index
    bnodes: int
    #: IRIs and blank nodes it points to without describing them
    refs: frozenset[str]
    #: ``r`` for every IRI ``PAGE_TOKEN + r`` in it
    token_rests: frozenset[str]
    #: its other IRIs with a fragment (could spell a page-local IRI of some page)
    fragment_iris: tuple[str, ...]
    #: focus -> its problems, with the token and local blank node labels; None: a string test
    #: read a token IRI, so the node is always checked on the page itself
    results: dict[str, list[PageProblem]] | None
    deep: dict[str, frozenset[tuple[str, Term]]] = field(default_factory=dict)


class _Targets:
    """Which root shapes target a node, looked up by its types and predicates."""

    def __init__(self, roots: Sequence[Shape]) -> None:
        self.by_class: dict[str, list[int]] = defaultdict(list)
        self.by_pred: dict[str, list[int]] = defaultdict(list)
        self.roots = list(roots)
        for i, root in enumerate(self.roots):
            for c in root.target_classes:
                self.by_class[c].append(i)
            for p in root.target_subjects_of:
                self.by_pred[p].append(i)

    def __call__(self, props: Mapping[str, list[Term]]) -> list[Shape]:
        hits: set[int] = set()
        by_pred = self.by_pred
        for p in props:
            found = by_pred.get(p)
            if found:
                hits.update(found)
        for t, _ in props.get(_RDF_TYPE, ()):
            found = self.by_class.get(t)
            if found:
                hits.update(found)
        return [self.roots[i] for i in sorted(hits)]


_RDF_TYPE = RDF + "type"


def _restricted(
    props: Mapping[str, list[Term]], preds: frozenset[str]
) -> frozenset[tuple[str, Term]]:
    return frozenset((p, t) for p in preds for t in props.get(p, ()))


class PageChecker:
    """:func:`check_page` for the pages of one export, each article checked once, not once per
    page it appears on.

    A :class:`~kg.export.jsonld.PageDocument` is the page's own nodes ("head") plus article
    parts shared by several pages. The results of a focus node depend only on what the shapes
    can reach from it: only forward paths, so its own triples, and the ``deep`` predicates (see
    :func:`_deep_predicates`) of the nodes it reaches. So each article part is checked once on its
    own, and its results are reused on a page when, on that page,

    - no node the part describes gets a deep predicate's value from elsewhere on the page (the
      profile person, described by the page and named as an author, is the usual case: the
      Person node must say the same name, url and sameAs in both places),
    - nothing the part points to is described elsewhere on the page, and
    - no string test (pattern, in, class) read a page-local IRI, which stands for a different
      IRI on each page (``PAGE_TOKEN``).

    Nodes described in several places, the head's nodes and any part that fails a condition are
    checked on the page's merged graph, exactly as :func:`check_page` would; if that reads a
    page-local IRI with a string test, the whole page is checked by :func:`check_page`. Results
    are identical to :func:`check_page` on the same document (tests prove it, and
    :func:`check_page` is proven against pySHACL).

    >>> from kg.export.jsonld import PageParts, SiteUrls
    >>> from kg.export.model import Author, Person, Profile, Work
    >>> ada = Author("https://w3id.org/kg/id/person/key/ada", "Ada", "A. L.", 1, has_record=True)
    >>> bob = Author("https://w3id.org/kg/id/person/name/bob", "Bob", "Bob", 2)
    >>> work = Work("https://w3id.org/kg/id/pub/key/notes", "Notes", (ada, bob), date="1843")
    >>> urls = SiteUrls("https://lab.example.org/", frozenset({ada.iri}))
    >>> doc = PageParts().profile(Profile(Person(ada.iri, "Ada"), (work,)), urls)
    >>> checker = PageChecker()
    >>> checker.check(doc) == check_page(doc.as_dict()), checker.stats["reused"]
    (True, 1)
    >>> [p.message.split(":")[0] for p in checker.check(doc).warnings]
    ['An author has neither url nor sameAs']
    """

    def __init__(self, shapes: Shapes | None = None, *, limit: int = 50_000) -> None:
        from kg.export.jsonld import PAGE_TOKEN

        self.shapes = shapes or _export_shapes(str(default_shapes_dir()))
        self.token = PAGE_TOKEN
        self.deep = _deep_predicates(self.shapes.roots)
        self.targets = _Targets(self.shapes.roots)
        self.limit = limit
        self._trees: dict[int, tuple[Any, _Tree]] = {}  # id(part) -> (part, its tree)
        self._shared: dict[tuple[str, Term, Any], tuple[bool, bool]] = {}
        self._leaf_results: dict[tuple[str, Any], tuple[list[PageProblem], bool]] = {}
        #: a number per distinct leaf content, so memo keys hash an int, not nested tuples
        self._contents: dict[tuple[tuple[str, tuple[Term, ...]], ...], int] = {}
        #: pages whose articles were all reused / pages checked whole by check_page
        self.stats = {"reused": 0, "rechecked": 0, "whole": 0}

    def _tree(self, part: Any) -> tuple[int, _Tree]:
        key = id(part)
        hit = self._trees.get(key)
        if hit is not None and hit[0] is part:
            return key, hit[1]
        data = _Data.from_document({"@graph": [part.node]}, bnode=f"_:t{key}x")
        data.token = self.token
        out = data.out
        if len(self._shared) > self.limit * 10 or len(self._contents) > self.limit * 10:
            self._shared.clear()  # all three together: the memos' keys use the numbers
            self._leaf_results.clear()
            self._contents.clear()
        for subject, props in out.items():
            if not subject.startswith("_:") and all(
                k == "literal" or v not in out for b in props.values() for v, k in b
            ):
                content = tuple((p, tuple(b)) for p, b in props.items())
                data.leaves[subject] = self._contents.setdefault(content, len(self._contents))
        data.shared = self._shared
        results: dict[str, list[PageProblem]] = {}
        for subject, props in out.items():
            sig = data.leaves.get(subject)
            if sig is not None:  # an author: the same node recurs on many articles
                leaf = self._leaf_results.get((subject, sig))
                if leaf is None:
                    was, data.tainted = data.tainted, False
                    found: list[PageProblem] = []
                    for root in self.targets(props):
                        _evaluate(root, (subject, "iri"), data, found)
                    leaf = self._leaf_results[(subject, sig)] = (found, data.tainted)
                    data.tainted = was or data.tainted
                elif leaf[1]:
                    data.tainted = True
                if leaf[0]:
                    results[subject] = leaf[0]
                continue
            found = []
            for root in self.targets(props):
                _evaluate(root, (subject, _kind(subject)), data, found)
            if found:
                results[subject] = found
        values = {t for props in data.out.values() for b in props.values() for t in b}
        iris = {s for s in data.out if not s.startswith("_:")}
        iris |= {v for v, k in values if k == "iri"}
        tree = _Tree(
            out=data.out,
            bnodes=data.bnodes,
            refs=frozenset(v for v, k in values if k != "literal" and v not in data.out),
            token_rests=frozenset(i[len(self.token) :] for i in iris if i.startswith(self.token)),
            fragment_iris=tuple(i for i in iris if "#" in i and not i.startswith(self.token)),
            results=None if data.tainted else results,
        )
        if len(self._trees) >= self.limit:
            del self._trees[next(iter(self._trees))]
        self._trees[key] = (part, tree)
        return key, tree

    def check(self, doc: Any) -> PageCheck:
        """Check a :class:`~kg.export.jsonld.PageDocument` (anything else: :func:`check_page`)."""
        from kg.export.jsonld import PageDocument

        shapes = self.shapes
        if not isinstance(doc, PageDocument) or shapes.unsupported:
            return check_page(doc, shapes=shapes)
        page = doc.page
        head = _Data.from_document({"@graph": doc.head})
        head.token = self.token
        out = head.out
        live = set(out)  # the head's nodes, before the articles join
        trees = [self._tree(a) for a in doc.articles]
        # the token must stand for the page's IRIs one to one
        rests = frozenset().union(*(t.token_rests for _, t in trees))
        if rests:
            own = {i[len(page) :] for i in out if i.startswith(page)}
            own |= {
                v[len(page) :]
                for props in out.values()
                for b in props.values()
                for v, k in b
                if k == "iri" and v.startswith(page)
            }
            own |= {i[len(page) :] for _, t in trees for i in t.fragment_iris if i.startswith(page)}
            if own & rests:
                return self._whole(doc)
        merged: set[str] = set()
        for _, tree in trees:
            for s, props in tree.out.items():
                cur = out.get(s)
                if cur is None:
                    out[s] = props  # shared with the tree: never written to
                    continue
                if s not in merged:
                    cur = out[s] = {p: list(b) for p, b in cur.items()}
                    merged.add(s)
                for p, bucket in props.items():
                    have = cur.get(p)
                    if have is None:
                        cur[p] = list(bucket)
                    else:
                        have.extend(t for t in bucket if t not in have)
        live |= merged
        offsets: dict[str, int] = {}
        at = head.bnodes
        problems: list[PageProblem] = []
        deep = self.deep
        merged_deep = {s: _restricted(out[s], deep) for s in merged}
        reused = 0
        for key, tree in trees:
            offsets[f"_:t{key}x"] = at
            at += tree.bnodes
            clean = tree.results is not None and not any(r in out for r in tree.refs)
            if clean:
                for s in merged.intersection(tree.out):
                    mine = tree.deep.get(s)
                    if mine is None:
                        mine = tree.deep[s] = _restricted(tree.out[s], deep)
                    if mine != merged_deep[s]:
                        clean = False
                        break
            if not clean:
                live.update(tree.out)
                continue
            reused += 1
            assert tree.results is not None
            for focus, found in tree.results.items():
                if focus not in merged:
                    problems.extend(found)
        for s in sorted(live):
            props = out[s]
            for root in self.targets(props):
                _evaluate(root, (s, _kind(s)), head, problems)
        if head.tainted:
            return self._whole(doc)
        self.stats["reused" if reused == len(trees) else "rechecked"] += 1
        return PageCheck(
            problems=tuple(sorted((self._localize(p, page, offsets) for p in problems), key=_order))
        )

    def _whole(self, doc: Any) -> PageCheck:
        self.stats["whole"] += 1
        return check_page(doc.as_dict(), shapes=self.shapes)

    def _localize(self, p: PageProblem, page: str, offsets: Mapping[str, int]) -> PageProblem:
        """A problem as :func:`check_page` reports it: the page for the token, blank nodes
        numbered in document order."""
        focus, value = p.focus, p.value
        if self.token in focus or focus.startswith("_:t"):
            focus = self._term(focus, page, offsets)
        if value is not None and (self.token in value or value.startswith("_:t")):
            value = self._term(value, page, offsets)
        if focus is p.focus and value is p.value:
            return p
        return PageProblem(p.severity, p.message, focus, p.path, value, p.component, p.shape)

    def _term(self, term: str, page: str, offsets: Mapping[str, int]) -> str:
        if term.startswith("_:t"):
            prefix, _, k = term.rpartition("x")
            return f"_:b{offsets[prefix + 'x'] + int(k)}"
        return term.replace(self.token, page)


def _order(p: PageProblem) -> tuple[Any, ...]:
    """The order of :class:`PageProblem` (its fields in turn), compared in C."""
    return (p.severity, p.message, p.focus, p.path, p.value, p.component, p.shape)


def _kind(subject: str) -> str:
    return "bnode" if subject.startswith("_:") else "iri"
