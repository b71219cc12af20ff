"""The web export: page documents from the store, the static site, and reading pages back."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kg.cli import main
from kg.export import export_html, export_jsonld, profile_document, render_profile_page
from kg.export.jsonld import SiteUrls, triples
from kg.export.model import load_profiles, profile_people
from kg.store import EmbeddedStore, SelectResult
from tests.conftest import require_shared
from tests.export_helpers import (
    BASE,
    RECORDS,
    citation_tags,
    expected_graph,
    extracted_jsonld,
    isomorphic,
    parse_jsonld,
    rdf_of,
    store_from,
    visible,
)

ADA = "https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097"
CHARLES = "https://w3id.org/kg/id/person/openalex/A5023888391"
SCHEMA = "https://schema.org/"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    return store_from(RECORDS)


@pytest.fixture(scope="module")
def site(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Path]:
    out = tmp_path_factory.mktemp("site")
    report = export_html(store, out, base_url=BASE)
    docs = tmp_path_factory.mktemp("jsonld")
    export_jsonld(store, docs, base_url=BASE)
    return out, report, docs


def _store_authors(store: EmbeddedStore, title: str, *, placed_only: bool = False) -> list[str]:
    """Author names of a titled work straight from the store, in kg:position order, unpositioned
    last (``placed_only``: only the positioned ones when some position is unknown)."""
    result = store.query(f"""
        PREFIX schema: <https://schema.org/> PREFIX kg: <https://w3id.org/kg/vocab#>
        SELECT ?name ?pos ?printed WHERE {{
          ?w schema:headline {json.dumps(title)} ; kg:authorship ?a .
          ?a kg:author ?p ; kg:printedName ?printed . ?p schema:name ?name .
          OPTIONAL {{ ?a kg:position ?pos }}
        }}""")
    assert isinstance(result, SelectResult)
    rows = result.dicts()
    positioned = sorted((int(r["pos"] or 0), r["name"]) for r in rows if r["pos"] is not None)
    rest = sorted((r["printed"], r["name"]) for r in rows if r["pos"] is None)
    if placed_only and rest:
        return [str(n) for _, n in positioned]
    return [str(n) for _, n in positioned] + [str(n) for _, n in rest]


def test_profile_people_are_the_person_records(store: EmbeddedStore) -> None:
    assert profile_people(store) == sorted([ADA, CHARLES])


def test_author_order_follows_positions_and_unknown_positions_come_last(
    store: EmbeddedStore,
) -> None:
    (ada,) = load_profiles(store, [ADA])
    by_title = {w.title: w for w in ada.works}
    unknown = by_title["Difference Engines at Scale"]
    assert [(a.name, a.position) for a in unknown.authors] == [
        ("Mary Somerville", 1), ("Augustus De Morgan", 2), ("Ada Lovelace", None),
    ]  # fmt: skip
    assert unknown.authors[-1].printed_name == "A. Lovelace"
    for work in ada.works:
        if work.title:
            assert [a.name for a in work.authors] == _store_authors(store, work.title)
    # newest first; the untitled work is kept
    assert [w.date for w in ada.works] == ["2024", "2023-06-14", "2022-03", "2021"]
    assert ada.works[-1].title is None


def test_profile_document_is_a_profile_page_graph(store: EmbeddedStore) -> None:
    doc = profile_document(ADA, store, base_url=BASE)
    page = f"{BASE}people/orcid-0000-0002-1825-0097/"
    nodes = {n["@id"]: n for n in doc["@graph"]}
    profile = nodes[page + "#page"]
    assert profile["@type"] == "ProfilePage" and profile["url"] == page
    assert profile["mainEntity"] == {"@id": page + "#person"}
    assert profile["dateModified"].endswith("Z")
    person = nodes[page + "#person"]
    assert person["name"] == "Ada Lovelace" and person["jobTitle"] == "Senior Research Scientist"
    assert "https://orcid.org/0000-0002-1825-0097" in person["sameAs"]
    assert "https://ada.example.org/" in person["sameAs"]
    assert {
        "@type": "PropertyValue",
        "propertyID": "ORCID",
        "value": "0000-0002-1825-0097",
    } in person["identifier"]
    assert "image" not in person  # no real image known: none invented
    orgs = {nodes[o["@id"]]["name"] for o in person["affiliation"]}
    assert orgs == {"Analytical Engines Lab", "University of London"}
    assert [nodes[o["@id"]]["name"] for o in [person["worksFor"]]] == ["Analytical Engines Lab"]
    articles = [n for n in doc["@graph"] if n["@type"] == "ScholarlyArticle"]
    assert [{"@id": a["@id"]} for a in articles] == profile["hasPart"]
    notes = next(a for a in articles if a.get("headline") == "Notes on the Analytical Engine")
    assert notes["@id"] == f"{BASE}publications/doi-10.1000-engine.2023.1/#article"
    assert [a["name"] for a in notes["author"]] == [
        "Ada Lovelace",
        "Charles Babbage",
        "Luigi F. Menabrea",
    ]
    assert notes["author"][0]["@id"] == page + "#person"
    assert notes["author"][1]["url"] == f"{BASE}people/openalex-A5023888391/"
    assert "https://doi.org/10.1000/engine.2023.1" in notes["sameAs"]
    assert notes["isPartOf"] == {"@type": "Periodical", "name": "Journal of Engines"}
    assert notes["datePublished"] == "2023-06-14"
    for article in articles:
        assert isinstance(article["author"], list)


def test_document_reads_back_the_same_with_rdflib(store: EmbeddedStore) -> None:
    """kg's reader of its own documents agrees with rdflib's JSON-LD processor."""
    doc = profile_document(ADA, store, base_url=BASE)
    assert isomorphic(rdf_of([doc]), expected_graph(doc))


def test_unknown_person_is_a_usage_error(store: EmbeddedStore) -> None:
    from kg.errors import UsageError

    with pytest.raises(UsageError, match="no schema:Person"):
        profile_document("https://w3id.org/kg/id/person/key/nobody", store, base_url=BASE)


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*/*/index.html"))


def _url(out: Path, page: Path) -> str:
    return BASE + str(page.parent.relative_to(out)) + "/"


def test_site_layout_sitemap_and_canonical_links(site: tuple[Path, Any, Path]) -> None:
    out, report, _ = site
    assert report.written == {"profile": 2, "publication": 3, "other": 3}  # index, sitemap, robots
    assert (out / "index.html").is_file()
    assert (out / "robots.txt").read_text("utf-8").endswith(f"Sitemap: {BASE}sitemap.xml\n")
    urls = {_url(out, p) for p in _pages(out)}
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = ET.parse(out / "sitemap.xml").getroot().findall("s:url", ns)
    listed = {e.findtext("s:loc", namespaces=ns) for e in entries}
    assert listed == urls | {BASE}
    # every page has a lastmod: when its data last changed in kg (the source loads' time)
    lastmods = [e.findtext("s:lastmod", namespaces=ns) for e in entries]
    assert all(m and re.fullmatch(r"\d{4}-\d{2}-\d{2}", m) for m in lastmods), lastmods
    for page in _pages(out):
        canonical = visible(page.read_text("utf-8")).xpath("//link[@rel='canonical']/@href")
        assert canonical == [_url(out, page)]


def test_untitled_publication_is_held_back_and_not_linked(site: tuple[Path, Any, Path]) -> None:
    out, report, _ = site
    assert report.exit_code == 1
    (held,) = report.held_back
    assert held.kind == "publication" and "no title" in str(held)
    assert not (out / held.url[len(BASE) :]).exists()
    html = (out / "people/orcid-0000-0002-1825-0097/index.html").read_text("utf-8")
    assert held.url not in html
    assert "Untitled publication" in html


def test_force_writes_held_back_pages_with_a_warning(store: EmbeddedStore, tmp_path: Path) -> None:
    report = export_html(store, tmp_path, base_url=BASE, force=True)
    assert report.exit_code == 0 and not report.held_back
    assert report.written["publication"] == 4
    assert any("no title" in n.problem.message for n in report.forced)


def test_round_trip_every_page(site: tuple[Path, Any, Path]) -> None:
    """Extract each page's JSON-LD as search engines' tools do and compare it as RDF with the
    document the page was made from (the JSON-LD export of the same site)."""
    out, _, docs = site
    pages = _pages(out)
    assert len(pages) == 5
    for page in pages:
        url = _url(out, page)
        kind, name = page.parent.parent.name, page.parent.name
        doc = json.loads((docs / kind / f"{name}.jsonld").read_text("utf-8"))
        html = page.read_text("utf-8")
        items = extracted_jsonld(html, url)
        assert items == [doc], page
        assert isomorphic(rdf_of(items), expected_graph(doc)), page


def test_visible_content_matches_markup(site: tuple[Path, Any, Path]) -> None:
    out, _, _docs = site
    for page in (out / "people").glob("*/index.html"):
        html = page.read_text("utf-8")
        (doc,) = extracted_jsonld(html, _url(out, page))
        articles = [n for n in doc["@graph"] if n["@type"] == "ScholarlyArticle"]
        shown = visible(html).xpath("//li[@data-kg-publication]")
        assert len(shown) == len(articles)
        for li, article in zip(shown, articles, strict=True):
            names = [a.text_content() for a in li.xpath(".//li[@data-kg-author]")]
            assert names == [a["name"] for a in article["author"]]
            title = li.xpath(".//div[@class='title']")[0].text_content()
            assert title == article.get("headline", "Untitled publication")


def test_citation_tags_parse_back(site: tuple[Path, Any, Path], store: EmbeddedStore) -> None:
    out, _, _ = site
    html = (out / "publications/doi-10.1000-engine.2023.1/index.html").read_text("utf-8")
    assert citation_tags(html) == [
        ("citation_title", "Notes on the Analytical Engine"),
        ("citation_author", "Ada Lovelace"),
        ("citation_author_orcid", "0000-0002-1825-0097"),
        ("citation_author", "Charles Babbage"),
        ("citation_author", "Luigi F. Menabrea"),
        ("citation_publication_date", "2023/06/14"),
        ("citation_journal_title", "Journal of Engines"),
        ("citation_doi", "10.1000/engine.2023.1"),
        ("citation_abstract_html_url", f"{BASE}publications/doi-10.1000-engine.2023.1/"),
        ("citation_pdf_url", "https://engines.example.org/notes.pdf"),
    ]
    for page in (out / "publications").glob("*/index.html"):
        tags = citation_tags(page.read_text("utf-8"))
        title = dict(tags)["citation_title"]
        # an author whose position is unknown is in no citation_author sequence
        assert [v for k, v in tags if k == "citation_author"] == _store_authors(
            store, title, placed_only=True
        )
        assert all(v.strip() for _, v in tags), "never an empty tag"
        assert ("citation_pdf_url" in dict(tags)) == ("engine.2023" in page.parent.name)


def test_conference_and_year_only_dates(site: tuple[Path, Any, Path]) -> None:
    out, _, _ = site
    tags = dict(
        citation_tags((out / "publications/arxiv-2401.12345/index.html").read_text("utf-8"))
    )
    assert tags["citation_conference_title"] == "NeurIPS"
    assert tags["citation_publication_date"] == "2024"
    assert "citation_journal_title" not in tags and "citation_doi" not in tags
    assert "citation_pdf_url" not in tags


def test_templates_override(store: EmbeddedStore, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="mine">{{ people | length }} people</p>{% endblock %}'
    )
    out = tmp_path / "site"
    export_html(store, out, base_url=BASE, templates=templates, force=True)
    index = (out / "index.html").read_text("utf-8")
    assert '<p id="mine">2 people</p>' in index
    assert "kg default style" in index  # base.html still the bundled one


def test_render_profile_page_api(store: EmbeddedStore) -> None:
    html = render_profile_page(CHARLES, store, base_url=BASE)
    (doc,) = extracted_jsonld(html, BASE)
    assert doc == profile_document(CHARLES, store, base_url=BASE)
    assert "<svg" in html and "Co-authors of Charles Babbage" in html


def test_cli_export_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store"
    assert main(["ingest", str(RECORDS), "--store", str(db)]) == 0
    assert (
        main(
            [
                "export",
                "html",
                "--store",
                str(db),
                "--out",
                str(tmp_path / "site"),
                "--base-url",
                BASE,
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert (
        "held back: publication page" in err
        and "wrote 2 profile pages and 3 publication pages" in err
    )
    assert (
        main(
            [
                "export",
                "html",
                "--store",
                str(db),
                "--out",
                str(tmp_path / "s2"),
                "--base-url",
                BASE,
                "--force",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "export",
                "jsonld",
                "--store",
                str(db),
                "--out",
                str(tmp_path / "j"),
                "--person",
                CHARLES,
                "--base-url",
                BASE,
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "j" / "people").iterdir()) == [
        "openalex-A5023888391.jsonld"
    ]
    # profile pages only: no publication pages, so none is held back (exit 0), none linked
    only = tmp_path / "profiles-only"
    assert main(["export", "html", "--store", str(db), "--out", str(only), "--base-url", BASE,
                 "--no-publication-pages"]) == 0  # fmt: skip
    assert "wrote 2 profile pages and 0 publication pages" in capsys.readouterr().err
    assert not (only / "publications").exists()
    profile_html = (only / "people").glob("*/index.html")
    assert all(BASE + "publications/" not in p.read_text("utf-8") for p in profile_html)
    svg = tmp_path / "ada.svg"
    assert main(["plot", "coauthors", "--store", str(db), "--person", ADA, "--out", str(svg)]) == 0
    root = ET.fromstring(svg.read_text("utf-8"))
    labels = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {
        "Charles Babbage",
        "Mary Somerville",
        "Augustus De Morgan",
        "Luigi F. Menabrea",
    } <= labels
    assert main(["export", "html", "--store", str(db), "--out", str(tmp_path / "x")]) == 2
    assert main(["export"]) == 2


def test_jsonld_export_without_base_url_uses_file_urls(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    report = export_jsonld(store, tmp_path, people=[CHARLES])
    doc = json.loads((tmp_path / "people" / "openalex-A5023888391.jsonld").read_text("utf-8"))
    assert doc["@graph"][0]["url"] == tmp_path.resolve().as_uri() + "/people/openalex-A5023888391/"
    assert report.pages_written == 3
    g = parse_jsonld(json.dumps(doc))
    assert len(g) == len(set(triples(doc)))


def test_site_urls_slugs_are_stable() -> None:
    urls = SiteUrls(BASE)
    assert urls.person(ADA) == f"{BASE}people/orcid-0000-0002-1825-0097/"
    assert urls.work("https://w3id.org/kg/id/pub/key/a b") == urls.work(
        "https://w3id.org/kg/id/pub/key/a b"
    )
    assert urls.work("https://w3id.org/kg/id/pub/key/a b") != urls.work(
        "https://w3id.org/kg/id/pub/key/a-b"
    )


def _values(doc: Any) -> Any:
    """(term, value) for every property value in a document, recursively."""
    for node in doc.get("@graph", [doc]):
        yield from _node_values(node)


def _node_values(node: dict[str, Any]) -> Any:
    for key, value in node.items():
        if key.startswith("@"):
            continue
        for v in value if isinstance(value, list) else [value]:
            yield key, v
            if isinstance(v, dict):
                yield from _node_values(v)


def test_context_agrees_with_the_official_schema_org_context(store: EmbeddedStore) -> None:
    """Every term kg writes as a plain string is a string under schema.org's own context too, and
    every term kg types @id (url, sameAs, image) is typed @id there: swapping in the official
    context would give the same IRIs (modulo its http:// @vocab)."""
    from kg.export.jsonld import CONTEXT, IRI_TERMS

    official = json.loads(
        require_shared("fixtures/schemaorg/vocab/schemaorgcontext.jsonld").read_text("utf-8")
    )["@context"]
    assert CONTEXT["@vocab"] == "https://schema.org/"
    for term in IRI_TERMS:
        assert official[term].get("@type") == "@id", term
    seen = set()
    for person in (ADA, CHARLES):
        for key, value in _values(profile_document(person, store, base_url=BASE)):
            if isinstance(value, str):
                seen.add(key)
                coerced = (
                    isinstance(official.get(key), dict) and official[key].get("@type") == "@id"
                )
                assert coerced == (key in IRI_TERMS), key
    assert {"url", "sameAs", "name", "headline", "datePublished"} <= seen
