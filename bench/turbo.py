"""pySHACL vs pyshacl-turbo (a Rust SHACL engine with pySHACL's API, on PyPI) vs kg's SPARQL engine.

Not a test and not a dependency: ``pip install pyshacl-turbo`` into the venv, then

    python -m bench.turbo [--out bench/results/turbo.md]

1. The W3C SHACL test suite (core and SPARQL, from its manifests, as tests/test_shacl_w3c.py
   reads them): each engine's report against the suite's expected report, compared as multisets
   of (focus, path, value, source shape, component, severity), blank nodes anonymized. Where
   pySHACL and pyshacl-turbo disagree, the suite says which is right.
2. kg's data shapes over kg graphs: every shape test graph of tests/data/shapes and the 10k
   generated data set ingested without the gate (its planted errors all stored): result sets
   and CPU seconds per engine.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.shared import project_root, shared_dir
from kg.validate.shacl_terms import ResultKey, anon_key, result_key

SUITE = shared_dir() / "fixtures" / "shacl-test-suite" / "tests"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
SH = "http://www.w3.org/ns/shacl#"
Key = ResultKey


def _parse(path: str) -> Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Graph().parse(path.replace("file://", ""), format="turtle", publicID=path)


def keys_of(report: Any, shapes: Graph) -> Counter[Key]:
    """The results of an ``sh:ValidationReport`` graph as comparable keys."""
    return Counter(
        result_key(report, r, paths=shapes) for r in report.objects(None, URIRef(SH + "result"))
    )


def _engines() -> dict[str, Callable[..., Any]]:
    import pyshacl
    import pyshacl_turbo

    return {"pyshacl": pyshacl.validate, "pyshacl-turbo": pyshacl_turbo.validate}


def run(validate: Callable[..., Any], data: Graph, shapes: Graph) -> Counter[Key] | str:
    """One engine's result keys, or the error it raised (``"error: ..."``)."""
    try:
        _conforms, report, _text = validate(
            data, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=False
        )
    except Exception as exc:
        return f"error: {type(exc).__name__}: {str(exc)[:80]}"
    if isinstance(report, str | bytes):
        report = Graph().parse(data=report, format="turtle")
    if not hasattr(report, "objects"):
        return f"error: report is a {type(report).__name__}"
    return keys_of(report, shapes)


def w3c(engines: dict[str, Callable[..., Any]]) -> tuple[Counter[str], list[str]]:
    """Cases each engine passes, and a line per case where pySHACL and turbo disagree."""
    passed: Counter[str] = Counter()
    lines: list[str] = []
    total = 0
    for manifest in sorted(
        [*SUITE.glob("core/*/manifest.ttl"), *SUITE.glob("sparql/*/manifest.ttl")]
    ):
        top = Graph().parse(manifest, format="turtle")
        for include in sorted(top.objects(None, URIRef(MF + "include")), key=str):
            g = _parse(str(include))
            for entry in sorted(g.subjects(RDF.type, URIRef(SHT + "Validate")), key=str):
                total += 1
                rel = Path(str(include).replace("file://", "")).relative_to(SUITE).with_suffix("")
                name = f"{rel.parent}/{str(entry).rsplit('/', 1)[-1]}"
                action = g.value(entry, URIRef(MF + "action"))
                d_iri = str(g.value(action, URIRef(SHT + "dataGraph")))
                s_iri = str(g.value(action, URIRef(SHT + "shapesGraph")))
                data = g if d_iri == str(include) else _parse(d_iri)
                shapes = g if s_iri == str(include) else _parse(s_iri)
                failure = g.value(entry, URIRef(MF + "result")) == URIRef(SHT + "Failure")
                expected = None if failure else keys_of(g, g)
                verdict: dict[str, bool] = {}
                got: dict[str, Counter[Key] | str] = {}
                for label, fn in engines.items():
                    got[label] = run(fn, data, shapes)
                    ok = isinstance(got[label], str) if failure else got[label] == expected
                    verdict[label] = ok
                    passed[label] += ok
                if verdict["pyshacl"] != verdict["pyshacl-turbo"] or (
                    not failure and got["pyshacl"] != got["pyshacl-turbo"]
                ):
                    right = [k for k, v in verdict.items() if v] or ["neither"]
                    detail = {k: (v if isinstance(v, str) else f"{sum(v.values())} results")
                              for k, v in got.items()}  # fmt: skip
                    lines.append(f"| {name} | {', '.join(right)} | {detail} |")
    passed["total"] = total
    return passed, lines


