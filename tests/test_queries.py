"""Every saved query, with its example parameters, on the embedded store, a live Oxigraph server
and a live Virtuoso: golden expected results (deterministic ORDER BY) and identical answers on
all three."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.ingest import ingest
from kg.queries import QueryAnswer, load_queries, run_query
from kg.queries.library import queries_dir
from kg.store import EmbeddedStore, RemoteStore, Store, dump_bytes
from tests.conftest import require_tool
from tests.queries_support import (
    check_golden,
    comparable,
    load_records,
    start_server,
)
from tests.servers import OxigraphServer, VirtuosoServer, virtuoso_binary

QUERIES = load_queries()
BACKENDS = ["embedded", "server"]


@pytest.fixture(scope="session")
def query_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A live ``oxigraph serve`` (fails instead of skipping when CI=true and it is missing)."""
    server = start_server(tmp_path_factory.mktemp("oxigraph"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(None)
    load_records(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def remote(query_server: OxigraphServer) -> Iterator[RemoteStore]:
    store = RemoteStore(f"{query_server.url}/query")
    load_records(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def virtuoso_remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteStore]:
    """The record set on a Virtuoso of its own. Not the shared session server: after another
    test's ingest and DROP GRAPH there, person-topics and topic-cooccurring came back with an
    extra topic row (tests/test_engines.py notes it; docs/endpoints.md)."""
    binary = require_tool("virtuoso-t (Debian virtuoso-opensource)", virtuoso_binary())
    server = VirtuosoServer(binary, tmp_path_factory.mktemp("virtuoso-queries"))
    store = RemoteStore(server.url)
    load_records(store)
    yield store
    store.close()
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Store:
    store: Store = request.getfixturevalue("embedded" if request.param == "embedded" else "remote")
    return store


def test_library_has_at_least_18_documented_queries() -> None:
    assert len(QUERIES) >= 18
    assert queries_dir() == Path(__file__).resolve().parent.parent / "queries"
    forms = {q.form for q in QUERIES.values()}
    assert forms == {"select", "construct"}
    for q in QUERIES.values():
        assert q.title and q.description
        for p in q.params.values():
            assert p.example is not None, (q.name, p.name)


#: The parameters the golden answers were made with, on tests/data/queries/records (the headers'
#: own examples name people and works of the bundled examples/, for the docs).
GOLDEN_PARAMS: dict[str, dict[str, str]] = {
    "find-people": {"text": "ng"},
    "find-topics": {"text": "graph"},
    "org-members": {"org": "https://w3id.org/kg/id/org/ror/05dxps055", "date": "2025-01-01"},
    "org-publications-per-year": {"org": "https://w3id.org/kg/id/org/ror/05dxps055", "since": "2020", "until": "2024"},
    **{name: {"person": "https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097"} for name in (
        "person-coauthor-network", "person-coauthors", "person-first-last-author", "person-profile",
        "person-profile-graph", "person-publications", "person-publications-per-year", "person-topics")},
    "quality-name-variants": {"min": "3"},
    **{name: {"topic": "https://w3id.org/kg/id/topic/knowledge-graphs-d049237643"}
       for name in ("topic-cooccurring", "topic-people", "topic-works")},
    "work-authors": {"work": "https://w3id.org/kg/id/pub/doi/10.1000/kg.2022.5"},
    "work-related": {"work": "https://w3id.org/kg/id/pub/doi/10.1000/kg.2022.5", "limit": "10"},
}  # fmt: skip


def test_golden_parameters_cover_every_required_one() -> None:
    for name, query in QUERIES.items():
        required = {p.name for p in query.params.values() if p.required}
        assert required <= set(GOLDEN_PARAMS.get(name, {})), name


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_saved_query_matches_golden_on_embedded_store(name: str, embedded: EmbeddedStore) -> None:
    query = QUERIES[name]
    answer = run_query(name, GOLDEN_PARAMS.get(name, {}), store=embedded)
    assert not answer.truncated
    assert len(answer) > 0, f"{name}: the example returns nothing; the test would prove little"
    if query.form == "select":
        assert answer.columns == list(query.columns), "header columns must match the projection"
    check_golden(name, answer)


@pytest.mark.parametrize("server", ["remote", "virtuoso_remote"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_saved_query_identical_on_servers(
    name: str, server: str, embedded: EmbeddedStore, request: pytest.FixtureRequest
) -> None:
    remote: RemoteStore = request.getfixturevalue(server)
    params = GOLDEN_PARAMS.get(name, {})
    here = run_query(name, params, store=embedded)
    there = run_query(name, params, store=remote)
    assert comparable(there) == comparable(here)


def test_load_times_are_real_timestamps(backend: Store) -> None:
    answer = run_query("quality-loads", store=backend)
    for record in answer.records():
        loaded = dt.datetime.fromisoformat(str(record["loadedAt"]))
        assert abs(dt.datetime.now(dt.UTC) - loaded) < dt.timedelta(hours=1)
        assert record["records"] == record["recordsIn"]


def test_run_query_returns_typed_records(embedded: EmbeddedStore) -> None:
    answer = run_query(
        "person-coauthors", {"person": "kgid:person/orcid/0000-0002-1825-0097"}, store=embedded
    )
    first = answer.records()[0]
    assert first == {
        "coauthor": "https://w3id.org/kg/id/person/key/lab:carol",
        "name": "Carol Díaz",
        "jointWorks": 4,
        "firstYear": 2021,
        "lastYear": 2022,
    }


def test_defaults_and_explicit_values_agree(embedded: EmbeddedStore) -> None:
    org = "https://w3id.org/kg/id/org/ror/05dxps055"
    default = run_query("org-publications-per-year", {"org": org}, store=embedded)
    wide = run_query(
        "org-publications-per-year", {"org": org, "since": 1900, "until": "2100"}, store=embedded
    )
    narrow = run_query(
        "org-publications-per-year", {"org": org, "since": 2022, "until": 2022}, store=embedded
    )
    assert comparable(default) == comparable(wide)
    assert [r["year"] for r in narrow.records()] == [2022]


def test_member_status_depends_on_the_date(embedded: EmbeddedStore) -> None:
    org = "https://w3id.org/kg/id/org/ror/05dxps055"

    def status(on: str | dt.date) -> dict[str, str]:
        answer = run_query("org-members", {"org": org, "date": on}, store=embedded)
        return {str(r["role"]): str(r["status"]) for r in answer.records()}

    # Bob's PhD ended 2023-09 (month precision: through the end of September).
    assert status("2023-09-30")["PhD Student"] == "current"
    assert status("2023-10-01")["PhD Student"] == "alumni"
    assert status(dt.date(2018, 1, 1))["Postdoc"] == "future"
    assert status("today")["Group Leader"] == "current"


def test_integer_parameter_bounds_rows(embedded: EmbeddedStore) -> None:
    work = "https://w3id.org/kg/id/pub/doi/10.1000/kg.2022.5"
    assert len(run_query("work-related", {"work": work, "limit": 2}, store=embedded)) == 2
    many = run_query("quality-name-variants", {"min": 2}, store=embedded)
    few = run_query("quality-name-variants", {"min": 4}, store=embedded)
    assert len(many) > 0 and len(few) == 0


def test_construct_profile_graph_is_one_persons_neighbourhood(backend: Store) -> None:
    answer = run_query(
        "person-profile-graph", {"person": "kgid:person/key/lab:carol"}, store=backend
    )
    assert isinstance(answer, QueryAnswer) and answer.form == "construct"
    subjects = {t.subject.value for t in answer.triples if isinstance(t.subject, ox.NamedNode)}
    assert "https://w3id.org/kg/id/person/key/lab:carol" in subjects
    assert "https://w3id.org/kg/id/pub/doi/10.1000/ml.2024.9" in subjects  # her work
    assert "https://w3id.org/kg/id/pub/doi/10.1000/db.2020.2" not in subjects  # not hers
    printed = {
        t.object.value
        for t in answer.triples
        if t.predicate.value.endswith("printedName") and isinstance(t.object, ox.Literal)
    }
    assert {"Carol Díaz", "Eve Kim"} <= printed


# --- Injection: a hostile value changes nothing, on either backend --------------------------

HOSTILE_TEXT = [
    'x" } UNION { ?person ?p ?o } #',
    "x' } #",
    "a\\u0022b",
    "line\nbreak # not a comment",
    "}}}{{{",
    'back\\slash"quote',
    "tab\tand\rreturn",
    "'''triple'''\"\"\"",
]


@pytest.fixture(scope="module")
def hostile_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A record set whose people are named with the hostile strings themselves."""
    import json

    d = tmp_path_factory.mktemp("hostile")
    people = [
        {"type": "Person", "id": f"h{i}", "name": f"Zed {t}"} for i, t in enumerate(HOSTILE_TEXT)
    ]
    (d / "people.json").write_text(json.dumps(people), encoding="utf-8")
    return d


@pytest.fixture(params=BACKENDS)
def hostile_store(
    request: pytest.FixtureRequest, hostile_names: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    store: Store
    if request.param == "embedded":
        store = EmbeddedStore(None)
    else:
        server: OxigraphServer = request.getfixturevalue("query_server")
        store = RemoteStore(f"{server.url}/query")
    load_records(store, hostile_names, set_name="hostile")
    yield store
    if request.param == "server":
        graphs = run_query("quality-loads", store=store).records()
        store.drop_graphs(
            [str(g["graph"]) for g in graphs if str(g["label"]).startswith("hostile/")]
        )
    store.close()


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_literal_is_matched_literally(hostile_store: Store, text: str) -> None:
    answer = run_query("find-people", {"text": text}, store=hostile_store)
    # Exactly the one person whose name contains the text: the value stayed one string.
    assert [r["name"] for r in answer.records()] == [f"Zed {text}"]


@pytest.mark.parametrize(
    "value",
    [
        "https://e.org/x> } UNION { ?s ?p ?o } #",
        "https://e.org/a b",
        'https://e.org/"',
        "https://e.org/{x}",
        "https://e.org/a|b",
        "https://e.org/a\\u003E",
        "https://e.org/a^b",
        "https://e.org/a`b",
        "https://e.org/a\nb",
        "relative/path",
        "",
    ],
)
def test_hostile_iri_is_refused(embedded: EmbeddedStore, value: str) -> None:
    from kg.errors import UsageError

    with pytest.raises(UsageError, match="parameter person"):
        run_query("person-coauthors", {"person": value}, store=embedded)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("work-related", {"work": "kgid:work/x", "limit": "10 } UNION { ?s ?p ?o }"}),
        ("work-related", {"work": "kgid:work/x", "limit": "1.5"}),
        ("org-publications-per-year", {"org": "kgid:org/x", "since": "2020 || true"}),
        ("org-publications-per-year", {"org": "kgid:org/x", "since": "20201"}),
        ("org-members", {"org": "kgid:org/x", "date": "2024-02-30"}),
        ("org-members", {"org": "kgid:org/x", "date": '2024-01-01"^^<x>'}),
        ("find-people", {"text": "nul\x00byte"}),
    ],
)
def test_hostile_typed_values_are_refused(
    embedded: EmbeddedStore, name: str, params: dict[str, str]
) -> None:
    from kg.errors import UsageError

    with pytest.raises(UsageError, match="parameter"):
        run_query(name, params, store=embedded)


BIND_FILTER_QUERY = """\
#+ title: Parameter used in BIND and FILTER
#+ description: The shape that VALUES appended at the end of a query gets wrong.
#+ params:
#+   who: {kind: iri, required: true, example: "kgid:person/key/lab:carol", description: a person}
#+ columns:
#+   echo: the parameter, echoed by BIND
#+   name: the person's name, found through a FILTER inside OPTIONAL
PREFIX schema: <https://schema.org/>
SELECT ?echo ?name WHERE {
  BIND($who AS ?echo)
  OPTIONAL { ?p schema:name ?name . FILTER(?p = $who) }
}
"""


def test_parameter_in_bind_and_filter_is_bound_everywhere(backend: Store, tmp_path: Path) -> None:
    """rdflib's SPARQLStore and oxrdflib append ``VALUES`` at the end of the query, where BIND and
    FILTER have already run with the variable unbound. kg's binding must not behave like that."""
    path = tmp_path / "echo.rq"
    path.write_text(BIND_FILTER_QUERY, encoding="utf-8")
    carol = "https://w3id.org/kg/id/person/key/lab:carol"
    answer = run_query(str(path), {"who": carol}, store=backend)
    assert answer.records() == [{"echo": carol, "name": "Carol Díaz"}]
    # The same query with VALUES appended at the end, as those libraries send it: different rows.
    body = BIND_FILTER_QUERY.split("PREFIX", 1)[1].replace("$who", "?who")
    appended = backend.query(f"PREFIX{body}VALUES ?who {{ <{carol}> }}")
    assert appended.dicts() != [{"echo": carol, "name": "Carol Díaz"}]  # type: ignore[union-attr]


def test_row_cap_and_its_message(backend: Store) -> None:
    from kg.queries import QueryLimits, run_sparql

    answer = run_sparql(
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", store=backend, limits=QueryLimits(max_rows=5)
    )
    assert len(answer) == 5 and answer.truncated
    assert "stopped at 5 rows" in (answer.notice() or "")
    full = run_sparql("SELECT ?s WHERE { ?s a <https://schema.org/Organization> }", store=backend)
    assert not full.truncated and full.notice() is None


def test_cli_runs_against_an_endpoint(
    remote: RemoteStore, query_server: OxigraphServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from kg.cli import main

    endpoint = f"{query_server.url}/query"
    argv = ["query", "run", "person-coauthors", "--endpoint", endpoint, "--format", "csv",
            "-p", "person=kgid:person/orcid/0000-0002-1825-0097"]  # fmt: skip
    assert main(argv) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[1]
        .startswith("https://w3id.org/kg/id/person/key/lab:carol,Carol Díaz,4,2021,2022")
    )
    service = "SELECT * WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }"
    assert main(["sparql", service, "--endpoint", endpoint]) == 2
    assert "refused" in capsys.readouterr().err
    assert (
        main(["sparql", "SELECT ?s WHERE { ?s ?p ?o }", "--endpoint", endpoint, "--limit", "3"])
        == 0
    )
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 5 and "stopped at 3 rows" in captured.err


def _undated_store(tmp_path: Path) -> EmbeddedStore:
    """A person without kg:status with one dated and one undated work (a missing date is a
    Warning, so the undated work is ingested)."""
    records = [
        {"type": "Person", "name": "Alice Ng", "orcid": "0000-0002-1825-0097"},
        {"type": "Publication", "doi": "10.1000/dated", "title": "Dated", "date": "2021-05",
         "authors": [{"name": "Alice Ng", "orcid": "0000-0002-1825-0097"}, {"name": "Bo Li"}]},
        {"type": "Publication", "doi": "10.1000/undated", "title": "Undated",
         "authors": [{"name": "Alice Ng", "orcid": "0000-0002-1825-0097"}]},
    ]  # fmt: skip
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    store = EmbeddedStore(None)
    report = ingest([str(path)], store)
    assert not report.rejected, [str(r) for r in report.rejected]
    return store


ALICE = "https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097"


def test_an_undated_work_does_not_blank_the_years(tmp_path: Path) -> None:
    """Regression (found by bench/ comparing Oxigraph with rdflib): MIN/MAX over a group that
    holds an unbound year is unbound on Oxigraph, so one undated work blanked firstYear/lastYear;
    STR(unbound) inside MIN made rdflib print "None" as the date of an undated work."""
    store = _undated_store(tmp_path)
    profile = run_query("person-profile", {"person": ALICE}, store=store).records()
    assert len(profile) == 1
    assert profile[0]["works"] == 2
    assert (profile[0]["firstYear"], profile[0]["lastYear"]) == (2021, 2021)
    assert profile[0]["status"] is None
    works = run_query("person-publications", {"person": ALICE}, store=store).records()
    assert [(w["title"], w["year"], w["date"]) for w in works] == [
        ("Dated", 2021, "2021-05"),
        ("Undated", None, None),
    ]


# rdflib's own SPARQL evaluator calls its deprecated Dataset.default_context (rdflib 7.x).
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", ["person-profile", "person-publications", "person-coauthors"])
def test_rdflib_engine_gives_the_same_rows(name: str, tmp_path: Path) -> None:
    """The same bound text on rdflib's SPARQL engine (union default graph) gives the same rows:
    the queries do not depend on how an engine treats errors inside aggregates."""
    from rdflib import Dataset

    store = _undated_store(tmp_path)
    query = QUERIES[name]
    ours = run_query(query, {"person": ALICE}, store=store)
    graph = Dataset(default_union=True)
    graph.parse(data=dump_bytes(store, "nq"), format="nquads")
    theirs: list[Any] = list(graph.query(query.bind({"person": ALICE})))

    def text(term: object) -> str | None:
        if term is None:
            return None
        return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)

    assert [tuple(text(t) for t in row) for row in ours.rows] == [
        tuple(None if t is None else str(t) for t in row) for row in theirs
    ]
