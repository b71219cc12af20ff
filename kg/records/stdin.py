"""Records from standard input (``kg ingest -``): JSON Lines (https://jsonlines.org/), or one
JSON object or array, as a file of the same kind would hold them.

The source is named ``stdin`` (or ``--source-name``): feeding the same name again replaces its
triples, and identical input is recognised by its hash and skipped, as for a file.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from kg import ids, limits
from kg.errors import DataError, SourceError, UsageError
from kg.records.files import _json, _jsonl
from kg.records.sources import RDF_SUFFIXES, RECORD_SUFFIXES, RawRecord

__all__ = ["StdinSource", "command_line_sources"]


@dataclass
class StdinSource:
    """A :class:`~kg.records.sources.RecordSource` over bytes read once from ``stream``."""

    name: str = "stdin"
    stream: BinaryIO | None = None
    _data: bytes | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return ids.source_key(self.name)

    @property
    def label(self) -> str:
        return self.name

    def _bytes(self) -> bytes:
        if self._data is None:
            stream = self.stream or sys.stdin.buffer
            cap = limits.current().max_file_bytes
            data = stream.read(cap + 1)
            limits.check_size(len(data), where=self.label, limit="max_file_bytes")
            self._data = data
        return self._data

    def iter_records(self) -> Iterator[RawRecord]:
        data = self._bytes()
        if not data.strip():
            raise DataError(f"{self.label}: no input, expected records (JSON Lines)")
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise DataError(f"{self.label}: not UTF-8 (byte at offset {exc.start})") from None
        where = Path(self.label)
        if text.lstrip().startswith("[") or text.strip().count("\n") == 0:
            yield from _json(where, text)
        else:
            yield from _jsonl(where, text)

    def content_hash(self) -> str:
        """SHA-256 of the input bytes: the same input again is ``unchanged``."""
        return hashlib.sha256(self._bytes()).hexdigest()


def command_line_sources(specs: Sequence[str], source_name: str | None = None) -> list[Any]:
    """The sources of ``kg ingest``: ``-`` is standard input (named ``source_name`` or
    ``stdin``); a directory without any record or RDF file is a :class:`SourceError`."""
    if not specs:
        raise UsageError(
            "give a SOURCE (a file, a directory, - for stdin), or list them in kg.toml "
            "[sources] inputs"
        )
    suffixes = {*RECORD_SUFFIXES, *RDF_SUFFIXES}
    out: list[Any] = []
    for spec in specs:
        if spec == "-":
            out.append(StdinSource(name=source_name or "stdin"))
            continue
        path = Path(spec)
        if path.is_dir() and not any(
            p.is_file() and p.suffix.lower() in suffixes for p in path.rglob("*")
        ):
            raise SourceError(
                f"{spec}: no record or RDF files in this directory "
                f"(expected {', '.join([*RECORD_SUFFIXES, *RDF_SUFFIXES])})"
            )
        out.append(spec)
    return out
