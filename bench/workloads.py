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


#: ``kg.ingest`` module attributes timed as stages, in pipeline order.
_INGEST_STAGES = {
    "check_record": "schema check",
    "load_index": "resolution index (store query)",
    "resolve": "entity resolution",
    "map_record": "build triples",
    "gate": "SHACL gate",
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

    cache = records_dir.parent / "gate-held.json"
    if cache.exists():
        return [(label, number) for label, number in json.loads(cache.read_text("utf-8"))]
    report = ingest([str(records_dir)], EmbeddedStore(None))
    held = sorted(
        (r.source, r.number)
        for r in report.rejected
        if any(why.startswith("validation:") for why in r.reasons)
    )
    cache.write_text(json.dumps(held), encoding="utf-8")
    return held


def _ingest_kg(ctx: Context, records: Path, *, validate: bool) -> Outcome:
    """``ingest()`` every record file of ``records`` into a fresh on-disk EmbeddedStore."""
    from kg.ingest import ingest
    from kg.store import EmbeddedStore, SelectResult, stats

    path = ctx.work / "store"
    clock = _StageClock()
    module = importlib.import_module("kg.ingest")  # ``kg.ingest`` the attribute is the function
    for attr, stage in _INGEST_STAGES.items():
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
    return Outcome(seconds, data, digest, stages)


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
    seconds, result = _timed(lambda: build_graph(files, skip=skip))
    n = len(result.graph)
    digest: dict[str, Any] = {"triples": n, "rejected": result.rejected}
    if ctx.size <= FULL_COMPARE_MAX:
        nt = result.graph.serialize(format="nt", encoding="utf-8")
        digest = {**_digest_lines(_canonical(nt)), "rejected": result.rejected}
    return Outcome(seconds, n, digest, result.stages)


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
    keys = sorted({(str(r.focus), str(r.path), _local(r.component)) for r in report.results})
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
    seconds, report = _timed(lambda: ingest([str(profile)], store, validate=True))
    held = sorted({str(r.record_id or r.number) for r in report.rejected})
    store.close()
    return Outcome(seconds, 1501, {"held_back": len(held)})


def gate_baseline(ctx: Context) -> Outcome:
    """pyshacl over the whole graph plus the profile: what checking a batch costs without a gate."""
    import pyshacl

    from kg.ingest import ingest
    from kg.store import EmbeddedStore, dump_bytes

    profile = _profile_file(ctx)
    mem = EmbeddedStore(None)
    ingest([str(profile)], mem, validate=False)
    data = _rdflib_graph(ctx)
    data.parse(data=dump_bytes(mem, "nt"), format="nt")
    shapes = _shapes()
    seconds, (_, results, _) = _timed(lambda: pyshacl.validate(data, shacl_graph=shapes))
    from rdflib.namespace import SH

    prefix = f"{ID_BASE}work/doi/10.9999/prolific."
    held = {str(f) for f in results.objects(None, SH.focusNode) if str(f).startswith(prefix)}
    return Outcome(seconds, 1501, {"held_back": len(held)})


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


def _n3(term: Any) -> str:
    """One canonical text for an rdflib or pyoxigraph term (N-Triples form)."""
    if term is None:
        return ""
    native = isinstance(term, ox.Literal | ox.NamedNode | ox.BlankNode)
    text = str(term) if native else term.n3()
    return text.replace("^^<http://www.w3.org/2001/XMLSchema#string>", "")


def _rows(rows: Iterable[Any]) -> list[str]:
    return sorted("\t".join(_n3(v) for v in row) for row in rows)


def _answer_lines(form: str, answer: Any, *, rdflib: bool) -> list[str]:
    if form in {"construct", "describe"}:
        triples = list(answer) if rdflib else answer.triples
        if rdflib:
            return sorted(" ".join(_n3(t) for t in tr) for tr in triples)
        return sorted(" ".join(_n3(t) for t in (tr.subject, tr.predicate, tr.object))
                      for tr in triples)  # fmt: skip
    return _rows(answer if rdflib else answer.rows)


def queries_kg(ctx: Context) -> Outcome:
    """kg: every saved query through ``kg.queries.run_query`` (binding, limits, typed answer) on
    the prepared store; the outcome's seconds are the median query time (the per-query figures
    are in the digest)."""
    from kg.queries import run_query

    store = _store(ctx)
    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    for q, values, _ in _queries(store):
        seconds, answer = _timed(lambda q=q, v=values: run_query(q, store=store, **v))
        times[q.name] = seconds
        digest[q.name] = _digest_lines(_answer_lines(q.form, answer, rdflib=False))
    return Outcome(_median(times.values()), len(times), {"per_query": digest, "times": times})


def queries_baseline(ctx: Context) -> Outcome:
    """rdflib's in-memory SPARQL engine on the same data (an rdflib ``Dataset`` of the same
    named graphs, union as default graph), the same bound query text."""
    from rdflib import Dataset

    store = _store(ctx)
    bound = _queries(store)
    store.close()
    g = Dataset(default_union=True)
    g.parse(ctx.prepared / "all.nq", format="nquads")
    times: dict[str, float] = {}
    digest: dict[str, Any] = {}
    for q, _, text in bound:
        seconds, result = _timed(lambda text=text: list(g.query(text)))
        times[q.name] = seconds
        digest[q.name] = _digest_lines(_answer_lines(q.form, result, rdflib=True))
    return Outcome(_median(times.values()), len(times), {"per_query": digest, "times": times})


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
        counts.append(-1 if graph is None else sum(n["@type"] == "ScholarlyArticle" for n in graph))
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


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("ingest", "triples", ingest_kg, ingest_baseline),
        Workload("ingest-no-gate", "triples", ingest_no_gate_kg, ingest_no_gate_baseline),
        Workload("validate", "triples", validate_kg, validate_baseline, ("kg.validate:validate",)),
        Workload(
            "gate", "records", gate_kg, gate_baseline, ("kg.validate", "kg.ingest:param=validate")
        ),
        Workload(
            "queries",
            "queries",
            queries_kg,
            queries_baseline,
            ("kg.queries:run_query", "kg.queries:load_queries"),
        ),
        Workload("export", "pages", export_kg, export_baseline, ("kg.export:export_jsonld",)),
    )
}
