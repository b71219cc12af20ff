"""Page documents: schema.org JSON-LD built straight from the profile data (no compaction step).

A profile document is a ``@graph`` with the ProfilePage (``url``, ``mainEntity`` -> the Person,
``dateModified``, ``hasPart`` -> the publications), the Person, their Organizations and their
publications as ScholarlyArticle nodes with ``author`` arrays in author order
(https://developers.google.com/search/docs/appearance/structured-data/profile-page,
https://developers.google.com/search/docs/appearance/structured-data/article). A publication
document is an ItemPage whose ``mainEntity`` is the ScholarlyArticle.

The documents are written already in compact form against :data:`CONTEXT`, kg's small bundled
context (``@vocab`` https://schema.org/, the https namespace kg stores; IRI-valued terms coerced
to ``@id``). Nothing is fetched, ever. Building the dicts directly is 20-60x faster than
compacting an expanded graph with PyLD or rdflib (DESIGN.md, "Traps").

``@id``\\s are stable: the page URL plus a fragment. A person with a profile page is
``{their page}#person``, a publication ``{its page}#article``; other nodes (co-authors without a
page, organizations) get a fragment of the page they appear on, derived from their kg IRI.

:func:`triples` reads a document back as RDF triples under exactly this context; the tests check
it against rdflib's independent JSON-LD parser on the HTML a search engine sees.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kg import ids
from kg.export.escape import script_safe
from kg.export.model import Author, Person, Profile, Work
from kg.export.options import SiteOptions
from kg.shared import project_root
from kg.vocab import ID_BASE, RDF, SCHEMA

__all__ = [
    "CONTEXT",
    "WORK_TYPES",
    "ArticlePart",
    "PageDocument",
    "PageParts",
    "SiteUrls",
    "profile_document_for",
    "publication_document",
    "triples",
]


#: The terms kg's page documents use. Everything else is a schema.org term via ``@vocab``;
#: these are the IRI-valued ones, typed ``@id`` exactly as schema.org's own context types them
#: (a test checks the agreement with the official context). Dates stay plain ISO 8601 strings.
_BUILTIN_CONTEXT: dict[str, Any] = {
    "@vocab": SCHEMA,
    "url": {"@type": "@id"},
    "sameAs": {"@type": "@id"},
    "image": {"@type": "@id"},
}


def _load_context() -> dict[str, Any]:
    """kg's page context.

    When the project ships ``ontology/context.jsonld``, it must agree with the terms the page
    builder relies on (same ``@vocab``, the same ``@id``-typed terms); documents always carry
    this small self-contained mapping, never a remote context (nothing is fetched, ever).
    """
    path = project_root() / "ontology" / "context.jsonld"
    if path.is_file():
        try:
            ctx = json.loads(path.read_text(encoding="utf-8")).get("@context")
        except (OSError, ValueError, AttributeError):
            ctx = None
        agrees = (
            isinstance(ctx, dict)
            and ctx.get("@vocab") == SCHEMA
            and all(
                isinstance(ctx.get(t), dict) and ctx[t].get("@type") == "@id"
                for t in _BUILTIN_CONTEXT
                if t != "@vocab"
            )
        )
        if not agrees:
            raise RuntimeError(f"{path} disagrees with kg.export's page context {_BUILTIN_CONTEXT}")
    return dict(_BUILTIN_CONTEXT)


CONTEXT: dict[str, Any] = _load_context()
IRI_TERMS = frozenset(
    k for k, v in CONTEXT.items() if isinstance(v, dict) and v.get("@type") == "@id"
)


@dataclass(frozen=True)
class SiteUrls:
    """Where each page of the site lives: ``{base}people/{slug}/`` and ``{base}publications/{slug}/``.

    >>> urls = SiteUrls("https://lab.example.org/")
    >>> urls.person("https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097")
    'https://lab.example.org/people/orcid-0000-0002-1825-0097/'
    >>> urls.work("https://w3id.org/kg/id/pub/doi/10.1000/xyz")
    'https://lab.example.org/publications/doi-10.1000-xyz/'
    """

    base: str
    #: people who have a profile page
    people: frozenset[str] = frozenset()
    #: publications that have a page (None: all); a live set while an export is running
    works: AbstractSet[str] | None = None
    #: the host site's URL patterns and map (None: kg's own layout under ``base``)
    site: SiteOptions | None = None

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")
        if self.site is not None and self.site.own_layout:
            object.__setattr__(self, "site", None)

    def person(self, iri: str) -> str:
        """The URL of ``iri``'s profile page (:class:`~kg.export.options.SiteOptions` decides)."""
        if self.site is None:
            return f"{self.base}people/{slug(iri, 'person/')}/"
        return self.site.mapped.get(iri) or self.site.profile_pattern.replace(
            "{slug}", slug(iri, "person/")
        )

    def work(self, iri: str) -> str:
        """The URL of ``iri``'s publication page."""
        if self.site is None:
            return f"{self.base}publications/{slug(iri, 'pub/')}/"
        return self.site.mapped.get(iri) or self.site.publication_pattern.replace(
            "{slug}", slug(iri, "pub/")
        )

    def scoped(self, works: AbstractSet[str] | None) -> SiteUrls:
        """The same site with only ``works`` having a page (None: all)."""
        return SiteUrls(self.base, self.people, works, self.site)

    def has_person_page(self, iri: str) -> bool:
        return iri in self.people

    def has_work_page(self, iri: str) -> bool:
        return self.works is None or iri in self.works


