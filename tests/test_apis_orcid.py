"""orcid: source against a local server serving the recorded ORCID responses.

Served as recorded: ``/person`` and ``/works`` (rorcid cassettes), the full works (``work/``),
the error bodies, and the sections of Josiah Carberry's real ``/record`` (``person``,
``activities-summary.employments`` / ``.educations`` / ``.works``: the same objects the section
endpoints return, each with its own ``path``). Composed here, because nothing was recorded for
them: the empty ``/employments`` and ``/educations`` of the rorcid iDs, and the ``bulk`` envelope
around the recorded full works (an ``error`` item for a put-code with no recorded work).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kg.errors import DataError, SourceError, UsageError
from kg.http import HttpClient, RetryPolicy
from kg.records import SourceOptions, check_record
from kg.records.apis.orcid import BULK_SIZE, OrcidSource, parse_orcid_spec
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

FIX = shared_path("fixtures", "orcid")
CARBERRY = "0000-0002-1825-0097"
SANDBOX = "0000-0002-7319-2192"  # the ORCID sandbox's complete test record (real API output)
RECORD_FILES = {
    CARBERRY: FIX / "recorded" / "record" / f"{CARBERRY}_record_josiah-carberry.json",
    SANDBOX: FIX / "sandbox" / f"{SANDBOX}_record-full-3.0.json",
}
RECORDED_PERSONS = sorted(p.name[:19] for p in (FIX / "recorded" / "person").glob("*.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _empty(orcid: str, section: str) -> dict[str, Any]:
    key = "group" if section == "works" else "affiliation-group"
    return {"last-modified-date": None, key: [], "path": f"/{orcid}/{section}"}


def recorded_sections(orcid: str) -> dict[str, Any]:
    """What the API would answer for ``orcid``, from the recordings."""
    if orcid in RECORD_FILES:
        record = _load(RECORD_FILES[orcid])
        acts = record["activities-summary"]
        return {
            "person": record["person"],
            "employments": acts["employments"],
            "educations": acts["educations"],
            "works": acts["works"],
        }
    person = next((FIX / "recorded" / "person").glob(f"{orcid}_person*.json"))
    works = list((FIX / "recorded" / "works").glob(f"{orcid}_works*.json"))
    return {
        "person": _load(person),
        "employments": _empty(orcid, "employments"),
        "educations": _empty(orcid, "educations"),
        "works": _load(works[0]) if works else _empty(orcid, "works"),
    }


FULL_WORKS = {
    str(w["put-code"]): w for w in (_load(p) for p in (FIX / "recorded" / "work").glob("*.json"))
}


class OrcidApi:
    """A handler answering like pub.orcid.org/v3.0 from the recordings; logs the paths asked."""

    def __init__(self, sections: dict[str, dict[str, Any]]) -> None:
        self.sections = sections
        self.paths: list[str] = []

    def __call__(self, request: Request) -> Response:
        self.paths.append(request.path)
        parts = request.path.split("/")[3:]  # /orcid/v3.0/{orcid}/{section}[/{put-codes}]
        orcid, section = parts[0], parts[1]
        if orcid not in self.sections:
            body = (FIX / "recorded" / "errors" / "404_bad_orcid_person.json").read_text()
            return Response(body, status=404, content_type="application/json")
        if section == "works" and len(parts) == 3:
            bulk = []
            for code in parts[2].split(","):
                if code in FULL_WORKS:
                    bulk.append({"work": FULL_WORKS[code]})
                else:
                    bulk.append({"error": {"response-code": 404, "developer-message": code}})
            return Response(json.dumps({"bulk": bulk}), content_type="application/json")
        return Response(
            json.dumps(self.sections[orcid][section]), content_type="application/vnd.orcid+json"
        )


def serve(server: HTTPServer, sections: dict[str, dict[str, Any]]) -> OrcidApi:
    api = OrcidApi(sections)
    server.expect_request(_prefix_matcher("/orcid/v3.0/")).respond_with_handler(api)
    return api


def _prefix_matcher(prefix: str) -> Any:
    import re

    return re.compile("^" + re.escape(prefix) + ".*")


@pytest.mark.parametrize("orcid", [*RECORDED_PERSONS, *RECORD_FILES])
def test_every_recorded_person_imports_to_valid_records(
    orcid: str, local_server: HTTPServer, api_env: str
) -> None:
    sections = recorded_sections(orcid)
    api = serve(local_server, {orcid: sections})
    source = open_api(f"orcid:{orcid}", SourceOptions())
    assert isinstance(source, OrcidSource)
    records = [raw.data for raw in source.iter_records()]
    for record in records:
        assert check_record(record) == [], record
    person, works = records[0], records[1:]
    assert person["type"] == "Person" and person["orcid"] == orcid
    assert person["id"] == f"orcid:{orcid}"
    groups = sections["works"]["group"]
    assert len(works) == len(groups)
    summaries = [
        s
        for section in ("employments", "educations")
        for g in sections[section]["affiliation-group"]
        for s in g["summaries"]
    ]
    assert len(person.get("affiliations", [])) == len(summaries)
    bulk_requests = math.ceil(len(groups) / BULK_SIZE)
    assert source.stats["requests"] == 4 + bulk_requests == len(api.paths)
    assert source.stats["records"] == len(records) == source.expected
    for work in works:
        mine = [a for a in work["authors"] if a.get("person") == person["id"]]
        assert len(mine) == 1 and mine[0]["orcid"] == orcid


def test_person_fields_of_a_rich_profile(local_server: HTTPServer, api_env: str) -> None:
    orcid = "0000-0002-1642-628X"
    serve(local_server, {orcid: recorded_sections(orcid)})
    person = next(iter(open_api(f"orcid:{orcid}").iter_records())).data
    assert person["name"] == "Carl Boettiger"
    assert person["given_name"] == "Carl" and person["family_name"] == "Boettiger"
    assert person["topics"] == ["Ecology", "Evolution", "Regime Shifts", "Stochastic Dynamics"]
    assert "https://github.com/cboettig" in person["same_as"]
    # the Scopus author id arrives as an external identifier with its URL
    assert any("scopus.com" in url for url in person["same_as"])
    assert person["description"] == "http://carlboettiger.info"  # as he wrote it


def test_carberry_affiliations_dates_and_works(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server, {CARBERRY: recorded_sections(CARBERRY)})
    records = [r.data for r in open_api(f"orcid:{CARBERRY}").iter_records()]
    person = records[0]
    assert person["alternate_names"][:2] == ["Josiah Stinkney Carberry", "J. Carberry"]
    assert person["job_title"] == "Professor, Psychoceramics"
    wesleyan = person["affiliations"][0]
    # 1930-02-29 does not exist: the date keeps the precision it can
    assert wesleyan == {
        "name": "Wesleyan University",
        "role": "Professor, Psychoceramics",
        "start": "1930-02",
    }
    assert person["description"].startswith("Josiah Carberry is a fictitious person")
    titles = [r["title"] for r in records[1:]]
    assert "The Memory Bus Considered Harmful" in titles


def test_a_ror_disambiguated_employer_keeps_its_ror() -> None:
    sections = recorded_sections(CARBERRY)
    group = sections["employments"]["affiliation-group"][1]
    org = group["summaries"][0]["employment-summary"]["organization"]
    assert org["name"] == "Brown University"  # recorded as RINGGOLD; ROR is what ORCID uses now
    org["disambiguated-organization"] = {
        "disambiguated-organization-identifier": "https://ror.org/05gq02987",
        "disambiguation-source": "ROR",
    }
    source = OrcidSource(CARBERRY, SourceOptions())
    person = source.map_person(sections["person"], sections["employments"], sections["educations"])
    assert person["affiliations"][1]["ror"] == "05gq02987"
    assert "ror" not in person["affiliations"][0]  # RINGGOLD ids are not ROR ids


def test_bulk_details_are_fetched_in_batches_of_100(local_server: HTTPServer, api_env: str) -> None:
    orcid = "0000-0003-1444-9135"
    sections = recorded_sections(orcid)
    api = serve(local_server, {orcid: sections})
    source = open_api(f"orcid:{orcid}")
    records = list(source.iter_records())
    assert len(records) == 1 + 111
    bulk = [p for p in api.paths if p.count("/") == 5]
    assert [len(p.rsplit("/", 1)[1].split(",")) for p in bulk] == [100, 11]
    assert source.warnings == [
        f"orcid:{orcid}: 111 of 111 works had no full record; "
        "their authors other than the person are unknown"
    ]


def test_full_work_gives_contributors_in_order_and_the_abstract() -> None:
    work = FULL_WORKS["77226586"]
    source = OrcidSource("0000-0002-0734-2199", SourceOptions())
    record = source.map_work(work, work, owner_name="Sebastian Kreutzer")
    assert record is not None and check_record(record) == []
    assert [a["name"] for a in record["authors"]] == [
        "Sebastian Kreutzer",
        "Chantal Tribolo",
        "Loïc Martin",
        "Norbert Mercier",
    ]
    assert record["authors"][0]["person"] == "orcid:0000-0002-0734-2199"
    assert "position_unknown" not in record["authors"][0]
    assert record["abstract"].startswith("We present additional experiments")
    assert record["venue"] == "Ancient TL" and record["venue_type"] == "journal"


def test_contributor_roles_and_sequence_of_the_official_sample() -> None:
    # hand-written ORCID sample (schema-samples-json-write): 51 contributors with every role
    work = _load(FIX / "schema-samples-json-write" / "work-51-contributors-3.0.json")
    contributors = work["contributors"]["contributor"]
    record = OrcidSource("0000-0002-1825-0097", SourceOptions()).map_work(
        work, work, owner_name="Josiah Carberry"
    )
    assert record is not None and check_record(record) == []
    kept = [
        c["credit-name"]["value"]
        for c in contributors
        if c["contributor-attributes"]["contributor-role"]
        not in {"editor", "chair-or-translator", "assignee", "support-staff"}
    ]
    assert [a["name"] for a in record["authors"][:-1]] == kept
    assert record["authors"][0] == {"name": "Jordan", "orcid": "0000-0002-5391-5437"}  # "first"
    assert record["authors"][-1]["position_unknown"] is True  # Carberry is not listed


def test_a_contributor_marked_first_leads_the_list() -> None:
    work = json.loads(json.dumps(FULL_WORKS["77226586"]))
    people = work["contributors"]["contributor"]
    people[2]["contributor-attributes"] = {"contributor-sequence": "first"}
    record = OrcidSource("0000-0002-0734-2199", SourceOptions()).map_work(
        work, work, owner_name="Sebastian Kreutzer"
    )
    assert record is not None
    assert [a["name"] for a in record["authors"]][:2] == ["Loïc Martin", "Sebastian Kreutzer"]


def test_summary_only_work_keeps_the_person_without_a_position() -> None:
    works = _load(FIX / "recorded" / "works" / "0000-0002-9341-7985_works.json")
    source = OrcidSource("0000-0002-9341-7985", SourceOptions())
    summary = works["group"][0]["work-summary"][0]
    record = source.map_work(summary, None, owner_name="Peter Binfield")
    assert record == {
        "type": "Publication",
        "doi": "10.3233/isu-130714",
        "title": "PeerJ - A case study in improving research collaboration at the journal level",
        "authors": [
            {
                "name": "Peter Binfield",
                "orcid": "0000-0002-9341-7985",
                "person": "orcid:0000-0002-9341-7985",
                "position_unknown": True,
            }
        ],
        "date": "2013",
        "venue_type": "journal",
        "url": "http://www.scopus.com/inward/record.url?eid=2-s2.0-84889654399&partnerID=MN8TOARS",
    }


def test_unknown_orcid_is_a_clear_source_error(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server, {})
    source = open_api("orcid:0000-0002-1825-0097")
    with pytest.raises(SourceError, match=r"^no ORCID record 0000-0002-1825-0097 \("):
        list(source.iter_records())


def test_400_carries_the_api_message(local_server: HTTPServer, api_env: str) -> None:
    body = (FIX / "recorded" / "errors" / "400_search_bad_rows.json").read_text()
    local_server.expect_request(_prefix_matcher("/orcid/")).respond_with_data(
        body, status=400, content_type="application/json"
    )
    with pytest.raises(
        SourceError, match="The rows parameter must be an integer between 0 and 200"
    ):
        list(open_api(f"orcid:{CARBERRY}").iter_records())


def test_persistent_500_is_retried_then_reported(
    local_server: HTTPServer, api_env: str, sleeper: Sleeper
) -> None:
    body = (FIX / "recorded" / "errors" / "500_search_bad_start.json").read_text()
    local_server.expect_request(_prefix_matcher("/orcid/")).respond_with_data(
        body, status=500, content_type="application/json"
    )
    client = HttpClient("ORCID", sleep=sleeper, rand=lambda: 0.0, policy=RetryPolicy(attempts=3))
    source = OrcidSource(CARBERRY, SourceOptions(), client=client)
    with pytest.raises(SourceError, match=r"/person answered HTTP 500 .* after 3 tries$"):
        list(source.iter_records())
    assert len(local_server.log) == 3 and sleeper.waits == [1.0, 2.0]
    assert source.stats == {
        "requests": 1,
        "retries": 2,
        "cache_hits": 0,
        "bytes": len(body),
        "records": 0,
    }


def test_unexpected_shape_names_the_field(local_server: HTTPServer, api_env: str) -> None:
    sections = recorded_sections(CARBERRY)
    sections["works"] = {"group": {"oops": 1}}
    serve(local_server, {CARBERRY: sections})
    with pytest.raises(
        DataError,
        match=(
            r"^orcid:0000-0002-1825-0097: unexpected ORCID response: "
            r"'group' should be an array, got dict$"
        ),
    ):
        list(open_api(f"orcid:{CARBERRY}").iter_records())


def test_invalid_json_names_the_source(local_server: HTTPServer, api_env: str) -> None:
    local_server.expect_request(_prefix_matcher("/orcid/")).respond_with_data(
        "{truncated", status=200
    )
    with pytest.raises(
        DataError,
        match=r"^ORCID: http://127\.0\.0\.1:\d+/orcid/v3\.0/.*/person did not return valid JSON",
    ):
        list(open_api(f"orcid:{CARBERRY}").iter_records())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("123", "not an ORCID iD"),
        ("0000-0002-1825-0098", "check character is wrong"),
        ("https://orcid.org/0000-0002-1825-009", "not an ORCID iD"),
    ],
)
def test_malformed_spec_is_a_usage_error(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        open_api(f"orcid:{spec}")
    with pytest.raises(UsageError):
        parse_orcid_spec(spec)
