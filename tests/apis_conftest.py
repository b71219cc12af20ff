"""Fixtures for the API importer tests: a real HTTP server on 127.0.0.1 and a no-internet guard.

Test modules import the fixtures they use (``from apis_conftest import local_server, ...``); the
guard :func:`no_foreign_sockets` is autouse, so importing it into a module covers that module. The
root tests/conftest.py makes it global the same way:

    from apis_conftest import no_foreign_sockets  # noqa: F401  (autouse: every test)

It patches ``socket.socket.connect``/``connect_ex`` and ``socket.getaddrinfo`` so that any attempt
to resolve or connect to an address other than the loopback fails the test at once, with the
address in the message, instead of silently reaching the internet.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from kg.records import SourceOptions, open_source
from kg.records.apis._common import ApiSource
from tests.conftest import require_shared

__all__ = [
    "Sleeper",
    "api_env",
    "fixture_path",
    "load_fixture",
    "local_server",
    "no_foreign_sockets",
    "sleeper",
]

_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


class ForeignConnectionError(AssertionError):
    """A test tried to reach a host other than the loopback."""


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_foreign_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that resolves or connects to an address outside 127.0.0.1 / ::1."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if not _is_local(host):
                raise ForeignConnectionError(f"test tried to connect to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _is_local(name):
            raise ForeignConnectionError(f"test tried to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


_SERVER: list[HTTPServer] = []


def _shared_server() -> HTTPServer:
    """One threaded server for the whole run (started on first use, stopped at exit)."""
    if not _SERVER:
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        atexit.register(lambda: server.stop() if server.is_running() else None)
        _SERVER.append(server)
    return _SERVER[0]


@pytest.fixture
def local_server() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1, emptied before and after each test."""
    server = _shared_server()
    server.clear()
    yield server
    server.clear()


@pytest.fixture
def api_env(local_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every API base URL (KG_*_API) at the local server; returns its root URL."""
    root = local_server.url_for("").rstrip("/")
    monkeypatch.setenv("KG_ORCID_API", f"{root}/orcid/v3.0")
    monkeypatch.setenv("KG_OPENALEX_API", f"{root}/openalex")
    monkeypatch.setenv("KG_CROSSREF_API", f"{root}/crossref")
    monkeypatch.setenv("KG_DBLP_API", f"{root}/dblp")
    monkeypatch.delenv("KG_MAILTO", raising=False)
    monkeypatch.delenv("KG_OPENALEX_API_KEY", raising=False)
    return root


class Sleeper:
    """An injected ``sleep``: records every wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


def fixture_path(api: str, *parts: str) -> Path:
    """A recorded response under ../shared/fixtures/{api}/ (fails under CI=true when absent)."""
    return require_shared("fixtures", api, *parts)


def load_fixture(api: str, *parts: str) -> Any:
    """A recorded JSON response, parsed."""
    return json.loads(fixture_path(api, *parts).read_text("utf-8"))


def open_api(spec: str, options: SourceOptions | None = None) -> ApiSource:
    """``open_source`` for an API spec (``orcid:``, ``openalex:``, ``doi:``, ``dblp:``), typed as
    the API source it returns (counters, warnings, records)."""
    source = open_source(spec, options)
    assert isinstance(source, ApiSource), spec
    return source
