"""Fault injection during ingest: a full disk under the embedded store, an endpoint that dies
between two chunk loads. In every case the committed data stays whole: the store (or remote
graph) holds the previous version or the new one, never a mix (docs/reliability.md, "Crash
safety")."""

from __future__ import annotations

import errno
import gc
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import kg.store
from kg.cli import main
from kg.store import EmbeddedStore, RemoteStore, SelectResult, dump_bytes, recover, stats
from kg.store_lock import LOCK_GRAPH
from tests.conftest import require_tool
from tests.servers import OxigraphServer, VirtuosoServer, oxigraph_binary

WORKS = 30
SMALL_CHUNK = 40  # lines per chunk: one version is several chunks


def _records(path: Path, version: str) -> Path:
    records: list[dict[str, Any]] = [{"type": "Person", "id": "ada", "name": "Ada Lovelace"}]
    records += [
        {"type": "Publication", "id": f"p{i}", "title": f"Work {i} {version}", "date": "2020",
         "authors": [{"name": "Ada Lovelace", "person": "ada"}, {"name": f"Co Author {i}"}]}
        for i in range(WORKS)
    ]  # fmt: skip
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _versions(store: EmbeddedStore | RemoteStore) -> dict[str, list[str]]:
    """version -> works carrying a title of that version (one title per work when whole)."""
    res = store.query("SELECT ?w ?t WHERE { ?w <https://schema.org/headline> ?t } ORDER BY ?w ?t")
    assert isinstance(res, SelectResult)
    out: dict[str, list[str]] = {}
    for row in res.dicts():
        out.setdefault(str(row["t"]).rsplit(" ", 1)[-1], []).append(str(row["w"]))
    return out


def _without_lease(dump: bytes) -> bytes:
    lock = f"<{LOCK_GRAPH}>".encode()
    return b"".join(line for line in dump.splitlines(keepends=True) if lock not in line)


def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = kg.store.core._chunks

    def small(lines: Iterable[str], size: int = SMALL_CHUNK) -> Iterator[bytes]:
        return chunks(lines, SMALL_CHUNK)

    monkeypatch.setattr(kg.store.core, "_chunks", small)


def _kill_at(monkeypatch: pytest.MonkeyPatch, when: str, kill: Callable[[], None]) -> list[int]:
    """Make the next remote ingest call ``kill`` after its first Graph Store chunk ("between
    chunks") or right after its commit update ("after the commit": the ``INSERT … WHERE`` that
    marks the batch's graphs committed while the writer holds its lease, kg.store_lock); the
    list counts the chunks sent."""
    _small_chunks(monkeypatch)
    chunks = [0]
    real_load, real_update = RemoteStore._load, RemoteStore.update

    def load(self: RemoteStore, graph: str, chunk: bytes) -> None:
        real_load(self, graph, chunk)
        chunks[0] += 1
        if when == "between chunks" and chunks[0] == 1:
            kill()

    def update(self: RemoteStore, sparql: str) -> None:
        real_update(self, sparql)
        if when == "after the commit" and "committed>" in sparql and sparql.startswith("INSERT"):
            kill()

    monkeypatch.setattr(RemoteStore, "_load", load)
    monkeypatch.setattr(RemoteStore, "update", update)
    return chunks


# -- a full disk under the embedded store ------------------------------------------------------


