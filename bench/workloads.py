"""One function per workload and side: each takes a :class:`Context`, does its untimed set-up,
times only the work itself, and returns a :class:`Outcome` with a ``digest`` of what it produced.

The harness compares the kg digest with the baseline digest of the same workload and size
(``same_results``): a benchmark whose outputs differ is a failure, not a number.

Stages still being built elsewhere (``kg.validate``, ``kg.queries``, ``kg.export``) are reported
as "not built" while their module does not import; their functions follow the interfaces of
their issues and are kept small, so wiring them at merge time touches one function each.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.vocab import ID_BASE, KG

__all__ = ["WORKLOADS", "Context", "Outcome", "Workload"]

#: Above this many triples, ``same_results`` compares counts instead of every triple.
FULL_COMPARE_MAX = 200_000
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


@dataclass
class Outcome:
    """A timed run: seconds, items processed (for throughput) and a digest of the results."""

    seconds: float
    items: int
    digest: dict[str, Any] = field(default_factory=dict)
    #: seconds per stage, where the workload can tell (not compared between kg and baseline)
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    """A workload: its kg and baseline functions, the unit of throughput, and what it needs."""

    name: str
    unit: str
    kg: Callable[[Context], Outcome]
    baseline: Callable[[Context], Outcome]
    needs: tuple[str, ...] = ()  #: modules/attributes that must import (else "not built")
    sizes: tuple[int, ...] | None = None  #: only these sizes (None = every size)

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


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _record_files(ctx: Context) -> list[Path]:
    from kg.records.sources import RECORD_SUFFIXES

    return sorted(p for p in ctx.records_dir.iterdir() if p.suffix in RECORD_SUFFIXES)


def _digest_lines(lines: Iterable[str]) -> dict[str, Any]:
    ordered = sorted(set(lines))
    h = hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest()
    return {"triples": len(ordered), "sha256": h}


def _canonical(nt: bytes) -> list[str]:
    """N-Triples lines as pyoxigraph prints them: one canonical form for both sides."""
    return [str(t) for t in ox.parse(nt, ox.RdfFormat.N_TRIPLES)]


# --------------------------------------------------------------------------- ingest


class _StageClock:
    """Times kg's ingest stages by wrapping the functions ``kg.ingest`` calls (a wrapper costs
    ~1 µs a call) and the pyoxigraph store's ``load``/``update`` (staging load, ``MOVE``)."""

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


class _TimedOxStore:
    def __init__(self, inner: Any, clock: _StageClock) -> None:
        self._inner = inner
        self.load = clock.wrap("store load (staging)", inner.load)
        self.update = clock.wrap("store update (MOVE)", inner.update)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def ingest_kg(ctx: Context) -> Outcome:
    """kg: ``ingest()`` every record file into a fresh on-disk EmbeddedStore."""
    from kg.ingest import ingest
    from kg.store import EmbeddedStore, SelectResult, stats

    path = ctx.work / "store"
    clock = _StageClock()
    module = importlib.import_module("kg.ingest")  # ``kg.ingest`` the attribute is the function
    module.check_record = clock.wrap("schema check", module.check_record)
    module.map_record = clock.wrap("build triples", module.map_record)

    def run() -> Any:
        store = EmbeddedStore(path)
        store._store = _TimedOxStore(store._store, clock)
        report = ingest([str(ctx.records_dir)], store)
        return store, report

    seconds, (store, report) = _timed(run)
    store._store = store._store._inner
    clock.stages["other (read, graph assembly)"] = seconds - sum(clock.stages.values())
    total = stats(store).triples
    prov = store.query(_PROV_QUERY)
    assert isinstance(prov, SelectResult)
    data = total - int(prov.dicts()[0]["n"] or 0)
    digest: dict[str, Any] = {"triples": data, "rejected": len(report.rejected)}
    if ctx.size <= FULL_COMPARE_MAX:
        res = store.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { "
            f"GRAPH ?g {{ ?s ?p ?o }} ?g a <{KG}SourceGraph> . "
            f'FILTER(?s = ?g || STRSTARTS(STR(?s), CONCAT(STR(?g), "#")) || '
            f'STRSTARTS(STR(?s), "{ID_BASE}agent/")) }} }}'
        )
        digest = {**_digest_lines(str(t) for t in res.triples), "rejected": digest["rejected"]}  # type: ignore[union-attr]
    store.close()
    return Outcome(seconds, data, digest, clock.stages)


def ingest_baseline(ctx: Context) -> Outcome:
    """rdflib + jsonschema: check every record, ``Graph.add`` every triple (bench/baseline.py)."""
    from bench.baseline import build_graph

    files = _record_files(ctx)
    seconds, result = _timed(lambda: build_graph(files))
    n = len(result.graph)
    digest: dict[str, Any] = {"triples": n, "rejected": result.rejected}
    if ctx.size <= FULL_COMPARE_MAX:
        nt = result.graph.serialize(format="nt", encoding="utf-8")
        digest = {**_digest_lines(_canonical(nt)), "rejected": result.rejected}
    return Outcome(seconds, n, digest, result.stages)


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


def _shapes_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "shapes"


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
    keys = sorted({(str(r.focus), str(r.path), _local(r.component)) for r in report.results})
    return Outcome(seconds, ctx.size, _digest_lines("\t".join(k) for k in keys))


