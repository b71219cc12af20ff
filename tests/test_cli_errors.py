"""Every user error of the ``kg`` command is one line on stderr, with the right exit code and a
hint where one helps (did you mean ...), never a traceback; ``kg ingest -`` reads stdin."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import main

GOOD = [
    {"type": "Person", "id": "t:ada", "name": "Ada Lovelace"},
    {"type": "Publication", "title": "Notes", "authors": [{"name": "Ada", "person": "t:ada"}]},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("errors")
    records = where / "good.json"
    records.write_text(json.dumps(GOOD), encoding="utf-8")
    assert main(["ingest", "--store", str(where / "st"), str(records)]) == 0
    return where / "st"


CASES = [
    # (argv, environment, exit code, what the one line says)
    (["ingest"], {}, 2, "give a SOURCE"),
    (["ingest", "--bogus", "x.json"], {}, 2, "ingest: unknown option '--bogus'"),
    (["ingest", "--quarantien", "q.jsonl", "x.json"], {}, 2, "did you mean --quarantine"),
    (["ingset", "x.json"], {}, 2, "unknown command 'ingset' (did you mean ingest"),
    (["query", "rnu"], {}, 2, "unknown action 'rnu' (did you mean run"),
    (["query", "run", "person-coauthor"], {}, 2, "did you mean person-coauthors"),
    (["ingest", "people.xlsx"], {}, 2, "unknown file type '.xlsx'"),
    (["ingest", "missing.json"], {}, 1, "missing.json: no such file"),
    (["ingest", "empty"], {}, 1, "empty: no record or RDF files in this directory"),
    (["dump", "--format", "xml"], {}, 2, "--format 'xml' is not one of"),
    (["stats", "--endpoint", "ftp://x"], {}, 2, "--endpoint must be an http(s) URL"),
    (["stats", "--store", "nowhere"], {}, 1, "no kg store at nowhere"),
    (["export", "html", "--store", "{store}", "--out", "/proc/x", "--base-url", "https://e.org/"], {}, 2, "--out /proc/x: cannot create"),
    (["export"], {}, 2, "kg: export: choose what to write"),
    (["export", "htm"], {}, 2, "unknown kind 'htm' (did you mean html"),
    (["ingest", "x.json"], {"KG_MAX_RECORDS": "ten"}, 2, "KG_MAX_RECORDS='ten': expected a positive whole number"),
    (["stats", "--store", "{store}"], {"KG_LOCK_WAIT_S": "soon"}, 2, "KG_LOCK_WAIT_S='soon'"),
    (["--store", "somewhere", "stats"], {}, 2, "options go after the command: kg stats --store ..."),
    (["query", "run", "person-coauthors", "--store", "{store}", "-p", "person=Nobody Here"], {}, 1, "no person matches 'Nobody Here'"),
    (["plot", "coauthors", "--store", "{store}", "--person", "Ada Lovelacee", "--out", "x.svg"], {}, 1, "(did you mean 'Ada Lovelace'?)"),
    (["sparql", "--store", "{store}", "SELECT ?x WHERE { ?x ?y }"], {}, 2, "SPARQL syntax error at line 1, column 26"),
    (["build"], {}, 2, "no kg.toml here or in a parent directory (run `kg init` first)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "env", "code", "message"), CASES, ids=[" ".join(c[0])[:60] for c in CASES]
)
def test_user_errors_are_one_line_with_exit_codes(
    argv: list[str], env: dict[str, str], code: int, message: str, store: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main([a.replace("{store}", str(store)) for a in argv]) == code
    captured = capsys.readouterr()
    err = captured.err
    assert message in err
    assert err.count("\n") == 1 and err.startswith("kg: "), err
    assert "kg: kg " not in err and "Traceback" not in err


REAL = [
    # unwritable outputs (the test audit hook refuses such writes in-process, so a real process)
    (["dump", "--store", "{store}", "--out", "/nonexistent/x.ttl"], {}, "kg: --out /nonexistent/x.ttl: No such file or directory"),
    (["dump", "--store", "{store}", "--out", "/proc/x"], {}, "kg: --out /proc/x: "),
    (["export", "html", "--store", "{store}", "--out", "{store}/CURRENT/site", "--base-url", "https://e.org/"], {}, "kg: --out {store}/CURRENT/site: cannot create the directory (Not a directory)"),
    (["ingest", "x.json"], {"KG_MAX_RECORDS": "ten"}, "kg: KG_MAX_RECORDS='ten'"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "env", "message"), REAL, ids=[" ".join(c[0])[:50] for c in REAL])
def test_errors_in_a_real_process_have_no_traceback(
    argv: list[str], env: dict[str, str], message: str, store: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kg", *[a.replace("{store}", str(store)) for a in argv]],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**__import__("os").environ, **env},
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(message.replace("{store}", str(store))), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_ingest_dash_reads_json_lines_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = "".join(json.dumps(r) + "\n" for r in GOOD).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    assert main(["ingest", "--store", "st", "-"]) == 0
    assert capsys.readouterr().err == "stdin: loaded, 2/2 records, 19 triples\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    assert main(["ingest", "--store", "st", "-"]) == 0  # the same input again: unchanged
    assert capsys.readouterr().err == "stdin: unchanged, 2/2 records\n"
    assert main(["sources", "--store", "st", "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["stdin"]


def test_ingest_dash_in_a_real_pipe(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kg", "ingest", "--store", "st", "--source-name", "piped", "-"],
        input='{"type": "Person", "name": "Grace Hopper"}\n{"type": "Person"}\n',
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == "piped: loaded, 1/2 records, 5 triples, 1 rejected"
    assert "piped: record 2: " in proc.stderr and "Traceback" not in proc.stderr
