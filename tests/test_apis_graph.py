"""Every recorded real API response, imported through the whole pipeline (records -> resolution
-> RDF -> SHACL gate -> store) from the local test server, gives a graph that `kg validate`
accepts: no violation, ordered authors, identifiers."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

import tests.test_apis_crossref as crossref
import tests.test_apis_dblp as dblp
import tests.test_apis_openalex as openalex
import tests.test_apis_orcid as orcid
from kg import ingest, validate
from kg.store import EmbeddedStore, SelectResult, stats
from tests.apis_conftest import api_env, local_server, no_foreign_sockets

FIXTURES = (api_env, local_server, no_foreign_sockets)


def _ingest_and_validate(specs: list[str]) -> EmbeddedStore:
    store = EmbeddedStore(None)
    report = ingest(specs, store)
    assert report.exit_code == 0, [str(r) for r in report.rejected] + [
        s.error for s in report.sources if s.error
    ]
    checked = validate(store)
    violations = [
        f"{r.label}: {r.message}" for r in checked.results if r.severity.name == "VIOLATION"
    ]
    assert checked.conforms, violations
    return store


def _positions_are_one_to_n(store: EmbeddedStore) -> None:
    res = store.query(
        """PREFIX kg: <https://w3id.org/kg/vocab#>
        SELECT ?w (COUNT(DISTINCT ?p) AS ?n) (MAX(?p) AS ?max) WHERE {
          ?w kg:authorship ?a . ?a kg:position ?p } GROUP BY ?w"""
    )
    assert isinstance(res, SelectResult) and res.rows
    for row in res.dicts():
        assert row["n"] == row["max"], row


def test_every_crossref_work(local_server: HTTPServer, api_env: str) -> None:
    crossref.serve(local_server)
    dois = [p.stem.replace("_", "/", 1) for p in crossref.WORK_FILES]
    store = _ingest_and_validate([f"doi:{d}" for d in dois])
    assert stats(store).publications == len(dois)
    _positions_are_one_to_n(store)


def test_openalex_author_and_works(local_server: HTTPServer, api_env: str) -> None:
    openalex.serve(local_server)
    store = _ingest_and_validate([f"openalex:{openalex.PRIEM}"])
    assert stats(store).publications > 0
    _positions_are_one_to_n(store)


def test_dblp_person(local_server: HTTPServer, api_env: str) -> None:
    dblp.serve(local_server)
    store = _ingest_and_validate(["dblp:95/7448-1"])
    assert stats(store).publications > 0
    _positions_are_one_to_n(store)


@pytest.mark.parametrize("iD", [*orcid.RECORDED_PERSONS, *orcid.RECORD_FILES])
def test_every_orcid_record(iD: str, local_server: HTTPServer, api_env: str) -> None:
    orcid.serve(local_server, {iD: orcid.recorded_sections(iD)})
    store = _ingest_and_validate([f"orcid:{iD}"])
    assert stats(store).people >= 1
