"""Stage 2: records -> RDF (N-Triples lines), following docs/mapping.md.

People are typed ``schema:Person`` and ``foaf:Person``, organizations ``schema:Organization`` and
``foaf:Organization``, publications ``schema:ScholarlyArticle`` and ``bibo:AcademicArticle``
(https://schema.org/ScholarlyArticle, http://xmlns.com/foaf/spec/, http://purl.org/ontology/bibo/).
Author order survives as one ``kg:Authorship`` node per author with ``kg:position`` and the name
as printed (the VIVO ``vivo:Authorship``/``vivo:rank`` and DBLP ``dblp:Signature`` pattern), next
to plain ``schema:author`` / ``foaf:maker`` links for simple queries.

Lines are built as strings, not term objects: building Python term objects was most of the cost
of filling the store (DESIGN.md, "Traps"), and N-Triples bytes load directly into Oxigraph.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from kg import ids
from kg.terms import literal
from kg.vocab import BIBO, FOAF, ID_BASE, KG, PROV, RDF, SCHEMA, XSD

__all__ = [
    "MappedRecord",
    "SourceLoad",
    "literal",
    "map_record",
    "person_key_iris",
    "provenance_lines",
]

_A = f"<{RDF}type>"
_STATUS = {
    "member": "Member",
    "affiliate": "Affiliate",
    "alumni": "Alumni",
    "visitor": "Visitor",
    "emeritus": "Emeritus",
    "former": "Former",
}
# Characters allowed unescaped in IRIs built around user identifiers (RFC 3987 iunreserved + a few).
_IRI_SAFE = "/:;()._-~!$&'*+,=@"


def _int(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


def _date(value: str) -> str:
    """A record date typed by its precision: xsd:gYear, xsd:gYearMonth or xsd:date."""
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")
    return literal(value, XSD + kind)


def _url(value: str) -> str:
    """A URL from a record, checked to be an IRI (RFC 3987) before it is written between ``<>``.

    The record schema's URL pattern lets through characters that no IRI may hold (DEL, C1
    controls, a broken ``[`` host...); written as they are, they make the whole N-Triples batch
    unparseable. The ValueError rejects just this record (see :func:`kg.ingest.ingest`).

    >>> _url("https://example.org/a b")
    Traceback (most recent call last):
    ...
    ValueError: 'https://example.org/a b' is not a valid IRI: ...
    """
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid IRI: {exc}") from None
    return value


def _external(url: str) -> str:
    return quote(url, safe=_IRI_SAFE + "?#%")


@dataclass
class MappedRecord:
    """The triples one record yields, with the entity it describes (its ``focus``)."""

    number: int
    record: dict[str, Any]
    focus: str
    kind: str
    lines: list[str] = field(default_factory=list)
    #: every entity IRI this record mentions (authors, organizations...), for the ingest gate
    links: set[str] = field(default_factory=set)
    #: what the caller should tell the user (an author kept unlinked, a key that names nobody)
    notes: list[str] = field(default_factory=list)

    def lines_about(self, subjects: Collection[str]) -> Iterator[tuple[str, str]]:
        """``(subject IRI, line)`` for each of :attr:`lines` whose subject is in ``subjects``
        (every line this module writes starts with its subject IRI, ``<s> <p> o .``)."""
        if not subjects:
            return
        for line in self.lines:
            subject = line[1 : line.find("> ")]
            if subject in subjects:
                yield subject, line


class _Writer:
    def __init__(self, mapped: MappedRecord) -> None:
        self.mapped = mapped

    def t(self, s: str, p: str, o: str) -> None:
        self.mapped.lines.append(f"<{s}> <{p}> {o} .")

    def iri(self, s: str, p: str, o: str) -> None:
        self.t(s, p, f"<{o}>")

    def lit(self, s: str, p: str, value: str | None, datatype: str | None = None) -> None:
        if value is not None and value != "":
            self.t(s, p, literal(value, datatype))

    def types(self, s: str, *classes: str) -> None:
        for c in classes:
            self.t(s, f"{RDF}type", f"<{c}>")


def _identifier(w: _Writer, entity: str, scheme: str, property_id: str, value: str) -> None:
    node = f"{entity}#id-{scheme}"
    w.iri(entity, SCHEMA + "identifier", node)
    w.types(node, SCHEMA + "PropertyValue")
    w.lit(node, SCHEMA + "propertyID", property_id)
    w.lit(node, SCHEMA + "value", value)


@functools.lru_cache(maxsize=1 << 16)  # a topic recurs on many records
def topic_iri(label: str) -> str:
    """The IRI of a research topic, from its normalized label.

    >>> topic_iri("Deep Learning") == topic_iri("deep  learning")
    True
    """
    return f"{ID_BASE}topic/{ids.name_segment(label)}-{ids.hash_key(ids.normalize_name(label), length=10)}"


@functools.lru_cache(maxsize=1 << 16)  # so does a venue
def venue_iri(name: str) -> str:
    """The IRI of a venue (journal, conference series), from its normalized name."""
    return f"{ID_BASE}venue/{ids.name_segment(name)}-{ids.hash_key(ids.normalize_name(name), length=10)}"


def _topics(w: _Writer, entity: str, topics: Iterable[str], *props: str) -> None:
    for label in topics:
        node = topic_iri(label)
        for p in props:
            w.iri(entity, p, node)
        w.types(node, SCHEMA + "DefinedTerm")
        w.lit(node, SCHEMA + "name", label.strip())
        w.mapped.links.add(node)


def _organization(w: _Writer, name: str, *, ror: str | None = None, iri: str | None = None) -> str:
    org = iri or ids.org_iri(ror_id=ror, name=name)
    w.types(org, SCHEMA + "Organization", FOAF + "Organization")
    w.lit(org, SCHEMA + "name", name)
    w.lit(org, FOAF + "name", name)
    if ror:
        bare = ids.ror(ror)
        w.iri(org, SCHEMA + "sameAs", f"https://ror.org/{bare}")
        _identifier(w, org, "ror", "ROR", bare)
    w.mapped.links.add(org)
    return org


def _person_names(w: _Writer, person: str, rec: Mapping[str, Any]) -> None:
    w.lit(person, SCHEMA + "name", rec["name"])
    w.lit(person, FOAF + "name", rec["name"])
    for key, props in (
        ("given_name", ("givenName", "givenName")),
        ("family_name", ("familyName", "familyName")),
    ):
        if rec.get(key):
            w.lit(person, SCHEMA + props[0], rec[key])
            w.lit(person, FOAF + props[1], rec[key])
    for alt in rec.get("alternate_names", ()):
        w.lit(person, SCHEMA + "alternateName", alt)


def _person_identifiers(w: _Writer, person: str, rec: Mapping[str, Any]) -> None:
    if rec.get("orcid"):
        bare = ids.orcid(rec["orcid"])
        w.iri(person, SCHEMA + "sameAs", f"https://orcid.org/{bare}")
        _identifier(w, person, "orcid", "ORCID", bare)
    if rec.get("dblp"):
        w.iri(person, SCHEMA + "sameAs", f"https://dblp.org/pid/{_external(rec['dblp'])}")
        _identifier(w, person, "dblp", "DBLP", rec["dblp"])
    if rec.get("openalex"):
        bare = ids.openalex_id(rec["openalex"])
        w.iri(person, SCHEMA + "sameAs", f"https://openalex.org/{bare}")
        _identifier(w, person, "openalex", "OpenAlex", bare)
    if rec.get("homepage"):
        w.iri(person, SCHEMA + "url", _url(rec["homepage"]))
        w.iri(person, FOAF + "homepage", rec["homepage"])
    for url in rec.get("same_as", ()):
        w.iri(person, SCHEMA + "sameAs", _url(url))


def _map_person(w: _Writer, person: str, rec: Mapping[str, Any]) -> None:
    w.types(person, SCHEMA + "Person", FOAF + "Person")
    _person_names(w, person, rec)
    _person_identifiers(w, person, rec)
    if rec.get("id"):
        w.lit(person, KG + "localKey", rec["id"])
    w.lit(person, SCHEMA + "jobTitle", rec.get("job_title"))
    w.lit(person, SCHEMA + "description", rec.get("description"))
    if rec.get("image"):
        w.iri(person, SCHEMA + "image", _url(rec["image"]))
        w.iri(person, FOAF + "img", rec["image"])
    for aff in rec.get("affiliations", ()):
        org = _organization(w, aff["name"], ror=aff.get("ror"))
        w.iri(person, SCHEMA + "affiliation", org)
        node = f"{person}#affiliation-{ids.hash_key(org, aff.get('role', ''), aff.get('start', ''), length=10)}"
        w.iri(person, KG + "affiliation", node)
        w.types(node, KG + "Affiliation", SCHEMA + "OrganizationRole")
        w.iri(node, KG + "organization", org)
        w.lit(node, SCHEMA + "roleName", aff.get("role"))
        for key, prop in (("start", "startDate"), ("end", "endDate")):
            if aff.get(key):
                w.t(node, SCHEMA + prop, _date(aff[key]))
    statuses = list(rec.get("status", ()))
    for st in statuses:
        parts = [st["value"], st.get("organization", ""), st.get("start", ""), st.get("end", "")]
        node = f"{person}#status-{ids.hash_key(*parts, st.get('seen', ''), length=10)}"
        w.iri(person, KG + "statusObservation", node)
        w.types(node, KG + "StatusObservation")
        w.iri(node, KG + "statusValue", KG + _STATUS[st["value"]])
        if st.get("organization"):
            w.iri(node, KG + "organization", _organization(w, st["organization"]))
        for key, prop in (("start", SCHEMA + "startDate"), ("end", SCHEMA + "endDate")):
            if st.get(key):
                w.t(node, prop, _date(st[key]))
        if st.get("seen"):
            w.t(node, KG + "seenOn", _date(st["seen"]))
    if statuses:
        latest = max(
            enumerate(statuses),
            key=lambda it: (
                it[1].get("seen") or it[1].get("start") or it[1].get("end") or "",
                it[0],
            ),
        )[1]
        w.iri(person, KG + "status", KG + _STATUS[latest["value"]])
    _topics(w, person, rec.get("topics", ()), SCHEMA + "knowsAbout", FOAF + "topic_interest")


def _map_organization(w: _Writer, org: str, rec: Mapping[str, Any]) -> None:
    _organization(w, rec["name"], ror=rec.get("ror"), iri=org)
    for alt in rec.get("alternate_names", ()):
        w.lit(org, SCHEMA + "alternateName", alt)
    if rec.get("url"):
        w.iri(org, SCHEMA + "url", _url(rec["url"]))
    if rec.get("parent"):
        w.iri(org, SCHEMA + "parentOrganization", _organization(w, rec["parent"]))


_WORK_CLASS = {"thesis": BIBO + "Thesis", "book": BIBO + "Book"}
_YEAR = re.compile(r"^(\d{4})")


def _map_publication(
    w: _Writer,
    work: str,
    rec: Mapping[str, Any],
    *,
    scope: str,
    person_keys: Mapping[str, str],
    named: set[str],
    unlinked: Collection[str] = (),
) -> None:
    w.types(
        work,
        SCHEMA + "ScholarlyArticle",
        _WORK_CLASS.get(rec.get("venue_type", ""), BIBO + "AcademicArticle"),
    )
    # A record resolution matched to an existing work by its title alone may word the title (or
    # date it) differently: its wording is kept as an alternative, so the work has one title.
    by_title = rec.get("_merged_by") in {"title", "title+year"}
    if rec.get("title") and by_title:
        w.lit(work, SCHEMA + "alternativeHeadline", rec["title"])
    elif rec.get("title"):
        w.lit(work, SCHEMA + "name", rec["title"])
        w.lit(work, SCHEMA + "headline", rec["title"])
    elif rec.get("untitled"):  # the source lists it without a title: kept, never invented
        w.t(work, KG + "untitled", f'"true"^^<{XSD}boolean>')
    w.lit(work, SCHEMA + "abstract", rec.get("abstract"))
    if rec.get("abstract_truncated"):
        w.t(work, KG + "abstractTruncated", f'"true"^^<{XSD}boolean>')
    if rec.get("date") and not by_title:
        w.t(work, SCHEMA + "datePublished", _date(rec["date"]))
        w.t(work, KG + "year", _int(int(rec["date"][:4])))
    if rec.get("venue"):
        venue = venue_iri(rec["venue"])
        w.iri(work, SCHEMA + "isPartOf", venue)
        kind = rec.get("venue_type", "other")
        w.types(
            venue,
            KG + "Venue",
            SCHEMA + ("Periodical" if kind == "journal" else "CreativeWorkSeries"),
        )
        w.lit(venue, SCHEMA + "name", rec["venue"])
        w.lit(venue, KG + "venueType", kind)
        w.mapped.links.add(venue)
    for key, prop in (("url", SCHEMA + "url"), ("pdf_url", KG + "pdfUrl")):
        if rec.get(key):
            w.iri(work, prop, _url(rec[key]))
    if rec.get("doi"):
        bare = ids.doi(rec["doi"])
        w.iri(work, SCHEMA + "sameAs", "https://doi.org/" + quote(bare, safe=_IRI_SAFE))
        w.lit(work, BIBO + "doi", bare)
        _identifier(w, work, "doi", "DOI", bare)
    if rec.get("arxiv"):
        bare = ids.arxiv_id(rec["arxiv"])
        w.iri(work, SCHEMA + "sameAs", f"https://arxiv.org/abs/{bare}")
        _identifier(w, work, "arxiv", "arXiv", bare)
    if rec.get("openalex"):
        w.iri(work, SCHEMA + "sameAs", f"https://openalex.org/{ids.openalex_id(rec['openalex'])}")
    if rec.get("dblp"):
        w.iri(work, SCHEMA + "sameAs", f"https://dblp.org/rec/{_external(rec['dblp'])}")
    _topics(w, work, rec.get("topics", ()), SCHEMA + "about")
    position = 0
    for author in rec["authors"]:
        person = _author_iri(author, scope=scope, person_keys=person_keys)
        linked = bool(author.get("_person_iri") or author.get("person") in person_keys)
        if person in unlinked and author.get("orcid"):
            linked = False  # the ORCID is this record's own word: linked, named as printed
        elif person in unlinked:
            # The record this author points to was held back by the gate: nothing of it may
            # enter through this record (docs/architecture.md, "The gate invariant"), so the
            # author is kept as printed, under the IRI of its own ``person`` key (the same in
            # every source that prints the work) or else a name IRI of this source.
            w.mapped.notes.append(
                f"author {author['name']!r} refers to a person record that was held back; "
                "kept as printed, unlinked"
            )
            key = author.get("person")
            person = (
                ids.person_iri(key=key) if key else ids.person_iri(name=author["name"], scope=scope)
            )
            linked = False
        elif author.get("person") and not linked and not author.get("orcid"):
            w.mapped.notes.append(
                f"author {author['name']!r}: person key {author['person']!r} matches no Person "
                "record"
            )
        pos: int | None = None
        if not author.get("position_unknown"):
            position += 1
            pos = position
        node = ids.authorship_iri(work, pos, person)
        w.iri(work, SCHEMA + "author", person)
        w.iri(work, FOAF + "maker", person)
        w.iri(work, KG + "authorship", node)
        w.types(node, KG + "Authorship")
        w.iri(node, KG + "work", work)
        w.iri(node, KG + "author", person)
        if pos is not None:
            w.t(node, KG + "position", _int(pos))
        w.lit(node, KG + "printedName", author["name"])
        w.types(person, SCHEMA + "Person", FOAF + "Person")
        w.mapped.links.add(person)
        if person not in named and not linked:
            # An author no Person record (nor an earlier mention) names: the printed name is all
            # we know. The first name seen wins, so a person never gets two schema:name values.
            # (An author resolution linked to a known entity takes that entity's name.)
            w.lit(person, SCHEMA + "name", author["name"])
            w.lit(person, FOAF + "name", author["name"])
            named.add(person)
        if author.get("orcid"):
            bare = ids.orcid(author["orcid"])
            w.iri(person, SCHEMA + "sameAs", f"https://orcid.org/{bare}")
            _identifier(w, person, "orcid", "ORCID", bare)


def _author_iri(author: Mapping[str, Any], *, scope: str, person_keys: Mapping[str, str]) -> str:
    """Who an author is. What the record states wins over what resolution inferred: an ORCID,
    then a ``person`` key of a known Person record (whose own resolved IRI ``person_keys``
    holds), then resolution's ``_person_iri``, then the key or the name alone."""
    if author.get("orcid"):
        return ids.person_iri(orcid_id=author["orcid"])
    key = author.get("person")
    if key and key in person_keys:
        return person_keys[key]
    if author.get("_person_iri"):
        return str(author["_person_iri"])
    if key:
        return ids.person_iri(key=key)
    return ids.person_iri(name=author["name"], scope=scope)