def validate_baseline(ctx: Context) -> Outcome:
    """Plain pyshacl over an in-memory rdflib graph of everything, with the same shapes."""
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import SH

    data = _rdflib_graph(ctx)
    shapes = Graph()
    for ttl in sorted(_shapes_dir().glob("*.ttl")):
        shapes.parse(ttl, format="turtle")
    seconds, (_, results, _) = _timed(lambda: pyshacl.validate(data, shacl_graph=shapes))
    keys = sorted({
        (str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath)),
         _local(results.value(r, SH.sourceConstraintComponent)))
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
    seconds, report = _timed(lambda: ingest([str(profile)], store, validate=True))  # type: ignore[call-arg]
    held = sorted({str(r.record_id or r.number) for r in report.rejected})
    store.close()
    return Outcome(seconds, 1501, {"held_back": len(held)})


def gate_baseline(ctx: Context) -> Outcome:
    """pyshacl over the whole graph plus the profile: what checking a batch costs without a gate."""
    import pyshacl
    from rdflib import Graph

    from kg.ingest import ingest
    from kg.store import EmbeddedStore, dump_bytes

    profile = _profile_file(ctx)
    mem = EmbeddedStore(None)
    ingest([str(profile)], mem, validate=False)  # type: ignore[call-arg]
    data = _rdflib_graph(ctx)
    data.parse(data=dump_bytes(mem, "nt"), format="nt")
    shapes = Graph()
    for ttl in sorted(_shapes_dir().glob("*.ttl")):
        shapes.parse(ttl, format="turtle")
    seconds, (_, results, _) = _timed(lambda: pyshacl.validate(data, shacl_graph=shapes))
    from rdflib.namespace import SH

    prefix = f"{ID_BASE}work/doi/10.9999/prolific."
    held = {str(f) for f in results.objects(None, SH.focusNode) if str(f).startswith(prefix)}
    return Outcome(seconds, 1501, {"held_back": len(held)})


# --------------------------------------------------------------------------- saved queries


def _queries() -> list[Any]:
    """The saved queries with their example parameters (issue 5: ``kg.queries``)."""
    from kg import queries

    return list(queries.list_queries())


def _params(q: Any) -> dict[str, Any]:
    return {p.name: p.example for p in getattr(q, "parameters", ()) if p.example is not None}


def _rows(rows: Iterable[Any]) -> list[str]:
    return sorted("\t".join("" if v is None else str(v) for v in row) for row in rows)


def queries_kg(ctx: Context) -> Outcome:
    """kg: every saved query with its example parameters on the prepared store; the outcome's
    seconds are the median query time (the per-query figures are in the digest)."""
    from kg.queries import run_query

    store = _store(ctx)
    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    for q in _queries():
        seconds, result = _timed(lambda q=q: run_query(q.name, store=store, **_params(q)))
        times[q.name] = seconds
        digest[q.name] = _digest_lines(_rows(getattr(result, "rows", [])))["sha256"]
    return Outcome(_median(times.values()), len(times), {"per_query": digest, "times": times})


def queries_baseline(ctx: Context) -> Outcome:
    """rdflib's in-memory SPARQL engine on the same data, the same bound query text."""
    from kg.queries import bound_sparql

    g = _rdflib_graph(ctx)
    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    for q in _queries():
        text = bound_sparql(q.name, **_params(q))
        seconds, result = _timed(lambda text=text: list(g.query(text)))
        times[q.name] = seconds
        digest[q.name] = _digest_lines(_rows(result))["sha256"]
    return Outcome(_median(times.values()), len(times), {"per_query": digest, "times": times})


def _median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --------------------------------------------------------------------------- page export

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


def export_kg(ctx: Context) -> Outcome:
    """kg: one JSON-LD profile document per person, written to disk (issue 6)."""
    from kg.export import profile_document

    store = _store(ctx)
    people = _people(store)
    out = ctx.work / "pages"
    out.mkdir()

    def run() -> list[int]:
        works = []
        for i, person in enumerate(people):
            doc = profile_document(person, store=store)  # type: ignore[call-arg]
            (out / f"{i}.jsonld").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
            works.append(json.dumps(doc).count('"ScholarlyArticle"'))
        return works

    seconds, works = _timed(run)
    return Outcome(seconds, len(people), {"pages": len(people), "works": sum(works)})


def export_baseline(ctx: Context) -> Outcome:
    """rdflib's JSON-LD serializer with the schema.org context, on each page's subgraph."""
    from rdflib import Graph

    store = _store(ctx)
    people = _people(store)
    graphs = []
    for person in people:
        g = Graph()
        for t in store.query(_PAGE_GRAPH.format(person=person)).triples:
            g.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        graphs.append(g)
    context = {"@vocab": "https://schema.org/"}
    out = ctx.work / "pages"
    out.mkdir()

    def run() -> list[int]:
        works = []
        for i, g in enumerate(graphs):
            text = g.serialize(format="json-ld", context=context)
            (out / f"{i}.jsonld").write_text(text, "utf-8")
            works.append(text.count('"ScholarlyArticle"'))
        return works

    seconds, works = _timed(run)
    return Outcome(seconds, len(people), {"pages": len(people), "works": sum(works)})


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("ingest", "triples", ingest_kg, ingest_baseline),
        Workload("validate", "triples", validate_kg, validate_baseline, ("kg.validate:validate",)),
        Workload(
            "gate", "records", gate_kg, gate_baseline, ("kg.validate", "kg.ingest:param=validate")
        ),
        Workload(
            "queries",
            "queries",
            queries_kg,
            queries_baseline,
            ("kg.queries:run_query", "kg.queries:list_queries", "kg.queries:bound_sparql"),
        ),
        Workload("export", "pages", export_kg, export_baseline, ("kg.export:profile_document",)),
    )
}
