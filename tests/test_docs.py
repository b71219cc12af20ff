"""The docs stay true: every CLI command is documented in the README, the two quickstart commands
are there, and the Makefile targets the README names exist."""

from __future__ import annotations

import argparse
import re

from kg.cli import _build_parser
from kg.shared import project_root

README = (project_root() / "README.md").read_text(encoding="utf-8")


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


def test_quickstart_has_the_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quickstart and "make test" in quickstart


def test_make_targets_named_in_the_readme_exist() -> None:
    makefile = (project_root() / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    for target in set(re.findall(r"`make ([a-z][\w-]*)`", README)):
        assert target in targets, (
            f"README names `make {target}` but the Makefile has no such target"
        )
