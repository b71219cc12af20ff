"""The session-wide audit hook (tests/_audit.py) refuses network and file requests before they
happen, and kg's parsers never fetch what data asks for (JSON-LD contexts, XML entities)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kg.ingest import ingest
from kg.store import EmbeddedStore
from tests import _audit
from tests._audit import IsolationViolation, allow, expect_violation


def test_the_hook_is_active_for_this_session() -> None:
    assert _audit._installed, "register it: pytest_plugins = ['tests._audit'] in conftest.py"


@pytest.mark.parametrize("address", [("10.255.255.1", 80), ("8.8.8.8", 53)])
def test_connect_to_a_non_loopback_address_is_refused_before_it_starts(
    address: tuple[str, int],
) -> None:
    # 10.255.255.1 is unroutable: a connect that really started would hang until the timeout.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        start = time.monotonic()
        with expect_violation(), pytest.raises(IsolationViolation, match=r"socket\.connect"):
            sock.connect(address)
        assert time.monotonic() - start < 0.5, "the hook must refuse before connecting"


def test_udp_sendto_and_dns_lookups_are_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        expect_violation(),
        pytest.raises(IsolationViolation, match="sendto"),
    ):
        sock.sendto(b"x", ("8.8.8.8", 53))
    with expect_violation(), pytest.raises(IsolationViolation, match="getaddrinfo"):
        socket.getaddrinfo("example.org", 443)


def test_a_violation_the_code_swallows_still_fails_its_test(tmp_path: Path) -> None:
    """A violation fails its test even when the code under test catches the exception; a
    violation outside any test fails the session. Run in a child pytest with the plugin."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests._audit"]\n')
    (tmp_path / "test_inner.py").write_text(
        "import contextlib, urllib.request\n"
        "def test_swallowed():\n"
        "    with contextlib.suppress(Exception):\n"
        "        urllib.request.urlopen('http://10.255.255.1/', timeout=5)\n"
        "def test_clean():\n"
        "    assert True\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-o", "addopts=", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "1 failed, 1 passed" in out, out
    assert "1 isolation violation(s) during test call: socket.getaddrinfo 10.255.255.1" in out
    assert "isolation audit: 1 network and 0 file request(s)" in out, out


def test_loopback_is_allowed(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)


def test_reading_a_file_outside_the_allow_list_is_refused() -> None:
    outside = "/etc/passwd" if os.path.exists("/etc/passwd") else "/etc/hostname"
    with expect_violation() as caught, open(outside, "rb"):
        pass
    assert caught and "read /etc/" in str(caught[0])
    with expect_violation(), pytest.raises(IsolationViolation):
        os.open(outside, os.O_RDONLY)


def test_writing_outside_the_project_and_tmp_is_refused() -> None:
    # The venv's stdlib is readable, never writable.
    target = Path(os.__file__).with_name("kg-isolation-probe.txt")
    with expect_violation(), pytest.raises(IsolationViolation, match="write"):
        target.open("w")
    assert not target.exists()


def test_allowed_places_open_normally(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("ok")
    assert (tmp_path / "a.txt").read_text() == "ok"
    assert Path(json.__file__).read_text(encoding="utf-8")
    assert Path(sys.executable).exists()
    with allow(paths=("/etc",)):
        if os.path.exists("/etc/hostname"):
            Path("/etc/hostname").read_bytes()


def test_jsonld_remote_context_is_refused_and_never_fetched(tmp_path: Path) -> None:
    """pyoxigraph has no document loader here; kg refuses a remote @context before parsing, and
    the audit hook (active for this test) proves nothing was requested."""
    for ref in ("http://10.255.255.1/context.jsonld", "file:///etc/passwd", "ctx.jsonld"):
        doc = {"@context": ref, "@id": "http://example.org/a", "name": "A"}
        path = tmp_path / "a.jsonld"
        path.write_text(json.dumps(doc))
        report = ingest([str(path)], EmbeddedStore(None))
        error = report.sources[0].error or ""
        assert "is a remote document, which kg never fetches" in error, error
        assert repr(ref) in error
    nested = {"@context": {"@import": "http://10.255.255.1/c"}, "@id": "http://e/a"}
    path.write_text(json.dumps(nested))
    assert "never fetches" in (ingest([str(path)], EmbeddedStore(None)).sources[0].error or "")


def test_jsonld_with_an_inline_context_loads(tmp_path: Path) -> None:
    doc = {"@context": {"@vocab": "https://schema.org/"}, "@id": "http://example.org/a",
           "name": "A"}  # fmt: skip
    path = tmp_path / "a.jsonld"
    path.write_text(json.dumps(doc))
    report = ingest([str(path)], EmbeddedStore(None))
    assert report.ok and report.sources[0].triples == 1


def test_rdfxml_entity_expansion_is_refused(tmp_path: Path) -> None:
    """A billion-laughs RDF/XML file: refused before pyoxigraph expands anything."""
    laughs = "".join(
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    path = tmp_path / "lol.rdf"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY l0 "lol">{laughs}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://e/s"><e:p>&l9;</e:p></rdf:Description></rdf:RDF>'
    )
    start = time.monotonic()
    report = ingest([str(path)], EmbeddedStore(None))
    assert time.monotonic() - start < 2
    assert "XML document type declaration (<!DOCTYPE) refused" in (report.sources[0].error or "")


def test_rdfxml_without_a_doctype_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.owl"
    path.write_text(
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:e="http://e/"><rdf:Description rdf:about="http://e/s"><e:p>x</e:p>'
        "</rdf:Description></rdf:RDF>"
    )
    report = ingest([str(path)], EmbeddedStore(None))
    assert report.ok and report.sources[0].triples == 1


def test_urllib_to_the_internet_is_refused_without_a_packet() -> None:
    with expect_violation(), pytest.raises(urllib.error.URLError) as raised:
        urllib.request.urlopen("http://8.8.8.8/", timeout=5)
    assert isinstance(raised.value.reason, IsolationViolation)


def test_bare_pyoxigraph_does_not_fetch_a_remote_jsonld_context() -> None:
    """What kg relies on underneath its own refusal: pyoxigraph 0.5 has no document loader
    unless one is given, so it fails instead of fetching (the audit hook sees no request). If an
    upgrade starts fetching, this test fails (a violation or a parse that succeeds)."""
    import pyoxigraph as ox

    before = len(_audit.violations())
    doc = b'{"@context": "http://10.255.255.1/c.jsonld", "@id": "http://e/a", "name": "A"}'
    with pytest.raises(SyntaxError, match="LoadDocumentCallback"):
        list(ox.parse(doc, ox.RdfFormat.JSON_LD))
    assert len(_audit.violations()) == before