_SLUG_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


@lru_cache(maxsize=1 << 16)
def slug(iri: str, kind: str) -> str:
    """A file-system and URL safe name for an entity, readable when kg minted the IRI.

    >>> slug("https://w3id.org/kg/id/person/name/ada-lovelace-1a2b3c", "person/")
    'ada-lovelace-1a2b3c'
    >>> slug("http://example.org/x?y", "person/")
    'x-y-eeefbab5d073'
    >>> slug("https://w3id.org/kg/id/person/..", "person/")[:2]
    'x-'
    """
    prefix = ID_BASE + kind
    if iri.startswith(prefix):
        rest = iri[len(prefix) :]
        if rest.startswith(("name/", "title/", "anon/")):
            rest = rest.split("/", 1)[1]
        text = "".join(c if c in _SLUG_OK else "-" for c in rest.replace("/", "-"))
        text = "-".join(part for part in text.split("-") if part)
        # never ".", "..", or a hidden name: a page must land in its own folder
        if text and len(text) <= 120 and text == rest.replace("/", "-") and text[0] != ".":
            return text
        return f"{text[:60].strip('-.') or 'x'}-{ids.hash_key(iri, length=12)}"
    tail = iri.rstrip("/").rsplit("/", 1)[-1]
    text = "".join(c if c in _SLUG_OK else "-" for c in tail)[:40].strip("-.") or "x"
    return f"{text}-{ids.hash_key(iri, length=12)}"


