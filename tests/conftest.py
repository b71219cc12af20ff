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
from tests.golden import set_updating
from tests.servers import OxigraphServer, VirtuosoServer, oxigraph_binary, virtuoso_binary

pytest_plugins = ["tests._audit"]

IN_CI = os.environ.get("CI", "").lower() == "true"

#: W3C SHACL suite cases per engine that ran them (tests/test_shacl_w3c.py), for the summary
W3C_RUNS: Counter[str] = Counter()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files under tests/data from this run (tests/golden.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    update = bool(config.getoption("--update-golden"))
    if update and IN_CI:
        raise pytest.UsageError("--update-golden is refused under CI=true: CI only compares")
    set_updating(update)


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


def shared_path(*parts: str) -> Path:
    """A path under ../shared for module-level constants (and parametrization).

    The one way tests name a ``../shared`` file besides :func:`require_shared`: under CI=true a
    missing path stops the collection of the module that needs it (an error, never a skip);
    locally the path is returned as is and the tests that read it call :func:`require_shared` or
    carry :func:`needs_shared`.
    """
    path = shared_dir().joinpath(*parts)
    if IN_CI and not path.exists():
        raise RuntimeError(f"CI=true: shared fixture {path} is missing; CI must run the real thing")
    return path


def require_shared(*parts: str) -> Path:
    """A path under ../shared; skip when absent locally, fail under CI=true."""
    path = shared_dir().joinpath(*parts)
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"CI=true: shared fixture {path} is missing")
    pytest.skip(f"shared fixture {path} is missing (set KG_SHARED)")


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """Mark a test that reads ``../shared/<parts>``: skipped locally when it is absent, never
    under CI=true (where :func:`shared_path` already failed the module)."""
    path = shared_path(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"shared fixture {path} is missing")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples (examples/group, examples/seed) ingested once, read-only after: the
    store the help examples, README tour and handle tests run against."""
    from kg.cli import main
    from kg.shared import project_root

    store = tmp_path_factory.mktemp("demo") / "kg-store"
    examples = project_root() / "examples"
    assert main(["-q", "ingest", "--store", str(store), str(examples / "group"),
                 str(examples / "seed")]) == 0  # fmt: skip
    return store


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A live Oxigraph SPARQL server for the whole session; tests clear it as they need."""
    binary = require_tool("oxigraph server", oxigraph_binary())
    server = OxigraphServer(binary, tmp_path_factory.mktemp("oxigraph"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A live OpenLink Virtuoso for the whole session (Debian's virtuoso-opensource, installed
    by `make test` as root); tests clear kg's graphs as they need."""
    binary = require_tool("virtuoso-t (Debian virtuoso-opensource)", virtuoso_binary())
    server = VirtuosoServer(binary, tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


#: The three stores the store, ingest, queries, validate and export suites run on.
ENGINES = ["embedded", "oxigraph", "virtuoso"]


def remote_url(request: pytest.FixtureRequest, engine: str) -> str:
    """The query URL of a cleared live server of ``engine`` ("oxigraph" or "virtuoso")."""
    server: OxigraphServer | VirtuosoServer = request.getfixturevalue(f"{engine}_server")
    server.clear()
    return f"{server.url}/query" if isinstance(server, OxigraphServer) else server.url


def open_engine(
    request: pytest.FixtureRequest, engine: str, tmp_path: Path
) -> EmbeddedStore | RemoteStore:
    """A fresh store of ``engine``: an embedded store in ``tmp_path`` or a cleared server."""
    if engine == "embedded":
        return EmbeddedStore(tmp_path / "store")
    return RemoteStore(remote_url(request, engine))


@pytest.fixture(params=ENGINES)
def any_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[EmbeddedStore | RemoteStore]:
    """The same store suite runs on the embedded store, a live Oxigraph server and Virtuoso."""
    store = open_engine(request, request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture(params=ENGINES)
def engine_target(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """``kg`` options that point a command at a fresh store of each engine."""
    if request.param == "embedded":
        return ["--store", str(tmp_path / "store")]
    return ["--endpoint", remote_url(request, request.param)]


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
