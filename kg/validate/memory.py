"""The in-memory SHACL engine: a small evaluator of the SHACL Core components the page shapes
use (https://www.w3.org/TR/shacl/#core-components: targetClass, targetSubjectsOf, predicate and
sequence paths, minCount, nodeKind, class, pattern/flags, in, or, not, node, property,
qualifiedValueShape/qualifiedMinCount, severity, message) over plain triples, 30-50x faster than
pySHACL on a page. A shapes graph using anything else is validated with pySHACL instead
(:func:`run_pyshacl_triples`), so the engine never silently skips a rule.

The export checks every page with it (:mod:`kg.export.check`); the W3C SHACL suite runs the cases
it covers (tests/test_shacl_w3c.py). CompiledShapes come from kg's one shape loader
(:func:`kg.validate.core.load_shapes`, ``KG_SHAPES``), severities are
:class:`kg.validate.report.Severity`'s values.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from rdflib.collection import Collection

from kg.errors import UsageError
from kg.validate.core import load_shapes, stable_blank_nodes
from kg.validate.report import Severity, SeverityName
from kg.vocab import OWL, RDF, RDFS

__all__ = [
    "CompiledShapes",
    "Shape",
    "ShapeResult",
    "Term",
    "Triple",
    "TripleIndex",
    "compile_shapes_graph",
    "conforms",
    "evaluate",
    "evaluate_shapes",
    "graph_of",
    "graph_triples",
    "load_memory_shapes",
    "run_pyshacl_triples",
]

SH = "http://www.w3.org/ns/shacl#"
_SEVERITY: dict[str, SeverityName] = {s.iri: s.value for s in Severity}
_SUBCLASS_OF = RDFS + "subClassOf"
#: ``(subject, predicate, object, object kind)``, kind "iri", "bnode" or "literal"
Triple = tuple[str, str, str, str]


@dataclass(frozen=True, order=True)
class ShapeResult:
    """One validation result of the in-memory engine: what is wrong, where, and how bad
    (https://www.w3.org/TR/shacl/#results-validation-result; terms as their lexical forms,
    blank nodes as ``_:label``, the component as its local name, ``MinCount`` ...)."""

    severity: SeverityName
    message: str
    focus: str
    path: str | None = None
    value: str | None = None
    component: str = ""
    shape: str = ""

    def __str__(self) -> str:
        where = f" ({self.value})" if self.value and not self.value.startswith("_:") else ""
        return f"{self.severity}: {self.message}{where}"


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
    severity: SeverityName = "violation"
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
class CompiledShapes:
    """A shapes graph: the rdflib graph (for pySHACL) and its compiled form (for this engine)."""

    graph: rdflib.Graph
    roots: list[Shape] = field(default_factory=list)
    #: why the fast path cannot evaluate this graph (None: it can)
    unsupported: str | None = None


_KNOWN = {
    RDF + "type", SH + "name", SH + "description", SH + "message", SH + "severity", SH + "path",
    SH + "targetClass", SH + "targetSubjectsOf", SH + "minCount", SH + "nodeKind", SH + "class",
    SH + "pattern", SH + "flags", SH + "in", SH + "or", SH + "not", SH + "node", SH + "property",
    SH + "qualifiedValueShape", SH + "qualifiedMinCount", "http://www.w3.org/2000/01/rdf-schema#comment",
    "http://www.w3.org/2000/01/rdf-schema#label",
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


def compile_shapes_graph(g: rdflib.Graph) -> CompiledShapes:
    """Compile a shapes graph (its blank nodes already stably labelled) for this engine; what
    it cannot evaluate is named in :attr:`CompiledShapes.unsupported`."""
    shapes = CompiledShapes(graph=g)
    compiler = _Compiler(g)
    roots = set(g.subjects(rdflib.URIRef(SH + "targetClass"), None)) | set(
        g.subjects(rdflib.URIRef(SH + "targetSubjectsOf"), None)
    )
    # a shape that is also a class targets its instances (implicit class target,
    # https://www.w3.org/TR/shacl/#implicit-targetClass)
    rdf_type = rdflib.URIRef(RDF + "type")
    classes = {rdflib.URIRef(RDFS + "Class"), rdflib.URIRef(OWL + "Class")}
    shape_types = {rdflib.URIRef(SH + "NodeShape"), rdflib.URIRef(SH + "PropertyShape")}
    implicit = {
        s for t in shape_types for s in g.subjects(rdf_type, t)
        if any((s, rdf_type, c) in g for c in classes)
    }  # fmt: skip
    others = {
        p for p in g.predicates() if str(p).startswith(SH + "target") and str(p) not in _KNOWN
    }
    try:
        if others:
            raise NotImplementedError(", ".join(sorted(map(str, others))))
        shapes.roots = [compiler.shape(r) for r in sorted(roots | implicit, key=str)]
        for root in shapes.roots:
            if rdflib.URIRef(root.id) in implicit and root.id not in root.target_classes:
                root.target_classes = (*root.target_classes, root.id)
    except NotImplementedError as exc:
        shapes.unsupported = str(exc)
        shapes.roots = []
    return shapes


def load_memory_shapes(paths: Iterable[str | Path] | None = None) -> CompiledShapes:
    """Parse shape files (Turtle) and compile them for this engine; by default the page shapes
    of kg's shapes directory (``KG_SHAPES``, :data:`kg.validate.core.PAGE_SHAPE_FILES`)."""
    if paths is None:
        return compile_shapes_graph(load_shapes(data=False))
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
    return compile_shapes_graph(stable_blank_nodes(g))


