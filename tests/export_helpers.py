"""Shared helpers of the export tests: build a store from record files, read pages back as a
search engine does (extruct for JSON-LD, lxml for the citation tags)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import extruct
import lxml.html  # type: ignore[import-untyped]
import pytest
import rdflib

from kg.export.check import page_graph
from kg.ingest import ingest
from kg.store import EmbeddedStore

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "export" / "records"
BASE = "https://lab.example.org/"


def store_from(*specs: str | Path) -> EmbeddedStore:
    store = EmbeddedStore(None)
    report = ingest([str(s) for s in specs], store)
    assert report.exit_code == 0, [s.rejected for s in report.sources]
    return store


def extracted_jsonld(html: str, url: str) -> list[dict[str, Any]]:
    """The JSON-LD items of a page, as extruct (what search engines' tools use) reads them."""
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=False)
    items: list[dict[str, Any]] = data["json-ld"]
    return items


def rdf_of(items: list[dict[str, Any]]) -> rdflib.Graph:
    """RDF of JSON-LD items through rdflib's own JSON-LD parser (contexts are inline: no network)."""
    g = rdflib.Graph()
    for item in items:
        g += parse_jsonld(json.dumps(item))
    return g


def parse_jsonld(text: str) -> rdflib.Graph:
    """rdflib's JSON-LD parser (rdflib 7.6 warns about its own internal ConjunctiveGraph use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=text, format="json-ld")


def isomorphic(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    from rdflib.compare import to_isomorphic

    same: bool = to_isomorphic(a) == to_isomorphic(b)
    return same


def expected_graph(doc: dict[str, Any]) -> rdflib.Graph:
    return page_graph(doc)


def citation_tags(html: str) -> list[tuple[str, str]]:
    """Every ``<meta name="citation_*">`` in document order, values as the HTML parser decodes them."""
    tree = lxml.html.fromstring(html)
    return [
        (m.get("name"), m.get("content"))
        for m in tree.iter("meta")
        if (m.get("name") or "").startswith("citation_")
    ]


def visible(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


# -- hostile data (tests/data/export/hostile) ----------------------------------------------------

HOSTILE = DATA / "export" / "hostile"
#: every hostile string the export tests feed through names, titles, abstracts, venues
HOSTILE_STRINGS: list[str] = json.loads((HOSTILE / "strings.json").read_text("utf-8"))
#: RDF input with javascript:, data:, vbscript: and file: URLs on a person and a publication
HOSTILE_LINKS = HOSTILE / "links.ttl"


def hostile_records(folder: Path) -> Path:
    """A record file using each of :data:`HOSTILE_STRINGS` as a person's name, job title and
    description and as a publication's title, abstract, venue and printed author names
    (``hostile-{i}`` and ``hostile-pub-{i}``, the keys :data:`HOSTILE_LINKS` describes)."""
    records: list[dict[str, Any]] = []
    for i, text in enumerate(HOSTILE_STRINGS):
        records.append({"type": "Person", "id": f"hostile-{i}", "name": f"Eve {text}",
                        "job_title": text, "description": text})  # fmt: skip
        records.append({"type": "Publication", "id": f"hostile-pub-{i}", "title": text,
                        "abstract": text, "date": "2024-01-02", "venue": text, "venue_type": "journal",
                        "authors": [{"name": f"Eve {text}", "person": f"hostile-{i}"},
                                    {"name": f"Mallory {text}"}]})  # fmt: skip
    path = folder / "hostile.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


#: the URL schemes allowed in a link from data
SAFE_SCHEMES = ("http:", "https:", "mailto:")


# -- a real browser: headless Chromium through Selenium, pages served on 127.0.0.1 -------------

CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KG_CHROMEDRIVER", "/usr/bin/chromedriver")


def _browser_missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (shutil.which(path) or Path(path).is_file()):
            return f"{path} not found (Debian package {package}: apt-get install -y chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium Python package is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip (fail with ``CI=true``) when Chromium, chromedriver or Selenium is missing."""
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: the browser test must run, but {reason}")
    pytest.skip(reason)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium(profile_dir: Path, *, size: tuple[int, int] = (1100, 1800)) -> Iterator[Any]:
    """A headless Chromium (nothing downloaded: Selenium is given Debian's driver)."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile_dir}", f"--window-size={size[0]},{size[1]}",
                 "--disable-dev-shm-usage", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


#: what a page did with its data, read in the browser: every JSON-LD block parsed with the
#: browser's JSON.parse, whether a script from the data ran, links and elements that should not be
READ_PAGE = """
const blocks = Array.from(document.querySelectorAll('script[type="application/ld+json"]'));
const urls = Array.from(document.querySelectorAll('[href], [src], [action], [formaction]'))
  .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')
            || e.getAttribute('formaction'));
return {
  docs: blocks.map(s => JSON.parse(s.textContent)),
  scripts: document.querySelectorAll('script').length,
  pwned: window.kgPwned === undefined ? null : window.kgPwned,
  injected: document.querySelectorAll('img, svg[onload], [onerror], [onload], iframe, object, embed').length,
  urls: urls,
};
"""
