"""The pipeline a user would write without kg: ``jsonschema`` + rdflib term objects.

Every record is checked with the ``jsonschema`` package (a validator built once per record type,
as its docs recommend: https://python-jsonschema.readthedocs.io/en/stable/validate/), then mapped
with ``Graph.add((URIRef, URIRef, Literal))`` per triple into an in-memory rdflib ``Dataset``
(https://rdflib.readthedocs.io/en/stable/intro_to_creating_rdf.html), one named graph per source
file as kg keeps them, following the same mapping contract as kg (docs/mapping.md). The
IRI-minting helpers of ``kg.ids``/``kg.mapping`` are reused: minting is a few string operations
and the contract says what the IRIs are; what differs is how triples are built and stored.

Of kg's provenance each source graph gets only its ``kg:sourceLabel`` (what ``same_results``
needs to name a record: source label + ``kg:recordNumber``); entity resolution is not done: the
baseline is what a user would write without kg, and ``same_results`` compares only what
resolution does not change (``bench.workloads.ingest_digest``).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD as RXSD

from kg import ids
from kg.mapping import _STATUS, person_key_iris, record_iri, topic_iri, venue_iri
from kg.records.files import RecordFile
from kg.records.schema import RECORD_TYPES, record_schema
from kg.vocab import BIBO, FOAF, KG, RDF, SCHEMA, XSD

__all__ = ["BaselineResult", "build_graph"]

_A = URIRef(RDF + "type")
_SAFE = "/:;()._-~!$&'*+,=@"


class BaselineResult:
    """The rdflib dataset, the records left out (``(file label, record number)``: failed the
    schema check or in ``skip``), how many records were read, the data triples written, and
    seconds per stage."""

    def __init__(self, graph: Dataset, rejected: list[tuple[str, int]], records: int,
                 triples: int, stages: dict[str, float]) -> None:  # fmt: skip
        self.graph, self.rejected, self.records = graph, rejected, records
        self.triples, self.stages = triples, stages


def _u(iri: str) -> URIRef:
    return URIRef(iri)


def _date(value: str) -> Literal:
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
    return Literal(value, datatype=URIRef(XSD + kind))


def _external(url: str) -> str:
    from urllib.parse import quote

    return quote(url, safe=_SAFE + "?#%")


class _Mapper:
    """Adds the triples of one record to ``graph`` (the same shape as kg/mapping.py)."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.add = graph.add

    def types(self, node: URIRef, *classes: str) -> None:
        for c in classes:
            self.add((node, _A, URIRef(c)))

    def lit(self, node: URIRef, prop: str, value: str | None) -> None:
        if value:
            self.add((node, URIRef(prop), Literal(value)))

    def identifier(self, entity: URIRef, scheme: str, prop_id: str, value: str) -> None:
        node = URIRef(f"{entity}#id-{scheme}")
        self.add((entity, URIRef(SCHEMA + "identifier"), node))
        self.types(node, SCHEMA + "PropertyValue")
        self.lit(node, SCHEMA + "propertyID", prop_id)
        self.lit(node, SCHEMA + "value", value)

    def topics(self, entity: URIRef, topics: Iterable[str], *props: str) -> None:
        for label in topics:
            node = URIRef(topic_iri(label))
            for p in props:
                self.add((entity, URIRef(p), node))
            self.types(node, SCHEMA + "DefinedTerm")
            self.lit(node, SCHEMA + "name", label.strip())

    def organization(self, name: str, ror: str | None = None, iri: str | None = None) -> URIRef:
        org = URIRef(iri or ids.org_iri(ror_id=ror, name=name))
        self.types(org, SCHEMA + "Organization", FOAF + "Organization")
        self.lit(org, SCHEMA + "name", name)
        self.lit(org, FOAF + "name", name)
        if ror:
            bare = ids.ror(ror)
            self.add((org, URIRef(SCHEMA + "sameAs"), URIRef(f"https://ror.org/{bare}")))
            self.identifier(org, "ror", "ROR", bare)
        return org

    def person(self, p: URIRef, rec: Mapping[str, Any]) -> None:
        self.types(p, SCHEMA + "Person", FOAF + "Person")
        self.lit(p, SCHEMA + "name", rec["name"])
        self.lit(p, FOAF + "name", rec["name"])
        for key, prop in (("given_name", "givenName"), ("family_name", "familyName")):
            if rec.get(key):
                self.lit(p, SCHEMA + prop, rec[key])
                self.lit(p, FOAF + prop, rec[key])
        for alt in rec.get("alternate_names", ()):
            self.lit(p, SCHEMA + "alternateName", alt)
        same = URIRef(SCHEMA + "sameAs")
        if rec.get("orcid"):
            bare = ids.orcid(rec["orcid"])
            self.add((p, same, URIRef(f"https://orcid.org/{bare}")))
            self.identifier(p, "orcid", "ORCID", bare)
        if rec.get("dblp"):
            self.add((p, same, URIRef(f"https://dblp.org/pid/{_external(rec['dblp'])}")))
            self.identifier(p, "dblp", "DBLP", rec["dblp"])
        if rec.get("openalex"):
            bare = ids.openalex_id(rec["openalex"])
            self.add((p, same, URIRef(f"https://openalex.org/{bare}")))
            self.identifier(p, "openalex", "OpenAlex", bare)
        if rec.get("homepage"):
            self.add((p, URIRef(SCHEMA + "url"), URIRef(rec["homepage"])))
            self.add((p, URIRef(FOAF + "homepage"), URIRef(rec["homepage"])))
        for url in rec.get("same_as", ()):
            self.add((p, same, URIRef(url)))
        if rec.get("id"):
            self.lit(p, KG + "localKey", rec["id"])
        self.lit(p, SCHEMA + "jobTitle", rec.get("job_title"))
        self.lit(p, SCHEMA + "description", rec.get("description"))
        if rec.get("image"):
            self.add((p, URIRef(SCHEMA + "image"), URIRef(rec["image"])))
            self.add((p, URIRef(FOAF + "img"), URIRef(rec["image"])))
        for aff in rec.get("affiliations", ()):
            org = self.organization(aff["name"], aff.get("ror"))
            self.add((p, URIRef(SCHEMA + "affiliation"), org))
            h = ids.hash_key(str(org), aff.get("role", ""), aff.get("start", ""), length=10)
            node = URIRef(f"{p}#affiliation-{h}")
            self.add((p, URIRef(KG + "affiliation"), node))
            self.types(node, KG + "Affiliation", SCHEMA + "OrganizationRole")
            self.add((node, URIRef(KG + "organization"), org))
            self.lit(node, SCHEMA + "roleName", aff.get("role"))
            for key, prop in (("start", "startDate"), ("end", "endDate")):
                if aff.get(key):
                    self.add((node, URIRef(SCHEMA + prop), _date(aff[key])))
        statuses = list(rec.get("status", ()))
        for st in statuses:
            parts = [
                st["value"],
                st.get("organization", ""),
                st.get("start", ""),
                st.get("end", ""),
            ]
            node = URIRef(f"{p}#status-{ids.hash_key(*parts, st.get('seen', ''), length=10)}")
            self.add((p, URIRef(KG + "statusObservation"), node))
            self.types(node, KG + "StatusObservation")
            self.add((node, URIRef(KG + "statusValue"), URIRef(KG + _STATUS[st["value"]])))
            if st.get("organization"):
                org = self.organization(st["organization"])
                self.add((node, URIRef(KG + "organization"), org))
            for key, prop in (("start", SCHEMA + "startDate"), ("end", SCHEMA + "endDate")):
                if st.get(key):
                    self.add((node, URIRef(prop), _date(st[key])))
            if st.get("seen"):
                self.add((node, URIRef(KG + "seenOn"), _date(st["seen"])))
        if statuses:
            latest = max(
                enumerate(statuses),
                key=lambda it: (it[1].get("seen") or it[1].get("start") or it[1].get("end") or "",
                                it[0]),
            )[1]  # fmt: skip
            self.add((p, URIRef(KG + "status"), URIRef(KG + _STATUS[latest["value"]])))
        self.topics(p, rec.get("topics", ()), SCHEMA + "knowsAbout", FOAF + "topic_interest")

    def org_record(self, org: URIRef, rec: Mapping[str, Any]) -> None:
        self.organization(rec["name"], rec.get("ror"), str(org))
        for alt in rec.get("alternate_names", ()):
            self.lit(org, SCHEMA + "alternateName", alt)
        if rec.get("url"):
            self.add((org, URIRef(SCHEMA + "url"), URIRef(rec["url"])))
        if rec.get("parent"):
            self.add((org, URIRef(SCHEMA + "parentOrganization"), self.organization(rec["parent"])))

    def publication(
        self, work: URIRef, rec: Mapping[str, Any], scope: str, keys: Mapping[str, str]
    ) -> None:
        kinds = {"thesis": BIBO + "Thesis", "book": BIBO + "Book"}
        self.types(work, SCHEMA + "ScholarlyArticle",
                   kinds.get(rec.get("venue_type", ""), BIBO + "AcademicArticle"))  # fmt: skip
        if rec.get("title"):
            self.lit(work, SCHEMA + "name", rec["title"])
            self.lit(work, SCHEMA + "headline", rec["title"])
        self.lit(work, SCHEMA + "abstract", rec.get("abstract"))
        if rec.get("abstract_truncated"):
            self.add((work, URIRef(KG + "abstractTruncated"), Literal(True)))
        if rec.get("date"):
            self.add((work, URIRef(SCHEMA + "datePublished"), _date(rec["date"])))
            self.add((work, URIRef(KG + "year"), Literal(str(int(rec["date"][:4])),
                                                         datatype=RXSD.integer)))  # fmt: skip
        if rec.get("venue"):
            venue = URIRef(venue_iri(rec["venue"]))
            self.add((work, URIRef(SCHEMA + "isPartOf"), venue))
            kind = rec.get("venue_type", "other")
            self.types(venue, KG + "Venue",
                       SCHEMA + ("Periodical" if kind == "journal" else "CreativeWorkSeries"))  # fmt: skip
            self.lit(venue, SCHEMA + "name", rec["venue"])
            self.lit(venue, KG + "venueType", kind)
        for key, prop in (("url", SCHEMA + "url"), ("pdf_url", KG + "pdfUrl")):
            if rec.get(key):
                self.add((work, URIRef(prop), URIRef(rec[key])))
        same = URIRef(SCHEMA + "sameAs")
        if rec.get("doi"):
            from urllib.parse import quote

            bare = ids.doi(rec["doi"])
            self.add((work, same, URIRef("https://doi.org/" + quote(bare, safe=_SAFE))))
            self.lit(work, BIBO + "doi", bare)
            self.identifier(work, "doi", "DOI", bare)
        if rec.get("arxiv"):
            bare = ids.arxiv_id(rec["arxiv"])
            self.add((work, same, URIRef(f"https://arxiv.org/abs/{bare}")))
            self.identifier(work, "arxiv", "arXiv", bare)
        if rec.get("openalex"):
            self.add(
                (work, same, URIRef(f"https://openalex.org/{ids.openalex_id(rec['openalex'])}"))
            )
        if rec.get("dblp"):
            self.add((work, same, URIRef(f"https://dblp.org/rec/{_external(rec['dblp'])}")))
        self.topics(work, rec.get("topics", ()), SCHEMA + "about")
        position = 0
        for author in rec["authors"]:
            if author.get("orcid"):
                person = URIRef(ids.person_iri(orcid_id=author["orcid"]))
            elif author.get("person"):
                key = author["person"]
                person = URIRef(keys.get(key) or ids.person_iri(key=key))
            else:
                person = URIRef(ids.person_iri(name=author["name"], scope=scope))
            pos: int | None = None
            if not author.get("position_unknown"):
                position += 1
                pos = position
            node = URIRef(ids.authorship_iri(str(work), pos, str(person)))
            self.add((work, URIRef(SCHEMA + "author"), person))
            self.add((work, URIRef(FOAF + "maker"), person))
            self.add((work, URIRef(KG + "authorship"), node))
            self.types(node, KG + "Authorship")
            self.add((node, URIRef(KG + "work"), work))
            self.add((node, URIRef(KG + "author"), person))
            if pos is not None:
                self.add((node, URIRef(KG + "position"), Literal(str(pos), datatype=RXSD.integer)))
            self.lit(node, KG + "printedName", author["name"])
            self.types(person, SCHEMA + "Person", FOAF + "Person")
            if not author.get("person"):
                self.lit(person, SCHEMA + "name", author["name"])
                self.lit(person, FOAF + "name", author["name"])
            if author.get("orcid"):
                bare = ids.orcid(author["orcid"])
                self.add((person, same, URIRef(f"https://orcid.org/{bare}")))
                self.identifier(person, "orcid", "ORCID", bare)


