"""Golden pages: the site exported from tests/data/export/records, compared with committed
expectations as RDF graphs (isomorphic) plus the ordered citation_* tag list — not byte for byte.

Regenerate after an intended change with ``pytest --update-golden tests/test_export_golden.py``
(tests/golden.py, the suite's one mechanism) and review the diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.export import export_html
from tests.export_helpers import (
    BASE,
    DATA,
    RECORDS,
    citation_tags,
    extracted_jsonld,
    rdf_of,
    store_from,
)
from tests.golden import check_graph, check_json, updating

GOLDEN = DATA / "export" / "golden"


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
    if updating():
        for stale in set(GOLDEN.glob("*/*/page.jsonld")):
            if str(stale.parent.relative_to(GOLDEN)) not in pages:
                for file in stale.parent.iterdir():
                    file.unlink()
                stale.parent.rmdir()
    golden = {str(p.parent.relative_to(GOLDEN)) for p in GOLDEN.glob("*/*/page.jsonld")}
    if not updating():
        assert set(pages) == golden
    for rel, page in pages.items():
        html = page.read_text("utf-8")
        (doc,) = extracted_jsonld(html, BASE + rel + "/")
        doc = _without_volatile(doc)
        check_graph(
            GOLDEN / rel / "page.jsonld",
            _location_free(rdf_of([doc])),
            stored=json.dumps(doc, indent=1, ensure_ascii=False) + "\n",
            read=lambda path: _location_free(rdf_of([json.loads(path.read_text("utf-8"))])),
            label=rel,
        )
        check_json(GOLDEN / rel / "tags.json", [list(t) for t in citation_tags(html)])