def record_iri(rec: Mapping[str, Any], *, scope: str, number: int = 0) -> str:
    """The IRI a checked record describes (its ``_iri`` if resolution set one).

    >>> record_iri({"type": "Person", "name": "Ada", "orcid": "0000-0002-1825-0097"}, scope="s")
    'https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097'
    """
    if rec.get("_iri"):
        return str(rec["_iri"])
    return ids.record_iri(rec, scope=scope, number=number)


def person_key_iris(records: Iterable[Mapping[str, Any]], *, scope: str) -> dict[str, str]:
    """Map the ``id`` of each Person record to the IRI it mints, so authors' ``person`` keys link."""
    return {
        rec["id"]: record_iri(rec, scope=scope)
        for rec in records
        if rec.get("type") == "Person" and rec.get("id")
    }


def map_record(
    rec: Mapping[str, Any],
    *,
    number: int,
    scope: str,
    person_keys: Mapping[str, str] | None = None,
    named: set[str] | None = None,
    unlinked: Collection[str] = (),
) -> MappedRecord:
    """Map one checked record to N-Triples lines.

    ``scope`` is the source key: names without identifiers mint IRIs within it. ``person_keys``
    maps Person record ids to IRIs (see :func:`person_key_iris`). ``named`` holds the person IRIs
    that already have a name (Person records of the batch, people in the store); an author's
    printed name becomes a person's ``schema:name`` only when it is not among them, and is then
    added, so one batch shared set gives every person one name. ``unlinked`` holds the IRIs of
    people whose records the ingest gate held back: an author pointing to one (by ``person`` key
    or by resolution) is kept as printed and unlinked, with a note.

    >>> m = map_record({"type": "Publication", "title": "T", "authors": [{"name": "A B"}]},
    ...                number=1, scope="file:///x.json")
    >>> sum("printedName" in line for line in m.lines)
    1
    """
    focus = record_iri(rec, scope=scope, number=number)
    mapped = MappedRecord(number=number, record=dict(rec), focus=focus, kind=rec["type"])
    w = _Writer(mapped)
    kind = rec["type"]
    if kind == "Person":
        _map_person(w, focus, rec)
    elif kind == "Organization":
        _map_organization(w, focus, rec)
    else:
        _map_publication(
            w,
            focus,
            rec,
            scope=scope,
            person_keys=person_keys or {},
            named=named if named is not None else set(),
            unlinked=unlinked,
        )
    w.t(focus, KG + "recordNumber", _int(number))
    mapped.links.discard(focus)
    return mapped


