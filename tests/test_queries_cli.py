"""``kg query list|show|run`` and ``kg sparql``, driven in-process through ``main(argv)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main
from kg.queries import load_queries
from tests.queries_support import RECORDS

ALICE = "kgid:person/orcid/0000-0002-1825-0097"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "store"
    assert main(["ingest", "--store", str(path), str(RECORDS)]) == 0
    return str(path)


def test_list_json_has_every_query_with_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) >= 18
    assert [q["name"] for q in listed] == sorted(load_queries())
    coauthors = next(q for q in listed if q["name"] == "person-coauthors")
    assert coauthors["params"][0]["name"] == "person"
    assert coauthors["params"][0]["kind"] == "iri"
    assert coauthors["params"][0]["required"] is True
    assert coauthors["params"][0]["example"].startswith("https://")
    assert [p["name"] for p in coauthors["params"]] == ["person", "since", "until"]


def test_list_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "list"]) == 0
    out = capsys.readouterr().out
    assert "work-related" in out and "(work [limit])" in out


def test_show_prints_header_and_sparql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "show", "person-coauthors"]) == 0
    out = capsys.readouterr().out
    assert "# param person (iri, required)" in out
    assert "# example: kg query run person-coauthors --param person=https://" in out
    assert "GROUP BY ?coauthor" in out


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_query_runs_with_its_example_on_the_bundled_examples(
    name: str, demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The examples docs/queries.md shows name people and works of examples/: they answer."""
    q = load_queries()[name]
    argv = ["query", "run", name, "--store", str(demo_store)]
    for key, value in q.example_values().items():
        argv += ["--param", f"{key}={value}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    if q.form == "select":
        assert out.splitlines()[0].split() == list(q.columns)
        # a query with parameters answers its example; a quality check may find nothing
        assert len(out.splitlines()) > 2 or not q.params
    else:
        assert out.startswith("@prefix")


def test_run_formats(store_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["query", "run", "person-coauthors", "--store", store_dir, "-p", f"person={ALICE}"]
    assert main([*base, "--format", "sparql-json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["head"]["vars"][0] == "coauthor"
    assert main([*base, "--format", "json"]) == 0
    assert next(iter(json.loads(capsys.readouterr().out)[0])) == "coauthor"
    assert main([*base, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("coauthor,name,jointWorks")
    assert main([*base, "--format", "ttl"]) == 2
    assert "CONSTRUCT" in capsys.readouterr().err


def test_parameter_errors_exit_2_and_list_what_the_query_takes(
    store_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = ["query", "run", "work-related", "--store", store_dir]
    assert main([*run, "-p", "wrk=kgid:work/x"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'wrk'" in err
    assert "this query takes: work (iri, required); limit (integer, default 20)" in err
    assert main(run) == 2
    assert "missing required parameter work" in capsys.readouterr().err
    assert main([*run, "-p", "work"]) == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert main([*run, "-p", "work=https://e.org/> } #"]) == 2
    assert "not allowed in an IRI" in capsys.readouterr().err


def test_unknown_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "run", "no-such-query"]) == 2
    assert "no saved query 'no-such-query'" in capsys.readouterr().err


def test_sparql_reads_text_or_file(
    store_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/Person> }"
    assert main(["sparql", query, "--store", store_dir, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "9"
    path = tmp_path / "q.rq"
    path.write_text(query, encoding="utf-8")
    assert main(["sparql", f"@{path}", "--store", store_dir, "--format", "sparql-tsv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith('"9"^^')
    assert main(["sparql", f"@{path}", "--store", store_dir, "--format", "tsv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "9"]


def test_sparql_refuses_service_and_updates(
    store_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    service = "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }"
    assert main(["sparql", service, "--store", store_dir]) == 2
    assert "--allow-service" in capsys.readouterr().err
    update = "DELETE WHERE { ?s ?p ?o }"
    assert main(["sparql", update, "--store", store_dir]) == 2
    assert "--allow-update" in capsys.readouterr().err
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert main(["sparql", count, "--store", store_dir, "--format", "csv"]) == 0
    assert int(capsys.readouterr().out.splitlines()[1]) > 0


def test_sparql_bounds_have_messages(store_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["sparql", "SELECT ?s WHERE { ?s ?p ?o }", "--store", store_dir, "--limit", "2"]) == 0
    )
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 4
    assert "stopped at 2 rows (row cap)" in captured.err
    runaway = "SELECT * WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"
    argv = ["sparql", runaway, "--store", store_dir, "--timeout", "0.2", "--limit", "0"]
    assert main(argv) == 1
    assert "stopped after 0.2 s (time limit)" in capsys.readouterr().err
