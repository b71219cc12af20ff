"""Security and fault tolerance, round two (docs/reliability.md, "Attack campaign, round two"):
the query guard reads what the engine reads, no query text can crash kg or a server, readers
see committed data only, queries are bounded in memory."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.cli import main
from kg.errors import UsageError
from kg.ingest import ingest
from kg.queries import Permissions, check_sparql, run_sparql
from kg.store import SOURCE_BASE, EmbeddedStore
from tests.servers import OxigraphServer

ROOT = Path(__file__).resolve().parents[1]


class Listener:
    """An HTTP server on 127.0.0.1 that counts the requests it gets (a SERVICE/LOAD target)."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                hits.append(self.command)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[]}}')

            do_GET = do_POST = _any

            def log_message(self, *_: object) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sec") / "store"
    store = EmbeddedStore(path)
    ingest([str(ROOT / "examples" / "group")], store)
    store.close()
    return path


def _smuggle(url: str) -> str:
    # the campaign's query: the old lexer read `_:b"x ") } } SERVICE ... BIND("` as one label
    return (
        'SELECT * WHERE { { OPTIONAL { ?s ?p (_:b"x ") } } '
        f'SERVICE <{url}> {{ ?a ?b ?c }} BIND(" _:c" AS ?q) }}'
    )


def test_label_then_string_cannot_smuggle_service(
    listener: Listener, disk_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = _smuggle(listener.url)
    assert main(["sparql", query, "--store", str(disk_store)]) == 2
    assert "SERVICE" in capsys.readouterr().err
    rq = tmp_path / "q.rq"
    rq.write_text(query, encoding="utf-8")
    assert main(["sparql", f"@{rq}", "--store", str(disk_store)]) == 2
    assert listener.hits == []


def test_smuggled_service_never_reaches_a_server(
    listener: Listener, oxigraph_server: OxigraphServer
) -> None:
    oxigraph_server.clear()
    assert (
        main(["sparql", _smuggle(listener.url), "--endpoint", f"{oxigraph_server.url}/query"]) == 2
    )
    assert listener.hits == []


def test_smuggled_load_needs_allow_load(listener: Listener, tmp_path: Path) -> None:
    store = tmp_path / "s"
    EmbeddedStore(store).close()
    update = f'INSERT DATA {{ <urn:a> <urn:b> (_:b"x ") }} ; LOAD <{listener.url}> ; INSERT DATA {{ <urn:c> <urn:d> " _:c" }}'  # fmt: skip
    assert main(["sparql", update, "--allow-update", "--store", str(store)]) == 2
    assert listener.hits == []


def test_guard_runs_its_own_reading() -> None:
    checked = check_sparql('SELECT * WHERE { ?s ?p (_:b"x ") } # SERVICE')
    assert checked.text == 'SELECT * WHERE { ?s ?p ( _:b "x " ) }'
    for bad in ("SELECT * WHERE { ?s ?p ?o } SERVICEX", 'SELECT * WHERE { ?s ?p "\\q" }'):
        with pytest.raises(UsageError, match=r"unknown keyword|syntax|escape"):
            check_sparql(bad)


def _kg(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=120,
        cwd=ROOT, env={**os.environ, **(env or {})}, input=stdin,
    )  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?x WHERE { BIND(" + "+".join(["1"] * 10_000) + " AS ?x) }",
        "SELECT ?x WHERE { BIND(" + "!" * 10_000 + "true AS ?x) }",
        "SELECT * WHERE { " + " UNION ".join(["{ BIND(1 AS ?x) }"] * 5_000) + " }",
        "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?x{i})" for i in range(10_000)) + " }",
        # the old lexer read `") {{…}} BIND("` as a string: a 5,000-deep group hid in it
        'SELECT * WHERE { ?s ?p (_:b"x ") ' + "{" * 5_000 + "}" * 5_000 + ' BIND(" _:c" AS ?q) }',
    ],
    ids=["add-chain", "not-chain", "union-chain", "bind-chain", "label-then-string"],
)
def test_no_short_query_crashes_kg(query: str, disk_store: Path) -> None:
    done = _kg("sparql", "@-", "--store", str(disk_store), stdin=query)
    assert done.returncode in {0, 2}, done.stderr[-500:]
    assert done.stderr.count("\n") <= 1 and "Traceback" not in done.stderr


