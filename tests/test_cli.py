"""The kg command, driven in-process through ``main(argv)`` and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import main

GOOD: list[dict[str, object]] = [
    {"type": "Person", "id": "t:ada", "name": "Ada Lovelace"},
    {"type": "Publication", "title": "Notes", "authors": [{"name": "Ada", "person": "t:ada"}]},
]
BAD: dict[str, object] = {
    "type": "Publication",
    "id": "pub-7",
    "title": "No authors",
    "authors": [{"nam": "X"}],
}


def _file(tmp_path: Path, records: list[dict[str, object]], name: str = "batch.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(records), encoding="utf-8")
    return f


def _stats(store: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    assert main(["stats", "--store", str(store), "--json"]) == 0
    data: dict[str, int] = json.loads(capsys.readouterr().out)
    return data


def test_ingest_twice_gives_identical_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f, store = _file(tmp_path, GOOD), tmp_path / "st"
    assert main(["ingest", "--store", str(store), str(f)]) == 0
    first = _stats(store, capsys)
    assert main(["ingest", "--store", str(store), "--force", str(f)]) == 0
    assert _stats(store, capsys) == first
    assert {"triples", "people", "organizations", "publications", "graphs"} <= first.keys()
    assert (first["people"], first["publications"], first["graphs"]) == (1, 1, 1)


def test_invalid_record_is_quarantined_and_the_rest_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f, store, q = _file(tmp_path, [*GOOD, BAD]), tmp_path / "st", tmp_path / "q.jsonl"
    assert main(["ingest", "--store", str(store), "--quarantine", str(q), str(f)]) == 1
    err = capsys.readouterr().err
    assert "batch.json: record 3 (id pub-7): $.authors[0]: required field 'name' is missing" in err
    (line,) = q.read_text().splitlines()
    held = json.loads(line)
    assert held["record"] == BAD and held["record_number"] == 3 and held["record_id"] == "pub-7"
    assert any("$.authors[0]" in r for r in held["reasons"])
    assert _stats(store, capsys)["publications"] == 1


def test_strict_leaves_the_store_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "st"
    assert main(["ingest", "--store", str(store), str(_file(tmp_path, GOOD, "first.json"))]) == 0
    before = _stats(store, capsys)
    other = _file(tmp_path, [{"type": "Person", "name": "New Person"}, BAD], "second.json")
    assert main(["ingest", "--store", str(store), "--strict", str(other)]) == 1
    assert "--strict: batch rejected" in capsys.readouterr().err
    assert _stats(store, capsys) == before


def test_extract_prints_records_without_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["extract", str(_file(tmp_path, GOOD))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x) for x in lines] == GOOD
    assert not (tmp_path / "kg-store").exists()


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "jsonld"])
def test_dump_to_file(tmp_path: Path, fmt: str) -> None:
    store, out = tmp_path / "st", tmp_path / f"out.{fmt}"
    main(["ingest", "--store", str(store), str(_file(tmp_path, GOOD))])
    assert main(["dump", "--store", str(store), "--format", fmt, "--out", str(out)]) == 0
    assert "Ada Lovelace" in out.read_text(encoding="utf-8")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("kg ")


def test_real_subprocess_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe not utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kg", "ingest", "--store", str(tmp_path / "st"), str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bad.json: not UTF-8" in proc.stderr


def test_endpoint_option_uses_the_remote_store(
    oxigraph_server: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{oxigraph_server.url}/query"  # type: ignore[attr-defined]
    oxigraph_server.clear()  # type: ignore[attr-defined]
    assert main(["ingest", "--endpoint", url, str(_file(tmp_path, GOOD))]) == 0
    capsys.readouterr()
    assert main(["stats", "--endpoint", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["publications"] == 1
