"""Hostile data in names, titles and abstracts: no breakout from <script> or attributes, and
the data round-trips exactly (through extruct, lxml, and the JSON-LD export)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kg.export import export_html
from kg.export.escape import json_for_script, script_unescape_ok
from kg.ids import normalize_name
from tests.export_helpers import BASE, citation_tags, extracted_jsonld, store_from, visible

BREAKOUTS = [
    "</script><script>alert(1)</script>",
    "</SCRIPT >",
    "<!--",
    "]]>",
    '"><img src=x onerror=alert(1)>',
    "line\u2028separator\u2029paragraph",
    "<!-- <script> & </script",
]
NAME = "Eve </script><script>alert(1)</script> Mallory"
TITLE = 'On </SCRIPT > and <!-- and ]]> "><img src=x onerror=alert(1)>'
ABSTRACT = "Tricky\u2028abstract</script><script>alert(1)</script> & <!-- more \u2029 end ]]>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = tmp_path_factory.mktemp("records") / "hostile.json"
    records.write_text(
        json.dumps(
            [
                {"type": "Person", "id": "eve", "name": NAME, "job_title": '"><img src=x onerror=alert(1)>',
                 "topics": ["<!-- comment", "]]> cdata"], "description": ABSTRACT},
                {"type": "Publication", "id": "p1", "title": TITLE, "abstract": ABSTRACT, "date": "2024-01-02",
                 "venue": "</script>Conf", "venue_type": "conference",
                 "authors": [{"name": NAME, "person": "eve"}, {"name": "Bob\u2028<b>Bold</b>"}]},
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path_factory.mktemp("site")
    report = export_html(store_from(records), out, base_url=BASE)
    assert report.exit_code == 0, [str(h) for h in report.held_back]
    return out


def _pages(out: Path) -> list[Path]:
    return [*sorted(out.glob("*/*/index.html")), out / "index.html"]


def test_no_script_or_element_breakout(site: Path) -> None:
    for page in _pages(site):
        html = page.read_text("utf-8")
        # the only script elements are kg's own JSON-LD blocks, each closed exactly once
        assert len(re.findall(r"<script", html, re.IGNORECASE)) == html.count(
            '<script type="application/ld+json">'
        )
        assert len(re.findall(r"</script", html, re.IGNORECASE)) == html.count(
            '<script type="application/ld+json">'
        )
        assert "<img" not in html and "<!--" not in html
        tree = visible(html)
        assert not tree.xpath("//img") and not tree.xpath("//*[@onerror]")
        for script in tree.xpath("//script"):
            assert script.get("type") == "application/ld+json"
            assert script_unescape_ok(script.text)


def test_data_round_trips_exactly(site: Path) -> None:
    profile = next((site / "people").glob("*/index.html"))
    (doc,) = extracted_jsonld(profile.read_text("utf-8"), BASE)
    nodes = {n["@type"]: n for n in doc["@graph"]}
    assert nodes["Person"]["name"] == NAME
    assert nodes["Person"]["description"] == ABSTRACT
    assert nodes["Person"]["jobTitle"] == '"><img src=x onerror=alert(1)>'
    assert sorted(nodes["Person"]["knowsAbout"]) == ["<!-- comment", "]]> cdata"]
    article = nodes["ScholarlyArticle"]
    assert article["headline"] == TITLE and article["abstract"] == ABSTRACT
    assert [a["name"] for a in article["author"]] == [NAME, "Bob\u2028<b>Bold</b>"]
    tree = visible(profile.read_text("utf-8"))
    assert tree.xpath("//h1")[0].text_content() == NAME
    assert [a.text_content() for a in tree.xpath("//li[@data-kg-author]")] == [
        NAME,
        "Bob\u2028<b>Bold</b>",
    ]


def test_citation_attributes_round_trip(site: Path) -> None:
    page = next((site / "publications").glob("*/index.html"))
    html = page.read_text("utf-8")
    tags = citation_tags(html)
    assert tags[:3] == [
        ("citation_title", TITLE),
        ("citation_author", NAME),
        ("citation_author", "Bob\u2028<b>Bold</b>"),
    ]
    assert ("citation_conference_title", "</script>Conf") in tags
    assert visible(html).xpath("//p[@class='abstract']")[0].text_content() == ABSTRACT


@pytest.mark.parametrize("text", BREAKOUTS)
def test_json_for_script_escapes(text: str) -> None:
    out = json_for_script({"v": text})
    assert json.loads(out) == {"v": text}
    assert "</" not in out and "<!" not in out and "]]>" not in out and script_unescape_ok(out)


@given(st.recursive(st.text() | st.integers() | st.booleans() | st.none(),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids, max_size=4),
                    max_leaves=20))  # fmt: skip
def test_json_for_script_round_trips_anything(value: object) -> None:
    out = json_for_script(value)
    assert json.loads(out) == value
    assert script_unescape_ok(out)


_PIECES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=12,
) | st.sampled_from(
    ["<", ">", "&", '"', "'", "</script>", "</SCRIPT >", "<!--", "]]>", "\u2028", "\u2029"]
)
_TEXT = (
    st.lists(_PIECES, min_size=1, max_size=5)
    .map("".join)
    .filter(lambda s: s.strip() == s and bool(s.strip()) and len(s) <= 200)
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=_TEXT, names=st.lists(_TEXT, min_size=1, max_size=4, unique=True), abstract=_TEXT)
def test_any_text_round_trips_through_a_page(
    tmp_path: Path, title: str, names: list[str], abstract: str
) -> None:
    """Records -> graph -> page -> (extruct, lxml) gives back the same title, ordered authors and abstract."""
    # Two printed names that normalize alike are one person within a source (kg/ids.py).
    assume(len({normalize_name(n) for n in names}) == len(names))
    records = tmp_path / f"r{abs(hash((title, *names, abstract)))}.json"
    records.write_text(json.dumps([
        {"type": "Person", "id": "me", "name": names[0]},
        {"type": "Publication", "id": "w", "title": title, "abstract": abstract, "date": "2020",
         "authors": [{"name": names[0], "person": "me"}, *({"name": n} for n in names[1:])]},
    ]), encoding="utf-8")  # fmt: skip
    out = tmp_path / records.stem
    report = export_html(store_from(records), out, base_url=BASE)
    assert report.exit_code == 0, [str(h) for h in report.held_back]
    (page,) = (out / "publications").glob("*/index.html")
    html = page.read_text("utf-8")
    (doc,) = extracted_jsonld(html, BASE)
    article = doc["@graph"][1]
    assert (article["headline"], article["abstract"]) == (title, abstract)
    assert [a["name"] for a in article["author"]] == names
    tags = citation_tags(html)
    assert tags[0] == ("citation_title", title)
    assert [v for k, v in tags if k == "citation_author"] == names
    assert [li.text_content() for li in visible(html).xpath("//li[@data-kg-author]")] == names
