"""The docs stay true: every command the README shows runs and prints what the README says
(normalized for minted ids, times and temporary paths), its Python block runs and prints its
text block, every CLI command is documented, and the Makefile targets it names exist.

README ``console`` blocks are scripts: a ``$ `` line is a command (``kg`` is the installed
command; ``cd`` changes the directory for the next lines of the block), the lines after it are
its output (stdout and stderr as a terminal shows them); a ``...`` line stands for any lines.
Each block starts in the same sandbox: a folder holding a copy of examples/."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.cli import _build_parser
from kg.config import load_config
from kg.shared import project_root

README = (project_root() / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
#: Blocks shown but not run, each with the reason (a test checks this list is exact).
NOT_RUN = {
    "python3 -m pip wheel": "the Install block: .ci/install-check runs it (make test)",
    "oxigraph serve": "starts a server (tests/test_engines.py runs the tour on one)",
    "make demo": "the whole demo (make demo runs it; the tour below is its core)",
}


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(text: str, lang: str) -> list[str]:
    return [body for kind, body in _BLOCK.findall(text) if kind == lang]


def _script(block: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` of a console block; ``\\`` continues a command."""
    steps: list[tuple[str, list[str]]] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            steps.append((command, []))
        elif steps:
            steps[-1][1].append(line)
        i += 1
    return [(c, [x.rstrip() for x in out]) for c, out in steps]


_MASKS = [
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"-[0-9a-f]{10}\b"), "-<id>"),
    (re.compile(r"/[0-9a-f]{16}\b"), "/<id>"),
]


def _normalized(text: str, sandbox: Path) -> list[str]:
    text = text.replace(str(sandbox) + "/", "").replace(str(sandbox), ".")
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return [line.rstrip() for line in text.splitlines()]


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a ``...`` line matches any run of lines (also none)."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and _matches(expected[1:], actual[1:])


def _run(command: str, cwd: Path) -> str:
    bin_dir = str(Path(sys.executable).parent)  # the kg command of this environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_") or k == "KG_SHARED"}
    env.update({"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "100"})
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("readme")
    shutil.copytree(project_root() / "examples", where / "examples")
    return where


def _runnable() -> list[tuple[str, int, str]]:
    out = []
    for n, block in enumerate(_blocks(README, "console")):
        first = _script(block)[0][0] if _script(block) else ""
        if not any(first.startswith(skip) for skip in NOT_RUN):
            out.append((first[:40], n, block))
    return out


RUNNABLE = _runnable()


def test_only_the_listed_blocks_are_not_run() -> None:
    firsts = [(_script(b) or [("", [])])[0][0] for b in _blocks(README, "console")]
    skipped = {skip for skip in NOT_RUN for f in firsts if f.startswith(skip)}
    assert skipped == set(NOT_RUN)
    assert not _blocks(README, "sh") and not _blocks(README, "bash"), (
        "commands go in console blocks"
    )


@pytest.mark.parametrize(("first", "n", "block"), RUNNABLE, ids=[r[0] for r in RUNNABLE])
def test_readme_commands_print_what_the_readme_shows(
    first: str, n: int, block: str, sandbox: Path
) -> None:
    cwd = sandbox
    for command, expected in _script(block):
        if command.startswith("cd "):
            cwd = cwd / command[3:].strip()
            continue
        actual = _normalized(_run(command, cwd), sandbox)
        expected = _normalized("\n".join(expected), sandbox)
        assert _matches(expected, actual), f"README block {n}: `{command}` printed:\n" + "\n".join(
            actual
        )


def test_readme_python_block_prints_its_text_block(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs after the console blocks (test order): the tour's store exists in the sandbox."""
    api = _section("Python API")
    (code,) = _blocks(api, "python")
    (expected,) = _blocks(api, "text")
    monkeypatch.chdir(sandbox)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "README.md", "exec"), {})  # the README's own example
    assert _normalized(buffer.getvalue(), sandbox) == _normalized(expected, sandbox)


def test_the_project_file_shown_is_valid(tmp_path: Path) -> None:
    (shown,) = _blocks(_section("Project file"), "toml")
    path = tmp_path / "kg.toml"
    path.write_text(shown, encoding="utf-8")
    config = load_config(path)
    assert config.sources and config.get("site", "base_url")


def test_the_install_commands_are_the_ones_the_install_check_runs() -> None:
    """.ci/install-check (run by `make test`) runs the README's Install block itself."""
    script = (project_root() / ".ci" / "install-check").read_text(encoding="utf-8")
    assert "README.md" in script and "## Install" in script
    commands = [c for c, _ in _script(_blocks(_section("Install"), "console")[0])]
    assert any(c.startswith("pipx install") for c in commands)
    assert any("pip install" in c and "pipx" not in c for c in commands)
    assert all(shlex.split(c) for c in commands)


def _commands() -> list[str]:
    parser = _build_parser()
    out: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if nested:
                    out += [f"{name} {child}" for child in nested[0].choices]
                else:
                    out.append(name)
    return out


def test_every_cli_command_appears_in_the_readme() -> None:
    commands = _commands()
    assert len(commands) >= 4
    missing = [c for c in commands if f"kg {c}" not in README]
    assert not missing, f"README.md does not show: {missing}"


def test_the_sections_a_new_user_needs_are_there() -> None:
    for title in ("Install", "Quickstart", "Project file", "CLI tour", "Python API"):
        assert f"\n## {title}\n" in README, title
    development = _section("Development")
    assert "make demo" in development and "make test" in development


def test_make_targets_named_in_the_readme_exist() -> None:
    makefile = (project_root() / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    for target in set(re.findall(r"`make ([a-z][\w-]*)`", README)):
        assert target in targets, (
            f"README names `make {target}` but the Makefile has no such target"
        )


def _queries_doc_commands() -> list[str]:
    text = (project_root() / "docs" / "queries.md").read_text(encoding="utf-8")
    out = []
    for block in _blocks(text, "sh"):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith("kg "):
                out.append(command)
    return out


@pytest.mark.parametrize("command", _queries_doc_commands())
def test_queries_doc_examples_answer_on_the_bundled_examples(
    command: str, demo_store: Path, tmp_path: Path
) -> None:
    """docs/queries.md: the intro's commands and each query's example, on examples/: exit 0, and
    rows where the query has parameters (a quality check may rightly find nothing)."""
    argv = shlex.split(command)
    proc = subprocess.run([sys.executable, "-m", "kg", *argv[1:], "--store", str(demo_store)]
                          if argv[1] in {"query", "sparql"} and argv[2:3] != ["list"]
                          and argv[2:3] != ["show"] else [sys.executable, "-m", "kg", *argv[1:]],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    if "--param" in argv or "-p" in argv or argv[1] in {"sparql", "list", "show"}:
        assert len(lines) >= 2, proc.stdout
