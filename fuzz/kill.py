"""``python -m fuzz.kill --kills 50``: SIGKILL ``kg ingest`` at random points, many times.

The long version of tests/test_kill.py (12 kills in the unit suite): two files of 400
publications with 6 authors each are re-ingested over a committed store in a new version each
round, and the process is killed at a random moment between 0.2x and 1.6x of one whole
ingest's duration, so kills land before, during and after the commit. After each kill the store
must open, every publication must have all its authorships and a title of one version only
(:func:`tests.test_kill._check_consistent`). Prints the counts docs/reliability.md quotes.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.test_kill import PUBS_PER_FILE, _batch, _check_consistent


def _ingest_cmd(store: Path, *files: Path) -> list[str]:
    return [sys.executable, "-m", "kg", "ingest", "--store", str(store), *map(str, files)]


def campaign(kills: int, *, seed: int = 7) -> dict[str, int]:
    """Run ``kills`` kill rounds; the counts of what happened."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kg-kill-") as tmp:
        root = Path(tmp)
        store = root / "store"
        a, b = _batch(root / "a.json", "a", 0), _batch(root / "b.json", "b", 0)
        start = time.monotonic()
        subprocess.run(_ingest_cmd(store, a, b), check=True, capture_output=True, timeout=300)
        whole = time.monotonic() - start
        counts = {"kills": 0, "killed_mid_run": 0, "partial_records": 0, "new_version_seen": 0}
        for n in range(1, kills + 1):
            a, b = _batch(root / "a.json", "a", n), _batch(root / "b.json", "b", n)
            proc = subprocess.Popen(_ingest_cmd(store, a, b), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(rng.uniform(0.2, 1.6) * whole)
            counts["killed_mid_run"] += proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            counts["kills"] += 1
            try:
                state = _check_consistent(store)
            except AssertionError as exc:
                counts["partial_records"] += 1
                print(f"kill {n}: INCONSISTENT STORE: {exc}", flush=True)
                continue
            counts["new_version_seen"] += state["version"] == n
            print(f"kill {n}: ok {state}", flush=True)
        a, b = _batch(root / "a.json", "a", 999), _batch(root / "b.json", "b", 999)
        done = subprocess.run(_ingest_cmd(store, a, b), capture_output=True, timeout=300)
        final = _check_consistent(store)
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
