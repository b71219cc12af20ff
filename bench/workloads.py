"""One function per workload and side: each takes a :class:`Context`, does its untimed set-up,
times only the work itself, and returns a :class:`Outcome` with a ``digest`` of what it produced.

The harness compares the kg digest with the baseline digest of the same workload and size
(``same_results``): a benchmark whose outputs differ is a failure, not a number.

A workload whose module does not import (a checkout without that stage) is reported as
"not built" rather than failing the run.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.vocab import BIBO, ID_BASE, KG

__all__ = [
    "WORKLOADS",
    "BaselineCap",
    "Context",
    "Outcome",
    "Workload",
    "cross_file_repeats",
    "exact_repeats",
    "ingest_digest",
    "kg_select",
    "rdflib_select",
]

_PROV_QUERY = f"""
SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} ?g a <{KG}SourceGraph> .
  FILTER(?s = ?g || STRSTARTS(STR(?s), CONCAT(STR(?g), "#")) ||
         STRSTARTS(STR(?s), "{ID_BASE}agent/"))
}} }}"""


@dataclass
class Context:
    """What a workload run gets: the data set, a scratch directory, and prepared artifacts."""

    records_dir: Path  #: the generated record files
    work: Path  #: scratch space for this run (emptied by the harness)
    prepared: Path  #: per size: a kg store of the data set and its N-Triples dump
    size: int
    compare: bool = True  #: compute the results digest (the harness asks on each side's 1st run)


@dataclass
class Outcome:
    """A timed run: seconds, items processed (for throughput) and a digest of the results."""

    seconds: float
    items: int
    digest: dict[str, Any] = field(default_factory=dict)
    #: seconds per stage, where the workload can tell (not compared between kg and baseline)
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BaselineCap:
    """How far a slow baseline is run, so that ``make bench`` completes in one run.

    A capped baseline is never estimated: above ``max_size`` the row says the baseline was not
    run (citing what it took at the largest size it ran at in the same run) and leaves the
    ratio empty; a baseline stopped by ``timeout`` says it did not finish in that many seconds.
    ``python -m bench --uncapped`` runs every baseline at every size.
    """

    max_size: int | None = None  #: not run above this many triples (None: every size)
    runs: int | None = None  #: runs of the baseline (None: ``--runs``); 1 when one takes minutes
    timeout: float | None = None  #: stop a baseline run after this many seconds
    why: str = ""  #: what makes it slow, for the row's note (e.g. "plain pyshacl")


@dataclass(frozen=True)
class Workload:
    """A workload: its kg and baseline functions, the unit of throughput, and what it needs."""

    name: str
    unit: str
    kg: Callable[[Context], Outcome]
    baseline: Callable[[Context], Outcome]
    needs: tuple[str, ...] = ()  #: modules/attributes that must import (else "not built")
    sizes: tuple[int, ...] | None = None  #: only these sizes (None = every size)
    cap: BaselineCap = field(default_factory=BaselineCap)  #: limits on a slow baseline
    #: part of ``--quick`` (``make bench``); the others run with ``--full`` or when named
    quick: bool = True
    #: what the row's baseline is, when its name does not say (shown in the row's note)
    note: str = ""

    def missing(self) -> str | None:
        """Why the workload cannot run yet, or None when everything it needs imports."""
        for need in self.needs:
            module, _, attr = need.partition(":")
            try:
                mod = importlib.import_module(module)
            except ImportError:
                return f"{module} does not import yet"
            if attr and not _has(mod, attr):
                return f"{module}.{attr} does not exist yet"
        return None


def _has(obj: Any, attr: str) -> bool:
    if attr.startswith("param="):
        return attr.removeprefix("param=") in inspect.signature(obj.ingest).parameters
    return hasattr(obj, attr)


#: The modules imported when the first timed section of this process began (see
#: :func:`imported_before_timing`).
_BEFORE_TIMING: list[str] | None = None


def imported_before_timing() -> list[str]:
    """The modules this process had imported when its first timed section began.

    The harness's zygote (``bench/__main__.py``) imports exactly these before forking the later
    runs of a side, so every run starts as a fresh process would at that point: imports done
    during set-up are untimed in both cases, and a module first imported inside the timed part
    is imported (and timed) again in every run.
    """
    return list(_BEFORE_TIMING or ())


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    global _BEFORE_TIMING
    if _BEFORE_TIMING is None:
        _BEFORE_TIMING = [m for m in sys.modules if not m.startswith("__main__")]
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _digest_lines(lines: Iterable[str]) -> dict[str, Any]:
    ordered = sorted(set(lines))
    h = hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest()
    return {"triples": len(ordered), "sha256": h}


def kg_fingerprint() -> str:
    """A short hash of kg's code, shapes and saved queries: what a prepared store and the gate's
    held-back list depend on. Cached artifacts are keyed by it, so a run never measures against
    a store that an older kg wrote."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for folder, pattern in (("kg", "**/*.py"), ("shapes", "*.ttl"), ("queries", "*.rq")):
        for path in sorted((root / folder).glob(pattern)):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


# --------------------------------------------------------------------------- ingest


class _StageClock:
    """Times kg's ingest stages by wrapping the functions ``kg.ingest`` calls (a wrapper costs
    ~1 µs a call) and the store's ``_load`` (pyoxigraph ``bulk_load`` into the new per-load
    graph) and ``update`` (the commit marker, recovery and dropping superseded loads)."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start

        return timed


#: ``(module of kg.ingest, attribute)`` timed as stages, in pipeline order: the functions the
#: ingest's stage modules call.
_INGEST_STAGES = {
    ("kg.ingest.read", "check_record"): "schema check",
    ("kg.ingest", "load_index"): "resolution index (store query)",
    ("kg.ingest.link", "resolve"): "entity resolution",
    ("kg.ingest.stages", "map_record"): "build triples",
    ("kg.ingest.stages", "gate"): "SHACL gate",
}


def gate_held(records_dir: Path) -> list[tuple[str, int]]:
    """``(file label, record number)`` of every schema-valid record kg's SHACL gate holds back
    from the data set (untimed set-up: one in-memory ingest, cached next to the data set).

    The generator makes ~10% of records violate a shape; the gate also holds back records that
    depend on them (a publication whose ORCID-linked author has no name because that person's
    record was damaged or held). The rdflib baseline skips exactly these records, so both sides
    commit the same records and ``same_results`` compares the same triples.
    """
    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    cache = records_dir.parent / f"gate-held-{kg_fingerprint()}.json"
    if cache.exists():
        return [(label, number) for label, number in json.loads(cache.read_text("utf-8"))]
    report = ingest([str(records_dir)], EmbeddedStore(None))
    first = {
        (r.source, r.number)
        for r in report.rejected
        if any(why.startswith("validation:") for why in r.reasons)
    }
    # kg gates a record repeated exactly within its file once (resolution kept it once): the
    # baseline, which keeps every repeat, must leave the repeats out too.
    from kg.records.files import source_name

    label = {source_name(p): str(p) for p in records_dir.iterdir()}  # name -> label as read
    repeats = {
        (label[rec[0]], rec[1])
        for rec, of in exact_repeats(records_dir).items()
        if (label[of[0]], of[1]) in first
    }
    held = sorted(first | repeats)
    cache.write_text(json.dumps(held), encoding="utf-8")
    return held


#: The accepted records: every record's focus node carries ``kg:recordNumber`` inside the named
#: graph of its source, and the graph names its source with ``kg:sourceLabel`` (docs/mapping.md).
INGEST_RECORDS_QUERY = f"""SELECT DISTINCT ?label ?number WHERE {{
  GRAPH ?g {{ ?g <{KG}sourceLabel> ?label . ?focus <{KG}recordNumber> ?number }}
}}"""
#: Every publication's titles, dates and DOIs (one row per combination; grouped in Python).
INGEST_WORKS_QUERY = f"""SELECT DISTINCT ?work ?title ?date ?doi WHERE {{
  ?work a <https://schema.org/ScholarlyArticle> .
  OPTIONAL {{ ?work <https://schema.org/name> ?title }}
  OPTIONAL {{ ?work <https://schema.org/datePublished> ?date }}
  OPTIONAL {{ ?work <{BIBO}doi> ?doi }}
}}"""
#: Every authorship: its work, position (absent when the source gave none) and printed name.
INGEST_AUTHORS_QUERY = f"""SELECT DISTINCT ?work ?authorship ?position ?name WHERE {{
  ?work <{KG}authorship> ?authorship .
  ?authorship <{KG}printedName> ?name .
  OPTIONAL {{ ?authorship <{KG}position> ?position }}
}}"""

Select = Callable[[str], list[tuple[str | None, ...]]]


def exact_repeats(records_dir: Path) -> dict[tuple[str, int], tuple[str, int]]:
    """``(source name, record number)`` of every record that repeats an earlier record exactly,
    in its own file or in an earlier file (files in name order), mapped to the first occurrence.
    kg keeps a repeat within a file once (a ``duplicate-in-batch`` merge, kg/resolve/match.py;
    same fingerprint as there) and writes what a repeat in another file says once (resolution
    gives both copies the same nodes); the comparison counts every repeat as its first."""
    from kg.records.files import RecordFile
    from kg.records.sources import RECORD_SUFFIXES

    out: dict[tuple[str, int], tuple[str, int]] = {}
    first: dict[str, tuple[str, int]] = {}
    for path in sorted(p for p in records_dir.iterdir() if p.suffix in RECORD_SUFFIXES):
        source = RecordFile(path)
        for raw in source.iter_records():
            fingerprint = json.dumps(raw.data, sort_keys=True, ensure_ascii=False)
            if fingerprint in first:  # named as kg:sourceLabel names the file
                out[source.source_name, raw.number] = first[fingerprint]
            else:
                first[fingerprint] = (source.source_name, raw.number)
    return out


def cross_file_repeats(records_dir: Path) -> set[tuple[str, int]]:
    """``(file label as read, record number)`` of the records that repeat a record of an
    earlier file exactly: what the baseline folds (:func:`bench.baseline.build_graph`)."""
    from kg.records.files import source_name

    label = {source_name(p): str(p) for p in records_dir.iterdir()}  # name -> label as read
    return {
        (label[rec[0]], rec[1]) for rec, of in exact_repeats(records_dir).items() if rec[0] != of[0]
    }


def ingest_digest(
    select: Select,
    rejected: Iterable[tuple[str, int]],
    repeats: dict[tuple[str, int], tuple[str, int]],
) -> dict[str, Any]:
    """What kg's ingest and the rdflib baseline must agree on, whatever entity resolution did.

    kg resolves entities (one name per person, name-only co-authors folded into identified
    people, work IRIs shared by duplicates); the baseline does not. Resolution changes *which
    node* a name or a work hangs on, never what a record said, so the comparison is on:

    - ``records``: the accepted records, ``(source label, record number)``, read from the graph
      with :data:`INGEST_RECORDS_QUERY`;
    - ``rejected``: the records left out (schema-invalid, or held back by the gate), from the
      ingest report on kg's side and from the baseline's own jsonschema check;
    - in both sets a record that repeats an earlier record exactly (of its file or of an
      earlier file) counts as that record (``repeats``, :func:`exact_repeats`): kg writes what
      such a repeat says once;
    - ``works``: the set of publications as ``(titles, dates, DOIs, ordered printed author
      names)`` -- IRIs left out -- from :data:`INGEST_WORKS_QUERY` and
      :data:`INGEST_AUTHORS_QUERY`; authors are ordered by ``kg:position``, those without a
      position after them by name.

    ``select`` runs a SELECT over the union of the graphs and returns rows of lexical values;
    both sides run the same three query texts.
    """

    def ids(pairs: Iterable[tuple[Any, Any]]) -> list[str]:
        firsts = {repeats.get((str(label), int(n)), (str(label), int(n))) for label, n in pairs}
        return [f"{label}\t{n}" for label, n in firsts]

    accepted = ids((label, n) for label, n in select(INGEST_RECORDS_QUERY))
    refused = ids(rejected)
    facets: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for work, title, date, doi in select(INGEST_WORKS_QUERY):
        titles, dates, dois = facets.setdefault(str(work), (set(), set(), set()))
        for value, bucket in ((title, titles), (date, dates), (doi, dois)):
            if value is not None:
                bucket.add(value)
    authors: dict[str, dict[str, tuple[int, str]]] = {}
    for work, authorship, position, name in select(INGEST_AUTHORS_QUERY):
        rank = int(position) if position is not None else 1 << 30
        authors.setdefault(str(work), {})[str(authorship)] = (rank, str(name))
    works = []
    for work, (titles, dates, dois) in facets.items():
        names = [name for _, name in sorted(authors.get(work, {}).values())]
        works.append(json.dumps([sorted(titles), sorted(dates), sorted(dois), names],
                                ensure_ascii=False))  # fmt: skip
    return {
        "records": _digest_lines(accepted),
        "rejected": _digest_lines(refused),
        "works": _digest_lines(works),
    }


def kg_select(store: Any) -> Select:
    """:data:`Select` on a kg store (``Store.query``: the union of its graphs)."""
    from kg.store import SelectResult

    def select(text: str) -> list[tuple[str | None, ...]]:
        result = store.query(text)
        assert isinstance(result, SelectResult)
        return [tuple(None if t is None else t.value for t in row) for row in result.rows]

    return select


def rdflib_select(graph: Any) -> Select:
    """:data:`Select` on an rdflib ``Dataset(default_union=True)`` (rdflib's SPARQL engine)."""

    def select(text: str) -> list[tuple[str | None, ...]]:
        return [tuple(None if t is None else str(t) for t in row)
                for row in _rdflib_query(graph, text)]  # fmt: skip

    return select


def _ingest_kg(
    ctx: Context, records: Path, *, validate: bool, quads_digest: bool = False
) -> Outcome:
    """``ingest()`` every record file of ``records`` into a fresh on-disk EmbeddedStore. With
    ``quads_digest`` the results digest is the count of quads stored (what the physical floor,
    :func:`ingest_floor_baseline`, loads again)."""
    from kg.ingest import ingest
    from kg.store import EmbeddedStore, SelectResult, stats

    path = ctx.work / "store"
    clock = _StageClock()
    for (name, attr), stage in _INGEST_STAGES.items():
        module = importlib.import_module(name)  # ``kg.ingest`` the attribute is the function
        setattr(module, attr, clock.wrap(stage, getattr(module, attr)))

    def run() -> Any:
        store = EmbeddedStore(path)
        store._load = clock.wrap("store bulk_load", store._load)  # type: ignore[method-assign]
        store.update = clock.wrap("store commit (update)", store.update)  # type: ignore[method-assign]
        report = ingest([str(records)], store, validate=validate)
        return store, report

    seconds, (store, report) = _timed(run)
    stages = dict(clock.stages)
    stages["other (read, batch assembly)"] = seconds - sum(stages.values())
    total = stats(store).triples
    prov = store.query(_PROV_QUERY)
    assert isinstance(prov, SelectResult)
    data = total - int(prov.dicts()[0]["n"] or 0)
    digest: dict[str, Any] = {}
    if ctx.compare and quads_digest:
        digest = {"quads": stats(store).quads}
    elif ctx.compare:
        rejected = ((r.source, r.number) for r in report.rejected)
        digest = ingest_digest(kg_select(store), rejected, exact_repeats(records))
    store.close()
    return Outcome(seconds, data, digest, stages)


def ingest_floor_kg(ctx: Context) -> Outcome:
    """kg's default ingest (as :func:`ingest_kg`), its digest the number of quads it stored."""
    return _ingest_kg(ctx, ctx.records_dir, validate=True, quads_digest=True)


def ingest_floor_baseline(ctx: Context) -> Outcome:
    """The physical floor: pyoxigraph ``bulk_load`` of the very quads kg's ingest stores, into a
    fresh on-disk store. Untimed set-up: kg ingests the data set (as :func:`ingest_kg`) in this
    run and dumps every quad as N-Quads; timed: opening a store, ``bulk_load`` and ``flush``.
    kg s / floor s is kg's share of raw load speed: what validation, resolution, mapping,
    provenance and the atomic commit cost on top of writing the same quads."""
    import io

    import pyoxigraph as ox

    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    store = EmbeddedStore(ctx.work / "kg-store")
    ingest([str(ctx.records_dir)], store)
    buf = io.BytesIO()
    store.dump(buf, "nq")
    store.close()
    data = buf.getvalue()

    def run() -> int:
        floor = ox.Store(str(ctx.work / "floor-store"))
        floor.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        floor.flush()
        return len(floor)

    seconds, quads = _timed(run)
    return Outcome(seconds, quads, {"quads": quads} if ctx.compare else {})


def ingest_peer_baseline(ctx: Context) -> Outcome:
    """The validated peer a user would write with kg's own packages: jsonschema + rdflib
    (bench/baseline.py, the records kg's gate holds back left out as in :func:`ingest_baseline`)
    and then pySHACL over the whole graph with kg's data shapes (no inference), the report read.
    It validates what it built; it does not act on the report (it is told which records the
    gate holds back), so both sides commit the same records."""
    import pyshacl
    from rdflib import Graph

    from bench.baseline import build_graph
    from kg.records.sources import RECORD_SUFFIXES
    from kg.validate.core import load_shapes

    records = ctx.records_dir
    files = sorted(p for p in records.iterdir() if p.suffix in RECORD_SUFFIXES)
    skip = frozenset(gate_held(records))
    fold = frozenset(cross_file_repeats(records) - skip)
    shapes = load_shapes(pages=False)
    stages: dict[str, float] = {}

    def run() -> Any:
        start = time.perf_counter()
        result = build_graph(files, skip=skip, fold=fold)
        stages["jsonschema + rdflib"] = time.perf_counter() - start
        start = time.perf_counter()
        union = Graph()
        for s, p, o, _g in result.graph.quads():
            union.add((s, p, o))
        _conforms, _report, _text = pyshacl.validate(union, shacl_graph=shapes, inference="none")
        stages["pySHACL"] = time.perf_counter() - start
        return result

    seconds, result = _timed(run)
    digest: dict[str, Any] = {}
    if ctx.compare:
        digest = ingest_digest(rdflib_select(result.graph), result.rejected, exact_repeats(records))
    return Outcome(seconds, result.triples, digest, stages)


def ingest_kg(ctx: Context) -> Outcome:
    """kg, default path: schema check, entity resolution, mapping, the SHACL gate, bulk load and
    commit, on the whole data set."""
    return _ingest_kg(ctx, ctx.records_dir, validate=True)


def ingest_no_gate_kg(ctx: Context) -> Outcome:
    """kg with ``validate=False`` (no SHACL gate) on the whole data set."""
    return _ingest_kg(ctx, ctx.records_dir, validate=False)


def _ingest_baseline(ctx: Context, *, gate: bool) -> Outcome:
    from bench.baseline import build_graph
    from kg.records.sources import RECORD_SUFFIXES

    records = ctx.records_dir
    files = sorted(p for p in records.iterdir() if p.suffix in RECORD_SUFFIXES)
    skip = frozenset(gate_held(records)) if gate else frozenset()
    fold = frozenset(cross_file_repeats(records) - skip)
    seconds, result = _timed(lambda: build_graph(files, skip=skip, fold=fold))
    digest: dict[str, Any] = {}
    if ctx.compare:
        digest = ingest_digest(rdflib_select(result.graph), result.rejected, exact_repeats(records))
    return Outcome(seconds, result.triples, digest, result.stages)


def _rdflib_query(graph: Any, text: str) -> list[Any]:
    """``graph.query(text)`` as a list; rdflib 7's own SPARQL evaluator calls its deprecated
    ``Dataset.default_context``/``contexts`` (DeprecationWarnings that are rdflib's, not ours)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"rdflib\.")
        return list(graph.query(text))


def ingest_baseline(ctx: Context) -> Outcome:
    """rdflib + jsonschema (bench/baseline.py), leaving out the records kg's gate holds back
    (:func:`gate_held`): the same records committed, without paying for any validation."""
    return _ingest_baseline(ctx, gate=True)


def ingest_no_gate_baseline(ctx: Context) -> Outcome:
    """rdflib + jsonschema: check every record, ``Graph.add`` every triple (bench/baseline.py)."""
    return _ingest_baseline(ctx, gate=False)


# --------------------------------------------------------------------------- shared set-up


def _store(ctx: Context) -> Any:
    """The prepared kg store of this size, opened read-only (prepared once per size)."""
    from kg.store import EmbeddedStore

    return EmbeddedStore(ctx.prepared / "store", read_only=True)


def _rdflib_graph(ctx: Context) -> Any:
    """An in-memory rdflib Graph of everything in the prepared store (untimed set-up)."""
    from rdflib import Graph

    g = Graph()
    g.parse(ctx.prepared / "all.nt", format="nt")
    return g


def _shapes() -> Any:
    """The shapes graph kg validates with (``kg.validate.load_shapes``): both sides use it."""
    from kg.validate.core import load_shapes

    return load_shapes()


def _local(term: Any) -> str | None:
    if term is None:
        return None
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1].rsplit(":", 1)[-1]


# --------------------------------------------------------------------------- validation


def validate_kg(ctx: Context) -> Outcome:
    """kg: ``kg.validate.validate(store)`` over the whole prepared store (issue 4)."""
    from kg.validate import validate

    store = _store(ctx)
    seconds, report = _timed(lambda: validate(store))
    keys = sorted({(str(r.focus), str(r.path), str(_local(r.component))) for r in report.results})
    return Outcome(seconds, ctx.size, _digest_lines("\t".join(k) for k in keys))


def validate_baseline(ctx: Context) -> Outcome:
    """Plain pyshacl over an in-memory rdflib graph of everything, with the same shapes."""
    import pyshacl
    from rdflib.namespace import SH

    data = _rdflib_graph(ctx)
    shapes = _shapes()
    seconds, (_, results, _) = _timed(lambda: pyshacl.validate(data, shacl_graph=shapes))
    keys = sorted({
        (str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath)),
         str(_local(results.value(r, SH.sourceConstraintComponent))))
        for r in results.subjects(SH.focusNode, None)
    })  # fmt: skip
    return Outcome(seconds, ctx.size, _digest_lines("\t".join(k) for k in keys))


# --------------------------------------------------------------------------- ingest gate


def _profile_file(ctx: Context) -> Path:
    from bench.generate import profile_records

    path = ctx.work / "profile.json"
    path.write_text(json.dumps(profile_records(1500), ensure_ascii=False), encoding="utf-8")
    return path


def gate_kg(ctx: Context) -> Outcome:
    """kg: ingest one 1,500-publication profile into a copy of the prepared store, gate on
    (issue 4: the gate's cost grows with the batch, not with the store)."""
    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    profile = _profile_file(ctx)
    shutil.copytree(ctx.prepared / "store", ctx.work / "store")
    store = EmbeddedStore(ctx.work / "store")
    seconds, report = _timed(lambda: ingest([str(profile)], store, validate=True))
    held = sorted({str(r.record_id or r.number) for r in report.rejected})
    store.close()
    return Outcome(seconds, 1501, {"held_back": len(held)})


def gate_baseline(ctx: Context) -> Outcome:
    """Plain pyshacl over the whole graph plus the profile, with the shapes the gate uses (the
    data shapes, ``load_shapes(pages=False)``): what checking a batch costs without a gate.
    ``held_back`` counts the profile's works with a Violation, the gate's rule."""
    import pyshacl
    from rdflib.namespace import SH

    from kg.ingest import ingest
    from kg.store import EmbeddedStore, dump_bytes
    from kg.validate.core import load_shapes

    profile = _profile_file(ctx)
    mem = EmbeddedStore(None)
    ingest([str(profile)], mem, validate=False)
    data = _rdflib_graph(ctx)
    data.parse(data=dump_bytes(mem, "nt"), format="nt")
    shapes = load_shapes(pages=False)
    seconds, (_, results, _) = _timed(lambda: pyshacl.validate(data, shacl_graph=shapes))
    prefix = f"{ID_BASE}pub/doi/10.9999/prolific."
    held = {
        str(results.value(r, SH.focusNode))
        for r in results.subjects(SH.resultSeverity, SH.Violation)
        if str(results.value(r, SH.focusNode)).startswith(prefix)
    }
    return Outcome(seconds, 1501, {"held_back": len(held)})


#: Authors of the one record the ``gate-authors`` workload gates (the record schema allows it).
WIDE_AUTHORS = 10_000


def _wide_record(ctx: Context) -> Path:
    """One publication with :data:`WIDE_AUTHORS` authors, positions 1..n (issue 20)."""
    path = ctx.work / "wide.json"
    authors = [{"name": f"Author{i} Person{i}"} for i in range(WIDE_AUTHORS)]
    record = {"type": "Publication", "id": "wide", "title": "Wide", "date": "2020", "authors": authors}  # fmt: skip
    path.write_text(json.dumps([record]), "utf-8")
    return path


def _wide(ctx: Context, *, validate: bool) -> Outcome:
    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    path = _wide_record(ctx)
    store = EmbeddedStore(None)
    seconds, report = _timed(lambda: ingest([str(path)], store, validate=validate))
    return Outcome(seconds, WIDE_AUTHORS, {"records_out": report.sources[0].records_out})


def gate_authors_kg(ctx: Context) -> Outcome:
    """kg: ingest one record with 10,000 authors, gate on. The position checks group by
    (publication, position): linear in the author count (a self-join took 282 s, issue 20)."""
    return _wide(ctx, validate=True)


def gate_authors_baseline(ctx: Context) -> Outcome:
    """The same ingest with the gate off: the row's ratio is what gating that record adds."""
    return _wide(ctx, validate=False)


# --------------------------------------------------------------------------- saved queries


#: Parameters picked from the data set (the library's examples name the demo data's people).
_PICK = {
    "person": f"""SELECT ?v WHERE {{ ?w <https://schema.org/author> ?v . ?v <{KG}localKey> ?k }}
        GROUP BY ?v ORDER BY DESC(COUNT(DISTINCT ?w)) ?v LIMIT 1""",
    "org": """SELECT ?v WHERE { ?p <https://schema.org/affiliation> ?v }
        GROUP BY ?v ORDER BY DESC(COUNT(DISTINCT ?p)) ?v LIMIT 1""",
    "topic": """SELECT ?v WHERE { ?w <https://schema.org/about> ?v }
        GROUP BY ?v ORDER BY DESC(COUNT(DISTINCT ?w)) ?v LIMIT 1""",
    "work": """SELECT ?v WHERE { ?v <https://schema.org/author> ?a }
        GROUP BY ?v ORDER BY DESC(COUNT(DISTINCT ?a)) ?v LIMIT 1""",
}


def _queries(store: Any) -> list[tuple[Any, dict[str, str], str]]:
    """Every saved query (``kg.queries.load_queries``) with its parameters bound: IRI parameters
    take the busiest person/org/topic/work of the data set, the others the header's example."""
    from kg.queries import load_queries

    picked: dict[str, str] = {}
    for kind, sparql in _PICK.items():
        rows = store.query(sparql).dicts()
        if rows and rows[0]["v"]:
            picked[kind] = rows[0]["v"]
    out = []
    for q in load_queries().values():
        values: dict[str, str] = {}
        for p in q.params.values():
            if p.kind == "iri" and p.name in picked:
                values[p.name] = picked[p.name]
            elif p.example is not None:
                values[p.name] = p.example
        out.append((q, values, q.bind(values)))
    return out


_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _n3(term: Any) -> str:
    """One canonical text for an rdflib or pyoxigraph term (N-Triples form).

    ``xsd:dateTime`` literals are compared by value: rdflib prints the Oxigraph store's
    ``2026-11-23T07:46:12Z`` as ``2026-11-23T07:46:12+00:00`` (the same instant, XML Schema 1.1
    Part 2 section 3.3.8), so both are written in one form, UTC as ``Z``.

    >>> _n3(ox.Literal("2026-11-23T07:46:12+00:00", datatype=ox.NamedNode(_XSD_DATETIME)))
    '"2026-11-23T07:46:12Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
    >>> _n3(ox.Literal("x")), _n3(None)
    ('"x"', '')
    """
    from rdflib import Literal

    if term is None:
        return ""
    native = isinstance(term, ox.Literal | ox.NamedNode | ox.BlankNode)
    if isinstance(term, ox.Literal) and term.datatype.value == _XSD_DATETIME:
        return f'"{_utc_datetime(term.value)}"^^<{_XSD_DATETIME}>'
    if isinstance(term, Literal) and str(term.datatype) == _XSD_DATETIME:
        return f'"{_utc_datetime(str(term))}"^^<{_XSD_DATETIME}>'
    text = str(term) if native else term.n3()
    return text.replace("^^<http://www.w3.org/2001/XMLSchema#string>", "")


def _utc_datetime(lexical: str) -> str:
    """An ``xsd:dateTime`` lexical form with its offset applied, UTC written ``Z`` (unchanged
    when it has no offset or does not parse: then the lexical forms must agree)."""
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(lexical)
    except ValueError:
        return lexical
    if value.tzinfo is None:
        return lexical
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _answer_digest(query: Any, answer: Any, *, rdflib: bool) -> dict[str, Any]:
    """What ``same_results`` compares for one saved query.

    - CONSTRUCT: the set of triples (an RDF graph is a set).
    - SELECT: the multiset of rows (duplicates count: an engine that does not deduplicate the
      union default graph would show here), each row its terms in N-Triples form; and, for a
      query with a top-level ``ORDER BY``, the rows in the order returned, so a query whose
      ORDER BY leaves ties (an order the two engines may break differently) shows as a
      difference rather than passing unnoticed.
    """
    if query.form in {"construct", "describe"}:
        triples = list(answer) if rdflib else [(t.subject, t.predicate, t.object)
                                                for t in answer.triples]  # fmt: skip
        return _digest_lines(" ".join(_n3(x) for x in tr) for tr in triples)
    rows = ["\t".join(_n3(v) for v in row) for row in (answer if rdflib else answer.rows)]
    digest = {"rows": len(rows), "sha256": _sha(sorted(rows))}
    if _ordered(query):
        digest["order_sha256"] = _sha(rows)
    return digest


def _sha(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _ordered(query: Any) -> bool:
    """Whether the saved query has a top-level ``ORDER BY`` (its rows come in a defined order)."""
    from kg.queries.lexer import tokenize

    words = [t.upper for t in tokenize(query.text) if t.kind == "word" and t.depth == 0]
    return any(a == "ORDER" and b == "BY" for a, b in pairwise(words))


def queries_kg(ctx: Context) -> Outcome:
    """kg: every saved query through ``kg.queries.run_query`` (binding, limits, typed answer) on
    the prepared store; the outcome's seconds are the median query time (the per-query figures
    are in the digest)."""
    from kg.queries import run_query

    store = _store(ctx)
    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    for q, values, _ in _queries(store):
        params: dict[str, Any] = dict(values)
        seconds, answer = _timed(partial(run_query, q, store=store, **params))
        times[q.name] = seconds
        digest[q.name] = _answer_digest(q, answer, rdflib=False)
    return Outcome(_median(times.values()), len(times), {"per_query": digest, "times": times})


#: A saved query that runs longer than this on rdflib is stopped (see :func:`queries_baseline`).
QUERY_CAP_S = 5.0
#: Set (to any value) by ``python -m bench --uncapped`` for its runs: no query is stopped.
UNCAPPED_ENV = "KG_BENCH_UNCAPPED"


class _QueryStopped(BaseException):
    """Raised by the alarm inside rdflib's evaluator (a BaseException, so that no
    ``except Exception`` on the way can swallow it)."""


def queries_baseline(ctx: Context) -> Outcome:
    """rdflib's in-memory SPARQL engine on the same data (an rdflib ``Dataset`` of the same
    named graphs, union as default graph), the same bound query text.

    A query still running after :data:`QUERY_CAP_S` seconds is stopped (``SIGALRM``; rdflib's
    engine is pure Python, so the alarm lands between two steps of it): at 100k triples a few
    of the 23 take from 8 s to minutes. Its time counts as "more than the cap" and its answer
    is not compared (``digest[name] = {"stopped_after_s": cap}``). The row's figure is the
    median over all queries, which is exact as long as fewer than half were stopped (they all
    sort above every finished one); otherwise the outcome is marked ``median_is_lower_bound``.
    """
    import signal

    from rdflib import Dataset

    store = _store(ctx)
    bound = _queries(store)
    store.close()
    g = Dataset(default_union=True)
    g.parse(ctx.prepared / "all.nq", format="nquads")
    # Untimed warm-up: rdflib imports and builds its SPARQL parser on the first query; done
    # here, the alarm below can never land inside an import.
    _rdflib_query(g, "ASK { ?s ?p ?o }")
    times: dict[str, float | None] = {}  # None: stopped at the cap
    digest: dict[str, Any] = {}

    def stop(signum: int, frame: Any) -> None:
        raise _QueryStopped

    cap = 0.0 if os.environ.get(UNCAPPED_ENV) else QUERY_CAP_S  # 0: no alarm
    previous = signal.signal(signal.SIGALRM, stop)
    try:
        for q, _, text in bound:
            signal.setitimer(signal.ITIMER_REAL, cap)
            try:
                seconds, result = _timed(partial(_rdflib_query, g, text))
            except _QueryStopped:
                times[q.name] = None
                digest[q.name] = {"stopped_after_s": cap}
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            times[q.name] = seconds
            digest[q.name] = _answer_digest(q, result, rdflib=True)
    finally:
        signal.signal(signal.SIGALRM, previous)
    stopped = sorted(n for n, s in times.items() if s is None)
    median = _median(float("inf") if s is None else s for s in times.values())
    info: dict[str, Any] = {"per_query": digest, "times": times, "stopped": stopped}
    if median == float("inf"):
        info["median_is_lower_bound"] = True
        median = QUERY_CAP_S
    return Outcome(median, len(times), info)


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --------------------------------------------------------------------------- page export

_BASE_URL = "https://example.org/people/"
#: Profile pages per export run (issue 6: 10k profiles at full size).
EXPORT_PAGES = 10_000
_PEOPLE = f"SELECT ?p WHERE {{ ?p <{KG}localKey> ?k }} ORDER BY ?p LIMIT {EXPORT_PAGES}"
_PAGE_GRAPH = """
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ BIND(<{person}> AS ?s) ?s ?p ?o }}
  UNION {{ ?s <https://schema.org/author> <{person}> . ?s ?p ?o }}
  UNION {{ <{person}> <https://schema.org/affiliation> ?s . ?s ?p ?o }}
}}"""


def _term(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term (set-up only; the data has no blank nodes)."""
    from rdflib import Literal, URIRef

    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return URIRef(term.value)


def _people(store: Any) -> list[str]:
    return [r["p"] for r in store.query(_PEOPLE).dicts() if r["p"]]


def _articles_digest(counts: list[int]) -> dict[str, Any]:
    """Pages, ScholarlyArticle nodes in all, and a hash of the per-page counts (page order)."""
    text = ",".join(map(str, counts))
    return {
        "pages": len(counts),
        "works": sum(counts),
        "per_page": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }


def _is_work(types: str | list[str]) -> bool:
    from kg.export.jsonld import WORK_TYPES

    return not WORK_TYPES.isdisjoint([types] if isinstance(types, str) else types)


def export_kg(ctx: Context) -> Outcome:
    """kg: the real export of one JSON-LD profile document per person, checked against the
    Google/Scholar shapes and written atomically (``export_jsonld(..., publications=False)``:
    the publications are listed on the profiles, as in the baseline's subgraphs) (issue 6)."""
    from kg.export import export_jsonld
    from kg.export.jsonld import slug

    store = _store(ctx)
    people = _people(store)
    out = ctx.work / "pages"

    def run() -> Any:
        return export_jsonld(store, out, base_url=_BASE_URL, people=people, publications=False)

    seconds, report = _timed(run)
    counts = []
    for person in people:  # read back after the clock stops; -1: the page was held back
        path = out / "people" / f"{slug(person, 'person/')}.jsonld"
        doc = json.loads(path.read_text("utf-8")) if path.exists() else {"@graph": None}
        graph = doc["@graph"]
        # a work's node: ScholarlyArticle, or the type(s) of its kind (Report; Thesis/Book
        # alongside ScholarlyArticle); the store types every work schema:ScholarlyArticle
        counts.append(-1 if graph is None else sum(_is_work(n["@type"]) for n in graph))
    digest = _articles_digest(counts) | {"held_back": len(report.held_back)}
    return Outcome(seconds, report.written["profile"], digest, stages=dict(report.stages))


def export_baseline(ctx: Context) -> Outcome:
    """rdflib's JSON-LD serializer with kg's page context (kg.export.CONTEXT), on each page's
    subgraph (the person, their affiliations and their publications); the graphs are built
    before the clock starts."""
    from rdflib import Graph

    from kg.export import CONTEXT

    store = _store(ctx)
    people = _people(store)
    graphs = []
    for person in people:
        g = Graph()
        for t in store.query(_PAGE_GRAPH.format(person=person)).triples:
            g.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        graphs.append(g)
    out = ctx.work / "pages"
    out.mkdir()

    def run() -> list[int]:
        counts = []
        for i, g in enumerate(graphs):
            text = g.serialize(format="json-ld", context=CONTEXT)
            (out / f"{i}.jsonld").write_text(text, "utf-8")
            counts.append(text.count('"ScholarlyArticle"'))
        return counts

    seconds, counts = _timed(run)
    return Outcome(seconds, len(people), _articles_digest(counts) | {"held_back": 0})


#: Plain pyshacl (https://github.com/RDFLib/pySHACL) needs about a minute for the 10k graph on
#: this machine class and grows faster than linearly: its baselines run at 10k only, once.
_PYSHACL = BaselineCap(max_size=10_000, runs=1, timeout=240.0, why="plain pyshacl")
#: The gate's baseline validates the 10k store plus the 1,500-publication profile (~55k
#: triples): it has not finished within 8 minutes here, so it is stopped at 12 s and the row
#: gives the lower bound that proves.
_PYSHACL_GATE = BaselineCap(max_size=10_000, runs=1, timeout=12.0, why="plain pyshacl")

#: rdflib's SPARQL engine: parsing the N-Quads dump (untimed) takes ~9 s at 100k and the 23
#: queries from 20 s to minutes (each stopped at :data:`QUERY_CAP_S`): one run per size.
_RDFLIB_QUERIES = BaselineCap(runs=1, why="rdflib's SPARQL engine, ~30 s a run at 100k")


def pages_kg(ctx: Context) -> Outcome:
    """kg: the 25 real dev pages read with the page: source (records built and checked)."""
    from bench.pages_bench import dev_pages, read_kg, warm_up

    pages = dev_pages()
    warm_up()
    seconds, read = _timed(lambda: read_kg(pages))
    return Outcome(seconds, read, {"pages": read})


def pages_baseline(ctx: Context) -> Outcome:
    """The floor: lxml parsing each page and taking its text (copied text: split in lines)."""
    from bench.pages_bench import dev_pages, read_floor

    pages = dev_pages()
    seconds, read = _timed(lambda: read_floor(pages))
    return Outcome(seconds, read, {"pages": read})


def pages100_kg(ctx: Context) -> Outcome:
    """kg: one generated 100-entry jekyll-scholar page (hidden BibTeX, "N more authors")."""
    from bench.pages_bench import hundred_entry_page, read_kg, warm_up

    page = hundred_entry_page(ctx.work / "hundred.html")
    warm_up()
    seconds, read = _timed(lambda: read_kg([page]))
    return Outcome(seconds, 100 * read, {"pages": read})


def pages100_baseline(ctx: Context) -> Outcome:
    """The floor for the same page."""
    from bench.pages_bench import hundred_entry_page, read_floor

    page = hundred_entry_page(ctx.work / "hundred.html")
    seconds, read = _timed(lambda: read_floor([page]))
    return Outcome(seconds, 100 * read, {"pages": read})


def _remote(name: str) -> Callable[[Context], Outcome]:
    """A function of bench/remote.py (kg on a real Virtuoso), imported when a run needs it."""

    def run(ctx: Context) -> Outcome:
        from bench import remote

        fn: Callable[[Context], Outcome] = getattr(remote, name)
        return fn(ctx)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"bench.remote.{name}"
    return run


#: kg on Virtuoso against kg on the embedded store (bench/remote.py): --full (or named) only
_REMOTE_SIZES = (10_000, 1_000_000)


def _lazy(module: str, name: str) -> Callable[[Context], Outcome]:
    """A workload function of another bench module, imported when it runs (no import cycle)."""

    def run(ctx: Context) -> Outcome:
        fn: Callable[[Context], Outcome] = getattr(importlib.import_module(module), name)
        return fn(ctx)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = f"{module}.{name}"
    return run


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("ingest", "triples", ingest_kg, ingest_baseline),
        Workload(
            "ingest-no-gate", "triples", ingest_no_gate_kg, ingest_no_gate_baseline, quick=False
        ),
        Workload(
            "ingest-validated-peer",
            "triples",
            ingest_kg,
            ingest_peer_baseline,
            sizes=(10_000,),
            cap=_PYSHACL,
            note="baseline: jsonschema + rdflib + pySHACL, the peer a user would write",
        ),
        Workload(
            "ingest-floor",
            "triples",
            ingest_floor_kg,
            ingest_floor_baseline,
            note="baseline: pyoxigraph bulk_load of the quads kg stored; ratio = kg's share "
            "of raw load speed",
        ),
        Workload(
            "validate",
            "triples",
            validate_kg,
            validate_baseline,
            ("kg.validate:validate",),
            cap=_PYSHACL,
        ),
        Workload(
            "gate",
            "records",
            gate_kg,
            gate_baseline,
            ("kg.validate", "kg.ingest:param=validate"),
            sizes=(10_000, 100_000, 1_000_000),
            cap=_PYSHACL_GATE,
        ),
        Workload(
            "gate-authors",
            "authors",
            gate_authors_kg,
            gate_authors_baseline,
            ("kg.validate", "kg.ingest:param=validate"),
            sizes=(10_000,),
        ),
        Workload(
            "queries",
            "queries",
            queries_kg,
            queries_baseline,
            ("kg.queries:run_query", "kg.queries:load_queries"),
            cap=_RDFLIB_QUERIES,
        ),
        Workload("export", "pages", export_kg, export_baseline, ("kg.export:export_jsonld",)),
        Workload(
            "export-incremental",
            "site pages",
            _lazy("bench.export_incremental", "incremental_kg"),
            _lazy("bench.export_incremental", "incremental_baseline"),
            ("kg.export.incremental:affected_people",),
        ),
        Workload(
            "pages",
            "pages",
            pages_kg,
            pages_baseline,
            ("kg.records.pages:PageSource",),
            sizes=(10_000,),
        ),
        Workload(
            "pages-100",
            "entries",
            pages100_kg,
            pages100_baseline,
            ("kg.records.pages:PageSource",),
            sizes=(10_000,),
        ),
        Workload(
            "ingest-virtuoso",
            "triples",
            _remote("ingest_virtuoso"),
            _remote("ingest_embedded"),
            sizes=_REMOTE_SIZES,
            quick=False,
        ),
        Workload(
            "queries-virtuoso",
            "queries",
            _remote("queries_virtuoso"),
            _remote("queries_embedded"),
            sizes=_REMOTE_SIZES,
            quick=False,
        ),
    )
}
