"""The parts of the ``kg`` command that are about argparse, not about kg: a parser that raises a
:class:`~kg.errors.UsageError` instead of exiting, did-you-mean hints for mistyped commands,
choices and options, the options every command takes, and safe output files.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from kg.console import suggest
from kg.errors import UsageError
from kg.queries.formats import FORMATS

__all__ = [
    "Parser",
    "check_utf8",
    "common_options",
    "limit_options",
    "opened",
    "out_dir",
    "output",
    "parse",
    "source_options",
    "stdout",
    "store_options",
]

_CHOICE = re.compile(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)$", re.S)


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() controls output and exit codes, and
    says which command or choice was probably meant."""

    def error(self, message: str) -> Any:
        # main() prefixes "kg: "; a sub-command's parser names its command ("kg: ingest: ...")
        command = self.prog.removeprefix("kg").strip()
        m = _CHOICE.match(message)
        if m:
            what, word, listed = m.groups()
            choices = re.findall(r"'([^']*)'", listed)
            if what in {"COMMAND", "ACTION", "KIND"}:
                message = (
                    f"unknown {what.lower()} {word!r}{suggest(word, choices)} "
                    f"(one of: {', '.join(choices)}; see kg {command + ' ' if command else ''}--help)"
                )
            else:
                message = (
                    f"{what} {word!r} is not one of {', '.join(choices)}{suggest(word, choices)}"
                )
        raise UsageError(f"{command}: {message}" if command else message)


def common_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``-q``, ``-v`` and ``--config``: accepted before the command and after it."""
    default: Any = None if top else argparse.SUPPRESS
    g = p.add_argument_group("output and project")
    g.add_argument("-q", "--quiet", action="store_true", default=False if top else default,
                   help="print errors only")  # fmt: skip
    g.add_argument("-v", "--verbose", action="count", default=0 if top else default,
                   help="print details: per-source counters, warnings, every rejected record")  # fmt: skip
    g.add_argument("--config", metavar="FILE", default=default,
                   help="the project file (default: kg.toml here or in a parent directory)")  # fmt: skip


def store_options(p: argparse.ArgumentParser) -> None:
    """``--store`` / ``--endpoint``: every command that reads or writes the graph."""
    g = p.add_argument_group("where the graph lives")
    g.add_argument("--store", metavar="DIR",
                   help="embedded store directory (default: $KG_STORE or ./kg-store)")  # fmt: skip
    g.add_argument("--endpoint", metavar="URL",
                   help="a SPARQL 1.1 endpoint instead of the embedded store (default: $KG_ENDPOINT)")  # fmt: skip


def source_options(p: argparse.ArgumentParser) -> None:
    """What sources need: a contact address and cache for APIs, a page's owner, a name."""
    g = p.add_argument_group("source options")
    g.add_argument("--mailto", metavar="EMAIL", default=os.environ.get("KG_MAILTO"),
                   help="contact address sent to APIs (default: $KG_MAILTO)")  # fmt: skip
    g.add_argument("--cache", metavar="DIR", type=Path, help="on-disk cache of API responses")
    g.add_argument("--person", metavar="NAME", help="page sources: the profile owner's name")
    g.add_argument("--org", metavar="NAME", help="page sources: the page's organization")
    g.add_argument("--source-name", metavar="NAME",
                   help="a local file's identity in the store instead of its path relative to "
                        "the project root (the directory of kg.toml, else the current one)")  # fmt: skip


def limit_options(p: argparse.ArgumentParser) -> None:
    """Output format and bounds of a query."""
    g = p.add_argument_group("bounds")
    g.add_argument("--format", choices=list(FORMATS),
                   help="output format (default: table; ttl for CONSTRUCT)")  # fmt: skip
    g.add_argument("--timeout", metavar="S", type=float, default=60.0,
                   help="time limit in seconds (default 60; 0 = none)")  # fmt: skip
    g.add_argument("--limit", metavar="N", type=int, default=100_000,
                   help="row cap (default 100000; 0 = none)")  # fmt: skip


def _deepest(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command parser that ``args`` were parsed by."""
    current = parser
    for dest in ("command", "query_command", "export_kind", "plot_kind"):
        word = getattr(args, dest, None)
        subs = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if word is None or not subs or word not in subs[0].choices:
            continue
        current = subs[0].choices[word]
    return current


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; an unknown option names the command and the option probably meant."""
    try:
        args, extras = parser.parse_known_args(argv)
    except UsageError as exc:
        if argv and argv[0].startswith("-") and "unknown command" in str(exc):
            subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            command = next((a for a in argv if a in subs[0].choices), "COMMAND")
            raise UsageError(
                f"{exc}; options go after the command: kg {command} {argv[0]} ..."
            ) from None
        raise
    if extras:
        owner = _deepest(parser, args)
        command = owner.prog.removeprefix("kg").strip()
        options = [o for a in owner._actions for o in a.option_strings if o.startswith("--")]
        word = extras[0]
        hint = suggest(word.split("=", 1)[0], options) if word.startswith("-") else ""
        kind = "unknown option" if word.startswith("-") else "unexpected argument"
        where = f"{command}: " if command else ""
        raise UsageError(
            f"{where}{kind} {word!r}{hint}; see kg {command + ' ' if command else ''}--help"
        )
    return args


def check_utf8(argv: Sequence[str]) -> None:
    """Refuse an argument that is not valid UTF-8 (the OS hands it over as lone surrogates)."""
    for i, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UsageError(f"argument {i} is not valid UTF-8: {shown[:80]}") from None


@contextmanager
def output(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open ``--out`` for writing; a directory or an unwritable path is a one-line usage error."""
    try:
        fh = open(path, mode, encoding=None if "b" in mode else "utf-8")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"--out {path}: {exc.strerror or exc}") from None
    with fh:
        yield fh


def out_dir(path: Path) -> Path:
    """Create the output directory ``path`` (and parents); any failure is a one-line usage error."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: is a file, expected a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--out {path}: cannot create the directory ({exc.strerror or exc})"
        ) from None
    if not path.is_dir():
        raise UsageError(f"--out {path}: not a directory")
    return path


@contextmanager
def stdout() -> Iterator[IO[str]]:
    yield sys.stdout


@contextmanager
def opened(args: argparse.Namespace, *, read_only: bool = False) -> Any:
    """The store ``--store`` / ``--endpoint`` name, closed when the command is done."""
    from kg.store import open_store

    store = open_store(store=args.store, endpoint=args.endpoint, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
