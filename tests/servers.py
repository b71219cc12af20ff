"""The real Oxigraph SPARQL server the tests start on 127.0.0.1 (one class for every fixture)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

__all__ = ["OxigraphServer", "free_port", "oxigraph_binary"]


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

    def __init__(self, binary: str, location: Path) -> None:
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
                    "--union-default-graph",
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