# -- evaluation ---------------------------------------------------------------------------------


class TripleIndex:
    """Triples indexed by subject and predicate (duplicates dropped), by type, and subjects by
    predicate: what the engine evaluates."""

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

    def subclasses(self, cls: str) -> set[str]:
        """``cls`` and every class below it by ``rdfs:subClassOf`` in the data: whose instances
        are SHACL instances of ``cls`` (https://www.w3.org/TR/shacl/#dfn-shacl-instance)."""
        found = {cls}
        below = self.subjects_of.get(_SUBCLASS_OF)
        if not below:
            return found
        todo = [cls]
        while todo:
            c = todo.pop()
            for s in below:
                if s not in found and any(v == c for v, _ in self.out[s][_SUBCLASS_OF]):
                    found.add(s)
                    todo.append(s)
        return found

    def is_instance(self, node: Term, cls: str) -> bool:
        """Whether ``node`` is a SHACL instance of ``cls`` (its type or a subclass of it)."""
        types = self.types(node)
        if cls in types:
            return True
        return _SUBCLASS_OF in self.subjects_of and bool(self.subclasses(cls) & set(types))


def _node_kind_ok(kind: str, node_kind: str) -> bool:
    allowed = {
        SH + "IRI": {"iri"}, SH + "BlankNode": {"bnode"}, SH + "Literal": {"literal"},
        SH + "BlankNodeOrIRI": {"iri", "bnode"}, SH + "BlankNodeOrLiteral": {"bnode", "literal"},
        SH + "IRIOrLiteral": {"iri", "literal"},
    }  # fmt: skip
    return kind in allowed[node_kind]


def _result(shape: Shape, focus: Term, component: str, value: Term | None) -> ShapeResult:
    return ShapeResult(
        severity=shape.severity,
        message=shape.message,
        focus=focus[0],
        path=" / ".join(shape.path) if shape.path else None,
        value=value[0] if value is not None else None,
        component=component,
        shape=shape.id,
    )


def conforms(shape: Shape, value: Term, data: TripleIndex) -> bool:
    """Does ``value`` conform to a nested shape (sh:or / sh:not / sh:node / qualified)? Cached
    per page: the same author is checked by several shapes; and across pages in
    ``data.shared`` when the outcome depends on ``value``'s own triples only (see
    :attr:`TripleIndex.leaves`)."""
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
                got = shared[skey] = (evaluate(shape, value, data, None), data.tainted)
                data.tainted = was or data.tainted
            elif got[1]:
                data.tainted = True
            data.memo[key] = got[0]
            return got[0]
    hit = data.memo[key] = evaluate(shape, value, data, None)
    return hit


def evaluate(shape: Shape, focus: Term, data: TripleIndex, out: list[ShapeResult] | None) -> bool:
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
            if not data.is_instance(v, cls):
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
        if shape.or_ and not any(conforms(s, v, data) for s in shape.or_):
            failures.append(("Or", v))
        for s in shape.not_:
            if conforms(s, v, data):
                failures.append(("Not", v))
        for s in shape.node:
            if not conforms(s, v, data):
                failures.append(("Node", v))
        if shape.properties:
            for s in shape.dense:
                ok = evaluate(s, v, data, out) and ok
            if shape.sparse and v[1] != "literal":
                for pred, bucket in data.out.get(v[0], {}).items():
                    for s in shape.sparse.get(pred, ()):
                        if not s.pattern_only:
                            ok = evaluate(s, v, data, out) and ok
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
        if sum(conforms(shape.qualified, v, data) for v in values) < shape.qualified_min:
            failures.append(("QualifiedMinCount", None))
    if failures and out is not None:
        out.extend([_result(shape, focus, c, v) for c, v in failures])
    return ok and not failures


def evaluate_shapes(shapes: CompiledShapes, data: TripleIndex) -> list[ShapeResult]:
    out: list[ShapeResult] = []
    for root in shapes.roots:
        foci = {
            f
            for target in root.target_classes
            for cls in data.subclasses(target)
            for f in data.by_type.get(cls, ())
        }
        foci |= {f for p in root.target_subjects_of for f in data.subjects_of.get(p, ())}
        for f in sorted(foci):
            evaluate(root, (f, "bnode" if f.startswith("_:") else "iri"), data, out)
    return out


def graph_of(ts: Sequence[Triple]) -> rdflib.Graph:
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


def run_pyshacl_triples(shapes: CompiledShapes, ts: Sequence[Triple]) -> list[ShapeResult]:
    import pyshacl

    g = graph_of(ts)
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
            ShapeResult(
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
