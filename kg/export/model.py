"""Read what a page shows from the store: people, their publications, authors in order.

The graph shape is docs/mapping.md. Everything is read with a few batched ``SELECT ?s ?p ?o``
queries over ``VALUES`` blocks (one round per hop: people -> works -> authorships, venues,
organizations, topics, identifier nodes -> co-authors), so the cost grows with the pages
exported, not with the store, and works the same on the embedded store and on any SPARQL 1.1
endpoint. Building Python objects straight from the result rows is what makes the export fast
(DESIGN.md "Traps": ~1.3 ms per profile from Oxigraph vs 35-60 ms through PyLD or rdflib).

Author order is ``kg:position``; authorships without a position come after the positioned ones,
ordered by printed name (docs/mapping.md, "Publication").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from pyoxigraph import NamedNode

from kg.errors import UsageError
from kg.export.links import IMAGE_SCHEMES, LINK_SCHEMES, LinkSink, safe_link
from kg.store import Store, query_graph, query_select
from kg.terms import values_chunks
from kg.vocab import BIBO, FOAF, KG, PROV, RDF, SCHEMA

__all__ = [
    "Affiliation",
    "Author",
    "Organization",
    "Person",
    "Profile",
    "Work",
    "iter_profiles",
    "load_profiles",
    "profile_people",
]


_TYPE = RDF + "type"


@dataclass(frozen=True)
class Organization:
    """An organization a person is affiliated with."""

    iri: str
    name: str | None
    url: str | None = None
    same_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class Affiliation:
    """One affiliation: the organization, the role, and whether it has ended."""

    organization: Organization
    role: str | None = None
    ended: bool = False


@dataclass(frozen=True)
class Author:
    """One author of a work, in author order.

    ``name`` is what pages show and mark up: the person's ``schema:name`` when the person has a
    record of their own (``has_record``), else the name exactly as this publication printed it
    (``printed_name``) — a name-only author IRI can be shared by different printed names.
    """

    iri: str
    name: str
    printed_name: str | None
    position: int | None
    url: str | None = None  #: their homepage (``schema:url``, else ``foaf:homepage``)
    same_as: tuple[str, ...] = ()
    has_record: bool = False

    @property
    def key(self) -> str:
        """Who this author is on a page: the person, or for a name-only author the person and
        the printed name.

        >>> Author("p", "A", "A", 1).key == Author("p", "B", "B", 2).key
        False
        >>> Author("p", "Ada", "A.", 1, has_record=True).key
        'p'
        """
        return self.iri if self.has_record else f"{self.iri}\n{self.name}"


@dataclass(frozen=True)
class Work:
    """A publication with its authors in order."""

    iri: str
    title: str | None
    authors: tuple[Author, ...]
    abstract: str | None = None
    #: the source cut the abstract short (``kg:abstractTruncated``): never shown as whole
    abstract_truncated: bool = False
    date: str | None = None
    venue: str | None = None
    venue_type: str | None = None
    url: str | None = None
    pdf_url: str | None = None
    doi: str | None = None
    same_as: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    #: when the data about this work last changed in kg (the newest source load describing it)
    modified: str | None = None

    @property
    def year(self) -> str | None:
        """The year of publication, or None."""
        return self.date[:4] if self.date else None

    @property
    def order_known(self) -> bool:
        """True when every author's position is known (else the order is only partly known).

        >>> Work("w", "T", (Author("a", "A", "A", 1), Author("b", "B", "B", None))).order_known
        False
        """
        return all(a.position is not None for a in self.authors)


@dataclass(frozen=True)
class Person:
    """The person a profile page is about."""

    iri: str
    name: str | None
    given_name: str | None = None
    family_name: str | None = None
    alternate_names: tuple[str, ...] = ()
    job_title: str | None = None
    description: str | None = None
    image: str | None = None
    homepage: str | None = None
    same_as: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    affiliations: tuple[Affiliation, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A person with their publications (newest first) and when the data shown on their page
    last changed (theirs or their works')."""

    person: Person
    works: tuple[Work, ...]
    modified: str | None = None
    #: when kg first had data on the person (the earliest source load describing them)
    created: str | None = None


# -- reading -----------------------------------------------------------------------------------

Props = dict[str, list[tuple[str, bool]]]
"""predicate IRI -> [(lexical value, is_iri)] for one subject."""


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``items`` in lists of ``size`` (people per batch of profiles read at once)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


