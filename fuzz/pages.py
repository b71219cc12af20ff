"""Fuzz targets for the page reader: ``page-text`` and ``page-html``.

Each input is written to a scratch file (``.txt`` / ``.html``) and read by
:class:`kg.records.pages.PageSource` exactly as ``kg ingest page:FILE`` reads it (the HTML through
extruct's structured data and the line walker, text through the line parser); the records it
builds go through :func:`fuzz.targets.check_downstream`. Seeds: the shared seed profile text, the
test pages, and the shared page fixtures (profiles, scholarly articles, extruct samples) of at
most 60 KB, so one input stays well inside the time bound.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from fuzz import ROOT, Outcome, register
from kg.records.pages import PageSource
from kg.shared import shared_dir

__all__ = ["page_target"]

_MAX_SEED = 60_000


def page_target(suffix: str) -> Callable[[bytes], Outcome]:
    """A target writing the input to a ``suffix`` file and reading it with ``PageSource``."""
    from fuzz.targets import _scratch, check_downstream

    def run(data: bytes) -> Outcome:
        path = _scratch() / f"page{suffix}"
        path.write_bytes(data)
        # every other input names the owner (``--person``), so pages without a header reach the
        # record building too; chosen from the bytes, so a saved finding replays the same way
        source = PageSource(path, person="Ada Lovelace" if zlib.crc32(data) & 1 else None)
        records = [raw.data for raw in source.iter_records()]  # a KgError here: rejected
        return check_downstream(records, where=source.label)

    return run


def _files(*patterns: tuple[str, str]) -> list[bytes]:
    roots = {"repo": ROOT, "shared": shared_dir()}
    out = []
    for root, pattern in patterns:
        for path in sorted(roots[root].glob(pattern)):
            if path.is_file() and path.stat().st_size <= _MAX_SEED:
                out.append(path.read_bytes())
    return out


def _text_seeds() -> list[bytes]:
    return _files(("shared", "seeds/000_*.txt"), ("repo", "tests/data/pages/*.txt"))


def _html_seeds() -> list[bytes]:
    return _files(("repo", "tests/data/pages/*.html"), ("shared", "fixtures/pages/**/*.html"))


register("page-text", page_target(".txt"), seeds=_text_seeds, kind="text", suffix=".txt")
register("page-html", page_target(".html"), seeds=_html_seeds, kind="xml", suffix=".html")
