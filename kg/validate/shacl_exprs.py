"""The SPARQL expressions of SHACL Core constraints (https://www.w3.org/TR/shacl/#core-components):
value tests, logical and shape-based constraints, counts and qualified value shapes, for
:mod:`kg.validate.compile`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kg.terms import quote
from kg.validate.shacl_terms import (
    _COMPONENT,
    _KNOWN,
    _MAX_NESTED_COUNT,
    _SH,
    _VALUE_PARAMS,
    CHECKED_DATATYPES,
    SH,
    Unsupported,
    _deactivated,
    _one,
    class_pattern,
    path_text,
    term_sparql,
)


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
