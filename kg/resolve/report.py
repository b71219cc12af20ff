"""The resolution report: every merge and near miss the store holds (``kg resolve --report``)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kg.resolve.index import Row, select_rows

__all__ = ["REPORT_QUERY", "ReportItem", "ResolutionReport", "report", "report_from_rows"]

REPORT_QUERY = """\
PREFIX kg: <https://w3id.org/kg/vocab#>
PREFIX schema: <https://schema.org/>
SELECT ?node ?type ?kind ?rule ?evidence ?entity ?other ?label ?source ?graph WHERE {
  GRAPH ?graph {
    VALUES ?type { kg:Merge kg:NearMiss }
    ?node a ?type ; kg:rule ?rule ; kg:evidence ?evidence ; kg:entityKind ?kind .
    OPTIONAL { ?node kg:mergedEntity ?entity }
    OPTIONAL { ?node kg:mergedWith ?other }
    OPTIONAL { ?node kg:candidate ?entity }
    OPTIONAL { ?node kg:label ?label }
    OPTIONAL { ?node kg:sourceKey ?source }
  }
}
ORDER BY ?graph ?node
"""


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportItem:
    """One stored merge or near miss."""

    node: str
    type: str  #: "merge" or "near-miss"
    kind: str
    rule: str
    evidence: str
    entities: tuple[str, ...]
    label: str
    sources: tuple[str, ...]


@dataclass
class ResolutionReport:
    """Every merge and near miss in the store, for ``kg resolve --report``."""

    merges: list[ReportItem] = field(default_factory=list)
    near_misses: list[ReportItem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: {"merges": [...], "near_misses": [...], "counts": {...}} (kg's
        rule: ``as_json()`` is the dict, ``to_json()`` the text)."""

        def item(i: ReportItem) -> dict[str, Any]:
            return {
                "kind": i.kind,
                "rule": i.rule,
                "evidence": i.evidence,
                "label": i.label,
                "entities": list(i.entities),
                "sources": list(i.sources),
                "node": i.node,
            }

        by_rule: dict[str, int] = defaultdict(int)
        for m in self.merges:
            by_rule[m.rule] += 1
        return {
            "merges": [item(m) for m in self.merges],
            "near_misses": [item(n) for n in self.near_misses],
            "counts": {
                "merges": len(self.merges),
                "near_misses": len(self.near_misses),
                "merges_by_rule": dict(sorted(by_rule.items())),
            },
        }

    def to_json(self) -> str:
        """The JSON report as text (indented, UTF-8), as ``kg resolve --report --json`` prints it."""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """A readable report, one block per merge / near miss."""
        out = [f"{len(self.merges)} merge(s), {len(self.near_misses)} near miss(es)"]
        for title, items in (
            ("Merges", self.merges),
            ("Near misses (not merged)", self.near_misses),
        ):
            if not items:
                continue
            out.append("")
            out.append(title + ":")
            for i in items:
                out.append(f"- {i.kind} {i.label!r} [{i.rule}]: {i.evidence}")
                if i.entities:
                    out.append("    " + "  <->  ".join(i.entities))
                if i.sources:
                    out.append("    from " + ", ".join(i.sources))
        return "\n".join(out)


def report(store: Any) -> ResolutionReport:
    """The merges and near misses recorded in ``store`` (``kg resolve --report``)."""
    return report_from_rows(select_rows(store, REPORT_QUERY))


def report_from_rows(rows: Iterable[Row]) -> ResolutionReport:
    """Build the report from :data:`REPORT_QUERY` rows (rows of one node are folded together).

    >>> from kg.vocab import KG
    >>> rep = report_from_rows([{"node": "urn:g#merge-1", "type": KG + "Merge", "kind": "work",
    ...     "rule": "doi", "evidence": "same DOI 10.1/x", "entity": "urn:a", "other": "urn:b",
    ...     "label": "T", "source": "file:///a"}])
    >>> rep.as_json()["counts"]["merges"]
    1
    """
    nodes: dict[str, dict[str, Any]] = {}
    for row in rows:
        node = row.get("node")
        if not node:
            continue
        n = nodes.setdefault(node, {"row": row, "entities": [], "sources": []})
        for key in ("entity", "other"):
            value = row.get(key)
            if value and value not in n["entities"]:
                n["entities"].append(value)
        src = row.get("source")
        if src and src not in n["sources"]:
            n["sources"].append(src)
    report = ResolutionReport()
    for node, n in nodes.items():
        row = n["row"]
        is_merge = (row.get("type") or "").endswith("Merge")
        item = ReportItem(
            node=node,
            type="merge" if is_merge else "near-miss",
            kind=row.get("kind") or "",
            rule=row.get("rule") or "",
            evidence=row.get("evidence") or "",
            entities=tuple(n["entities"]),
            label=row.get("label") or "",
            sources=tuple(n["sources"]),
        )
        (report.merges if is_merge else report.near_misses).append(item)
    return report
