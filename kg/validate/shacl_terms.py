"""SHACL vocabulary and shape reading for the SPARQL translation (:mod:`kg.validate.compile`),
and results as comparable keys (https://www.w3.org/TR/shacl/#results-validation-result)."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kg.terms import literal

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
