"""Benchmark the web export: profile pages per second vs rdflib's JSON-LD serializer.

Not a test. Builds N profiles of ~P publications each (two profile people and one to four
outside co-authors per publication, seeded realistic names) in the default store (an
EmbeddedStore on disk) through kg.ingest, like real data, then in the same run:

- kg, profile pages: ``export_html(..., publications=False)`` — the real export: store reads,
  JSON-LD, the Google/Scholar checks, HTML and atomic writes, for every profile page (the
  publications are listed on the profiles, without pages of their own), and the same with
  ``export_jsonld`` (profile documents);
- kg, the whole site (``export_html``: profile and publication pages, index, sitemap) and
  ``export_jsonld``, as the CLI runs them, with the export's per-stage split;
- baseline: rdflib's JSON-LD serializer with kg's context on the same per-page subgraphs
  (``Graph.serialize(format="json-ld", context=CONTEXT)``) for a sample of profile pages, the
  graphs already built (not timed).

The last line is the headline: kg profile pages/s and the ratio to the baseline of this run.

    .venv/bin/python bench/export_bench.py --profiles 1000 --publications 20
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import warnings
from pathlib import Path

from kg.export import CONTEXT, ExportReport, export_html, export_jsonld, json_for_script, page_graph
from kg.export.jsonld import SiteUrls, profile_document_for
from kg.export.model import load_profiles, profile_people
from kg.ingest import ingest
from kg.store import EmbeddedStore, stats

BASE = "https://lab.example.org/"


#: Given and family names for the bench's people and outside co-authors: real, varied names (not
#: "Person 12 Example"), so the resolver's name comparisons see what a real lab's data shows.
_GIVEN = (
    "Ada", "Alan", "Alice", "Amara", "Ana", "Andrei", "Anika", "Arjun", "Astrid", "Beatriz",
    "Bjorn", "Carlos", "Chen", "Chiara", "Daniel", "Dmitri", "Elena", "Emeka", "Emma", "Farah",
    "Fatima", "Felix", "Gabriel", "Grace", "Hana", "Hiroshi", "Ingrid", "Isabel", "Ivan", "Jamal",
    "Jin", "Joao", "Julia", "Kavya", "Kenji", "Lars", "Leila", "Lucia", "Malik", "Marta",
    "Mateo", "Mei", "Mohammed", "Nadia", "Niamh", "Nikolai", "Olga", "Omar", "Pablo", "Priya",
    "Rafael", "Rania", "Ravi", "Rosa", "Sakura", "Samuel", "Sofia", "Tariq", "Thandiwe", "Tomas",
    "Umar", "Valentina", "Wei", "Xavier", "Yara", "Yusuf", "Zainab", "Zoltan",
)  # fmt: skip
_FAMILY = (
    "Abara", "Albrecht", "Andersson", "Bakshi", "Barbosa", "Becker", "Bianchi", "Castillo",
    "Chatterjee", "Costa", "Dimitrov", "Dubois", "Eriksen", "Fernandes", "Fischer", "Fujimoto",
    "Gallagher", "Gonzalez", "Haddad", "Hansen", "Horvath", "Ibrahim", "Ivanova", "Jankowski",
    "Kapoor", "Kowalczyk", "Kuznetsov", "Larsen", "Lindqvist", "Lombardi", "Makarov", "Moreau",
    "Nakamura", "Novak", "Nwosu", "Okafor", "Oliveira", "Papadopoulos", "Petrov", "Quispe",
    "Ramirez", "Rossi", "Sato", "Schneider", "Silva", "Sokolov", "Tanaka", "Takahashi", "Thompson",
    "Umarov", "Varga", "Vasquez", "Wagner", "Watanabe", "Weber", "Xu", "Yamamoto", "Yilmaz",
    "Zhang", "Zielinski",
)  # fmt: skip
_WORDS = (
    "graph", "learning", "inference", "protein", "network", "causal", "sparse", "quantum",
    "language", "model", "climate", "signal", "robust", "adaptive", "spectral", "bayesian",
    "retrieval", "ontology", "imaging", "dynamics", "optimization", "federated", "streaming",
)  # fmt: skip


def records(n_people: int, per_person: int, seed: int = 7) -> list[dict[str, object]]:
    """~``n_people`` Person records and ``n_people * per_person / 2`` publications, each with two
    of those people and 1-4 outside co-authors, all with seeded, realistic names."""
    rng = random.Random(seed)
    names = [f"{g} {f}" for g in _GIVEN for f in _FAMILY]
    chosen = rng.sample(names, min(n_people, len(names)))
    while len(chosen) < n_people:  # more people than name pairs: add middle initials
        chosen.append(f"{rng.choice(_GIVEN)} {chr(65 + rng.randrange(26))}. {rng.choice(_FAMILY)}")
    people: list[dict[str, object]] = []
    for i, name in enumerate(chosen):
        given, family = name.split()[0], name.split()[-1]
        people.append({
            "type": "Person", "id": f"p{i}", "name": name, "given_name": given,
            "family_name": family, "job_title": "Researcher",
            "affiliations": [{"name": f"University of {_FAMILY[i % 20]}", "role": "Scientist",
                              "start": "2019"}],
            "topics": [_WORDS[i % len(_WORDS)].title(), _WORDS[(i * 7) % len(_WORDS)].title()],
            "homepage": f"https://p{i}.example.org/",
        })  # fmt: skip
    outside = [rng.choice(names) for _ in range(max(50, n_people * 5))]
    pubs: list[dict[str, object]] = []
    n_pubs = n_people * per_person // 2  # two profile people per publication on average
    for k in range(n_pubs):
        owners = rng.sample(range(n_people), 2)
        authors: list[dict[str, object]] = [
            {"name": rng.choice(outside)} for _ in range(rng.randrange(1, 5))
        ]
        for o in owners:
            authors.insert(rng.randrange(len(authors) + 1), {"name": chosen[o], "person": f"p{o}"})
        if k % 10 == 0:
            authors[-1]["position_unknown"] = True
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(4, 9))).capitalize()
        pubs.append({
            "type": "Publication", "id": f"w{k}", "title": f"{title} ({k})",
            "authors": authors, "date": f"{2000 + k % 25}-{1 + k % 12:02d}",
            "abstract": "We study things. " * 20, "venue": f"Journal of {_WORDS[k % len(_WORDS)].title()}",
            "venue_type": "journal" if k % 2 else "conference", "doi": f"10.5555/bench.{k}",
        })  # fmt: skip
    return people + pubs


def _stages(report: ExportReport, seconds: float) -> str:
    """Each stage's share of the export's time."""
    total = sum(report.stages.values()) or seconds
    parts = [f"{k} {v / total:.0%}" for k, v in report.stages.items()]
    return "stages: " + ", ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--profiles", type=int, default=1000)
    ap.add_argument("--publications", type=int, default=20, help="per profile")
    ap.add_argument("--baseline-sample", type=int, default=100, help="pages serialized by rdflib")
    ap.add_argument("--no-site", action="store_true", help="skip the whole-site exports")
    ap.add_argument(
        "--memory", action="store_true", help="an in-memory store instead of the default on disk"
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kg-export-bench-"))
    data = work / "records.json"
    data.write_text(json.dumps(records(args.profiles, args.publications)), encoding="utf-8")
    # the default store: pyoxigraph on disk (RocksDB), as `kg ingest` makes it
    store = EmbeddedStore(None if args.memory else work / "store")
    t0 = time.perf_counter()
    ingest([str(data)], store)
    s = stats(store)
    entities = s.people + s.organizations + s.publications
    print(f"store: {s.triples:,} triples ({s.triples / entities:.0f} per person, organization or "
          f"publication), {s.people:,} people, {s.publications:,} publications "
          f"(ingest {time.perf_counter() - t0:.1f} s)")  # fmt: skip

    # 1. Profile pages (the job of the baseline), through the real export, checks and writes in.
    t0 = time.perf_counter()
    report = export_html(store, work / "profiles", base_url=BASE, publications=False)
    profile_s = time.perf_counter() - t0
    pages = report.written["profile"]
    rate = pages / profile_s
    print(f"kg profile pages: {pages:,} HTML pages (export_html, publications=False) in "
          f"{profile_s:.2f} s -> {rate:,.0f} profile pages/s; held back {len(report.held_back)}; "
          f"{_stages(report, profile_s)}")  # fmt: skip
    t0 = time.perf_counter()
    jreport = export_jsonld(store, work / "profile-docs", base_url=BASE, publications=False)
    jprofile_s = time.perf_counter() - t0
    print(f"kg profile docs:  {jreport.written['profile']:,} JSON-LD documents (export_jsonld, "
          f"publications=False) in {jprofile_s:.2f} s -> "
          f"{jreport.written['profile'] / jprofile_s:,.0f} documents/s; "
          f"{_stages(jreport, jprofile_s)}")  # fmt: skip

    # 2. The whole site and the JSON-LD export, as the CLI runs them.
    if not args.no_site:
        t0 = time.perf_counter()
        site = export_html(store, work / "site", base_url=BASE)
        html_s = time.perf_counter() - t0
        print(f"kg export html:   {site.written['profile']:,} profile + {site.written['publication']:,} "
              f"publication pages + index + sitemap in {html_s:.2f} s -> "
              f"{site.pages_written / html_s:,.0f} pages/s; {_stages(site, html_s)}")  # fmt: skip
        t0 = time.perf_counter()
        docs = export_jsonld(store, work / "jsonld", base_url=BASE)
        json_s = time.perf_counter() - t0
        print(f"kg export jsonld: {docs.written['profile']:,} profile + {docs.written['publication']:,} "
              f"publication documents in {json_s:.2f} s -> {docs.pages_written / json_s:,.0f} "
              f"documents/s; {_stages(docs, json_s)}")  # fmt: skip

    # 3. The baseline on the same profile pages' graphs (a sample: its rate is per page).
    everyone = profile_people(store)
    urls = SiteUrls(BASE, frozenset(everyone), frozenset())  # as in step 1: no publication pages
    sample = load_profiles(store, everyone[: args.baseline_sample])
    graphs = [page_graph(profile_document_for(p, urls)) for p in sample]
    triples = sum(len(g) for g in graphs)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in graphs:
            g.serialize(format="json-ld", context=CONTEXT)
    base_s = time.perf_counter() - t0
    base_rate = len(graphs) / base_s
    t0 = time.perf_counter()
    for p in sample:
        json_for_script(profile_document_for(p, urls))
    doc_s = time.perf_counter() - t0
    print(f"baseline rdflib:  {len(graphs)} profile pages ({triples:,} triples, {triples / len(graphs):.0f}/page) "
          f"serialized in {base_s:.2f} s -> {base_rate:,.1f} pages/s ({triples / base_s:,.0f} triples/s)")  # fmt: skip
    print(f"kg JSON-LD alone: the same {len(sample)} profiles, document built and serialized "
          f"script-safe in {doc_s:.3f} s -> {len(sample) / doc_s:,.0f} pages/s "
          f"({base_s / doc_s:.0f}x the rdflib serializer on this step)")  # fmt: skip
    print(
        f"ratio: {rate / base_rate:.1f}x the baseline (target >= 20x); "
        f"{rate:,.0f} profile pages/s (target >= 500)"
    )


if __name__ == "__main__":
    main()
