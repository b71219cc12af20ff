"""Write the export: JSON-LD documents, or a static site (index, profiles, publications, sitemap).

Each page is checked against the Google and Scholar shapes (:mod:`kg.export.check`) before it is
written. A page with a violation is held back and reported with the reason; ``force`` writes it
anyway, with a warning. A publication page that is held back is not linked from profile pages
(its article is still listed there, without a URL), so the site never links to a missing page.

Layout (``base_url`` is where ``out`` will be served)::

    index.html                          every person with a profile page
    people/{slug}/index.html            one profile page per person
    publications/{slug}/index.html      one page per publication of those people
    sitemap.xml                         every page written (https://www.sitemaps.org/protocol.html),
                                        lastmod: when the page's data last changed in kg
    robots.txt                          allows everything, names the sitemap

Every page names itself with ``<link rel="canonical">``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from kg.errors import EXIT_DATA, EXIT_OK, UsageError
from kg.export.check import PageCheck, PageChecker, PageProblem, Shapes, check_page
from kg.export.escape import snippet
from kg.export.html import (
    environment,
    index_row,
    render_index,
    render_profile,
    render_publication,
)
from kg.export.incremental import (
    Manifest,
    PageEntry,
    affected_people,
    fingerprint,
    known_people,
    sha256,
)
from kg.export.jsonld import PageDocument, PageParts, SiteUrls, slug
from kg.export.links import DroppedLink
from kg.export.model import Profile, Work, iter_profiles, profile_people
from kg.export.options import SiteOptions
from kg.store import Store, load_graphs

__all__ = ["ExportReport", "HeldBack", "PageNote", "export_html", "export_jsonld", "site_urls"]

Kind = Literal["profile", "publication"]


@dataclass(frozen=True)
class PageNote:
    """A page and one problem found on it (a warning, or a violation of a page written with force)."""

    url: str
    label: str
    problem: PageProblem


@dataclass(frozen=True)
class HeldBack:
    """A page that was not written, and why."""

    kind: Kind
    url: str
    label: str
    problems: tuple[PageProblem, ...]

    def __str__(self) -> str:
        reasons = "; ".join(dict.fromkeys(p.message for p in self.problems))
        return f"held back: {self.kind} page {self.label!r} ({self.url}): {reasons}"

    def as_json(self) -> dict[str, Any]:
        """The page's kind, label and problems (the URL is the manifest's key)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "problems": [dataclasses.asdict(p) for p in self.problems],
        }

    @classmethod
    def from_json(cls, url: str, data: dict[str, Any]) -> HeldBack:
        """The page :meth:`as_json` describes, held back at ``url``."""
        problems = tuple(PageProblem(**p) for p in data["problems"])
        return cls(data["kind"], url, str(data["label"]), problems)


@dataclass
class ExportReport:
    """What an export did: pages written, held back (with reasons), and warnings."""

    out: Path
    written: dict[str, int] = field(
        default_factory=lambda: {"profile": 0, "publication": 0, "other": 0}
    )
    held_back: list[HeldBack] = field(default_factory=list)
    warnings: list[PageNote] = field(default_factory=list)
    forced: list[PageNote] = field(default_factory=list)
    #: links from the data that were not written (not http, https or mailto), with their record
    dropped_links: list[DroppedLink] = field(default_factory=list)
    #: pages "added", "changed" (rewritten), "unchanged" (left as they were) and "removed"
    #: (stale pages of an earlier export into the same directory), see kg.export.incremental
    changes: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("added", "changed", "unchanged", "removed"), 0)
    )
    #: True when only the pages the new data can change were built (kg.export.incremental)
    incremental: bool = False
    #: seconds spent per stage: "read" (store to profiles), "build" (JSON-LD documents),
    #: "check" (shapes), "render" (HTML, or the documents' JSON text), "write" (files)
    stages: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("read", "build", "check", "render", "write"), 0.0)
    )

    @property
    def pages_written(self) -> int:
        return self.written["profile"] + self.written["publication"]

    @property
    def exit_code(self) -> int:
        """1 when a page was held back, else 0."""
        return EXIT_DATA if self.held_back else EXIT_OK

    def warning_counts(self) -> dict[str, int]:
        """How many pages got each warning message."""
        counts: dict[str, set[str]] = {}
        for note in self.warnings:
            counts.setdefault(note.problem.message, set()).add(note.url)
        return {msg: len(urls) for msg, urls in sorted(counts.items())}

    def summary(self) -> str:
        """One line: pages written, held back, and warnings."""
        w = self.written
        parts = [
            f"{w['profile']} profile page{'s' if w['profile'] != 1 else ''}",
            f"{w['publication']} publication page{'s' if w['publication'] != 1 else ''}",
        ]
        text = f"wrote {' and '.join(parts)} to {self.out}"
        text += f"; {len(self.held_back)} held back"
        if self.forced:
            text += f" ({len({n.url for n in self.forced})} written anyway with --force)"
        text += f"; {len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        text += f" on {len({n.url for n in self.warnings})} page{'s' if len({n.url for n in self.warnings}) != 1 else ''}"
        if self.dropped_links:
            n = len(self.dropped_links)
            text += f"; {n} unsafe link{'s' if n != 1 else ''} dropped"
        c = self.changes
        text += (
            f"; {c['added']} added, {c['changed']} changed, {c['unchanged']} unchanged,"
            f" {c['removed']} removed"
        )
        if self.incremental:
            text += " (incremental)"
        return text


