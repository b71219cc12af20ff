"""Pages assembled from parts built once per export: the same documents, bytes and check results
as building and checking each page whole (kg.export.jsonld.PageParts, kg.export.check.PageChecker).

PageChecker reuses an article's check results on every page that shows it; these tests prove it
reports exactly what :func:`check_page` (itself proven against pySHACL) reports on the whole
document, on the export's own pages, on hostile data, on hand-made pages built to defeat each
reuse condition, and on random pages (Hypothesis).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.export import export_html, export_jsonld
from kg.export.check import PageChecker, check_page, default_shapes_dir, load_page_shapes
from kg.export.escape import json_for_script
from kg.export.jsonld import (
    PAGE_TOKEN,
    ArticlePart,
    PageDocument,
    PageParts,
    SiteUrls,
    profile_document_for,
    publication_document,
)
from kg.export.model import iter_profiles, load_profiles, profile_people
from kg.store import EmbeddedStore, QueryResult
from tests.export_helpers import BASE, RECORDS, store_from

SHAPES = default_shapes_dir()
PAGE = "https://lab.example.org/people/ada/"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    return store_from(RECORDS)


def _colleagues(tmp: Path) -> Path:
    """Profiles that share publications, co-authors known by name only who recur, a work with an
    untitled sibling, empty strings: what makes parts shared between pages and merged on them."""
    people = [
        {"type": "Person", "id": f"p{i}", "name": f"Person {name}", "homepage": f"https://{name}.example.org/",
         "orcid": orcid}
        for i, (name, orcid) in enumerate([("ada", "0000-0002-1825-0097"), ("bob", None), ("cy", None)])
    ]  # fmt: skip
    people[2].pop("homepage")
    for p in people[1:]:
        p.pop("orcid")
    pubs = []
    for k in range(9):
        authors: list[dict[str, Any]] = [{"name": f"Person {n}", "person": f"p{i}"}
                                         for i, n in enumerate(["ada", "bob", "cy"]) if (k + i) % 3]  # fmt: skip
        authors.append({"name": ["Outside One", "Outside Two"][k % 2]})
        pub: dict[str, Any] = {"type": "Publication", "id": f"w{k}", "title": f"Work {k}",
                               "authors": authors, "date": f"20{10 + k}"}  # fmt: skip
        if k % 4 == 0:
            pub["doi"] = f"10.5555/parts.{k}"
        if k == 7:
            pub["abstract"] = "An abstract </script> & more"
        pubs.append(pub)
    path = tmp / "colleagues.json"
    path.write_text(json.dumps(people + pubs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def colleagues(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return store_from(_colleagues(tmp_path_factory.mktemp("colleagues")))


def _site_docs(store: EmbeddedStore, works: frozenset[str] | None) -> list[tuple[Any, Any]]:
    """(parts document, whole document) for every profile and publication page."""
    people = profile_people(store)
    urls = SiteUrls(BASE, frozenset(people), works)
    parts = PageParts()
    out = []
    for profile in load_profiles(store, people):
        out.append((parts.profile(profile, urls), profile_document_for(profile, urls)))
        out += [(parts.publication(w, urls), publication_document(w, urls)) for w in profile.works]
    return out


@pytest.mark.parametrize("which", ["records", "colleagues"])
@pytest.mark.parametrize("pages", ["all", "none", "some"])
def test_parts_make_the_same_documents_and_check_results(
    which: str, pages: str, store: EmbeddedStore, colleagues: EmbeddedStore
) -> None:
    s = store if which == "records" else colleagues
    every = sorted({w.iri for p in load_profiles(s, profile_people(s)) for w in p.works})
    works = {"all": None, "none": frozenset(), "some": frozenset(every[::2])}[pages]
    checker = PageChecker()
    docs = _site_docs(s, works)
    assert len(docs) > 5
    for parts_doc, whole in docs:
        assert parts_doc.as_dict() == whole
        assert parts_doc.text() == json.dumps(whole, ensure_ascii=False)
        assert PAGE_TOKEN not in parts_doc.text()
        assert parts_doc.script_text() == json_for_script(whole)
        assert checker.check(parts_doc) == check_page(whole)
    # every article was checked once and reused on the other pages that show it
    assert checker.stats["reused"] > 0 and checker.stats["whole"] == 0


def test_tiny_caches_evict_without_changing_results(colleagues: EmbeddedStore) -> None:
    """limit=1: article checks and the memos of authors are dropped all the time."""
    checker = PageChecker(limit=1)
    for parts_doc, whole in _site_docs(colleagues, None) * 2:
        assert checker.check(parts_doc) == check_page(whole)
    assert len(checker._trees) == 1


def test_checker_agrees_with_pyshacl_on_colleagues(colleagues: EmbeddedStore) -> None:
    checker = PageChecker()
    for parts_doc, whole in _site_docs(colleagues, None)[:6]:
        assert checker.check(parts_doc).problems == check_page(whole, engine="pyshacl").problems


def _article(node_id: str, authors: list[dict[str, Any]], **extra: Any) -> ArticlePart:
    node = {"@type": "ScholarlyArticle", "@id": node_id, "headline": "T", "name": "T",
            "author": authors, "datePublished": "2020", **extra}  # fmt: skip
    return ArticlePart(node_id, True, node, json.dumps(node, ensure_ascii=False))


def _head(person: dict[str, Any], parts: list[ArticlePart]) -> list[dict[str, Any]]:
    page_node = {"@type": "ProfilePage", "@id": PAGE + "#page", "url": PAGE,
                 "mainEntity": {"@id": PAGE + "#person"},
                 "hasPart": [{"@id": a.node["@id"]} for a in parts]}  # fmt: skip
    return [page_node, {"@type": "Person", "@id": PAGE + "#person", "url": PAGE, **person}]


def _same(doc: PageDocument, checker: PageChecker | None = None) -> PageChecker:
    checker = checker or PageChecker()
    assert checker.check(doc) == check_page(doc.as_dict())
    return checker


ME = {"@type": "Person", "@id": PAGE + "#person", "name": "Ada", "url": PAGE}
OUTSIDE = {"@type": "Person", "@id": PAGE_TOKEN + "#person-0123456789ab", "name": "Bob"}


def test_person_described_differently_on_the_page_is_checked_on_the_page() -> None:
    """The page's Person has no name, its author entry has one: the article's cached results
    (computed with the name) must not be reused as they are."""
    parts = [_article("https://lab.example.org/publications/x/#article", [ME, OUTSIDE])]
    doc = PageDocument(PAGE, _head({"sameAs": "https://ada.example.org/"}, parts), parts)
    checker = _same(doc)
    assert checker.stats["rechecked"] == 1
    # the same part on a page that agrees with it is reused
    agrees = PageDocument(PAGE, _head({"name": "Ada"}, parts), parts)
    _same(agrees, checker)
    assert checker.stats["reused"] == 1


def test_article_pointing_at_a_node_described_on_the_page() -> None:
    """An author given by reference only, described by the page's head: not checkable alone."""
    parts = [
        _article("https://lab.example.org/publications/x/#article", [{"@id": PAGE + "#person"}])
    ]
    for person in ({"name": "Ada"}, {}):
        doc = PageDocument(PAGE, _head(person, parts), parts)
        checker = _same(doc)
        assert checker.stats["rechecked"] == 1


