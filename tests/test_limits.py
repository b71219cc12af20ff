"""Input limits (kg/limits.py) and the regressions the fuzzer found (fuzz/, docs/reliability.md).

Each limit is checked through the real entry point, :func:`kg.ingest.ingest`, with its
environment variable set low, and its error must name the variable, its value and the actual
value.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kg.errors import DataError, LimitError, UsageError
from kg.ingest import IngestReport, ingest
from kg.limits import ENV_VARS, Limits, check_json_depth, current
from kg.records.files import open_file
from kg.records.schema import check_record
from kg.store import EmbeddedStore

PERSON = {"type": "Person", "name": "Ada Lovelace"}


def _ingest(path: Path) -> IngestReport:
    store = EmbeddedStore(None)
    try:
        return ingest([str(path)], store)
    finally:
        store.close()


def _records(path: Path) -> list[object]:
    source = open_file(path)
    return [r.data for r in source.iter_records()]  # type: ignore[union-attr]


def test_every_limit_has_an_env_var_and_a_positive_default() -> None:
    assert set(ENV_VARS) >= {"KG_MAX_FILE_BYTES", "KG_MAX_RECORDS", "KG_MAX_FIELD_CHARS",
                             "KG_MAX_JSON_DEPTH", "KG_MAX_RDF_BYTES", "KG_MAX_LITERAL_CHARS"}  # fmt: skip
    assert all(v > 0 for v in ENV_VARS.values())
    assert Limits() == Limits.from_env({})


def test_env_vars_override_and_bad_values_are_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_MAX_RECORDS", "1_000")
    monkeypatch.setenv("KG_MAX_FIELD_CHARS", " 7 ")
    assert (current().max_records, current().max_field_chars) == (1000, 7)
    for bad in ("0", "-3", "1.5", "lots"):
        monkeypatch.setenv("KG_MAX_JSON_DEPTH", bad)
        with pytest.raises(UsageError, match="KG_MAX_JSON_DEPTH"):
            current()


def test_file_size_is_refused_from_stat_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as fh:  # a sparse 3 GB file: reading it would take seconds and 3 GB
        fh.truncate(3 * 1024**3)
    start = time.monotonic()
    report = _ingest(path)
    assert time.monotonic() - start < 2
    error = report.sources[0].error or ""
    assert (
        f"size {3 * 1024**3} bytes exceeds KG_MAX_FILE_BYTES={ENV_VARS['KG_MAX_FILE_BYTES']}"
        in error
    )
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "10")
    path.write_text(json.dumps(PERSON))
    with pytest.raises(LimitError) as caught:
        _records(path)
    assert (caught.value.limit, caught.value.value) == ("KG_MAX_FILE_BYTES", 10)
    assert caught.value.actual == path.stat().st_size
    assert str(path) in str(caught.value)


def test_rdf_files_have_their_own_byte_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.nt"
    path.write_text('<http://e/s> <http://e/p> "o" .\n')
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "5")
    assert _ingest(path).ok
    monkeypatch.setenv("KG_MAX_RDF_BYTES", "5")
    assert "exceeds KG_MAX_RDF_BYTES=5" in (_ingest(path).sources[0].error or "")


def test_record_count_is_refused_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps({**PERSON, "name": f"P{i}"}) for i in range(5)))
    monkeypatch.setenv("KG_MAX_RECORDS", "3")
    report = _ingest(path)
    assert report.sources[0].records_in == 4  # stopped at the first record over the limit
    assert "record count 4 exceeds KG_MAX_RECORDS=3" in (report.sources[0].error or "")
    monkeypatch.setenv("KG_MAX_RECORDS", "5")
    assert _ingest(path).ok


def test_an_overlong_field_rejects_its_record_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "people.json"
    path.write_text(json.dumps([PERSON, {**PERSON, "description": "x" * 50}]))
    monkeypatch.setenv("KG_MAX_FIELD_CHARS", "40")
    report = _ingest(path)
    assert report.committed and report.sources[0].records_out == 1
    [rejection] = report.rejected
    assert rejection.number == 2
    assert str(rejection) == (
        f"{path}: record 2: $.description: length 50 exceeds KG_MAX_FIELD_CHARS=40 "
        "(set KG_MAX_FIELD_CHARS to allow more)"
    )


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".yaml"])
def test_nesting_depth_is_refused_before_parsing(tmp_path: Path, suffix: str) -> None:
    # 100,000 levels: CPython's json and PyYAML recurse per level and would raise RecursionError.
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / f"deep{suffix}"
    path.write_text(deep)
    with pytest.raises(LimitError, match=r"nesting depth 65 exceeds KG_MAX_JSON_DEPTH=64"):
        _records(path)


def test_yaml_block_nesting_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join(" " * i + "a:\n" for i in range(2000)) + " " * 2000 + "x\n")
    with pytest.raises(LimitError, match="KG_MAX_JSON_DEPTH=64"):
        _records(path)


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"title": "[" * 500, "authors": [{"name": "}}}"}]})
    assert check_json_depth(text, where="x") == 3


def test_helpers_for_importers(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the API and page importers call on payloads they parsed or fetched themselves."""
    from kg.limits import check_nesting, check_size

    assert check_nesting({"a": [{"b": [1]}]}, where="x") == 4
    deep: object = "x"
    for _ in range(100_000):  # iterative: no RecursionError however deep
        deep = [deep]
    with pytest.raises(LimitError, match=r"https://api\.example/x: nesting depth 65 exceeds"):
        check_nesting(deep, where="https://api.example/x")
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "100")
    assert check_size(100, where="page", limit="max_response_bytes") == 100
    with pytest.raises(LimitError, match="page: size 101 bytes exceeds KG_MAX_RESPONSE_BYTES=100"):
        check_size(101, where="page", limit="max_response_bytes")


