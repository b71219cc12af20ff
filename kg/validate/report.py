"""The typed validation report: results people can act on, in text, JSON and standard Turtle.

A result names the record it concerns by its human label and its source (file and record number,
or API/page URL, from the provenance graph), next to the SHACL fields of a
``sh:ValidationResult`` (https://www.w3.org/TR/shacl/#results-validation-result).
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.namespace import SH as SHACL
from rdflib.term import Node

from kg.errors import KgError
from kg.vocab import PREFIXES

__all__ = [
    "Severity",
    "SeverityName",
    "ValidationError",
    "ValidationReport",
    "ValidationResult",
]

SH = "http://www.w3.org/ns/shacl#"


#: A severity by its value (``Severity.VIOLATION.value``...), where a plain string is kept.
SeverityName = typing.Literal["violation", "warning", "info"]


class Severity(Enum):
    """SHACL severities (https://www.w3.org/TR/shacl/#severity). Only violations block."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"

    @property
    def iri(self) -> str:
        """``sh:Violation``, ``sh:Warning`` or ``sh:Info`` as a full IRI."""
        return SH + self.value.capitalize()

    @property
    def rank(self) -> int:
        """3 for violations, 2 for warnings, 1 for infos: ``severity`` filters keep rank >= n."""
        return {"violation": 3, "warning": 2, "info": 1}[self.value]

    @classmethod
    def from_iri(cls, iri: str) -> Severity:
        """The severity of an ``sh:resultSeverity`` IRI; unknown custom severities count as Violation.

        >>> Severity.from_iri("http://www.w3.org/ns/shacl#Warning")
        <Severity.WARNING: 'warning'>
        """
        name = iri[len(SH) :].lower() if iri.startswith(SH) else ""
        return cls(name) if name in {"violation", "warning", "info"} else cls.VIOLATION


class ValidationError(KgError):
    """Raised by :meth:`ValidationReport.raise_for_violations` when a Violation was found."""


def compact(iri: str | None) -> str | None:
    """An IRI shortened with kg's prefixes (``schema:name``), for people; None stays None.

    >>> compact("https://schema.org/name"), compact("<https://w3id.org/kg/vocab#position>")
    ('schema:name', 'kg:position')
    """
    if iri is None:
        return None
    bare = iri[1:-1] if iri.startswith("<") and iri.endswith(">") and " " not in iri else iri
    for prefix, ns in (*PREFIXES.items(), ("sh", SH), ("kgsh", "https://w3id.org/kg/shapes#")):
        if bare.startswith(ns) and "/" not in bare[len(ns) :] and "#" not in bare[len(ns) :]:
            return f"{prefix}:{bare[len(ns) :]}"
    return iri


@dataclass(frozen=True)
class ResultTerms:
    """The RDF terms behind a result, for the Turtle report and for comparing engines."""

    focus: Node
    value: Node | None
    path: Node | None
    shape: Node
    component: URIRef
    constraint: Node | None = None
    #: the sh:resultSeverity as given (custom severities map to Severity.VIOLATION above)
    severity: Node | None = None


@dataclass(frozen=True)
class ValidationResult:
    """One validation result, with what a person needs to find and fix the record."""

    severity: Severity
    #: the focus node's IRI (``_:id`` for a blank node)
    focus: str
    #: the property path: an IRI, or SPARQL path syntax for complex paths; None on node checks
    path: str | None
    #: the offending value (IRI or lexical form); None when the problem is a missing value
    value: str | None
    message: str
    #: the shape's IRI
    shape: str
    #: the SHACL constraint component IRI (e.g. ``sh:MinCountConstraintComponent``)
    component: str
    #: the human label of the record the result concerns (a name or a title)
    label: str | None = None
    #: where the record came from: "file, record N" or the API/page URL
    source: str | None = None
    #: the IRI of the record (the focus, or the entity owning a ``#fragment`` node); groups text
    record: str | None = None
    #: what kind of record: Person, Publication, Organization, Source graph
    kind: str | None = None
    terms: ResultTerms | None = field(default=None, compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON object (docs/validation.md): exactly these nine keys."""
        return {
            "severity": self.severity.value,
            "focus": self.focus,
            "label": self.label,
            "path": self.path,
            # SHACL repeats the focus node as the value of node-level results; JSON says null
            "value": self.value if self.value != self.focus else None,
            "message": self.message,
            "shape": self.shape,
            "component": self.component,
            "source": self.source,
        }

    def key(self) -> tuple[str, str | None, str | None, str, str, str]:
        """What must match between engines: focus, path, value, shape, component, severity."""
        return (self.focus, self.path, self.value, self.shape, self.component, self.severity.value)


def _sort_key(r: ValidationResult) -> tuple[Any, ...]:
    # a total order over what is printed: two runs on one store give byte-identical reports
    return (
        r.record or r.focus,
        -r.severity.rank,
        r.path or "",
        r.shape,
        r.value or "",
        r.focus,
        r.component,
        r.message,
        r.source or "",
    )


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`kg.validate.validate` found.

    ``conforms`` is True when no result is a Violation (warnings and infos do not block
    publishing); the Turtle report keeps SHACL's own ``sh:conforms`` (false on any result).
    """

    results: tuple[ValidationResult, ...]
    #: which engines produced the results: "sparql", "pyshacl" or "sparql+pyshacl"
    engine: str = "sparql"
    #: shapes left to pySHACL by the SPARQL translation, with the reason
    fallbacks: dict[str, str] = field(default_factory=dict)
    shapes_graph: Graph | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, results: Iterable[ValidationResult], **kw: Any) -> ValidationReport:
        return cls(tuple(sorted(results, key=_sort_key)), **kw)

    @property
    def conforms(self) -> bool:
        return not any(r.severity is Severity.VIOLATION for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        """Results per severity: ``{"violation": n, "warning": n, "info": n}``."""
        out = {s.value: 0 for s in Severity}
        for r in self.results:
            out[r.severity.value] += 1
        return out

    def summary(self) -> str:
        """One line: ``2 violations, 1 warning, 0 infos``.

        >>> ValidationReport(()).summary()
        '0 violations, 0 warnings, 0 infos'
        """
        c = self.counts
        return ", ".join(f"{c[k]} {k}{'' if c[k] == 1 else 's'}" for k in c)

    def raise_for_violations(self) -> None:
        """Raise :class:`ValidationError` (a KgError, exit code 1) if any Violation was found."""
        bad = [r for r in self.results if r.severity is Severity.VIOLATION]
        if bad:
            first = bad[0]
            where = f"{first.label or first.focus}" + (f" ({first.source})" if first.source else "")
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise ValidationError(f"{len(bad)} SHACL violations: {where}: {first.message}{more}")

    def as_json(self) -> dict[str, Any]:
        """``{"conforms", "counts", "results"}``, as documented in docs/validation.md."""
        return {
            "conforms": self.conforms,
            "counts": self.counts,
            "results": [r.as_json() for r in self.results],
        }

    def to_json(self) -> str:
        """The JSON report as text (stable keys, UTF-8, indented)."""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """Results grouped by record: label and source first, then one line per result."""
        lines: list[str] = []
        current: str | None = None
        for r in self.results:
            record = r.record or r.focus
            if record != current:
                current = record
                if lines:
                    lines.append("")
                kind = f"{r.kind} " if r.kind else ""
                label = f"'{r.label}'" if r.label else "(no name)"
                lines.append(f"{kind}{label} <{record}>")
                if r.source:
                    lines.append(f"  from {r.source}")
            where = compact(r.path) or "(node)"
            if r.focus != record:
                where = (
                    f"{r.focus[len(record) :] if r.focus.startswith(record) else r.focus} {where}"
                )
            value = f" = {r.value!r}" if r.value is not None and r.value != r.focus else ""
            lines.append(f"  {r.severity.value.upper()}: {where}{value}: {r.message}")
            lines.append(f"    shape {compact(r.shape)} ({compact(r.component)})")
        lines.append(("" if not lines else "\n") + self.summary())
        return "\n".join(lines) + "\n"

    def to_graph(self) -> Graph:
        """The standard ``sh:ValidationReport`` (https://www.w3.org/TR/shacl/#validation-report)."""
        g = Graph()
        g.bind("sh", SH)
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        sh = SHACL  # rdflib's SHACL namespace: sh["result"] etc.
        report = BNode()
        g.add((report, RDF.type, sh["ValidationReport"]))
        g.add((report, sh["conforms"], Literal(not self.results)))
        for r in self.results:
            t = r.terms
            node = BNode()
            g.add((report, sh["result"], node))
            g.add((node, RDF.type, sh["ValidationResult"]))
            g.add((node, sh["resultSeverity"], (t and t.severity) or URIRef(r.severity.iri)))
            g.add((node, sh["resultMessage"], Literal(r.message)))
            g.add((node, sh["sourceConstraintComponent"], URIRef(r.component)))
            if t is None:
                g.add((node, sh["focusNode"], URIRef(r.focus)))
                g.add((node, sh["sourceShape"], URIRef(r.shape)))
                continue
            g.add((node, sh["focusNode"], t.focus))
            g.add((node, sh["sourceShape"], t.shape))
            if t.value is not None:
                g.add((node, sh["value"], t.value))
            if t.constraint is not None:
                g.add((node, sh["sourceConstraint"], t.constraint))
            if t.path is not None:
                g.add((node, sh["resultPath"], t.path))
                if isinstance(t.path, BNode) and self.shapes_graph is not None:
                    _copy_bnode(self.shapes_graph, t.path, g)
        return g

    def to_turtle(self) -> str:
        """:meth:`to_graph` serialized as Turtle."""
        return self.to_graph().serialize(format="turtle")


def _copy_bnode(src: Graph, node: Node, dst: Graph) -> None:
    todo = [node]
    seen: set[Node] = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in src.predicate_objects(n):
            dst.add((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