def test_page_local_iris_read_by_a_pattern_check_the_whole_page(tmp_path: Path) -> None:
    """A shape that reads author IRIs as strings sees the token, not the page: never reused."""
    extra = tmp_path / "iris.ttl"
    extra.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> .\n"
        "[] a sh:NodeShape ; sh:targetSubjectsOf schema:author ; sh:property [ sh:path schema:author ;"
        ' sh:pattern "^https://lab[.]example[.]org/people/ada/" ; sh:message "author not local" ] .\n'
    )
    shapes = load_page_shapes([SHAPES / "google.ttl", extra])
    parts = [_article("https://lab.example.org/publications/x/#article", [ME, OUTSIDE])]
    doc = PageDocument(PAGE, _head({"name": "Ada"}, parts), parts)
    checker = PageChecker(shapes)
    assert checker.check(doc) == check_page(doc.as_dict(), shapes=shapes)
    assert checker.stats["whole"] == 1
    other = "https://lab.example.org/people/bob/"
    moved = PageDocument(
        other, [{"@type": "Person", "@id": other + "#person", "name": "Bob"}], parts
    )
    assert checker.check(moved) == check_page(moved.as_dict(), shapes=shapes)
    problems = check_page(moved.as_dict(), shapes=shapes).problems
    assert any(p.message == "author not local" for p in problems)


def test_token_standing_for_an_iri_the_page_also_spells_checks_the_whole_page() -> None:
    local = "#person-0123456789ab"
    parts = [_article("https://lab.example.org/publications/x/#article", [OUTSIDE])]
    head = _head({"name": "Ada", "knows": {"@id": PAGE + local}}, parts)
    doc = PageDocument(PAGE, head, parts)
    checker = _same(doc)
    assert checker.stats["whole"] == 1


def test_blank_nodes_are_numbered_as_in_the_whole_document() -> None:
    """Problems on blank nodes (an empty venue name) name them as check_page does."""
    venue = {"isPartOf": {"@type": "Periodical", "name": " "}}
    parts = [
        _article(f"https://lab.example.org/publications/{k}/#article", [ME], **venue) for k in "abc"
    ]
    head = _head(
        {"name": "Ada", "identifier": {"@type": "PropertyValue", "propertyID": "x", "value": " "}},
        parts,
    )
    doc = PageDocument(PAGE, head, parts)
    checker = _same(doc)
    assert any(p.focus.startswith("_:b") for p in checker.check(doc).problems)


