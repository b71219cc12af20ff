"""A real browser reads the exported pages: headless Chromium (Debian's ``chromium`` and
``chromium-driver`` packages, driven by Selenium), pages served over HTTP on 127.0.0.1.

For every page: each ``script[type="application/ld+json"]`` in the DOM parses with the browser's
own ``JSON.parse`` to exactly the data kg wrote, no script ran (hostile names are in the data),
and on profile pages the number of publications shown equals the number in the markup. A
screenshot of one profile page is saved under ``test-artifacts/``.

With ``CI=true`` this test runs or fails, never skips. Elsewhere it skips, naming the missing
binary (install: ``apt-get install -y chromium chromium-driver``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kg.export import export_html
from tests.export_helpers import (
    HOSTILE_LINKS,
    HOSTILE_STRINGS,
    READ_PAGE,
    RECORDS,
    SAFE_SCHEMES,
    chromium,
    hostile_records,
    require_browser,
    serving,
    store_from,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
HOSTILE = 'Eve </script><script>window.kgPwned=1</script> "><img src=x onerror="window.kgPwned=2"> <!-- \u2028 Mallory'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    root = tmp_path_factory.mktemp("served")
    records = tmp_path_factory.mktemp("records")
    hostile = records / "hostile-lab.json"
    hostile.write_text(json.dumps([
        {"type": "Person", "id": "eve", "name": HOSTILE},
        {"type": "Publication", "id": "h1", "title": HOSTILE, "abstract": HOSTILE, "date": "2020",
         "authors": [{"name": HOSTILE, "person": "eve"}, {"name": "Ada Lovelace", "person": "lab:ada"}]},
    ]), encoding="utf-8")  # fmt: skip
    with serving(root) as base:
        store = store_from(RECORDS, hostile, hostile_records(records), HOSTILE_LINKS)
        report = export_html(store, root, base_url=base)
        assert report.pages_written >= 7 + 2 * len(HOSTILE_STRINGS)
        yield base, root


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


_READ = """
const blocks = Array.from(document.querySelectorAll('script[type="application/ld+json"]'));
const docs = blocks.map(s => JSON.parse(s.textContent));
const articles = docs.flatMap(d => (d['@graph'] || [d]))
                     .filter(n => n['@type'] === 'ScholarlyArticle').length;
return {
  docs: docs,
  scripts: document.querySelectorAll('script').length,
  shown: document.querySelectorAll('[data-kg-publication]').length,
  articles: articles,
  pwned: window.kgPwned === undefined ? null : window.kgPwned,
  images: document.images.length,
};
"""


def _page_files(root: Path) -> list[Path]:
    return [root / "index.html", *sorted(root.glob("*/*/index.html"))]


def test_pages_in_chromium(served: tuple[str, Path], browser: Any) -> None:
    base, root = served
    pages = _page_files(root)
    assert len(pages) >= 8
    saw_hostile = False
    for page in pages:
        rel = str(page.parent.relative_to(root))
        url = base if rel == "." else f"{base}{rel}/"
        browser.get(url)
        got = browser.execute_script(_READ)
        assert got["pwned"] is None, f"{url}: a script in the data ran"
        assert got["images"] == 0, f"{url}: an element was injected"
        links = browser.execute_script(READ_PAGE)["urls"]
        assert all(u.startswith(SAFE_SCHEMES) for u in links), (url, links)
        assert got["scripts"] == len(got["docs"]), url
        html = page.read_text("utf-8")
        if rel != ".":
            assert len(got["docs"]) == 1, url
            (expected,) = [json.loads(_script_text(html))]
            assert got["docs"][0] == expected, f"{url}: JSON.parse in the browser differs"
        if rel.startswith("people/"):
            assert got["shown"] == got["articles"] > 0, url
        saw_hostile = saw_hostile or HOSTILE in _strings(got["docs"])
    assert saw_hostile


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _script_text(html: str) -> str:
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    return html[start : html.index("</script>", start)]


def test_screenshot_of_a_profile_page(served: tuple[str, Path], browser: Any) -> None:
    base, _ = served
    browser.get(f"{base}people/orcid-0000-0002-1825-0097/")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, max(800, min(int(height) + 40, 4000)))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "profile-page.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    assert browser.find_element("css selector", "h1").text == "Ada Lovelace"


#: a label's rendered size: its font size times the scale the SVG is drawn at
_LABEL_SIZES = """
const out = [];
for (const t of document.querySelectorAll('svg.kg-coauthors text, svg.kg-years text')) {
  const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
  out.push([t.textContent, size]);
}
return {labels: out, scroll: document.documentElement.scrollWidth, width: window.innerWidth};
"""


def test_chart_labels_are_readable_on_a_phone(
    served: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """At 390 px wide (a phone), every label of the co-author picture and the publications-per-
    year chart is drawn at >= 11 px, and nothing makes the page scroll sideways."""
    base, root = served
    with chromium(tmp_path_factory.mktemp("chromium-phone")) as phone:
        # headless Chromium's window is at least 500 px wide: emulate the phone's viewport
        phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})  # fmt: skip
        measured = 0
        for page in sorted(root.glob("people/*/index.html")):
            phone.get(f"{base}people/{page.parent.name}/")
            got = phone.execute_script(_LABEL_SIZES)
            assert got["width"] == 390, got["width"]
            assert got["scroll"] <= got["width"], f"{page.parent.name}: the page scrolls sideways"
            small = [(text, round(size, 1)) for text, size in got["labels"] if size < 11]
            assert not small, f"{page.parent.name}: labels under 11 px: {small[:5]}"
            measured += len(got["labels"])
        assert measured >= 50
        phone.get(f"{base}people/orcid-0000-0002-1825-0097/")
        ARTIFACTS.mkdir(exist_ok=True)
        assert phone.save_screenshot(str(ARTIFACTS / "profile-page-phone.png"))
