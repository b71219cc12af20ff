"""The real SPARQL servers the tests start on 127.0.0.1: Oxigraph (the ``oxigraph`` PyPI
package's binary) and OpenLink Virtuoso (Debian's ``virtuoso-opensource-7-bin``), each with its
data in a temporary folder (one class per server for every fixture)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

__all__ = [
    "VIRTUOSO_MAX_ROWS",
    "OxigraphServer",
    "VirtuosoServer",
    "free_port",
    "oxigraph_binary",
    "virtuoso_binary",
]

#: The result cap the Virtuoso fixture sets ([SPARQL] ResultSetMaxRows and [Parameters]
#: MaxSortedTopRows): above every answer of the suites, below what the cap test loads.
VIRTUOSO_MAX_ROWS = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def oxigraph_binary() -> str | None:
    local = Path(sys.executable).parent / "oxigraph"
    return str(local) if local.exists() else shutil.which("oxigraph")


class OxigraphServer:
    """A real ``oxigraph serve`` process on 127.0.0.1 (the ``oxigraph`` PyPI package's binary)."""

    def __init__(self, binary: str, location: Path, *, union: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = location / "server.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    binary,
                    "serve",
                    "--location",
                    str(location / "db"),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    *(["--union-default-graph"] if union else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")
                raise RuntimeError(f"oxigraph server exited: {err}")
            try:
                requests.get(f"{self.url}/query", params={"query": "ASK {}"}, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph server did not start within 30 s")

    def clear(self) -> None:
        requests.post(
            f"{self.url}/update", data={"update": "DROP ALL"}, timeout=10
        ).raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = {mem}
DirsAllowed = ., {d}
CheckpointInterval = 60
ThreadsPerQuery = 2
MaxSortedTopRows = {cap}

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 4
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = {cap}
MaxQueryExecutionTime = 120
"""


class VirtuosoServer:
    """A real ``virtuoso-t`` on 127.0.0.1 with its database in ``location``: the fixture writes
    virtuoso.ini (both ports on 127.0.0.1, the result cap :data:`VIRTUOSO_MAX_ROWS`) and grants
    the anonymous ``SPARQL`` user the ``SPARQL_UPDATE`` role, as docs/endpoints.md tells users
    to. ``url`` is the query URL (``/sparql``); updates go there too, loads to
    ``/sparql-graph-crud``."""

    def __init__(
        self, binary: str, location: Path, *, max_rows: int = VIRTUOSO_MAX_ROWS,
        buffers: int = 20_000, max_query_mem: str = "1G",
    ) -> None:  # fmt: skip
        self.binary = binary
        self.location = location
        self.http_port = free_port()
        self.sql_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.log = location / "console.log"
        ini = _VIRTUOSO_INI.format(
            d=location, sql=self.sql_port, http=self.http_port, cap=max_rows,
            buffers=buffers, dirty=buffers * 3 // 4, mem=max_query_mem,
        )  # fmt: skip
        (location / "virtuoso.ini").write_text(ini)
        self.start()
        try:
            self.isql('grant SPARQL_UPDATE to "SPARQL";')
        except RuntimeError:
            self.stop()
            raise
        self.system_graphs = self._graphs()

    def isql(self, statement: str) -> None:
        """Run one SQL statement as dba through Virtuoso's isql."""
        done = subprocess.run(
            [shutil.which("isql-vt") or "isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba",
             f"exec={statement}"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"isql {statement!r} failed: {done.stdout} {done.stderr}")

    def start(self) -> None:
        """Start (or restart after :meth:`kill`) on the same database; waits until it answers."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "+configfile", str(self.location / "virtuoso.ini"), "+foreground"],
                cwd=self.location, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"virtuoso exited: {self.log.read_text(errors='replace')[-2000:]}"
                )
            try:
                if requests.get(self.url, params={"query": "ASK {}"}, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("virtuoso did not start within 120 s")

    def _graphs(self) -> set[str]:
        resp = requests.post(
            self.url,
            data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        resp.raise_for_status()
        if resp.headers.get("X-SQL-State"):  # an "anytime" answer cut at the time limit
            raise RuntimeError(f"virtuoso gave a partial graph list: {resp.headers['X-SQL-State']}")
        return {b["g"]["value"] for b in resp.json()["results"]["bindings"]}

    def clear(self) -> None:
        """Drop every graph the tests wrote; Virtuoso's own graphs stay. Repeated until none is
        left: with a big graph stored, Virtuoso's capped answer to the graph listing can miss
        the others."""
        for _ in range(20):
            doomed = sorted(self._graphs() - self.system_graphs)
            if not doomed:
                return
            for graph in doomed:
                requests.post(
                    self.url, data={"update": f"DROP SILENT GRAPH <{graph}>"}, timeout=60
                ).raise_for_status()
            # after a big DROP every later query here took ~12 s until a checkpoint (measured)
            self.isql("checkpoint;")
        raise RuntimeError("virtuoso: test graphs are still there after 20 rounds of DROP")

    def kill(self) -> None:
        """SIGKILL: the next :meth:`start` recovers from the transaction log."""
        self.proc.kill()
        self.proc.wait(30)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
