"""Shared fixtures: a real Oxigraph server on 127.0.0.1, the store under test, the CI rule.

With ``CI=true`` a missing tool (the Oxigraph server, Chromium) fails the run instead of
skipping, so CI proves the real thing ran (``require_tool``).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.shared import shared_dir
from kg.store import EmbeddedStore, RemoteStore
from tests.servers import OxigraphServer, oxigraph_binary

pytest_plugins = ["tests._audit"]

IN_CI = os.environ.get("CI", "").lower() == "true"

#: W3C SHACL suite cases per engine that ran them (tests/test_shacl_w3c.py), for the summary
W3C_RUNS: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many W3C SHACL cases each engine ran (item 7 of the suite's contract: none is
    skipped; the SPARQL translation's gaps run through engine="auto")."""
    if W3C_RUNS:
        counts = ", ".join(f"{n} on {engine}" for engine, n in sorted(W3C_RUNS.items()))
        terminalreporter.write_line(f"W3C SHACL suite: {counts}")


def require_tool(name: str, path: str | None) -> str:
    """The tool's path; skip with a reason when missing, but fail under CI=true."""
    if path and Path(path).exists():
        return path
    message = f"{name} is not installed (expected at {path or name})"
    if IN_CI:
        pytest.fail(f"CI=true: {message}; CI must run the real thing")
    pytest.skip(message)


def require_shared(*parts: str) -> Path:
    """A path under ../shared; skip when absent locally, fail under CI=true."""
    path = shared_dir().joinpath(*parts)
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"CI=true: shared fixture {path} is missing")
    pytest.skip(f"shared fixture {path} is missing (set KG_SHARED)")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A live Oxigraph SPARQL server for the whole session; tests clear it as they need."""
    binary = require_tool("oxigraph server", oxigraph_binary())
    server = OxigraphServer(binary, tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "remote"])
def any_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[EmbeddedStore | RemoteStore]:
    """The same store suite runs on the embedded store and on a live Oxigraph server."""
    if request.param == "embedded":
        store: EmbeddedStore | RemoteStore = EmbeddedStore(tmp_path / "store")
    else:
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        server.clear()
        store = RemoteStore(f"{server.url}/query")
    yield store
    store.close()


DATA_SHAPES = ("person.ttl", "organization.ttl", "publication.ttl", "provenance.ttl")


@pytest.fixture
def data_shapes_only(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point ``KG_SHAPES`` at the data shapes alone, for tests whose expected results are about
    them (the Google/Scholar shapes for web pages are tested in tests/test_export_shapes.py)."""
    folder = tmp_path_factory.getbasetemp() / "data-shapes"
    if not folder.exists():
        folder.mkdir()
        for name in DATA_SHAPES:
            shutil.copy(Path(__file__).parent.parent / "shapes" / name, folder / name)
    monkeypatch.setenv("KG_SHAPES", str(folder))
    return folder
