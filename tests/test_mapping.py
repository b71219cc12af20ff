"""Records -> RDF: author order, stable IRIs, dual typing, printed names; a golden graph."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg import ids
from kg.ids import load_graph_iri
from kg.mapping import map_record, person_key_iris
from kg.store import EmbeddedStore, SelectResult
from kg.vocab import BIBO, KG
from tests.golden import check_graph

DATA = Path(__file__).parent / "data" / "mapping"
TEN = [f"Author {chr(65 + i)}. Number{i + 1}" for i in range(10)]


def _graph(records: list[dict[str, object]], scope: str = "file:///t.json") -> Graph:
    keys = person_key_iris(records, scope=scope)
    lines = [
        line
        for n, rec in enumerate(records, 1)
        for line in map_record(rec, number=n, scope=scope, person_keys=keys).lines
    ]
    g = Graph().parse(data="\n".join(lines), format="nt")
    g.bind("kg", KG)
    g.bind("bibo", BIBO)
    return g


def _select(store: EmbeddedStore, query: str) -> list[dict[str, str | None]]:
    result = store.query(query)
    assert isinstance(result, SelectResult)
    return result.dicts()


def test_ten_author_order_round_trips_by_position() -> None:
    rec = {"type": "Publication", "title": "Big", "doi": "10.5555/Big.10",
           "authors": [{"name": n} for n in TEN]}  # fmt: skip
    mapped = map_record(rec, number=1, scope="file:///t.json")
    store = EmbeddedStore(None)
    store.replace_graphs({load_graph_iri("file:///t.json", "1"): mapped.lines})
    rows = _select(
        store,
        """PREFIX kg: <https://w3id.org/kg/vocab#> PREFIX schema: <https://schema.org/>
        SELECT ?pos ?printed ?name WHERE {
          ?w kg:authorship ?a . ?a kg:position ?pos ; kg:printedName ?printed ; kg:author ?p .
          ?p schema:name ?name } ORDER BY ?pos""",
    )
    assert [r["printed"] for r in rows] == TEN
    assert [int(r["pos"] or 0) for r in rows] == list(range(1, 11))
    assert [r["name"] for r in rows] == TEN


def test_unknown_position_takes_no_place() -> None:
    rec: dict[str, object] = {"type": "Publication", "title": "T", "authors": [
        {"name": "First"}, {"name": "Owner", "person": "me", "position_unknown": True},
        {"name": "Second"}]}  # fmt: skip
    g = _graph([rec, {"type": "Person", "id": "me", "name": "The Owner"}])
    rows = g.query(
        """PREFIX kg: <https://w3id.org/kg/vocab#>
        SELECT ?printed ?pos WHERE { ?a kg:printedName ?printed OPTIONAL { ?a kg:position ?pos } }"""
    )
    got = {str(r.printed): (int(r.pos) if r.pos is not None else None) for r in rows}  # type: ignore[union-attr]
    assert got == {"First": 1, "Second": 2, "Owner": None}


def test_printed_name_stays_on_authorship_person_keeps_correct_spelling() -> None:
    records: list[dict[str, object]] = [
        {"type": "Person", "id": "seed:lk", "name": "Łukasz Kuciński"},
        {"type": "Publication", "title": "T",
         "authors": [{"name": "Lukasz Kuci'nski", "person": "seed:lk"}]},
    ]  # fmt: skip
    g = _graph(records)
    person = ids.person_iri(key="seed:lk")
    names = {
        str(row[0])  # type: ignore[index]
        for row in g.query(f"SELECT ?n WHERE {{ <{person}> <https://schema.org/name> ?n }}")
    }
    printed = {
        str(row[0])  # type: ignore[index]
        for row in g.query("SELECT ?n WHERE { ?a <https://w3id.org/kg/vocab#printedName> ?n }")
    }
    assert names == {"Łukasz Kuciński"}
    assert printed == {"Lukasz Kuci'nski"}


def test_iris_are_stable_and_derived_from_identifiers() -> None:
    a = map_record({"type": "Publication", "doi": "10.5555/ABC", "authors": [{"name": "X"}]},
                   number=1, scope="file:///a.json")  # fmt: skip
    b = map_record({"type": "Publication", "doi": "https://doi.org/10.5555/abc", "title": "Other",
                    "authors": [{"name": "Y"}]}, number=7, scope="file:///b.json")  # fmt: skip
    assert a.focus == b.focus == "https://w3id.org/kg/id/pub/doi/10.5555/abc"
    p1 = map_record({"type": "Person", "name": "A", "orcid": "0000-0002-1825-0097"}, number=1,
                    scope="s1")  # fmt: skip
    p2 = map_record({"type": "Person", "name": "B", "orcid": "https://orcid.org/0000-0002-1825-0097"},
                    number=2, scope="s2")  # fmt: skip
    assert p1.focus == p2.focus
    # A name alone never merges people across sources; within one source it does.
    n1 = ids.person_iri(name="Jane Doe", scope="s1")
    assert n1 != ids.person_iri(name="Jane Doe", scope="s2")
    assert n1 == ids.person_iri(name="jane  DOE", scope="s1")


def test_dual_typing_and_identifiers() -> None:
    g = _graph([{"type": "Person", "name": "A", "orcid": "0000-0002-1825-0097",
                 "affiliations": [{"name": "Lab", "ror": "05dxps055", "start": "2020-01"}]}])  # fmt: skip
    q = """PREFIX schema: <https://schema.org/> PREFIX foaf: <http://xmlns.com/foaf/0.1/>
    ASK { ?p a schema:Person, foaf:Person ; schema:identifier [ schema:propertyID "ORCID" ;
          schema:value "0000-0002-1825-0097" ] ; schema:affiliation ?o .
          ?o a schema:Organization, foaf:Organization ; schema:sameAs <https://ror.org/05dxps055> }"""
    assert g.query(q).askAnswer


def test_literals_are_escaped() -> None:
    title = 'A "quoted" title\nwith \\ backslash </script>'
    g = _graph([{"type": "Publication", "title": title, "authors": [{"name": "X"}]}])
    titles = {str(o) for o in g.objects(None, None) if str(o).startswith("A ")}
    assert title in titles


GOLDEN_RECORDS: list[dict[str, object]] = [
    {"type": "Organization", "name": "Institute of Examples", "ror": "05dxps055",
     "url": "https://example.org"},
    {"type": "Person", "id": "ex:ada", "name": "Ada Lovelace", "given_name": "Ada",
     "family_name": "Lovelace", "orcid": "0000-0002-1825-0097", "job_title": "Researcher",
     "status": [{"value": "member", "start": "2020"}, {"value": "alumni", "seen": "2024-06-01"}],
     "affiliations": [{"name": "Institute of Examples", "ror": "05dxps055", "role": "Researcher",
                       "start": "2020-01", "end": "2024-05-31"}],
     "topics": ["Computing"], "homepage": "https://ada.example.org"},
    {"type": "Publication", "title": "Notes", "doi": "10.5555/Notes.1", "date": "1843-09",
     "venue": "Scientific Memoirs", "venue_type": "journal", "abstract": "On the engine.",
     "abstract_truncated": True, "topics": ["Computing"],
     "authors": [{"name": "A. A. L.", "person": "ex:ada"}, {"name": "L. F. Menabrea"},
                 {"name": "C. Babbage", "position_unknown": True}]},
]  # fmt: skip


def test_golden_graph() -> None:
    """The mapping of a small record set, compared as a graph (``pytest --update-golden``)."""
    got = _graph(GOLDEN_RECORDS, scope="file:///golden/records.json")
    check_graph(DATA / "golden.ttl", got, label="mapping")