def test_yaml_alias_expansion_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nine levels of ten aliases each would expand to 10^9 nodes ("billion laughs")."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    with pytest.raises(LimitError, match=r"exceeds KG_MAX_YAML_NODES=5000000"):
        _records(path)
    assert time.monotonic() - start < 2, "refused before expanding anything"
    monkeypatch.setenv("KG_MAX_YAML_NODES", "1000")
    with pytest.raises(LimitError, match=r"node count \(aliases expanded\) 1111 exceeds"):
        _records(path)
    monkeypatch.setenv("KG_MAX_YAML_NODES", "100000")
    path.write_text("\n".join(lines[:4]) + "\n")  # 3 levels: 1,111 nodes once expanded
    assert len(_records(path)) == 1


def test_a_yaml_list_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("- &a [*a]\n")
    with pytest.raises(DataError, match="a YAML alias refers to a node that contains it"):
        _records(path)


def test_rdf_literal_and_triple_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "g.ttl"
    path.write_text('<http://e/s> <http://e/p> "' + "x" * 100 + '", "short" .\n')
    monkeypatch.setenv("KG_MAX_LITERAL_CHARS", "99")
    error = _ingest(path).sources[0].error or ""
    assert "triple 1: literal length 100 exceeds KG_MAX_LITERAL_CHARS=99" in error
    monkeypatch.setenv("KG_MAX_LITERAL_CHARS", "100")
    monkeypatch.setenv("KG_MAX_TRIPLES", "1")
    assert "triple count 2 exceeds KG_MAX_TRIPLES=1" in (_ingest(path).sources[0].error or "")


# --- regressions found by the fuzzer (python -m fuzz) --------------------------------------------


def test_lone_surrogate_in_json_rejects_the_record_not_the_batch(tmp_path: Path) -> None:
    """JSON may spell "\\ud800"; no UTF-8 writer can encode it (it crashed the N-Triples load)."""
    path = tmp_path / "people.json"
    path.write_text('[{"type": "Person", "name": "Ada"}, {"type": "Person", "name": "B\\ud800"}]')
    report = _ingest(path)
    assert report.committed and report.sources[0].records_out == 1
    assert str(report.rejected[0]) == (
        f"{path}: record 2: $.name: lone surrogate U+D800 at offset 1 (not valid Unicode)"
    )


def test_json_lines_split_only_at_newlines(tmp_path: Path) -> None:
    """U+2028, U+0085 and \\x1c are legal unescaped in JSON strings; str.splitlines() split there."""
    path = tmp_path / "p.jsonl"
    names = ["Line\u2028Sep", "Next\u0085Line", "File\x1cSep"]
    path.write_text(
        "\r\n".join(json.dumps({**PERSON, "name": n}, ensure_ascii=False) for n in names)
    )
    assert [r["name"] for r in _records(path)] == names  # type: ignore[index]


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".yaml"])
def test_a_number_too_long_to_convert_is_a_data_error(tmp_path: Path, suffix: str) -> None:
    """CPython refuses int() of more than 4300 digits with a bare ValueError."""
    path = tmp_path / f"n{suffix}"
    path.write_text('{"type": "Person", "name": "A", "x": ' + "9" * 5000 + "}")
    with pytest.raises(DataError, match="integer string conversion"):
        _records(path)


def test_yaml_out_of_range_date_stays_text(tmp_path: Path) -> None:
    """PyYAML's timestamp constructor raised ValueError on 2024-13-45; dates stay strings."""
    path = tmp_path / "p.yaml"
    path.write_text("type: Publication\ndate: 2024-13-45\nstart: 2024-05-01\nend: !!timestamp x[\n")
    assert _records(path) == [
        {"type": "Publication", "date": "2024-13-45", "start": "2024-05-01", "end": "x["}
    ]


def test_yaml_control_characters_are_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("type: Person\nname: A\x00B\n")
    with pytest.raises(DataError, match="invalid YAML"):
        _records(path)


def test_csv_short_rows_and_huge_cells(tmp_path: Path) -> None:
    """A row with fewer cells than the header has None cells (csv.DictReader's restval); a cell
    over csv.field_size_limit() raised csv.Error."""
    path = tmp_path / "p.csv"
    path.write_text("type,name,affiliation,affiliation_ror\nPerson\nPerson,Ada\n")
    assert _records(path) == [{"type": "Person"}, {"type": "Person", "name": "Ada"}]
    path.write_text("type,title,authors\nPublication,T\n")
    assert _records(path) == [{"type": "Publication", "title": "T"}]
    path.write_text('type,name\nPerson,"' + "x" * 200_000 + '"\n')
    with pytest.raises(DataError, match=r"line \d+: invalid CSV: field larger than field limit"):
        _records(path)


