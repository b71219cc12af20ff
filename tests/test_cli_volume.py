"""Quiet by default, details with -v, errors only with -q, a progress display on a terminal only.

A generated institute (bench/generate.py: several files in every record format, ~5% damaged
records) is ingested by a real ``kg`` process: its stderr is a pipe, as in a log or CI."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate


@pytest.fixture(scope="module")
def institute(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("institute")
    generate(30_000, where / "data", seed=3)
    return where


def _kg(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kg", *argv], capture_output=True, text=True,
                          timeout=600, cwd=cwd)  # fmt: skip


def _files(where: Path) -> list[Path]:
    return sorted(p for p in (where / "data").rglob("*") if p.is_file())


def test_a_large_ingest_prints_a_line_per_source_and_a_summary(institute: Path) -> None:
    proc = _kg("ingest", "--store", "st", "--quarantine", "q.jsonl", "data", cwd=institute)
    assert proc.returncode == 1  # damaged records were held back
    lines = proc.stderr.splitlines()
    files = _files(institute)
    rejected = len((institute / "q.jsonl").read_text(encoding="utf-8").splitlines())
    assert rejected > 10
    assert len(lines) == len(files) + 1, proc.stderr
    assert sorted(line.split(": ", 1)[0] for line in lines[:-1]) == [
        str(p.relative_to(institute)) for p in files
    ]
    assert lines[-1] == f"kg: {rejected} records rejected; see q.jsonl; -v lists them"
    assert "\x1b[" not in proc.stderr  # no progress display or colour in a pipe
    # -q: errors only; -v: every rejected record with its reasons, the per-source counters
    quiet = _kg("-q", "ingest", "--store", "st2", "data", cwd=institute)
    assert quiet.stderr.splitlines() == [
        f"kg: {rejected} records rejected (use --quarantine FILE to keep them); -v lists them"
    ]
    loud = _kg("ingest", "-v", "--store", "st3", "data", cwd=institute)
    assert len(loud.stderr.splitlines()) > len(files) + rejected
    assert loud.stderr.count(": record ") >= rejected


def test_progress_shows_on_a_terminal_only(institute: Path) -> None:
    """The same ingest with stderr on a pseudo-terminal draws rich's live display, which it
    clears when done (transient): what stays are the summary lines."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "ingest", "--store", "st-tty", "data/records"],
        cwd=institute, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL,
        env={**os.environ, "TERM": "xterm-256color"},
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 600)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=600) == 1
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in screen  # a live display was drawn ...
    assert "resolving entities" in screen or "writing" in screen  # ... naming the stage at work
    assert "records rejected" in screen
