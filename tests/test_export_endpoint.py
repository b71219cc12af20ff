"""The export reads the same pages from a SPARQL endpoint as from the embedded store: a real
Oxigraph server (the ``oxigraph`` package's binary) and a real Virtuoso on 127.0.0.1.

This file starts its own server; the lead's shared ``oxigraph_server`` fixture can replace it.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.export import export_jsonld
from kg.ingest import ingest
from kg.store import RemoteStore
from tests.conftest import remote_url
from tests.export_helpers import BASE, RECORDS, store_from

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["oxigraph", "virtuoso"])
def endpoint(request: pytest.FixtureRequest) -> str:
    """The shared live Oxigraph server or Virtuoso (tests/conftest.py), emptied for this test."""
    return remote_url(request, request.param)


def _stable(doc: dict[str, Any]) -> dict[str, Any]:
    """Without the load times (dateCreated/dateModified): the two stores are loaded seconds apart."""
    for node in doc["@graph"]:
        node.pop("dateModified", None)
        node.pop("dateCreated", None)
    return doc


def test_endpoint_export_equals_embedded_export(endpoint: str, tmp_path: Path) -> None:
    remote = RemoteStore(endpoint)
    assert ingest([str(RECORDS)], remote).exit_code == 0
    a = export_jsonld(remote, tmp_path / "remote", base_url=BASE)
    b = export_jsonld(store_from(RECORDS), tmp_path / "embedded", base_url=BASE)
    assert a.written == b.written and len(a.held_back) == len(b.held_back) == 1
    files = sorted(
        p.relative_to(tmp_path / "embedded") for p in (tmp_path / "embedded").rglob("*.jsonld")
    )
    assert files == sorted(
        p.relative_to(tmp_path / "remote") for p in (tmp_path / "remote").rglob("*.jsonld")
    )
    for rel in files:
        remote_doc = json.loads((tmp_path / "remote" / rel).read_text("utf-8"))
        embedded_doc = json.loads((tmp_path / "embedded" / rel).read_text("utf-8"))
        if rel.parts[0] == "people":
            assert remote_doc["@graph"][0]["dateModified"]
        assert _stable(remote_doc) == _stable(embedded_doc), rel
