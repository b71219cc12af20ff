"""Every command and sub-command has ``--help`` with an example, and every example runs: on the
bundled examples (a copy of the demo store, in a folder holding a copy of examples/), exit 0,
with output (rows on stdout, or the files it names)."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from kg.cli import _build_parser, main
from kg.shared import project_root


def _tree() -> dict[str, argparse.ArgumentParser]:
    """Every command path (``"query run"``) and its parser."""
    out: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out[f"{path} {name}".strip()] = sub
                    walk(sub, f"{path} {name}")

    walk(_build_parser(), "")
    return out


COMMANDS = _tree()


def _example(command: str) -> str:
    epilog = COMMANDS[command].epilog or ""
    assert epilog.startswith("example:\n  kg "), f"kg {command} --help has no example"
    return epilog.split("\n", 1)[1].strip()


def test_the_tree_has_every_command() -> None:
    assert {"ingest", "init", "build", "query run", "query list", "query show", "export html",
            "export jsonld", "plot coauthors", "sparql", "doctor"} <= set(COMMANDS)  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command.split(), "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"example:\n  kg {command.split()[0]}" in out
    assert out.startswith(f"usage: kg {command}")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_example_runs_on_the_bundled_examples(
    command: str, demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    argv = shlex.split(_example(command))[1:]
    shutil.copytree(project_root() / "examples", tmp_path / "examples")
    store = tmp_path / "kg-store"
    shutil.copytree(demo_store, store)
    monkeypatch.chdir(tmp_path)
    parser = COMMANDS.get(" ".join(argv[:2])) or COMMANDS[argv[0]]  # the command it runs
    options = {o for a in parser._actions for o in a.option_strings}
    if argv[0] == "doctor":  # the example's URL is a server's; here, a real one the test starts
        server = request.getfixturevalue("oxigraph_server")
        argv = ["doctor", "--endpoint", f"{server.url}/query"]
    elif "--store" in options and "--store" not in argv:
        argv += ["--store", str(store)]
    if argv[0] == "build":
        assert main(["-q", "init", "--base-url", "https://lab.example.org/"]) == 0
    if argv[0] == "serve":  # a server runs until Ctrl-C: run it as a process, read a page, stop it
        _run_serve(argv, store, tmp_path)
        return
    before = {p for p in tmp_path.rglob("*") if "kg-store" not in p.parts}
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr()
    written = {p for p in tmp_path.rglob("*") if "kg-store" not in p.parts} - before
    assert out.out.strip() or written or argv[0] in {"ingest", "remove"}, argv
    if argv[0] in {"ingest", "remove"}:
        assert out.err.strip()  # what was loaded or removed, one line a source
    if out.out.strip() and argv[0] in {"query", "sparql"}:
        assert len(out.out.strip().splitlines()) >= 2 or out.out.startswith("[")  # rows


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("kg ing", {"ingest"}),
        ("kg ingest --quar", {"--quarantine"}),
        ("kg query run person-co", {"person-coauthors", "person-coauthor-network"}),
        ("kg export ", {"html", "jsonld"}),
    ],
)
def test_shell_completion(line: str, expected: set[str]) -> None:
    """argcomplete's protocol, as bash and zsh drive it: the line in COMP_LINE, the answer on
    file descriptor 8, separated by _ARGCOMPLETE_IFS."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_IFS": "\n"}  # fmt: skip
    saved = os.dup(8) if _fd_open(8) else None
    os.dup2(write, 8)
    try:
        proc = subprocess.run([sys.executable, "-m", "kg"], env=env, pass_fds=(8,),
                              capture_output=True, timeout=120)  # fmt: skip
    finally:
        os.close(8)
        os.close(write)
        if saved is not None:
            os.dup2(saved, 8)
            os.close(saved)
    with os.fdopen(read, "rb") as fh:
        answer = set(fh.read().decode().split("\n")) - {""}
    assert proc.returncode == 0, proc.stderr
    assert expected <= {a.strip() for a in answer}
    assert not any(a.strip() in {"stats", "extract"} for a in answer)


def _fd_open(fd: int) -> bool:
    import os

    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _run_serve(argv: list[str], store: Path, cwd: Path) -> None:
    """The ``kg serve`` example on a site exported from the demo store: it serves the index on
    127.0.0.1 (any free port here) and Ctrl-C ends it with exit 0."""
    site = argv[1]
    base = "https://lab.example.org/"
    code = main(["-q", "export", "html", "--out", site, "--base-url", base, "--store", str(store)])
    assert code in {0, 1}  # 1: pages held back by Scholar's rules (the seed has no dates)
    argv = [a if a != "8000" else "0" for a in argv]  # the example's port, here any free one
    proc = subprocess.Popen([sys.executable, "-m", "kg", *argv], cwd=cwd, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        with urllib.request.urlopen(found.group(1), timeout=10) as answer:
            assert answer.status == 200 and b"<html" in answer.read()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        if proc.stderr is not None:
            proc.stderr.close()