def _frag(iri: str, kind: str) -> str:
    return f"{kind}-{ids.hash_key(iri, length=12)}"


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless the value is empty: Google rejects empty strings and empty arrays."""
    if value is None or value == "" or value == [] or value == ():
        return
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list) and len(value) == 1 and key not in _ALWAYS_LIST:
        value = value[0]
    node[key] = value


# Properties whose value is an array even with one element: the author list keeps its shape.
_ALWAYS_LIST = frozenset({"author"})


def _identifiers(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"@type": "PropertyValue", "propertyID": pid, "value": value} for pid, value in pairs]


def _author(author: Author, page: str, urls: SiteUrls) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Person"}
    url: str | None
    same_as: Sequence[str] = author.same_as
    if urls.has_person_page(author.iri):
        node["@id"] = urls.person(author.iri) + "#person"
        url = urls.person(author.iri)
        if author.url:  # their homepage: a sameAs, as on their own page (:func:`_person`)
            same_as = sorted({*same_as, author.url})
    else:
        node["@id"] = f"{page}#{_frag(author.key, 'person')}"
        url = author.url
    _put(node, "name", author.name)
    _put(node, "url", url)
    _put(node, "sameAs", same_as)
    return node


#: schema.org type(s) by kind of work (``kg:venueType``): a Report is an Article subtype; a thesis
#: and a book stay ScholarlyArticle (Google reads authored works only as Articles,
#: shapes/google.ttl) *and* say what they are (https://schema.org/Thesis, https://schema.org/Book)
_TYPES: dict[str | None, str | list[str]] = {
    "report": "Report",
    "thesis": ["ScholarlyArticle", "Thesis"],
    "book": ["ScholarlyArticle", "Book"],
}

#: Every ``@type`` a work's node can have (a node is a work when one of its types is here)
WORK_TYPES = frozenset(
    {"ScholarlyArticle"} | {t for v in _TYPES.values() for t in ([v] if isinstance(v, str) else v)}
)


def article_types(work: Work) -> list[str]:
    """The ``@type``\\s of ``work``'s node, as a list."""
    t = _TYPES.get(work.venue_type, "ScholarlyArticle")
    return list(t) if isinstance(t, list) else [t]


def _article(work: Work, page: str, urls: SiteUrls) -> dict[str, Any]:
    """A ScholarlyArticle node (https://schema.org/ScholarlyArticle), or the type of its kind.

    Authors are in author order; authors whose position is unknown follow the positioned ones
    (docs/export.md, "Authors as known"). A truncated abstract is left out: it is shown on the
    page marked as cut short, and never published as if whole.
    """
    has_page = urls.has_work_page(work.iri)
    # One paper, one @id on every page: its page's, else its own stable kg IRI (never a
    # fragment of the page that happens to show it).
    node: dict[str, Any] = {
        "@type": _TYPES.get(work.venue_type, "ScholarlyArticle"),
        "@id": (urls.work(work.iri) + "#article") if has_page else work.iri,
    }
    _put(node, "headline", work.title)
    _put(node, "name", work.title)
    _put(node, "author", [_author(a, page, urls) for a in work.authors])
    _put(node, "datePublished", work.date)
    if not work.abstract_truncated:
        _put(node, "abstract", work.abstract)
    _put(node, "identifier", _identifiers(work.identifiers))
    same_as = set(work.same_as)
    if work.url:
        same_as.add(work.url)
    _put(node, "sameAs", sorted(same_as))
    if work.venue and work.venue_type == "thesis":  # the degree-granting institution
        _put(node, "sourceOrganization", {"@type": "Organization", "name": work.venue})
    elif work.venue and work.venue_type == "report":  # the institution issuing the report
        _put(node, "publisher", {"@type": "Organization", "name": work.venue})
    elif work.venue:
        kind = "Periodical" if work.venue_type == "journal" else "CreativeWorkSeries"
        _put(node, "isPartOf", {"@type": kind, "name": work.venue})
    if work.venue_type == "preprint":
        _put(node, "creativeWorkStatus", "Preprint")
    _put(node, "url", urls.work(work.iri) if has_page else None)
    return node