_ids = st.sampled_from(
    [PAGE + "#person", PAGE_TOKEN + "#person-0123456789ab", PAGE_TOKEN + "#person-ba9876543210",
     "https://lab.example.org/people/bob/#person", PAGE + "#person-0123456789ab"]
)  # fmt: skip
_text = st.sampled_from(["Ada", "", " ", "Bob"])
_links = st.lists(
    st.sampled_from(["https://orcid.org/0000-0002-1825-0097", "https://x.example.org/"]), max_size=2
)


@st.composite
def _node(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": draw(st.sampled_from(["Person", "Organization", "Thing"])),
        "@id": draw(_ids),
    }
    if draw(st.booleans()):
        node["name"] = draw(_text)
    if draw(st.booleans()):
        node["url"] = draw(st.sampled_from([PAGE, "https://bob.example.org/"]))
    if links := draw(_links):
        node["sameAs"] = links
    return node


@st.composite
def _page(draw: st.DrawFn) -> PageDocument:
    parts = []
    for k in range(draw(st.integers(1, 3))):
        authors = draw(
            st.lists(st.one_of(_node(), _ids.map(lambda i: {"@id": i})), min_size=0, max_size=3)
        )
        extra: dict[str, object] = {"datePublished": draw(st.sampled_from(["2020", "20x0", ""]))}
        if draw(st.booleans()):
            extra["isPartOf"] = {"@type": "Periodical", "name": draw(_text)}
        node_id = draw(st.sampled_from([f"https://lab.example.org/publications/{k}/#article",
                                        f"{PAGE_TOKEN}#work-00000000000{k}"]))  # fmt: skip
        parts.append(_article(node_id, authors, **extra))
    person = draw(_node())
    person["@id"] = PAGE + "#person"
    person["@type"] = "Person"
    return PageDocument(
        PAGE,
        _head({k: v for k, v in person.items() if k not in ("@id", "@type", "url")}, parts),
        parts,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page(), _page())
def test_any_pages_check_as_whole_documents(first: PageDocument, second: PageDocument) -> None:
    """Random pages, checked in turn by one checker (so parts are reused between them)."""
    checker = PageChecker()
    for doc in (first, second, first):
        assert checker.check(doc) == check_page(doc.as_dict())


class _Counting:
    """A store that records the queries it answers."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store, self.queries = store, []  # type: ignore[var-annotated]

    def query(self, sparql: str) -> QueryResult:
        self.queries.append(sparql)
        return self.store.query(sparql)


def test_each_work_is_read_once_across_batches(colleagues: EmbeddedStore) -> None:
    people = profile_people(colleagues)
    counting = _Counting(colleagues)
    batched = list(iter_profiles(counting, people, batch=1))  # type: ignore[arg-type]
    assert batched == load_profiles(colleagues, people)
    works = {w.iri for p in batched for w in p.works}
    reads = "".join(q for q in counting.queries if "headline" in q)
    assert works and all(reads.count(f"<{w}>") == 1 for w in works)


def test_site_without_publication_pages(colleagues: EmbeddedStore, tmp_path: Path) -> None:
    report = export_html(colleagues, tmp_path / "site", base_url=BASE, publications=False)
    assert report.written == {"profile": 3, "publication": 0, "other": 3}
    assert not (tmp_path / "site" / "publications").exists()
    html = next((tmp_path / "site" / "people").glob("*/index.html")).read_text("utf-8")
    assert "/publications/" not in html
    jreport = export_jsonld(colleagues, tmp_path / "docs", base_url=BASE, publications=False)
    assert jreport.written["publication"] == 0 and jreport.written["profile"] == 3
    ids: dict[str, set[str]] = {}  # title -> @ids on every profile that lists it
    for path in (tmp_path / "docs" / "people").glob("*.jsonld"):
        doc = json.loads(path.read_text("utf-8"))
        articles = [n for n in doc["@graph"] if n["@type"] == "ScholarlyArticle"]
        # a paper without a page of its own is named by its kg IRI, not by the page showing it
        assert articles and all("url" not in a and "#" not in a["@id"] for a in articles)
        for a in articles:
            ids.setdefault(a["name"], set()).add(a["@id"])
    assert ids and all(len(v) == 1 for v in ids.values())  # one paper, one @id


def test_parts_follow_the_site() -> None:
    """Who has a page changes the author nodes: a part is never reused for another site."""
    from kg.export.model import Author, Work

    ada = Author("https://w3id.org/kg/id/person/key/ada", "Ada", "A", 1, has_record=True)
    work = Work("https://w3id.org/kg/id/pub/key/n", "N", (ada,), date="1843")
    parts = PageParts()
    with_page = parts.article(work, SiteUrls(BASE, frozenset({ada.iri})), has_page=True)
    assert parts.article(work, SiteUrls(BASE, frozenset({ada.iri})), has_page=True) is with_page
    without = parts.article(work, SiteUrls(BASE, frozenset()), has_page=True)
    assert '"url": "https://lab.example.org/people/' in with_page.text
    assert "/people/" not in without.text.replace(PAGE_TOKEN, "")
