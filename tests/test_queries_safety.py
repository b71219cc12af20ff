"""The user-SPARQL guard, the bounds, the result formats and the header checks."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import DataError, UsageError
from kg.queries import (
    MAX_NESTING,
    MAX_QUERY_CHARS,
    Permissions,
    QueryAnswer,
    QueryLimits,
    QueryTimeoutError,
    check_sparql,
    format_answer,
    get_query,
    run_query,
    run_sparql,
)
from kg.queries.library import parse_query_file
from kg.store import EmbeddedStore
from tests.queries_support import load_records


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    s = EmbeddedStore(None)
    load_records(s)
    return s


# --- guard -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://evil.example/> { ?s ?p ?o } }",
        "PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }",
        "SELECT * { ?s ?p ?o OPTIONAL { SERVICE ?endpoint { ?s ?q ?r } } }",
    ],
)
def test_service_is_refused(query: str, store: EmbeddedStore) -> None:
    with pytest.raises(UsageError, match=r"SERVICE .* refused.*--allow-service"):
        run_sparql(query, store=store)
    assert check_sparql(query, allow=Permissions(service=True)).form == "select"


def test_keywords_inside_strings_iris_comments_and_names_are_not_keywords() -> None:
    query = (
        'PREFIX ex: <http://e/SERVICE/> SELECT * { ?s <http://e/LOAD> "SERVICE INSERT" ; '
        "ex:service ?o ; ex:DELETE ?x . ?service ?p ?o } # SERVICE <http://evil/>\n"
    )
    assert check_sparql(query).form == "select"


@pytest.mark.parametrize(
    ("query", "verb"),
    [
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT"),
        ("PREFIX s: <https://schema.org/> DELETE WHERE { ?s s:name ?n }", "DELETE"),
        ("DROP ALL", "DROP"),
        ("CLEAR DEFAULT", "CLEAR"),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "DELETE"),
    ],
)
def test_updates_are_refused_unless_allowed(query: str, verb: str, store: EmbeddedStore) -> None:
    with pytest.raises(UsageError, match=rf"SPARQL Update \(.*{verb}.*\) refused.*--allow-update"):
        run_sparql(query, store=store)
    assert check_sparql(query, allow=Permissions(update=True)).form == "update"


def test_load_needs_its_own_permission() -> None:
    query = "LOAD <file:///etc/passwd> INTO GRAPH <http://g>"
    with pytest.raises(UsageError, match="Update"):
        check_sparql(query)
    with pytest.raises(UsageError, match="LOAD refused"):
        check_sparql(query, allow=Permissions(update=True))
    assert check_sparql(query, allow=Permissions(update=True, load=True)).form == "update"


def test_allowed_update_changes_the_store() -> None:
    s = EmbeddedStore(None)
    run_sparql(
        "INSERT DATA { GRAPH <http://g> { <http://a> <http://b> 'c' } }",
        store=s,
        allow=Permissions(update=True),
    )
    assert run_sparql("ASK { <http://a> <http://b> 'c' }", store=s).boolean is True


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM <https://evil.example/data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://evil.example/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE { ?s ?p ?o }",
        "SELECT * FROM <relative> WHERE { ?s ?p ?o }",
    ],
)
def test_from_with_file_or_remote_iri_is_refused(query: str) -> None:
    with pytest.raises(UsageError, match=r"FROM <.*> refused.*--allow-remote-from"):
        check_sparql(query)
    if "<relative>" in query:  # allowed, but the engine cannot read a relative IRI without a base
        with pytest.raises(UsageError, match="SPARQL syntax error"):
            check_sparql(query, allow=Permissions(remote_from=True))
        return
    assert check_sparql(query, allow=Permissions(remote_from=True)).form == "select"


def test_from_a_kg_source_graph_is_allowed(store: EmbeddedStore) -> None:
    graph = str(run_query("quality-loads", store=store).records()[0]["graph"])
    answer = run_sparql(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}", store=store)
    assert int(answer.records()[0]["n"] or 0) > 0  # type: ignore[arg-type]


def test_deeply_nested_query_is_refused_before_parsing(store: EmbeddedStore) -> None:
    # pyoxigraph 0.5.13 dies with SIGSEGV on this query; reaching the parser would kill pytest.
    query = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    assert len(query) < 10_100
    with pytest.raises(UsageError, match=f"nested 5000 deep; the limit is {MAX_NESTING}"):
        run_sparql(query, store=store)
    parens = "SELECT * WHERE { FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }"
    with pytest.raises(UsageError, match="nested"):
        run_sparql(parens, store=store)


def test_nesting_limit_counts_only_real_brackets() -> None:
    ok = "SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING
    assert check_sparql(ok).form == "select"
    with pytest.raises(UsageError, match="nested"):
        check_sparql("SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1))
    noise = '"' + "{" * 500 + '"'
    decoy = f"SELECT * WHERE {{ ?s ?p {noise} . ?s ?q <http://e/x> }} # {'{' * 500}"
    assert check_sparql(decoy).form == "select"


def test_oversized_query_is_refused() -> None:
    query = "SELECT * WHERE { ?s ?p ?o }" + " " * MAX_QUERY_CHARS
    with pytest.raises(UsageError, match="characters; the limit is"):
        check_sparql(query)


def test_unterminated_string_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="unterminated string at line 2"):
        check_sparql('SELECT * WHERE {\n ?s ?p "oops }')


def test_custom_rq_file_is_guarded(tmp_path: Path, store: EmbeddedStore) -> None:
    path = tmp_path / "federated.rq"
    path.write_text(
        "#+ title: t\n#+ description: d\n#+ columns: {s: s}\n"
        "SELECT ?s WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="SERVICE"):
        run_query(str(path), store=store)


# --- bounds ------------------------------------------------------------------------------


def test_time_limit_stops_a_runaway_query(store: EmbeddedStore) -> None:
    runaway = "SELECT * WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # ~10^8 rows, streamed
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"stopped after 0.3 s \(time limit\)"):
        run_sparql(runaway, store=store, limits=QueryLimits(timeout=0.3, max_rows=None))
    assert time.monotonic() - started < 2
    # The worker sees the stop signal at its next row and ends.
    deadline = time.monotonic() + 5
    while any(t.name == "kg-query" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the query thread kept running"
        time.sleep(0.05)


def test_row_cap_stops_reading_early(store: EmbeddedStore) -> None:
    runaway = "SELECT * WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"
    started = time.monotonic()
    answer = run_sparql(runaway, store=store, limits=QueryLimits(timeout=30, max_rows=1000))
    assert len(answer) == 1000 and answer.truncated
    assert time.monotonic() - started < 5


def test_limits_are_checked() -> None:
    with pytest.raises(UsageError):
        QueryLimits(timeout=0)
    with pytest.raises(UsageError):
        QueryLimits(max_rows=0)


# --- formats -----------------------------------------------------------------------------

ALICE = "kgid:person/orcid/0000-0002-1825-0097"
CAROL = "https://w3id.org/kg/id/person/key/lab:carol"


@pytest.fixture(scope="module")
def coauthors(store: EmbeddedStore) -> QueryAnswer:
    return run_query("person-coauthors", {"person": ALICE}, store=store)


def test_json_is_an_array_of_row_objects(coauthors: QueryAnswer) -> None:
    rows = json.loads(format_answer(coauthors, "json"))
    assert rows[0] == {"coauthor": CAROL, "name": "Carol Díaz", "jointWorks": 4,
                       "firstYear": 2021, "lastYear": 2022}  # fmt: skip
    lines = format_answer(coauthors, "ndjson").splitlines()
    assert [json.loads(line) for line in lines] == rows


def test_plain_tsv_is_for_spreadsheets(coauthors: QueryAnswer) -> None:
    lines = format_answer(coauthors, "tsv").splitlines()
    assert lines[0].split("\t") == coauthors.columns
    assert lines[1].split("\t") == [CAROL, "Carol Díaz", "4", "2021", "2022"]


def test_sparql_json_is_sparql_results_json(coauthors: QueryAnswer) -> None:
    text = format_answer(coauthors, "sparql-json")
    doc = json.loads(text)
    assert doc["head"]["vars"] == coauthors.columns
    assert doc["results"]["bindings"][0]["jointWorks"] == {
        "type": "literal",
        "value": "4",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    parsed = ox.parse_query_results(text.encode(), ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    assert [tuple(s[v] for v in coauthors.columns) for s in parsed] == coauthors.rows


def test_tsv_round_trips(coauthors: QueryAnswer) -> None:
    text = format_answer(coauthors, "sparql-tsv")
    assert text.splitlines()[0] == "\t".join(f"?{c}" for c in coauthors.columns)
    parsed = ox.parse_query_results(text.encode(), ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    assert [tuple(s[v] for v in coauthors.columns) for s in parsed] == coauthors.rows


def test_csv_quotes_per_rfc4180(coauthors: QueryAnswer) -> None:
    text = format_answer(coauthors, "csv")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == coauthors.columns
    assert rows[1:] == [[t.value if t is not None else "" for t in r] for r in coauthors.rows]
    assert '"Stone, Bob"' in text


def test_table_is_aligned(coauthors: QueryAnswer) -> None:
    lines = format_answer(coauthors, "table").splitlines()
    assert lines[0].split() == coauthors.columns
    starts = [lines[0].index(c) for c in coauthors.columns]
    for line in lines[2:]:
        for start in starts[1:]:
            assert line[start - 2 : start] == "  " and line[start] != " "
    assert "kgid:person/key/lab:carol" in lines[2]


def test_table_cuts_long_cells() -> None:
    answer = QueryAnswer("select", ["x"], [(ox.Literal("y" * 200),)])
    assert format_answer(answer, "table").splitlines()[2] == "y" * 79 + "…"


def test_construct_formats_round_trip(store: EmbeddedStore) -> None:
    answer = run_query("person-profile-graph", {"person": ALICE}, store=store)
    expected = set(answer.triples)
    for fmt, rdf in (("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
                     ("jsonld", ox.RdfFormat.JSON_LD)):  # fmt: skip
        text = format_answer(answer, fmt)
        assert {q.triple for q in ox.parse(text.encode(), rdf)} == expected, fmt
    for fmt in ("json", "sparql-json", "ndjson"):
        with pytest.raises(UsageError, match="jsonld"):
            format_answer(answer, fmt)


def test_ask_and_mismatched_formats(store: EmbeddedStore, coauthors: QueryAnswer) -> None:
    ask = run_sparql("ASK { ?s ?p ?o }", store=store)
    assert json.loads(format_answer(ask, "sparql-json")) == {"head": {}, "boolean": True}
    assert json.loads(format_answer(ask, "json")) is True
    assert format_answer(ask, "table") == "true\n"
    with pytest.raises(UsageError, match="CONSTRUCT"):
        format_answer(coauthors, "ttl")
    with pytest.raises(UsageError, match="unknown format"):
        format_answer(coauthors, "xml")


# --- headers -----------------------------------------------------------------------------

GOOD_HEADER = "#+ title: T\n#+ description: D\n#+ columns: {n: n}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * { ?s ?p ?o }\n", "no '#\\+' header"),
        ("#+ title: [unclosed\nSELECT * {}\n", "not valid YAML"),
        ("#+ description: D\n#+ columns: {n: n}\nSELECT ?n {}\n", "non-empty 'title:'"),
        ("#+ title: T\n#+ description: D\n#+ colums: {n: n}\nSELECT ?n {}\n", "unknown header keys"),
        (GOOD_HEADER + "#+ params: {x: {kind: uri, required: true, example: a}}\nSELECT ?n { $x ?p ?n }\n", "kind must be one of"),
        (GOOD_HEADER + "#+ params: {x: {kind: year, required: true, default: 2000, example: 2000}}\nSELECT ?n { ?n ?p $x }\n", "not both"),
        (GOOD_HEADER + "#+ params: {x: {kind: year, required: true, example: 20}}\nSELECT ?n { ?n ?p $x }\n", "example value is invalid"),
        (GOOD_HEADER + "#+ params: {x: {kind: year, required: true, example: 2000}}\nSELECT ?n { ?n ?p ?o }\n", "never used"),
        (GOOD_HEADER + "#+ params: {x: {kind: year, required: true, example: 2000}}\nSELECT ?n { ?n ?x $x }\n", "also used as \\?name"),
        (GOOD_HEADER + "DELETE WHERE { ?s ?p ?o }\n", "not an update"),
        (GOOD_HEADER + "#+ params: {1x: {kind: year, required: true, example: 2000}}\nSELECT ?n { ?n ?p ?o }\n", "parameter name"),
    ],
)  # fmt: skip
def test_bad_headers_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        parse_query_file(path)
    assert str(path) in str(info.value)


def test_a_query_needs_only_a_title(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text("#+ title: Mine\nSELECT ?n { ?n ?p $who }\n", encoding="utf-8")
    query = parse_query_file(path)
    assert (query.title, query.description, query.columns) == ("Mine", "", {})
    assert query.params["who"].kind == "literal" and query.params["who"].required


def test_every_header_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.rq"
    path.write_text(
        "#+ colums: {n: n}\n#+ params: {x: {kind: uri}, y: {kind: year, example: 20}}\n"
        "SELECT ?n { ?n ?p $x . ?n ?q ?x }\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        parse_query_file(path)
    message = str(info.value)
    for part in ("unknown header keys", "'title:'", "parameter x: kind must be one of",
                 "parameter y: example value is invalid", "never used", "also used as ?name"):  # fmt: skip
        assert part in message, part
    assert "\n" not in message


def test_unknown_query_name_suggests_close_ones() -> None:
    with pytest.raises(UsageError, match="did you mean person-coauthors"):
        get_query("person-coauthor")