def test_no_short_query_crashes_a_server(oxigraph_server: OxigraphServer) -> None:
    query = "SELECT ?x WHERE { BIND(" + "+".join(["1"] * 10_000) + " AS ?x) }"
    assert main(["sparql", query, "--endpoint", f"{oxigraph_server.url}/query"]) == 2
    assert oxigraph_server.proc.poll() is None
    assert main(["sparql", "ASK {}", "--endpoint", f"{oxigraph_server.url}/query"]) == 0


def test_from_a_missing_graph_reads_nothing(disk_store: Path) -> None:
    store = EmbeddedStore(disk_store, read_only=True)
    try:
        missing = "https://w3id.org/kg/graph/source/none/0"
        answer = run_sparql(f"SELECT (COUNT(*) AS ?n) FROM <{missing}> WHERE {{ ?s ?p ?o }}", store=store)  # fmt: skip
        assert answer.records() == [{"n": 0}]
        allowed = Permissions(remote_from=True)
        answer = run_sparql("SELECT (COUNT(*) AS ?n) FROM <urn:x> WHERE { ?s ?p ?o }", store=store, allow=allowed)  # fmt: skip
        assert answer.records() == [{"n": 0}]
    finally:
        store.close()


def test_query_memory_is_bounded(disk_store: Path) -> None:
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i ?a ?d ?g"  # a cartesian product of the store with itself, three times, sorted
    done = _kg("sparql", query, "--store", str(disk_store), "--timeout", "100",
               env={"KG_MAX_QUERY_BYTES": str(1536 * 1024 * 1024)})  # fmt: skip
    assert done.returncode == 1, done.stderr[-500:]
    assert done.stderr.strip().count("\n") == 0
    assert "KG_MAX_QUERY_BYTES" in done.stderr
    assert _kg("stats", "--store", str(disk_store)).returncode == 0


def test_readers_see_committed_loads_only(tmp_path: Path) -> None:
    records = [{"type": "Publication", "id": f"p{i}", "title": f"Work {i} v1", "date": "2020",
                "authors": [{"name": "Ada Lovelace"}]} for i in range(20)]  # fmt: skip
    src = tmp_path / "works.json"
    src.write_text(json.dumps(records), encoding="utf-8")
    writer = EmbeddedStore(tmp_path / "store")
    ingest([str(src)], writer)
    # a second version half-way: written into a new load graph of the same source, not committed
    works = run_sparql("SELECT ?w WHERE { ?w <https://schema.org/headline> ?t }", store=writer)
    old = next(g.value for g in writer._store.named_graphs() if g.value.startswith(SOURCE_BASE))
    lines = [f'<{r["w"]}> <https://schema.org/headline> "a title v2" .' for r in works.records()]
    assert len(lines) == 20
    batch = writer.load_batch()
    batch.add(old.rsplit("/", 1)[0] + "/zzzz", lines)
    reader = EmbeddedStore(tmp_path / "store", read_only=True)
    try:
        titles = run_sparql(
            "SELECT ?t WHERE { ?w <https://schema.org/headline> ?t }", store=reader
        ).records()
        assert titles and all(str(r["t"]).endswith("v1") for r in titles)
        assert main(["stats", "--store", str(tmp_path / "store"), "--json"]) == 0
    finally:
        reader.close()
        batch.abort()
        writer.close()


EVIL_TTL = """@prefix schema: <https://schema.org/> .
@prefix kg: <https://w3id.org/kg/vocab#> .
<https://w3id.org/kg/id/person/orcid/0000-0000-0000-0116>
    schema:sameAs <javascript:alert(1)>, <data:text/html,x>, <vbscript:x>, <JavaScript:y> .
<https://w3id.org/kg/id/person/..> a schema:Person ; schema:name "Evil" ; kg:recordNumber 1 .
"""


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("evil")
    (tmp / "evil.ttl").write_text(EVIL_TTL, encoding="utf-8")
    store = tmp / "store"
    assert main(["ingest", "--store", str(store), str(ROOT / "examples" / "group"), str(tmp / "evil.ttl")]) == 0  # fmt: skip
    main(["export", "html", "--store", str(store), "--out", str(tmp / "site"),
          "--base-url", "https://lab.example.org/", "--no-publication-pages"])  # fmt: skip
    main(["export", "jsonld", "--store", str(store), "--out", str(tmp / "jsonld"),
          "--base-url", "https://lab.example.org/", "--no-publication-pages"])  # fmt: skip
    return tmp


def test_links_from_data_are_http_https_or_mailto_only(evil_site: Path) -> None:
    pages = [*(evil_site / "site").rglob("*.html"), *(evil_site / "jsonld").rglob("*.jsonld")]
    assert len(pages) >= 8
    for page in pages:
        text = page.read_text(encoding="utf-8").lower()
        for scheme in ("javascript:", "data:text", "vbscript:"):
            assert scheme not in text, page


