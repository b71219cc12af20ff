"""Entity resolution: rules on records, and the index/report queries on a real Oxigraph store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import ids
from kg.records.pages import PageSource
from kg.resolve import (
    INDEX_QUERY,
    REPORT_QUERY,
    EntityIndex,
    Resolution,
    report_from_rows,
    resolve,
)
from kg.vocab import BIBO, KG, RDF, SCHEMA
from tests.conftest import needs_shared, shared_path

DATA = Path(__file__).parent / "data" / "pages"
SEED = shared_path("seeds", "000_0e6ad97ebe8bc89f.txt")
needs_seed = needs_shared("seeds", "000_0e6ad97ebe8bc89f.txt")
ORCID = "0000-0002-1825-0097"


def page_records(path: Path, **options: Any) -> tuple[str, list[dict[str, Any]]]:
    source = PageSource(path, **options)
    return source.key, [r.data for r in source.iter_records()]


def pub(title: str, *authors: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "Publication",
        "title": title,
        "authors": [{"name": a} for a in authors],
        **fields,
    }


def person(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": "Person", "name": name, **fields}


def resolved_work_iris(res: Resolution, source: str) -> set[str]:
    return {
        r.get("_iri") or ids.work_record_iri(r, scope=source)
        for r in res.records(source)
        if r["type"] == "Publication"
    }


# --- works ----------------------------------------------------------------------------------


def test_works_merge_by_doi_across_sources() -> None:
    a = [pub("A title", "Ada Lovelace", doi="10.1000/XYZ")]
    b = [pub("A different printing of the title", "A. Lovelace", doi="https://doi.org/10.1000/xyz")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    # the same DOI mints the same IRI: no merge is needed, nothing is annotated
    assert res.merges == []
    assert ids.work_record_iri(a[0], scope="x") == ids.work_record_iri(b[0], scope="y")


def test_work_without_doi_merges_into_the_doi_work_by_title() -> None:
    a = [pub("Notes on the Analytical Engine", "Ada Lovelace", doi="10.1000/notes", date="1843")]
    b = [pub("Notes on the analytical engine.", "Ada Lovelace", date="1843")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    (merge,) = [m for m in res.merges if m.kind == "work"]
    assert merge.rule == "title+year"
    assert merge.iri == ids.work_iri(doi_id="10.1000/notes")
    assert res.records("file:///b")[0]["_iri"] == merge.iri
    assert "_iri" not in res.records("file:///a")[0]
    assert b[0].get("_iri") is None  # the input is not modified: annotated copies


def test_title_merge_without_year_on_one_side() -> None:
    a = [pub("Notes", "Ada Lovelace", date="1843")]
    b = [pub("NOTES", "Ada Lovelace")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    assert [m.rule for m in res.merges if m.kind == "work"] == ["title"]


def test_same_title_conflicting_doi_or_year_is_a_near_miss() -> None:
    a = [pub("Introduction", "Ada Lovelace", doi="10.1000/a"), pub("Survey", "Ada", date="2001")]
    b = [pub("Introduction", "Ada Lovelace", doi="10.1000/b"), pub("Survey", "Ada", date="2019")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    assert [m for m in res.merges if m.kind == "work"] == []
    assert sorted(n.rule for n in res.near_misses if n.kind == "work") == [
        "conflicting-doi",
        "title-different-year",
    ]


def test_exact_duplicates_in_one_source_are_kept_once() -> None:
    record = pub("Notes", "Ada Lovelace")
    res = resolve([("file:///a", [record, dict(record)])], EntityIndex())
    assert len(res.records("file:///a")) == 1
    assert [m.rule for m in res.merges] == ["duplicate-in-batch"]


# --- people ---------------------------------------------------------------------------------


def test_people_merge_by_orcid() -> None:
    a = [person("Ada Lovelace", orcid=ORCID)]
    b = [person("Augusta Ada King", orcid=f"https://orcid.org/{ORCID}")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    assert ids.person_record_iri(a[0], scope="x") == ids.person_record_iri(b[0], scope="y")
    assert res.merges == []


def test_dblp_id_links_to_the_stored_orcid_person() -> None:
    index = EntityIndex.from_rows(
        [{"kind": "person", "entity": "urn:ada", "graph": "urn:g1", "name": "Ada Lovelace",
          "orcid": ORCID, "dblp": "11/1111"}]
    )  # fmt: skip
    res = resolve([("file:///b", [person("A. Lovelace", dblp="11/1111")])], index)
    assert res.records("file:///b")[0]["_iri"] == "urn:ada"
    assert [m.rule for m in res.merges] == ["dblp"]


def test_name_alone_never_merges_across_sources() -> None:
    a = [person("Ada Lovelace", id="a:ada"), pub("One", "Ada Lovelace")]
    b = [person("Ada Lovelace", id="b:ada"), pub("Another", "Ada Lovelace")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    assert [m for m in res.merges if m.rule == "name+shared-works"] == []
    assert "_iri" not in res.records("file:///b")[0]
    (near,) = [n for n in res.near_misses if n.rule == "same-name"]
    assert "0 shared work(s)" in near.evidence
    aggressive = resolve([("file:///a", a), ("file:///b", b)], EntityIndex(), aggressive=True)
    assert [m.rule for m in aggressive.merges if m.kind == "person"][-1] == "name-aggressive"


def test_shared_works_threshold_decides_between_merge_and_near_miss() -> None:
    def source(key: str, titles: list[str]) -> list[dict[str, Any]]:
        return [person("Ada Lovelace", id=f"{key}:ada")] + [
            {
                "type": "Publication",
                "title": t,
                "authors": [{"name": "Ada", "person": f"{key}:ada"}],
            }
            for t in titles
        ]

    none = resolve(
        [("file:///a", source("a", ["X", "Y"])), ("file:///b", source("b", ["Z"]))], EntityIndex()
    )
    assert [n.rule for n in none.near_misses] == ["same-name"]
    assert not [m for m in none.merges if m.kind == "person"]
    cautious = resolve(
        [("file:///a", source("a", ["X", "Y"])), ("file:///b", source("b", ["X"]))],
        EntityIndex(),
        min_shared_works=2,
    )
    assert [n.rule for n in cautious.near_misses] == ["same-name"]
    one = resolve(
        [("file:///a", source("a", ["X", "Y"])), ("file:///b", source("b", ["X"]))], EntityIndex()
    )
    (merge,) = [m for m in one.merges if m.kind == "person"]
    assert merge.rule == "name+shared-works" and "1 shared works" in merge.evidence
    assert one.records("file:///b")[0]["_iri"] == ids.person_record_iri(
        {"id": "a:ada"}, scope="file:///a"
    )
    authors = [r["authors"][0] for r in one.records("file:///b") if r["type"] == "Publication"]
    assert {a["_person_iri"] for a in authors} == {merge.iri}


def test_conflicting_orcids_never_merge() -> None:
    other = "0000-0001-5109-3700"
    a = [person("Ada Lovelace", orcid=ORCID), pub("X", "Ada Lovelace"), pub("Y", "Ada Lovelace")]
    b = [person("Ada Lovelace", orcid=other), pub("X", "Ada Lovelace"), pub("Y", "Ada Lovelace")]
    for s in (a, b):
        for r in s[1:]:
            r["authors"][0]["orcid"] = s[0]["orcid"]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex(), aggressive=True)
    assert [m for m in res.merges if m.kind == "person"] == []
    assert any(n.rule == "conflicting-orcid" for n in res.near_misses)


def test_owner_and_same_name_in_author_lists_are_one_person() -> None:
    records = [person("Ada Lovelace", id="p:ada"), pub("Notes", "Charles Babbage", "Ada Lovelace")]
    res = resolve([("file:///a", records)], EntityIndex())
    ada = res.records("file:///a")[1]["authors"][1]
    assert ada["_person_iri"] == ids.person_record_iri({"id": "p:ada"}, scope="file:///a")
    assert "_person_iri" not in res.records("file:///a")[1]["authors"][0]
    assert [m.rule for m in res.merges] == ["name-in-source"]


def test_last_first_printed_name_is_the_person_of_the_source() -> None:
    records = [person("Ada Lovelace", id="p:ada"), pub("Notes", "Lovelace, Ada")]
    res = resolve([("file:///a", records)], EntityIndex())
    assert res.records("file:///a")[1]["authors"][0]["_person_iri"] == ids.person_record_iri(
        {"id": "p:ada"}, scope="file:///a"
    )


def test_similar_names_are_near_misses() -> None:
    index = EntityIndex.from_rows(
        [{"kind": "person", "entity": "urn:mz", "graph": "urn:g1", "name": "Michał Zając"}]
    )
    res = resolve([("file:///p", [person("Michal Zajkac", id="p:mz")])], index)
    assert res.merges == []
    (near,) = res.near_misses
    assert near.rule == "similar-name" and near.iris[1] == "urn:mz"


def test_placeholder_names_with_digits_are_never_similar() -> None:
    # 300 "External Author N" names within two edits of each other: quadratic near misses before
    authors = [f"External Author {i}" for i in range(300)]
    records = [person("External Author 1", id="p:ext")] + [
        pub(f"Paper {i}", authors[i], authors[(i + 1) % 300]) for i in range(300)
    ]
    res = resolve([("file:///a", records)], EntityIndex())
    assert [n for n in res.near_misses if n.rule == "similar-name"] == []


def test_two_names_printed_only_in_author_lists_are_not_near_misses() -> None:
    a = [pub("Paper A", "Michal Zajac")]
    b = [pub("Paper B", "Michal Zajkac")]
    res = resolve([("file:///a", a), ("file:///b", b)], EntityIndex())
    assert [n for n in res.near_misses if n.rule == "similar-name"] == []
    # the same printed name next to a person with a record is worth a steward's look
    b_with_record = [person("Michal Zajkac", id="p:mz"), *b]
    res = resolve([("file:///a", a), ("file:///b", b_with_record)], EntityIndex())
    (near,) = [n for n in res.near_misses if n.rule == "similar-name"]
    assert near.iris == (
        ids.person_record_iri({"id": "p:mz"}, scope="file:///b"),
        ids.person_record_iri({"name": "Michal Zajac"}, scope="file:///a"),
    )


def test_similar_names_are_capped_per_name_closest_first() -> None:
    printed = ["Jan Kowalsky", "Jan Kowalskii", "Jon Kowalski", "Jan Kovalski", "Jam Kowalski",
               "J. Kowalski", "Jan Kowal", "Jan Kowolsky"]  # fmt: skip
    other = [pub(f"P{i}", name) for i, name in enumerate(printed)]
    mine = [person("Jan Kowalski", id="p:jk")]
    res = resolve([("file:///a", other), ("file:///b", mine)], EntityIndex())
    near = [n for n in res.near_misses if n.rule == "similar-name"]
    assert len(near) == 5  # SIMILAR_PER_NAME
    assert all("2 more similar name(s) not listed" in n.evidence for n in near)
    # the five one-edit names are listed; the two-edit ones are counted; "jan kowal" is not similar
    assert all("1 edit(s)" in n.evidence for n in near)


def test_resolving_a_source_against_its_own_stored_graph_changes_nothing() -> None:
    key = "file:///a"
    graph = ids.graph_iri(key)
    records = [
        person("Ada Lovelace", id="a:ada"),
        pub("X", "Ada Lovelace"),
        pub("Y", "Ada Lovelace"),
    ]
    own = ids.person_record_iri(records[0], scope=key)
    rows = [{"kind": "person", "entity": own, "graph": graph, "name": "Ada Lovelace"}]
    for r in records[1:]:
        rows.append({"kind": "work", "entity": ids.work_record_iri(r, scope=key), "graph": graph,
                     "title": r["title"], "author": own})  # fmt: skip
    res = resolve([(key, records)], EntityIndex.from_rows(rows))
    assert [m.rule for m in res.merges] == ["name-in-source"]
    assert all("_iri" not in r for r in res.records(key))


# --- the demo: a record file and the seed page; two pages of one person ----------------------


@needs_seed
def test_record_file_and_seed_page_are_one_person() -> None:
    record_file = json.loads((DATA / "pascanu_record.json").read_text("utf-8"))
    page_key, page = page_records(SEED)
    res = resolve([("file:///pascanu_record.json", record_file), (page_key, page)], EntityIndex())
    owner = res.records(page_key)[0]
    assert owner["_iri"] == ids.person_iri(orcid_id=ORCID)
    merges = {
        m.label: m for m in res.merges if m.kind == "person" and m.rule == "name+shared-works"
    }
    assert "2 shared works" in merges["Razvan Pascanu"].evidence
    for rec in res.records(page_key):
        if rec["type"] == "Publication":
            (me,) = [a for a in rec["authors"] if a.get("position_unknown")]
            assert me["_person_iri"] == owner["_iri"]


@needs_seed
def test_two_pages_of_one_person_give_one_person_and_the_union_of_works() -> None:
    seed_key, seed = page_records(SEED)
    lab_key, lab = page_records(DATA / "pascanu_lab.html")
    res = resolve([(seed_key, seed), (lab_key, lab)], EntityIndex())
    owner_iri = ids.person_record_iri(seed[0], scope=seed_key)
    assert res.records(lab_key)[0]["_iri"] == owner_iri
    works = resolved_work_iris(res, seed_key) | resolved_work_iris(res, lab_key)
    assert len(works) == 11  # 10 on the seed page, 2 of the lab page's 3 among them
    # co-authors printed "Lyle, Clare" on one page and "Clare Lyle" on the other share one work:
    # the same name in the author list of the same paper is the same author
    assert any(m.rule == "name+shared-works" and m.label == "Clare Lyle" for m in res.merges), [
        (m.rule, m.label) for m in res.merges
    ]


@needs_seed
def test_member_then_alumni_page_of_one_person() -> None:
    member_key, member = page_records(DATA / "gauss_member.html")
    alumni_key, alumni = page_records(DATA / "gauss_alumni.txt")
    res = resolve([(member_key, member), (alumni_key, alumni)], EntityIndex())
    owner = res.records(alumni_key)[0]
    assert owner["_iri"] == ids.person_record_iri(member[0], scope=member_key)
    assert owner["status"][0]["value"] == "alumni" and member[0]["status"][0]["value"] == "member"


# --- with a real store ----------------------------------------------------------------------


def _quad(s: str, p: str, o: str, g: str) -> str:
    return f"<{s}> <{p}> {o} <{g}> .\n"


def _lit(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def stored_record_file(key: str) -> str:
    """N-Quads for docs/mapping.md's graph of the hand-written Pascanu record file."""
    g = ids.graph_iri(key)
    me = ids.person_iri(orcid_id=ORCID)
    out = [
        _quad(me, RDF + "type", f"<{SCHEMA}Person>", g),
        _quad(me, SCHEMA + "name", _lit("Razvan Pascanu"), g),
        _quad(me, SCHEMA + "sameAs", f"<https://orcid.org/{ORCID}>", g),
        _quad(g, KG + "sourceLabel", _lit("pascanu_record.json"), g),
    ]
    titles = [
        ("softmax is not enough (for sharp out-of-distribution)", None),
        ("Promoting Exploration in Memory-Augmented Adam using Critical Momenta", "10.1000/adam"),
    ]
    for n, (title, doi) in enumerate(titles, 1):
        work = ids.work_iri(doi_id=doi, title=title)
        out += [
            _quad(work, RDF + "type", f"<{SCHEMA}ScholarlyArticle>", g),
            _quad(work, SCHEMA + "name", _lit(title), g),
            _quad(work, SCHEMA + "author", f"<{me}>", g),
            _quad(work, KG + "authorship", f"<{work}#author-{n}>", g),
            _quad(f"{work}#author-{n}", KG + "author", f"<{me}>", g),
        ]
        if doi:
            out.append(_quad(work, BIBO + "doi", _lit(doi), g))
        else:
            out.append(_quad(work, SCHEMA + "sameAs", "<https://arxiv.org/abs/2410.01104>", g))
    org = ids.org_iri(ror_id="00971b260")
    out += [
        _quad(org, RDF + "type", f"<{SCHEMA}Organization>", g),
        _quad(org, SCHEMA + "name", _lit("Google DeepMind"), g),
        _quad(org, SCHEMA + "sameAs", "<https://ror.org/00971b260>", g),
    ]
    return "".join(out)


