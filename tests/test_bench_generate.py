"""The benchmark's data generator (bench/generate.py): deterministic, schema-true, rightly sized.

Benchmarks themselves never run in the tests; only the generator they stand on is checked here.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

# bench/ sits beside kg/ and is not installed: make it importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import Dataset, generate, profile_records
from bench.workloads import _PROV_QUERY
from kg.ids import orcid_checksum_ok
from kg.ingest import ingest
from kg.records.files import RecordFile, open_file
from kg.records.schema import check_record
from kg.store import EmbeddedStore, SelectResult, stats

SIZE = 6_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return generate(SIZE, tmp_path_factory.mktemp("gen") / "a", seed=7)


def _records(d: Dataset) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in d.files:
        source = open_file(d.records_dir / name)
        assert isinstance(source, RecordFile)
        out.extend(raw.data for raw in source.iter_records())
    return out


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def test_same_seed_same_bytes(data: Dataset, tmp_path: Path) -> None:
    again = generate(SIZE, tmp_path / "b", seed=7)
    assert _tree(again.directory) == _tree(data.directory)
    other = generate(SIZE, tmp_path / "c", seed=8)
    assert _tree(other.directory) != _tree(data.directory)


def test_every_record_format_is_written(data: Dataset) -> None:
    assert {Path(f).suffix for f in data.files} == {".json", ".jsonl", ".csv", ".yaml"}
    assert set(data.formats) == {"json", "jsonl", "csv", "yaml"}
    assert sum(data.formats.values()) == data.records == len(_records(data))


def test_only_the_damaged_records_fail_the_schema(data: Dataset) -> None:
    records = _records(data)
    failing = [r for r in records if check_record(r)]
    assert len(failing) == data.damaged > 0
    assert 0.01 < data.damaged / data.records < 0.06
    assert 0.01 < data.duplicated / data.records < 0.06


def test_shape_violations_are_what_the_manifest_says(data: Dataset) -> None:
    valid = [r for r in _records(data) if not check_record(r)]
    people = [r for r in valid if r["type"] == "Person"]
    works = [r for r in valid if r["type"] == "Publication"]
    seen = Counter[str]()
    for p in people:
        if p.get("orcid") and not orcid_checksum_ok(p["orcid"]):
            seen["bad_orcid_check"] += 1
        if p["name"] != p["name"].strip():
            seen["name_whitespace"] += 1
    for w in works:
        seen["missing_title"] += "title" not in w
        seen["missing_date"] += "date" not in w
    # duplicates repeat a record, violations included: at least the manifest's count, not more
    # than the duplicates can add
    for kind, n in data.shape_violations.items():
        assert n <= seen[kind] <= n + data.duplicated, kind
    assert 0.05 < sum(data.shape_violations.values()) / data.records < 0.15


def test_estimate_is_within_20_percent_of_ingest(data: Dataset) -> None:
    store = EmbeddedStore(None)
    report = ingest([str(data.records_dir)], store, validate=False)
    assert len(report.rejected) == data.damaged  # without the gate: the schema rejects only these
    prov = store.query(_PROV_QUERY)
    assert isinstance(prov, SelectResult)
    real = stats(store).triples - int(prov.dicts()[0]["n"] or 0)  # data triples, as estimated
    assert abs(data.estimated_triples - real) / real < 0.20
    assert abs(real - SIZE) / SIZE < 0.20


def test_the_gate_holds_back_the_shape_violating_records(data: Dataset) -> None:
    """With the gate on, kg rejects the damaged records (schema), every record that breaks a
    shape at Violation severity, and the publications left with an author who has no name because
    that person's record was rejected; a missing date is only a Warning and passes."""
    report = ingest([str(data.records_dir)], EmbeddedStore(None))
    held = [r for r in report.rejected if any(w.startswith("validation:") for w in r.reasons)]
    assert len(report.rejected) - len(held) == data.damaged
    valid = [r for r in _records(data) if not check_record(r)]
    assert sum(_violates(r) for r in valid) == sum(_violates(r.record) for r in held) > 0
    assert not any("date" not in r.record for r in held if r.record["type"] == "Publication")
    orphaned = [r for r in held if not _violates(r.record)]
    assert all(r.record["type"] == "Publication" for r in orphaned)
    assert all(any("needs a name" in why for why in r.reasons) for r in orphaned)


def _violates(rec: dict[str, Any]) -> bool:
    """Breaks a shape at Violation severity (the generator's kinds, bench/generate.py)."""
    if rec["type"] == "Person":
        orcid = rec.get("orcid")
        return bool(orcid and not orcid_checksum_ok(orcid)) or rec["name"] != rec["name"].strip()
    return rec["type"] == "Publication" and "title" not in rec


def test_publication_counts_are_long_tailed(tmp_path: Path) -> None:
    d = generate(60_000, tmp_path / "big", seed=3)
    assert d.max_publications >= 50
    assert 20 < d.triples_per_entity < 36


def test_publication_counts_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.generate

    monkeypatch.setattr(bench.generate, "MAX_PUBLICATIONS", 25)
    d = generate(60_000, tmp_path / "capped", seed=3)
    assert d.max_publications == 25


def test_profile_records_are_valid() -> None:
    recs = profile_records(40, seed=2)
    assert [r["type"] for r in recs].count("Publication") == 40
    assert all(check_record(r) == [] for r in recs)
    assert profile_records(40, seed=2) == recs