@dataclass(frozen=True)
class SourceLoad:
    """What the provenance of one source load says (PROV-O, https://www.w3.org/TR/prov-o/)."""

    graph: str
    source_key: str
    label: str
    records_in: int
    records_out: int
    content_hash: str | None
    version: str
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def provenance_lines(load: SourceLoad) -> list[str]:
    """The PROV-O description of a source graph, written inside that graph.

    >>> from datetime import datetime, UTC
    >>> lines = provenance_lines(SourceLoad("https://g", "file:///a.json", "a.json", 2, 1, None,
    ...                                     "0.1.0", datetime(2026, 1, 1, tzinfo=UTC)))
    >>> any("wasDerivedFrom> <file:///a.json>" in line for line in lines)
    True
    """
    g = load.graph
    mapped = MappedRecord(0, {}, g, "SourceGraph")
    w = _Writer(mapped)
    when = literal(load.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"), XSD + "dateTime")
    agent = f"{ID_BASE}agent/kg/{load.version}"
    activity = f"{g}#load"
    w.types(g, PROV + "Entity", KG + "SourceGraph")
    w.iri(g, PROV + "wasDerivedFrom", _external(load.source_key))
    w.lit(g, KG + "sourceLabel", load.label)
    w.t(g, PROV + "generatedAtTime", when)
    w.iri(g, PROV + "wasGeneratedBy", activity)
    w.t(g, KG + "recordsIn", _int(load.records_in))
    w.t(g, KG + "recordsOut", _int(load.records_out))
    w.t(g, KG + "recordCount", _int(load.records_out))
    w.lit(g, KG + "contentHash", load.content_hash)
    w.types(activity, PROV + "Activity")
    w.iri(activity, PROV + "wasAssociatedWith", agent)
    w.t(activity, PROV + "endedAtTime", when)
    w.types(agent, PROV + "SoftwareAgent")
    w.lit(agent, SCHEMA + "name", "kg")
    w.lit(agent, SCHEMA + "softwareVersion", load.version)
    return mapped.lines