def rows(store: ox.Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [
        {name: (sol[name].value if sol[name] is not None else None) for name in names}
        for sol in result
    ]


@needs_seed
def test_index_query_resolution_evidence_and_report_on_a_store() -> None:
    store = ox.Store()
    record_key = "file:///data/pascanu_record.json"
    store.load(stored_record_file(record_key).encode(), format=ox.RdfFormat.N_QUADS)
    index = EntityIndex.from_rows(rows(store, INDEX_QUERY))
    me = ids.person_iri(orcid_id=ORCID)
    assert index.persons[me].orcid == ORCID and index.persons[me].names == {"Razvan Pascanu"}
    assert {w.doi for w in index.works.values()} == {None, "10.1000/adam"}
    assert {w.arxiv for w in index.works.values()} == {None, "2410.01104"}
    assert [(o.ror, o.names) for o in index.orgs.values()] == [("00971b260", {"Google DeepMind"})]
    assert all(w.authors == {me} for w in index.works.values())
    assert "Razvan Pascanu" in index.names()

    page_key, page = page_records(SEED)
    res = resolve([(page_key, page)], index)
    assert res.records(page_key)[0]["_iri"] == me
    deepmind = next(r for r in res.records(page_key) if r["type"] == "Organization")
    assert deepmind["_iri"] == ids.org_iri(ror_id="00971b260")  # the name of a ROR organization
    adam = next(r for r in res.records(page_key) if r.get("title", "").startswith("Promoting"))
    assert adam["_iri"] == ids.work_iri(doi_id="10.1000/adam")

    graph = ids.graph_iri(page_key)
    lines = res.evidence_lines(page_key, graph)
    store.load(
        "".join(f"{line[:-2]} <{graph}> .\n" for line in lines).encode(),
        format=ox.RdfFormat.N_QUADS,
    )
    report = report_from_rows(rows(store, REPORT_QUERY))
    rules = sorted(m.rule for m in report.merges)
    assert rules == ["name", "name+shared-works", "title"]  # softmax shares its title IRI
    data = report.as_json()
    assert json.loads(report.to_json()) == data
    assert data["counts"]["merges_by_rule"] == {"name": 1, "name+shared-works": 1, "title": 1}
    person_merge = next(m for m in data["merges"] if m["kind"] == "person")
    assert person_merge["entities"][0] == me and person_merge["sources"] == [page_key]
    text = report.to_text()
    assert (
        text.startswith("3 merge(s)") and "Razvan Pascanu" in text and "[name+shared-works]" in text
    )

    # re-resolving the same page against the store holding its evidence gives the same answer
    again = resolve([(page_key, page)], EntityIndex.from_rows(rows(store, INDEX_QUERY)))
    assert again.records(page_key) == res.records(page_key)


def test_evidence_lines_are_valid_ntriples() -> None:
    res = resolve(
        [
            ("file:///a", [pub('A "quoted"\ntitle', "Ada")]),
            ("file:///b", [pub('a "QUOTED" title', "Ada")]),
        ],
        EntityIndex(),
    )
    lines = res.evidence_lines("file:///b", "https://w3id.org/kg/graph/source/b")
    store = ox.Store()
    store.load("\n".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
    assert len(store) == len(lines)
    assert res.evidence_lines("file:///nothing", "urn:g") == []


def _letters(i: int) -> str:
    return "".join(chr(97 + (i // 26**k) % 26) for k in range(3)).capitalize()


def test_restricted_index_is_the_whole_index_past_one_values_block(tmp_path: Path) -> None:
    """``load_index(store, records)`` asks in blocks of ``VALUES_CHUNK`` terms, with its own
    queries (no OPTIONAL): it must hold exactly what INDEX_QUERY says of the same entities."""
    from kg.ingest import ingest
    from kg.resolve import load_index
    from kg.store import VALUES_CHUNK, EmbeddedStore

    n = VALUES_CHUNK + 150  # two blocks of people, works and names
    people = [
        person(
            f"Ada {_letters(i)}",
            dblp=f"{i:03d}/{i}",
            **({"orcid": ORCID} if i == 7 else {}),
            affiliations=[{"name": "Google DeepMind", "ror": "00971b260"}] if i % 50 == 0 else [],
        )
        for i in range(n)
    ]
    works = [
        pub(
            f"On {_letters(i)} things",
            f"Ada {_letters(i)}",
            f"Ada {_letters(i + 1)}",
            f"Bo {_letters(i)}",
            doi=f"10.1000/w{i}",
            date=str(1990 + i % 30),
            **({"arxiv": f"2410.{i:05d}"} if i % 3 == 0 else {}),
        )
        for i in range(n)
    ]
    (tmp_path / "people.json").write_text(json.dumps(people), encoding="utf-8")
    (tmp_path / "works.json").write_text(json.dumps(works[: n // 2]), encoding="utf-8")
    (tmp_path / "more.json").write_text(json.dumps(works[n // 2 :]), encoding="utf-8")
    store = EmbeddedStore(None)
    report = ingest([str(tmp_path / f) for f in ("people.json", "works.json", "more.json")], store)
    assert not report.rejected

    restricted = load_index(store, [*people, *works])
    whole = load_index(store)
    assert len(restricted.persons) > VALUES_CHUNK and len(restricted.works) == n
    assert len(restricted.orgs) == 1
    for mine, all_ in (
        (restricted.persons, whole.persons),
        (restricted.works, whole.works),
        (restricted.orgs, whole.orgs),
    ):
        assert mine == {iri: all_[iri] for iri in mine}
    me = ids.person_iri(orcid_id=ORCID)
    assert restricted.persons[me].dblp == "007/7" and restricted.persons[me].orcid == ORCID
    assert sum(1 for w in restricted.works.values() if w.arxiv) == len(range(0, n, 3))
    assert all(len(w.authors) == 3 and w.year and w.doi for w in restricted.works.values())
