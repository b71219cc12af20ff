"""The worker process: ``python -m fuzz.worker TARGET`` runs inputs of one target, one at a time.

Protocol on stdin/stdout: once set up, the worker writes ``{"outcome": "ready"}``; then the parent writes a 4-byte big-endian length and the input; the
worker answers one JSON line ``{"outcome": ..., "error": ..., "trace": ...}``. Outcomes:
``ok``, ``rejected`` (a KgError, or a report of refused input), ``undeclared`` (any other
exception, or a :class:`fuzz.Broken` invariant), ``isolation`` (kg tried a network or file
request outside the allow-list; the audit hook of tests/_audit.py refused it). A crash or a hang
is seen by the parent: the worker dies or stops answering.
"""

from __future__ import annotations

import json
import sys
import traceback

from fuzz import targets
from kg.errors import KgError


def _answer(**fields: str) -> None:
    out_b = (json.dumps(fields, ensure_ascii=True) + "\n").encode("ascii")
    sys.stdout.buffer.write(out_b)
    sys.stdout.buffer.flush()


def main(name: str, memory_mb: int) -> int:
    import resource

    from tests import _audit

    limit = memory_mb * 1024 * 1024  # a memory blow-up is a MemoryError (undeclared) or a crash
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    target = targets()[name]
    _audit._configure()
    _audit.install()
    stdin = sys.stdin.buffer
    _answer(outcome="ready")  # setup done: the parent's time bound counts from the first input
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            return 0
        data = stdin.read(int.from_bytes(head, "big"))
        before = len(_audit.violations())
        try:
            outcome, error, trace = target.run(data), "", ""
        except KgError:
            outcome, error, trace = "rejected", "", ""
        except Exception as exc:
            outcome = "undeclared"
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            trace = traceback.format_exc(limit=-8)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # pyo3's PanicException: a Rust panic is a crash
            outcome = "crash"
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            trace = traceback.format_exc(limit=-8)
        if len(_audit.violations()) > before:
            v = _audit.violations()[before]
            outcome, error, trace = "isolation", f"{v.event} {v.detail}", ""
        _answer(outcome=outcome, error=error, trace=trace)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2048))