def test_a_record_type_that_is_not_a_string_is_reported() -> None:
    assert [str(i) for i in check_record({"type": {"a": 1}, "name": "A"})] == [
        "$.type: expected one of Person, Publication, Organization, got {'a': 1}"
    ]


def test_a_url_that_is_not_an_iri_rejects_its_record_only(tmp_path: Path) -> None:
    """The schema's URL pattern admits DEL and a broken [ host; written as they were, the whole
    N-Triples batch failed to load."""
    path = tmp_path / "pubs.json"
    ok = {"type": "Publication", "title": "T", "authors": [{"name": "A"}]}
    path.write_text(json.dumps([ok, {**ok, "title": "U", "url": "https://x\x7fy.org/"},
                                {**ok, "title": "V", "url": "https://[::1/"}]))  # fmt: skip
    report = _ingest(path)
    assert report.committed and report.sources[0].records_out == 1
    assert [r.number for r in report.rejected] == [2, 3]
    assert "is not a valid IRI" in str(report.rejected[0])


def test_author_person_keys_with_astral_characters_do_not_break_the_ingest(tmp_path: Path) -> None:
    """The stored-key lookup quoted keys with json.dumps, which writes U+1F600 as a surrogate
    pair escape that SPARQL refuses: the whole ingest failed with a SPARQL syntax error."""
    path = tmp_path / "pubs.json"
    path.write_text(json.dumps([{"type": "Publication", "title": "T",
                                 "authors": [{"name": "Ana", "person": "lab:ana-\U0001f600"}]}]))  # fmt: skip
    people = tmp_path / "people.json"
    people.write_text(json.dumps([{"type": "Person", "id": "lab:ana-\U0001f600", "name": "Ana B"}]))
    store = EmbeddedStore(None)
    try:
        assert ingest([str(people)], store).ok
        assert ingest([str(path)], store).ok  # the key resolves to the stored Person
        res = store.query(
            "SELECT ?n WHERE { ?w <https://schema.org/author> ?p . ?p <https://schema.org/name> ?n }"
        )
        assert [r["n"] for r in res.dicts()] == ["Ana B"]  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.mark.parametrize("char", ["\u2028", "\u0085", "\x1c", "\u2029"])
def test_rdf_literals_with_unicode_line_separators_load(tmp_path: Path, char: str) -> None:
    """The RDF reader split the re-serialized N-Triples with str.splitlines(), cutting a literal
    holding U+2028 (or U+0085, \\x1c...) in two: the whole batch failed to load."""
    path = tmp_path / "g.jsonld"
    path.write_text(json.dumps({"@id": "http://e/a", "http://e/p": f"one{char}two"}))
    report = _ingest(path)
    assert report.ok, report.sources[0].error
    assert report.sources[0].triples == 1


def test_yaml_keys_that_are_not_text_reject_the_record(tmp_path: Path) -> None:
    """A YAML null or number key made jsonschema-rs raise ValueError ("Dict key must be str")."""
    path = tmp_path / "people.yaml"
    path.write_text("- type: Person\n  name: A\n- type: Person\n  name: B\n  ~: x\n"
                    "- type: Person\n  name: C\n  affiliations: [{2024: x}]\n")  # fmt: skip
    report = _ingest(path)
    assert report.committed and report.sources[0].records_out == 1
    assert [str(r) for r in report.rejected] == [
        f"{path}: record 2: $: key None is not text",
        f"{path}: record 3: $.affiliations[0]: key 2024 is not text",
    ]


def test_query_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SPARQL guard reads KG_MAX_QUERY_CHARS, KG_MAX_SPARQL_DEPTH and
    KG_MAX_SPARQL_OPERATORS on every check (docs/reliability.md)."""
    from kg.errors import UsageError
    from kg.queries.guard import check_sparql

    query = "SELECT * WHERE { { ?s ?p ?o } }"
    assert check_sparql(query).form == "select"
    monkeypatch.setenv("KG_MAX_QUERY_CHARS", "10")
    with pytest.raises(UsageError, match=r"the limit is 10 \(set KG_MAX_QUERY_CHARS"):
        check_sparql(query)
    monkeypatch.delenv("KG_MAX_QUERY_CHARS")
    monkeypatch.setenv("KG_MAX_SPARQL_DEPTH", "1")
    with pytest.raises(
        UsageError, match=r"nested 2 deep; the limit is 1 \(set KG_MAX_SPARQL_DEPTH"
    ):
        check_sparql(query)
    monkeypatch.delenv("KG_MAX_SPARQL_DEPTH")
    monkeypatch.setenv("KG_MAX_SPARQL_OPERATORS", "3")
    with pytest.raises(UsageError, match="KG_MAX_SPARQL_OPERATORS"):
        check_sparql(query)
