"""The benchmark's results checks and baseline caps (bench/workloads.py, bench/__main__.py).

A benchmark whose outputs differ is a failure, not a number: these tests hold that the checks
agree where kg and its baseline did the same work, and that they see a difference where there is
one. Benchmarks themselves never run here (``make bench`` does that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Literal, URIRef

# bench/ sits beside kg/ and is not installed: make it importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.__main__ import Row, _baseline_plan, _same
from bench.baseline import BaselineResult, build_graph
from bench.generate import Dataset, generate
from bench.workloads import (
    WORKLOADS,
    BaselineCap,
    Context,
    Workload,
    _answer_digest,
    cross_file_repeats,
    exact_repeats,
    export_baseline,
    export_kg,
    ingest_digest,
    kg_select,
    rdflib_select,
)
from kg.ingest import IngestReport, ingest
from kg.queries import load_queries
from kg.records.files import source_name
from kg.records.sources import RECORD_SUFFIXES
from kg.store import EmbeddedStore

SCHEMA = "https://schema.org/"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return generate(6_000, tmp_path_factory.mktemp("gen") / "a", seed=7)


@pytest.fixture(scope="module")
def kg_side(data: Dataset) -> tuple[EmbeddedStore, IngestReport]:
    store = EmbeddedStore(None)
    return store, ingest([str(data.records_dir)], store, validate=False)


def _files(data: Dataset) -> list[Path]:
    return sorted(p for p in data.records_dir.iterdir() if p.suffix in RECORD_SUFFIXES)


def _kg_digest(data: Dataset, side: tuple[EmbeddedStore, IngestReport]) -> dict[str, object]:
    store, report = side
    rejected = [(r.source, r.number) for r in report.rejected]
    return ingest_digest(kg_select(store), rejected, exact_repeats(data.records_dir))


def _base_digest(data: Dataset, result: BaselineResult) -> dict[str, object]:
    repeats = exact_repeats(data.records_dir)
    return ingest_digest(rdflib_select(result.graph), result.rejected, repeats)


def test_kg_and_the_rdflib_baseline_agree_on_what_resolution_does_not_change(
    data: Dataset, kg_side: tuple[EmbeddedStore, IngestReport]
) -> None:
    ours = _kg_digest(data, kg_side)
    theirs = _base_digest(data, build_graph(_files(data)))
    assert ours == theirs
    counts = {k: v["triples"] for k, v in ours.items()}  # type: ignore[index]
    assert counts["rejected"] == data.damaged > 0
    assert counts["works"] > 0.8 * data.by_type["Publication"] - data.duplicated
    assert counts["records"] + counts["rejected"] <= data.records


def test_a_changed_title_shows(data: Dataset, kg_side: tuple[EmbeddedStore, IngestReport]) -> None:
    ours = _kg_digest(data, kg_side)
    result = build_graph(_files(data))
    name, article = URIRef(SCHEMA + "name"), URIRef(SCHEMA + "ScholarlyArticle")
    graph = next(g for g in result.graph.graphs() if (None, RDF.type, article) in g)
    work = next(iter(graph.subjects(RDF.type, article)))
    graph.set((work, name, Literal("A different title")))
    changed = _base_digest(data, result)
    assert changed["works"] != ours["works"]
    assert changed["records"] == ours["records"]


def test_a_record_the_baseline_wrongly_leaves_out_shows(
    data: Dataset, kg_side: tuple[EmbeddedStore, IngestReport]
) -> None:
    ours = _kg_digest(data, kg_side)
    first = _files(data)[0]
    result = build_graph(_files(data), skip={(str(first), 1)})
    theirs = _base_digest(data, result)
    assert theirs["records"] != ours["records"]
    assert theirs["rejected"] != ours["rejected"]


def test_exact_repeats_map_to_the_first_occurrence_in_any_file(tmp_path: Path) -> None:
    rec = {"type": "Person", "name": "Ada Lovelace"}
    other = {"type": "Person", "name": "Alan Turing"}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([rec, other, dict(reversed(list(rec.items())))]), "utf-8")
    b.write_text(json.dumps([{"type": "Person", "name": "Grace Hopper"}, rec]), "utf-8")
    name = source_name(a)  # as kg:sourceLabel names it: relative to the project root
    assert exact_repeats(tmp_path) == {(name, 3): (name, 1), (source_name(b), 2): (name, 1)}
    assert cross_file_repeats(tmp_path) == {(str(b), 2)}


def test_a_record_repeated_in_two_files_compares_equal(tmp_path: Path) -> None:
    """The 1M row's false difference: a publication repeated in a JSON Lines and a YAML file,
    with an author whose position is unknown. kg writes that authorship once (resolution gives
    both copies the same nodes); an rdflib script writes it once per file. Folding exact repeats
    across files (the baseline leaves the second copy out, both sides count it as the first)
    makes the two agree, and without the fold they differ."""
    work = {"type": "Publication", "title": "Notes on the engine", "date": "1843",
            "doi": "10.5555/notes",
            "authors": [{"name": "Ada Byron"}, {"name": "Leslie García", "position_unknown": True}]}  # fmt: skip
    (tmp_path / "a.jsonl").write_text(json.dumps(work) + "\n", "utf-8")
    (tmp_path / "b.yaml").write_text(
        "- type: Publication\n  title: Notes on the engine\n  date: '1843'\n"
        "  doi: 10.5555/notes\n  authors:\n  - name: Ada Byron\n  - name: Leslie García\n"
        "    position_unknown: true\n",
        "utf-8",
    )
    files = sorted(p for p in tmp_path.iterdir() if p.suffix in RECORD_SUFFIXES)
    store = EmbeddedStore(None)
    report = ingest([str(tmp_path)], store, validate=False)
    assert report.ok
    repeats = exact_repeats(tmp_path)
    assert len(repeats) == 1
    rejected = [(r.source, r.number) for r in report.rejected]
    ours = ingest_digest(kg_select(store), rejected, repeats)
    folded = build_graph(files, fold=cross_file_repeats(tmp_path))
    assert ingest_digest(rdflib_select(folded.graph), folded.rejected, repeats) == ours
    unfolded = build_graph(files)
    theirs = ingest_digest(rdflib_select(unfolded.graph), unfolded.rejected, repeats)
    assert theirs["works"] != ours["works"]  # Leslie García printed twice on one work
    assert theirs["records"] == ours["records"]


def _rows(*rows: tuple[str, ...]) -> list[tuple[Literal, ...]]:
    return [tuple(Literal(v) for v in row) for row in rows]


def test_saved_query_answers_compare_rows_and_the_order_a_query_defines() -> None:
    queries = load_queries()
    ordered, unordered = queries["person-coauthors"], queries["person-profile"]
    one, two = _rows(("a", "1"), ("b", "2")), _rows(("b", "2"), ("a", "1"))
    assert _answer_digest(unordered, one, rdflib=True) == _answer_digest(
        unordered, two, rdflib=True
    )
    assert _answer_digest(ordered, one, rdflib=True) != _answer_digest(ordered, two, rdflib=True)
    doubled = _rows(("a", "1"), ("a", "1"))
    assert _answer_digest(unordered, doubled, rdflib=True) != _answer_digest(
        unordered, _rows(("a", "1")), rdflib=True
    )


def _row(workload: str, size: int, baseline_s: float | None, status: str = "ok") -> Row:
    return Row(workload, size, "triples", status=status, baseline_s=baseline_s)


def test_a_capped_baseline_cites_its_measured_time_and_never_a_ratio() -> None:
    validate = WORKLOADS["validate"]
    assert validate.cap.max_size == 10_000
    done = {("validate", 10_000): _row("validate", 10_000, 62.7)}
    runs, note = _baseline_plan(validate, 10_000, runs=3, baseline_max=None, uncapped=False,
                                done={})  # fmt: skip
    assert runs == 1 and note == "baseline: 1 of 3 runs (capped for time: plain pyshacl)"
    runs, note = _baseline_plan(validate, 100_000, runs=3, baseline_max=None, uncapped=False,
                                done=done)  # fmt: skip
    assert runs == 0
    assert note == (
        "baseline not run above 10k (plain pyshacl took 63 s at 10k in this run; "
        "--uncapped runs it)"
    )
    runs, note = _baseline_plan(validate, 100_000, runs=3, baseline_max=None, uncapped=False,
                                done={})  # fmt: skip
    assert runs == 0 and "not measured at a smaller size in this run" in note
    runs, _ = _baseline_plan(validate, 100_000, runs=3, baseline_max=None, uncapped=True,
                             done=done)  # fmt: skip
    assert runs == 3


def test_uncapped_workloads_and_the_global_size_limit() -> None:
    plain = Workload("w", "x", WORKLOADS["ingest"].kg, WORKLOADS["ingest"].baseline)
    assert _baseline_plan(plain, 100_000, runs=3, baseline_max=None, uncapped=False,
                          done={}) == (3, "")  # fmt: skip
    runs, note = _baseline_plan(plain, 10_000_000, runs=3, baseline_max=1_000_000,
                                uncapped=False, done={})  # fmt: skip
    assert runs == 0 and "--baseline-max" in note
    timed = Workload("w", "x", plain.kg, plain.baseline,
                     cap=BaselineCap(max_size=10_000, timeout=30.0, why="slow"))  # fmt: skip
    done = {("w", 10_000): _row("w", 10_000, None, status="baseline timed out")}
    _, note = _baseline_plan(timed, 100_000, runs=3, baseline_max=None, uncapped=False,
                             done=done)  # fmt: skip
    assert "slow did not finish in 30 s at 10k" in note


def test_the_export_row_counts_every_kind_of_work_on_both_sides(
    data: Dataset, tmp_path: Path
) -> None:
    """kg types a thesis or a book ScholarlyArticle *and* Thesis/Book and a report Report; the
    baseline's rdflib documents keep the store's schema:ScholarlyArticle. Both sides count the
    same works per page (a check that counted only a plain "ScholarlyArticle" made the row
    report different results)."""
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    store = EmbeddedStore(prepared / "store")
    ingest([str(data.records_dir)], store, validate=False)
    store.close()
    sides = []
    for name, run in (("kg", export_kg), ("baseline", export_baseline)):
        ctx = Context(data.records_dir, tmp_path / name, prepared, 6_000)
        ctx.work.mkdir()
        sides.append(run(ctx).digest)
    kg_digest, base_digest = sides
    assert kg_digest["pages"] > 10 and kg_digest["works"] > kg_digest["pages"]
    assert _same(kg_digest, base_digest), (kg_digest, base_digest)
    # the data holds works of every kind, so the count is not only of plain articles
    docs = [json.loads(p.read_text("utf-8")) for p in (tmp_path / "kg/pages/people").iterdir()]
    types = {str(n["@type"]) for d in docs for n in d["@graph"]}
    assert {"Report", "['ScholarlyArticle', 'Thesis']"} <= types
