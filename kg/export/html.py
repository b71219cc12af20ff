"""Server-rendered HTML pages: Jinja2 templates with autoescaping, JSON-LD embedded safely.

Every page carries its JSON-LD in ``<script type="application/ld+json">`` in the HTML the server
sends (Google reads it without running JavaScript:
https://developers.google.com/search/docs/appearance/structured-data/intro-structured-data),
escaped by :func:`kg.export.escape.json_for_script`. Publication pages also carry the Highwire
Press ``citation_*`` meta tags Google Scholar reads
(https://scholar.google.com/intl/en/scholar/inclusion.html#indexing), never an empty one.

What a page shows is rendered from the same data as its markup: every author shown is in the
markup and every author in the markup is shown (Google's structured-data policy,
https://developers.google.com/search/docs/appearance/structured-data/sd-policies#content).

Templates ship in ``kg/export/templates/``; ``templates=DIR`` puts a directory in front, so a site
can override any one of them (``base.html`` holds the style) and keep the others.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kg.errors import UsageError
from kg.export.escape import json_for_script
from kg.export.jsonld import CONTEXT, PageDocument, SiteUrls
from kg.export.model import Author, Person, Profile, Work
from kg.export.svg import coauthor_svg, years_svg
from kg.limits import CONTROL_CHARS

__all__ = [
    "Link",
    "citation_date",
    "environment",
    "highwire_tags",
    "render_index",
    "render_profile",
    "render_publication",
]

_ID_LINKS = {
    "https://orcid.org/": "ORCID",
    "https://dblp.org/": "DBLP",
    "https://openalex.org/": "OpenAlex",
    "https://ror.org/": "ROR",
    "https://doi.org/": "DOI",
    "https://arxiv.org/": "arXiv",
    "https://scholar.google.com/": "Google Scholar",
    "https://www.wikidata.org/": "Wikidata",
}


@dataclass(frozen=True)
class Link:
    """A labelled link shown on a page."""

    label: str
    url: str


def link_label(url: str) -> str:
    """A short label for a known identifier URL, else the host.

    >>> link_label("https://orcid.org/0000-0002-1825-0097"), link_label("https://ada.example.org/x")
    ('ORCID', 'ada.example.org')
    """
    for prefix, label in _ID_LINKS.items():
        if url.startswith(prefix):
            return label
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host or url


def citation_date(date: str | None) -> str | None:
    """``citation_publication_date`` as Scholar wants it: ``YYYY/MM/DD`` for a full date, else ``YYYY``.

    >>> citation_date("2023-06-14"), citation_date("2022-03"), citation_date("2024"), citation_date(None)
    ('2023/06/14', '2022', '2024', None)
    """
    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    if len(date) >= 10 and date[4] == "-" and date[7] == "-":
        return date[:10].replace("-", "/")
    return date[:4]


_ORCID = "https://orcid.org/"


def highwire_tags(work: Work, urls: SiteUrls) -> list[tuple[str, str]]:
    """The Highwire Press ``citation_*`` tags of a publication page, in Scholar's order.

    One ``citation_author`` per author in author order, each followed by its
    ``citation_author_orcid`` when known; when some positions are unknown only the positioned
    authors are given (a sequence with the others at its end would claim an order nobody
    printed). By kind: ``citation_journal_title``, ``citation_conference_title``,
    ``citation_dissertation_institution`` (thesis), ``citation_technical_report_institution``
    (report); ``citation_arxiv_id`` for an arXiv identifier; ``citation_pdf_url`` only when a
    PDF is known; an empty value is never written
    (https://scholar.google.com/intl/en/scholar/inclusion.html#indexing).

    >>> w = Work("w", "T", (Author("p", "A B", "A. B.", 1, same_as=("https://orcid.org/0000-0002-1825-0097",)),),
    ...          date="2024", venue="NeurIPS", venue_type="conference", doi="10.1/x")
    >>> highwire_tags(w, SiteUrls("https://s/"))  # doctest: +NORMALIZE_WHITESPACE
    [('citation_title', 'T'), ('citation_author', 'A B'), ('citation_author_orcid', '0000-0002-1825-0097'),
     ('citation_publication_date', '2024'), ('citation_conference_title', 'NeurIPS'),
     ('citation_doi', '10.1/x'), ('citation_abstract_html_url', 'https://s/publications/w-...')]
    """
    tags: list[tuple[str, str | None]] = [("citation_title", work.title)]
    for a in work.authors:
        if a.position is None and not work.order_known:
            continue
        tags.append(("citation_author", a.name))
        orcid = next((u[len(_ORCID) :] for u in a.same_as if u.startswith(_ORCID)), None)
        tags.append(("citation_author_orcid", orcid))
    tags.append(("citation_publication_date", citation_date(work.date)))
    institution = {
        "journal": "citation_journal_title",
        "conference": "citation_conference_title",
        "thesis": "citation_dissertation_institution",
        "report": "citation_technical_report_institution",
    }.get(work.venue_type or "")
    if institution:
        tags.append((institution, work.venue))
    tags.append(("citation_doi", work.doi))
    tags += [("citation_arxiv_id", v) for pid, v in work.identifiers if pid.lower() == "arxiv"]
    tags.append(("citation_abstract_html_url", urls.work(work.iri)))
    tags.append(("citation_pdf_url", work.pdf_url))
    return [(name, value) for name, value in tags if value is not None and value.strip()]


def _no_controls(value: Any) -> Any:
    """Every value a template prints, without control characters (NUL, ESC, ...: HTML forbids
    them, https://html.spec.whatwg.org/multipage/syntax.html#syntax-charref, and they reach the
    reader's terminal when a page is viewed as text)."""
    if isinstance(value, Markup):
        return Markup(CONTROL_CHARS.sub("", value))  # noqa: S704 - already escaped; removes only
    if isinstance(value, str):
        return CONTROL_CHARS.sub("", value)
    return value


def environment(templates: str | Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: autoescaping on for every template, ``templates`` first if given.

    The bundled-only environment is made once per process (its compiled templates are reused:
    compiling them costs ~0.07 s, most of a small incremental export).
    """
    if templates is None:
        return _bundled()
    return _environment(templates)


@functools.lru_cache(maxsize=1)
def _bundled() -> jinja2.Environment:
    return _environment(None)


def _environment(templates: str | Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not Path(templates).is_dir():
            raise UsageError(f"--templates {templates}: not a directory")
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.PackageLoader("kg.export", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # an export renders thousands of pages: no stat() per page
        finalize=_no_controls,
    )
    env.filters["jsonld"] = _jsonld_filter
    env.filters["link_label"] = link_label
    env.filters["citation_date"] = citation_date
    return env


def _jsonld_filter(doc: Any) -> Markup:
    """``{{ doc | jsonld }}``: the page's JSON-LD, escaped for ``<script>``."""
    if isinstance(doc, PageDocument):
        return Markup(doc.script_text())  # noqa: S704 - escaped for <script>
    return Markup(json_for_script(doc))  # noqa: S704 - escaped for <script>


@dataclass(frozen=True, slots=True)
class AuthorView:
    """One author as a page shows them (``me``: the profile's own person, shown unlinked).

    Views are objects, not dicts: Jinja2 reads ``a.name`` with ``getattr`` first, and a dict
    answers that with an exception every time (``a["name"]`` works on both).
    """

    name: str
    printed_name: str | None
    url: str | None
    me: bool = False
    #: False when the source did not give this author's position (shown after the others,
    #: marked as such: never silently as the last author)
    placed: bool = True


@dataclass(frozen=True, slots=True)
class WorkView:
    """A publication as a page lists it."""

    title: str | None
    url: str | None
    authors: tuple[AuthorView, ...]
    date: str | None
    year: str | None
    venue: str | None
    venue_type: str | None
    abstract: str | None
    doi: str | None
    links: tuple[Link, ...]
    abstract_truncated: bool = False
    kind: str | None = None  #: "Thesis", "Report", ... when not a plain article

    @property
    def placed(self) -> tuple[AuthorView, ...]:
        """The authors whose position is known, in order."""
        return tuple(a for a in self.authors if a.placed)

    @property
    def unplaced(self) -> tuple[AuthorView, ...]:
        """The authors whose position is unknown (shown after the others, marked)."""
        return tuple(a for a in self.authors if not a.placed)


def _authors(
    authors: Sequence[Author], urls: SiteUrls, *, me: str | None = None
) -> tuple[AuthorView, ...]:
    return tuple(
        AuthorView(
            a.name,
            a.printed_name,
            urls.person(a.iri) if urls.has_person_page(a.iri) else None,
            a.iri == me,
            a.position is not None,
        )
        for a in authors
    )


def _work_view(work: Work, urls: SiteUrls, *, me: str | None = None) -> WorkView:
    links = [Link(link_label(u), u) for u in work.same_as]
    if work.url and work.url not in work.same_as:
        links.append(Link("Publisher", work.url))
    if work.pdf_url:
        links.append(Link("PDF", work.pdf_url))
    return WorkView(
        title=work.title,
        url=urls.work(work.iri) if urls.has_work_page(work.iri) else None,
        authors=_authors(work.authors, urls, me=me),
        date=work.date,
        year=work.year,
        venue=work.venue,
        venue_type=work.venue_type,
        abstract=work.abstract,
        doi=work.doi,
        links=tuple(links),
        abstract_truncated=work.abstract_truncated,
        kind=_KIND_LABELS.get(work.venue_type or ""),
    )


_KIND_LABELS = {"thesis": "Thesis", "report": "Report", "book": "Book", "preprint": "Preprint"}


def render_profile(
    profile: Profile,
    doc: Mapping[str, Any],
    urls: SiteUrls,
    *,
    env: jinja2.Environment,
    site_name: str = "Research profiles",
) -> str:
    """The profile page of one person, with ``doc`` (its JSON-LD) embedded."""
    person = profile.person
    page = urls.person(person.iri)
    links = [Link(link_label(u), u) for u in person.same_as]
    if person.homepage:
        links.insert(0, Link("Homepage", person.homepage))
    coauthors = {
        a.iri: urls.person(a.iri)
        for w in profile.works
        for a in w.authors
        if urls.has_person_page(a.iri) and a.iri != person.iri
    }
    return env.get_template("profile.html").render(
        site_name=site_name,
        index_url=urls.base,
        page_url=page,
        title=person.name or "Profile",
        description=profile_description(profile),
        og_type="profile",
        og_image=person.image,
        person=person,
        links=links,
        current=[a for a in person.affiliations if not a.ended],
        past=[a for a in person.affiliations if a.ended],
        works=[_work_view(w, urls, me=person.iri) for w in profile.works],
        modified=profile.modified,
        svg=Markup(coauthor_svg(profile, link=coauthors)),  # noqa: S704 - every text in it is escaped
        years=Markup(chart) if (chart := years_svg(profile)) else None,  # noqa: S704 - escaped
        gaps=data_gaps(profile),
        doc=doc,
    )


def render_publication(
    work: Work,
    doc: Mapping[str, Any],
    urls: SiteUrls,
    *,
    env: jinja2.Environment,
    site_name: str = "Research profiles",
) -> str:
    """The page of one publication: JSON-LD plus the Highwire ``citation_*`` tags."""
    return env.get_template("publication.html").render(
        site_name=site_name,
        index_url=urls.base,
        page_url=urls.work(work.iri),
        title=work.title or "Untitled publication",
        description=publication_description(work),
        og_type="article",
        og_image=None,
        work=_work_view(work, urls),
        citation_tags=highwire_tags(work, urls),
        doc=doc,
    )


def index_row(person: Person, count: int, urls: SiteUrls) -> dict[str, Any]:
    """What the index shows of one person (JSON-serializable: kept between exports)."""
    return {
        "name": person.name or person.iri,
        "url": urls.person(person.iri),
        "job_title": person.job_title,
        "organizations": [
            a.organization.name for a in person.affiliations if not a.ended and a.organization.name
        ],
        "publications": count,
    }


def render_index(
    people: Sequence[tuple[Person, int]] | Sequence[Mapping[str, Any]],
    urls: SiteUrls,
    *,
    env: jinja2.Environment,
    site_name: str = "Research profiles",
) -> str:
    """The index page: every person with a profile page, with their number of publications
    (``people``: (person, count) pairs, or rows of :func:`index_row`)."""
    rows = sorted(
        (r if isinstance(r, Mapping) else index_row(r[0], r[1], urls) for r in people),
        key=lambda d: (str(d["name"]).casefold(), str(d["url"])),
    )
    n = len(rows)
    description = (
        f"{site_name}: {n} research profile{'s' if n != 1 else ''} with their publications."
    )
    return env.get_template("index.html").render(
        site_name=site_name,
        index_url=urls.base,
        page_url=urls.base,
        title=site_name,
        people=rows,
        description=description,
        og_type="website",
        og_image=None,
        doc=index_document(rows, urls.base, site_name, description),
    )


def index_document(
    rows: Sequence[Mapping[str, Any]], base: str, site_name: str, description: str
) -> dict[str, Any]:
    """The index page's JSON-LD: the WebSite and the CollectionPage listing every profile
    (https://schema.org/WebSite, https://schema.org/CollectionPage, https://schema.org/ItemList).

    >>> doc = index_document([{"name": "Ada", "url": "https://s/people/ada/"}], "https://s/", "Lab", "d")
    >>> [n["@type"] for n in doc["@graph"]], doc["@graph"][1]["mainEntity"]["itemListElement"][0]["url"]
    (['WebSite', 'CollectionPage'], 'https://s/people/ada/')
    """
    site = {"@type": "WebSite", "@id": base + "#website", "url": base, "name": site_name}
    page = {
        "@type": "CollectionPage",
        "@id": base + "#page",
        "url": base,
        "name": site_name,
        "description": description,
        "isPartOf": {"@id": base + "#website"},
        "mainEntity": {
            "@type": "ItemList",
            "numberOfItems": len(rows),
            "itemListElement": [
                {"@type": "ListItem", "position": i, "url": r["url"], "name": r["name"]}
                for i, r in enumerate(rows, 1)
            ],
        },
    }
    return {"@context": CONTEXT, "@graph": [site, page]}


def _shorten(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with "…".

    >>> _shorten("a  b\\nc"), _shorten("word " * 50, 20)
    ('a b c', 'word word word…')
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def profile_description(profile: Profile) -> str:
    """A profile page's meta description: the person's own description, else who they are."""
    person = profile.person
    if person.description:
        return _shorten(person.description)
    role = person.job_title or ""
    orgs = ", ".join(
        a.organization.name for a in person.affiliations if not a.ended and a.organization.name
    )
    who = ", ".join(x for x in (role, orgs) if x)
    n = len(profile.works)
    pubs = f"{n} publication{'s' if n != 1 else ''}"
    return _shorten(f"{person.name or 'Profile'}{': ' + who if who else ''}. {pubs}.")


def data_gaps(profile: Profile) -> list[str]:
    """What the profile's data does not say, for the page to say so rather than look complete.

    >>> from kg.export.model import Person
    >>> data_gaps(Profile(Person("p", "A"), (Work("a", "T", ()), Work("b", "U", (), date="2020"))))
    ['1 of 2 publications has no year in the data.', 'None of the 2 publications has a venue in the data.']
    """
    n = len(profile.works)
    out = []
    for what, missing in (
        ("year", sum(1 for w in profile.works if not w.year)),
        ("venue", sum(1 for w in profile.works if not w.venue)),
    ):
        if missing == n and n:
            out.append(f"None of the {n} publications has a {what} in the data." if n > 1 else f"The publication has no {what} in the data.")  # fmt: skip
        elif missing:
            out.append(f"{missing} of {n} publications {'has' if missing == 1 else 'have'} no {what} in the data.")  # fmt: skip
    return out


def publication_description(work: Work) -> str:
    """A publication page's meta description: its abstract (marked when cut short), else its
    authors, venue and year."""
    if work.abstract:
        return _shorten(work.abstract + (" […]" if work.abstract_truncated else ""))
    names = ", ".join(a.name for a in work.authors[:3]) + (
        " et al." if len(work.authors) > 3 else ""
    )
    rest = ", ".join(x for x in (work.venue, work.year) if x)
    return _shorten(
        ". ".join(x for x in (work.title or "Untitled publication", names, rest) if x) + "."
    )
