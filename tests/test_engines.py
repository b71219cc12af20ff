"""The README tour on three stores -- the embedded store, a live Oxigraph server and a live
Virtuoso -- with the same results; and what a remote engine must not do silently: lose the union
default graph, cut answers at its result cap, hang past the timeout, or echo a password
(docs/endpoints.md)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests

from kg.cli import main
from kg.export.incremental import MANIFEST
from kg.ids import source_family
from kg.queries import load_queries, run_query
from kg.store import RemoteStore, dump_bytes, open_store, stats
from tests.conftest import ENGINES, remote_url, require_tool
from tests.queries_support import comparable
from tests.servers import VIRTUOSO_MAX_ROWS, OxigraphServer, VirtuosoServer, oxigraph_binary

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [str(ROOT / "examples" / "group"), str(ROOT / "examples" / "seed")]
BASE_URL = "https://lab.example.org/"
#: a load graph's id and the times of a load differ from run to run
_LOAD = re.compile(r"(https://w3id\.org/kg/graph/source/[0-9a-f]+)/[^>#\s\"]+")
_TIME = re.compile(r"\"\d{4}-\d\d-\d\dT[^\"]*\"\^\^<http://www\.w3\.org/2001/XMLSchema#dateTime>")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?")


def _masked(text: str) -> str:
    return _STAMP.sub("(time)", _TIME.sub('"(time)"', _LOAD.sub(r"\1/(load)", text)))


def _tour(target: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The README's CLI tour on one store: what each step printed, with load ids and times
    masked, and every saved query's answer to its example."""
    out: dict[str, Any] = {}

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([*argv, *target])
        got = capsys.readouterr()
        where = str(tmp)
        return (
            code,
            _masked(got.out.replace(where, "(tmp)")),
            _masked(got.err.replace(where, "(tmp)")),
        )

    out["ingest"] = run("ingest", *EXAMPLES)
    out["re-ingest"] = run("ingest", *EXAMPLES)
    out["stats"] = run("stats", "--json")
    out["validate"] = run("validate", "--severity", "violation")
    out["validate-json"] = run("validate", "--format", "json")
    dump = tmp / "graph.nt"
    out["dump-code"] = run("dump", "--format", "nt", "--out", str(dump))[0]
    out["dump"] = sorted(_masked(dump.read_text("utf-8")).splitlines())
    for kind in ("html", "jsonld"):
        folder = tmp / kind
        code, _, err = run("export", kind, "--out", str(folder), "--base-url", BASE_URL)
        # every page; not the incremental export's manifest (load times, the engine's row order)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
        out[f"export-{kind}"] = (
            code,
            err,
            {str(p.relative_to(folder)): _masked(p.read_text("utf-8")) for p in files},
        )
    store = (
        open_store(store=target[1]) if target[0] == "--store" else open_store(endpoint=target[1])
    )
    with closing(store):
        for name, query in sorted(load_queries().items()):
            answer = run_query(name, query.example_values(), store=store)
            out[f"query {name}"] = comparable(answer)
        graphs = sorted({source_family(g) for g in _graphs(store)})
    out["graphs"] = graphs
    return out


def _graphs(store: Any) -> list[str]:
    answer = run_query("quality-loads", store=store)
    return [str(r["graph"]) for r in answer.records()]


