"""Fuzz target for the HTML export: ``html-render``.

Each input is a JSON record file (a person and a publication, mutated), ingested into a fresh
in-memory store; every person with a profile page is rendered with
:func:`kg.export.render_profile_page` and, for one input in 32, the whole site is written by
:func:`kg.export.export_html` (which also checks each page). Every page must parse back: the
only ``<script`` elements are kg's JSON-LD blocks, each closed exactly once (no ``</script``
breakout), each holding none of the characters :func:`kg.export.escape.json_for_script` escapes,
valid JSON, and equal to :func:`kg.export.profile_document` for that person (the data, exactly);
no element or event-handler attribute the data smuggled in appears.
"""

from __future__ import annotations

import json
import re
import shutil
import zlib

import lxml.html  # type: ignore[import-untyped]

from fuzz import Broken, Outcome, register
from kg.errors import KgError
from kg.export import export_html, profile_document, render_profile_page
from kg.export.escape import script_unescape_ok
from kg.export.model import profile_people
from kg.ingest import ingest
from kg.store import EmbeddedStore

__all__ = ["check_page"]

BASE = "https://lab.example.org/"
_SCRIPT_OPEN = re.compile(r"<script\b", re.IGNORECASE)
_SCRIPT_CLOSE = re.compile(r"</script", re.IGNORECASE)
_JSONLD_OPEN = '<script type="application/ld+json">'


def check_page(html: str, expected: dict[str, object] | None, *, where: str) -> None:
    """Raise :class:`fuzz.Broken` unless ``html`` parses back as described in the module doc."""
    blocks = html.count(_JSONLD_OPEN)
    opens, closes = len(_SCRIPT_OPEN.findall(html)), len(_SCRIPT_CLOSE.findall(html))
    if not blocks or opens != blocks or closes != blocks:
        raise Broken(f"{where}: {opens} <script, {closes} </script, {blocks} JSON-LD blocks")
    tree = lxml.html.fromstring(html)
    if tree.xpath("//img[@onerror] | //*[@onerror] | //*[@onload] | //iframe"):
        raise Broken(f"{where}: an element or handler from the data is live in the page")
    scripts = tree.xpath("//script")
    if len(scripts) != blocks:
        raise Broken(f"{where}: the parser sees {len(scripts)} scripts, {blocks} were written")
    for script in scripts:
        text = script.text or ""
        if script.get("type") != "application/ld+json" or not script_unescape_ok(text):
            raise Broken(f"{where}: a script element holds unescaped <, >, & or U+2028/9")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise Broken(f"{where}: the JSON-LD does not parse: {exc}") from None
        if expected is not None and data != expected:
            raise Broken(f"{where}: the JSON-LD in the page differs from the profile document")


def _render(data: bytes) -> Outcome:
    from fuzz.targets import _scratch

    work = _scratch()
    records = work / "render.json"
    records.write_bytes(data)
    store = EmbeddedStore(None)
    try:
        report = ingest([str(records)], store)  # rejected records: the rest still render
        people = profile_people(store)
        if not people:
            return "rejected"
        for iri in people[:3]:
            html = render_profile_page(iri, store, base_url=BASE)
            check_page(html, profile_document(iri, store, base_url=BASE), where=iri)
        if zlib.crc32(data) % 32 == 0:
            out = work / "site"
            shutil.rmtree(out, ignore_errors=True)
            try:
                export_html(store, out, base_url=BASE)
            except KgError:
                return "rejected"
            for page in sorted(out.glob("people/*/index.html")):
                check_page(page.read_text("utf-8"), None, where=str(page.relative_to(out)))
        return "ok" if report.ok else "rejected"
    finally:
        store.close()


_SEEDS = [
    [{"type": "Person", "id": "ada", "name": "Ada Lovelace", "job_title": "Analyst",
      "topics": ["engines"], "description": "Wrote the notes."},
     {"type": "Publication", "id": "p1", "title": "Notes on the Analytical Engine",
      "date": "1843", "venue": "Taylor's Scientific Memoirs", "venue_type": "journal",
      "abstract": "A & B < C", "doi": "10.1000/xyz",
      "authors": [{"name": "A. Lovelace", "person": "ada"}, {"name": "L. F. Menabrea"}]}],
    [{"type": "Person", "id": "eve", "name": "Eve </script><script>alert(1)</script> Mallory",
      "job_title": '"><img src=x onerror=alert(1)>', "topics": ["<!-- comment", "]]> cdata"],
      "description": "Tricky\u2028abstract</script> & <!-- more \u2029 end ]]>"},
     {"type": "Publication", "id": "p1", "title": 'On </SCRIPT > and <!-- "><img src=x>',
      "abstract": "</script><script>alert(1)</script>", "date": "2024-01-02",
      "venue": "</script>Conf", "venue_type": "conference",
      "authors": [{"name": "Eve", "person": "eve"}, {"name": "Bob\u2028<b>Bold</b>"}]}],
]  # fmt: skip


def _seeds() -> list[bytes]:
    from fuzz import ROOT

    export = ROOT / "tests" / "data" / "export" / "records"
    both = (
        json.loads((export / "people.json").read_text("utf-8"))[:1]
        + json.loads((export / "publications.json").read_text("utf-8"))[:1]
    )
    return [json.dumps(s, ensure_ascii=False).encode() for s in [*_SEEDS, both]]


register("html-render", _render, seeds=_seeds, kind="json", suffix=".json")