def build_graph(
    files: Iterable[Path],
    *,
    skip: Collection[tuple[str, int]] = frozenset(),
    fold: Collection[tuple[str, int]] = frozenset(),
) -> BaselineResult:
    """Check every record of ``files`` with jsonschema and map the valid ones into a Dataset.

    ``skip`` holds ``(file label, record number)`` pairs to leave out as rejected: the records
    kg's SHACL gate holds back, so that both sides commit the same records. ``fold`` holds the
    records that repeat a record of an earlier file exactly: left out, neither written nor
    rejected (kg's resolution writes what such a repeat says once; the comparison counts it as
    its first occurrence, :func:`bench.workloads.exact_repeats`).
    """
    validators = {
        t: jsonschema.Draft202012Validator(record_schema(t)) for t in RECORD_TYPES
    }  # fmt: skip
    checked: list[tuple[RecordFile, int, dict[str, Any]]] = []
    rejected: list[tuple[str, int]] = []
    records = 0
    stages = {"read": 0.0, "schema check": 0.0, "build triples": 0.0}
    for path in files:
        source = RecordFile(path)
        start = time.perf_counter()
        raws = list(source.iter_records())
        stages["read"] += time.perf_counter() - start
        start = time.perf_counter()
        for raw in raws:
            records += 1
            rec = raw.data
            if (source.label, raw.number) in fold:
                continue
            validator = validators.get(str(rec.get("type"))) if isinstance(rec, dict) else None
            if (
                validator is None
                or not validator.is_valid(rec)
                or (source.label, raw.number) in skip
            ):
                rejected.append((source.label, raw.number))
                continue
            checked.append((source, raw.number, rec))
        stages["schema check"] += time.perf_counter() - start
    start = time.perf_counter()
    keys: dict[str, str] = {}
    for source, _, rec in checked:
        keys.update(person_key_iris([rec], scope=source.key))
    dataset = Dataset(default_union=True)
    mappers: dict[str, _Mapper] = {}
    label_prop, number_prop = URIRef(KG + "sourceLabel"), URIRef(KG + "recordNumber")
    for source, number, rec in checked:
        m = mappers.get(source.key)
        if m is None:
            iri = URIRef(ids.graph_iri(source.key))
            m = mappers[source.key] = _Mapper(dataset.graph(iri))
            m.add((iri, label_prop, Literal(source.source_name)))  # as kg stores it
        graph, scope = m.g, source.key
        focus = URIRef(record_iri(rec, scope=scope, number=number))
        if rec["type"] == "Person":
            m.person(focus, rec)
        elif rec["type"] == "Organization":
            m.org_record(focus, rec)
        else:
            m.publication(focus, rec, scope, keys)
        graph.add((focus, number_prop, Literal(str(number), datatype=RXSD.integer)))
    stages["build triples"] = time.perf_counter() - start
    triples = sum(len(m.g) - 1 for m in mappers.values())
    return BaselineResult(dataset, rejected, records, triples, stages)
