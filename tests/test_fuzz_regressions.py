"""Regression tests for bugs the API, page and HTML-render fuzz targets found (docs/reliability.md,
"Bugs the fuzzer found"), each through the real entry point that failed."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from kg.errors import LimitError
from kg.records.sources import open_source
from tests.apis_conftest import api_env, local_server, no_foreign_sockets

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
        list(open_source("doi:10.1000/xyz").iter_records())


def test_an_api_response_over_the_response_limit_is_refused_before_parsing(
    local_server: HTTPServer, api_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "1000")
    local_server.expect_request("/openalex/authors/A5023888391").respond_with_data(
        '{"id": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    with pytest.raises(LimitError, match=r"size 2010 bytes exceeds KG_MAX_RESPONSE_BYTES=1000"):
        list(open_source("openalex:A5023888391").iter_records())
