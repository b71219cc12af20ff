"""What resolution decided and why: each merge and near miss, and the triples that persist
them with the source's graph (:meth:`Resolution.evidence_lines`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.terms import quote
from kg.vocab import KG, RDF

__all__ = ["Merge", "NearMiss", "Resolution"]

# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """One merge: ``merged`` (the IRI the record would have had) is ``iri`` (the one kept)."""

    kind: str  #: "person", "work" or "organization"
    iri: str
    merged: str
    rule: str  #: "doi", "arxiv", "title", "title+year", "orcid", "dblp", "openalex", "ror",
    #: "name-in-source", "name+shared-works", "name-aggressive", "duplicate-in-batch"
    evidence: str
    sources: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class NearMiss:
    """Two entities that look alike but were NOT merged, and why."""

    kind: str
    iris: tuple[str, str]
    rule: str  #: "same-name", "similar-name", "conflicting-orcid", "conflicting-doi",
    #: "title-different-year"
    evidence: str
    sources: tuple[str, ...]
    label: str = ""


@dataclass
class Resolution:
    """Annotated copies of the batch's records, and every merge and near miss with its evidence."""

    batch: list[tuple[str, list[dict[str, Any]]]]
    merges: list[Merge] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)

    def records(self, source_key: str) -> list[dict[str, Any]]:
        """The annotated records of one source of the batch."""
        for key, records in self.batch:
            if key == source_key:
                return records
        raise KeyError(source_key)

    def evidence_lines(self, source_key: str, graph_iri: str) -> list[str]:
        """N-Triples describing the merges and near misses that concern ``source_key``.

        Nodes are ``<graph_iri#merge-N>`` (``kg:Merge``) and ``<graph_iri#nearmiss-N>``
        (``kg:NearMiss``) with ``kg:entityKind``, ``kg:rule``, ``kg:evidence``, ``kg:label``,
        ``kg:sourceKey``, and ``kg:mergedEntity`` (kept IRI) + ``kg:mergedWith`` (the IRI folded
        into it), or two ``kg:candidate`` IRIs for a near miss.

        >>> r = Resolution([], [Merge("work", "urn:a", "urn:b", "doi", "same DOI", ("s",))])
        >>> print(r.evidence_lines("s", "urn:g")[1])
        <urn:g#merge-1> <https://w3id.org/kg/vocab#entityKind> "work" .
        """
        lines: list[str] = []
        mine = [m for m in self.merges if source_key in m.sources]
        for n, m in enumerate(mine, 1):
            node = f"<{graph_iri}#merge-{n}>"
            lines += [
                f"{node} <{RDF}type> <{KG}Merge> .",
                f"{node} <{KG}entityKind> {quote(m.kind)} .",
                f"{node} <{KG}rule> {quote(m.rule)} .",
                f"{node} <{KG}evidence> {quote(m.evidence)} .",
                f"{node} <{KG}mergedEntity> <{m.iri}> .",
                f"{node} <{KG}mergedWith> <{m.merged}> .",
            ]
            if m.label:
                lines.append(f"{node} <{KG}label> {quote(m.label)} .")
            lines += [f"{node} <{KG}sourceKey> {quote(s)} ." for s in m.sources]
        near = [nm for nm in self.near_misses if source_key in nm.sources]
        for n, nm in enumerate(near, 1):
            node = f"<{graph_iri}#nearmiss-{n}>"
            lines += [
                f"{node} <{RDF}type> <{KG}NearMiss> .",
                f"{node} <{KG}entityKind> {quote(nm.kind)} .",
                f"{node} <{KG}rule> {quote(nm.rule)} .",
                f"{node} <{KG}evidence> {quote(nm.evidence)} .",
                *(f"{node} <{KG}candidate> <{iri}> ." for iri in nm.iris),
            ]
            if nm.label:
                lines.append(f"{node} <{KG}label> {quote(nm.label)} .")
            lines += [f"{node} <{KG}sourceKey> {quote(s)} ." for s in nm.sources]
        return lines
