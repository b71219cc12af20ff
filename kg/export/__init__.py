"""Web export: schema.org JSON-LD page documents and a static HTML site, checked before writing.

The public API:

- :func:`profile_document` — the JSON-LD ``@graph`` of one person's ProfilePage;
- :func:`render_profile_page` — that person's profile page as HTML;
- :func:`coauthor_picture` — their co-author network as SVG;
- :func:`export_jsonld`, :func:`export_html` — write every page, checked against the Google and
  Scholar shapes, and return an :class:`ExportReport`.

URLs follow :class:`SiteOptions`: kg's own ``{base_url}people/{slug}/`` and
``{base_url}publications/{slug}/``, or the host site's URL patterns and map.
Nothing is ever fetched from the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.export.check import PageCheck, PageProblem, check_page, load_page_shapes, page_graph
from kg.export.escape import json_for_script, snippet
from kg.export.html import environment, highwire_tags, render_profile
from kg.export.jsonld import CONTEXT, SiteUrls, profile_document_for, publication_document
from kg.export.links import DroppedLink, safe_link
from kg.export.model import Profile, load_profiles
from kg.export.options import SiteOptions
from kg.export.site import ExportReport, HeldBack, PageNote, export_html, export_jsonld, site_urls
from kg.export.svg import coauthor_svg
from kg.store import Store

__all__ = [
    "CONTEXT",
    "DroppedLink",
    "ExportReport",
    "HeldBack",
    "PageCheck",
    "PageNote",
    "PageProblem",
    "Profile",
    "SiteOptions",
    "SiteUrls",
    "check_page",
    "coauthor_picture",
    "export_html",
    "export_jsonld",
    "highwire_tags",
    "json_for_script",
    "load_page_shapes",
    "load_profiles",
    "page_graph",
    "profile_document",
    "publication_document",
    "render_profile_page",
    "safe_link",
    "snippet",
]


def _profile(person_iri: str, store: Store, site: str | SiteOptions) -> tuple[Profile, SiteUrls]:
    urls = site_urls(store, site)
    urls = SiteUrls(urls.base, urls.people | {person_iri}, None, urls.site)
    return load_profiles(store, [person_iri])[0], urls


def profile_document(
    person_iri: str, store: Store, *, base_url: str | None = None, site: SiteOptions | None = None
) -> dict[str, Any]:
    """The JSON-LD document (compact, ``@graph``) of ``person_iri``'s profile page at ``base_url``
    (or on the host site ``site`` describes).

    >>> from kg.store import EmbeddedStore
    >>> from kg.ingest import ingest
    >>> import json, pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> _ = f.write_text(json.dumps([{"type": "Person", "id": "ada", "name": "Ada Lovelace"},
    ...     {"type": "Publication", "title": "Notes", "date": "1843",
    ...      "authors": [{"name": "A. Lovelace", "person": "ada"}]}]))
    >>> store = EmbeddedStore(None); _ = ingest([str(f)], store)
    >>> doc = profile_document("https://w3id.org/kg/id/person/key/ada", store,
    ...                        base_url="https://lab.example.org/")
    >>> [n["@type"] for n in doc["@graph"]]
    ['ProfilePage', 'Person', 'ScholarlyArticle']
    >>> doc["@graph"][0]["mainEntity"]
    {'@id': 'https://lab.example.org/people/key-ada/#person'}
    """
    profile, urls = _profile(person_iri, store, _site(site, base_url))
    return profile_document_for(profile, urls)


def _site(site: SiteOptions | None, base_url: str | None) -> SiteOptions:
    if site is not None:
        return site
    if base_url is None:
        raise UsageError("give base_url or site")
    return SiteOptions(base_url)


def render_profile_page(
    person_iri: str,
    store: Store,
    *,
    base_url: str | None = None,
    templates: str | Path | None = None,
    site: SiteOptions | None = None,
) -> str:
    """The HTML profile page of ``person_iri`` (not checked: :func:`export_html` checks pages)."""
    options = _site(site, base_url)
    profile, urls = _profile(person_iri, store, options)
    doc = profile_document_for(profile, urls)
    env = environment(templates if templates is not None else options.templates)
    return render_profile(profile, doc, urls, env=env, site_name=options.name)


def coauthor_picture(person_iri: str, store: Store, *, base_url: str | None = None) -> str:
    """``person_iri``'s co-author network as a standalone SVG document (links when ``base_url``)."""
    profile = load_profiles(store, [person_iri])[0]
    link = {}
    if base_url:
        urls = site_urls(store, base_url)
        link = {
            a.iri: urls.person(a.iri)
            for w in profile.works
            for a in w.authors
            if urls.has_person_page(a.iri) and a.iri != person_iri
        }
    return coauthor_svg(profile, link=link)
