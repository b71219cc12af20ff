"""Regression tests for bugs the API, page and HTML-render fuzz targets found (docs/reliability.md,
"Bugs the fuzzer found"), each through the real entry point that failed."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer

from kg.errors import LimitError
from tests.apis_conftest import api_env, local_server, no_foreign_sockets, open_api

FIXTURES = (api_env, local_server, no_foreign_sockets)


def test_a_deeply_nested_api_response_is_a_limit_error_not_a_recursion_error(
    local_server: HTTPServer, api_env: str
) -> None:
    # Found by api-crossref: CPython's json raises RecursionError (not ValueError) past ~1000
    # levels, and HttpClient.get_json let it escape every API source.
    body = "[" * 5000 + "]" * 5000
    local_server.expect_request("/crossref/works/10.1000/xyz").respond_with_data(
        body, content_type="application/json"
    )
    with pytest.raises(LimitError, match=r"nesting depth 65 exceeds KG_MAX_JSON_DEPTH=64"):
        list(open_api("doi:10.1000/xyz").iter_records())


def test_an_api_response_over_the_response_limit_is_refused_before_parsing(
    local_server: HTTPServer, api_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "1000")
    local_server.expect_request("/openalex/authors/A5023888391").respond_with_data(
        '{"id": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    with pytest.raises(LimitError, match=r"size 2010 bytes exceeds KG_MAX_RESPONSE_BYTES=1000"):
        list(open_api("openalex:A5023888391").iter_records())


@pytest.mark.parametrize("bad_id", [[], {"x": 1}])
def test_an_openalex_institution_id_that_is_no_text_does_not_crash_the_author(
    bad_id: object,
) -> None:
    # Found by api-openalex (3 of 10,000 inputs): an institution "id" that is a list or object
    # raised TypeError (unhashable) when compared with the last known institutions.
    from kg.records.apis.openalex import OpenAlexSource
    from kg.records.schema import check_record
    from kg.records.sources import SourceOptions

    source = OpenAlexSource("author", "A5023888391", SourceOptions())
    author = {
        "id": "https://openalex.org/A5023888391",
        "display_name": "Jason Priem",
        "affiliations": [
            {"institution": {"id": bad_id, "display_name": "University of Florida"},
             "years": [2008, 2009]},
        ],
        "last_known_institutions": [{"id": bad_id}, {"id": "https://openalex.org/I1"}],
    }  # fmt: skip
    record = source.map_author(author)
    assert record["affiliations"] == [
        {"name": "University of Florida", "start": "2008", "end": "2009"}
    ]
    assert check_record(record) == []


def test_a_dblp_page_over_the_response_limit_is_refused_before_parsing(
    local_server: HTTPServer, api_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "100")
    local_server.expect_request("/dblp/pid/1/2.xml").respond_with_data(
        '<dblpperson name="A" pid="1/2">' + " " * 200 + "</dblpperson>",
        content_type="application/xml",
    )
    with pytest.raises(LimitError, match=r"size 244 bytes exceeds KG_MAX_RESPONSE_BYTES=100"):
        list(open_api("dblp:1/2").iter_records())


def _nested_items(depth: int) -> bytes:
    item = '<div itemscope itemtype="https://schema.org/Person"><span itemprop="name">Ada Lovelace</span>'
    return ("<html><body>" + item * depth + "</div>" * depth + "</body></html>").encode()


def test_deeply_nested_microdata_is_skipped_not_a_hang() -> None:
    # Found by page-html (a 22 KB page timed out): extruct's microdata reader takes about the
    # fourth power of the item nesting depth (over 40 s at 200 levels).
    from kg.records.pages.structured import MAX_MICRODATA_DEPTH, extract

    warnings: list[str] = []
    start = time.monotonic()
    page = extract(_nested_items(200), base_url="file:///p.html", warnings=warnings)
    assert time.monotonic() - start < 10
    assert page.errors == 1 and page.owner is None
    assert warnings == [
        f"file:///p.html: microdata skipped: items nested more than {MAX_MICRODATA_DEPTH} deep "
        "(extruct's time grows with about the fourth power of the depth)"
    ]
    # nested as deep as allowed, the microdata is still read
    shallow = extract(_nested_items(MAX_MICRODATA_DEPTH), base_url="file:///p.html", warnings=[])
    assert shallow.errors == 0 and shallow.owner is not None
    assert shallow.owner["name"] == "Ada Lovelace"
