"""openalex: source against a local server serving the recorded OpenAlex responses.

Served as recorded: the author objects (``authors/``), the single works (``works/``), the three
``/works?filter=…&cursor=*`` list pages (``lists/``) and the 400 error bodies. The recorded pages
were fetched with other filters, so the server chains them by their own real ``next_cursor``
values: page 1 (38 works) -> page 2 (5) -> page 3 (2) -> a final page, composed here, with no
results and a null ``next_cursor`` (what OpenAlex answers past the last page). Pages of single
recorded works are composed the same way, inside a list envelope.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kg.errors import DataError, SourceError, UsageError
from kg.http import HttpClient
from kg.records import SourceOptions, check_record
from kg.records.apis.openalex import (
    WORK_FIELDS,
    OpenAlexSource,
    abstract_text,
    parse_openalex_spec,
)
from tests.apis_conftest import (
    Sleeper,
    api_env,
    local_server,
    no_foreign_sockets,
    open_api,
    sleeper,
)
from tests.conftest import shared_path

# The fixtures are imported for pytest to find; naming them here marks them as used.
FIXTURES = (api_env, local_server, no_foreign_sockets, sleeper)

FIX = shared_path("fixtures", "openalex")
PRIEM = "A5023888391"
PRIEM_ORCID = "0000-0001-6187-6610"


def _load(*parts: str) -> Any:
    return json.loads(FIX.joinpath(*parts).read_text("utf-8"))


LISTS = [
    _load("lists", name)
    for name in (
        "works_filter-cited_by_per-page200.json",
        "works_filter-cites_per-page200.json",
        "works_filter-openalex-2ids_per-page200.json",
    )
]


def _page(results: list[Any], next_cursor: str | None) -> dict[str, Any]:
    meta = {"count": len(results), "page": None, "per_page": 200, "next_cursor": next_cursor}
    return {"meta": meta, "results": results, "group_by": []}


def chained_pages() -> dict[str, dict[str, Any]]:
    """cursor -> page: the recorded pages linked by their own next_cursor, then an empty page."""
    pages: dict[str, dict[str, Any]] = {}
    cursor = "*"
    for page in LISTS:
        pages[cursor] = page
        cursor = page["meta"]["next_cursor"]
    pages[cursor] = _page([], None)
    return pages


class OpenAlexApi:
    """A handler answering like api.openalex.org from the recordings; keeps the query strings."""

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        self.pages = pages
        self.queries: list[dict[str, str]] = []
        self.authors = {
            PRIEM: _load("authors", "A5023888391_jason-priem.json"),
            f"orcid:{PRIEM_ORCID}": _load("authors", "A5023888391_jason-priem.json"),
            "A5317838346": _load("authors", "A5317838346_deleted-author.json"),
        }

    def __call__(self, request: Request) -> Response:
        self.queries.append(dict(request.args))
        path = request.path.removeprefix("/openalex/")
        if path.startswith("authors/"):
            author = self.authors.get(path.removeprefix("authors/"))
            if author is None:
                return Response('{"error": "not found"}', status=404)
            return Response(json.dumps(author), content_type="application/json")
        page = self.pages.get(request.args.get("cursor", ""))
        if page is None:
            return Response('{"error": "bad cursor"}', status=400)
        return Response(json.dumps(page), content_type="application/json")


def serve(server: HTTPServer, pages: dict[str, dict[str, Any]] | None = None) -> OpenAlexApi:
    api = OpenAlexApi(chained_pages() if pages is None else pages)
    server.expect_request(re.compile("^/openalex/.*")).respond_with_handler(api)
    return api


def test_author_and_every_page_of_works(local_server: HTTPServer, api_env: str) -> None:
    api = serve(local_server)
    source = open_api(f"openalex:{PRIEM}", SourceOptions(mailto="data@example.org"))
    assert isinstance(source, OpenAlexSource)
    records = [r.data for r in source.iter_records()]
    for record in records:
        assert check_record(record) == [], record
    person, works = records[0], records[1:]
    assert person["openalex"] == PRIEM and person["orcid"] == PRIEM_ORCID
    assert person["id"] == f"openalex:{PRIEM}"
    assert len(works) == 38 + 5 + 2
    assert source.expected == 1 + LISTS[0]["meta"]["count"]  # what page 1 announced
    assert source.stats == {
        "requests": 1 + 4,  # the author, three recorded pages, the final empty page
        "retries": 0,
        "cache_hits": 0,
        "bytes": source.stats["bytes"],
        "records": 46,
    }
    pages = api.queries[1:]
    assert [q["cursor"] for q in pages] == ["*"] + [p["meta"]["next_cursor"] for p in LISTS]
    for query in pages:
        assert query["filter"] == f"author.id:{PRIEM}"
        assert query["per-page"] == "200" and query["select"] == WORK_FIELDS
        assert query["mailto"] == "data@example.org"
    assert api.queries[0] == {"mailto": "data@example.org"}
    # every work keeps its authors in order, as printed, with their ORCIDs
    raw_works = [w for page in LISTS for w in page["results"]]
    for raw, mapped in zip(raw_works, works, strict=True):
        printed = [a["raw_author_name"] or a["author"]["display_name"] for a in raw["authorships"]]
        assert [a["name"] for a in mapped["authors"]][: len(printed)] == printed
        orcids = [(a["author"].get("orcid") or "")[-19:] or None for a in raw["authorships"]]
        assert [a.get("orcid") for a in mapped["authors"]][: len(printed)] == orcids
        # the person is linked once: at their position, or without one when not listed
        mine = [a for a in mapped["authors"] if a.get("person") == person["id"]]
        assert len(mine) == 1
        listed = any(
            a["author"]["id"] == f"https://openalex.org/{PRIEM}" for a in raw["authorships"]
        )
        assert mine[0].get("position_unknown", False) is not listed


def test_the_authors_own_authorship_links_to_the_person(
    local_server: HTTPServer, api_env: str
) -> None:
    work = _load("works", "W2741809807_state-of-oa.json")
    serve(local_server, {"*": _page([work], None)})
    records = [r.data for r in open_api(f"openalex:{PRIEM}").iter_records()]
    publication = records[1]
    assert check_record(publication) == []
    names = [a["name"] for a in publication["authors"]]
    assert names[:3] == ["Heather Piwowar", "Jason Priem", "Vincent Larivière"]
    assert names[3] == "Juan Pablo Alperin"  # as printed (raw_author_name), not the display name
    assert publication["authors"][1] == {
        "name": "Jason Priem",
        "person": f"openalex:{PRIEM}",
        "orcid": PRIEM_ORCID,
    }
    assert publication["abstract"].startswith("Despite growing interest in Open Access")
    assert publication["doi"] == "10.7717/peerj.4375" and publication["openalex"] == "W2741809807"
    assert publication["venue"] == "PeerJ" and publication["venue_type"] == "journal"
    assert publication["date"] == "2018-02-13"
    assert publication["pdf_url"] == "https://peerj.com/articles/4375.pdf"
    assert "scientometrics and bibliometrics research" in publication["topics"]


def test_an_orcid_spec_asks_openalex_by_orcid(local_server: HTTPServer, api_env: str) -> None:
    api = serve(local_server, {"*": _page([], None)})
    source = open_api(f"openalex:{PRIEM_ORCID}")
    assert source.key == f"https://api.openalex.org/authors/orcid:{PRIEM_ORCID}"
    records = list(source.iter_records())
    assert len(records) == 1 and records[0].data["openalex"] == PRIEM
    assert api.queries[1]["filter"] == f"author.id:{PRIEM}"


def test_person_fields(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server, {"*": _page([], None)})
    person = next(iter(open_api(f"openalex:{PRIEM}").iter_records())).data
    assert person["name"] == "Jason Priem"
    assert person["alternate_names"] == ["Priem Jason"]
    current = person["affiliations"][0]
    assert current == {"name": "OurResearch", "ror": "02nr0ka47", "start": "2019"}  # still there
    former = person["affiliations"][1]
    assert former["name"] == "Johns Hopkins University" and former["end"] == "2020"
    assert person["topics"][0] == "scientometrics and bibliometrics research"


def test_a_repeated_cursor_is_an_error_not_a_loop(local_server: HTTPServer, api_env: str) -> None:
    first, second = LISTS[1], LISTS[2]
    again = second["meta"]["next_cursor"]
    pages = {"*": _page(first["results"], "c1"), "c1": _page(second["results"], "c1")}
    api = serve(local_server, pages)
    with pytest.raises(SourceError, match=r"returned the same cursor again on page 2"):
        list(open_api(f"openalex:{PRIEM}").iter_records())
    assert len(api.queries) == 3  # the author and two pages, then stop
    # a longer cycle is caught as well
    pages = {"*": _page(first["results"], again), again: _page(second["results"], "*")}
    api = serve(local_server, pages)
    with pytest.raises(SourceError, match="same cursor again"):
        list(open_api(f"openalex:{PRIEM}").iter_records())


def test_429_on_a_page_waits_and_goes_on(
    local_server: HTTPServer, api_env: str, sleeper: Sleeper
) -> None:
    local_server.expect_ordered_request(f"/openalex/authors/{PRIEM}").respond_with_json(
        _load("authors", "A5023888391_jason-priem.json")
    )
    local_server.expect_ordered_request("/openalex/works").respond_with_data(
        '{"error": "rate limited"}', status=429, headers={"Retry-After": "2"}
    )
    local_server.expect_ordered_request("/openalex/works").respond_with_json(
        _page(LISTS[2]["results"], None)
    )
    client = HttpClient("OpenAlex", sleep=sleeper, rand=lambda: 0.0)
    source = OpenAlexSource("author", PRIEM, SourceOptions(), client=client)
    assert len(list(source.iter_records())) == 3
    assert sleeper.waits == [2.0]
    assert source.stats["requests"] == 2 and source.stats["retries"] == 1


def test_400_carries_the_api_message(local_server: HTTPServer, api_env: str) -> None:
    body = FIX.joinpath("errors", "400_invalid_filter.json").read_text()
    local_server.expect_request(f"/openalex/authors/{PRIEM}").respond_with_json(
        _load("authors", "A5023888391_jason-priem.json")
    )
    local_server.expect_request("/openalex/works").respond_with_data(
        body, status=400, content_type="application/json"
    )
    with pytest.raises(SourceError, match=r"^OpenAlex refused .*DOESNTEXIST is not a valid field"):
        list(open_api(f"openalex:{PRIEM}").iter_records())


def test_unknown_and_deleted_authors(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server)
    with pytest.raises(SourceError, match=r"^no OpenAlex author A1 \("):
        list(open_api("openalex:A1").iter_records())
    with pytest.raises(SourceError, match="A5317838346 was deleted"):
        list(open_api("openalex:A5317838346").iter_records())


def test_unexpected_shape_names_the_field(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server, {"*": {"meta": {"next_cursor": None}, "results": {"not": "a list"}}})
    with pytest.raises(DataError, match=r"^openalex:A5023888391: .*'results' should be an array"):
        list(open_api(f"openalex:{PRIEM}").iter_records())


def test_a_second_import_with_cache_sends_no_request(
    local_server: HTTPServer, api_env: str, tmp_path: Path
) -> None:
    serve(local_server)
    options = SourceOptions(cache_dir=tmp_path / "cache")
    first = open_api(f"openalex:{PRIEM}", options)
    first_records = [r.data for r in first.iter_records()]
    sent = len(local_server.log)
    second = open_api(f"openalex:{PRIEM}", options)
    assert [r.data for r in second.iter_records()] == first_records
    assert len(local_server.log) == sent == 5
    assert second.stats["requests"] == 0 and second.stats["cache_hits"] == 5


def test_the_api_key_is_sent_but_never_shown(
    local_server: HTTPServer, api_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_OPENALEX_API_KEY", "s3cret")
    local_server.expect_request(re.compile("^/openalex/.*")).respond_with_data("busy", status=404)
    with pytest.raises(SourceError) as info:
        list(open_api(f"openalex:{PRIEM}").iter_records())
    assert local_server.log[0][0].args["api_key"] == "s3cret"
    assert "s3cret" not in str(info.value) and "api_key=***" in str(info.value)


def test_abstract_from_the_inverted_index() -> None:
    assert abstract_text({"b": [1], "a": [0], "c": [2, 4], "d": [3]}) == "a b c d c"
    assert abstract_text({}) is None and abstract_text({"x": "bad"}) is None


@pytest.mark.parametrize("spec", ["W2741809807", "nobody", "A12x"])
def test_malformed_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="expected an OpenAlex author id"):
        parse_openalex_spec(spec)