_NOT_IRI = re.compile(r'[<>"{}|^`\\\s]')


def _iri(value: str) -> str:
    if _NOT_IRI.search(value):
        raise UsageError(f"not an IRI: {value!r}")
    return f"<{value}>"


def _describe(
    store: Store, subjects: Iterable[str], predicates: Sequence[str] = ()
) -> dict[str, Props]:
    """All ``(p, o)`` of each subject (only ``predicates`` when given), batched.

    A CONSTRUCT, not a SELECT: Oxigraph hands back whole triples (read ~1.7x faster than
    solution rows through :meth:`Store.query`, re-measured on the export bench), and the union
    default graph's duplicates collapse.
    """
    todo = sorted(set(subjects))
    out: dict[str, Props] = {s: defaultdict(list) for s in todo}
    # FILTER IN, not VALUES ?p: Oxigraph joined a VALUES ?p block ~35x slower.
    pfilter = "FILTER(?p IN (" + ", ".join(_iri(p) for p in predicates) + "))" if predicates else ""
    for values in values_chunks(_iri(s) for s in todo):
        result = query_graph(
            store,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o {pfilter} }}",
        )
        for t in result.triples:
            o = t.object
            # kg stores no RDF-star: subjects and objects are never quoted triples
            out[t.subject.value][t.predicate.value].append((o.value, isinstance(o, NamedNode)))  # type: ignore[union-attr]
    return out


def _one(props: Props, pred: str) -> str | None:
    """The smallest value of ``pred`` (deterministic when a merge left several)."""
    values = props.get(pred)
    if not values:
        return None
    if len(values) == 1:
        return values[0][0]
    return min(v for v, _ in values)


def _all(props: Props, pred: str, *, iris: bool | None = None) -> tuple[str, ...]:
    values = props.get(pred)
    if not values:
        return ()
    return tuple(sorted({v for v, is_iri in values if iris is None or is_iri == iris}))


_SHORT = {SCHEMA: "schema:", FOAF: "foaf:", KG: "kg:"}


def _field(pred: str) -> str:
    for ns, prefix in _SHORT.items():
        if pred.startswith(ns):
            return prefix + pred[len(ns) :]
    return pred


def _links(
    props: Props,
    pred: str,
    record: str,
    sink: LinkSink | None,
    schemes: frozenset[str] = LINK_SCHEMES,
) -> tuple[str, ...]:
    """The values of ``pred`` that may be links (:func:`kg.export.links.safe_link`); the others
    are reported to ``sink`` naming ``record``. ``sameAs`` is read from IRI values only."""
    return tuple(
        v
        for v in _all(props, pred, iris=True if pred == SCHEMA + "sameAs" else None)
        if safe_link(v, record=record, field=_field(pred), schemes=schemes, sink=sink)
    )


def _link(
    props: Props,
    pred: str,
    record: str,
    sink: LinkSink | None,
    schemes: frozenset[str] = LINK_SCHEMES,
) -> str | None:
    """The first value of ``pred`` that may be a link; every other value that may not is reported."""
    links = _links(props, pred, record, sink, schemes)
    return links[0] if links else None


def profile_people(store: Store) -> list[str]:
    """The people who get a profile page: every ``schema:Person`` that came from a Person record.

    Authors known only from a publication's author list have no ``kg:recordNumber`` of their
    own and get no page (docs/mapping.md).
    """
    result = query_select(
        store,
        f"SELECT DISTINCT ?p WHERE {{ ?p a <{SCHEMA}Person> ; <{KG}recordNumber> ?n }} ORDER BY ?p",
    )
    return [row[0].value for row in result.rows if row[0] is not None]