def _person(person: Person, page: str, *, homepage_as_same_as: bool = True) -> dict[str, Any]:
    """The Person node (https://schema.org/Person). ``url`` is the profile page; the homepage is
    a ``sameAs`` (a page that unambiguously identifies the person)."""
    node: dict[str, Any] = {"@type": "Person", "@id": page + "#person"}
    _put(node, "name", person.name)
    _put(node, "givenName", person.given_name)
    _put(node, "familyName", person.family_name)
    _put(node, "alternateName", person.alternate_names)
    _put(node, "jobTitle", person.job_title)
    _put(node, "description", person.description)
    _put(node, "image", person.image)
    _put(node, "url", page)
    same_as = set(person.same_as)
    if person.homepage and homepage_as_same_as:
        same_as.add(person.homepage)
    _put(node, "sameAs", sorted(same_as))
    _put(node, "identifier", _identifiers(person.identifiers))
    orgs = [a.organization for a in person.affiliations]
    _put(node, "affiliation", [{"@id": f"{page}#{_frag(o.iri, 'org')}"} for o in orgs])
    _put(
        node,
        "worksFor",
        [
            {"@id": f"{page}#{_frag(a.organization.iri, 'org')}"}
            for a in person.affiliations
            if not a.ended
        ],
    )
    _put(node, "knowsAbout", person.topics)
    return node


def _organizations(person: Person, page: str) -> Iterator[dict[str, Any]]:
    for aff in person.affiliations:
        org = aff.organization
        node: dict[str, Any] = {"@type": "Organization", "@id": f"{page}#{_frag(org.iri, 'org')}"}
        _put(node, "name", org.name)
        _put(node, "url", org.url)
        _put(node, "sameAs", org.same_as)
        yield node


def profile_document_for(profile: Profile, urls: SiteUrls) -> dict[str, Any]:
    """The JSON-LD document of one profile page (a ``@graph``, compact against :data:`CONTEXT`)."""
    page = urls.person(profile.person.iri)
    articles = [_article(w, page, urls) for w in profile.works]
    page_node: dict[str, Any] = {"@type": "ProfilePage", "@id": page + "#page", "url": page}
    _put(page_node, "name", profile.person.name)
    page_node["mainEntity"] = {"@id": page + "#person"}
    _put(page_node, "dateCreated", profile.created)
    _put(page_node, "dateModified", profile.modified)
    _put(page_node, "hasPart", [{"@id": a["@id"]} for a in articles])
    graph = [
        page_node,
        _person(profile.person, page),
        *_organizations(profile.person, page),
        *articles,
    ]
    return {"@context": CONTEXT, "@graph": graph}


def publication_document(
    work: Work, urls: SiteUrls, *, modified: str | None = None
) -> dict[str, Any]:
    """The JSON-LD document of one publication page: an ItemPage whose mainEntity is the article."""
    page = urls.work(work.iri)
    article = _article(work, page, urls.scoped(None))
    page_node: dict[str, Any] = {"@type": "ItemPage", "@id": page + "#page", "url": page}
    _put(page_node, "name", work.title)
    page_node["mainEntity"] = {"@id": article["@id"]}
    _put(page_node, "dateModified", modified or work.modified)
    return {"@context": CONTEXT, "@graph": [page_node, article]}


# -- pages assembled from parts built once per export ------------------------------------------

#: Stands for "the page this node is shown on" in an :class:`ArticlePart`. Random per process
#: (128 bits), ASCII letters and digits only, so it is copied verbatim by ``json.dumps`` and can
#: never be spelled by data that was stored before it was drawn.
PAGE_TOKEN = "kgpage" + secrets.token_hex(16)
_CONTEXT_TEXT = json.dumps(CONTEXT, ensure_ascii=False)


@dataclass(frozen=True)
class ArticlePart:
    """A publication's ScholarlyArticle node, built and serialized once per export.

    A publication is shown on the page of each co-author with a profile and on its own page; its
    node differs between those pages only in the fragment IRIs of authors without a page (and of
    the article itself when it has no page), which are minted under the page that shows them.
    The part is built with :data:`PAGE_TOKEN` in place of that page, so one JSON text serves
    every page: :class:`PageDocument` puts the page URL in with one string replacement.
    """

    work: str  #: the publication's kg IRI
    has_page: bool  #: whether the article links to (and is identified by) its own page
    node: dict[str, Any]  #: the node, with :data:`PAGE_TOKEN` for the showing page
    text: str  #: ``json.dumps(node, ensure_ascii=False)``


