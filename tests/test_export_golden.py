"""Golden pages: the site exported from tests/data/export/records, compared with committed
expectations as RDF graphs (isomorphic) plus the ordered citation_* tag list — not byte for byte.

Regenerate after an intended change with ``KG_UPDATE_GOLDEN=1 pytest tests/test_export_golden.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rdflib.compare import graph_diff, to_isomorphic

from kg.export import export_html
from tests.export_helpers import (
    BASE,
    DATA,
    RECORDS,
    citation_tags,
    extracted_jsonld,
    isomorphic,
    rdf_of,
    store_from,
)

GOLDEN = DATA / "export" / "golden"
UPDATE = os.environ.get("KG_UPDATE_GOLDEN") == "1"


_LOCAL_PERSON = re.compile(r"#person-[0-9a-f]{12}$")


def _location_free(g: Any) -> Any:
    """Authors without an identifier get a ``#person-<hash>`` fragment derived from an IRI that is
    scoped to their source file's location; compare those nodes by structure (as blank nodes), so
    the golden pages hold wherever the checkout lives."""
    from rdflib import BNode, Graph, URIRef

    def node(term: Any) -> Any:
        if isinstance(term, URIRef) and _LOCAL_PERSON.search(str(term)):
            return BNode(str(term).rsplit("#", 1)[1])
        return term

    out = Graph()
    for s_, p_, o_ in g:
        out.add((node(s_), p_, node(o_)))
    return out


def _without_volatile(doc: dict[str, Any]) -> dict[str, Any]:
    """dateModified and dateCreated are load times: drop them (their presence is tested
    elsewhere)."""
    for node in doc.get("@graph", []):
        node.pop("dateModified", None)
        node.pop("dateCreated", None)
    return doc


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden-site")
    export_html(store_from(RECORDS), out, base_url=BASE)
    return out


def _pages(out: Path) -> dict[str, Path]:
    return {str(p.parent.relative_to(out)): p for p in sorted(out.glob("*/*/index.html"))}


def test_golden_pages(site: Path) -> None:
    pages = _pages(site)
    if UPDATE:
        for rel, page in pages.items():
            html = page.read_text("utf-8")
            (doc,) = extracted_jsonld(html, BASE + rel + "/")
            target = GOLDEN / rel
            target.mkdir(parents=True, exist_ok=True)
            (target / "page.jsonld").write_text(
                json.dumps(_without_volatile(doc), indent=1, ensure_ascii=False) + "\n"
            )
            (target / "tags.json").write_text(
                json.dumps(citation_tags(html), indent=1, ensure_ascii=False) + "\n"
            )
    golden = {str(p.parent.relative_to(GOLDEN)) for p in GOLDEN.glob("*/*/page.jsonld")}
    assert set(pages) == golden
    for rel, page in pages.items():
        html = page.read_text("utf-8")
        (doc,) = extracted_jsonld(html, BASE + rel + "/")
        got = _location_free(rdf_of([_without_volatile(doc)]))
        want = _location_free(
            rdf_of([json.loads((GOLDEN / rel / "page.jsonld").read_text("utf-8"))])
        )
        if not isomorphic(got, want):
            _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
            pytest.fail(
                f"{rel}: graph differs\nnew:\n{only_got.serialize(format='nt')}\ngone:\n{only_want.serialize(format='nt')}"
            )
        tags = [tuple(t) for t in json.loads((GOLDEN / rel / "tags.json").read_text("utf-8"))]
        assert citation_tags(html) == tags, rel
