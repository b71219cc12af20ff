"""``python -m fuzz.kill --kills 50``: SIGKILL ``kg ingest`` at random points, many times.

The long version of tests/test_kill.py (12 kills in the unit suite): two files of 400
publications with 6 authors each are re-ingested over a committed store in a new version each
round, and the process is killed at a random moment between 0.2x and 1.6x of one whole
ingest's duration, so kills land before, during and after the commit. After each kill the store
must open, every publication must have all its authorships and a title of one version only
(:func:`check_consistent`). Prints the counts docs/reliability.md quotes.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg.store import EmbeddedStore, SelectResult, stats

PUBS_PER_FILE = 400
AUTHORS = 6


def batch(path: Path, prefix: str, version: int) -> Path:
    records = [
        {"type": "Publication", "title": f"{prefix} paper {i} v{version}", "doi": f"10.5555/{prefix}.{i}",
         "date": "2024", "authors": [{"name": f"{prefix} Author {(i + k) % 97} v{version}"} for k in range(AUTHORS)]}
        for i in range(PUBS_PER_FILE)
    ]  # fmt: skip
    path.write_text(json.dumps(records))
    return path


def check_consistent(store_dir: Path) -> dict[str, int]:
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


def _ingest_cmd(store: Path, *files: Path) -> list[str]:
    return [sys.executable, "-m", "kg", "ingest", "--store", str(store), *map(str, files)]


def campaign(kills: int, *, seed: int = 7, echo: bool = True) -> dict[str, int]:
    """Run ``kills`` kill rounds; the counts of what happened (each round printed with ``echo``)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kg-kill-") as tmp:
        root = Path(tmp)
        store = root / "store"
        a, b = batch(root / "a.json", "a", 0), batch(root / "b.json", "b", 0)
        start = time.monotonic()
        subprocess.run(_ingest_cmd(store, a, b), check=True, capture_output=True, timeout=300)
        whole = time.monotonic() - start
        counts = {"kills": 0, "killed_mid_run": 0, "partial_records": 0, "new_version_seen": 0}
        for n in range(1, kills + 1):
            a, b = batch(root / "a.json", "a", n), batch(root / "b.json", "b", n)
            proc = subprocess.Popen(_ingest_cmd(store, a, b), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(rng.uniform(0.2, 1.6) * whole)
            counts["killed_mid_run"] += proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            counts["kills"] += 1
            try:
                state = check_consistent(store)
            except AssertionError as exc:
                counts["partial_records"] += 1
                print(f"kill {n}: INCONSISTENT STORE: {exc}", flush=True)  # always said
                continue
            counts["new_version_seen"] += state["version"] == n
            if echo:
                print(f"kill {n}: ok {state}", flush=True)
        a, b = batch(root / "a.json", "a", 999), batch(root / "b.json", "b", 999)
        done = subprocess.run(_ingest_cmd(store, a, b), capture_output=True, timeout=300)
        final = check_consistent(store)
        counts["final_ok"] = int(
            done.returncode == 0
            and final == {"publications": 2 * PUBS_PER_FILE, "graphs": 2, "version": 999}
        )
        counts["whole_ingest_ms"] = int(whole * 1000)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.kill", description=__doc__)
    parser.add_argument("--kills", type=int, default=50, help="kill rounds (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    counts = campaign(args.kills, seed=args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0 if counts["partial_records"] == 0 and counts["final_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
