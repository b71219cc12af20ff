"""Translate SHACL shapes into SPARQL SELECT queries that run directly on Oxigraph.

Each :class:`Check` is one query yielding one row per validation result of one constraint of
one shape: ``?this`` (the focus node), ``?value`` when the constraint has value nodes, and for
SPARQL-based constraints every variable the query projects (``?path``, message variables).
The translation follows the validators of SHACL Core
(https://www.w3.org/TR/shacl/#core-components) and the pre-binding rules of SHACL-SPARQL
(https://www.w3.org/TR/shacl/#sparql-constraints); whatever it cannot translate faithfully
raises :class:`Unsupported`, and the caller validates that shape with pySHACL instead.

The translation mirrors pySHACL's own reading of the spec wherever the spec leaves room (for
instance which datatypes are checked for well-formed lexical forms, see :data:`CHECKED_DATATYPES`),
because the two engines must return the same results; ``tests/test_validate_parity.py`` checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.terms import literal, quote

__all__ = [
    "CHECKED_DATATYPES",
    "SH",
    "Check",
    "Plan",
    "Unsupported",
    "compile_shapes",
    "path_text",
    "term_sparql",
]

SH = "http://www.w3.org/ns/shacl#"
_SH_NAMES = (
    "NodeShape",
    "PropertyShape",
    "path",
    "targetClass",
    "targetNode",
    "targetSubjectsOf",
    "targetObjectsOf",
    "severity",
    "Violation",
    "message",
    "deactivated",
    "property",
    "sparql",
    "select",
    "prefixes",
    "declare",
    "prefix",
    "namespace",
    "inversePath",
    "alternativePath",
    "zeroOrMorePath",
    "oneOrMorePath",
    "zeroOrOnePath",
    "minCount",
    "maxCount",
    "datatype",
    "nodeKind",
    "class",
    "pattern",
    "flags",
    "minLength",
    "maxLength",
    "in",
    "hasValue",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "languageIn",
    "or",
    "and",
    "not",
    "xone",
    "node",
    "IRI",
    "BlankNode",
    "Literal",
    "BlankNodeOrIRI",
    "BlankNodeOrLiteral",
    "IRIOrLiteral",
    "name",
    "description",
    "order",
    "group",
    "defaultValue",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint",
)
_SH = {name: URIRef(SH + name) for name in _SH_NAMES}

#: Datatypes whose lexical forms pySHACL checks (through rdflib's converters); for these the
#: SPARQL translation also rejects ill-formed literals, with an Oxigraph cast. For any other
#: datatype both engines compare the datatype IRI only.
CHECKED_DATATYPES = frozenset(
    XSD[n] for n in ("integer", "decimal", "boolean", "date", "dateTime", "double", "float")
)

# Constraint parameters the translation understands. Anything else on a shape -> Unsupported.
_KNOWN = {
    _SH[n]
    for n in [
        "path",
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "severity",
        "message",
        "deactivated",
        "property",
        "sparql",
        "minCount",
        "maxCount",
        "datatype",
        "nodeKind",
        "class",
        "pattern",
        "flags",
        "minLength",
        "maxLength",
        "in",
        "hasValue",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "languageIn",
        "or",
        "and",
        "not",
        "xone",
        "node",
        "name",
        "description",
        "order",
        "group",
        "defaultValue",
        "qualifiedValueShape",
        "qualifiedMinCount",
        "qualifiedMaxCount",
        "qualifiedValueShapesDisjoint",
    ]
} | {RDF.type, RDFS.label, RDFS.comment, RDFS.subClassOf, RDFS.isDefinedBy, RDFS.seeAlso}
_VALUE_PARAMS = {
    _SH[n]
    for n in [
        "datatype",
        "nodeKind",
        "class",
        "pattern",
        "minLength",
        "maxLength",
        "in",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "languageIn",
        "or",
        "and",
        "not",
        "xone",
        "node",
    ]
}
_COMPONENT = {
    "minCount": "MinCount", "maxCount": "MaxCount", "datatype": "Datatype", "nodeKind": "NodeKind",
    "class": "Class", "pattern": "Pattern", "minLength": "MinLength", "maxLength": "MaxLength",
    "in": "In", "hasValue": "HasValue", "minInclusive": "MinInclusive",
    "maxInclusive": "MaxInclusive", "minExclusive": "MinExclusive",
    "maxExclusive": "MaxExclusive", "languageIn": "LanguageIn", "or": "Or", "and": "And",
    "not": "Not", "xone": "Xone", "node": "Node", "sparql": "SPARQL",
    "qualifiedMinCount": "QualifiedMinCount", "qualifiedMaxCount": "QualifiedMaxCount",
}  # fmt: skip

#: Largest count a nested sh:minCount/sh:maxCount/qualified count is translated for: inside an
#: expression a count of n distinct values is n joined patterns with pairwise-distinct filters.
_MAX_NESTED_COUNT = 4


class Unsupported(Exception):
    """A shape uses something the SPARQL translation does not cover (pySHACL validates it)."""


@dataclass(frozen=True)
class Check:
    """One SPARQL query finding every result of one constraint of one shape."""

    shape: Node
    component: URIRef
    severity: URIRef
    #: the property path in SPARQL syntax (full IRIs), None on node shapes
    path: str | None
    #: the path node in the shapes graph, for the standard report
    path_node: Node | None
    sparql: str
    messages: tuple[Literal, ...]
    #: sh:sparql constraints: the constraint node; its rows carry ?path/?value and message vars
    constraint: Node | None = None
    #: node shape: a result's value is the focus node unless the query binds ?value
    value_is_focus: bool = False


@dataclass
class Plan:
    """The translated shapes: checks to run, and the shapes left to pySHACL (with the reason)."""

    checks: list[Check] = field(default_factory=list)
    unsupported: dict[Node, str] = field(default_factory=dict)


def term_sparql(node: Node) -> str:
    """A term in SPARQL syntax.

    >>> term_sparql(URIRef("https://schema.org/name"))
    '<https://schema.org/name>'
    >>> term_sparql(Literal("a\\"b", lang="en"))
    '"a\\\\"b"@en'
    """
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        datatype = str(node.datatype) if node.datatype is not None else None
        return literal(str(node), datatype, lang=node.language)
    raise Unsupported(f"blank node {node} used as a constant")


ResultKey = tuple[str | None, ...]


def result_key(g: Graph, result: Node, *, paths: Graph | None = None) -> ResultKey:
    """A ``sh:ValidationResult`` of graph ``g`` as a comparable key: focus, path (SPARQL
    syntax), value, source shape, constraint component, severity, blank nodes as ``_``
    (https://www.w3.org/TR/shacl/#results-validation-result). A path whose blank nodes are not
    in ``g`` is read from ``paths`` (the shapes graph).

    >>> g = Graph(); r = BNode()
    >>> _ = g.add((r, URIRef(SH + "focusNode"), URIRef("urn:x")))
    >>> result_key(g, r)[:3]
    ('<urn:x>', None, None)
    """
    path = g.value(result, URIRef(SH + "resultPath"))
    src = g if path is None or paths is None or (path, None, None) in g else paths
    return (
        anon_key(g.value(result, URIRef(SH + "focusNode"))),
        path_text(src, path) if path is not None else None,
        anon_key(g.value(result, URIRef(SH + "value"))),
        anon_key(g.value(result, URIRef(SH + "sourceShape"))),
        str(g.value(result, URIRef(SH + "sourceConstraintComponent"))),
        str(g.value(result, URIRef(SH + "resultSeverity"))),
    )


def anon_key(node: Node | None) -> str | None:
    """A term in N3, every blank node as ``_`` (blank node labels differ between engines)."""
    if node is None:
        return None
    return "_" if isinstance(node, BNode) else node.n3()


def path_text(g: Graph, path: Node) -> str:
    """A SHACL property path (https://www.w3.org/TR/shacl/#property-paths) in SPARQL syntax.

    >>> from rdflib import BNode
    >>> g = Graph(); p = BNode(); _ = g.add((p, URIRef(SH + "inversePath"), URIRef("urn:p")))
    >>> path_text(g, p)
    '(^<urn:p>)'
    """
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in g:
        return "(" + "/".join(path_text(g, p) for p in Collection(g, path)) + ")"
    for key, fmt in (
        ("inversePath", "^{}"),
        ("zeroOrMorePath", "{}*"),
        ("oneOrMorePath", "{}+"),
        ("zeroOrOnePath", "{}?"),
    ):
        inner = g.value(path, _SH[key])
        if inner is not None:
            return "(" + fmt.format(path_text(g, inner)) + ")"
    alt = g.value(path, _SH["alternativePath"])
    if alt is not None:
        return "(" + "|".join(path_text(g, p) for p in Collection(g, alt)) + ")"
    raise Unsupported(f"unknown path node {path}")


def _one(g: Graph, s: Node, p: URIRef) -> Node | None:
    values = list(g.objects(s, p))
    if len(values) > 1:
        raise Unsupported(f"{s} has several values for {p}")
    return values[0] if values else None


def _shapes_with_targets(g: Graph) -> Iterator[Node]:
    seen: set[Node] = set()
    for key in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
        for s in g.subjects(_SH[key], None):
            if s not in seen:
                seen.add(s)
                yield s
    for kind in (_SH["NodeShape"], _SH["PropertyShape"]):
        for s in g.subjects(RDF.type, kind):
            if (s, RDF.type, RDFS.Class) in g and s not in seen:
                seen.add(s)
                yield s


def class_pattern(v: str, cls: str, c: str) -> str:
    """``v`` is an instance of ``cls`` (https://www.w3.org/TR/shacl/#dfn-shacl-instance):
    ``rdf:type/rdfs:subClassOf*`` written as a UNION of ``rdf:type`` and
    ``rdf:type/rdfs:subClassOf+`` through the variable ``c``. Virtuoso 7.2 finds nothing for
    the zero-length path inside EXISTS or in a sub-select joined with other patterns.

    >>> class_pattern("?this", "<https://schema.org/Person>", "?_c")[:50]
    '{ ?this <http://www.w3.org/1999/02/22-rdf-syntax-n'
    """
    return (
        f"{{ {v} <{RDF.type}> {cls} }} UNION "
        f"{{ {v} <{RDF.type}> {c} . {c} <{RDFS.subClassOf}>+ {cls} }}"
    )


def _focus_group(g: Graph, shape: Node) -> str:
    parts: list[str] = []
    classes = list(g.objects(shape, _SH["targetClass"]))
    if (shape, RDF.type, RDFS.Class) in g:
        classes.append(shape)
    for c in classes:
        parts.append(class_pattern("?this", term_sparql(c), "?_tc"))
    nodes = [term_sparql(n) for n in g.objects(shape, _SH["targetNode"])]
    if nodes:
        parts.append(f"{{ VALUES ?this {{ {' '.join(nodes)} }} }}")
    for p in g.objects(shape, _SH["targetSubjectsOf"]):
        parts.append(f"{{ ?this {term_sparql(p)} ?_t }}")
    for p in g.objects(shape, _SH["targetObjectsOf"]):
        parts.append(f"{{ ?_t {term_sparql(p)} ?this }}")
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _severity(g: Graph, shape: Node) -> URIRef:
    sev = _one(g, shape, _SH["severity"])
    if sev is None:
        return _SH["Violation"]
    if not isinstance(sev, URIRef):
        raise Unsupported("sh:severity is not an IRI")
    return sev


def _deactivated(g: Graph, shape: Node) -> bool:
    value = _one(g, shape, _SH["deactivated"])
    return isinstance(value, Literal) and value.toPython() is True


def _messages(g: Graph, node: Node) -> tuple[Literal, ...]:
    return tuple(m for m in g.objects(node, _SH["message"]) if isinstance(m, Literal))


def _datatype_expr(v: str, dt: Node) -> str:
    if not isinstance(dt, URIRef):
        raise Unsupported("sh:datatype is not an IRI")
    if dt == RDF.langString:
        return f'(isLiteral({v}) && LANG({v}) != "")'
    if dt == XSD.string:
        return f'(isLiteral({v}) && DATATYPE({v}) = <{XSD.string}> && LANG({v}) = "")'
    if dt == RDFS.Literal or dt == RDFS.Datatype:
        raise Unsupported(f"sh:datatype {dt}")
    test = f"(isLiteral({v}) && DATATYPE({v}) = <{dt}>"
    if dt in CHECKED_DATATYPES:
        test += f' && !sameTerm(COALESCE(STR(<{dt}>(STR({v}))), "\\u0000"), "\\u0000")'
    elif dt in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[dt]
        n = f"<{XSD.integer}>(STR({v}))"
        bounds = [
            f"{n} >= {low}" if low is not None else "",
            f"{n} <= {high}" if high is not None else "",
        ]
        test += "".join(f" && {b}" for b in bounds if b)
    return test + ")"


# Integer-derived XSD datatypes and their value spaces (https://www.w3.org/TR/xmlschema11-2/#built-in-datatypes):
# pySHACL checks their ranges, so the translation does too (through an xsd:integer cast).
_INTEGER_RANGES: dict[Node, tuple[int | None, int | None]] = {
    XSD.byte: (-128, 127), XSD.short: (-32768, 32767), XSD.int: (-2147483648, 2147483647),
    XSD.long: (-9223372036854775808, 9223372036854775807), XSD.unsignedByte: (0, 255),
    XSD.unsignedShort: (0, 65535), XSD.unsignedInt: (0, 4294967295),
    XSD.unsignedLong: (0, 18446744073709551615), XSD.nonNegativeInteger: (0, None),
    XSD.positiveInteger: (1, None), XSD.nonPositiveInteger: (None, 0),
    XSD.negativeInteger: (None, -1),
}  # fmt: skip


_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isIRI({v}) || isBlank({v}))",
    "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}


class _Fresh:
    """Fresh variable names for the nested patterns of one query (``?_x1``, ``?_x2``, ...).

    Every EXISTS block gets its own variables: SPARQL substitutes the outer solution's bindings
    into an EXISTS pattern, so a name reused from an enclosing block would wrongly be joined.
    """

    def __init__(self) -> None:
        self.n = 0
        #: the shapes being expanded, outermost first: a shape met again refers to itself
        self.active: list[Node] = []

    def __call__(self) -> str:
        self.n += 1
        return f"?_x{self.n}"


def _value_expr(
    g: Graph,
    shape: Node,
    param: URIRef,
    arg: Node,
    v: str,
    depth: int = 0,
    fresh: _Fresh | None = None,
) -> str:
    """The SPARQL expression that holds when value ``v`` conforms to one constraint.

    The expression never raises a SPARQL error, so callers use it without ``COALESCE``: each
    leaf test that can fail (a comparison of incomparable values, a REGEX) is wrapped in
    ``COALESCE(leaf, false)`` itself, and ``EXISTS`` stays outside any ``COALESCE``/``IF``/
    ``BIND``, which Virtuoso refuses (SQ074). Portable to Oxigraph, Virtuoso, rdflib and pySHACL.
    """
    name = param[len(SH) :]
    if name in _LEAF_PARAMS:
        return f"COALESCE({_leaf_expr(g, shape, name, arg, v)}, false)"
    if name == "class":
        # rdf:type/rdfs:subClassOf* spelled as a UNION: Virtuoso 7.2 finds nothing for the
        # zero-length path inside EXISTS
        c = (fresh if fresh is not None else _Fresh())()
        return f"EXISTS {{ {class_pattern(v, term_sparql(arg), c)} }}"
    if name == "in":
        nodes = list(Collection(g, arg))
        if not nodes:
            return "false"
        # IRIs by IN (= is sameTerm for IRIs): Virtuoso 7.2 drops rows for an OR of sameTerm
        # tests inside NOT EXISTS; literals keep sameTerm (= would compare them by value)
        iris = [term_sparql(m) for m in nodes if isinstance(m, URIRef)]
        tests = [f"{v} IN ({', '.join(iris)})"] if iris else []
        tests += [f"sameTerm({v}, {term_sparql(m)})" for m in nodes if not isinstance(m, URIRef)]
        return "(" + " || ".join(tests) + ")"
    return _logical_expr(g, shape, name, arg, v, depth, fresh)


_LEAF_PARAMS = frozenset(
    {
        "datatype", "nodeKind", "pattern", "minLength", "maxLength", "minInclusive",
        "maxInclusive", "minExclusive", "maxExclusive", "languageIn",
    }
)  # fmt: skip


def _leaf_expr(g: Graph, shape: Node, name: str, arg: Node, v: str) -> str:
    """A value test without EXISTS (it may raise a SPARQL error: the caller guards it)."""
    if name == "datatype":
        return _datatype_expr(v, arg)
    if name == "nodeKind":
        kind = str(arg)[len(SH) :] if isinstance(arg, URIRef) and str(arg).startswith(SH) else ""
        if kind not in _NODE_KINDS:
            raise Unsupported(f"sh:nodeKind {arg}")
        return _NODE_KINDS[kind].format(v=v)
    if name == "pattern":
        flags = _one(g, shape, _SH["flags"])
        extra = f", {quote(str(flags))}" if flags is not None else ""
        return f"(!isBlank({v}) && REGEX(STR({v}), {quote(str(arg))}{extra}))"
    if name in ("minLength", "maxLength"):
        op = ">=" if name == "minLength" else "<="
        return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(arg)})"  # type: ignore[call-overload]
    if name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"):
        ops = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}
        if not isinstance(arg, Literal):
            raise Unsupported(f"sh:{name} is not a literal")
        return f"(isLiteral({v}) && {v} {ops[name]} {term_sparql(arg)})"
    if name == "languageIn":
        tags = [str(t) for t in Collection(g, arg)]
        tests = " || ".join(f"langMatches(LANG({v}), {quote(t)})" for t in tags)
        return f"(isLiteral({v}) && ({tests or 'false'}))"
    raise Unsupported(f"sh:{name}")


def _logical_expr(
    g: Graph, shape: Node, name: str, arg: Node, v: str, depth: int, fresh: _Fresh | None
) -> str:
    """sh:node, sh:not, sh:and, sh:or and sh:xone over the members' (error-free) expressions."""
    if depth > 8:
        raise Unsupported("shape references nested too deeply")
    fresh = fresh if fresh is not None else _Fresh()
    if name == "node":
        if _one(g, arg, _SH["path"]) is not None:  # pySHACL: "not a well-formed NodeShape"
            raise Unsupported("sh:node refers to a property shape")
        return _shape_expr(g, arg, v, depth + 1, fresh)
    if name == "not":
        return f"!{_shape_expr(g, arg, v, depth + 1, fresh)}"
    members = [_shape_expr(g, m, v, depth + 1, fresh) for m in Collection(g, arg)]
    if name == "and":
        return "(" + " && ".join(members or ["true"]) + ")"
    if name == "or":
        return "(" + " || ".join(members or ["false"]) + ")"
    if name == "xone":  # exactly one member holds; no IF around EXISTS (Virtuoso SQ074)
        ones = [
            "(" + " && ".join(m if i == j else f"!{m}" for j, m in enumerate(members)) + ")"
            for i in range(len(members))
        ]
        return "(" + " || ".join(ones or ["false"]) + ")"
    raise Unsupported(f"sh:{name} inside a logical constraint")


def _count(arg: Node, name: str) -> int:
    """The integer of a count parameter (pySHACL refuses anything else: a shapes-graph error)."""
    if not isinstance(arg, Literal) or not isinstance(arg.toPython(), int):
        raise Unsupported(f"sh:{name} is not an integer")
    value = arg.toPython()
    assert isinstance(value, int)
    if isinstance(value, bool) or value < 0:
        raise Unsupported(f"sh:{name} {value}")
    return value


def _at_least(v: str, path: str, n: int, test: Callable[[str], str], fresh: _Fresh) -> str:
    """Whether ``v`` has at least ``n`` distinct values on ``path`` for which ``test`` holds."""
    if n <= 0:
        return "true"
    if n > _MAX_NESTED_COUNT:
        raise Unsupported(f"a nested count of {n}")
    xs = [fresh() for _ in range(n)]
    patterns = " ".join(f"{v} {path} {x} ." for x in xs)
    conds = [test(x) for x in xs]
    conds += [f"!sameTerm({a}, {b})" for i, a in enumerate(xs) for b in xs[i + 1 :]]
    conds = [c for c in conds if c != "true"]
    where = f" FILTER({' && '.join(conds)})" if conds else ""
    return f"EXISTS {{ {patterns}{where} }}"


def _qualified(g: Graph, prop: Node) -> tuple[list[Node], list[Node], int | None, int | None]:
    """A property shape's qualified value shapes, their sibling shapes, and the two counts.

    Sibling shapes (https://www.w3.org/TR/shacl/#QualifiedValueShapeConstraintComponent) as
    pySHACL reads them: with ``sh:qualifiedValueShapesDisjoint true``, the qualified value
    shapes of every property shape of every shape having this one as ``sh:property``.
    """
    value_shapes = list(g.objects(prop, _SH["qualifiedValueShape"]))
    if not value_shapes and _one(g, prop, _SH["path"]) is None:
        # the mandatory parameter is missing: the component does not apply (W3C test
        # core/node/qualified-001), and pySHACL ignores it on node shapes
        return [], [], None, None
    mins = [_count(n, "qualifiedMinCount") for n in g.objects(prop, _SH["qualifiedMinCount"])]
    maxs = [_count(n, "qualifiedMaxCount") for n in g.objects(prop, _SH["qualifiedMaxCount"])]
    if not value_shapes or len(mins) > 1 or len(maxs) > 1 or not (mins or maxs):
        raise Unsupported("an incomplete qualified cardinality constraint")
    if _one(g, prop, _SH["path"]) is None:
        raise Unsupported("sh:qualifiedValueShape on a node shape (pySHACL ignores it)")
    disjoint = any(
        isinstance(d, Literal) and d.toPython() is True
        for d in g.objects(prop, _SH["qualifiedValueShapesDisjoint"])
    )
    siblings: list[Node] = []
    if disjoint:
        for parent in g.subjects(_SH["property"], prop):
            for other in g.objects(parent, _SH["property"]):
                siblings.extend(g.objects(other, _SH["qualifiedValueShape"]))
    return value_shapes, siblings, mins[0] if mins else None, maxs[0] if maxs else None


def _qualified_test(
    g: Graph, value_shape: Node, siblings: list[Node], depth: int, fresh: _Fresh
) -> Callable[[str], str]:
    """Whether a value counts for a qualified value shape: it conforms to the shape and (when
    the shapes are disjoint) to none of its siblings."""

    def test(x: str) -> str:
        tests = [_shape_expr(g, value_shape, x, depth + 1, fresh)]
        tests += [
            f"!{_shape_expr(g, s, x, depth + 1, fresh)}" for s in siblings if s != value_shape
        ]
        return "(" + " && ".join(tests) + ")"

    return test


def _shape_expr(g: Graph, shape: Node, v: str, depth: int, fresh: _Fresh) -> str:
    """Whether ``v`` conforms to ``shape`` (https://www.w3.org/TR/shacl/#conformance).

    The shape may be a node shape (value constraints on ``v`` itself, ``sh:property``) or a
    property shape (``sh:path`` from ``v``, with ``sh:minCount``/``sh:maxCount``,
    ``sh:hasValue``, qualified counts, and value constraints on every value node). Conformance
    means no validation result of any severity, as in pySHACL with warnings not allowed;
    targets, messages and severities of the shape play no part.
    """
    if depth > 8:
        raise Unsupported("shape references nested too deeply")
    if shape in fresh.active:  # pySHACL warns and lets the recursive reference conform
        raise Unsupported("a shape refers to itself")
    if _deactivated(g, shape):
        return "true"
    fresh.active.append(shape)
    try:
        return _conforms(g, shape, v, depth, fresh)
    finally:
        fresh.active.pop()


def _conforms(g: Graph, shape: Node, v: str, depth: int, fresh: _Fresh) -> str:
    path_node = _one(g, shape, _SH["path"])
    path = path_text(g, path_node) if path_node is not None else None
    tests: list[str] = []
    values: list[str] = []  # constraints every value node must meet (property shapes)
    x = v if path is None else fresh()
    qualified_done = False
    for p, o in g.predicate_objects(shape):
        if p == _SH["sparql"]:
            raise Unsupported("a logical constraint refers to a shape with a SPARQL constraint")
        if p not in _KNOWN:
            raise Unsupported(f"{p} inside a logical constraint")
        if p == _SH["hasValue"]:
            if path is None:
                tests.append(f"sameTerm({v}, {term_sparql(o)})")
            else:
                y = fresh()
                tests.append(f"EXISTS {{ {v} {path} {y} FILTER(sameTerm({y}, {term_sparql(o)})) }}")
        elif p in _VALUE_PARAMS:
            assert isinstance(p, URIRef)
            values.append(_value_expr(g, shape, p, o, x, depth, fresh))
        elif p in (_SH["minCount"], _SH["maxCount"]):
            if path is None:
                raise Unsupported("sh:minCount/sh:maxCount on a node shape")
            n = _count(o, str(p)[len(SH) :])
            if p == _SH["minCount"]:
                tests.append(_at_least(v, path, n, lambda _x: "true", fresh))
            else:
                tests.append("!" + _at_least(v, path, n + 1, lambda _x: "true", fresh))
        elif p == _SH["property"]:
            if path is not None:
                raise Unsupported("sh:property on a property shape")
            if _one(g, o, _SH["path"]) is None and not _deactivated(g, o):
                raise Unsupported("sh:property without sh:path")
            tests.append(_shape_expr(g, o, v, depth + 1, fresh))
        elif str(p).startswith(SH + "qualified") and not qualified_done:
            qualified_done = True
            value_shapes, siblings, low, high = _qualified(g, shape)
            for vs in value_shapes:
                assert path is not None
                counted = _qualified_test(g, vs, siblings, depth, fresh)
                if low is not None:
                    tests.append(_at_least(v, path, low, counted, fresh))
                if high is not None:
                    tests.append("!" + _at_least(v, path, high + 1, counted, fresh))
    if values:
        if path is None:
            tests.extend(values)
        else:
            fails = " && ".join(values)
            tests.append(f"NOT EXISTS {{ {v} {path} {x} FILTER(!({fails})) }}")
    return "(" + " && ".join(tests or ["true"]) + ")"


def _qualified_checks(g: Graph, prop: Node, focus: str) -> Iterator[tuple[str, str]]:
    """The qualified cardinality checks of a property shape: (component name, query) pairs.

    As in pySHACL, each qualified value shape is counted on its own and a result has the focus
    node and the path but no value (https://www.w3.org/TR/shacl/#QualifiedValueShapeConstraintComponent).
    """
    value_shapes, siblings, low, high = _qualified(g, prop)
    path_node = _one(g, prop, _SH["path"])
    if path_node is None:
        return
    path = path_text(g, path_node)
    for vs in value_shapes:
        fresh = _Fresh()
        counted = _qualified_test(g, vs, siblings, 0, fresh)("?_q")
        if low is not None and low == 1:
            where = f"FILTER NOT EXISTS {{ ?this {path} ?_q FILTER({counted}) }}"
            yield "qualifiedMinCount", f"SELECT ?this WHERE {{ {focus} {where} }}"
        elif low is not None and low > 1:
            where = f"OPTIONAL {{ ?this {path} ?_q FILTER({counted}) }}"
            having = f"HAVING (COUNT(DISTINCT ?_q) < {low})"
            yield (
                "qualifiedMinCount",
                f"SELECT ?this WHERE {{ {focus} {where} }} GROUP BY ?this {having}",
            )
        if high is not None:
            where = f"?this {path} ?_q FILTER({counted})"
            having = f"HAVING (COUNT(DISTINCT ?_q) > {high})"
            yield (
                "qualifiedMaxCount",
                f"SELECT ?this WHERE {{ {focus} {where} }} GROUP BY ?this {having}",
            )


def _component(name: str) -> URIRef:
    return URIRef(f"{SH}{_COMPONENT[name]}ConstraintComponent")


class _Compiler:
    def __init__(self, g: Graph) -> None:
        self.g = g
        self.prefix_cache: dict[Node, str] = {}

    def shape(self, shape: Node, focus: str, plan: list[Check], depth: int = 0) -> None:
        g = self.g
        if _deactivated(g, shape):
            return
        if depth > 4:
            raise Unsupported("nested sh:property too deep")
        unknown = [p for p in g.predicates(shape, None) if p not in _KNOWN]
        if unknown:
            raise Unsupported(f"constraint parameter {unknown[0]} is not translated")
        path_node = _one(g, shape, _SH["path"])
        path = path_text(g, path_node) if path_node is not None else None
        sev = _severity(g, shape)
        messages = _messages(g, shape)

        def check(name: str, sparql: str, **kw: object) -> None:
            plan.append(
                Check(shape, _component(name), sev, path, path_node, sparql, messages,
                      value_is_focus=path is None, **kw)  # type: ignore[arg-type]
            )  # fmt: skip

        values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"
        qualified_done = False
        for p, arg in g.predicate_objects(shape):
            name = str(p)[len(SH) :] if str(p).startswith(SH) else ""
            if p in _VALUE_PARAMS:
                assert isinstance(p, URIRef)
                expr = _value_expr(g, shape, p, arg, "?value", fresh=_Fresh())
                check(
                    name,
                    f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} FILTER(!{expr}) }}",
                )
            elif name in ("minCount", "maxCount"):
                if path is None:
                    raise Unsupported(f"sh:{name} on a node shape")
                n = int(arg)  # type: ignore[call-overload]
                if name == "minCount" and n == 1:
                    where = f"{focus} FILTER NOT EXISTS {{ ?this {path} ?_v }}"
                    check(name, f"SELECT ?this WHERE {{ {where} }}")
                elif name == "minCount" and n == 0:
                    continue
                elif name == "maxCount" and n == 1:  # two distinct values: cheaper than COUNT
                    check(
                        name,
                        f"SELECT DISTINCT ?this WHERE {{ {focus} ?this {path} ?_a . "
                        f"?this {path} ?_b . FILTER(!sameTerm(?_a, ?_b)) }}",
                    )
                else:
                    op = "<" if name == "minCount" else ">"
                    check(
                        name,
                        f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?_v }} }} "
                        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) {op} {n})",
                    )
            elif name == "hasValue":
                if path is None:  # pySHACL gives no sh:value here (the W3C suite agrees)
                    plan.append(
                        Check(shape, _component(name), sev, None, None,
                              f"SELECT ?this WHERE {{ {focus} "
                              f"FILTER(!sameTerm(?this, {term_sparql(arg)})) }}", messages)
                    )  # fmt: skip
                else:
                    check(
                        name,
                        f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?_v "
                        f"FILTER(sameTerm(?_v, {term_sparql(arg)})) }} }}",
                    )
            elif name == "property":
                if path is not None:
                    raise Unsupported("sh:property on a property shape")
                self.shape(arg, focus, plan, depth + 1)
            elif name.startswith("qualified") and not qualified_done:
                qualified_done = True
                for component, sparql in _qualified_checks(g, shape, focus):
                    check(component, sparql)
            elif name == "sparql":
                if _deactivated(g, arg):
                    continue
                plan.append(self.sparql(shape, arg, focus, path, path_node, sev, messages))

    def prefixes(self, node: Node) -> str:
        """PREFIX declarations of ``sh:prefixes`` (https://www.w3.org/TR/shacl/#sparql-prefixes)."""
        lines = []
        todo, seen = list(self.g.objects(node, _SH["prefixes"])), set()
        while todo:  # sh:prefixes, and the ontologies they owl:imports
            ontology = todo.pop()
            if ontology in seen:
                continue
            seen.add(ontology)
            todo.extend(self.g.objects(ontology, OWL.imports))
            for decl in self.g.objects(ontology, _SH["declare"]):
                prefix = self.g.value(decl, _SH["prefix"])
                ns = self.g.value(decl, _SH["namespace"])
                if prefix is None or ns is None:
                    raise Unsupported("incomplete sh:declare")
                lines.append(f"PREFIX {prefix}: <{ns}>")
        return "\n".join(lines)

    def sparql(
        self,
        shape: Node,
        constraint: Node,
        focus: str,
        path: str | None,
        path_node: Node | None,
        sev: URIRef,
        messages: tuple[Literal, ...],
    ) -> Check:
        select = _one(self.g, constraint, _SH["select"])
        if select is None:
            raise Unsupported("sh:sparql without sh:select")
        text = str(select)
        body = _strip_comments(text)
        if re.search(r"[$?](currentShape|shapesGraph)\b", body):
            raise Unsupported("query uses $currentShape or $shapesGraph")
        if len(re.findall(r"\bSELECT\b", body, re.IGNORECASE)) != 1:
            raise Unsupported("query has a sub-select (pre-binding cannot be emulated by a join)")
        if re.search(r"\b(VALUES|MINUS|SERVICE)\b", body, re.IGNORECASE):
            raise Unsupported("query uses VALUES, MINUS or SERVICE")
        if re.search(r"\bBIND\s*\([^)]*\bAS\s+[$?]this\b", body, re.IGNORECASE):
            raise Unsupported("query assigns $this")
        if _filters_before_binding(body):
            raise Unsupported(
                "a nested group tests $this without binding it (needs true pre-binding)"
            )
        if "$PATH" in body:
            if path is None:
                raise Unsupported("$PATH in a node shape")
            body = body.replace("$PATH", path)
        body = re.sub(r"\$this\b", "?this", body)
        m = re.search(r"\bSELECT\b(.*?)\bWHERE\s*\{", body, re.IGNORECASE | re.DOTALL)
        if m is None:
            raise Unsupported("cannot find SELECT ... WHERE {")
        projection = m.group(1)
        if "*" not in projection and not re.search(r"\?this\b", projection):
            projection = projection.rstrip() + " ?this "
        out = body[: m.start()] + f"SELECT{projection}WHERE {{ {focus} " + body[m.end() :]
        prefixes = self.prefixes(constraint)
        msgs = _messages(self.g, constraint) or messages
        return Check(
            shape,
            _component("sparql"),
            sev,
            path,
            path_node,
            f"{prefixes}\n{out}" if prefixes else out,
            msgs,
            constraint=constraint,
            value_is_focus=path is None,
        )


