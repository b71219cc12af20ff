"""What an ingest reports: per source, per rejected record, and for the whole batch; and the
quarantine file the rejected records are appended to (JSON Lines, fsynced before the commit)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kg.errors import DataError, UsageError
from kg.records.protocols import RawRecord, RdfSource, RecordSource
from kg.records.schema import RecordIssue

__all__ = [
    "ExtractReport",
    "IngestReport",
    "Rejection",
    "SourceReport",
    "SourceStatus",
    "check_quarantine",
    "rejection",
    "write_quarantine",
]

#: What happened to a source: ``pending`` while the batch runs, then ``loaded``, ``unchanged``
#: (its content hash matched: not re-loaded), ``failed`` (unreadable), ``rejected`` (a strict
#: batch was not committed) or ``extracted`` (``kg extract``).
SourceStatus = Literal["pending", "loaded", "unchanged", "failed", "rejected", "extracted"]


@dataclass(frozen=True)
class Rejection:
    """A record that was not ingested, with every reason."""

    source: str
    number: int
    record_id: str | None
    reasons: list[str]
    record: Any

    def where(self) -> str:
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"{self.source}: record {self.number}{rid}"

    def __str__(self) -> str:
        return f"{self.where()}: {'; '.join(self.reasons)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record_number": self.number,
            "record_id": self.record_id,
            "reasons": self.reasons,
            "record": self.record,
        }


@dataclass
class SourceReport:
    """What happened to one source."""

    label: str
    key: str
    status: SourceStatus = "pending"
    records_in: int = 0
    records_out: int = 0
    triples: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    error: str | None = None
    stats: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: data problems that are not a failure of the source (a page with no list): exit code 1
    problems: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The outcome of :func:`ingest`: per-source reports and whether the batch was committed."""

    sources: list[SourceReport]
    committed: bool

    @property
    def rejected(self) -> list[Rejection]:
        return [r for s in self.sources for r in s.rejected]

    @property
    def ok(self) -> bool:
        """True when every source loaded and no record was rejected."""
        return (
            self.committed
            and not self.rejected
            and all(s.error is None and not s.problems for s in self.sources)
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


@dataclass
class ExtractReport:
    """Records a source yields, checked but not stored (``kg extract``)."""

    sources: list[SourceReport]
    records: list[dict[str, Any]]

    @property
    def exit_code(self) -> int:
        bad = any(s.error or s.rejected or s.problems for s in self.sources)
        return 1 if bad else 0


def rejection(
    source: RecordSource | RdfSource, raw: RawRecord, issues: Sequence[RecordIssue | str]
) -> Rejection:
    return Rejection(source.label, raw.number, raw.record_id, [str(i) for i in issues], raw.data)


def check_quarantine(path: Path | None) -> None:
    """Refuse a ``--quarantine`` path that cannot be a file before any work is done."""
    if path is not None and (path.is_dir() or not path.parent.is_dir()):
        what = "is a directory" if path.is_dir() else "is in a directory that does not exist"
        raise UsageError(f"--quarantine {path}: {what}; expected a file to append to")


def _quarantine_line(rejection: Rejection) -> str:
    line = json.dumps(rejection.as_json(), ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the record: keep it as a JSON escape
        line = json.dumps(rejection.as_json(), ensure_ascii=True)
    return line + "\n"


def write_quarantine(path: Path | None, reports: Iterable[SourceReport]) -> None:
    """Append the rejected records to ``path`` and fsync it. Called before the commit: when it
    cannot be written, the error stops the ingest and nothing is committed (no record lost)."""
    rejected = [r for s in reports for r in s.rejected]
    if path is None or not rejected:
        return
    text = "".join(_quarantine_line(r) for r in rejected)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise DataError(
            f"cannot write quarantine file {path}: {exc.strerror or exc}; nothing was committed"
        ) from None