@pytest.fixture(scope="module")
def tours() -> dict[str, dict[str, Any]]:
    return {}


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_the_readme_tour_gives_the_same_results_on_every_store(
    engine: str,
    tours: dict[str, dict[str, Any]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if engine == "embedded":
        target = ["--store", str(tmp_path / "store")]
    else:
        target = ["--endpoint", remote_url(request, engine)]
    tour = _tour(target, tmp_path, capsys)
    # the tour itself, as the README prints it
    assert tour["ingest"][0] == 0 and tour["ingest"][2].count(": loaded,") == 6, tour["ingest"]
    assert tour["re-ingest"][0] == 0 and tour["re-ingest"][2].count(": unchanged,") == 6
    assert json.loads(tour["stats"][1]) == {
        "triples": 2446, "quads": 2654, "people": 59, "organizations": 3,
        "publications": 35, "graphs": 6,
    }  # fmt: skip
    assert tour["validate"][:2] == (0, "0 violations, 0 warnings, 0 infos\n")
    assert tour["dump-code"] == 0 and len(tour["dump"]) == 2446
    assert tour["export-html"][0] == 1 and tour["export-html"][2]  # pages held back: exit 1
    tours[engine] = tour
    if engine != "embedded":
        reference = tours.get("embedded")
        if reference is None:
            pytest.skip("the embedded tour did not run first (run the whole parametrization)")
        for step in reference:
            assert _diff(tour[step], reference[step]) is None, (
                f"{engine}: {step} differs from the embedded store: {_diff(tour[step], reference[step])}"
            )


def _diff(got: Any, want: Any) -> str | None:
    """Where two tour steps differ (the first differing line or file), or None."""
    if got == want:
        return None
    if isinstance(want, tuple):
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            if a != b:
                return f"part {i}: {_diff(a, b)}"
    if isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            if got.get(key) != want.get(key):
                return f"{key}: {_diff(got.get(key), want.get(key))}"
    if isinstance(want, list) and isinstance(got, list):
        extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        return f"{len(got)} vs {len(want)}; extra {extra[:3]}; missing {missing[:3]}"
    if isinstance(want, str) and isinstance(got, str):
        for a, b in zip(got.splitlines(), want.splitlines(), strict=False):
            if a != b:
                return f"{a[:300]!r} != {b[:300]!r}"
    return f"{str(got)[:300]} != {str(want)[:300]}"


# -- the union default graph -------------------------------------------------------------------


@pytest.fixture
def no_union_server(tmp_path: Path) -> Iterator[OxigraphServer]:
    """An Oxigraph server started WITHOUT --union-default-graph (like Fuseki's default)."""
    server = OxigraphServer(
        require_tool("oxigraph server", oxigraph_binary()), tmp_path, union=False
    )
    yield server
    server.stop()


def test_a_server_without_the_union_default_graph_is_refused_with_its_flag(
    no_union_server: OxigraphServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{no_union_server.url}/query"
    people = tmp_path / "people.json"
    people.write_text(json.dumps([{"type": "Person", "id": "ada", "name": "Ada Lovelace"}]))
    # an empty server: the ingest probes before it writes anything
    assert main(["ingest", "--endpoint", url, str(people)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--union-default-graph" in err, err
    # kg's graphs written there by other means: every reading command refuses
    graph = "https://w3id.org/kg/graph/source/0123456789abcdef/1"
    body = f'<{graph}> <https://w3id.org/kg/vocab#sourceLabel> "people.json" .\n'
    requests.post(
        f"{no_union_server.url}/store", params={"graph": graph}, data=body.encode(),
        headers={"Content-Type": "application/n-triples"}, timeout=10,
    ).raise_for_status()  # fmt: skip
    for argv in (["stats"], ["validate"], ["query", "run", "find-people", "-p", "text=a"]):
        assert main([*argv, "--endpoint", url]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert (
            "does not query the union of its named graphs" in err and "--union-default-graph" in err
        )
    assert main(["doctor", "--endpoint", url]) == 1
    out = capsys.readouterr().out
    assert "FAIL  union default graph" in out and "--union-default-graph" in out


# -- Virtuoso: result cap, system graphs, blank nodes, credentials, capabilities ---------------


@pytest.fixture
def virtuoso(virtuoso_server: VirtuosoServer) -> VirtuosoServer:
    virtuoso_server.clear()
    return virtuoso_server


def _post_graph(server: VirtuosoServer, graph: str, body: str) -> None:
    url = server.url.replace("/sparql", "/sparql-graph-crud")
    requests.post(
        url, params={"graph": graph}, data=body.encode(),
        headers={"Content-Type": "application/n-triples"}, timeout=60,
    ).raise_for_status()  # fmt: skip


def test_virtuoso_result_cap_is_detected_never_a_short_answer(
    virtuoso: VirtuosoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = "https://w3id.org/kg/graph/source/00000000000000aa/1"
    many = VIRTUOSO_MAX_ROWS + 500
    lines = [f'<{graph}> <https://w3id.org/kg/vocab#sourceLabel> "big" .']
    lines += [f'<urn:x:{i}> <https://schema.org/name> "n{i}" .' for i in range(many)]
    _post_graph(virtuoso, graph, "\n".join(lines) + "\n")
    with closing(RemoteStore(virtuoso.url)) as store:
        assert stats(store).quads == many + 1  # counts are not capped
        assert store.result_cap == VIRTUOSO_MAX_ROWS
        assert store.row_cap == VIRTUOSO_MAX_ROWS - 1  # the saved-query row cap: a store setting
        answer = run_query("find-people", {"text": ""}, store=store)
        assert answer.max_rows == VIRTUOSO_MAX_ROWS - 1
    assert main(["dump", "--endpoint", virtuoso.url, "--format", "nt"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cut the answer at 20,000 rows" in err
    assert "ResultSetMaxRows" in err
    assert main(["sparql", "--endpoint", virtuoso.url, "--limit", "50000",
                 "SELECT ?s WHERE { ?s <https://schema.org/name> ?o }"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ResultSetMaxRows" in err


def test_virtuoso_system_graphs_stay_out_and_blank_nodes_read_back(
    virtuoso: VirtuosoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "extra.ttl"
    data.write_text(
        "@prefix schema: <https://schema.org/> .\n"
        '<https://e.org/p> a schema:Person ; schema:name "P" ; schema:address [ schema:name "Home" ] .\n'
    )
    assert main(["ingest", "--endpoint", virtuoso.url, str(data)]) == 0
    assert virtuoso.system_graphs  # Virtuoso keeps graphs of its own...
    with closing(RemoteStore(virtuoso.url)) as store:
        s = stats(store)
        assert (s.graphs, s.people) == (1, 1)  # ...that never show in kg's counts
        nt = dump_bytes(store, "nt").decode()
    assert "openlinksw" not in nt and "nodeID://" not in nt
    assert re.search(r'_:\S+ <https://schema.org/name> "Home" \.', nt), nt


def test_virtuoso_credentials_by_digest_never_echoed(
    virtuoso: VirtuosoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = virtuoso.url + "-auth"  # Virtuoso's authenticated endpoint asks for HTTP Digest
    monkeypatch.delenv("KG_ENDPOINT_USER", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent")
    assert main(["stats", "--endpoint", url]) == 1
    assert "asks for credentials (401)" in capsys.readouterr().err
    monkeypatch.setenv("KG_ENDPOINT_USER", "dba")
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "wrong-secret-xyz")
    assert main(["stats", "--endpoint", url]) == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "wrong-secret-xyz" not in err
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "dba")
    assert main(["stats", "--endpoint", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["graphs"] == 0
    assert main(["doctor", "--endpoint", url]) == 1  # the fixture's cap is below kg's row cap
    out = capsys.readouterr().out
    assert "graph store URL: http://127.0.0.1:" in out and "/sparql-graph-crud-auth" in out
    assert "as user dba (password not shown)" in out and "dba\n" not in out.replace("user dba", "")
    assert "  ok  update URL" in out and "  ok  graph store URL" in out
    assert "  ok  boolean round trip: true comes back as '1'" in out
    assert "FAIL  result cap: answers stop at 20,000 rows" in out and "ResultSetMaxRows" in out


def test_update_and_graph_store_urls_can_be_overridden(
    oxigraph_server: OxigraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_UPDATE_ENDPOINT", f"{oxigraph_server.url}/update")
    monkeypatch.setenv("KG_GSP_ENDPOINT", "none")
    with closing(open_store(endpoint=f"{oxigraph_server.url}/query")) as store:
        assert isinstance(store, RemoteStore)
        assert store.endpoints.update == f"{oxigraph_server.url}/update"
        assert store.endpoints.gsp is None  # INSERT DATA instead of the Graph Store Protocol


def test_a_silent_endpoint_is_reported_as_a_timeout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
        thread.start()
        monkeypatch.setenv("KG_ENDPOINT_TIMEOUT", "0.5")
        assert main(["stats", "--endpoint", f"http://127.0.0.1:{port}/query"]) == 1
        err = capsys.readouterr().err
        for conn in accepted:
            conn.close()
    assert err.count("\n") == 1
    assert "did not answer within 0.5 s (timeout)" in err and "KG_ENDPOINT_TIMEOUT" in err


def test_a_deadlocked_write_is_sent_again(httpserver: Any) -> None:
    """SQLSTATE 40001 (Virtuoso's "SR172: Transaction deadlocked", seen on Graph Store POSTs at
    1M triples) means the server rolled the write back: kg sends it again."""
    from werkzeug import Request, Response

    def query(request: Request) -> Response:
        text = request.form.get("query", "")
        body = {"boolean": True} if text.startswith("ASK") else {
            "head": {"vars": ["g"]}, "results": {"bindings": []}}  # fmt: skip
        return Response(json.dumps(body), content_type="application/sparql-results+json")

    posts: list[bytes] = []

    def store_handler(request: Request) -> Response:
        posts.append(request.get_data())
        if len(posts) == 1:
            return Response("Error 40001 SR172: Transaction deadlocked", status=500)
        return Response("", status=201)

    httpserver.expect_request("/query").respond_with_handler(query)
    httpserver.expect_request("/store", method="POST").respond_with_handler(store_handler)
    with closing(RemoteStore(httpserver.url_for("/query"))) as store:
        store._load("https://w3id.org/kg/graph/source/00/1", b"<urn:a> <urn:b> <urn:c> .\n")
    assert posts == [b"<urn:a> <urn:b> <urn:c> .\n"] * 2  # the same chunk, sent again