class _FullDisk:
    """pyoxigraph's ``Store`` as seen through a disk that fills up: every write after ``trip``
    returns True raises ``OSError(ENOSPC)`` (as RocksDB reports it), reads still work."""

    def __init__(self, inner: Any, trip: Callable[[str, Any], bool]) -> None:
        self._inner = inner
        self._trip = trip
        self.full = False
        self.writes = 0

    def _write(self, kind: str, arg: Any) -> None:
        self.writes += 1
        if self.full or self._trip(kind, arg):
            self.full = True
            raise OSError(errno.ENOSPC, "IO error: No space left on device")

    def bulk_load(self, data: bytes, *args: Any, **kwargs: Any) -> None:
        self._write("load", data)
        self._inner.bulk_load(data, *args, **kwargs)

    def update(self, sparql: str, *args: Any, **kwargs: Any) -> None:
        self._write("update", sparql)
        self._inner.update(sparql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _fill_disk(monkeypatch: pytest.MonkeyPatch, trip: Callable[[str, Any], bool]) -> list[Any]:
    """Make the next EmbeddedStore opened write through a :class:`_FullDisk`."""
    opened: list[Any] = []
    real_init = EmbeddedStore.__init__

    def init(self: EmbeddedStore, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        if not opened:
            self._store = _FullDisk(self._store, trip)  # type: ignore[assignment]
            opened.append(self._store)

    monkeypatch.setattr(EmbeddedStore, "__init__", init)
    return opened


def _snapshot(path: Path) -> tuple[dict[str, int], bytes, dict[str, list[str]]]:
    store = EmbeddedStore(path)
    try:
        return stats(store).as_dict(), dump_bytes(store, "nq"), _versions(store)
    finally:
        store.close()


@pytest.mark.parametrize("where", ["second chunk", "commit"])
def test_a_full_disk_during_ingest_keeps_the_prior_state(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store_dir, records = tmp_path / "store", tmp_path / "works.json"
    assert main(["ingest", "--store", str(store_dir), str(_records(records, "v1"))]) == 0
    before = _snapshot(store_dir)
    assert before[2] == {"v1": before[2]["v1"]} and len(before[2]["v1"]) == WORKS
    capsys.readouterr()

    _small_chunks(monkeypatch)
    loads = [0]

    def trip(kind: str, arg: Any) -> bool:
        if where == "commit":
            return kind == "update" and "committed" in arg and arg.startswith("INSERT DATA")
        loads[0] += kind == "load"
        return loads[0] > 1

    opened = _fill_disk(monkeypatch, trip)
    code = main(["ingest", "--store", str(store_dir), str(_records(records, "v2"))])
    err = capsys.readouterr().err
    fired = bool(opened) and opened[0].full
    opened.clear()  # drop the last handle on the (closed) store: RocksDB releases its lock
    gc.collect()
    assert fired, "the injected fault never fired"
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"kg: writing to store {store_dir} failed: "), lines[0]
    assert "No space left on device" in lines[0], lines[0]
    assert "Traceback" not in err

    monkeypatch.undo()  # the disk has room again
    assert _snapshot(store_dir) == before  # stats, every quad, one version


def _tmpfs(path: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` at ``path``; False when mounting is not permitted here."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    return done.returncode == 0


def test_a_real_full_tmpfs_keeps_the_prior_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mount = tmp_path / "small"
    if not _tmpfs(mount, "4m"):
        pytest.skip("mounting a tmpfs is not permitted here (needs root and CAP_SYS_ADMIN)")
    try:
        store_dir, records = mount / "store", tmp_path / "works.json"
        assert main(["ingest", "--store", str(store_dir), str(_records(records, "v1"))]) == 0
        before = _snapshot(store_dir)
        filler = mount / "filler"
        with filler.open("wb") as f:  # fill the rest of the disk
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        capsys.readouterr()
        code = main(["ingest", "--store", str(store_dir), str(_records(records, "v2"))])
        err = capsys.readouterr().err
        filler.unlink()
        if code == 0:
            pytest.skip("the ingest fitted in what RocksDB had preallocated: no fault happened")
        # RocksDB writes its MANIFEST when the store opens: a full disk is refused right there
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert "No space left on device" in err and str(store_dir) in err, err
        assert _snapshot(store_dir) == before
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=30, check=False)


# -- an endpoint that dies mid-load ------------------------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[list[OxigraphServer]]:
    """This test's own Oxigraph server (it is killed): a list, so a restart can replace it."""
    binary = require_tool("oxigraph server", oxigraph_binary())
    servers = [OxigraphServer(binary, tmp_path)]
    yield servers
    for server in servers:
        if server.proc.poll() is None:
            server.stop()


def _kill(server: OxigraphServer) -> None:
    server.proc.kill()
    server.proc.wait(10)


@pytest.mark.parametrize("when", ["between chunks", "after the commit"])
def test_an_endpoint_dying_mid_load_leaves_the_old_or_the_new_graph(
    when: str,
    tmp_path: Path,
    own_server: list[OxigraphServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = own_server[0]
    records = tmp_path / "works.json"
    endpoint = f"{server.url}/query"
    assert main(["ingest", "--endpoint", endpoint, str(_records(records, "v1"))]) == 0
    with closing(RemoteStore(endpoint)) as store:
        before_dump, before = dump_bytes(store, "nq"), _versions(store)
    assert list(before) == ["v1"] and len(before["v1"]) == WORKS

    chunks = _kill_at(monkeypatch, when, lambda: _kill(server))
    capsys.readouterr()
    code = main(["ingest", "--endpoint", endpoint, str(_records(records, "v2"))])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert server.proc.poll() is not None, "the server was not killed"
    assert chunks[0] >= 1
    if when == "between chunks":
        assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith(f"kg: cannot reach SPARQL endpoint {server.url}/"), err

    restarted = OxigraphServer(require_tool("oxigraph server", oxigraph_binary()), tmp_path)
    own_server.append(restarted)
    with closing(RemoteStore(f"{restarted.url}/query")) as store:
        recover(store)
        after = _versions(store)
        if when == "between chunks":
            # wholly the old graph; the dead writer's lease stays until it runs out
            assert _without_lease(dump_bytes(store, "nq")) == before_dump
        else:
            assert list(after) == ["v2"] and len(after["v2"]) == WORKS  # wholly the new one
        assert sorted(after) in (["v1"], ["v2"])  # never mixed
        assert stats(store).graphs == 1


@pytest.mark.parametrize("when", ["between chunks", "after the commit"])
def test_virtuoso_killed_around_the_commit_keeps_the_old_or_the_new_graph(
    when: str,
    tmp_path: Path,
    virtuoso_server: VirtuosoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same SIGKILL around the commit point on a real Virtuoso, restarted on its database:
    its committed marker comes back as ``1``, and recovery must keep that load (it dropped
    every committed load when it compared the text with ``true``)."""
    server = virtuoso_server
    server.clear()
    records = tmp_path / "works.json"
    assert main(["ingest", "--endpoint", server.url, str(_records(records, "v1"))]) == 0
    with closing(RemoteStore(server.url)) as store:
        before_dump, before = sorted(dump_bytes(store, "nq").splitlines()), _versions(store)
    assert list(before) == ["v1"] and len(before["v1"]) == WORKS

    _kill_at(monkeypatch, when, server.kill)
    capsys.readouterr()
    try:
        code = main(["ingest", "--endpoint", server.url, str(_records(records, "v2"))])
        err = capsys.readouterr().err
    finally:
        monkeypatch.undo()
        killed = server.proc.poll() is not None
        if killed:
            server.start()  # the same database: Virtuoso replays its transaction log
    assert killed, "the server was not killed"
    assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"kg: cannot reach SPARQL endpoint http://127.0.0.1:{server.http_port}/")
    with closing(RemoteStore(server.url)) as store:
        recover(store)
        after = _versions(store)
        if when == "between chunks":
            assert sorted(dump_bytes(store, "nq").splitlines()) == before_dump  # the old graph
        else:
            assert list(after) == ["v2"] and len(after["v2"]) == WORKS  # wholly the new one
        assert stats(store).graphs == 1
    # and the next ingest on the restarted server completes
    assert main(["ingest", "--endpoint", server.url, str(_records(records, "v3"))]) == 0
    with closing(RemoteStore(server.url)) as store:
        assert list(_versions(store)) == ["v3"]
