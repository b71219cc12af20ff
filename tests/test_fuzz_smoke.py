"""A short fuzz campaign over every target (``make fuzz`` runs the long one), and proof that the
harness reports what it must: crashes, undeclared exceptions, hangs and network requests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fuzz import targets
from fuzz.runner import run_target

SMOKE_INPUTS = 60
#: fewer for the slower targets (a page through extruct, a store rendered to HTML), so the whole
#: smoke campaign stays well under a minute; each still runs its seeds and then mutations
SMOKE_INPUTS_OF = {"api-orcid": 40, "api-openalex": 40, "api-crossref": 40, "api-dblp": 40,
                   "page-text": 40, "page-html": 45, "html-render": 25}  # fmt: skip


def test_every_builtin_target_survives_a_short_campaign() -> None:
    from concurrent.futures import ThreadPoolExecutor

    found = targets()
    assert {"records-json", "records-jsonl", "records-csv", "records-yaml", "rdf-turtle",
            "rdf-ntriples", "rdf-nquads", "rdf-trig", "rdf-jsonld", "mapping",
            "sparql-literal", "api-orcid", "api-openalex", "api-crossref", "api-dblp", "page-text",
            "page-html", "html-render", "sparql-guard"} <= set(found)  # fmt: skip
    builtin = [t for t in found.values() if not t.name.startswith("selftest-")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(
            lambda t: run_target(t, inputs=SMOKE_INPUTS_OF.get(t.name, SMOKE_INPUTS), seed=7,
                                 timeout=20), builtin
        ))  # fmt: skip
    for counts in results:
        assert counts.inputs == SMOKE_INPUTS_OF.get(counts.target, SMOKE_INPUTS)
        assert (counts.crash, counts.undeclared, counts.timeout, counts.isolation) == (0, 0, 0, 0), (
            counts.target, counts.findings)  # fmt: skip
        assert counts.ok > 0, f"{counts.target}: no input was accepted (seeds broken?)"
        if counts.target not in ("sparql-literal", "page-text"):  # both accept almost anything
            assert counts.rejected > 0, f"{counts.target}: no input was rejected (no mutation?)"


_SELFTEST = """
    import os, socket, time
    from fuzz import register
    from kg.errors import DataError

    def _reject(data):
        raise DataError("refused")

    def _undeclared(data):
        return [][len(data)]

    def _crash(data):
        os.abort()

    def _hang(data):
        time.sleep(60)

    def _network(data):
        try:
            socket.create_connection(("10.255.255.1", 80), timeout=5)
        except OSError:
            pass  # kg swallowing the error must not hide the request
        return "ok"

    for _name, _fn in [("reject", _reject), ("undeclared", _undeclared), ("crash", _crash),
                       ("hang", _hang), ("network", _network)]:
        register("selftest-" + _name, _fn, seeds=lambda: [b"seed"])
"""


def test_the_harness_reports_each_kind_of_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kg_fuzz_selftest.py").write_text(textwrap.dedent(_SELFTEST))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("KG_FUZZ_TARGETS", "kg_fuzz_selftest")
    monkeypatch.setattr("fuzz.runner.FINDINGS", tmp_path / "findings")
    found = targets()
    outcome = {}
    for kind in ("reject", "undeclared", "crash", "hang", "network"):
        counts = run_target(found[f"selftest-{kind}"], inputs=2, seed=1, timeout=2)
        outcome[kind] = (counts.ok, counts.rejected, counts.crash, counts.undeclared,
                         counts.timeout, counts.isolation)  # fmt: skip
    assert outcome == {
        "reject": (0, 2, 0, 0, 0, 0),
        "undeclared": (0, 0, 0, 2, 0, 0),
        "crash": (0, 0, 2, 0, 0, 0),
        "hang": (0, 0, 0, 0, 2, 0),
        "network": (0, 0, 0, 0, 0, 2),
    }
    saved = sorted(p.name for p in (tmp_path / "findings").glob("*.bin"))
    assert any(n.startswith("selftest-undeclared-undeclared-") for n in saved), saved
    assert (
        "IndexError" in next((tmp_path / "findings").glob("selftest-undeclared-*.txt")).read_text()
    )
