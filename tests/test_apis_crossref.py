"""doi: source against a local server serving the recorded Crossref responses (all real: the nine
``/works/{doi}`` bodies, the plain-text 404 body, and the work items of the ``/works?…`` lists)."""

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
from kg.records.apis.crossref import CrossrefSource, parse_doi_spec
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

FIX = shared_path("fixtures", "crossref")
WORK_FILES = sorted((FIX / "works").glob("*.json"))


def _doi(path: Path) -> str:
    return str(json.loads(path.read_text("utf-8"))["message"]["DOI"]).lower()


class CrossrefApi:
    """A handler answering like api.crossref.org/works/{doi} from the recordings."""

    def __init__(self) -> None:
        self.bodies = {_doi(p): p.read_bytes() for p in WORK_FILES}
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        doi = request.path.removeprefix("/crossref/works/").lower()
        if doi in self.bodies:
            return Response(self.bodies[doi], content_type="application/json")
        missing = (FIX / "errors" / "404_works_10.1371_notarealdoi.txt").read_bytes()
        return Response(missing, status=404, content_type="text/plain")


def serve(server: HTTPServer) -> CrossrefApi:
    api = CrossrefApi()
    server.expect_request(re.compile("^/crossref/works/.*")).respond_with_handler(api)
    return api


@pytest.mark.parametrize("path", WORK_FILES, ids=lambda p: p.stem)
def test_every_recorded_work_imports(path: Path, local_server: HTTPServer, api_env: str) -> None:
    serve(local_server)
    raw = json.loads(path.read_text("utf-8"))["message"]
    source = open_api(f"doi:{raw['DOI']}", SourceOptions())
    assert isinstance(source, CrossrefSource)
    records = [r.data for r in source.iter_records()]
    assert len(records) == 1 and check_record(records[0]) == []
    record = records[0]
    assert record["doi"] == raw["DOI"].lower()
    expected = [" ".join(filter(None, (a.get("given"), a.get("family")))) for a in raw["author"]]
    assert [a["name"] for a in record["authors"]] == expected
    orcids = [a["ORCID"][-19:] for a in raw["author"] if "ORCID" in a]
    assert [a["orcid"] for a in record["authors"] if "orcid" in a] == orcids
    assert record["venue"] == raw["container-title"][0]
    assert source.stats == {
        "requests": 1,
        "retries": 0,
        "cache_hits": 0,
        "bytes": path.stat().st_size,
        "records": 1,
    }


def test_fields_of_a_work_with_a_jats_abstract(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server)
    record = next(iter(open_api("doi:10.1136/jclinpath-2020-206745").iter_records())).data
    assert record["title"].startswith(
        "Construction of a reference material panel for detecting KRAS"
    )
    assert "<" not in record["title"]
    assert record["date"] == "2020-08-17"  # issued, not published-print (2021-05)
    assert record["venue_type"] == "journal"
    assert record["url"] == "https://jcp.bmj.com/lookup/doi/10.1136/jclinpath-2020-206745"
    assert record["abstract"].startswith(
        "Background\n\nThe absence of high-quality next-generation"
    )
    assert "<jats:" not in record["abstract"]
    assert record["authors"][0] == {"name": "Jun Xu"}


def test_an_unknown_date_stays_unknown_and_proceedings_are_conferences(
    local_server: HTTPServer, api_env: str
) -> None:
    serve(local_server)
    record = next(iter(open_api("doi:10.1109/icdcsw.2003.1203662").iter_records())).data
    # Crossref has "issued": {"date-parts": [[null]]} and no published-* date: no date is invented
    # (not even from "created", which is when the DOI was registered)
    assert "date" not in record
    assert record["venue_type"] == "conference"
    assert check_record(record) == []


def test_polite_mailto_and_user_agent(local_server: HTTPServer, api_env: str) -> None:
    api = serve(local_server)
    source = open_api("doi:10.1038/srep16696", SourceOptions(mailto="data@example.org"))
    list(source.iter_records())
    sent = api.requests[0]
    assert sent.args["mailto"] == "data@example.org"
    assert sent.headers["User-Agent"].endswith("(+mailto:data@example.org)")


