"""``python -m bench --quick|--full``: run every workload at every size, kg against its baseline.

Each run of each side is a fresh subprocess (``python -m bench _child ...``), so imports, caches
and memory of one workload or size never leak into another; the child reports its own peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``, https://docs.python.org/3/library/resource.html) and the
seconds of the timed part only. Rows report the median of ``--runs`` runs (3 by default).

Every run writes ``bench/results/runs/<UTC date and time>.md`` (the table, also printed) and
``.json`` (the same rows with machine info); only ``--record`` also updates the committed
``bench/results/latest.md`` and ``latest.json``, so a run on a busy machine never silently
replaces the recorded figures. Generated data and prepared stores are cached under
``--work`` (default: ``$TMPDIR/kg-bench``), keyed by size, seed and generator version.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.generate import GENERATOR_VERSION, Dataset, generate
from bench.workloads import UNCAPPED_ENV, WORKLOADS, Context, Workload, kg_fingerprint

QUICK_SIZES = (10_000, 100_000)
FULL_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
RESULTS = Path(__file__).resolve().parent / "results"
#: Per-workload targets from issue 3 (ratio = baseline seconds / kg seconds).
TARGETS: dict[str, dict[str, float]] = {
    "ingest": {"ratio": 5.0},
    "ingest-no-gate": {"ratio": 5.0},
    "validate": {"ratio": 10.0},
    "gate": {"max_kg_s": 0.5},
    "queries": {"ratio": 25.0, "max_kg_s": 0.1},
    "export": {"ratio": 20.0, "min_throughput": 500.0},
    "pages-100": {"max_kg_s": 1.0},
}
#: Absolute targets that hold at one size only.
SIZE_TARGETS: dict[tuple[str, int], dict[str, float]] = {
    ("ingest", 1_000_000): {"max_kg_s": 10.0},
    ("ingest-no-gate", 1_000_000): {"max_kg_s": 10.0},
    ("export-incremental", 1_000_000): {"max_kg_s": 0.5},
    ("ingest", 10_000_000): {"max_rss_mb": 2048.0},
}
CHILD_TIMEOUT = 3 * 3600


@dataclass
class Row:
    """One workload at one size: the medians, throughput, memory and the results check."""

    workload: str
    size: int
    unit: str
    #: ok | not built | not run | failed | different results | baseline skipped |
    #: baseline timed out
    status: str = "ok"
    kg_s: float | None = None
    baseline_s: float | None = None
    ratio: float | None = None
    kg_throughput: float | None = None
    baseline_throughput: float | None = None
    peak_rss_mb: float | None = None  #: kg's peak RSS (max over its runs)
    baseline_peak_rss_mb: float | None = None
    same_results: bool | None = None
    runs: int = 0  #: kg runs (the median is over these)
    baseline_runs: int = 0  #: baseline runs (fewer when the workload caps a slow baseline)
    kg_runs_s: list[float] = field(default_factory=list)
    baseline_runs_s: list[float] = field(default_factory=list)
    targets: dict[str, bool] = field(default_factory=dict)
    note: str = ""
    #: wall seconds the row took: every run of both sides, process starts and untimed set-up
    wall_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- child side


def _child(argv: list[str]) -> int:
    name, side, size, records, work, prepared, compare = argv
    workload = WORKLOADS[name]
    ctx = Context(Path(records), Path(work), Path(prepared), int(size), compare == "compare")
    fn = workload.kg if side == "kg" else workload.baseline
    outcome = fn(ctx)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**asdict(outcome), "peak_rss_mb": round(rss, 1)}))
    return 0


def _prepare_child(argv: list[str]) -> int:
    """Ingest the data set into ``prepared/store`` and dump everything as ``prepared/all.nt``."""
    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    records, prepared = Path(argv[0]), Path(argv[1])
    store = EmbeddedStore(prepared / "store")
    ingest([str(records)], store, validate=False)
    with (prepared / "all.nq").open("wb") as fh:
        store.dump(fh, "nq")
    with (prepared / "all.nt").open("wb") as fh:
        store.dump(fh, "nt")
    store.close()
    return 0


def _profile_child(argv: list[str]) -> int:
    """Profile kg's ingest of a data set into a fresh on-disk store with pyinstrument
    (https://pyinstrument.readthedocs.io/): where does the time go?"""
    from pyinstrument import Profiler

    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    records, work, out = Path(argv[0]), Path(argv[1]), Path(argv[2])
    profiler = Profiler(interval=0.005)
    profiler.start()
    store = EmbeddedStore(work / "store")
    ingest([str(records)], store)  # the default path: gate on
    store.close()
    profiler.stop()
    root = str(Path(__file__).resolve().parents[1]) + "/"
    text = profiler.output_text(unicode=False, color=False).replace(root, "")
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _zygote(argv: list[str]) -> int:
    """Run every run of one side in a forked copy of this process, one JSON line per run.

    The first run is forked from a process that has imported nothing but the harness, as a
    fresh interpreter would be; the zygote then imports the modules that run had imported when
    its timing began (:func:`bench.workloads.imported_before_timing`) and forks the others from
    that state, which saves the interpreter start and imports (~1.5 s a run on 2 cores) without
    timing anything a fresh process would not time. ``python -m bench --spawn`` starts a fresh
    interpreter for every run instead.
    """
    global MAX_RSS_MB
    name, side, size, records, scratch, prepared, runs, timeout, max_rss = argv
    MAX_RSS_MB = float(max_rss) if max_rss != "none" else None
    workload = WORKLOADS[name]
    fn = workload.kg if side == "kg" else workload.baseline
    work = Path(scratch)
    for i in range(int(runs)):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        ctx = Context(Path(records), work, Path(prepared), int(size), compare=i == 0)
        try:
            result = _forked(fn, ctx, timeout=float(timeout), report_modules=i == 0)
        except RuntimeError as exc:
            print(json.dumps({"error": str(exc)}), flush=True)
            return 1
        for module in result.pop("modules", []):
            # a module that imports only in the context that first imported it is left out
            with contextlib.suppress(Exception):
                importlib.import_module(module)
        print(json.dumps(result), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _forked(fn: Any, ctx: Context, *, timeout: float, report_modules: bool) -> dict[str, Any]:
    """``fn(ctx)`` in a forked child: its outcome and peak RSS, watched like :func:`_run_child`."""
    import psutil  # type: ignore[import-untyped,unused-ignore]

    from bench.workloads import imported_before_timing

    with tempfile.TemporaryFile("w+b") as out, tempfile.TemporaryFile("w+") as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: run, write the outcome, never return into the zygote
            code = 1
            try:
                os.dup2(err.fileno(), 2)
                outcome = fn(ctx)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                payload = {**asdict(outcome), "peak_rss_mb": round(rss, 1)}
                if report_modules:
                    payload["modules"] = imported_before_timing()
                out.write(json.dumps(payload).encode("utf-8"))
                out.flush()
                code = 0
            except BaseException:  # reported through the exit code and stderr
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        watched = psutil.Process(pid)
        start, peak, status = time.monotonic(), 0.0, None
        while status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
                break
            with contextlib.suppress(psutil.NoSuchProcess):
                peak = max(peak, watched.memory_info().rss / 2**20)
            over = MAX_RSS_MB is not None and peak > MAX_RSS_MB
            if over or time.monotonic() - start > timeout:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                why = f"RSS passed {MAX_RSS_MB:,.0f} MB" if over else f"ran over {timeout:,.0f} s"
                raise RuntimeError(f"killed: {why} (peak seen {peak:,.0f} MB)")
            time.sleep(0.05)
        if status != 0:
            err.seek(0)
            tail = (err.read().strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(tail[:300])
        out.seek(0)
        data: dict[str, Any] = json.loads(out.read().decode("utf-8"))
        return data


# --------------------------------------------------------------------------- parent side


#: Kill a run whose RSS passes this many MB (``--max-rss-mb``; None = no limit), so a workload
#: that does not stream fails with a figure instead of taking a shared machine down.
MAX_RSS_MB: float | None = None
#: Start a fresh interpreter for every run (``--spawn``) instead of forking from a zygote.
SPAWN = False


def _run_child(args: list[str], *, timeout: float = CHILD_TIMEOUT) -> dict[str, Any]:
    """Run ``python -m bench ARGS`` and return the JSON it prints; RuntimeError if it fails,
    runs past ``timeout`` or its RSS passes :data:`MAX_RSS_MB` (polled with psutil)."""
    import psutil  # type: ignore[import-untyped,unused-ignore]

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench", *args],
            stdout=out,
            stderr=err,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        watched = psutil.Process(proc.pid)
        start, peak = time.monotonic(), 0.0
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                break
            over = MAX_RSS_MB is not None and peak > MAX_RSS_MB
            if over or time.monotonic() - start > timeout:
                proc.kill()
                proc.wait()
                why = f"RSS passed {MAX_RSS_MB:,.0f} MB" if over else f"ran over {timeout:,.0f} s"
                raise RuntimeError(f"killed: {why} (peak seen {peak:,.0f} MB)")
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        tail = (stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(tail[:300])
    data: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return data


def dataset(work: Path, size: int, seed: int) -> Dataset:
    """The cached data set of ``size`` triples, generated when missing or stale."""
    directory = work / f"data-{size}-s{seed}-v{GENERATOR_VERSION}"
    try:
        return Dataset.load(directory)
    except (OSError, KeyError, TypeError, ValueError):
        start = time.perf_counter()
        data = generate(size, directory, seed=seed)
        _log(f"  generated {data.records:,} records, ~{data.estimated_triples:,} triples "
             f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        return data


def _prepared(work: Path, data: Dataset) -> Path:
    path = data.directory / f"prepared-{kg_fingerprint()}"
    if not (path / "all.nq").exists():
        path.mkdir(parents=True)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bench", "_prepare", str(data.records_dir), str(path)],
            cwd=Path(__file__).resolve().parents[1],
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError("preparing the store failed")
        _log(f"  prepared store in {time.perf_counter() - start:.1f} s")
    return path


def _same(kg: dict[str, Any], base: dict[str, Any]) -> bool:
    """Whether two results digests agree; per-query timings are not results, and a saved query
    the baseline stopped at its cap (``stopped_after_s``) has no answer to compare."""
    # "order": the row order of the remote rows (bench/remote.py), recorded, not compared
    strip = {"times", "stopped", "median_is_lower_bound", "order"}
    kq, bq = kg.get("per_query"), base.get("per_query")
    if isinstance(kq, dict) and isinstance(bq, dict):
        if set(kq) != set(bq):
            return False
        if any(kq[n] != bq[n] for n in kq if "stopped_after_s" not in bq[n]):
            return False
    return {k: v for k, v in kg.items() if k not in strip | {"per_query"}} == {
        k: v for k, v in base.items() if k not in strip | {"per_query"}
    }


class BaselineTimeout(RuntimeError):
    """A baseline run was stopped at its workload's time cap."""


def _side(workload: Workload, side: str, data: Dataset, prepared: Path, work: Path,
          runs: int, *, timeout: float = CHILD_TIMEOUT) -> list[dict[str, Any]]:  # fmt: skip
    """``runs`` fresh-process runs of one side; the first also computes the results digest."""
    scratch = work / f"scratch-{os.getpid()}"  # per harness process: runs may share --work
    if not SPAWN:
        args = ["_zygote", workload.name, side, str(data.target_triples), str(data.records_dir),
                str(scratch), str(prepared), str(runs), str(timeout),
                "none" if MAX_RSS_MB is None else str(MAX_RSS_MB)]  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                              text=True, check=False, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
        results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        out = []
        for i, result in enumerate(results):
            if "error" in result:
                error = str(result["error"])
                if side == "baseline" and timeout < CHILD_TIMEOUT and "ran over" in error:
                    raise BaselineTimeout(error)
                raise RuntimeError(error)
            _log(f"    {workload.name} {side} run {i + 1}: {result['seconds']:.3f} s, "
                 f"{result['peak_rss_mb']:.0f} MB")  # fmt: skip
            out.append(result)
        if proc.returncode != 0 or len(out) != runs:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"zygote failed: {tail[:300]}")
        return out
    out = []
    for i in range(runs):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        args = ["_child", workload.name, side, str(data.target_triples), str(data.records_dir),
                str(scratch), str(prepared), "compare" if i == 0 else "time-only"]  # fmt: skip
        try:
            result = _run_child(args, timeout=timeout)
        except RuntimeError as exc:
            if side == "baseline" and timeout < CHILD_TIMEOUT and "ran over" in str(exc):
                raise BaselineTimeout(str(exc)) from None
            raise
        _log(f"    {workload.name} {side} run {i + 1}: {result['seconds']:.3f} s, "
             f"{result['peak_rss_mb']:.0f} MB")  # fmt: skip
        out.append(result)
    shutil.rmtree(scratch, ignore_errors=True)
    return out


def _baseline_plan(workload: Workload, size: int, *, runs: int, baseline_max: int | None,
                   uncapped: bool, done: dict[tuple[str, int], Row]) -> tuple[int, str]:  # fmt: skip
    """How many baseline runs to make at ``size`` (0: none) and the note that says why."""
    if baseline_max is not None and size > baseline_max:
        return 0, f"baseline not run above {_size(baseline_max)} triples (--baseline-max)"
    cap = workload.cap
    if uncapped or cap.max_size is None or size <= cap.max_size:
        n = runs if uncapped or cap.runs is None else min(runs, cap.runs)
        note = f"baseline: {n} of {runs} runs (capped for time: {cap.why})" if n < runs else ""
        return n, note
    below = [r for (w, s), r in done.items() if w == workload.name and s <= cap.max_size]
    measured = max(below, key=lambda r: r.size) if below else None
    if measured is not None and measured.baseline_s is not None:
        took = f"{cap.why} took {measured.baseline_s:.0f} s at {_size(measured.size)} in this run"
    elif measured is not None and measured.status == "baseline timed out":
        took = f"{cap.why} did not finish in {cap.timeout:.0f} s at {_size(measured.size)}"
    else:
        took = f"{cap.why}; not measured at a smaller size in this run"
    return 0, f"baseline not run above {_size(cap.max_size)} ({took}; --uncapped runs it)"


def measure(workload: Workload, data: Dataset, work: Path, *, runs: int,
            baseline_max: int | None, uncapped: bool = False,
            done: dict[tuple[str, int], Row] | None = None) -> Row:  # fmt: skip
    """Run one workload at one size, kg and baseline, and build its row.

    ``done`` holds the rows measured so far in this run: a capped baseline's note cites what it
    took at a smaller size.
    """
    row = Row(workload.name, data.target_triples, workload.unit)
    missing = workload.missing()
    if missing:
        row.status, row.note = "not built", missing
        return row
    if workload.sizes is not None and data.target_triples not in workload.sizes:
        row.status = "not run"
        row.note = f"measured at {', '.join(_size(s) for s in workload.sizes)} only"
        return row
    base_n, base_note = _baseline_plan(workload, data.target_triples, runs=runs,
                                       baseline_max=baseline_max, uncapped=uncapped,
                                       done=done or {})  # fmt: skip
    timeout = CHILD_TIMEOUT if uncapped or workload.cap.timeout is None else workload.cap.timeout
    timed_out: str | None = None
    try:
        needs_store = not workload.name.startswith("ingest")
        prepared = _prepared(work, data) if needs_store else work
        kg_runs = _side(workload, "kg", data, prepared, work, runs)
        base_runs: list[dict[str, Any]] = []
        if base_n:
            try:
                base_runs = _side(workload, "baseline", data, prepared, work, base_n,
                                  timeout=timeout)  # fmt: skip
            except BaselineTimeout:
                timed_out = f"baseline stopped after {timeout:.0f} s ({workload.cap.why})"
    except RuntimeError as exc:
        row.status, row.note = "failed", str(exc)
        return row
    row.runs = runs
    row.kg_runs_s = [round(r["seconds"], 4) for r in kg_runs]
    row.kg_s = statistics.median(row.kg_runs_s)
    items = kg_runs[0]["items"]
    row.kg_throughput = items / row.kg_s if row.kg_s else None
    row.peak_rss_mb = max(r["peak_rss_mb"] for r in kg_runs)
    row.detail["kg_digest"] = kg_runs[0]["digest"]
    row.detail["kg_stages_s"] = _median_stages(kg_runs)
    if timed_out:
        row.status = "baseline timed out"
        row.note = f"{timed_out}: kg is more than {timeout / row.kg_s:.0f}× faster" if row.kg_s \
            else timed_out  # fmt: skip
    elif not base_runs:
        row.status, row.note = "baseline skipped", base_note
    else:
        row.baseline_runs = base_n
        row.baseline_runs_s = [round(r["seconds"], 4) for r in base_runs]
        row.baseline_s = statistics.median(row.baseline_runs_s)
        row.baseline_throughput = base_runs[0]["items"] / row.baseline_s if row.baseline_s else None
        row.baseline_peak_rss_mb = max(r["peak_rss_mb"] for r in base_runs)
        row.ratio = row.baseline_s / row.kg_s if row.kg_s else None
        row.same_results = _same(kg_runs[0]["digest"], base_runs[0]["digest"])
        row.detail["baseline_digest"] = base_runs[0]["digest"]
        row.detail["baseline_stages_s"] = _median_stages(base_runs)
        row.note = base_note
        stopped = base_runs[0]["digest"].get("stopped") or []
        if stopped:
            bound = " (a lower bound: half or more were stopped)" if base_runs[0]["digest"].get(
                "median_is_lower_bound") else ""  # fmt: skip
            row.note = "; ".join(filter(None, [row.note, (
                f"{len(stopped)} of {items} queries stopped at the baseline's "
                f"{_query_cap():g} s cap and not compared ({', '.join(stopped)}); the median "
                f"counts them as slower than every finished query{bound}")]))  # fmt: skip
            if bound and row.ratio is not None:
                row.note += f"; kg is more than {row.ratio:.0f}× faster"
                row.ratio = None
        if not row.same_results:
            row.status = "different results"
            row.note = "kg and the baseline produced different results: not a valid number"
            kd, bd = kg_runs[0]["digest"], base_runs[0]["digest"]
            kq, bq = kd.get("per_query"), bd.get("per_query")
            if kq and bq:
                differ = sorted(n for n in kq if kq[n] != bq.get(n))
                row.note += f" ({len(differ)} of {len(kq)} queries differ: {', '.join(differ)})"
            else:
                differ = sorted(k for k in kd if kd.get(k) != bd.get(k))
                row.note += f" (differ: {', '.join(differ)})"
    if workload.note:
        row.note = "; ".join(filter(None, [workload.note, row.note]))
    row.targets = _targets(row)
    return row


def _query_cap() -> float:
    from bench.workloads import QUERY_CAP_S

    return QUERY_CAP_S


def _median_stages(runs: list[dict[str, Any]]) -> dict[str, float]:
    names = [k for r in runs for k in r.get("stages", {})]
    return {
        n: round(statistics.median(r["stages"].get(n, 0.0) for r in runs), 3)
        for n in dict.fromkeys(names)
    }


def _targets(row: Row) -> dict[str, bool]:
    wanted = {**TARGETS.get(row.workload, {}), **SIZE_TARGETS.get((row.workload, row.size), {})}
    met: dict[str, bool] = {}
    for key, value in wanted.items():
        if key == "ratio" and row.ratio is not None:
            met[f"ratio >= {value:g}"] = row.ratio >= value
        elif key == "max_kg_s" and row.kg_s is not None:
            met[f"kg <= {value:g} s"] = row.kg_s <= value
        elif key == "min_throughput" and row.kg_throughput is not None:
            met[f">= {value:g} {row.unit}/s"] = row.kg_throughput >= value
        elif key == "max_rss_mb" and row.peak_rss_mb is not None:
            met[f"RSS < {value:g} MB"] = row.peak_rss_mb < value
    return met


# --------------------------------------------------------------------------- output


def machine() -> dict[str, Any]:
    """CPU count, platform, Python and library versions: what the figures depend on."""
    versions: dict[str, str | None] = {}
    for dist in ("kg", "pyoxigraph", "rdflib", "pyshacl", "jsonschema", "jsonschema-rs",
                 "PyYAML"):  # fmt: skip
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "memory_gb": _memory_gb(),
        "versions": versions,
    }


def _memory_gb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages / 2**30, 1)


def _num(value: float | None, fmt: str = "{:.3f}") -> str:
    return "—" if value is None else fmt.format(value)


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def markdown(rows: list[Row], info: dict[str, Any], datasets: dict[int, Dataset]) -> str:
    """The results table (and the data sets it ran on) as Markdown."""
    lines = [
        f"# kg benchmark — {info['mode']} ({info['date']})",
        "",
        f"Machine: {info['machine']['cpu_count']} CPUs, {info['machine']['memory_gb']} GB, "
        f"Python {info['machine']['python']}; "
        + ", ".join(f"{k} {v}" for k, v in info["machine"]["versions"].items() if v),
        "",
        f"Load average (1/5/15 min) at start {info['load_average']['start']}, "
        f"at end {info['load_average']['end']}.",
        "",
        f"Median of {info['runs']} runs per side, each in a fresh process (runs = kg/baseline "
        "runs: a baseline that takes minutes is capped, see the status). ratio = baseline s / "
        "kg s. Throughput is kg's. same = kg and the baseline produced the same results "
        "(docs/performance.md says what each workload compares).",
        "",
        f"Total elapsed: {info['elapsed_s']:.0f} s (wall s: what each row took, both sides' "
        "runs with process starts and untimed set-up).",
        "",
        "| workload | size | runs | kg s | baseline s | ratio | kg throughput "
        "| baseline throughput | kg peak RSS MB | same | targets | wall s | status |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for r in rows:
        targets = ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in r.targets.items()) or "—"
        same = "—" if r.same_results is None else ("yes" if r.same_results else "**NO**")
        status = r.status + (f": {r.note}" if r.note else "")
        lines.append(
            f"| {r.workload} | {_size(r.size)} | {r.runs}/{r.baseline_runs} "
            f"| {_num(r.kg_s)} | {_num(r.baseline_s)} "
            f"| {_num(r.ratio, '{:.1f}×')} | {_num(r.kg_throughput, '{:,.0f}')} {r.unit}/s "
            f"| {_num(r.baseline_throughput, '{:,.0f}')} {r.unit}/s "
            f"| {_num(r.peak_rss_mb, '{:.0f}')} | {same} | {targets} "
            f"| {_num(r.wall_s, '{:.0f}')} | {status} |"
        )
    split = [r for r in rows if r.detail.get("kg_stages_s")]
    if split:
        lines += ["", "Where the time goes (median seconds per stage):", ""]
        for r in split:
            for side in ("kg", "baseline"):
                stages = r.detail.get(f"{side}_stages_s") or {}
                if stages:
                    parts = ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
                    lines.append(f"- {r.workload} {_size(r.size)}, {side}: {parts}")
    lines += ["", "Data sets (bench/generate.py, seed " + str(info["seed"]) + "):", ""]
    lines.append("| size | records | people | publications | damaged | duplicated "
                 "| shape violations | est. triples | triples/entity | most papers/person |")  # fmt: skip
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, d in sorted(datasets.items()):
        lines.append(
            f"| {_size(size)} | {d.records:,} | {d.by_type.get('Person', 0):,} "
            f"| {d.by_type.get('Publication', 0):,} | {d.damaged:,} | {d.duplicated:,} "
            f"| {sum(d.shape_violations.values()):,} | {d.estimated_triples:,} "
            f"| {d.triples_per_entity:.1f} | {d.max_publications:,} |"
        )
    return "\n".join(lines) + "\n"


def _profile(size: int, args: argparse.Namespace) -> int:
    data = dataset(args.work, size, args.seed)
    scratch = args.work / f"scratch-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"profile-ingest-{_size(size)}.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "_profile", str(data.records_dir), str(scratch), str(out)],
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    shutil.rmtree(scratch, ignore_errors=True)
    return proc.returncode


def write_results(
    out: Path, text: str, payload: dict[str, Any], *, record: bool = False,
    now: datetime | None = None,
) -> list[Path]:  # fmt: skip
    """Write one run's table and rows to ``out/runs/<UTC date-time>.md`` and ``.json``; with
    ``record``, also to the committed ``out/latest.md`` and ``latest.json``. The files written."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H%M%SZ")
    body = json.dumps(payload, indent=2) + "\n"
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    targets = [(runs / f"{stamp}.md", runs / f"{stamp}.json")]
    if record:
        targets.append((out / "latest.md", out / "latest.json"))
    written: list[Path] = []
    for md, js in targets:
        md.write_text(text, encoding="utf-8")
        js.write_text(body, encoding="utf-8")
        written += [md, js]
    return written


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return _child(argv[1:])
    if argv[:1] == ["_zygote"]:
        return _zygote(argv[1:])
    if argv[:1] == ["_prepare"]:
        return _prepare_child(argv[1:])
    if argv[:1] == ["_profile"]:
        return _profile_child(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10k and 100k triples (default)")
    mode.add_argument("--full", action="store_true", help="adds 1M and 10M triples")
    parser.add_argument("--sizes", help="comma-separated triple counts, e.g. 10000,1000000")
    parser.add_argument("--workloads", help=f"comma-separated subset of {', '.join(WORKLOADS)}")
    parser.add_argument("--runs", type=int, default=3, help="runs per side (median; default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-max", type=int, default=None,
                        help="skip baselines above this many triples (default: none for --quick, "
                             "1,000,000 for --full: rdflib would need ~12 GB for 10M)")  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="results folder: runs/<date>.md/json, and latest.md/json with --record",
    )
    parser.add_argument("--record", action="store_true",
                        help="also update the committed latest.md and latest.json")  # fmt: skip
    parser.add_argument("--max-rss-mb", type=float, default=None,
                        help="kill a run whose RSS passes this (default: 75%% of the machine's "
                             "memory with --full, no limit otherwise)")  # fmt: skip
    parser.add_argument("--spawn", action="store_true",
                        help="a fresh interpreter for every run (default: runs after the first "
                             "fork from a process that has done the same imports)")  # fmt: skip
    parser.add_argument("--uncapped", action="store_true",
                        help="ignore the per-workload baseline caps (sizes, runs, time): run "
                             "plain pyshacl everywhere (hours at 100k)")  # fmt: skip
    parser.add_argument("--profile-ingest", type=int, metavar="SIZE",
                        help="only profile kg's ingest at SIZE triples with pyinstrument, writing "
                             "OUT/profile-ingest-SIZE.txt")  # fmt: skip
    args = parser.parse_args(argv)
    if args.profile_ingest:
        return _profile(args.profile_ingest, args)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(
        FULL_SIZES if args.full else QUICK_SIZES)  # fmt: skip
    names = args.workloads.split(",") if args.workloads else [
        n for n, w in WORKLOADS.items() if w.quick or args.full]  # fmt: skip
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown or args.runs < 1:
        parser.error(f"unknown workload(s): {', '.join(unknown)}" if unknown else "--runs >= 1")
    baseline_max = args.baseline_max if args.baseline_max is not None else (
        1_000_000 if args.full else None)  # fmt: skip
    global MAX_RSS_MB, SPAWN
    SPAWN = args.spawn
    if args.uncapped:  # inherited by every run's process
        os.environ[UNCAPPED_ENV] = "1"
    total_mb = (_memory_gb() or 0) * 1024
    MAX_RSS_MB = args.max_rss_mb or (0.75 * total_mb if args.full and total_mb else None)
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    rows: list[Row] = []
    done: dict[tuple[str, int], Row] = {}
    datasets: dict[int, Dataset] = {}
    for size in sorted(sizes):
        _log(f"size {_size(size)} (elapsed {time.perf_counter() - started:.0f} s):")
        data = datasets[size] = dataset(args.work, size, args.seed)
        for name in names:
            begun = time.perf_counter()
            row = measure(WORKLOADS[name], data, args.work, runs=args.runs,
                          baseline_max=baseline_max, uncapped=args.uncapped, done=done)  # fmt: skip
            row.wall_s = round(time.perf_counter() - begun, 1)
            rows.append(row)
            done[name, size] = row
    info = {
        "mode": "full" if args.full else ("quick" if not args.sizes else "custom"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs,
        "seed": args.seed,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "machine": machine(),
        # The machine may be shared: 1/5/15-minute load averages before and after the run.
        "load_average": {"start": load_before, "end": [round(x, 2) for x in os.getloadavg()]},
        "command": "python -m bench " + " ".join(argv),
        "kg_fingerprint": kg_fingerprint(),
    }
    text = markdown(rows, info, datasets)
    print(text)
    payload = {
        **info,
        "datasets": {str(k): v.as_json() for k, v in datasets.items()},
        "results": [asdict(r) for r in rows],
    }
    for written in write_results(args.out, text, payload, record=args.record):
        _log(f"wrote {written}")
    _log(f"total elapsed: {info['elapsed_s']:.1f} s (load average at the end "
         f"{info['load_average']['end']})")  # fmt: skip
    failed = [r for r in rows if r.status in {"failed", "different results"}]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
