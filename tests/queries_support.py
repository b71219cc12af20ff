"""Shared helpers for the saved-query tests: the record set, the stores, golden files.

The record set in tests/data/queries/records/ is ingested with pinned source keys and labels
(the real RecordFile reader, only its identity fixed), so name-derived IRIs and source graph
IRIs do not depend on where the repository is checked out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg import __version__
from kg.ids import source_family
from kg.ingest import ingest
from kg.queries import QueryAnswer
from kg.records.files import RecordFile
from kg.records.sources import RawRecord
from kg.store import Store
from tests.golden import check_json
from tests.servers import OxigraphServer, oxigraph_binary

DATA = Path(__file__).parent / "data" / "queries"
RECORDS = DATA / "records"
EXPECTED = DATA / "expected"
IN_CI = os.environ.get("CI", "").lower() == "true"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


@dataclass(frozen=True)
class PinnedSource:
    """A record file read by kg's own reader, under a fixed key and label."""

    file: RecordFile
    key: str
    label: str

    def iter_records(self) -> Iterator[RawRecord]:
        return self.file.iter_records()


def record_sources(directory: Path = RECORDS, *, set_name: str = "records") -> list[PinnedSource]:
    """The record files of ``directory`` as sources keyed ``https://example.org/kg-tests/SET/FILE``
    (distinct sets never replace each other's graphs in a shared store)."""
    return [
        PinnedSource(
            RecordFile(p),
            f"https://example.org/kg-tests/{set_name}/{p.name}",
            f"{set_name}/{p.name}",
        )
        for p in sorted(directory.glob("*.json"))
    ]


def load_records(store: Store, directory: Path = RECORDS, *, set_name: str = "records") -> None:
    report = ingest(record_sources(directory, set_name=set_name), store)
    assert report.ok, [str(r) for r in report.rejected] + [s.error for s in report.sources]


def start_server(tmp: Path) -> OxigraphServer:
    binary = oxigraph_binary()
    if binary is None:
        message = "the oxigraph server binary is not installed (pip install oxigraph)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}; CI must run the real thing")
        pytest.skip(message)
    return OxigraphServer(binary, tmp)


#: A person known by name only has an IRI scoped to its source file's location (kg/ids.py): mask
#: the scope hash, so the golden files hold wherever the checkout lives.
_SCOPED = re.compile(r"(/kg/id/person/name/[^\s<>\"]*-)[0-9a-f]{10}\b")


def location_free(text: str) -> str:
    return _SCOPED.sub(r"\1(scoped)", text)


def _term_json(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        # A load graph is {source family}/{load id}: the load id differs from load to load.
        return {"type": "uri", "value": location_free(source_family(term.value))}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    if out.get("datatype") == XSD_DATETIME:
        out["value"] = "(load time)"  # differs from load to load; checked separately
    elif out["value"] == __version__:
        out["value"] = "(kg version)"  # the loading kg's version: a release must not break goldens
    return out


def comparable(answer: QueryAnswer) -> Any:
    """An answer as plain JSON, in row order, with load times masked."""
    if answer.form == "construct":
        lines = sorted(location_free(str(t)) for t in answer.triples)
        return [line for line in lines if XSD_DATETIME not in line]
    if answer.form == "ask":
        return {"boolean": answer.boolean}
    return {
        "vars": answer.columns,
        "rows": [
            {c: _term_json(t) for c, t in zip(answer.columns, row, strict=True) if t is not None}
            for row in answer.rows
        ],
    }


def golden_path(name: str) -> Path:
    return EXPECTED / f"{name}.json"


def check_golden(name: str, answer: QueryAnswer) -> None:
    """Compare with tests/data/queries/expected/NAME.json (``pytest --update-golden`` rewrites)."""
    check_json(golden_path(name), comparable(answer))