def _groups(text: str) -> list[tuple[int, int, int]]:
    """(start, end, depth) of every ``{...}`` block of a query."""
    out, stack = [], []
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            start = stack.pop()
            out.append((start, i, len(stack)))
    return out


def _strip_calls(text: str, names: str = "FILTER|BIND") -> str:
    """``text`` without the parenthesized arguments of FILTER/BIND calls."""
    out, i = [], 0
    for m in re.finditer(rf"\b({names})\s*\(", text, re.IGNORECASE):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 0, m.end() - 1
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        i = j + 1
    return "".join(out) + text[i:]


def _filters_before_binding(body: str) -> bool:
    """Whether a nested group (not an EXISTS block) tests ``$this`` only in FILTER/BIND.

    Pre-binding substitutes the focus node into every group; emulating it with a join on the
    outermost group differs exactly when an inner group filters on ``$this`` without a triple
    pattern binding it there (W3C tests sparql/pre-binding-002, -005).
    """
    groups = _groups(body)
    for start, end, depth in groups:
        if depth < 1 or re.search(r"EXISTS\s*$", body[:start], re.IGNORECASE):
            continue
        direct = body[start + 1 : end]
        for s2, e2, _d in sorted(
            (g for g in groups if start < g[0] and g[1] < end and g[2] == depth + 1), reverse=True
        ):
            direct = direct[: s2 - start - 1] + direct[e2 - start :]
        if "$this" in direct and "$this" not in _strip_calls(direct):
            return True
    return False


def _strip_comments(text: str) -> str:
    # '#' starts a comment outside IRIs and strings; the shapes kg ships put none inside either.
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def compile_shapes(g: Graph) -> Plan:
    """Translate every shape with a target (https://www.w3.org/TR/shacl/#targets).

    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
    ... <urn:S> a sh:NodeShape ; sh:targetClass <urn:C> ;
    ...   sh:property [ sh:path <urn:p> ; sh:minCount 1 ] .''', format="turtle")
    >>> plan = compile_shapes(g)
    >>> [c.component.split("#")[1] for c in plan.checks], plan.unsupported
    (['MinCountConstraintComponent'], {})
    """
    plan = Plan()
    compiler = _Compiler(g)
    for shape in _shapes_with_targets(g):
        checks: list[Check] = []
        try:
            compiler.shape(shape, _focus_group(g, shape), checks)
        except Unsupported as exc:
            plan.unsupported[shape] = str(exc)
            continue
        plan.checks.extend(checks)
    return plan
