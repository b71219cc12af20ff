"""Record files and the record schema: every format reads, every bad input gets a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import DataError, SourceError, UsageError
from kg.records import check_record, open_source
from kg.records.files import RecordFile


def _records(path: Path) -> list[dict[str, object]]:
    source = open_source(str(path))
    assert isinstance(source, RecordFile)
    return [r.data for r in source.iter_records()]


PERSON = {"type": "Person", "name": "Ada Lovelace", "topics": ["Computing", "Poetry"]}


def test_json_object_and_array(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(PERSON))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([PERSON, PERSON]))
    assert _records(one) == [PERSON]
    assert _records(many) == [PERSON, PERSON]


def test_jsonl_skips_blank_lines_and_numbers_records(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps(PERSON) + "\n\n" + json.dumps(PERSON) + "\n")
    source = open_source(str(f))
    assert isinstance(source, RecordFile)
    assert [r.number for r in source.iter_records()] == [1, 2]


def test_yaml_dates_become_strings(tmp_path: Path) -> None:
    f = tmp_path / "r.yaml"
    f.write_text(
        "- type: Publication\n  title: T\n  date: 2024-05-01\n  authors:\n    - name: A B\n"
    )
    (rec,) = _records(f)
    assert rec["date"] == "2024-05-01"
    assert check_record(rec) == []


def test_csv_lists_authors_and_affiliation(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text(
        "type,name,topics,affiliation,title,authors,author_orcids,abstract_truncated\n"
        "Person,Ada Lovelace,Computing|Poetry,Analytical Society,,,,\n"
        "Publication,,,,Notes,A. Lovelace|L. Menabrea,0000-0002-1825-0097|,true\n",
        encoding="utf-8",
    )
    person, pub = _records(f)
    assert person == {
        "type": "Person",
        "name": "Ada Lovelace",
        "topics": ["Computing", "Poetry"],
        "affiliations": [{"name": "Analytical Society"}],
    }
    assert pub["authors"] == [
        {"name": "A. Lovelace", "orcid": "0000-0002-1825-0097"},
        {"name": "L. Menabrea"},
    ]
    assert pub["abstract_truncated"] is True
    assert check_record(person) == [] and check_record(pub) == []


@pytest.mark.parametrize(
    ("name", "content", "error", "expected"),
    [
        ("bad.json", b'[{"type": "Person",', DataError, "bad.json: invalid JSON at line 1"),
        ("latin.json", '{"name": "Muñoz"}'.encode("latin-1"), DataError, "not UTF-8 (byte 0xf1"),
        ("empty.json", b"  \n", DataError, "empty.json: file is empty"),
        ("notype.csv", b"name\nAda\n", DataError, "no 'type' column"),
        ("noauthors.csv", b"type,title\nPublication,T\n", DataError, "no column 'authors'"),
        ("cells.csv", b"type,name\nPerson,Ada,extra\n", DataError, "line 2: 3 cells for 2 columns"),
        ("bad.jsonl", b'{"type": "Person"}\n{oops\n', DataError, "bad.jsonl: line 2: invalid JSON"),
        ("bad.yaml", b"- a: [1,\n", DataError, "bad.yaml: invalid YAML"),
        ("scalar.json", b"42", DataError, "expected a record object or an array"),
    ],
)
def test_malformed_files_get_one_line_errors(
    tmp_path: Path, name: str, content: bytes, error: type[Exception], expected: str
) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(error) as info:
        _records(f)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown file type '\.xlsx'"):
        open_source(str(tmp_path / "people.xlsx"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        _records(tmp_path / "gone.json")


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown source type 'nosuch:'"):
        open_source("nosuch:thing")


@pytest.mark.parametrize(
    ("record", "path", "fragment"),
    [
        ({"type": "Person"}, "$", "required field 'name' is missing"),
        ({"type": "Persn", "name": "x"}, "$.type", "expected one of Person, Publication"),
        (
            {"type": "Person", "name": "A", "orcid": "0000-0002"},
            "$.orcid",
            "not in the expected form",
        ),
        ({"type": "Publication", "authors": []}, "$.authors", "must not be empty"),
        (
            {"type": "Publication", "authors": [{"name": "A"}], "date": "2024-13-01"},
            "$.date",
            "YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            {"type": "Publication", "authors": [{"name": "A", "nmae": "x"}]},
            "$.authors[0]",
            "unknown field ('nmae' was unexpected)",
        ),
        ({"type": "Person", "name": "   "}, "$.name", "not in the expected form"),
        ([1, 2], "$", "must be a JSON object"),
    ],
)
def test_schema_errors_name_the_path_and_what_was_expected(
    record: object, path: str, fragment: str
) -> None:
    issues = check_record(record)
    assert any(i.path == path and fragment in i.message for i in issues), issues


def test_every_schema_is_valid_draft_2020_12() -> None:
    import jsonschema

    from kg.records.schema import RECORD_TYPES, record_schema

    for rtype in RECORD_TYPES:
        jsonschema.Draft202012Validator.check_schema(record_schema(rtype))