def site_urls(
    store: Store, site: str | SiteOptions, *, people: Sequence[str] | None = None
) -> SiteUrls:
    """The URLs of a site (``site``: its options, or just its base URL) with a profile page for
    ``people`` (default: everyone with a Person record)."""
    options = site if isinstance(site, SiteOptions) else SiteOptions(site)
    chosen = list(people) if people is not None else profile_people(store)
    return SiteUrls(options.base_url, frozenset(chosen), None, options)


def _people(store: Store, people: Sequence[str] | None, old: Manifest | None = None) -> list[str]:
    """The people exported: ``people``, else everyone with a Person record — known from the
    manifest of an earlier export into ``out`` plus the people new loads added, when that is
    allowed (asking the store for every person costs ~0.07 s per 100k triples)."""
    if people is not None:
        return list(dict.fromkeys(people))
    if old is not None:
        known = known_people(store, old)
        if known is not None:
            return known
    return profile_people(store)


_MADE: set[Path] = set()


def _write(path: Path, text: str) -> None:
    """Write ``text`` atomically (a reader never sees half a page)."""
    if path.parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    try:
        fh = open(tmp, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # the directory was removed since it was made
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(tmp, "w", encoding="utf-8")  # noqa: SIM115
    with fh:
        fh.write(text)
    os.replace(tmp, path)


class _Gate:
    """Check a page, record the outcome, and say whether to write it."""

    def __init__(
        self, report: ExportReport, *, force: bool, shapes: Shapes | None, engine: Any
    ) -> None:
        self.report, self.force, self.shapes, self.engine = report, force, shapes, engine
        self.checker = PageChecker(shapes) if engine == "fast" else None

    def __call__(self, kind: Kind, url: str, label: str, doc: PageDocument) -> bool:
        check: PageCheck
        if self.checker is not None:
            check = self.checker.check(doc)
        else:
            check = check_page(doc.as_dict(), shapes=self.shapes, engine=self.engine)
        if check.problems:
            self.report.warnings.extend(PageNote(url, label, p) for p in check.warnings)
        if check.ok:
            return True
        if self.force:
            self.report.forced.extend(PageNote(url, label, p) for p in check.violations)
            return True
        self.report.held_back.append(HeldBack(kind, url, label, check.violations))
        return False


def _label_work(work: Work) -> str:
    return work.title or f"untitled publication {work.iri}"


def _walk(
    store: Store,
    people: Sequence[str],
    urls: SiteUrls,
    gate: _Gate,
    emit: Callable[[Kind, str, Any, PageDocument, SiteUrls], None],
    *,
    publications: bool = True,
    known_works: Iterable[str] = (),
    only_works: AbstractSet[str] | None = None,
) -> Iterator[Profile]:
    """Check and emit publication pages, then profile pages, batch by batch; yield profiles.

    Each publication's article node is built, serialized and checked once
    (:class:`~kg.export.jsonld.PageParts`, :class:`~kg.export.check.PageChecker`) and reused on
    its own page and on every profile page that lists it.
    """
    work_pages: dict[str, bool] = {}
    # live: profile pages link only to publication pages written (now, or by the export an
    # incremental one continues)
    written: set[str] = set(known_works)
    scoped = urls.scoped(written)
    all_works = urls.scoped(None)
    parts = PageParts()
    stages, clock = gate.report.stages, time.perf_counter
    profiles = iter_profiles(store, people, sink=gate.report.dropped_links.append)
    while True:
        t0 = clock()
        profile = next(profiles, None)
        stages["read"] += clock() - t0
        if profile is None:
            return
        for work in profile.works if publications else ():
            if work.iri in work_pages or (only_works is not None and work.iri not in only_works):
                continue
            t0 = clock()
            doc = parts.publication(work, urls)
            t1 = clock()
            url = urls.work(work.iri)
            ok = gate("publication", url, _label_work(work), doc)
            t2 = clock()
            work_pages[work.iri] = ok
            if ok:
                written.add(work.iri)
                emit("publication", url, work, doc, all_works)
            stages["build"] += t1 - t0
            stages["check"] += t2 - t1
            stages["render"] += clock() - t2
        t0 = clock()
        doc = parts.profile(profile, scoped)
        t1 = clock()
        url = urls.person(profile.person.iri)
        ok = gate("profile", url, profile.person.name or profile.person.iri, doc)
        t2 = clock()
        if ok:
            emit("profile", url, profile, doc, scoped)
        stages["build"] += t1 - t0
        stages["check"] += t2 - t1
        stages["render"] += clock() - t2
        yield profile


@dataclass(frozen=True)
class _Job:
    """What to export (the options :func:`export_html` and :func:`export_jsonld` share)."""

    html: bool  #: a site (else JSON-LD documents)
    out: Path
    site: SiteOptions
    everyone: frozenset[str]  #: people with a profile page
    people: tuple[str, ...]  #: whose pages are written, in order
    publications: bool
    force: bool
    shapes: Shapes | None
    engine: Literal["fast", "pyshacl"]
    snippets: bool = False  #: JSON-LD as ``<script>`` snippets (``.html``), not ``.jsonld``
    incremental: bool = True  #: build only what new loads change, when a manifest allows
    chosen: bool = False  #: ``people`` was given (else: everyone with a Person record)
    previous: Manifest | None = None  #: the manifest of the export before, when incremental

    def fingerprint(self) -> str:
        kind = "html" if self.html else "snippets" if self.snippets else "jsonld"
        s = self.site
        return fingerprint(
            kind, s.base_url, s.profile_url, s.publication_url, s.mapped, s.site_name,
            self.publications, self.force, self.engine, self.shapes is not None,
            self.people if self.chosen else None, templates=s.templates,
        )  # fmt: skip


@dataclass
class _Done:
    """What was written: the report and the new manifest (pages, index rows)."""

    report: ExportReport
    manifest: Manifest


def _run(job: _Job, store: Store, *, env: Any = None) -> _Done:
    urls = SiteUrls(job.site.base_url, job.everyone, None, job.site)
    report = ExportReport(out=job.out)
    gate = _Gate(report, force=job.force, shapes=job.shapes, engine=job.engine)
    if job.html and env is None:
        env = environment(job.site.templates)
    site_name = job.site.name
    options = job.fingerprint()
    old = job.previous if job.incremental else Manifest.read(job.out)
    people: Sequence[str] = job.people
    graphs: set[str] | None = None
    only_works: set[str] | None = None  # incremental: the publications whose pages may change
    if job.incremental and old is not None and old.options == options:
        found = affected_people(store, old.graphs, job.people)
        if found is not None:
            chosen = set(found.people)
            people, graphs, only_works = (
                [p for p in job.people if p in chosen],
                found.graphs,
                found.works,
            )
            report.incremental = True
    if graphs is None:
        graphs = set(load_graphs(store))
    pages: dict[str, PageEntry] = {}

    def emit(kind: Kind, url: str, item: Any, doc: PageDocument, page_urls: SiteUrls) -> None:
        iri = item.person.iri if kind == "profile" else item.iri
        name = slug(iri, "person/" if kind == "profile" else "pub/")
        folder = "people" if kind == "profile" else "publications"
        if env is None and job.snippets:
            rel, text = f"{folder}/{name}.html", snippet(doc.text())
        elif env is None:
            rel, text = f"{folder}/{name}.jsonld", doc.text() + "\n"
        elif kind == "profile":
            text = render_profile(item, doc, page_urls, env=env, site_name=site_name)
            rel = f"{folder}/{name}/index.html"
        else:
            text = render_publication(item, doc, page_urls, env=env, site_name=site_name)
            rel = f"{folder}/{name}/index.html"
        t0 = time.perf_counter()
        entry = PageEntry(sha256(text), kind, iri, url, item.modified)
        before = old.pages.get(rel) if old is not None else None
        path = job.out / rel
        if before is not None and before.sha == entry.sha and path.is_file():
            report.changes["unchanged"] += 1
        else:
            _write(path, text)
            report.changes["changed" if before is not None else "added"] += 1
        pages[rel] = entry
        spent = time.perf_counter() - t0
        report.stages["write"] += spent
        report.stages["render"] -= spent  # emit's time is counted as render by _walk
        report.written[kind] += 1

    known = (
        {e.iri for e in old.pages.values() if e.kind == "publication"}
        if report.incremental and old is not None
        else ()
    )
    walk = _walk(
        store, people, urls, gate, emit,
        publications=job.publications, known_works=known, only_works=only_works,
    )  # fmt: skip
    # the index needs only who has a page and how many publications: keep no whole profiles
    rows = {p.person.iri: index_row(p.person, len(p.works), urls) for p in walk}
    manifest = Manifest(
        options, sorted(graphs), everyone=None if job.chosen else sorted(job.everyone)
    )
    if report.incremental and old is not None:
        rebuilt = set(people)
        # pages of the people rebuilt that were not produced again (held back now) go
        gone = {
            rel for rel, e in old.pages.items() if e.kind == "profile" and e.iri in rebuilt
        } - set(pages)
        report.changes["removed"] = old.remove_stale(job.out, set(old.pages) - gone)
        manifest.pages = {rel: e for rel, e in old.pages.items() if rel not in gone} | pages
        manifest.index = {k: v for k, v in old.index.items() if k not in rebuilt} | rows
    else:
        report.changes["removed"] = old.remove_stale(job.out, pages) if old is not None else 0
        manifest.pages, manifest.index = pages, rows
    profiles = {e.iri for e in manifest.pages.values() if e.kind == "profile"}
    manifest.index = {k: v for k, v in manifest.index.items() if k in profiles}
    manifest.held = {h.url: h.as_json() for h in report.held_back}
    if report.incremental and old is not None:
        produced = {e.url for e in pages.values()}
        for url, data in old.held.items():
            if url not in manifest.held and url not in produced:  # not built: still held back
                report.held_back.append(HeldBack.from_json(url, data))
                manifest.held[url] = data
    return _Done(report, manifest)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run CPython's cyclic garbage collector less often while an export runs, then restore it.

    An export keeps hundreds of thousands of small objects alive until it ends (the manifest's
    page entries, index rows, held-back pages) and makes little cyclic garbage; with the default
    thresholds (700, 10, 10) the collector walks them again and again: at 1M triples ~1 s of a
    1.5 s incremental re-export (bench workload ``export-incremental``). The thresholds are
    mypy's for a build, ``gc.set_threshold(200 * 1000, 30, 30)``
    (https://docs.python.org/3/library/gc.html#gc.set_threshold); garbage is still collected.
    """
    before = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _out_dir(out: str | Path) -> Path:
    """``out`` as a directory to write into; a file there is a usage error, not a traceback."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: is a file, not a directory")
    return path


def _options(
    site: SiteOptions | None,
    base_url: str | None,
    templates: str | Path | None,
    site_name: str | None,
) -> SiteOptions:
    """``site``, or the options the older keyword arguments spell."""
    if site is not None:
        if base_url is not None or templates is not None or site_name is not None:
            raise UsageError(
                "give the site either as SiteOptions or as keyword arguments, not both"
            )
        return site
    if base_url is None:
        raise UsageError("--base-url is required: where the pages will be served")
    return SiteOptions(
        base_url,
        templates=Path(templates) if templates is not None else None,
        site_name=site_name,
    )


@_fewer_collections()
def export_jsonld(
    store: Store,
    out: str | Path,
    *,
    site: SiteOptions | None = None,
    base_url: str | None = None,
    people: Sequence[str] | None = None,
    force: bool = False,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
    publications: bool = True,
    snippets: bool = False,
    incremental: bool = True,
) -> ExportReport:
    """Write one JSON-LD document per person (``people/{slug}.jsonld``) and per publication
    (``publications/{slug}.jsonld``), each checked like a page. Without a base URL the
    documents' ``@id``\\s are ``file:`` URLs under ``out``. ``publications=False`` writes the
    people's documents only (their articles then link to no publication page).

    ``snippets=True`` writes ``people/{slug}.html`` and ``publications/{slug}.html`` instead: the
    same document inside ``<script type="application/ld+json">``, escaped to be pasted or
    included verbatim in a host page (:func:`kg.export.escape.snippet`). A plain ``.jsonld``
    document is valid JSON-LD but NOT safe to paste raw into a ``<script>`` element."""
    out = _out_dir(out)
    if site is None and base_url is None:
        base_url = out.resolve().as_uri() + "/"
    options = _options(site, base_url, None, None)
    old = Manifest.read(out) if incremental else None
    chosen = _people(store, people, old)
    urls = site_urls(store, options, people=chosen)
    job = _Job(
        html=False, out=out, site=options, everyone=urls.people, people=tuple(chosen),
        publications=publications, force=force, shapes=shapes, engine=engine, snippets=snippets,
        incremental=incremental, chosen=people is not None, previous=old,
    )  # fmt: skip
    done = _run(job, store)
    done.manifest.write(out)
    return done.report


@_fewer_collections()
def export_html(
    store: Store,
    out: str | Path,
    *,
    site: SiteOptions | None = None,
    base_url: str | None = None,
    people: Sequence[str] | None = None,
    templates: str | Path | None = None,
    force: bool = False,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
    site_name: str | None = None,
    publications: bool = True,
    incremental: bool = True,
) -> ExportReport:
    """Write the static site into ``out`` for serving at the site's base URL (see the module doc).

    ``site`` holds the base URL, URL patterns, site name and templates
    (:class:`~kg.export.options.SiteOptions`); ``base_url``/``templates``/``site_name`` are the
    same without it. ``publications=False`` writes the index and the profile pages only:
    publications are listed on the profiles without a page (or link) of their own.
    """
    out = _out_dir(out)
    options = _options(site, base_url, templates, site_name)
    old = Manifest.read(out) if incremental else None
    chosen = _people(store, people, old)
    urls = site_urls(store, options, people=chosen)
    env = environment(options.templates)  # fails early on a bad --templates
    job = _Job(
        html=True, out=out, site=options, everyone=urls.people, people=tuple(chosen),
        publications=publications, force=force, shapes=shapes, engine=engine,
        incremental=incremental, chosen=people is not None, previous=old,
    )  # fmt: skip
    done = _run(job, store, env=env)
    report, manifest = done.report, done.manifest
    entries = sorted(manifest.pages.values(), key=lambda e: (e.kind != "profile", e.url))
    newest = max((e.lastmod for e in entries if e.lastmod), default=None)
    sitemap = [(urls.base, newest), *((e.url, e.lastmod) for e in entries)]
    _write(
        out / "index.html",
        render_index(list(manifest.index.values()), urls, env=env, site_name=options.name),
    )
    report.written["other"] += 1
    _write(out / "sitemap.xml", _sitemap(sitemap))
    report.written["other"] += 1
    _write(out / "robots.txt", robots_txt(urls.base))
    report.written["other"] += 1
    manifest.write(out)
    return report


def robots_txt(base: str) -> str:
    """robots.txt (RFC 9309) allowing every page and naming the sitemap
    (https://www.sitemaps.org/protocol.html#submit_robots).

    >>> print(robots_txt("https://lab.example.org/"), end="")
    User-agent: *
    Allow: /
    Sitemap: https://lab.example.org/sitemap.xml
    """
    return f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n"


def _sitemap(entries: Sequence[tuple[str, str | None]]) -> str:
    """sitemap.xml (https://www.sitemaps.org/protocol.html): every page, ``lastmod`` when known.

    >>> print(_sitemap([("https://s/", None), ("https://s/a&b/", "2026-01-02T03:04:05Z")]))
    <?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>https://s/</loc></url>
    <url><loc>https://s/a&amp;b/</loc><lastmod>2026-01-02</lastmod></url>
    </urlset>
    <BLANKLINE>
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for loc, lastmod in entries:
        mod = f"<lastmod>{escape(lastmod[:10])}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(loc)}</loc>{mod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"