class PageDocument(Mapping[str, Any]):
    """One page's JSON-LD document, held as parts and serialized by joining their texts.

    It reads like the dict :func:`profile_document_for` returns (``doc["@graph"]`` works, for
    custom templates), but is only parsed when read that way: the export uses :meth:`text`,
    :meth:`script_text` and the parts themselves (:class:`kg.export.check.PageChecker`).
    """

    __slots__ = ("_dict", "_text", "articles", "head", "page")

    def __init__(self, page: str, head: list[dict[str, Any]], articles: Sequence[ArticlePart]):
        self.page = page  #: the page's URL (what :data:`PAGE_TOKEN` stands for)
        #: the page's own nodes, before the articles; links to articles use their parts' ids
        self.head = head
        self.articles = tuple(articles)
        self._text: str | None = None
        self._dict: dict[str, Any] | None = None

    def text(self) -> str:
        """The document as JSON text, exactly ``json.dumps(doc, ensure_ascii=False)``."""
        if self._text is None:
            nodes = [json.dumps(n, ensure_ascii=False) for n in self.head]
            nodes += [a.text for a in self.articles]
            text = '{"@context": ' + _CONTEXT_TEXT + ', "@graph": [' + ", ".join(nodes) + "]}"
            if PAGE_TOKEN in text:
                text = text.replace(PAGE_TOKEN, json.dumps(self.page, ensure_ascii=False)[1:-1])
            self._text = text
        return self._text

    def script_text(self) -> str:
        """:meth:`text` made safe inside ``<script>`` (the same escapes as
        :func:`kg.export.escape.json_for_script`)."""
        return script_safe(self.text())

    def as_dict(self) -> dict[str, Any]:
        if self._dict is None:
            self._dict = json.loads(self.text())
        return self._dict

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return 2


class PageParts:
    """Builds :class:`PageDocument`\\s for one export, each article serialized once.

    ``limit`` bounds how many article parts are kept (oldest dropped first): an export reads
    profiles in batches, so a publication's pages are built close together.

    >>> from kg.export.model import Author, Person, Profile, Work
    >>> urls = SiteUrls("https://lab.example.org/", frozenset({"https://w3id.org/kg/id/person/key/ada"}))
    >>> ada = Author("https://w3id.org/kg/id/person/key/ada", "Ada", "A. Lovelace", 1, has_record=True)
    >>> work = Work("https://w3id.org/kg/id/pub/key/notes", "Notes", (ada,), date="1843")
    >>> profile = Profile(Person(ada.iri, "Ada"), (work,))
    >>> parts = PageParts()
    >>> doc = parts.profile(profile, urls)
    >>> doc.as_dict() == profile_document_for(profile, urls)
    True
    >>> parts.article(work, urls, has_page=True) is parts.article(work, urls, has_page=True)
    True
    """

    def __init__(self, *, limit: int = 50_000) -> None:
        self.limit = limit
        self._articles: dict[tuple[str, bool], ArticlePart] = {}
        self._site: tuple[tuple[str, SiteOptions | None], frozenset[str]] | None = None

    def article(self, work: Work, urls: SiteUrls, *, has_page: bool) -> ArticlePart:
        site = self._site
        if (
            site is None
            or site[0] != (urls.base, urls.site)
            or (site[1] is not urls.people and site[1] != urls.people)
        ):  # another site: other people have pages, so other author nodes
            self._articles.clear()
            self._site = ((urls.base, urls.site), urls.people)
        key = (work.iri, has_page)
        part = self._articles.get(key)
        if part is None:
            scope = urls.scoped(None if has_page else frozenset())
            node = _article(work, PAGE_TOKEN, scope)
            part = ArticlePart(work.iri, has_page, node, json.dumps(node, ensure_ascii=False))
            if len(self._articles) >= self.limit:
                del self._articles[next(iter(self._articles))]
            self._articles[key] = part
        return part

    def profile(self, profile: Profile, urls: SiteUrls) -> PageDocument:
        """The same document as :func:`profile_document_for`, as parts."""
        page = urls.person(profile.person.iri)
        articles = [
            self.article(w, urls, has_page=urls.has_work_page(w.iri)) for w in profile.works
        ]
        page_node: dict[str, Any] = {"@type": "ProfilePage", "@id": page + "#page", "url": page}
        _put(page_node, "name", profile.person.name)
        page_node["mainEntity"] = {"@id": page + "#person"}
        _put(page_node, "dateCreated", profile.created)
        _put(page_node, "dateModified", profile.modified)
        _put(page_node, "hasPart", [{"@id": a.node["@id"]} for a in articles])
        head = [page_node, _person(profile.person, page), *_organizations(profile.person, page)]
        return PageDocument(page, head, articles)

    def publication(self, work: Work, urls: SiteUrls) -> PageDocument:
        """The same document as :func:`publication_document`, as parts."""
        page = urls.work(work.iri)
        article = self.article(work, urls, has_page=True)
        page_node: dict[str, Any] = {"@type": "ItemPage", "@id": page + "#page", "url": page}
        _put(page_node, "name", work.title)
        page_node["mainEntity"] = {"@id": article.node["@id"]}
        _put(page_node, "dateModified", work.modified)
        return PageDocument(page, [page_node], [article])


