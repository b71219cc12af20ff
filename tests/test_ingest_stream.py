"""Streaming ingest: sources are mapped, gated and written one after another into an atomic
:class:`kg.store.LoadBatch`, and still judged with what the other sources of the batch say."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from kg.errors import UsageError
from kg.ids import load_graph_iri
from kg.ingest import ingest
from kg.store import EmbeddedStore, LoadBatch, RemoteStore, SelectResult, Store, is_true, stats
from kg.store_lock import LOCK_GRAPH
from kg.validate import validate
from kg.vocab import GRAPH_BASE, KG, SCHEMA

pytestmark = pytest.mark.usefixtures("data_shapes_only")

stages_module = importlib.import_module("kg.ingest.stages")  # where the ingest calls the gate
ORCID = "0000-0002-1825-0097"


def write(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(records), encoding="utf-8")
    return str(path)


def committed_graphs(store: Store) -> list[str]:
    res = store.query(f"SELECT ?g ?c WHERE {{ GRAPH ?g {{ ?g <{KG}committed> ?c }} }} ORDER BY ?g")
    assert isinstance(res, SelectResult)
    return [g.value for g, c in res.rows if g is not None and is_true(c)]  # true may be 1


def graphs(store: Store) -> set[str]:
    """kg's data graphs (a portable listing: Virtuoso answers ``GRAPH ?g { }`` with none and
    keeps system graphs of its own; a remote writer's lease graph is not data)."""
    res = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(res, SelectResult)
    return {
        str(r["g"])
        for r in res.dicts()
        if str(r["g"]).startswith(GRAPH_BASE) and str(r["g"]) != LOCK_GRAPH
    }


# --- the store's load batch ---------------------------------------------------------------------

LINE = "<urn:a> <urn:p> <urn:b> ."


def label(graph: str) -> str:
    """The provenance line every kg load graph carries (how the store finds its loads)."""
    return f'<{graph}> <{KG}sourceLabel> "a.json" .'


def test_load_batch_commits_once_and_replaces_the_familys_older_load(
    any_store: EmbeddedStore | RemoteStore,
) -> None:
    store = any_store
    old, new = load_graph_iri("file:///a", "1"), load_graph_iri("file:///a", "2")
    with LoadBatch(store) as batch:
        assert batch.add(old, [LINE, label(old)]) == 2
        batch.commit()
    with LoadBatch(store) as batch:
        assert batch.add(new, iter([LINE, label(new), "<urn:a> <urn:p> <urn:c> ."])) == 3
        assert graphs(store) == {old, new}  # written, not yet committed
        batch.commit()
    assert committed_graphs(store) == [new] and graphs(store) == {new}


def test_load_batch_drops_what_it_wrote_when_the_block_fails() -> None:
    store = EmbeddedStore(None)
    with pytest.raises(RuntimeError), LoadBatch(store) as batch:
        batch.add(load_graph_iri("file:///a", "1"), [LINE])
        batch.add(load_graph_iri("file:///b", "1"), [LINE])
        raise RuntimeError("a source failed half-way")
    assert graphs(store) == set() and stats(store).quads == 0


def test_load_batch_refuses_two_loads_of_one_source_and_writes_after_commit() -> None:
    store = EmbeddedStore(None)
    with LoadBatch(store) as batch:
        batch.add(load_graph_iri("file:///a", "1"), [LINE])
        with pytest.raises(UsageError, match="only one load per source"):
            batch.add(load_graph_iri("file:///a", "2"), [LINE])
        batch.commit()
        with pytest.raises(UsageError, match="committed"):
            batch.add(load_graph_iri("file:///b", "1"), [LINE])


# --- ingest streams source by source --------------------------------------------------------------