def test_an_iri_ending_in_dot_dot_gets_its_own_page(evil_site: Path) -> None:
    index = (evil_site / "site" / "index.html").read_text(encoding="utf-8")
    table = index.split("<table", 1)[1]  # the visible list (the index's JSON-LD lists it too)
    assert table.count("Evil") == 1  # listed, not overwritten by the page
    people = sorted(p.name for p in (evil_site / "site" / "people").iterdir())
    assert len(people) == 8 and all(not n.startswith(".") for n in people)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "args",
    [
        ["sparql", 'ASK { FILTER("\udcff") }'],
        ["sparql", "--timeout", "nan", "ASK {}"],
        ["sparql", "--timeout", "inf", "ASK {}"],
        ["query", "run", "quality-loads", "--timeout", "nan"],
    ],
    ids=["non-utf8-argument", "timeout-nan", "timeout-inf", "saved-timeout-nan"],
)
def test_bad_arguments_are_one_line_usage_errors(
    args: list[str], disk_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--store", str(disk_store)]) == 2
    _one_line(capsys)


def test_out_naming_the_wrong_kind_of_path(
    disk_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "f"
    a_file.write_text("x", encoding="utf-8")
    site = ["export", "html", "--store", str(disk_store), "--base-url", "https://e.org/"]
    assert main([*site, "--out", str(a_file)]) == 2
    assert "is a file" in _one_line(capsys)
    for command in (["dump"], ["validate"]):
        assert main([*command, "--store", str(disk_store), "--out", str(tmp_path)]) == 2
        assert "directory" in _one_line(capsys)


def test_a_failing_allowed_update_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s"
    EmbeddedStore(store).close()
    update = "DROP GRAPH <https://w3id.org/kg/graph/none>"
    assert main(["sparql", update, "--allow-update", "--store", str(store)]) == 1
    assert "does not exist" in _one_line(capsys)


def test_only_regular_files_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # a reader would block on it forever
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")  # a reader would fill memory
    assert main(["ingest", "--store", store, str(fifo), str(zero), f"page:{zero}"]) == 1
    err = capsys.readouterr().err
    assert err.count("not a regular file (a FIFO)") == 1
    assert err.count("not a regular file (a character device)") == 2


def test_page_files_have_a_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Ada Lovelace\nPublications\n" + "x" * 5000, encoding="utf-8")
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "1000")
    assert main(["ingest", "--store", str(tmp_path / "s"), f"page:{page}", "--person", "Ada Lovelace"]) == 1  # fmt: skip
    assert "exceeds KG_MAX_RESPONSE_BYTES=1000" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]"])