# -- reading a document back as triples --------------------------------------------------------

Triple = tuple[str, str, str, str]
"""(subject, predicate, object, kind) where kind is "iri", "bnode" or "literal"; subjects that
start with ``_:`` are blank nodes."""


def triples(doc: Mapping[str, Any]) -> list[Triple]:
    """The RDF triples of a kg page document, under :data:`CONTEXT`.

    Nodes without ``@id`` become blank nodes ``_:b0``, ``_:b1``... in document order. This is
    a reader for the documents kg writes, not a general JSON-LD processor.

    >>> doc = {"@context": CONTEXT, "@graph": [{"@id": "https://x/#p", "@type": "Person",
    ...        "name": "Ada", "sameAs": ["https://orcid.org/0000-0002-1825-0097"]}]}
    >>> for t in triples(doc): print(t[1].rsplit("/", 1)[-1].rsplit("#")[-1], t[2])
    type https://schema.org/Person
    name Ada
    sameAs https://orcid.org/0000-0002-1825-0097
    """
    out: list[Triple] = []
    counter = iter(range(1 << 62))

    def node_id(node: Mapping[str, Any]) -> str:
        return str(node["@id"]) if "@id" in node else f"_:b{next(counter)}"

    def visit(node: Mapping[str, Any]) -> str:
        subject = node_id(node)
        for key, value in node.items():
            if key == "@id":
                continue
            if key == "@type":
                for t in value if isinstance(value, list) else [value]:
                    out.append((subject, RDF + "type", SCHEMA + t, "iri"))
                continue
            pred = SCHEMA + key
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, Mapping):
                    if set(v) == {"@id"}:
                        out.append((subject, pred, str(v["@id"]), "iri"))
                    else:
                        obj = visit(v)
                        out.append((subject, pred, obj, "bnode" if obj.startswith("_:") else "iri"))
                elif key in IRI_TERMS:
                    out.append((subject, pred, str(v), "iri"))
                else:
                    out.append((subject, pred, str(v), "literal"))
        return subject

    for node in doc.get("@graph", [doc]):
        visit(node)
    return out


def document_types(doc: Mapping[str, Any]) -> Callable[[str], list[str]]:
    """A lookup ``@id -> [types]`` over the top-level nodes of a document (used by the HTML layer)."""
    index: dict[str, list[str]] = {}
    for node in doc.get("@graph", []):
        t = node.get("@type", [])
        index[str(node.get("@id"))] = t if isinstance(t, list) else [t]
    return lambda i: index.get(i, [])
