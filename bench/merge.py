"""``python -m bench.merge OUT A.json B.json ...``: one results table from several harness runs.

On a shared machine a whole ``make bench`` may not fit a time budget; the rows of separate
invocations (each with its own machine info and load averages, kept under ``runs``) are merged
into ``OUT/latest.md`` and ``OUT/latest.json`` so that the published table says exactly which
invocation measured which row.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.__main__ import Row, markdown
from bench.generate import Dataset


def main(argv: list[str]) -> int:
    out, inputs = Path(argv[0]), [Path(a) for a in argv[1:]]
    payloads = [json.loads(p.read_text("utf-8")) for p in inputs]
    rows = [Row(**r) for p in payloads for r in p["results"]]
    datasets: dict[int, Dataset] = {}
    for p in payloads:
        for size, d in p["datasets"].items():
            fields = {k: v for k, v in d.items() if k != "triples_per_entity"}
            datasets[int(size)] = Dataset(directory=Path("."), **fields)
    first = payloads[0]
    info = {
        **first,
        "mode": "merged",
        "runs": "/".join(str(p["runs"]) for p in payloads),
        "load_average": {
            "start": first["load_average"]["start"],
            "end": payloads[-1]["load_average"]["end"],
        },
        "invocations": [
            {k: p[k] for k in ("command", "date", "elapsed_s", "load_average", "runs")}
            for p in payloads
        ],
    }
    info.pop("results", None)
    info.pop("datasets", None)
    text = markdown(rows, info, datasets)
    text += "\nInvocations merged (bench/merge.py):\n\n" + "".join(
        f"- `{i['command']}` at {i['date']}, {i['runs']} run(s) per side, {i['elapsed_s']} s, "
        f"load average {i['load_average']['start']} → {i['load_average']['end']}\n"
        for i in info["invocations"]
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(text, encoding="utf-8")
    payload = {**info, "datasets": {str(k): v.as_json() for k, v in datasets.items()},
               "results": [r.__dict__ for r in rows]}  # fmt: skip
    (out / "latest.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
