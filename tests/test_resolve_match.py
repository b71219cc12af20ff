"""The matching core of entity resolution is pure: it reads no store (kg.resolve.match), and what
it decides round-trips through the evidence triples into the report."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from kg import ids
from kg.mapping import record_iri
from kg.resolve import REPORT_QUERY, EntityIndex, report_from_rows, resolve
from tests.test_imports import import_graph

ORCID = "0000-0002-1825-0097"


def test_the_matching_core_imports_no_store() -> None:
    graph = import_graph()
    reached: set[str] = set()
    todo = ["kg.resolve.match"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(graph[name])
    assert not {m for m in reached if m.startswith(("kg.store", "kg.endpoints"))}, reached


def test_resolution_and_mapping_mint_the_same_iri_for_a_record() -> None:
    """One rule mints a record's IRI (kg.ids.record_iri): what resolution calls a record's own
    IRI is the IRI the mapping writes when resolution leaves it alone."""
    records: list[dict[str, Any]] = [
        {"type": "Person", "name": "Ada Lovelace", "orcid": ORCID},
        {"type": "Person", "name": "Charles Babbage", "id": "p:cb"},
        {"type": "Organization", "name": "Analytical Society"},
        {"type": "Publication", "title": "Sketch of the Analytical Engine", "date": "1843-10",
         "authors": [{"name": "Ada Lovelace"}]},
        {"type": "Publication", "doi": "10.1000/NOTES", "title": "Notes", "authors": []},
    ]  # fmt: skip
    res = resolve([("s", records)], EntityIndex())
    assert res.merges == []
    for rec in res.records("s"):
        assert "_iri" not in rec
        assert record_iri(rec, scope="s") == ids.record_iri(rec, scope="s")
    assert record_iri(records[4], scope="s") == ids.work_iri(doi_id="10.1000/notes")


def test_a_stored_orcid_person_is_matched_from_index_rows_alone() -> None:
    index = EntityIndex.from_rows(
        [{"kind": "person", "entity": "urn:ada", "graph": "urn:g1", "name": "Ada Lovelace",
          "orcid": ORCID, "dblp": "11/1111"}]
    )  # fmt: skip
    res = resolve([("s", [{"type": "Person", "name": "A. Lovelace", "dblp": "11/1111"}])], index)
    assert res.records("s")[0]["_iri"] == "urn:ada"
    assert [m.rule for m in res.merges] == ["dblp"]


def test_evidence_triples_read_back_as_the_report() -> None:
    a = [{"type": "Publication", "title": "Notes", "doi": "10.1000/n", "date": "1843",
          "authors": [{"name": "Ada Lovelace"}]}]  # fmt: skip
    b = [{"type": "Publication", "title": "NOTES.", "date": "1843", "authors": [{"name": "Ada"}]}]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    (merge,) = res.merges
    graph = ids.graph_iri("file:///b")
    data = ox.Store()  # in memory: the triples as any SPARQL store holds them
    lines = "\n".join(res.evidence_lines("file:///b", graph)).encode()
    data.load(lines, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    solutions = data.query(REPORT_QUERY)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]
    report = report_from_rows(rows)
    (item,) = report.merges
    assert (item.kind, item.rule, item.label) == ("work", merge.rule, merge.label)
    assert set(item.entities) == {merge.iri, merge.merged}
    assert item.sources == ("file:///b",)
