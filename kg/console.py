"""What the ``kg`` command prints on stderr: volume control, progress, and guiding errors.

Quiet by default: one summary line per source and one line per error. ``-v`` adds the details
(per-source counters, warnings, every rejected record), ``-q`` leaves errors only. A progress
display (rich) appears on a terminal only, never in a pipe or a log file. Did-you-mean hints for
mistyped commands, options and names come from :func:`suggest` (difflib's ratio, as git and
cargo do).
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kg.limits import escape_controls

__all__ = [
    "QUIET",
    "VERBOSE",
    "check_environment",
    "detail",
    "error",
    "info",
    "progress",
    "set_verbosity",
    "suggest",
]

QUIET, NORMAL, VERBOSE = -1, 0, 1
_level = NORMAL
#: rejected records listed one per line by default when there are at most this many
SHOW_REJECTED = 3


def set_verbosity(level: int) -> None:
    """``QUIET`` (errors only), ``NORMAL`` (summaries) or ``VERBOSE`` (details)."""
    global _level
    _level = max(QUIET, min(VERBOSE, level))


def verbosity() -> int:
    return _level


def error(message: str) -> None:
    """One line on stderr, always printed, prefixed ``kg:``."""
    print(f"kg: {escape_controls(message)}", file=sys.stderr)


def info(message: str) -> None:
    """A summary line (hidden by ``-q``)."""
    if _level >= NORMAL:
        print(escape_controls(message), file=sys.stderr)


def detail(message: str) -> None:
    """A detail line (shown with ``-v`` only)."""
    if _level >= VERBOSE:
        print(escape_controls(message), file=sys.stderr)


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``choices``, or ``""``.

    >>> suggest("ingset", ["ingest", "extract", "stats"])
    ' (did you mean ingest?)'
    >>> suggest("zzz", ["ingest"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def check_environment() -> None:
    """Read every environment setting kg parses, so a bad value (``KG_MAX_RECORDS=ten``) is a
    usage error (exit 2) before any work starts, not a failure of each source."""
    import os

    from kg import limits, store_lock

    limits.current()
    store_lock.lease_settings()
    if os.environ.get("KG_ENDPOINT_TIMEOUT", "").strip():
        from kg.store.remote import endpoint_timeout

        endpoint_timeout()


@contextmanager
def progress(unit: str = "records") -> Iterator[Callable[[str, int], None] | None]:
    """A ``(label, n)`` callback showing the stage or source at work, its count and the time it
    has taken, on one line of a terminal; ``None`` elsewhere.

    The display is transient (it disappears when done) and absent when stderr is not a TTY or
    with ``-q``, so logs and pipes only ever get the summary lines.
    """
    if _level < NORMAL or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} " + unit),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("starting", total=None)
    current = [""]

    def update(label: str, n: int) -> None:
        if label != current[0]:  # one line: the stage or source now at work, and its count
            current[0] = label
            bar.reset(task, description=label, total=None)
        if n:
            bar.advance(task, n)

    with bar:
        yield update


@contextmanager
def spinner(label: str) -> Iterator[None]:
    """A transient spinner with ``label`` on a terminal while a stage runs (nothing elsewhere)."""
    if _level < NORMAL or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(label):
        yield


def print_source(report: Any, *, details: bool | None = None) -> None:
    """One line for a source (:class:`kg.ingest.SourceReport`); its warnings when ``details``
    (default: when few, or with ``-v``), else their count; its counters with ``-v``; its
    failure and problems always."""
    if details is None:
        details = len(report.warnings) <= SHOW_REJECTED or _level >= VERBOSE
    warned = f", {len(report.warnings)} warnings" if report.warnings and not details else ""
    line = (
        f"{report.label}: {report.status}, {report.records_out}/{report.records_in} records"
        f"{f', {report.triples} triples' if report.triples else ''}"
        f"{f', {len(report.rejected)} rejected' if report.rejected else ''}{warned}"
    )
    if not (report.error and report.records_in == 0):  # a source that failed: its error says it
        info(line)
    if report.stats:
        detail("  " + ", ".join(f"{k} {v}" for k, v in sorted(report.stats.items())))
    for warning in report.warnings if details else ():
        info(f"  warning: {warning}")
    if report.error:
        error(report.error)
    for problem in report.problems:
        error(problem)


def print_ingest(report: Any, *, quarantine: Any = None, show_rejected: bool = True) -> None:
    """The summary of an ingest (:class:`kg.ingest.IngestReport`): a line per source, the
    rejected records and warnings (each when there are few in all, or with ``-v``; else their
    counts), and the outcome."""
    rejected = report.rejected
    n = len(rejected)
    notes = n + sum(len(s.warnings) for s in report.sources)
    details = notes <= SHOW_REJECTED or _level >= VERBOSE
    for source in report.sources:
        print_source(source, details=details)
    if show_rejected and details:
        for rej in rejected:
            error(str(rej))
    if not report.committed:
        error(f"--strict: batch rejected ({n} invalid records); the store is unchanged")
    elif n:
        where = f"; see {quarantine}" if quarantine else " (use --quarantine FILE to keep them)"
        listed = "" if details else "; -v lists them"
        error(f"{n} record{'s' if n != 1 else ''} rejected{where}{listed}")
