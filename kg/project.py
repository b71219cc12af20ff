"""A kg project: ``kg init`` writes a commented ``kg.toml``; ``kg build`` runs the pipeline it
describes — ingest its sources, validate the graph, export the static site — as ``make`` or
``hugo`` build a project from its file.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> init(d, sources=["people.json"], base_url="https://lab.example.org/").name
'kg.toml'
>>> from kg.config import load_config
>>> load_config(d / "kg.toml").get("site", "base_url")
'https://lab.example.org/'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.config import Config
from kg.errors import EXIT_DATA, EXIT_OK, UsageError
from kg.records.files import ROOT_MARKER
from kg.records.sources import RDF_SUFFIXES, RECORD_SUFFIXES

__all__ = ["BuildReport", "build", "find_sources", "init"]

_TEMPLATE = """\
# kg.toml: the project file of kg (TOML, https://toml.io). kg finds it in the current directory
# or a parent; paths are relative to this file. A command-line flag outranks an environment
# variable, which outranks this file. `kg build` runs ingest -> validate -> export html from it.

[store]
# the embedded store directory (or, instead, a SPARQL 1.1 endpoint: endpoint = "http://...")
path = "kg-store"
# endpoint = "http://127.0.0.1:7878/query"

[sources]
# what `kg ingest` and `kg build` read when given no SOURCE: record files, RDF files,
# directories, and API sources such as "orcid:0000-0002-1825-0097" (docs/sources.md)
inputs = {inputs}

[http]
# a contact address sent to the scholarly APIs, and an on-disk cache of their answers
# mailto = "you@example.org"
# cache = ".kg-cache"

[site]
# where the pages will be served, and where `kg build` writes them
base_url = {base_url}
out = "site"
# site_name = "Research profiles"
# templates = "templates"      # Jinja2 templates overriding the bundled ones

[queries]
# folders of your own .rq files, added to the saved queries (`kg query list`)
# folders = ["queries"]
"""


def find_sources(directory: Path) -> list[str]:
    """The entries of ``directory`` that hold records: record/RDF files, and folders with some."""
    suffixes = {*RECORD_SUFFIXES, *RDF_SUFFIXES}
    found: list[str] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or entry.name in {"kg-store", "site"}:
            continue
        if (entry.is_file() and entry.suffix.lower() in suffixes) or (
            entry.is_dir()
            and any(p.is_file() and p.suffix.lower() in suffixes for p in entry.rglob("*"))
        ):
            found.append(entry.name)
    return found


def init(
    directory: Path,
    *,
    sources: Sequence[str] | None = None,
    base_url: str | None = None,
    force: bool = False,
) -> Path:
    """Write a commented ``kg.toml`` in ``directory``; its sources default to
    :func:`find_sources`. An existing file is kept unless ``force``."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory")
    path = directory / ROOT_MARKER
    if path.exists() and not force:
        raise UsageError(f"{path} exists already (--force replaces it)")
    inputs = list(sources) if sources else find_sources(directory)
    text = _TEMPLATE.format(
        inputs=json.dumps(inputs, ensure_ascii=False),
        base_url=json.dumps(base_url or "https://example.org/"),
    )
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


@dataclass
class BuildReport:
    """What ``kg build`` did: one summary line per stage, and the exit code."""

    lines: list[str] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def stage(self, line: str, code: int = EXIT_OK) -> None:
        self.lines.append(line)
        self.exit_code = max(self.exit_code, code)


Step = Callable[[], Any]


def build(
    config: Config,
    *,
    ingest_step: Callable[[list[str]], int],
    validate_step: Callable[[], Any],
    export_step: Callable[[Path], Any],
    strict: bool = False,
) -> BuildReport:
    """Run ingest -> validate -> export for the project ``config`` describes.

    The steps are the CLI's own commands (so ``kg build`` prints and exits as they do). A data
    problem in a step (rejected records, violations) is reported and the next step still runs:
    the site is built from what is valid, as ``kg ingest`` stores the valid records. Pages the
    Google/Scholar checks hold back are reported; with ``strict`` they make the exit code 1.
    """
    if config.path is None:
        raise UsageError(f"no {ROOT_MARKER} here or in a parent directory (run `kg init` first)")
    if not config.sources:
        raise UsageError(f"{config.path}: [sources] inputs is empty: nothing to build")
    out = config.get("site", "out") or str(config.root / "site")
    report = BuildReport()
    code = ingest_step(config.sources)
    report.stage("ingest", code)
    checked = validate_step()
    report.stage("validate", EXIT_OK if checked.conforms else EXIT_DATA)
    exported = export_step(Path(out))
    held = EXIT_DATA if strict and exported.held_back else EXIT_OK
    report.stage("export", held)
    return report
