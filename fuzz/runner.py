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
from pathlib import Path

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
    seconds: float = 0.0
    findings: dict[str, list[str | int]] = field(default_factory=dict)

    @property
    def bad(self) -> int:
        return self.crash + self.undeclared + self.timeout + self.isolation


class _Worker:
    def __init__(self, target: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fuzz.worker", target],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ROOT, env=env,
        )  # fmt: skip

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


def _save(target: Target, data: bytes, kind: str, detail: str) -> str:
    FINDINGS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]  # noqa: S324 - a file name, not security
    path = FINDINGS / f"{target.name}-{kind}-{digest}{target.suffix}"
    path.write_bytes(data)
    path.with_name(path.name + ".txt").write_text(detail, encoding="utf-8")
    return str(path.relative_to(ROOT))


def run_target(target: Target, *, inputs: int, seed: int, timeout: float) -> Counts:
    """Fuzz one target with ``inputs`` inputs: the seeds first, then mutations of them."""
    rng = random.Random(f"{seed}:{target.name}")
    corpus = [s for s in target.seeds() if s] or [b""]
    counts = Counts(target.name)
    worker = _Worker(target.name)
    start = time.monotonic()
    try:
        for n in range(inputs):
            base = corpus[n] if n < len(corpus) else None
            data = base if base is not None else mutate(rng.choice(corpus), corpus, rng, kind=target.kind)
            counts.inputs += 1
            try:
                answer = worker.run(data, timeout)
            except TimeoutError:
                answer = {"outcome": "timeout", "error": f"no answer within {timeout:g} s"}
                worker.stop()
                worker = _Worker(target.name)
            if answer is None:
                code = worker.proc.wait()
                answer = {"outcome": "crash", "error": f"worker died (exit status {code})"}
                worker = _Worker(target.name)
            outcome = answer["outcome"]
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            if outcome not in ("ok", "rejected"):
                signature = f"{outcome}: {answer.get('error', '')[:160]}"
                trace = answer.get("trace", "")
                key = signature.split(" at ")[0][:120]
                if key not in counts.findings:
                    counts.findings[key] = [0, _save(target, data, outcome, f"{signature}\n\n{trace}")]
                counts.findings[key][0] = int(counts.findings[key][0]) + 1
    finally:
        worker.stop()
        counts.seconds = time.monotonic() - start
    return counts
