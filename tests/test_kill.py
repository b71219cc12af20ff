"""SIGKILL during ``kg ingest``, repeatedly: the store stays openable with no partial record."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.store import EmbeddedStore, SelectResult, stats

KILLS = 12
PUBS_PER_FILE = 400
AUTHORS = 6


def _batch(path: Path, prefix: str, version: int) -> Path:
    records = [
        {"type": "Publication", "title": f"{prefix} paper {i} v{version}", "doi": f"10.5555/{prefix}.{i}",
         "date": "2024", "authors": [{"name": f"{prefix} Author {(i + k) % 97} v{version}"} for k in range(AUTHORS)]}
        for i in range(PUBS_PER_FILE)
    ]  # fmt: skip
    path.write_text(json.dumps(records))
    return path


def _check_consistent(store_dir: Path) -> dict[str, int]:
    """Every stored publication has all its authorships and its title is of one version only."""
    store = EmbeddedStore(store_dir)  # opening for writing also drops leftover staging graphs
    try:
        res = store.query(
            """PREFIX kg: <https://w3id.org/kg/vocab#> PREFIX schema: <https://schema.org/>
            SELECT ?w (COUNT(DISTINCT ?a) AS ?n) (COUNT(DISTINCT ?t) AS ?titles)
            WHERE { ?w a schema:ScholarlyArticle ; kg:authorship ?a ; schema:name ?t } GROUP BY ?w"""
        )
        assert isinstance(res, SelectResult)
        rows = res.dicts()
        assert all(r["n"] == str(AUTHORS) for r in rows), "a publication lost authorships"
        assert all(r["titles"] == "1" for r in rows), "old and new versions mixed"
        s = stats(store)
        assert s.publications == 2 * PUBS_PER_FILE, s
        graphs = store.query(
            "SELECT ?g WHERE { GRAPH ?g { ?g <http://www.w3.org/ns/prov#generatedAtTime> ?t } }"
        )
        assert isinstance(graphs, SelectResult)
        assert len(graphs.rows) == s.graphs, "a graph without its provenance"
        versions = store.query(
            "SELECT DISTINCT ?t WHERE { ?w <https://schema.org/name> ?t } ORDER BY ?t LIMIT 1"
        )
        assert isinstance(versions, SelectResult)
        version = int((versions.dicts()[0]["t"] or "v0").rsplit("v", 1)[1])
        return {"publications": s.publications, "graphs": s.graphs, "version": version}
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_during_ingest_never_leaves_a_partial_record(tmp_path: Path) -> None:
    rng = random.Random(7)
    store_dir = tmp_path / "st"
    # A committed first version, so kills also land while older loads are being replaced; and
    # how long one whole ingest takes here, so the kills land before, during and after commit.
    a, b = _batch(tmp_path / "a.json", "a", 0), _batch(tmp_path / "b.json", "b", 0)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "kg", "ingest", "--store", str(store_dir), str(a), str(b)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    whole = time.monotonic() - start
    outcomes: list[dict[str, int]] = []
    killed_running = 0
    for n in range(1, KILLS + 1):
        a = _batch(tmp_path / "a.json", "a", n)
        b = _batch(tmp_path / "b.json", "b", n)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg", "ingest", "--store", str(store_dir), str(a), str(b)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.2, 1.6) * whole)
        killed_running += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        outcomes.append(_check_consistent(store_dir))
    # After all the kills, a normal ingest completes and the store is whole.
    a, b = _batch(tmp_path / "a.json", "a", 99), _batch(tmp_path / "b.json", "b", 99)
    done = subprocess.run([sys.executable, "-m", "kg", "ingest", "--store", str(store_dir), str(a), str(b)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    final = _check_consistent(store_dir)
    assert final == {"publications": 2 * PUBS_PER_FILE, "graphs": 2, "version": 99}
    print(
        f"whole ingest {whole:.2f} s; {killed_running}/{KILLS} killed mid-run; outcomes {outcomes}"
    )
    assert killed_running >= 1, "no kill landed while an ingest ran"
