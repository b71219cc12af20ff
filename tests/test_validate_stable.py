"""Reports people can diff (docs/validation.md): one result per (focus, path, value, shape,
component), shape ids derived from their content, byte-identical JSON from two runs on one store,
and data problems apart from Google's publishing advice (``kg validate --for web``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kg.cli import main
from kg.shared import project_root

EXAMPLES = project_root() / "examples"
PAGE_SHAPES = ("google.ttl", "scholar.ttl")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's record sources (examples/group and examples/seed) in an embedded store."""
    store = tmp_path_factory.mktemp("demo") / "store"
    assert (
        main(["ingest", str(EXAMPLES / "group"), str(EXAMPLES / "seed"), "--store", str(store)])
        == 0
    )
    return store


def run_validate(store: Path, *extra: str) -> bytes:
    """``kg validate --format json`` in a fresh process: blank-node labels, hash seeds and caches
    are new each time, as in two runs by a user."""
    done = subprocess.run(
        [sys.executable, "-m", "kg", "validate", "--store", str(store), "--format", "json", *extra],
        capture_output=True,
        check=False,
        cwd=project_root(),
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.stdout


def test_two_runs_give_byte_identical_json(demo_store: Path) -> None:
    for purpose in ("data", "web"):
        first = run_validate(demo_store, "--for", purpose)
        assert first == run_validate(demo_store, "--for", purpose)
        doc = json.loads(first)
        # anonymous shapes are named by their content: no run-specific blank-node label
        shapes = {r["shape"] for r in doc["results"]}
        assert all(s.startswith(("https://", "_:s")) for s in shapes), shapes


def test_the_demo_report_has_no_duplicate_and_no_google_advice(
    demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--store", str(demo_store), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = Counter(
        (r["focus"], r["path"], r["value"], r["shape"], r["component"]) for r in data["results"]
    )
    assert data["results"] and max(keys.values()) == 1
    assert not any("Google" in r["message"] for r in data["results"])
    assert not any(r["shape"].rsplit("#", 1)[-1].startswith(("Google", "Scholar"))
                   for r in data["results"])  # fmt: skip

    assert main(["validate", "--store", str(demo_store), "--format", "json", "--for", "web"]) == 0
    web = json.loads(capsys.readouterr().out)
    assert any("Google recommends" in r["message"] for r in web["results"])
    data_keys = {(r["focus"], r["shape"]) for r in data["results"]}
    assert not data_keys & {(r["focus"], r["shape"]) for r in web["results"]}

    assert main(["validate", "--store", str(demo_store), "--format", "json", "--for", "all"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert len(both["results"]) == len(data["results"]) + len(web["results"])


def test_an_unknown_purpose_is_a_usage_error(
    demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--store", str(demo_store), "--for", "print"]) == 2
    assert "--for 'print' is not one of data, web, all" in capsys.readouterr().err
