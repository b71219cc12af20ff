"""The campaign: generate inputs per target, run each in a worker subprocess under a time
bound, classify the outcome, save findings and count."""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field

from fuzz import ROOT, Target
from fuzz.mutate import mutate

__all__ = ["FINDINGS", "Counts", "run_target"]

#: where inputs that caused a finding are saved (gitignored)
FINDINGS = ROOT / "fuzz" / "findings"
_KINDS = ("ok", "rejected", "crash", "undeclared", "timeout", "isolation")


@dataclass
class Counts:
    """Per-target counts; ``findings`` maps a short signature to (count, saved file)."""

    target: str
    inputs: int = 0
    ok: int = 0
    rejected: int = 0
    crash: int = 0
    undeclared: int = 0
    timeout: int = 0
    isolation: int = 0
    #: inputs that ran past the bound once under load but answered when re-run alone with 3x
    #: the bound (counted by their answer, not as timeouts)
    slow: int = 0
    seconds: float = 0.0
    findings: dict[str, list[str | int]] = field(default_factory=dict)

    @property
    def bad(self) -> int:
        return self.crash + self.undeclared + self.timeout + self.isolation


class _Worker:
    def __init__(self, target: str, memory_mb: int) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fuzz.worker", target, str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ROOT, env=env,
        )  # fmt: skip
        assert self.proc.stdout
        ready, _, _ = select.select([self.proc.stdout], [], [], 300)
        line = self.proc.stdout.readline() if ready else b""
        if b'"ready"' not in line:
            self.stop()
            raise RuntimeError(f"fuzz worker for {target} did not start (python -m fuzz.worker)")

    def run(self, data: bytes, timeout: float) -> dict[str, str] | None:
        """The worker's answer; None when it died (crash); raises TimeoutError on a hang."""
        assert self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(len(data).to_bytes(4, "big") + data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            return None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.proc.stdout.readline()
        if not line:
            return None
        answer: dict[str, str] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def _save(target: Target, data: bytes, kind: str, detail: str) -> str:
    FINDINGS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]  # noqa: S324 - a file name, not security
    path = FINDINGS / f"{target.name}-{kind}-{digest}{target.suffix}"
    path.write_bytes(data)
    path.with_name(path.name + ".txt").write_text(detail, encoding="utf-8")
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_target(
    target: Target, *, inputs: int, seed: int, timeout: float, memory_mb: int = 2048
) -> Counts:
    """Fuzz one target with ``inputs`` inputs: the seeds first, then mutations of them.

    Each input runs in a worker subprocess limited to ``memory_mb`` of address space; one that
    gives no answer within ``timeout`` seconds is re-run in a fresh worker with three times the
    bound (the machine may be loaded) and counts as a timeout only if it hangs again.
    """
    rng = random.Random(f"{seed}:{target.name}")
    corpus = [s for s in target.seeds() if s] or [b""]
    counts = Counts(target.name)
    worker = _Worker(target.name, memory_mb)
    start = time.monotonic()
    try:
        for n in range(inputs):
            base = corpus[n] if n < len(corpus) else None
            data = (
                base
                if base is not None
                else mutate(rng.choice(corpus), corpus, rng, kind=target.kind)
            )
            counts.inputs += 1
            answer: dict[str, str] | None = None
            for bound in (timeout, 3 * timeout):
                try:
                    answer = worker.run(data, bound)
                    break
                except TimeoutError:
                    answer = {"outcome": "timeout", "error": f"no answer within {bound:g} s"}
                    worker.stop()
                    worker = _Worker(target.name, memory_mb)
            if answer is not None and answer["outcome"] != "timeout" and bound > timeout:
                counts.slow += 1
            if answer is None:
                code = worker.proc.wait()
                worker.stop()
                answer = {"outcome": "crash", "error": f"worker died (exit status {code})"}
                worker = _Worker(target.name, memory_mb)
            outcome = answer["outcome"]
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            if outcome not in ("ok", "rejected"):
                signature = f"{outcome}: {answer.get('error', '')[:160]}"
                trace = answer.get("trace", "")
                key = signature.split(" at ")[0][:120]
                if key not in counts.findings:
                    counts.findings[key] = [
                        0,
                        _save(target, data, outcome, f"{signature}\n\n{trace}"),
                    ]
                counts.findings[key][0] = int(counts.findings[key][0]) + 1
    finally:
        worker.stop()
        counts.seconds = time.monotonic() - start
    return counts