def test_each_source_is_gated_and_written_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        write(tmp_path / f"{n}.json", [{"type": "Person", "name": f"Person {n}"}]) for n in "abc"
    ]
    events: list[str] = []
    real_gate = stages_module.gate

    def gate(records: Any, store: Any, **kwargs: Any) -> Any:
        events.append(f"gate {records[0].record['name']}")
        return real_gate(records, store, **kwargs)

    store = EmbeddedStore(None)
    real_load, real_update = store._load, store.update

    def load(graph: str, chunk: bytes) -> None:
        events.append("write " + chunk.decode().split("Person ", 2)[-1][:1])
        real_load(graph, chunk)

    def update(sparql: str) -> None:
        events.append("commit" if "INSERT DATA" in sparql else "drop")
        real_update(sparql)

    monkeypatch.setattr(stages_module, "gate", gate)
    monkeypatch.setattr(store, "_load", load)
    monkeypatch.setattr(store, "update", update)
    assert ingest(files, store).ok
    # Person records are judged first, source by source (nothing may link to a held one), then
    # each source is mapped, gated and written before the next.
    assert events == [
        "gate Person a", "gate Person b", "gate Person c",
        "gate Person a", "write a", "gate Person b", "write b", "gate Person c", "write c",
        "commit",
    ]  # fmt: skip


@pytest.mark.parametrize("order", ["people first", "publications first"])
def test_a_publication_is_judged_with_the_person_another_source_describes(
    order: str, tmp_path: Path, any_store: Store
) -> None:
    # The author has an ORCID and a Person record in the other file, so the publication writes
    # no name for them: whichever file comes first, the gate must see the person's name (read
    # back from the store when the people were written first, from the later file otherwise).
    people = write(tmp_path / "people.json", [
        {"type": "Person", "id": "ada", "name": "Ada Lovelace", "orcid": ORCID},
    ])  # fmt: skip
    pubs = write(tmp_path / "pubs.json", [
        {"type": "Publication", "title": "Notes", "date": "1843",
         "authors": [{"name": "A. Lovelace", "orcid": ORCID}]},
    ])  # fmt: skip
    store = any_store
    report = ingest([people, pubs] if order == "people first" else [pubs, people], store)
    assert report.ok, [str(r) for r in report.rejected]
    res = store.query(
        f"SELECT DISTINCT ?n WHERE {{ ?w <{SCHEMA}author> ?p . ?p <{SCHEMA}name> ?n }}"
    )
    assert isinstance(res, SelectResult)
    assert [r["n"] for r in res.dicts()] == ["Ada Lovelace"]


@pytest.mark.parametrize(
    "files", [["people", "pubs-1"], ["people", "pubs-1", "pubs-2"], ["pubs-1", "people", "pubs-2"]]
)
def test_a_held_person_leaves_their_authors_named_as_printed_in_any_streaming_order(
    files: list[str], tmp_path: Path
) -> None:
    # The person's ORCID iD has a wrong check character: their record is held. The
    # publications' author points to it by key: whatever the order of the files, the author is
    # kept as printed, unlinked, nothing is left nameless and nothing else is held
    # (docs/architecture.md, "The gate invariant").
    records: dict[str, list[dict[str, Any]]] = {
        "people": [{"type": "Person", "id": "ada", "name": "Ada Lovelace",
                    "orcid": "0000-0002-1825-0098"}],
        "pubs-1": [{"type": "Publication", "title": "Notes",
                    "authors": [{"name": "A. L.", "person": "ada"}]}],
        "pubs-2": [{"type": "Publication", "title": "Sketch",
                    "authors": [{"name": "A. L.", "person": "ada"}]}],
    }  # fmt: skip
    paths = [write(tmp_path / f"{name}.json", records[name]) for name in files]
    store = EmbeddedStore(None)
    report = ingest(paths, store)
    assert [Path(r.source).stem for r in report.rejected] == ["people"]
    res = store.query(f"SELECT DISTINCT ?n WHERE {{ ?p a <{SCHEMA}Person> ; <{SCHEMA}name> ?n }}")
    assert isinstance(res, SelectResult)
    assert {r["n"] for r in res.dicts()} == {"A. L."}
    assert validate(store, severity="violation").conforms
    assert all("kept as printed, unlinked" in w for r in report.sources[1:] for w in r.warnings)


def test_strict_drops_the_sources_already_written(tmp_path: Path, any_store: Store) -> None:
    good = write(tmp_path / "a.json", [{"type": "Person", "name": "Ada Lovelace"}])
    bad = write(tmp_path / "b.json", [{"type": "Publication", "authors": [{"name": "A B"}]}])
    store = any_store
    report = ingest([good, bad], store, strict=True)
    assert not report.committed and [s.status for s in report.sources] == ["rejected"] * 2
    assert graphs(store) == set() and stats(store).quads == 0
