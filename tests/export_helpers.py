"""Shared helpers of the export tests: build a store from record files, read pages back as a
search engine does (extruct for JSON-LD, lxml for the citation tags)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import extruct
import lxml.html  # type: ignore[import-untyped]
import rdflib

from kg.export.check import page_graph
from kg.ingest import ingest
from kg.store import EmbeddedStore

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "export" / "records"
BASE = "https://lab.example.org/"


def store_from(*specs: str | Path) -> EmbeddedStore:
    store = EmbeddedStore(None)
    report = ingest([str(s) for s in specs], store)
    assert report.exit_code == 0, [s.rejected for s in report.sources]
    return store


def extracted_jsonld(html: str, url: str) -> list[dict[str, Any]]:
    """The JSON-LD items of a page, as extruct (what search engines' tools use) reads them."""
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=False)
    items: list[dict[str, Any]] = data["json-ld"]
    return items


def rdf_of(items: list[dict[str, Any]]) -> rdflib.Graph:
    """RDF of JSON-LD items through rdflib's own JSON-LD parser (contexts are inline: no network)."""
    g = rdflib.Graph()
    for item in items:
        g += parse_jsonld(json.dumps(item))
    return g


def parse_jsonld(text: str) -> rdflib.Graph:
    """rdflib's JSON-LD parser (rdflib 7.6 warns about its own internal ConjunctiveGraph use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=text, format="json-ld")


def isomorphic(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    from rdflib.compare import to_isomorphic

    same: bool = to_isomorphic(a) == to_isomorphic(b)
    return same


def expected_graph(doc: dict[str, Any]) -> rdflib.Graph:
    return page_graph(doc)


def citation_tags(html: str) -> list[tuple[str, str]]:
    """Every ``<meta name="citation_*">`` in document order, values as the HTML parser decodes them."""
    tree = lxml.html.fromstring(html)
    return [
        (m.get("name"), m.get("content"))
        for m in tree.iter("meta")
        if (m.get("name") or "").startswith("citation_")
    ]


def visible(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)
