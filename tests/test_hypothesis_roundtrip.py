"""Property-based round trips with arbitrary Unicode (Hypothesis, https://hypothesis.readthedocs.io/).

records -> kg mapping (N-Triples) -> graph -> JSON-LD (pyoxigraph's serializer) -> graph again,
parsed both by pyoxigraph and by rdflib's JSON-LD parser (no context, so nothing to fetch; the
session audit hook would fail the test otherwise): the graphs are isomorphic
(``rdflib.compare.isomorphic``) and every name, title and abstract comes back exactly.
And the SPARQL literal binding (:func:`kg.mapping.literal`): any text inserted and selected
through it comes back as exactly one value equal to the text.
"""

from __future__ import annotations

import warnings
from typing import Any

import pyoxigraph as ox
import rdflib
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from kg.mapping import literal, map_record
from kg.records.schema import check_record
from kg.store import EmbeddedStore, SelectResult

# Any Unicode scalar value but surrogates (which no UTF-8 text can hold; kg refuses them with a
# DataError, tested in test_limits.py). Includes NUL, controls, U+2028, bidi marks, astral.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)
SCHEMA = "https://schema.org/"


def _person(name: str, alternate: list[str], description: str | None) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": "Person", "name": name, "alternate_names": alternate}
    if description is not None:
        rec["description"] = description
    return rec


people = st.builds(_person, TEXT, st.lists(TEXT, max_size=3), st.none() | TEXT)
publications = st.fixed_dictionaries(
    {"type": st.just("Publication"), "title": TEXT,
     "authors": st.lists(st.fixed_dictionaries({"name": TEXT}), min_size=1, max_size=4)},
    optional={"abstract": TEXT, "venue": TEXT, "topics": st.lists(TEXT, max_size=3)},
)  # fmt: skip


def _graph_of(records: list[dict[str, Any]]) -> list[ox.Triple]:
    lines = [
        line
        for n, rec in enumerate(records, 1)
        for line in map_record(rec, number=n, scope="file:///hypothesis/records.json").lines
    ]
    quads = ox.parse(("\n".join(lines) + "\n").encode(), ox.RdfFormat.N_TRIPLES)
    return list(dict.fromkeys(q.triple for q in quads))


def _rdflib(triples: list[ox.Triple]) -> rdflib.Graph:
    nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=nt.decode("utf-8"), format="nt")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(people | publications, min_size=1, max_size=5))
def test_records_graph_jsonld_graph_is_isomorphic(records: list[dict[str, Any]]) -> None:
    assume(all(check_record(r) == [] for r in records))
    graph = _graph_of(records)
    jsonld = ox.serialize(graph, format=ox.RdfFormat.JSON_LD) or b""
    back = list(ox.parse(jsonld, ox.RdfFormat.JSON_LD))
    assert {q.triple for q in back} == set(graph)
    with warnings.catch_warnings():  # rdflib 7's JSON-LD parser uses its own deprecated API
        warnings.filterwarnings("ignore", r".*is deprecated", DeprecationWarning)
        via_rdflib = rdflib.Graph().parse(data=jsonld.decode("utf-8"), format="json-ld")
    assert isomorphic(via_rdflib, _rdflib(graph))
    texts = {str(o) for p in ("name", "headline", "abstract", "alternateName", "description")
             for o in via_rdflib.objects(None, rdflib.URIRef(SCHEMA + p))}  # fmt: skip
    for rec in records:
        expected = [rec.get("name"), rec.get("title"), rec.get("abstract"), rec.get("description"),
                    *rec.get("alternate_names", [])]  # fmt: skip
        assert {t for t in expected if t} <= texts


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_literal_binding_cannot_break_out_of_a_query(value: str) -> None:
    store = ox.Store()
    store.update(f"INSERT DATA {{ <urn:kg:s> <urn:kg:p> {literal(value)} }}")
    assert [q.object for q in store] == [ox.Literal(value)]
    kg_store = EmbeddedStore(None)
    try:
        res = kg_store.query(f"SELECT ?o WHERE {{ VALUES ?o {{ {literal(value)} }} }}")
    finally:
        kg_store.close()
    assert isinstance(res, SelectResult)
    assert [row["o"] for row in res.dicts()] == [value]
