"""docs/queries.md is generated from the query headers and stays in step with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.queries import load_queries
from kg.queries.library import render_docs

DOCS = Path(__file__).resolve().parent.parent / "docs" / "queries.md"
QUERIES = load_queries()


def test_docs_are_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_docs(QUERIES), (
        "docs/queries.md is out of date: run `kg query list --markdown > docs/queries.md`"
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_is_documented_with_parameters_and_an_example(name: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
    query = QUERIES[name]
    assert query.title in section
    for p in query.params.values():
        assert f"| `{p.name}` | {p.kind} |" in section
        assert f"`{p.example}`" in section
    for column in query.columns:
        assert f"| `{column}` |" in section
    assert f"```sh\nkg query run {name}" in section
    assert query.example_command() in section
