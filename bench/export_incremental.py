"""Bench workload ``export-incremental``: re-export a site after one added paper.

Both sides start from a copy of the size's prepared store with the whole site already exported
(untimed), then ingest one new paper by a person with a profile page (untimed, as RDF: the
paper, its authorship node with position 1, in a new load graph), then:

- kg: ``export_html`` into the same directory — incremental: it builds only the pages the new
  load changes and rewrites only files whose content changed (kg/export/incremental.py);
- baseline: kg's own full export, ``export_html`` into an empty directory, of the same store.

Both digests hash every file of the resulting site (the manifest aside), so ``same_results``
says the incremental site is byte for byte the full one; the ratio is the speed-up over a full
export in the same run. Target (issue 17): <= 0.5 s at 1M triples.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

__all__ = ["incremental_baseline", "incremental_kg"]

_BASE = "https://lab.example.org/"
_PAPER = "https://w3id.org/kg/id/pub/doi/10.5555/bench.incremental"


def _site_digest(root: Path, loaded_at: str) -> dict[str, Any]:
    """Every file of the site hashed; the added load's time (its pages' lastmod, which differs
    between the two sides' ingests) written as a placeholder."""
    h = hashlib.sha256()
    files = 0
    stamp = loaded_at.encode("utf-8")
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != ".kg-export.json":
            h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
            h.update(hashlib.sha256(path.read_bytes().replace(stamp, b"LOADED")).digest())
            files += 1
    return {"files": files, "sha256": h.hexdigest()}


def _loaded_at(store: Any) -> str:
    from kg.store import query_select

    rows = query_select(
        store,
        f"SELECT ?t WHERE {{ GRAPH ?g {{ <{_PAPER}> ?p ?o }} "
        "?g <http://www.w3.org/ns/prov#generatedAtTime> ?t }",
    ).rows
    return str(rows[0][0].value) if rows and rows[0][0] is not None else "\0"


def _store_with_site(ctx: Any, *, export_first: bool) -> tuple[Any, Path]:
    """A writable copy of the prepared store, the site exported (when asked), one paper added."""
    from kg.export import export_html
    from kg.export.model import profile_people
    from kg.ingest import ingest
    from kg.store import EmbeddedStore

    shutil.copytree(ctx.prepared / "store", ctx.work / "store")
    store = EmbeddedStore(ctx.work / "store")
    site = ctx.work / "site"
    if export_first:
        export_html(store, site, base_url=_BASE)
    person = profile_people(store)[0]
    paper = ctx.work / "new-paper.ttl"
    paper.write_text(
        f"""@prefix schema: <https://schema.org/> . @prefix kg: <https://w3id.org/kg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{_PAPER}> a schema:ScholarlyArticle ; schema:name "An added paper" ;
    schema:headline "An added paper" ; schema:datePublished "2026-01-02"^^xsd:date ;
    schema:author <{person}> ; kg:authorship <{_PAPER}#author-1> .
<{_PAPER}#author-1> kg:author <{person}> ; kg:position 1 ; kg:printedName "A. Author" .
""",
        encoding="utf-8",
    )
    report = ingest([str(paper)], store, validate=False)
    assert report.exit_code == 0, report
    return store, site


def incremental_kg(ctx: Any) -> Any:
    """kg: the incremental re-export after one added paper."""
    from bench.workloads import Outcome, _timed
    from kg.export import export_html

    store, site = _store_with_site(ctx, export_first=True)
    seconds, report = _timed(lambda: export_html(store, site, base_url=_BASE))
    assert report.incremental, "the re-export was not incremental"
    digest = _site_digest(site, _loaded_at(store))  # after the clock: every page, hashed
    store.close()
    return Outcome(
        seconds, digest["files"], digest if ctx.compare else {}, stages=dict(report.stages)
    )


def incremental_baseline(ctx: Any) -> Any:
    """Baseline: a full export of the same store (with the added paper) into an empty folder."""
    from bench.workloads import Outcome, _timed
    from kg.export import export_html

    store, site = _store_with_site(ctx, export_first=False)
    seconds, report = _timed(lambda: export_html(store, site, base_url=_BASE))
    digest = _site_digest(site, _loaded_at(store))
    store.close()
    return Outcome(
        seconds, digest["files"], digest if ctx.compare else {}, stages=dict(report.stages)
    )
