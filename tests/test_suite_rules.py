"""Rules of the suite itself, so it cannot quietly test less: every ``../shared`` file is named
through tests/conftest.py (which fails under CI=true when one is missing), and golden files are
rewritten only through tests/golden.py (``pytest --update-golden``, refused under CI=true)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent
#: the only modules that may touch ../shared or golden files directly
SHARED_HOMES = {"conftest.py", "_audit.py"}
GOLDEN_HOME = "golden.py"


def _modules() -> list[Path]:
    return sorted(TESTS.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_shared_files_are_named_through_the_conftest_helpers(path: Path) -> None:
    if path.name in SHARED_HOMES | {Path(__file__).name}:
        return
    text = path.read_text("utf-8")
    assert "shared_dir(" not in text, f"{path.name}: use shared_path()/require_shared()"
    assert not re.search(r"skipif\([^)]*exists\(\)", text), (
        f"{path.name}: a skip on a missing file passes under CI; use needs_shared()/require_shared()"
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_golden_files_have_one_update_mechanism(path: Path) -> None:
    if path.name in {GOLDEN_HOME, Path(__file__).name}:
        return
    text = path.read_text("utf-8")
    assert "KG_UPDATE_GOLDEN" not in text, f"{path.name}: use tests/golden.py (--update-golden)"


def test_update_golden_is_refused_under_ci() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--update-golden",
            "-q",
            "--co",
            "tests/test_suite_rules.py",
        ],
        cwd=ROOT,
        env={"CI": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "--update-golden is refused under CI=true" in run.stderr + run.stdout


def test_a_missing_shared_dir_fails_collection_under_ci(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_apis_dblp.py"],
        cwd=ROOT,
        env={"CI": "true", "KG_SHARED": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "CI=true: shared fixture" in run.stdout + run.stderr
    assert "skipped" not in run.stdout.splitlines()[-1]
