"""Write the export: JSON-LD documents, or a static site (index, profiles, publications, sitemap).

Each page is checked against the Google and Scholar shapes (:mod:`kg.export.check`) before it is
written. A page with a violation is held back and reported with the reason; ``force`` writes it
anyway, with a warning. A publication page that is held back is not linked from profile pages
(its article is still listed there, without a URL), so the site never links to a missing page.

Layout (``base_url`` is where ``out`` will be served)::

    index.html                          every person with a profile page
    people/{slug}/index.html            one profile page per person
    publications/{slug}/index.html      one page per publication of those people
    sitemap.xml                         every page written (https://www.sitemaps.org/protocol.html)

Every page names itself with ``<link rel="canonical">``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from kg.errors import EXIT_DATA, EXIT_OK, UsageError
from kg.export.check import PageCheck, PageChecker, PageProblem, Shapes, check_page
from kg.export.html import environment, render_index, render_profile, render_publication
from kg.export.jsonld import PageDocument, PageParts, SiteUrls, slug
from kg.export.model import Person, Profile, Work, iter_profiles, profile_people
from kg.store import Store

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
        return text


def site_urls(store: Store, base_url: str, *, people: Sequence[str] | None = None) -> SiteUrls:
    """The URL layout of a site at ``base_url`` with a profile page for ``people`` (default: all)."""
    if not base_url.startswith(("http://", "https://", "file:")):
        raise UsageError(
            f"--base-url {base_url!r}: expected an http(s) URL such as https://lab.example.org/"
        )
    chosen = list(people) if people is not None else profile_people(store)
    return SiteUrls(base_url, frozenset(chosen))


def _people(store: Store, people: Sequence[str] | None) -> list[str]:
    if people is None:
        return profile_people(store)
    return list(dict.fromkeys(people))


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
) -> Iterator[Profile]:
    """Check and emit publication pages, then profile pages, batch by batch; yield profiles.

    Each publication's article node is built, serialized and checked once
    (:class:`~kg.export.jsonld.PageParts`, :class:`~kg.export.check.PageChecker`) and reused on
    its own page and on every profile page that lists it.
    """
    work_pages: dict[str, bool] = {}
    written: set[str] = set()  # live: profile pages link only to publication pages written
    scoped = SiteUrls(urls.base, urls.people, written)
    all_works = SiteUrls(urls.base, urls.people, None)
    parts = PageParts()
    stages, clock = gate.report.stages, time.perf_counter
    profiles = iter_profiles(store, people)
    while True:
        t0 = clock()
        profile = next(profiles, None)
        stages["read"] += clock() - t0
        if profile is None:
            return
        for work in profile.works if publications else ():
            if work.iri in work_pages:
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
    base: str
    everyone: frozenset[str]  #: people with a profile page
    people: tuple[str, ...]  #: whose pages are written, in order
    publications: bool
    force: bool
    shapes: Shapes | None
    engine: Literal["fast", "pyshacl"]
    templates: str | None
    site_name: str


@dataclass
class _Done:
    """What was written: the report, and for a site the index rows and sitemap entries."""

    report: ExportReport
    listed: list[tuple[Person, int]]
    sitemap: list[tuple[str, str | None]]


def _run(job: _Job, store: Store, *, env: Any = None) -> _Done:
    urls = SiteUrls(job.base, job.everyone)
    report = ExportReport(out=job.out)
    gate = _Gate(report, force=job.force, shapes=job.shapes, engine=job.engine)
    if job.html and env is None:
        env = environment(job.templates)
    sitemap: list[tuple[str, str | None]] = []

    def emit(kind: Kind, url: str, item: Any, doc: PageDocument, page_urls: SiteUrls) -> None:
        if env is None:
            name = slug(item.person.iri, "person/") if kind == "profile" else slug(item.iri, "pub/")
            folder = "people" if kind == "profile" else "publications"
            path, text = job.out / folder / f"{name}.jsonld", doc.text() + "\n"
        elif kind == "profile":
            text = render_profile(item, doc, page_urls, env=env, site_name=job.site_name)
            path = job.out / url[len(urls.base) :] / "index.html"
            sitemap.append((url, item.modified))
        else:
            text = render_publication(item, doc, page_urls, env=env, site_name=job.site_name)
            path = job.out / url[len(urls.base) :] / "index.html"
            sitemap.append((url, None))
        t0 = time.perf_counter()
        _write(path, text)
        spent = time.perf_counter() - t0
        report.stages["write"] += spent
        report.stages["render"] -= spent  # emit's time is counted as render by _walk
        report.written[kind] += 1

    walk = _walk(
        store,
        job.people,
        urls,
        gate,
        emit,
        publications=job.publications,
    )
    # the index needs only who has a page and how many publications: keep no whole profiles
    listed = [(p.person, len(p.works)) for p in walk]
    return _Done(report, listed, sitemap)


def _out_dir(out: str | Path) -> Path:
    """``out`` as a directory to write into; a file there is a usage error, not a traceback."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: is a file, not a directory")
    return path


def export_jsonld(
    store: Store,
    out: str | Path,
    *,
    base_url: str | None = None,
    people: Sequence[str] | None = None,
    force: bool = False,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
    publications: bool = True,
) -> ExportReport:
    """Write one JSON-LD document per person (``people/{slug}.jsonld``) and per publication
    (``publications/{slug}.jsonld``), each checked like a page. Without ``base_url`` the
    documents' ``@id``\\s are ``file:`` URLs under ``out``. ``publications=False`` writes the
    people's documents only (their articles then link to no publication page)."""
    out = _out_dir(out)
    base = base_url or out.resolve().as_uri() + "/"
    chosen = _people(store, people)
    urls = site_urls(store, base, people=chosen)
    job = _Job(
        html=False, out=out, base=urls.base, everyone=urls.people, people=tuple(chosen),
        publications=publications, force=force, shapes=shapes,
        engine=engine, templates=None, site_name="",
    )  # fmt: skip
    return _run(job, store).report


def export_html(
    store: Store,
    out: str | Path,
    *,
    base_url: str,
    people: Sequence[str] | None = None,
    templates: str | Path | None = None,
    force: bool = False,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
    site_name: str = "Research profiles",
    publications: bool = True,
) -> ExportReport:
    """Write the static site into ``out`` for serving at ``base_url`` (see the module doc).

    ``publications=False`` writes the index and the profile pages only: publications are listed
    on the profiles without a page (or link) of their own.
    """
    out = _out_dir(out)
    chosen = _people(store, people)
    urls = site_urls(store, base_url, people=chosen)
    env = environment(templates)  # fails early on a bad --templates
    job = _Job(
        html=True, out=out, base=urls.base, everyone=urls.people, people=tuple(chosen),
        publications=publications, force=force, shapes=shapes,
        engine=engine, templates=str(templates) if templates is not None else None,
        site_name=site_name,
    )  # fmt: skip
    done = _run(job, store, env=env)
    report = done.report
    sitemap = [(urls.base, None), *done.sitemap]
    written = {u for u, _ in sitemap}
    _write(
        out / "index.html",
        render_index(
            [(person, n) for person, n in done.listed if urls.person(person.iri) in written],
            urls,
            env=env,
            site_name=site_name,
        ),
    )
    report.written["other"] += 1
    _write(out / "sitemap.xml", _sitemap(sitemap))
    report.written["other"] += 1
    return report


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