def _works_of(store: Store, people: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for values in values_chunks(_iri(p) for p in people):
        result = query_graph(
            store,
            f"CONSTRUCT {{ ?w <{SCHEMA}author> ?p }} WHERE {{ VALUES ?p {{ {values} }} ?w <{SCHEMA}author> ?p }}",
        )
        for t in result.triples:
            out[t.object.value].add(t.subject.value)  # type: ignore[union-attr]
    return out


def _modified(
    store: Store, people: Sequence[str], created: dict[str, str] | None = None
) -> dict[str, str]:
    """Latest ``prov:generatedAtTime`` of the source graphs that say something about each subject
    (a person or a work): when its data last changed in kg — an unchanged input is skipped on
    re-ingest, so this does not move when nothing changed (docs/mapping.md, "Provenance").
    ``created`` gets the earliest such time of each subject (when kg first had data on it)."""
    out: dict[str, str] = {}
    for values in values_chunks(_iri(p) for p in people):
        # the graphs first, one row per (subject, graph), then their times: joined the other
        # way Oxigraph 0.5 pairs every triple of a subject with its graph's time (10x slower
        # at 1M triples, docs/export.md "What the export does to be fast")
        result = query_select(
            store,
            f"SELECT ?s (MAX(?t) AS ?m) (MIN(?t) AS ?c) WHERE {{ {{ SELECT DISTINCT ?s ?g "
            f"WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?x ?y }} }} }} "
            f"?g <{PROV}generatedAtTime> ?t }} GROUP BY ?s",
        )
        for s, m, c in result.rows:
            if s is not None and m is not None:
                out[s.value] = m.value
            if s is not None and c is not None and created is not None:
                created[s.value] = c.value
    return out


def _latest(*stamps: str | None) -> str | None:
    """The latest of ISO 8601 UTC timestamps (all written alike by kg, so they sort as text)."""
    known = [s for s in stamps if s]
    return max(known) if known else None


def _identifiers(props: Props, nodes: dict[str, Props]) -> tuple[tuple[str, str], ...]:
    pairs = set()
    for node in _all(props, SCHEMA + "identifier", iris=True):
        n = nodes.get(node, {})
        pid, value = _one(n, SCHEMA + "propertyID"), _one(n, SCHEMA + "value")
        if pid and value:
            pairs.add((pid, value))
    return tuple(sorted(pairs))


def _organization(iri: str, nodes: dict[str, Props], sink: LinkSink | None) -> Organization:
    n = nodes.get(iri, {})
    return Organization(
        iri=iri,
        name=_one(n, SCHEMA + "name"),
        url=_link(n, SCHEMA + "url", iri, sink),
        same_as=_links(n, SCHEMA + "sameAs", iri, sink),
    )


def _person(iri: str, props: Props, nodes: dict[str, Props], sink: LinkSink | None) -> Person:
    affiliations: dict[str, Affiliation] = {}
    for node in _all(props, KG + "affiliation", iris=True):
        n = nodes.get(node, {})
        org = _one(n, KG + "organization")
        if org is None:
            continue
        aff = Affiliation(
            organization=_organization(org, nodes, sink),
            role=_one(n, SCHEMA + "roleName"),
            ended=bool(n.get(SCHEMA + "endDate")),
        )
        prev = affiliations.get(org)
        # One entry per organization; a current role wins over an ended one.
        if prev is None or (prev.ended and not aff.ended):
            affiliations[org] = aff
    for org in _all(props, SCHEMA + "affiliation", iris=True):
        affiliations.setdefault(org, Affiliation(organization=_organization(org, nodes, sink)))
    topics = sorted(
        {
            name
            for t in _all(props, SCHEMA + "knowsAbout", iris=True)
            if (name := _one(nodes.get(t, {}), SCHEMA + "name"))
        }
    )
    image = _link(props, SCHEMA + "image", iri, sink, IMAGE_SCHEMES) or _link(
        props, FOAF + "img", iri, sink, IMAGE_SCHEMES
    )
    return Person(
        iri=iri,
        name=_one(props, SCHEMA + "name") or _one(props, FOAF + "name"),
        given_name=_one(props, SCHEMA + "givenName"),
        family_name=_one(props, SCHEMA + "familyName"),
        alternate_names=_all(props, SCHEMA + "alternateName"),
        job_title=_one(props, SCHEMA + "jobTitle"),
        description=_one(props, SCHEMA + "description"),
        image=image,
        homepage=_link(props, SCHEMA + "url", iri, sink)
        or _link(props, FOAF + "homepage", iri, sink),
        same_as=_links(props, SCHEMA + "sameAs", iri, sink),
        identifiers=_identifiers(props, nodes),
        affiliations=tuple(
            sorted(
                affiliations.values(),
                key=lambda a: (a.ended, a.organization.name or "", a.organization.iri),
            )
        ),
        topics=tuple(topics),
    )


def author_sort_key(
    position: int | None, printed_name: str | None, iri: str
) -> tuple[int, int, str, str]:
    """Author order: positioned authors by ``kg:position``, then the others by printed name.

    >>> sorted([(None, "B"), (2, "Z"), (None, "A"), (1, "Y")],
    ...        key=lambda a: author_sort_key(a[0], a[1], ""))
    [(1, 'Y'), (2, 'Z'), (None, 'A'), (None, 'B')]
    """
    if position is not None:
        return (0, position, printed_name or "", iri)
    return (1, 0, printed_name or "", iri)


def _work(
    iri: str, props: Props, nodes: dict[str, Props], people: dict[str, Props], sink: LinkSink | None
) -> Work:
    authors = []
    for node in _all(props, KG + "authorship", iris=True):
        n = nodes.get(node, {})
        person = _one(n, KG + "author")
        if person is None:
            continue
        pos = _one(n, KG + "position")
        printed = _one(n, KG + "printedName")
        pp = people.get(person, {})
        has_record = bool(pp.get(KG + "recordNumber"))
        own = _one(pp, SCHEMA + "name") or _one(pp, FOAF + "name")
        authors.append(
            Author(
                iri=person,
                name=(own if has_record else printed) or printed or own or "",
                has_record=has_record,
                printed_name=printed,
                position=int(pos) if pos is not None else None,
                # a co-author's own links are reported on their own record, not once per work
                url=_link(pp, SCHEMA + "url", person, None)
                or _link(pp, FOAF + "homepage", person, None),
                same_as=_links(pp, SCHEMA + "sameAs", person, None),
            )
        )
    authors.sort(key=lambda a: author_sort_key(a.position, a.printed_name, a.iri))
    venue = _one(props, SCHEMA + "isPartOf")
    vn = nodes.get(venue, {}) if venue else {}
    return Work(
        iri=iri,
        title=_one(props, SCHEMA + "headline") or _one(props, SCHEMA + "name"),
        authors=tuple(authors),
        abstract=_one(props, SCHEMA + "abstract"),
        abstract_truncated=_one(props, KG + "abstractTruncated") in {"true", "1"},
        date=_one(props, SCHEMA + "datePublished"),
        venue=_one(vn, SCHEMA + "name"),
        venue_type=_one(vn, KG + "venueType"),
        url=_link(props, SCHEMA + "url", iri, sink),
        pdf_url=_link(props, KG + "pdfUrl", iri, sink, IMAGE_SCHEMES),
        doi=_one(props, BIBO + "doi"),
        same_as=_links(props, SCHEMA + "sameAs", iri, sink),
        identifiers=_identifiers(props, nodes),
    )


def _work_order(work: Work) -> tuple[str, str, str]:
    # Newest first: invert the date so a plain ascending sort gives descending dates.
    date = "".join(chr(0x10FFFF - ord(c)) for c in (work.date or ""))
    return (date or "\U0010ffff", (work.title or "").casefold(), work.iri)


_PERSON_LINKS = (
    KG + "affiliation",
    SCHEMA + "affiliation",
    SCHEMA + "knowsAbout",
    SCHEMA + "identifier",
)
_WORK_LINKS = (KG + "authorship", SCHEMA + "isPartOf", SCHEMA + "identifier")
_WORK_PROPS = (
    SCHEMA + "name", SCHEMA + "headline", SCHEMA + "abstract", SCHEMA + "datePublished",
    SCHEMA + "isPartOf", SCHEMA + "url", KG + "pdfUrl", SCHEMA + "sameAs", BIBO + "doi",
    SCHEMA + "identifier", KG + "authorship", KG + "abstractTruncated",
)  # fmt: skip
#: what is read of linked nodes: authorships, venues, organizations, topics, identifier nodes
_NODE_PROPS = (
    KG + "author", KG + "position", KG + "printedName", KG + "organization", KG + "venueType",
    SCHEMA + "name", SCHEMA + "url", SCHEMA + "sameAs", SCHEMA + "roleName", SCHEMA + "endDate",
    SCHEMA + "propertyID", SCHEMA + "value",
)  # fmt: skip
_AUTHOR_PROPS = (
    SCHEMA + "name", FOAF + "name", SCHEMA + "url", FOAF + "homepage", SCHEMA + "sameAs",
    KG + "recordNumber",
)  # fmt: skip


class _Reader:
    """Reads profiles batch by batch for one export, keeping each publication read once.

    A publication usually appears on several profiles (one per co-author with a page), which may
    fall in different batches. The reader knows every chosen person's works up front, keeps a
    built :class:`Work` until the last profile that lists it has been read, and keeps co-authors'
    names and links across batches (bounded), so the store is asked about each work once.
    """

    #: co-authors remembered across batches (their name, url, sameAs, record flag)
    AUTHOR_CACHE = 50_000

    def __init__(self, store: Store, people: Sequence[str], sink: LinkSink | None = None) -> None:
        self.store, self.sink = store, sink
        self.works_by_person = _works_of(store, people) if people else {}
        self.pending: dict[str, int] = defaultdict(int)  # work -> profiles still to read
        for works in self.works_by_person.values():
            for w in works:
                self.pending[w] += 1
        self.works: dict[str, Work] = {}
        self.authors: dict[str, Props] = {}

    def read(self, people: Sequence[str]) -> list[Profile]:
        """The profiles of ``people``, in order (each person once per export)."""
        if not people:
            return []
        store = self.store
        pprops = _describe(store, people)
        unknown = [
            p for p in people if SCHEMA + "Person" not in {v for v, _ in pprops[p].get(_TYPE, ())}
        ]
        if unknown:
            raise UsageError(f"no schema:Person {unknown[0]} in the store")
        wanted = sorted({w for p in people for w in self.works_by_person.get(p, ())})
        new_works = [w for w in wanted if w not in self.works]
        wprops = _describe(store, new_works, _WORK_PROPS)
        hop = {
            o
            for props in pprops.values()
            for p in _PERSON_LINKS
            for o, is_iri in props.get(p, ())
            if is_iri
        } | {
            o
            for props in wprops.values()
            for p in _WORK_LINKS
            for o, is_iri in props.get(p, ())
            if is_iri
        }
        nodes = _describe(store, hop, _NODE_PROPS)
        orgs = {
            o
            for n in nodes.values()
            for o, is_iri in n.get(KG + "organization", ())
            if is_iri and o not in nodes
        }
        nodes.update(_describe(store, orgs, _NODE_PROPS))
        authors = {o for n in nodes.values() for o, is_iri in n.get(KG + "author", ()) if is_iri}
        missing = [a for a in authors if a not in self.authors]
        if len(self.authors) + len(missing) > self.AUTHOR_CACHE:
            self.authors.clear()
            missing = list(authors)
        self.authors.update(_describe(store, missing, _AUTHOR_PROPS))
        changed = _modified(store, new_works)
        for w in new_works:
            work = _work(w, wprops[w], nodes, self.authors, self.sink)
            self.works[w] = replace(work, modified=changed.get(w))
        created: dict[str, str] = {}
        modified = _modified(store, people, created)
        out = [
            Profile(
                person=_person(p, pprops[p], nodes, self.sink),
                works=tuple(
                    sorted(
                        (self.works[w] for w in self.works_by_person.get(p, ())), key=_work_order
                    )
                ),
                created=created.get(p),
                modified=_latest(
                    modified.get(p),
                    *(self.works[w].modified for w in self.works_by_person.get(p, ())),
                ),
            )
            for p in people
        ]
        for p in dict.fromkeys(people):  # forget a work once every profile listing it is read
            for w in self.works_by_person.get(p, ()):
                self.pending[w] -= 1
                if self.pending[w] <= 0:
                    self.works.pop(w, None)
        return out


def load_profiles(
    store: Store, people: Sequence[str], *, sink: LinkSink | None = None
) -> list[Profile]:
    """Read the profiles of ``people`` (IRIs), in the given order, with a few batched queries.

    A person the store does not know raises :class:`~kg.errors.UsageError`.
    """
    return _Reader(store, people, sink).read(people)


def iter_profiles(
    store: Store, people: Sequence[str], *, batch: int = 400, sink: LinkSink | None = None
) -> Iterator[Profile]:
    """:func:`load_profiles` in batches of ``batch`` people, so memory stays flat on big exports;
    a publication shared by people of different batches is read from the store once."""
    people = list(dict.fromkeys(people))
    reader = _Reader(store, people, sink)
    for chunk in _batches(people, batch):
        yield from reader.read(chunk)
