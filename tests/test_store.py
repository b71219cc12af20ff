"""The store suite: runs on the embedded store and on a live Oxigraph server (``any_store``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import KgError, StoreLockedError
from kg.ids import load_graph_iri
from kg.ingest import ingest
from kg.store import DUMP_FORMATS, EmbeddedStore, RemoteStore, SelectResult, Store, stats

Any = EmbeddedStore | RemoteStore


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def _pub(
    title: str, doi: str = "10.5555/x1", authors: tuple[str, ...] = ("A", "B")
) -> dict[str, object]:
    return {"type": "Publication", "title": title, "doi": doi,
            "authors": [{"name": a} for a in authors]}  # fmt: skip


def _titles(store: Store) -> list[str]:
    res = store.query(
        "SELECT DISTINCT ?t WHERE { ?w <https://schema.org/name> ?t ; a <https://schema.org/ScholarlyArticle> } ORDER BY ?t"
    )
    assert isinstance(res, SelectResult)
    return [r["t"] or "" for r in res.dicts()]


def _quads(store: Store) -> set[str]:
    """The entity triples (the per-load provenance, which names the load, left out)."""
    buf = io.BytesIO()
    store.dump(buf, "nt")
    return {line for line in buf.getvalue().decode().splitlines() if "/kg/graph/" not in line}


def test_reingest_is_idempotent(any_store: Any, tmp_path: Path) -> None:
    f = _write(tmp_path / "pubs.json", [_pub("One"), _pub("Two", "10.5555/x2")])
    assert ingest([str(f)], any_store).exit_code == 0
    first, quads = stats(any_store), _quads(any_store)
    report = ingest([str(f)], any_store)
    assert report.sources[0].status == "unchanged"
    forced = ingest([str(f)], any_store, force=True)
    assert forced.sources[0].status == "loaded"
    assert stats(any_store) == first
    assert _quads(any_store) == quads


def test_changed_record_leaves_nothing_stale(any_store: Any, tmp_path: Path) -> None:
    f = _write(tmp_path / "pubs.json", [_pub("Old title", authors=("A", "B", "C"))])
    ingest([str(f)], any_store)
    _write(f, [_pub("New title", authors=("A", "B"))])
    ingest([str(f)], any_store)
    assert _titles(any_store) == ["New title"]
    res = any_store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a <https://w3id.org/kg/vocab#printedName> ?p }"
    )
    assert isinstance(res, SelectResult)
    assert res.dicts()[0]["n"] == "2"


def test_sources_keep_their_own_graphs(any_store: Any, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.json", [_pub("Shared", "10.5555/same")])
    b = _write(tmp_path / "b.json", [_pub("Shared", "10.5555/same"), _pub("Only B", "10.5555/b")])
    ingest([str(a), str(b)], any_store)
    s = stats(any_store)
    assert (s.publications, s.graphs) == (2, 2)
    _write(b, [_pub("Shared", "10.5555/same")])
    ingest([str(b)], any_store)
    assert _titles(any_store) == ["Shared"]


def test_failed_write_leaves_store_unchanged(any_store: Any, tmp_path: Path) -> None:
    f = _write(tmp_path / "pubs.json", [_pub("Kept")])
    ingest([str(f)], any_store)
    before = _quads(any_store)
    good = ['<https://e.org/s> <https://e.org/p> "new" .']
    bad = ["<https://e.org/s> <https://e.org/p> this is not n-triples ."]
    g1, g2 = load_graph_iri("file:///g1", "2"), load_graph_iri("file:///g2", "2")
    with pytest.raises(KgError):
        any_store.replace_graphs({g1: good, g2: bad})
    assert _quads(any_store) == before
    assert stats(any_store).graphs == 1


@pytest.mark.parametrize("fmt", sorted(DUMP_FORMATS))
def test_dump_round_trips(any_store: Any, tmp_path: Path, fmt: str) -> None:
    ingest([str(_write(tmp_path / "p.json", [_pub("Dumped"), {"type": "Person", "name": "Zoë"}]))],
           any_store)  # fmt: skip
    buf = io.BytesIO()
    any_store.dump(buf, fmt)
    parsed = list(ox.parse(buf.getvalue(), DUMP_FORMATS[fmt]))
    triples = {q.triple for q in parsed}
    assert len(triples) == stats(any_store).triples


def test_second_writer_gets_store_is_locked(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "st")
    code = (
        "import sys\nfrom kg.store import EmbeddedStore\nfrom kg.errors import StoreLockedError\n"
        f"try:\n    EmbeddedStore({str(tmp_path / 'st')!r})\nexcept StoreLockedError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "is locked" in proc.stdout
    # Readers are not blocked by the writer.
    reader = EmbeddedStore(tmp_path / "st", read_only=True)
    assert stats(reader).triples == 0
    reader.close()
    store.close()
    with pytest.raises(StoreLockedError):
        a = EmbeddedStore(tmp_path / "st2")
        EmbeddedStore(tmp_path / "st2")
    a.close()


def test_rdf_files_load_into_a_graph_of_their_own(any_store: Any, tmp_path: Path) -> None:
    ttl = tmp_path / "extra.ttl"
    ttl.write_text(
        '@prefix s: <https://schema.org/> .\n<https://e.org/p> a s:Person ; s:name "Extra" .\n'
    )
    trig = tmp_path / "more.trig"
    trig.write_text("<https://e.org/g> { <https://e.org/q> a <https://schema.org/Person> . }\n")
    report = ingest([str(ttl), str(trig)], any_store)
    assert report.exit_code == 0
    s = stats(any_store)
    assert (s.people, s.graphs) == (2, 2)


def test_bad_rdf_file_is_a_data_error(any_store: Any, tmp_path: Path) -> None:
    ttl = tmp_path / "broken.ttl"
    ttl.write_text("<https://e.org/p> a \n")
    report = ingest([str(ttl)], any_store)
    assert report.exit_code == 1
    assert report.sources[0].error and "broken.ttl: invalid RDF" in report.sources[0].error
    assert stats(any_store).graphs == 0
