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
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL
from rdflib.term import Node

from kg.validate.shacl_exprs import (
    _component,
    _Fresh,
    _qualified_checks,
    _value_expr,
)
from kg.validate.shacl_terms import (
    _KNOWN,
    _SH,
    _VALUE_PARAMS,
    CHECKED_DATATYPES,
    SH,
    Unsupported,
    _deactivated,
    _focus_group,
    _messages,
    _one,
    _severity,
    _shapes_with_targets,
    path_text,
    term_sparql,
)

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
