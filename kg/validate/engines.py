"""The two validation engines and the data they read.

- ``sparql``: the shapes translated by :mod:`kg.validate.compile`, run as SPARQL on Oxigraph
  (the embedded store, an in-memory copy, or a remote endpoint). Fast; covers the SHACL Core
  components kg's shapes use and SPARQL-based constraints.
- ``pyshacl``: pySHACL (https://github.com/RDFLib/pySHACL) over an in-memory rdflib Graph
  (never over an rdflib store backed by Oxigraph: that is ~24x slower). The reference engine,
  and the fallback for every shape the translation does not support.

Both produce :class:`Finding` objects with the same rdflib terms, so their results compare
exactly (``tests/test_validate_parity.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.namespace import SH as SHACL
from rdflib.term import Node

from kg.validate.compile import SH, Check, path_text

__all__ = ["Data", "Finding", "run_pyshacl", "run_sparql_checks", "to_oxigraph", "to_rdflib"]

_XSD_STRING = str(XSD.string)
_SH_RESULT_TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")


class _Queryable(Protocol):
    def query(self, sparql: str) -> Any: ...


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | Any) -> Node:
    """An rdflib term for a pyoxigraph term (blank node ids are kept).

    >>> to_rdflib(ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    rdflib.term.Literal('1', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    """
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
    raise TypeError(f"not an RDF term: {term!r}")


def _to_ox(term: Node) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_oxigraph(graph: Graph) -> ox.Store:
    """An in-memory Oxigraph store holding ``graph`` (named graphs of a Dataset kept).

    Blank node ids survive, so results on either engine name the same nodes.
    """
    store = ox.Store()
    quads = []
    contexts = getattr(graph, "contexts", None)
    if callable(contexts) and hasattr(graph, "quads"):
        for s, p, o, ctx in graph.quads((None, None, None, None)):
            name = getattr(ctx, "identifier", ctx)
            g = ox.DefaultGraph() if name is None or "DEFAULT" in str(name) else _to_ox(name)
            quads.append(ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), g))
    else:
        quads = [ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in graph]
    store.extend(quads)
    return store


class Data:
    """The data under validation: SPARQL over its union graph, and an rdflib copy on demand."""

    def __init__(
        self,
        select: Callable[[str], tuple[list[str], Iterable[Sequence[Any]]]],
        graph: Callable[[], Graph],
    ) -> None:
        self._select = select
        self._graph = graph
        self._rdflib: Graph | None = None
        self._cache: dict[Any, Node] = {}

    @classmethod
    def of(cls, data: Any) -> Data:
        """Wrap a kg store (embedded or remote), a pyoxigraph Store, or an rdflib Graph/Dataset."""
        if isinstance(data, Graph):
            store = to_oxigraph(data)
            plain = Graph()
            if hasattr(data, "quads"):  # Dataset / ConjunctiveGraph: the union of its graphs
                for s, p, o, _g in data.quads((None, None, None, None)):
                    plain.add((s, p, o))
            else:
                for t in data:
                    plain.add(t)
            return cls(_ox_select(store), lambda: plain)
        if isinstance(data, ox.Store):
            return cls(_ox_select(data), lambda: _construct(_ox_select(data)))
        if hasattr(data, "query"):
            return cls(_kg_select(data), lambda: _construct_kg(data))
        raise TypeError(f"cannot validate a {type(data).__name__}")

    def select(self, sparql: str) -> list[dict[str, Node]]:
        """Rows of a SELECT as {variable: rdflib term}; unbound variables are left out."""
        variables, rows = self._select(sparql)
        out = []
        cache = self._cache
        for row in rows:
            d: dict[str, Node] = {}
            for var, term in zip(variables, row, strict=True):
                if term is None:
                    continue
                key = (type(term), str(term))
                node = cache.get(key)
                if node is None:
                    node = cache[key] = to_rdflib(term)
                d[var] = node
            out.append(d)
        return out

    def graph(self) -> Graph:
        """The data as an in-memory rdflib Graph (built once), for pySHACL."""
        if self._rdflib is None:
            self._rdflib = self._graph()
        return self._rdflib


def _ox_select(store: ox.Store) -> Callable[[str], tuple[list[str], Iterable[Sequence[Any]]]]:
    def select(sparql: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
        res = store.query(sparql, use_default_graph_as_union=True)
        assert isinstance(res, ox.QuerySolutions)
        variables = [v.value for v in res.variables]
        return variables, [[sol[v] for v in variables] for sol in res]

    return select


def _kg_select(store: _Queryable) -> Callable[[str], tuple[list[str], Iterable[Sequence[Any]]]]:
    def select(sparql: str) -> tuple[list[str], Iterable[Sequence[Any]]]:
        res = store.query(sparql)
        return list(res.variables), res.rows

    return select


def _construct(select: Callable[[str], tuple[list[str], Iterable[Sequence[Any]]]]) -> Graph:
    g = Graph()
    _, rows = select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    conv: dict[Any, Node] = {}
    for row in rows:
        g.add(tuple(conv.get(t) or conv.setdefault(t, to_rdflib(t)) for t in row))  # type: ignore[arg-type]
    return g


def _construct_kg(store: _Queryable) -> Graph:
    return _construct(_kg_select(store))


@dataclass(frozen=True)
class Finding:
    """One validation result as RDF terms, before labels and sources are attached."""

    severity: URIRef
    focus: Node
    path: str | None
    path_node: Node | None
    value: Node | None
    shape: Node
    component: URIRef
    message: str
    constraint: Node | None = None

    def key(self) -> tuple[Any, ...]:
        return (
            self.focus, self.path, self.value, self.shape, self.component, self.constraint,
            self.severity,
        )  # fmt: skip


_MESSAGE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def pick_message(messages: Sequence[Literal]) -> Literal | None:
    """The English (or untagged) message of a shape, else the first one."""
    for m in messages:
        if m.language in (None, "en"):
            return m
    return messages[0] if messages else None


def _default_message(check: Check) -> str:
    name = check.component[len(SH) :].replace("ConstraintComponent", "")
    return f"{name} constraint not satisfied"


def _fill(template: str, row: dict[str, Node]) -> str:
    return _MESSAGE_VAR.sub(lambda m: str(row.get(m.group(1), m.group(0))), template)


_SINGLE_CLASS_TARGET = re.compile(
    r"\{ SELECT DISTINCT \?this WHERE \{ \{ \?this <"
    + re.escape(str(RDF.type))
    + r"> (<[^>]+>) \} \} \}"
)
#: :func:`kg.validate.shacl_terms.class_pattern`: the subclass branch of its UNION
_CLASS_UNION = re.compile(
    r"\{ (\S+) <" + re.escape(str(RDF.type)) + r"> (<[^>]+>) \} UNION \{ \1 <"
    + re.escape(str(RDF.type)) + r"> (\?\w+) \. \3 <" + re.escape(str(RDFS.subClassOf))
    + r">\+ \2 \}"
)  # fmt: skip


_DISTINCT = re.compile(r"^SELECT\s+(DISTINCT|REDUCED)\b|^(?!SELECT\s)", re.IGNORECASE)


def _without_subclass_paths(sparql: str) -> str:
    """Class membership as plain ``rdf:type`` patterns, a single class target unwrapped.

    Only valid when the data holds no ``rdfs:subClassOf`` triple (then the ``*`` path adds
    nothing); Oxigraph plans the plain pattern much better than the path inside a sub-select.
    """
    plain = _CLASS_UNION.sub(lambda m: f"{{ {m.group(1)} <{RDF.type}> {m.group(2)} }}", sparql)
    plain = _SINGLE_CLASS_TARGET.sub(lambda m: f"?this <{RDF.type}> {m.group(1)} .", plain)
    plain = plain.replace(f"<{RDF.type}>/<{RDFS.subClassOf}>*", f"<{RDF.type}>")
    if plain != sparql and not _DISTINCT.match(plain):
        # The unwrapped pattern has lost the target's DISTINCT: over the union of named graphs
        # a node typed in n graphs (an author every source mentions) matched n times, and a
        # check such as sh:minCount gave n identical results (701 vs pySHACL's 642 at 100k).
        plain = "SELECT DISTINCT " + plain.removeprefix("SELECT ")
    return plain


def run_sparql_checks(checks: Sequence[Check], data: Data) -> list[Finding]:
    """Run every translated check on ``data`` and return its findings (duplicates removed)."""
    out: list[Finding] = []
    seen: set[tuple[Any, ...]] = set()
    flat = not data.select(f"SELECT ?s WHERE {{ ?s <{RDFS.subClassOf}> ?o }} LIMIT 1")
    for check in checks:
        message = pick_message(check.messages)
        sparql = _without_subclass_paths(check.sparql) if flat else check.sparql
        for row in data.select(sparql):
            focus = row["this"]
            value = row.get("value")
            if value is None and check.value_is_focus:
                value = focus
            path, path_node = check.path, check.path_node
            if check.constraint is not None and isinstance(row.get("path"), URIRef):
                path_node = row["path"]
                path = f"<{path_node}>"
            if check.constraint is not None:
                dedup = (check.shape, check.constraint, tuple(sorted(row.items())))
                if dedup in seen:
                    continue
                seen.add(dedup)
            # a node typed in two graphs matched twice when the class target was unwrapped
            # (the union default graph keeps duplicates): one result per check, focus and value
            key = (id(check), focus, path, value)
            if key in seen:
                continue
            seen.add(key)
            text = _fill(str(message), row) if message is not None else _default_message(check)
            out.append(
                Finding(
                    check.severity,
                    focus,
                    path,
                    path_node,
                    value,
                    check.shape,
                    check.component,
                    text,
                    check.constraint,
                )
            )
    return out


def _only_shapes(shapes: Graph, keep: set[Node]) -> Graph:
    """A copy of ``shapes`` where only ``keep`` have targets (the others stay referable)."""
    g = Graph()
    for t in shapes:
        g.add(t)
    for key in _SH_RESULT_TARGETS:
        for s, o in list(g.subject_objects(URIRef(SH + key))):
            if s not in keep:
                g.remove((s, URIRef(SH + key), o))
    rdfs_class = URIRef("http://www.w3.org/2000/01/rdf-schema#Class")
    for s in list(g.subjects(RDF.type, rdfs_class)):
        if s not in keep and (
            (s, RDF.type, URIRef(SH + "NodeShape")) in g
            or (s, RDF.type, URIRef(SH + "PropertyShape")) in g
        ):
            g.remove((s, RDF.type, rdfs_class))
    return g


def run_pyshacl(data: Data, shapes: Graph, *, only: set[Node] | None = None) -> list[Finding]:
    """Validate with pySHACL (no inference) and read its ``sh:ValidationReport`` back."""
    from pyshacl import validate as pyshacl_validate

    sg = _only_shapes(shapes, only) if only is not None else shapes
    _conforms, report, _text = pyshacl_validate(
        data.graph(), shacl_graph=sg, inference="none", advanced=False, allow_warnings=False
    )
    assert isinstance(report, Graph)
    sh = SHACL  # rdflib's SHACL namespace: sh["result"] etc.
    out = []
    for rep in report.subjects(RDF.type, sh["ValidationReport"]):
        for r in report.objects(rep, sh["result"]):
            path_node = report.value(r, sh["resultPath"])
            path = None
            if path_node is not None:
                src = report if (path_node, None, None) in report else sg
                path = path_text(src, path_node)
            messages = [m for m in report.objects(r, sh["resultMessage"]) if isinstance(m, Literal)]
            msg = pick_message(sorted(messages))
            out.append(
                Finding(
                    severity=report.value(r, sh["resultSeverity"]),  # type: ignore[arg-type]
                    focus=report.value(r, sh["focusNode"]),  # type: ignore[arg-type]
                    path=path,
                    path_node=path_node,
                    value=report.value(r, sh["value"]),
                    shape=report.value(r, sh["sourceShape"]),  # type: ignore[arg-type]
                    component=report.value(r, sh["sourceConstraintComponent"]),  # type: ignore[arg-type]
                    message=str(msg) if msg is not None else "",
                    constraint=report.value(r, sh["sourceConstraint"]),
                )
            )
    return out