def test_yaml_takes_safe_scalar_types_only(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "people.yaml"
    src.write_text(f"- type: Person\n  name: {value}\n", encoding="utf-8")
    assert main(["ingest", "--store", str(tmp_path / "s"), str(src)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unsupported YAML type" in err


def test_csv_and_tsv_cells_never_start_a_formula(disk_store: Path, tmp_path: Path) -> None:
    from kg.queries import format_answer

    query = (
        "SELECT ?a ?b ?c ?d ?n WHERE { VALUES (?a ?b ?c ?d ?n) { (\"=cmd|' /C calc'!A0\" "
        '"=HYPERLINK(\\"http://e\\")" "+1+cmd" "@SUM(A1)" -5) } }'
    )
    store = EmbeddedStore(disk_store, read_only=True)
    try:
        answer = run_sparql(query, store=store)
    finally:
        store.close()
    csv_rows = format_answer(answer, "csv").splitlines()[1]
    cells = next(iter(__import__("csv").reader([csv_rows])))
    assert cells[:4] == ["'=cmd|' /C calc'!A0", '\'=HYPERLINK("http://e")', "'+1+cmd", "'@SUM(A1)"]
    assert cells[4] == "-5"  # a number is no formula
    plain = format_answer(answer, "tsv").splitlines()[1].split("\t")
    assert plain[:4] == cells[:4]
    tsv = format_answer(answer, "sparql-tsv").splitlines()[1].split("\t")
    assert all(not c.strip('"').startswith(("=", "+", "@")) for c in tsv[:4])
    # the TSV cells are still N-Triples terms with the same values
    import pyoxigraph as ox

    values = [ox.parse(f"<urn:s> <urn:p> {c} .".encode(), ox.RdfFormat.N_TRIPLES) for c in tsv[:4]]
    assert next(iter(values[0])).object.value.startswith("=cmd")


def test_control_characters_are_removed_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [
        {"type": "Person", "id": "ada", "name": "Ada\u0000 Love\u001b[2Jlace"},
        {"type": "Publication", "id": "w", "title": "On\u0007 engines", "date": "2020",
         "authors": [{"name": "Ada\u0000 Love\u001b[2Jlace", "person": "ada"}, {"name": "B\u001bob Smith"}]},
        {"type": "Publication", "id": "\u001b[31mbad", "title": 7, "authors": []},
    ]  # fmt: skip
    src = tmp_path / "r.json"
    src.write_text(json.dumps(records), encoding="utf-8")
    store = str(tmp_path / "s")
    main(["ingest", "-v", "--store", store, str(src)])  # -v: the per-source counters
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x00" not in err
    assert "control_chars_removed 7" in err
    main(["ingest", "--store", store, str(tmp_path / "a\x1b[2J.json")])  # a name with ESC
    err = capsys.readouterr().err
    assert "\x1b" not in err and "a\\x1b[2J.json" in err
    assert main(["export", "html", "--store", store, "--out", str(tmp_path / "site"),
                 "--base-url", "https://e.org/", "--no-publication-pages"]) in {0, 1}  # fmt: skip
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not any(c in text for c in "\x00\x07\x1b"), page
    svg = tmp_path / "c.svg"
    people = run_sparql(
        "SELECT ?p WHERE { ?p a <https://schema.org/Person> ; <https://schema.org/name> ?n "
        'FILTER(CONTAINS(?n, "Ada")) }',
        store=EmbeddedStore(tmp_path / "s", read_only=True),
    ).records()
    person = str(people[0]["p"])
    assert main(["plot", "coauthors", "--store", store, "--person", person, "--out", str(svg)]) == 0
    import xml.etree.ElementTree as ET

    ET.parse(svg)  # well-formed XML


def _works(store: Path) -> int:
    s = EmbeddedStore(store, read_only=True)
    try:
        answer = run_sparql("SELECT (COUNT(*) AS ?n) WHERE { ?w a <https://schema.org/ScholarlyArticle> }", store=s)  # fmt: skip
        return int(answer.records()[0]["n"] or 0)  # type: ignore[arg-type]
    finally:
        s.close()


def _batch(tmp_path: Path) -> Path:
    src = tmp_path / "works.json"
    good = {"type": "Publication", "id": "ok", "title": "Fine", "date": "2020", "authors": [{"name": "Ada Lovelace"}]}  # fmt: skip
    src.write_text(
        json.dumps([good, {**good, "id": "bad", "title": "\ud800 lone"}], ensure_ascii=True),
        encoding="utf-8",
    )
    return src


def test_a_rejected_record_with_a_lone_surrogate_reaches_the_quarantine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = tmp_path / "q.jsonl"
    assert main(["ingest", "--store", str(tmp_path / "s"), "--quarantine", str(q), str(_batch(tmp_path))]) == 1  # fmt: skip
    assert "Traceback" not in capsys.readouterr().err
    (line,) = q.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["record"]["title"] == "\ud800 lone"
    assert _works(tmp_path / "s") == 1


def test_nothing_is_committed_when_the_quarantine_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests._audit import allow

    src = str(_batch(tmp_path))
    store = tmp_path / "s"
    assert main(["ingest", "--store", str(store), "--quarantine", str(tmp_path), src]) == 2
    assert "is a directory" in _one_line(capsys)
    with allow(paths=("/dev/full",)):  # every write fails with ENOSPC
        assert main(["ingest", "--store", str(store), "--quarantine", "/dev/full", src]) == 1
    err = capsys.readouterr().err
    assert "cannot write quarantine file /dev/full" in err and "Traceback" not in err
    assert _works(store) == 0


def test_no_shape_self_joins_the_authorships() -> None:
    # A constraint naming a publication's authorships twice joins them pairwise: quadratic in
    # the author count (282 s to gate one 10,000-author record). Time: the gate-authors bench row.
    from rdflib.namespace import SH

    from kg.validate.core import load_shapes

    shapes = load_shapes(pages=False)
    selects = [str(o) for o in shapes.objects(None, SH.select)]
    assert selects
    for text in selects:
        assert text.count("kg:authorship") <= 1, text


def test_the_position_checks_still_find_gaps_and_duplicates_in_a_wide_record(
    tmp_path: Path,
) -> None:
    authors: list[dict[str, object]] = [{"name": f"Author{i} Person{i}"} for i in range(3_000)]
    record = {"type": "Publication", "id": "wide", "title": "Wide", "date": "2020", "authors": authors}  # fmt: skip
    src = tmp_path / "wide.json"
    src.write_text(json.dumps([record]), encoding="utf-8")
    store = EmbeddedStore(None)
    assert ingest([str(src)], store).sources[0].records_out == 1
    from kg.mapping import map_record
    from kg.validate.gate import gate

    mapped = map_record(record, number=1, scope="file:wide")
    position = "<https://w3id.org/kg/vocab#position>"
    lines = [
        ln.replace('"2"^^', '"3"^^') if "#author-2> " + position in ln else ln
        for ln in mapped.lines
        if "#author-1500> " + position not in ln
    ]
    mapped.lines = lines
    reasons = " ".join(gate([mapped], EmbeddedStore(None)).reasons(0))
    assert "there is no author at position 1500" in reasons
    assert "there is no author at position 2" in reasons
    assert "share position 3" in reasons


def _pubs(path: Path, tag: str, n: int) -> Path:
    records = [{"type": "Publication", "id": f"{tag}{i}", "title": f"{tag} work {i}", "date": "2020",
                "authors": [{"name": f"{tag.title()} Author{i % 7}"}]} for i in range(n)]  # fmt: skip
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_a_second_remote_writer_never_drops_a_live_writers_load(
    oxigraph_server: OxigraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.errors import StoreLockedError
    from kg.store import RemoteStore

    oxigraph_server.clear()
    monkeypatch.setenv("KG_LOCK_WAIT_S", "0")
    first, second = RemoteStore(f"{oxigraph_server.url}/query"), RemoteStore(f"{oxigraph_server.url}/query")  # fmt: skip
    batch = first.load_batch()
    graph = SOURCE_BASE + "fam/1"
    batch.add(graph, ['<urn:w> <https://schema.org/name> "kept" .'])
    with pytest.raises(StoreLockedError, match="is locked: another kg ingest"):
        second.load_batch()  # it used to run recover() here and drop the graph being filled
    batch.commit()
    batch.abort()  # releases the lease
    assert run_sparql('ASK { <urn:w> <https://schema.org/name> "kept" }', store=second).boolean
    # the graph the first writer filled is still there (stats count only graphs holding a
    # load's provenance, which this bare graph has not)
    assert run_sparql(f"ASK {{ GRAPH <{graph}> {{ <urn:w> ?p ?o }} }}", store=second).boolean
    second.load_batch().abort()  # the lease is free again
    first.close()
    second.close()


def test_two_concurrent_ingests_on_one_server_lose_nothing(
    oxigraph_server: OxigraphServer, tmp_path: Path
) -> None:
    from kg.store import RemoteStore, stats

    oxigraph_server.clear()
    endpoint = f"{oxigraph_server.url}/query"
    files = [_pubs(tmp_path / "a.json", "alpha", 400), _pubs(tmp_path / "b.json", "beta", 400)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kg", "ingest", "--endpoint", endpoint, str(f)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    for err, f in zip(errs, files, strict=True):
        assert f"{f}: loaded, 400/400 records" in err
    store = RemoteStore(endpoint)
    try:
        assert stats(store).publications == 800
        loads = run_sparql(
            "SELECT ?g (SAMPLE(?c) AS ?committed) WHERE { GRAPH ?g { ?g "
            "<https://w3id.org/kg/vocab#sourceLabel> ?l OPTIONAL { ?g <https://w3id.org/kg/vocab#committed> ?c } } } GROUP BY ?g",
            store=store,
        ).records()
        assert len(loads) == 2 and all(r["committed"] is True for r in loads)  # no orphan graph
        lease = run_sparql("ASK { GRAPH <https://w3id.org/kg/graph/lock> { ?s ?p ?o } }", store=store)  # fmt: skip
        assert lease.boolean is False
    finally:
        store.close()


def test_the_guard_fuzz_target_sees_a_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    import fuzz
    import fuzz.queries
    from kg.queries.guard import Checked

    attack = fuzz.queries.ATTACKS[0].encode()
    assert fuzz.queries._guard_engine(attack) == "ok"  # the guard sees its SERVICE
    blind = Checked("SELECT * WHERE { }", "select")  # a guard that saw no SERVICE
    monkeypatch.setattr(fuzz.queries, "check_sparql", lambda *_a, **_k: blind)
    with pytest.raises(fuzz.Broken, match="called out"):
        fuzz.queries._guard_engine(attack)
