"""The project file: ``kg init`` writes kg.toml, kg finds it here or in a parent (or --config),
its settings fill what flags and environment variables leave unset, and ``kg build`` runs
ingest -> validate -> export from it."""

from __future__ import annotations

import argparse
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from kg.cli import main
from kg.config import Config, apply, load_config
from kg.shared import project_root

EXAMPLES = project_root() / "examples"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/ with a kg.toml written by ``kg init``, as the current directory."""
    where = tmp_path / "lab"
    shutil.copytree(EXAMPLES, where)
    monkeypatch.chdir(where)
    assert main(["-q", "init", "--base-url", "https://lab.example.org/"]) == 0
    return where


def test_init_writes_a_commented_file_listing_what_the_folder_holds(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project / "kg.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["sources"]["inputs"] == ["group", "seed"]
    assert data["site"] == {"base_url": "https://lab.example.org/", "out": "site"}
    assert data["store"] == {"path": "kg-store"}
    assert text.count("\n# ") >= 10  # commented: every table says what it is for
    assert main(["init"]) == 2
    assert capsys.readouterr().err == "kg: kg.toml exists already (--force replaces it)\n"
    assert main(["init", "--force", "--source", "group"]) == 0
    assert load_config(project / "kg.toml").sources == ["group"]


def test_build_runs_ingest_validate_export(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["build"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        "group/external.csv: loaded, 7/7 records, 348 triples",
        "group/more-publications.jsonl: loaded, 8/8 records, 374 triples",
    ]
    assert err[-2].startswith("validate: 0 violations")
    assert err[-1].startswith("export: wrote 13 profile pages and 25 publication pages to ")
    assert (project / "site" / "index.html").is_file()
    assert (project / "kg-store").is_dir()  # [store] path, relative to kg.toml
    # a second build changes nothing in the store; --strict counts held-back pages
    assert main(["build", "--strict"]) == 1
    assert "group/external.csv: unchanged" in capsys.readouterr().err


def test_kg_toml_is_found_from_a_subdirectory(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "ingest"]) == 0  # [sources] inputs
    monkeypatch.chdir(project / "group")
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 59
    assert main(["sources", "--json"]) == 0
    names = {s["name"] for s in json.loads(capsys.readouterr().out)}
    assert "group/people.yaml" in names  # named relative to the project root


def test_config_option_names_the_file(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    assert main(["-q", "ingest", "--config", str(project / "kg.toml")]) == 0
    assert (project / "kg-store").is_dir() and not (other / "kg-store").exists()
    assert main(["stats", "--config", str(other / "missing.toml")]) == 2
    assert capsys.readouterr().err.endswith("missing.toml: no such file\n")


def test_a_flag_outranks_the_environment_which_outranks_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config(None, {"store": {"path": "/file"}, "http": {"mailto": "file@e.org"},
                           "site": {"base_url": "https://file/", "site_name": "File"}})  # fmt: skip

    def filled(**given: object) -> argparse.Namespace:
        ns = argparse.Namespace(store=None, endpoint=None, mailto=None, base_url=None,
                                site_name=None, sources=[])  # fmt: skip
        for key, value in given.items():
            setattr(ns, key, value)
        apply(config, ns)
        return ns

    ns = filled()
    assert (ns.store, ns.mailto, ns.base_url, ns.site_name) == (
        "/file",
        "file@e.org",
        "https://file/",
        "File",
    )
    assert filled(store="/flag").store == "/flag"
    assert filled(endpoint="http://flag/q").store is None  # the flag's choice, not the file's
    monkeypatch.setenv("KG_STORE", "/env")
    monkeypatch.setenv("KG_MAILTO", "env@e.org")
    ns = filled()
    assert ns.store is None and ns.mailto is None  # left to the environment variable
    assert filled(base_url="https://flag/").base_url == "https://flag/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[stor]\npath = 'x'\n", "unknown table [stor] (did you mean store?)"),
        ("[store]\npaht = 'x'\n", "[store] unknown key 'paht' (did you mean path?)"),
        ("[sources]\ninputs = 'group'\n", "[sources] inputs must be a list of strings"),
        ("[store]\npath = 'a'\nendpoint = 'http://x/q'\n", "[store] takes path or endpoint, not both"),
        ("[store\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_project_file_is_one_line_exit_2(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    (tmp_path / "kg.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["stats"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("kg: ")


def test_query_folders_add_to_the_built_ins(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = project / "my-queries"
    mine.mkdir()
    (mine / "people-count.rq").write_text(
        "#+ title: How many people\nSELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:Person }\n",
        encoding="utf-8",
    )
    with (project / "kg.toml").open("a", encoding="utf-8") as fh:
        fh.write('folders = ["my-queries"]\n')  # the last table of the file is [queries]
    assert main(["-q", "ingest"]) == 0
    capsys.readouterr()
    assert main(["query", "list"]) == 0
    listed = capsys.readouterr().out
    assert "people-count" in listed and "person-coauthors" in listed
    assert main(["query", "run", "people-count", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 59}]
    from kg.queries.library import extra_query_dirs

    assert extra_query_dirs() == []  # a run's project settings end with the run
    # KG_QUERIES adds too; a second query of the same name is an error that names both files
    other = project / "more-queries"
    other.mkdir()
    shutil.copy(mine / "people-count.rq", other)
    monkeypatch.setenv("KG_QUERIES", str(other))
    assert main(["query", "list"]) == 1
    assert "a saved query named 'people-count' already exists" in capsys.readouterr().err
