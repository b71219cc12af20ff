"""Identity and determinism (docs/architecture.md, "Identity" and "Determinism"): no IRI and no
graph name depends on where the files sit; the same inputs in any order, with or without
``--force``, give the same graph; ``kg sources`` lists sources and ``kg remove`` drops one."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from kg.cli import main
from kg.errors import UsageError
from kg.ingest import ingest, open_sources, remove
from kg.records import SourceOptions
from kg.shared import project_root
from kg.store import EmbeddedStore, RemoteStore, sources, stats
from tests.canonical import content

EXAMPLES = project_root() / "examples"
FILES = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*") if p.is_file())


def copy_examples(root: Path) -> Path:
    """The examples in ``root/examples``, a project root of their own (``kg.toml``)."""
    root.mkdir(parents=True)
    (root / "kg.toml").write_text("", encoding="utf-8")
    shutil.copytree(EXAMPLES, root / "examples")
    return root


def ingest_in(root: Path, specs: list[str], store: EmbeddedStore | RemoteStore, **kw: Any) -> None:
    """Ingest ``specs`` (relative to ``root``) with ``root`` as the current directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        ingest(specs, store, **kw)


def test_two_checkouts_in_different_folders_give_the_same_graph(tmp_path: Path) -> None:
    a = copy_examples(tmp_path / "one")
    b = copy_examples(tmp_path / "elsewhere" / "deeper" / "two")
    sa, sb = EmbeddedStore(None), EmbeddedStore(None)
    ingest_in(a, ["examples"], sa)
    # from a subfolder of the second root: kg.toml above it still names the sources
    ingest_in(b / "examples", ["."], sb)
    assert stats(sa).triples == stats(sb).triples > 0
    assert content(sa) == content(sb)
    names = [s.name for s in sources(sa)]
    assert names == sorted(f"examples/{f}" for f in FILES)
    assert not any(str(tmp_path) in line for line in content(sa))


def test_force_and_shuffled_orders_give_the_same_graph(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "root")
    specs = [f"examples/{f}" for f in FILES]
    first = EmbeddedStore(None)
    ingest_in(root, specs, first)
    expected = content(first)
    ingest_in(root, specs, first, force=True)
    assert content(first) == expected
    for seed in range(3):
        shuffled = specs[:]
        random.Random(seed).shuffle(shuffled)
        store = EmbeddedStore(None)
        ingest_in(root, shuffled, store)
        assert content(store) == expected, seed


def test_a_moved_folder_replaces_its_sources_instead_of_adding_a_copy(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "root")
    store = EmbeddedStore(None)
    ingest_in(root, ["examples"], store)
    expected = content(store)
    moved = tmp_path / "moved"
    shutil.move(str(root), str(moved))
    ingest_in(moved, ["examples"], store, force=True)
    assert content(store) == expected


def test_source_name_names_a_file_or_a_directory(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "root")
    store = EmbeddedStore(None)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        ingest(["examples/group"], store, options=SourceOptions(source_name="lab"))
        ingest(["examples/seed/razvan-pascanu.json"], store,
               options=SourceOptions(source_name="razvan"))  # fmt: skip
        with pytest.raises(UsageError, match="--source-name names one source"):
            open_sources(["examples/group", "examples/seed"], SourceOptions(source_name="x"))
    names = [s.name for s in sources(store)]
    assert names == sorted(["razvan", *(f"lab/{f.removeprefix('group/')}" for f in FILES
                                        if f.startswith("group/"))])  # fmt: skip


def test_sources_and_remove_then_reingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_examples(tmp_path / "root")
    store_dir = str(tmp_path / "store")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["ingest", "examples", "--store", store_dir]) == 0
        capsys.readouterr()
        assert main(["sources", "--json", "--store", store_dir]) == 0
        listed = json.loads(capsys.readouterr().out)
        thesis = next(s for s in listed if s["name"] == "examples/group/thesis.json")
        assert thesis["records"] == 1 and thesis["triples"] > 0
        assert thesis["content_hash"] and thesis["loaded_at"].endswith("Z")
        assert thesis["key"] == "https://w3id.org/kg/id/source/examples/group/thesis.json"
        store = EmbeddedStore(store_dir)
        before, total = content(store), stats(store).triples
        store.close()

        assert main(["remove", "examples/group/thesis.json", "--store", store_dir]) == 0
        assert "removed examples/group/thesis.json" in capsys.readouterr().err
        store = EmbeddedStore(store_dir)
        assert "examples/group/thesis.json" not in [s.name for s in sources(store)]
        assert stats(store).triples < total
        store.close()
        assert main(["remove", "examples/group/thesis.json", "--store", store_dir]) == 2
        assert "no source 'examples/group/thesis.json'" in capsys.readouterr().err

        assert main(["ingest", "examples", "--store", store_dir]) == 0
        store = EmbeddedStore(store_dir)
        after = content(store)
        store.close()
    # The same data; only resolution's near-miss notes may differ (docs/architecture.md,
    # "Determinism": a source ingested alone is compared with the store by exact name only).
    assert {q for q in after if "#nearmiss-" not in q} == {
        q for q in before if "#nearmiss-" not in q
    }


def test_remove_on_an_endpoint(oxigraph_server: object, tmp_path: Path) -> None:
    from tests.servers import OxigraphServer

    assert isinstance(oxigraph_server, OxigraphServer)
    oxigraph_server.clear()
    root = copy_examples(tmp_path / "root")
    remote = RemoteStore(f"{oxigraph_server.url}/query")
    try:
        ingest_in(root, ["examples/group"], remote)
        names = [s.name for s in sources(remote)]
        assert "examples/group/people.yaml" in names
        gone = remove("examples/group/people.yaml", remote)
        assert gone.name == "examples/group/people.yaml"
        assert [s.name for s in sources(remote)] == [n for n in names if n != gone.name]
        embedded = EmbeddedStore(None)
        ingest_in(root, ["examples/group"], embedded)
        remove("examples/group/people.yaml", embedded)
        assert content(remote) == content(embedded)
    finally:
        remote.close()


def test_generated_10k_in_any_order_and_with_force(tmp_path: Path) -> None:
    from bench.generate import generate

    data = generate(10_000, tmp_path / "data", seed=3)
    files = sorted(str(p.relative_to(tmp_path)) for p in data.records_dir.iterdir())
    first = EmbeddedStore(None)
    ingest_in(tmp_path, files, first)
    expected = content(first)
    ingest_in(tmp_path, files, first, force=True)
    assert content(first) == expected
    shuffled = files[::-1]
    store = EmbeddedStore(None)
    ingest_in(tmp_path, shuffled, store)
    assert content(store) == expected
