"""The API schemes as open_source sees them, and what every API source shares."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kg.errors import SourceError, UsageError
from kg.http import HttpClient
from kg.records import RecordSource, SourceOptions, open_source
from kg.records.apis import SCHEMES, CrossrefSource, DblpSource, OpenAlexSource, OrcidSource
from kg.records.apis._common import ApiSource
from kg.records.apis.orcid import OrcidSource as OrcidDirect
from tests.apis_conftest import (
    Sleeper,
    api_env,
    local_server,
    no_foreign_sockets,
    open_api,
    sleeper,
)
from tests.conftest import require_shared

# The fixtures are imported for pytest to find; naming them here marks them as used.
FIXTURES = (api_env, local_server, no_foreign_sockets, sleeper)


@pytest.mark.parametrize(
    ("spec", "cls", "key", "label"),
    [
        (
            "orcid:https://orcid.org/0000-0002-1825-0097",
            OrcidSource,
            "https://pub.orcid.org/v3.0/0000-0002-1825-0097",
            "orcid:0000-0002-1825-0097",
        ),
        (
            "openalex:a5023888391",
            OpenAlexSource,
            "https://api.openalex.org/authors/A5023888391",
            "openalex:A5023888391",
        ),
        (
            "doi:https://doi.org/10.1038/SREP16696",
            CrossrefSource,
            "https://api.crossref.org/works/10.1038/srep16696",
            "doi:10.1038/srep16696",
        ),
        ("dblp:95/7448-1", DblpSource, "https://dblp.org/pid/95/7448-1", "dblp:95/7448-1"),
    ],
)
def test_specs_open_sources_with_stable_keys(
    spec: str, cls: type, key: str, label: str, api_env: str
) -> None:
    source = open_source(spec, SourceOptions())
    assert isinstance(source, cls) and isinstance(source, RecordSource)
    assert isinstance(source, ApiSource)
    # the key is the public URL even when the API is moved (here to 127.0.0.1): same named graph
    assert source.key == key and source.label == label
    assert source.stats == {"requests": 0, "retries": 0, "cache_hits": 0, "bytes": 0, "records": 0}
    assert source.warnings == []


def test_registered_schemes() -> None:
    assert sorted(SCHEMES) == ["dblp", "doi", "openalex", "orcid"]
    assert OrcidSource is OrcidDirect
    with pytest.raises(UsageError, match=r"known: .*dblp:, doi:, openalex:, orcid:"):
        open_source("zotero:123")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_down_is_a_clear_source_error(
    monkeypatch: pytest.MonkeyPatch, sleeper: Sleeper
) -> None:
    port = _closed_port()
    monkeypatch.setenv("KG_ORCID_API", f"http://127.0.0.1:{port}/v3.0")
    client = HttpClient("ORCID", sleep=sleeper, rand=lambda: 0.0)
    source = OrcidDirect("0000-0002-1825-0097", SourceOptions(), client=client)
    with pytest.raises(SourceError) as info:
        list(source.iter_records())
    assert str(info.value) == (
        f"ORCID: cannot reach 127.0.0.1:{port} (Connection refused) after 1 try: "
        f"http://127.0.0.1:{port}/v3.0/0000-0002-1825-0097/person"
    )
    assert sleeper.waits == []  # refused: fails at once (kg.http._unreachable)
    assert source.stats["retries"] == 0 and source.stats["records"] == 0


def test_a_second_orcid_import_with_cache_sends_nothing(
    local_server: HTTPServer, api_env: str, tmp_path: Path
) -> None:
    record = json.loads(
        require_shared(
            "fixtures/orcid/recorded/record/0000-0002-1825-0097_record_josiah-carberry.json"
        ).read_text()
    )
    acts = record["activities-summary"]
    answers = {
        "person": record["person"],
        "employments": acts["employments"],
        "educations": acts["educations"],
        "works": acts["works"],
    }

    def handler(request: Request) -> Response:
        section = request.path.split("/")[4]
        if request.path.count("/") == 5:  # the bulk works request: no full works recorded
            return Response(json.dumps({"bulk": []}), content_type="application/json")
        return Response(json.dumps(answers[section]), content_type="application/json")

    local_server.expect_request(re.compile("^/orcid/.*")).respond_with_handler(handler)
    options = SourceOptions(cache_dir=tmp_path)
    first = open_api("orcid:0000-0002-1825-0097", options)
    n = len(list(first.iter_records()))
    second = open_api("orcid:0000-0002-1825-0097", options)
    assert len(list(second.iter_records())) == n == 7
    assert first.stats["requests"] == 5 and second.stats["requests"] == 0
    assert second.stats["cache_hits"] == 5
    assert len(local_server.log) == 5