def kg_graphs(engines: dict[str, Callable[..., Any]], tmp: Path) -> list[str]:
    """kg's data shapes over kg graphs: agreement with pySHACL and CPU seconds."""
    import pyoxigraph as ox

    from bench.generate import generate
    from kg.ingest import ingest
    from kg.store import EmbeddedStore
    from kg.validate import load_shapes, validate
    from kg.validate.engines import Data

    shapes = load_shapes(pages=False)
    graphs: list[tuple[str, Graph]] = []
    for path in sorted((project_root() / "tests" / "data" / "shapes").glob("*/*/*")):
        if path.suffix in {".ttl", ".trig"}:
            store = ox.Store()
            store.load(path=str(path), format=ox.RdfFormat.TRIG)
            graphs.append((path.name, Data.of(store).graph()))
    data = generate(10_000, tmp / "gen", seed=0)
    kg_store = EmbeddedStore(None)
    ingest([str(data.records_dir)], kg_store, validate=False)
    graphs.append(("generated 10k (no gate)", Data.of(kg_store).graph()))
    rows = []
    for name, graph in graphs:
        results: dict[str, Counter[Key] | str] = {}
        seconds: dict[str, float] = {}
        for label, fn in engines.items():
            t = time.process_time()
            results[label] = run(fn, graph, shapes)
            seconds[label] = time.process_time() - t
        t = time.process_time()
        report = validate(graph, shapes=shapes, engine="sparql", distinct=False)
        seconds["kg sparql"] = time.process_time() - t
        ours: Counter[Key] = Counter(
            (anon_key(r.terms.focus), r.path if r.path is None or r.path.startswith(("(", "^", "<"))
             else f"<{r.path}>", anon_key(r.terms.value), anon_key(r.terms.shape), r.component,
             str(r.terms.severity or r.severity.iri))
            for r in report.results if r.terms is not None
        )  # fmt: skip
        base = results["pyshacl"]
        n = sum(base.values()) if not isinstance(base, str) else base
        rows.append(
            f"| {name} | {n} | {results['pyshacl-turbo'] == base} | {ours == base} | "
            + " | ".join(f"{seconds[k]:.2f}" for k in ("pyshacl", "pyshacl-turbo", "kg sparql"))
            + " |"
        )
    return rows


def main() -> None:  # pragma: no cover - a benchmark
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import importlib.metadata as md
    import tempfile

    engines = _engines()
    passed, disagree = w3c(engines)
    lines = [
        f"# pySHACL {md.version('pyshacl')} vs pyshacl-turbo {md.version('pyshacl-turbo')}",
        "",
        f"W3C SHACL suite (core + SPARQL, {passed['total']} cases): pySHACL passes "
        f"{passed['pyshacl']}, pyshacl-turbo {passed['pyshacl-turbo']}.",
        "",
        "| case where they differ | right (per the suite) | what each gave |",
        "|---|---|---|",
        *disagree,
        "",
        "kg's data shapes over kg graphs (result multisets; CPU seconds):",
        "",
        "| graph | pySHACL results | turbo = pySHACL | kg sparql = pySHACL | pySHACL s | turbo s | kg sparql s |",
        "|---|---:|---|---|---:|---:|---:|",
        *kg_graphs(engines, Path(tempfile.mkdtemp())),
    ]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":  # pragma: no cover
    main()