def test_mailto_from_the_environment(
    local_server: HTTPServer, api_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_MAILTO", "env@example.org")
    api = serve(local_server)
    list(open_api("doi:10.1038/srep16696").iter_records())
    assert api.requests[0].args["mailto"] == "env@example.org"


def test_a_sici_doi_is_sent_encoded(local_server: HTTPServer, api_env: str) -> None:
    sici = "10.1002/(sici)1097-4636(199706)35:4<443::aid-jbm5>3.0.co;2-i"
    api = serve(local_server)
    with pytest.raises(SourceError, match="no Crossref record"):
        list(open_api(f"doi:{sici}").iter_records())
    sent = api.requests[0]
    assert sent.path == f"/crossref/works/{sici}"
    assert "%3C443::aid-jbm5%3E" in sent.environ["REQUEST_URI"]


def test_unknown_doi(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server)
    with pytest.raises(SourceError, match=r"^no Crossref record for DOI 10\.1371/notarealdoi$"):
        list(open_api("doi:10.1371/notarealdoi").iter_records())


def test_503_then_success(local_server: HTTPServer, api_env: str, sleeper: Sleeper) -> None:
    body = (FIX / "works" / "10.3892_ijo_00000353.json").read_bytes()
    local_server.expect_ordered_request("/crossref/works/10.3892/ijo_00000353").respond_with_data(
        "busy", status=503
    )
    local_server.expect_ordered_request("/crossref/works/10.3892/ijo_00000353").respond_with_data(
        body, content_type="application/json"
    )
    client = HttpClient("Crossref", sleep=sleeper, rand=lambda: 0.25)
    source = CrossrefSource("10.3892/ijo_00000353", SourceOptions(), client=client)
    assert len(list(source.iter_records())) == 1
    assert sleeper.waits == [1.25] and source.stats["retries"] == 1


def test_truncated_body(local_server: HTTPServer, api_env: str) -> None:
    body = (FIX / "works" / "10.3892_ijo_00000353.json").read_bytes()

    def cut(request: Request) -> Response:
        resp = Response(body[:500], content_type="application/json")
        resp.headers["Content-Length"] = str(len(body))
        return resp

    local_server.expect_request(re.compile("^/crossref/.*")).respond_with_handler(cut)
    with pytest.raises(SourceError, match=r"^Crossref: the response from .* was cut short$"):
        list(open_api("doi:10.3892/ijo_00000353").iter_records())


def test_not_a_work_is_a_data_error(local_server: HTTPServer, api_env: str) -> None:
    page = json.loads((FIX / "lists" / "works_rows2.json").read_text())
    local_server.expect_request(re.compile("^/crossref/.*")).respond_with_json(page)
    with pytest.raises(DataError, match=r"'message-type' should be 'work', got str"):
        list(open_api("doi:10.1000/xyz").iter_records())


def test_work_items_of_the_recorded_lists_map_or_are_left_out() -> None:
    mapped = skipped = 0
    for path in sorted((FIX / "lists").glob("*.json")):
        for item in json.loads(path.read_text())["message"]["items"]:
            record = CrossrefSource(item["DOI"].lower(), SourceOptions()).map_work(item)
            if record is None:
                assert not [a for a in item.get("author", []) if a.get("family") or a.get("name")]
                skipped += 1
                continue
            assert check_record(record) == [], record
            mapped += 1
    assert mapped > 0 and skipped == 6  # six list items (reference entries) list no author


def _spec_error(value: str) -> Any:
    with pytest.raises(UsageError) as info:
        parse_doi_spec(value)
    return str(info.value)


def test_malformed_spec() -> None:
    assert _spec_error("nonsense") == "doi:nonsense: not a DOI (expected 10.NNNN/...)"
    with pytest.raises(UsageError):
        open_api("doi:11.1234/x")
