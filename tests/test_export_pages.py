"""What pages show and what they mark up agree: abstracts marked up are visible text, a truncated
abstract is marked and never published as whole, authors whose position is unknown are marked
(never silently last), one paper has one ``@id`` everywhere, types and Scholar tags by kind, and
the host site's URLs (patterns, map, site name) reach every @id, url, canonical link, sitemap
entry and Scholar tag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.cli import main
from kg.export import SiteOptions, export_html
from kg.store import EmbeddedStore
from tests.export_helpers import (
    BASE,
    RECORDS,
    citation_tags,
    extracted_jsonld,
    hostile_records,
    store_from,
    visible,
)

KINDS = [
    {"type": "Person", "id": "grace", "name": "Grace Hopper", "orcid": "0000-0003-1415-9269",
     "alternate_names": ["Amazing Grace", "G. M. Hopper"]},
    {"type": "Publication", "id": "thesis", "title": "On Compilers", "date": "1934",
     "venue": "Yale University", "venue_type": "thesis", "authors": [{"name": "Grace Hopper", "person": "grace"}],
     "abstract": "A thesis abstract that the source cut", "abstract_truncated": True},
    {"type": "Publication", "id": "report", "title": "A Manual", "date": "1952",
     "venue": "Remington Rand", "venue_type": "report", "authors": [{"name": "Grace Hopper", "person": "grace"}]},
    {"type": "Publication", "arxiv": "2401.99999", "title": "Preprinted", "date": "2024",
     "venue": "arXiv", "venue_type": "preprint", "authors": [{"name": "Grace Hopper", "person": "grace"}]},
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    tmp = tmp_path_factory.mktemp("kinds")
    (tmp / "kinds.json").write_text(json.dumps(KINDS), encoding="utf-8")
    return store_from(RECORDS, tmp / "kinds.json", hostile_records(tmp))


@pytest.fixture(scope="module")
def site(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    report = export_html(store, out, base_url=BASE)
    # the one page held back is the untitled publication of tests/data/export/records
    assert [h.kind for h in report.held_back] == ["publication"], [str(h) for h in report.held_back]
    return out


def _pages(out: Path) -> list[Path]:
    return sorted(out.glob("*/*/index.html"))


def _nodes(html: str, url: str) -> list[dict[str, Any]]:
    (doc,) = extracted_jsonld(html, url)
    graph: list[dict[str, Any]] = doc["@graph"]
    return graph


def _is_article(node: dict[str, Any]) -> bool:
    t = node["@type"]
    return bool({"ScholarlyArticle", "Report"} & set(t if isinstance(t, list) else [t]))


def test_every_marked_up_abstract_is_visible_on_its_page(site: Path) -> None:
    seen = 0
    for page in _pages(site):
        html = page.read_text("utf-8")
        shown = [p.text_content() for p in visible(html).xpath("//*[@data-kg-abstract]")]
        for node in _nodes(html, BASE):
            if "abstract" in node:
                seen += 1
                assert node["abstract"] in shown, f"{page}: an abstract in the markup is not shown"
    assert seen >= 20


def test_a_truncated_abstract_is_marked_and_not_marked_up(site: Path) -> None:
    for page in _pages(site):
        html = page.read_text("utf-8")
        if "A thesis abstract that the source cut" not in html:
            continue
        tree = visible(html)
        (p,) = [p for p in tree.xpath("//*[@data-kg-abstract]") if "source cut" in p.text_content()]
        assert "cut short by the source" in p.text_content()
        assert not any(
            "abstract" in n for n in _nodes(html, BASE) if n.get("name") == "On Compilers"
        )


def test_an_author_whose_position_is_unknown_is_marked_not_last(site: Path) -> None:
    html = (site / "people/orcid-0000-0002-1825-0097/index.html").read_text("utf-8")
    tree = visible(html)
    (item,) = [li for li in tree.xpath("//li[@data-kg-publication]") if "Difference Engines" in li.text_content()]  # fmt: skip
    placed = [
        a.text_content() for a in item.xpath(".//li[@data-kg-author][not(@data-kg-position)]")
    ]
    unplaced = [a.text_content() for a in item.xpath(".//li[@data-kg-position='unknown']")]
    assert placed == ["Mary Somerville", "Augustus De Morgan"] and unplaced == ["Ada Lovelace"]
    assert "position in the author list unknown" in item.text_content()
    pub = next(p for p in _pages(site) if "position-unknown" in str(p))
    tags = citation_tags(pub.read_text("utf-8"))
    assert [v for k, v in tags if k == "citation_author"] == [
        "Mary Somerville",
        "Augustus De Morgan",
    ]


def test_one_paper_one_id_on_every_page(store: EmbeddedStore, tmp_path: Path) -> None:
    for publications in (True, False):
        out = tmp_path / str(publications)
        export_html(store, out, base_url=BASE, publications=publications)
        ids: dict[str, set[str]] = {}
        for page in sorted(out.glob("people/*/index.html")):
            for node in _nodes(page.read_text("utf-8"), BASE):
                if _is_article(node):
                    ids.setdefault(json.dumps(node.get("sameAs")) + node.get("name", ""), set()).add(node["@id"])  # fmt: skip
        shared = [k for k, v in ids.items() if len(v) > 1]
        assert not shared, shared
        assert len(ids) >= 10


def test_types_and_scholar_tags_by_kind(site: Path) -> None:
    by_name: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {}
    for page in site.glob("publications/*/index.html"):
        html = page.read_text("utf-8")
        article = next(n for n in _nodes(html, BASE) if _is_article(n))
        by_name[article.get("name", "")] = (article, citation_tags(html))
    thesis, tags = by_name["On Compilers"]
    assert thesis["@type"] == ["ScholarlyArticle", "Thesis"] and "isPartOf" not in thesis
    assert thesis["sourceOrganization"] == {"@type": "Organization", "name": "Yale University"}
    assert ("citation_dissertation_institution", "Yale University") in tags
    assert ("citation_author_orcid", "0000-0003-1415-9269") in tags
    report, tags = by_name["A Manual"]
    assert report["@type"] == "Report" and report["publisher"]["name"] == "Remington Rand"
    assert ("citation_technical_report_institution", "Remington Rand") in tags
    preprint, tags = by_name["Preprinted"]
    assert preprint["creativeWorkStatus"] == "Preprint"
    assert ("citation_arxiv_id", "2401.99999") in tags


def test_the_host_sites_urls_everywhere(store: EmbeddedStore, tmp_path: Path) -> None:
    url_map = tmp_path / "urls.json"
    url_map.write_text(json.dumps({  # a kg IRI, and the id of a record without an identifier
        "https://w3id.org/kg/id/person/openalex/A5023888391": "https://lab.example.org/team/charles.html",
        "hostile-0": "https://lab.example.org/team/eve.html",
    }))  # fmt: skip
    site = SiteOptions("https://lab.example.org/", profile_url="https://lab.example.org/authors/{slug}/",
                       publication_url="https://lab.example.org/papers/{slug}.html", url_map=url_map,
                       site_name="Engines Lab")  # fmt: skip
    out = tmp_path / "site"
    export_html(store, out, site=site)
    ada = (out / "people/orcid-0000-0002-1825-0097/index.html").read_text("utf-8")
    tree = visible(ada)
    assert tree.xpath("//link[@rel='canonical']/@href") == ["https://lab.example.org/authors/orcid-0000-0002-1825-0097/"]  # fmt: skip
    assert tree.xpath("//title")[0].text_content() == "Ada Lovelace · Engines Lab"
    assert "https://lab.example.org/team/charles.html" in tree.xpath("//a/@href")
    nodes = _nodes(ada, BASE)
    assert nodes[0]["url"] == "https://lab.example.org/authors/orcid-0000-0002-1825-0097/"
    assert all(n["url"].startswith("https://lab.example.org/papers/") for n in nodes if _is_article(n) and "url" in n)  # fmt: skip
    pub = (out / "publications/doi-10.1000-engine.2023.1/index.html").read_text("utf-8")
    assert dict(citation_tags(pub))["citation_abstract_html_url"] == "https://lab.example.org/papers/doi-10.1000-engine.2023.1.html"  # fmt: skip
    eve = visible((out / "people/key-hostile-0/index.html").read_text("utf-8"))
    assert eve.xpath("//link[@rel='canonical']/@href") == ["https://lab.example.org/team/eve.html"]
    sitemap = (out / "sitemap.xml").read_text("utf-8")
    assert "https://lab.example.org/authors/orcid-0000-0002-1825-0097/" in sitemap
    assert "https://lab.example.org/team/charles.html" in sitemap and "/people/" not in sitemap
    index = visible((out / "index.html").read_text("utf-8"))
    assert index.xpath("//title")[0].text_content() == "Engines Lab"  # not "X · X"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--profile-url", "https://lab.example.org/people/"],
            "expected a URL pattern with {slug}",
        ),
        (["--profile-url", "javascript:{slug}"], "expected an http(s) URL pattern"),
        (["--url-map", "missing.json"], "cannot read"),
        (["--base-url", "lab.example.org"], "expected an http(s) URL"),
    ],
)
def test_bad_site_options_are_one_line_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    args = ["export", "html", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o")]
    if "--base-url" not in flags:
        args += ["--base-url", BASE]
    assert main([*args, *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_pages_people_can_share(site: Path) -> None:
    for page in [site / "index.html", *_pages(site)]:
        tree = visible(page.read_text("utf-8"))
        meta = {m.get("name") or m.get("property"): m.get("content") for m in tree.iter("meta")}
        canonical = tree.xpath("//link[@rel='canonical']/@href")[0]
        assert meta["description"] and len(meta["description"]) <= 160, page
        assert meta["og:url"] == canonical and meta["og:title"] and meta["og:site_name"], page
        assert meta["og:type"] in {"website", "profile", "article"}, page
    (doc,) = extracted_jsonld((site / "index.html").read_text("utf-8"), BASE)
    website, collection = doc["@graph"]
    assert website["@type"] == "WebSite" and collection["@type"] == "CollectionPage"
    listed = [i["url"] for i in collection["mainEntity"]["itemListElement"]]
    shown = visible((site / "index.html").read_text("utf-8")).xpath("//table//a/@href")
    assert listed == shown and len(listed) >= 10


def test_profile_pages_chart_years_and_say_what_the_data_lacks(site: Path, tmp_path: Path) -> None:
    ada = visible((site / "people/orcid-0000-0002-1825-0097/index.html").read_text("utf-8"))
    (chart,) = ada.xpath("//section[@class='years']//*[local-name()='svg']")
    bars = chart.xpath(".//*[local-name()='title']/text()")
    assert "2023: 1 publication" in bars and "2024: 1 publication" in bars
    assert not ada.xpath("//script[not(@type='application/ld+json')]")  # no JavaScript
    records = tmp_path / "bare.json"
    records.write_text(json.dumps([
        {"type": "Person", "id": "bare", "name": "Bare Data"},
        *({"type": "Publication", "id": f"b{i}", "title": f"Paper {i}",
           "authors": [{"name": "Bare Data", "person": "bare"}]} for i in range(2)),
    ]), encoding="utf-8")  # fmt: skip
    out = tmp_path / "bare-site"
    export_html(store_from(records), out, base_url=BASE, publications=False)
    page = visible((out / "people/key-bare/index.html").read_text("utf-8"))
    gaps = [p.text_content() for p in page.xpath("//*[@data-kg-gap]")]
    assert gaps == ["None of the 2 publications has a year in the data.",
                    "None of the 2 publications has a venue in the data."]  # fmt: skip
    assert not page.xpath("//section[@class='years']")


def test_alternate_names_in_the_markup_are_shown(site: Path) -> None:
    seen = 0
    for page in sorted(site.glob("people/*/index.html")):
        html = page.read_text("utf-8")
        shown = {e.text_content() for e in visible(html).xpath("//*[@data-kg-alternate-name]")}
        person = _nodes(html, BASE)[1]
        names = person.get("alternateName", [])
        names = names if isinstance(names, list) else [names]
        assert set(names) <= shown, page
        seen += len(names)
    assert seen == 2


def test_profile_pages_have_googles_recommended_fields(site: Path) -> None:
    """ProfilePage dateCreated/dateModified (from the source loads' times), and the Person's
    identifier, sameAs and description where the data has them."""
    html = (site / "people/orcid-0000-0002-1825-0097/index.html").read_text("utf-8")
    page, person = _nodes(html, BASE)[:2]
    assert page["dateCreated"] <= page["dateModified"]
    assert person["identifier"] and person["sameAs"] and person["description"]
