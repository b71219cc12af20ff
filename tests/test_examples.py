"""The example record sets in examples/: every file reads, every record passes the schema, and
the data says what docs/records.md and the demo promise.

- examples/group: a fictional research group (5 people, 2 organisations, 25 publications) spread
  over YAML, JSON (an array and a single object), JSON Lines and CSV.
- examples/seed: the seed profile page (../shared/seeds/000_0e6ad97ebe8bc89f.txt) transcribed as
  records, facts only; checked line by line against the page when it is present.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kg import ids
from kg.errors import KgError
from kg.records import check_record, record_schema
from kg.records.files import CSV_COLUMNS, RecordFile, open_file
from kg.records.sources import RECORD_SUFFIXES
from kg.shared import project_root
from tests.conftest import require_shared

EXAMPLES = project_root() / "examples"
GROUP = EXAMPLES / "group"
SEED = EXAMPLES / "seed" / "razvan-pascanu.json"
SEED_PAGE = ("seeds", "000_0e6ad97ebe8bc89f.txt")
OWNER = "seed:razvan-pascanu"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _records(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in _files(folder):
        source = open_file(path)
        assert isinstance(source, RecordFile)
        out.extend(raw.data for raw in source.iter_records())
    return out


def _of(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == kind]


# --- every example file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", _files(GROUP) + _files(SEED.parent), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_example_file_reads_and_every_record_is_valid(path: Path) -> None:
    assert path.suffix in RECORD_SUFFIXES, f"{path}: not a record file kg reads"
    source = open_file(path)
    assert isinstance(source, RecordFile)
    raws = list(source.iter_records())
    assert raws, f"{path}: no records"
    assert [raw.number for raw in raws] == list(range(1, len(raws) + 1))
    for raw in raws:
        assert check_record(raw.data) == [], f"{path} record {raw.number} ({raw.record_id})"


@pytest.mark.parametrize("folder", [GROUP, SEED.parent], ids=["group", "seed"])
def test_links_resolve_and_keys_are_unique(folder: Path) -> None:
    records = _records(folder)
    keys = [r["id"] for r in records if "id" in r]
    assert len(keys) == len(set(keys)), "record ids must be unique within an example set"
    people = {r["id"]: r for r in _of(records, "Person") if "id" in r}
    for pub in _of(records, "Publication"):
        for author in pub["authors"]:
            if "person" in author:
                assert author["person"] in people, f"{pub.get('title')}: {author}"
            if "orcid" in author and "person" in author:  # both given: the same person
                bare = ids.orcid(author["orcid"])
                assert ids.orcid(people[author["person"]]["orcid"]) == bare


# --- the research group ----------------------------------------------------------------------


def test_group_uses_every_record_file_format() -> None:
    suffixes = {p.suffix for p in _files(GROUP)}
    assert {".yaml", ".json", ".jsonl", ".csv"} <= suffixes
    # A JSON file may hold one record object or an array of them: both are shown.
    shapes = {type(_json_value(p)).__name__ for p in _files(GROUP) if p.suffix == ".json"}
    assert shapes == {"dict", "list"}


def _json_value(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_group_counts() -> None:
    records = _records(GROUP)
    members = [p for p in _of(records, "Person") if p.get("id", "").startswith("lsg:")]
    assert len(members) == 5
    assert len(_of(records, "Organization")) == 2
    pubs = _of(records, "Publication")
    assert len(pubs) == 25
    assert sorted(len(p["authors"]) for p in pubs).count(10) == 1  # one 10-author paper
    assert sum(1 for p in pubs if "doi" in p) >= 12
    assert sum(1 for p in pubs if "abstract" in p) >= 20
    assert sum(1 for p in pubs if p.get("abstract_truncated")) == 1
    precisions = Counter(len(p["date"]) for p in pubs)
    assert set(precisions) == {4, 7, 10}  # YYYY, YYYY-MM, YYYY-MM-DD
    assert all(p.get("venue") and p.get("venue_type") for p in pubs)


def test_group_has_shared_and_external_coauthors() -> None:
    records = _records(GROUP)
    members = {p["id"] for p in _of(records, "Person") if p.get("id", "").startswith("lsg:")}
    member_orcids = {
        ids.orcid(p["orcid"])
        for p in _of(records, "Person")
        if p.get("id") in members and "orcid" in p
    }
    pair_counts: Counter[frozenset[str]] = Counter()
    external = set()
    for pub in _of(records, "Publication"):
        who = set()
        for a in pub["authors"]:
            if a.get("person") in members or (
                a.get("orcid") and ids.orcid(a["orcid"]) in member_orcids
            ):
                who.add(a.get("person") or ids.orcid(a["orcid"]))
            else:
                external.add(a["name"])
        pair_counts.update(frozenset((x, y)) for x in who for y in who if x < y)
    assert pair_counts.most_common(1)[0][1] >= 5  # members publish together
    assert len(external) >= 8  # and with people outside the group


def test_group_identifiers_are_safe_to_publish() -> None:
    """No real person's ORCID iD, no real DOI: the iDs lie in 0000-0000-0000-xxxx, a block ORCID
    never issues (it issues 0000-0001-5000-0007 to 0000-0003-5000-0001 and 0009-...), each with a
    correct ISO 7064 check character; DOIs use the 10.5555 test prefix."""
    found = []
    for r in _records(GROUP):
        values = [r.get("orcid")] + [a.get("orcid") for a in r.get("authors", ())]
        found += [ids.orcid(v) for v in values if v]
        if "doi" in r:
            assert ids.doi(r["doi"]).startswith("10.5555/"), r["doi"]
    assert len(set(found)) == 11  # 6 with Person records, 5 external co-authors by ORCID only
    for value in found:
        assert value.startswith("0000-0000-0000-"), value
        assert ids.orcid_checksum_ok(value), value


def test_ten_author_paper_keeps_its_order() -> None:
    (pub,) = [p for p in _of(_records(GROUP), "Publication") if len(p["authors"]) == 10]
    assert [a["name"] for a in pub["authors"]] == [
        "Amara Okafor",
        "Jonas Lindqvist",
        "Priya Raman",
        "Rania Haddad",
        "Kwame Mensah",
        "Olga Petrenko",
        "Tomasz Wrześniewski",
        "Bastian Krüger",
        "Elena Marchetti",
        "Ines Varga",
    ]


# --- the seed profile ------------------------------------------------------------------------

#: Printed (damaged) spelling on the page -> the person's correct name.
REPAIRED = {
    "Lukasz Kuci'nski": "Łukasz Kuciński",
    "Anastasija Ili'c": "Anastasija Ilić",
    "Matko Bovsnjak": "Matko Bošnjak",
    "Michal Zajkac": "Michał Zając",
    "Piotr Milo's": "Piotr Miłoś",
}


@pytest.fixture(scope="module")
def seed() -> list[dict[str, Any]]:
    return _records(SEED.parent)


def test_seed_owner(seed: list[dict[str, Any]]) -> None:
    (owner,) = [p for p in _of(seed, "Person") if p.get("id") == OWNER]
    assert owner["name"] == "Razvan Pascanu"
    assert owner["job_title"] == "Senior Research Scientist"
    assert owner["status"] == [{"value": "affiliate"}]
    assert owner["affiliations"] == [
        {"name": "Google DeepMind", "role": "Senior Research Scientist"}
    ]
    assert len(owner["topics"]) == len(set(owner["topics"])) == 15
    assert [o["name"] for o in _of(seed, "Organization")] == ["Google DeepMind"]


def test_seed_publications_have_the_owner_at_an_unknown_position(
    seed: list[dict[str, Any]],
) -> None:
    pubs = _of(seed, "Publication")
    assert len(pubs) == len({p["title"] for p in pubs}) == 10
    for pub in pubs:
        unknown = [a for a in pub["authors"] if a.get("position_unknown")]
        assert unknown == [{"name": "Razvan Pascanu", "person": OWNER, "position_unknown": True}]
        assert sum(a.get("person") == OWNER for a in pub["authors"]) == 1
        # Facts only: no invented DOI, date or venue, and not the abstracts' prose.
        assert set(pub) == {"type", "title", "authors"}


def test_seed_keeps_printed_names_and_links_the_correct_spelling(
    seed: list[dict[str, Any]],
) -> None:
    people = {p["id"]: p["name"] for p in _of(seed, "Person")}
    linked = {
        a["name"]: people[a["person"]]
        for pub in _of(seed, "Publication")
        for a in pub["authors"]
        if a.get("person") and a["person"] != OWNER
    }
    assert linked == REPAIRED


def test_seed_matches_the_page_line_by_line(seed: list[dict[str, Any]]) -> None:
    """Walk the page: after "Publications" each line is a title, one of its co-authors (in order)
    or an abstract (the page cuts each with "… (see more)"). Every entry must match a record, the
    repeated entries must collapse into one record, and nothing on the page may be left out."""
    lines = [line.strip() for line in require_shared(*SEED_PAGE).read_text("utf-8").splitlines()]
    lines = [line for line in lines if line]
    (owner,) = [p for p in _of(seed, "Person") if p.get("id") == OWNER]
    assert owner["name"] in lines
    assert "Affiliate Member" in lines
    role = f"{owner['job_title']}, {owner['affiliations'][0]['name']}"
    assert role in lines
    start, end = lines.index("Research Topics") + 1, lines.index("Publications")
    assert lines[start:end] == owner["topics"]

    by_title = {
        p["title"]: [a["name"] for a in p["authors"] if not a.get("position_unknown")]
        for p in _of(seed, "Publication")
    }
    entries: list[tuple[str, list[str]]] = []
    for line in lines[end + 1 :]:
        if "(see more)" in line:
            continue
        if line in by_title:
            entries.append((line, []))
        else:
            assert entries, f"text before the first title: {line!r}"
            entries[-1][1].append(line)
    assert len(entries) == 12
    assert {title for title, _ in entries} == set(by_title)
    for title, authors in entries:
        assert authors == by_title[title], title


# --- docs/records.md: its examples, fields and messages are the real ones -------------------

RECORDS_MD = project_root() / "docs" / "records.md"
_FENCE = re.compile(r"^```(json|jsonl|yaml|csv)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _doc() -> str:
    return RECORDS_MD.read_text("utf-8")


def test_doc_examples_read_and_pass_the_schema(tmp_path: Path) -> None:
    blocks = _FENCE.findall(_doc())
    assert {lang for lang, _ in blocks} == {"json", "jsonl", "yaml", "csv"}
    for i, (lang, body) in enumerate(blocks):
        path = tmp_path / f"example{i}.{lang}"
        path.write_text(body, encoding="utf-8")
        source = open_file(path)
        assert isinstance(source, RecordFile)
        for raw in source.iter_records():
            assert check_record(raw.data) == [], f"records.md {lang} block {i}: {raw.data}"


def _schema_fields(schema: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for name, spec in schema.get("properties", {}).items():
        fields.add(name)
        items = spec.get("items", {})
        if isinstance(items, dict) and "properties" in items:
            fields |= _schema_fields(items)
    return fields


@pytest.mark.parametrize("kind", ["Person", "Organization", "Publication"])
def test_doc_documents_every_schema_field(kind: str) -> None:
    documented = set(re.findall(r"`([a-z_]+)`", _doc()))
    assert _schema_fields(record_schema(kind)) - documented == set()


def test_doc_documents_every_csv_column() -> None:
    table = {
        kind: row
        for kind, row in re.findall(
            r"^\| `(Person|Organization|Publication)` \| (.*)$", _doc(), re.M
        )
    }
    for kind, columns in CSV_COLUMNS.items():
        assert set(re.findall(r"`([a-z_]+)`", table[kind])) == set(columns), kind


_BAD_RECORDS: list[Any] = [
    {"type": "Person"},
    {"type": "Person", "name": "Ada", "email": "a@b"},
    {"type": "Publication", "authors": [{"name": "A"}], "date": "2024-13"},
    {"type": "Publication", "authors": [{"name": "A"}], "venue_type": "workshop"},
    {"type": "Person", "name": "Ada", "affiliations": [{"name": "X", "start": 2020}]},
    {"type": "Publication", "title": "T", "authors": []},
    {"type": "Person", "name": "  "},
    {"type": "Paper", "title": "x"},
    ["not", "a", "record"],
]


@pytest.mark.parametrize("record", _BAD_RECORDS, ids=lambda r: json.dumps(r)[:40])
def test_doc_record_messages_are_the_real_ones(record: Any) -> None:
    issues = check_record(record)
    assert issues
    for issue in issues:
        assert f"`{issue}`" in _doc(), str(issue)


_BAD_FILES: dict[str, bytes] = {
    "people.json": b'{"type": "Person"',
    "more.jsonl": b'{"type": "Person", "name": "A"}\n{oops\n',
    "people.yaml": b"a: [1,\n",
    "x.json": b"42",
    "x.csv": b"name,title\nAda,x\n",
    "x.txt": b"",
}


@pytest.mark.parametrize("name", sorted(_BAD_FILES))
def test_doc_file_messages_are_the_real_ones(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(_BAD_FILES[name])
    with pytest.raises(KgError) as caught:
        list(open_file(path).iter_records())  # type: ignore[union-attr]
    message = str(caught.value).replace(str(path), name)
    assert f"`{message}`" in _doc(), message
