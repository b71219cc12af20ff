"""``python -m fuzz [--per-target N] [--targets a,b] [--seed S] [--timeout T]``: run the
campaign and print per-target counts; exit 1 on any crash, undeclared exception, timeout or
isolation violation."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

from fuzz import targets
from fuzz.runner import FINDINGS, Counts, run_target


def _table(rows: list[Counts]) -> str:
    head = (
        "target",
        "inputs",
        "ok",
        "rejected",
        "crashes",
        "undeclared",
        "timeouts",
        "isolation",
        "s",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in rows:
        cells = (
            c.target,
            c.inputs,
            c.ok,
            c.rejected,
            c.crash,
            c.undeclared,
            c.timeout,
            c.isolation,
            f"{c.seconds:.0f}",
        )
        lines.append("| " + " | ".join(str(x) for x in cells) + " |")
    total = Counts("total")
    for c in rows:
        for f in (
            "inputs",
            "ok",
            "rejected",
            "crash",
            "undeclared",
            "timeout",
            "isolation",
            "seconds",
        ):
            setattr(total, f, getattr(total, f) + getattr(c, f))
    cells = ("**total**", total.inputs, total.ok, total.rejected, total.crash, total.undeclared,
             total.timeout, total.isolation, f"{total.seconds:.0f}")  # fmt: skip
    lines.append("| " + " | ".join(str(x) for x in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument(
        "--per-target", type=int, default=1000, help="inputs per target (default 1000)"
    )
    parser.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per input (default 10)"
    )
    parser.add_argument(
        "--memory-mb", type=int, default=2048, help="address space per worker (default 2048)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="targets fuzzed in parallel (default 1)"
    )
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    available = targets()
    if args.list:
        for t in available.values():
            print(f"{t.name}\t{t.kind}\t{len(t.seeds())} seeds")
        return 0
    wanted = [n for n in args.targets.split(",") if n] or list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)} (known: {', '.join(available)})")

    def one(name: str) -> Counts:
        counts = run_target(available[name], inputs=args.per_target, seed=args.seed,
                            timeout=args.timeout, memory_mb=args.memory_mb)  # fmt: skip
        print(f"{name}: {counts.inputs} inputs, {counts.ok} ok, {counts.rejected} rejected, "
              f"{counts.crash} crashes, {counts.undeclared} undeclared, {counts.timeout} timeouts, "
              f"{counts.isolation} isolation, {counts.slow} slow-but-answered, "
              f"{counts.seconds:.0f} s", flush=True)  # fmt: skip
        for key, (count, path) in counts.findings.items():
            print(f"    {count} x {key}\n      input: {path}", flush=True)
        return counts

    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        rows = list(pool.map(one, wanted))
    print()
    print(_table(rows))
    bad = sum(c.bad for c in rows)
    if bad:
        print(f"\n{bad} finding(s); inputs saved under {FINDINGS}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
