"""Incremental export: after a change, only the pages it changes are rewritten, stale pages are
deleted, the summary says what changed — and the directory is byte for byte what a full export
into an empty directory writes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import lxml.html  # type: ignore[import-untyped]
import pytest

from kg.cli import main
from kg.export import SiteOptions, export_html, export_jsonld
from kg.export.incremental import MANIFEST
from kg.ingest import ingest
from kg.store import EmbeddedStore, remove_source, sources
from tests.export_helpers import BASE, RECORDS, store_from

NEW_PAPER = [
    {"type": "Publication", "doi": "10.5555/new.paper", "title": "A New Paper", "date": "2025-02-03",
     "venue": "Journal of Engines", "venue_type": "journal",
     "authors": [{"name": "Ada Lovelace", "person": "lab:ada"}, {"name": "New Coauthor"}]},
]  # fmt: skip


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.html")}


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return store_from(RECORDS)


def _add_paper(store: EmbeddedStore, tmp_path: Path) -> None:
    new = tmp_path / "new-paper.json"
    new.write_text(json.dumps(NEW_PAPER), encoding="utf-8")
    assert ingest([str(new)], store).exit_code == 0


def test_nothing_changed_touches_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = export_html(store, out, base_url=BASE)
    assert not first.incremental and first.changes["added"] == first.pages_written
    before = _mtimes(out)
    again = export_html(store, out, base_url=BASE)
    assert again.incremental and again.pages_written == 0
    assert again.changes == {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
    assert {k: v for k, v in _mtimes(out).items() if k != "index.html"} == {
        k: v for k, v in before.items() if k != "index.html"
    }
    assert "0 added, 0 changed, 0 unchanged, 0 removed (incremental)" in again.summary()


def test_one_added_paper_rewrites_only_its_pages(store: EmbeddedStore, tmp_path: Path) -> None:
    out = tmp_path / "site"
    export_html(store, out, base_url=BASE)
    before = _mtimes(out)
    _add_paper(store, tmp_path)
    report = export_html(store, out, base_url=BASE)
    assert report.incremental
    # the new publication's page is added and Ada's profile changes; nothing else is built
    assert report.changes == {"added": 1, "changed": 1, "unchanged": 0, "removed": 0}
    assert report.written["profile"] == 1 and report.written["publication"] == 1
    after = _mtimes(out)
    touched = sorted(k for k in after if before.get(k) != after[k] and k != "index.html")
    assert touched == ["people/orcid-0000-0002-1825-0097/index.html", "publications/doi-10.5555-new.paper/index.html"]  # fmt: skip
    fresh = tmp_path / "fresh"
    export_html(store, fresh, base_url=BASE)
    assert _files(out) == _files(fresh)  # the same site as a full export


def test_a_removed_source_deletes_its_pages(store: EmbeddedStore, tmp_path: Path) -> None:
    _add_paper(store, tmp_path)
    out = tmp_path / "docs"
    export_jsonld(store, out, site=SiteOptions(BASE))
    assert (out / "publications/doi-10.5555-new.paper.jsonld").is_file()
    (out / "notes.txt").write_text("not kg's", encoding="utf-8")
    (paper,) = [s.name for s in sources(store) if s.name.endswith("new-paper.json")]
    remove_source(store, paper)
    report = export_jsonld(store, out, site=SiteOptions(BASE))
    assert not report.incremental  # a load went away: every page is built
    assert report.changes["removed"] == 1 and report.changes["changed"] == 1
    assert not (out / "publications/doi-10.5555-new.paper.jsonld").exists()
    assert (out / "notes.txt").read_text("utf-8") == "not kg's"  # never touches other files
    fresh = tmp_path / "fresh"
    export_jsonld(store, fresh, site=SiteOptions(BASE))
    assert {k: v for k, v in _files(out).items() if k != "notes.txt"} == _files(fresh)


def test_other_options_build_everything(store: EmbeddedStore, tmp_path: Path) -> None:
    out = tmp_path / "site"
    export_html(store, out, base_url=BASE)
    report = export_html(store, out, site=SiteOptions(BASE, site_name="Engines Lab"))
    assert not report.incremental and report.changes["changed"] == report.pages_written
    full = export_html(
        store, out, site=SiteOptions(BASE, site_name="Engines Lab"), incremental=False
    )
    assert not full.incremental and full.changes["unchanged"] == full.pages_written


@pytest.mark.parametrize(
    "damage",
    [b'{"version": 2, "pages": {', b"\xff\xfe not JSON", b'{"version": 1, "pages": {}}', b"[]"],
    ids=["truncated", "not-utf8", "old-version", "not-an-object"],
)
def test_a_damaged_manifest_means_a_full_export(
    store: EmbeddedStore, tmp_path: Path, damage: bytes
) -> None:
    out = tmp_path / "site"
    export_html(store, out, base_url=BASE)
    (out / MANIFEST).write_bytes(damage)
    _add_paper(store, tmp_path)
    report = export_html(store, out, base_url=BASE)
    assert not report.incremental and report.pages_written > 2  # every page built again
    assert json.loads((out / MANIFEST).read_text("utf-8"))["version"] == 2  # written anew
    fresh = tmp_path / "fresh"
    export_html(store, fresh, base_url=BASE)
    assert _files(out) == _files(fresh)
    # the manifest written is read back: the next export is incremental and builds nothing
    again = export_html(store, out, base_url=BASE)
    assert again.incremental and again.pages_written == 0


def test_kg_serve_previews_the_site_with_working_links(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    """``kg serve`` (a real process) serves the site on 127.0.0.1; every link under the site's
    base URL points at the preview and answers 200; Ctrl-C (SIGINT) ends it with exit 0."""
    out = tmp_path / "site"
    export_html(store, out, base_url=BASE)
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", str(out), "--port", "0"],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert m, line
        local = m.group(1)
        todo, seen = [local], set()
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.status == 200, url
                body = answer.read().decode("utf-8")
            assert BASE not in body, f"{url}: a link still points at the public site"
            tree = lxml.html.fromstring(body)
            todo += [h.split("#")[0] for h in tree.xpath("//a/@href") if h.startswith(local)]
        assert len(seen) >= 5  # the index, profiles and publication pages, reached by links
        sitemap = urllib.request.urlopen(local + "sitemap.xml", timeout=10).read().decode()
        assert local + "people/orcid-0000-0002-1825-0097/" in sitemap
        assert (out / "index.html").read_text("utf-8").count(BASE) > 0  # files left as written
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        if proc.stderr is not None:
            proc.stderr.close()


def test_kg_serve_without_a_site_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "no index.html" in err and err.count("\n") == 1


def test_a_page_held_back_is_reported_by_every_export_until_it_is_built(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    """A page the checks hold back is still missing from the site after an incremental export
    that did not look at it again: it is reported again and the exit code stays 1."""
    out = tmp_path / "site"
    first = export_html(store, out, base_url=BASE)
    assert len(first.held_back) == 1 and first.exit_code == 1
    again = export_html(store, out, base_url=BASE)
    assert again.incremental and again.pages_written == 0
    assert [str(h) for h in again.held_back] == [str(h) for h in first.held_back]
    assert again.exit_code == 1 and "1 held back" in again.summary()
    full = export_html(store, out, base_url=BASE, incremental=False)
    assert [str(h) for h in full.held_back] == [str(h) for h in first.held_back]
