"""The project file ``kg.toml`` (TOML 1.0, https://toml.io/en/v1.0.0): settings a project would
otherwise repeat on every command.

kg looks for ``kg.toml`` in the current directory, then in each parent (the same search that
makes its directory the project root naming local sources, :func:`kg.records.files.source_root`);
``--config FILE`` names one explicitly. Paths in it are relative to its own directory.

Tables and keys::

    [store]    path = "kg-store"           # or   endpoint = "http://127.0.0.1:7878/query"
    [sources]  inputs = ["examples/group"] # what `kg ingest` / `kg build` read when given none
    [http]     mailto = "you@example.org"   cache = ".kg-cache"
    [site]     base_url, profile_url, publication_url, url_map, site_name, templates, out
    [queries]  folders = ["my-queries"]     # added to the built-in saved queries

A setting is taken from, in order: the command-line flag, the environment variable, kg.toml,
the built-in default. :func:`apply` fills the command's argparse values that are still unset.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import UsageError
from kg.records.files import ROOT_MARKER

__all__ = ["SITE_KEYS", "Config", "apply", "find_config", "load_config"]

#: [site] keys; each fills the export option (argparse dest) of the same name
SITE_KEYS = ("base_url", "profile_url", "publication_url", "url_map", "site_name", "templates")
_PATH_KEYS = {"templates", "url_map", "out", "path", "cache"}
_TABLES: dict[str, set[str]] = {
    "store": {"path", "endpoint"},
    "sources": {"inputs"},
    "http": {"mailto", "cache"},
    "site": {*SITE_KEYS, "out"},
    "queries": {"folders"},
}
#: argparse dest -> (table, key, environment variable that outranks the file)
_FILLS: dict[str, tuple[str, str, str | None]] = {
    "store": ("store", "path", "KG_STORE"),
    "endpoint": ("store", "endpoint", "KG_ENDPOINT"),
    "mailto": ("http", "mailto", "KG_MAILTO"),
    "cache": ("http", "cache", None),
    **{key: ("site", key, None) for key in SITE_KEYS},
}


@dataclass(frozen=True)
class Config:
    """A read and checked ``kg.toml``: its tables, with paths made absolute."""

    path: Path | None = None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The project directory: where kg.toml is, else the current directory."""
        return self.path.parent if self.path else Path.cwd()

    def get(self, table: str, key: str) -> Any:
        return self.tables.get(table, {}).get(key)

    @property
    def sources(self) -> list[str]:
        return [str(s) for s in self.get("sources", "inputs") or ()]

    @property
    def query_folders(self) -> list[Path]:
        return [Path(p) for p in self.get("queries", "folders") or ()]


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``kg.toml`` from ``start`` (the current directory) upwards, or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ROOT_MARKER
        if candidate.is_file():
            return candidate
    return None


def _absolute(base: Path, key: str, value: Any) -> Any:
    if key == "inputs":
        return [_spec(base, v) for v in value]
    if key == "folders":
        return [str(base / Path(v).expanduser()) for v in value]
    if key in _PATH_KEYS and isinstance(value, str):
        return str(base / Path(value).expanduser())
    return value


def _spec(base: Path, value: str) -> str:
    """A source spec: a path is taken from ``base`` and shown relative to the current directory
    (as a user would type it); ``scheme:value`` stays as it is."""
    head = value.split("/", 1)[0]
    if ":" in head and len(head.split(":", 1)[0]) > 1:
        return value
    return os.path.relpath(base / Path(value).expanduser())


def load_config(path: Path) -> Config:
    """Read ``path``; an unreadable file, bad TOML, an unknown table or key is a usage error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    base = path.resolve().parent
    tables: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    from kg.console import suggest

    for name, table in data.items():
        if name not in _TABLES:
            problems.append(f"unknown table [{name}]{suggest(name, _TABLES)}")
            continue
        if not isinstance(table, dict):
            problems.append(f"[{name}] must be a table")
            continue
        for key, value in table.items():
            if key not in _TABLES[name]:
                problems.append(f"[{name}] unknown key {key!r}{suggest(key, _TABLES[name])}")
            elif key in {"inputs", "folders"} and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                problems.append(f"[{name}] {key} must be a list of strings")
            elif key not in {"inputs", "folders"} and not isinstance(value, str):
                problems.append(f"[{name}] {key} must be a string")
        tables[name] = {k: _absolute(base, k, v) for k, v in table.items() if k in _TABLES[name]}
    if problems:
        raise UsageError(f"{path}: {'; '.join(problems)}")
    if tables.get("store", {}).keys() >= {"path", "endpoint"}:
        raise UsageError(f"{path}: [store] takes path or endpoint, not both")
    return Config(path, tables)


def current(explicit: str | Path | None = None) -> Config:
    """The project's config: ``explicit`` (``--config``), else the nearest kg.toml, else empty."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f"--config {path}: no such file")
        return load_config(path)
    found = find_config()
    return load_config(found) if found else Config()


def apply(config: Config, args: argparse.Namespace) -> None:
    """Fill the command's unset options from ``config`` (a flag or env var outranks the file).

    >>> ns = argparse.Namespace(store=None, endpoint=None, base_url=None)
    >>> apply(Config(None, {"site": {"base_url": "https://file/"}}), ns)
    >>> ns.base_url
    'https://file/'
    """
    if args.__dict__.get("store") is not None or args.__dict__.get("endpoint") is not None:
        skip_store = True  # one of the two was given: the other must not come from the file
    else:
        skip_store = bool(os.environ.get("KG_STORE") or os.environ.get("KG_ENDPOINT"))
    for dest, (table, key, env) in _FILLS.items():
        if dest not in args.__dict__ or getattr(args, dest) is not None:
            continue
        if dest in {"store", "endpoint"} and skip_store:
            continue
        if env and os.environ.get(env):
            continue
        value = config.get(table, key)
        if value is not None:
            setattr(args, dest, Path(value) if dest in {"templates", "cache", "url_map"} else value)
    if "sources" in args.__dict__ and not args.sources:
        args.sources = config.sources
    from kg.queries.library import set_query_folders

    set_query_folders(config.query_folders)
