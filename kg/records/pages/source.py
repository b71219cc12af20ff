"""The ``page:`` source: a profile or publication-list page read into records, from evidence.

The stages, one module each:

1. :mod:`~kg.records.pages.blocks`: HTML through the DOM (visible text, hidden structured text)
   or copied text as lines;
2. :mod:`~kg.records.pages.lists`: the publication list found by repetition;
3. :mod:`~kg.records.pages.fields` with :mod:`~kg.records.pages.names` and
   :mod:`~kg.records.pages.citations`: each entry read into title, authors, year, venue;
4. :mod:`~kg.records.pages.structured`: JSON-LD, microdata, RDFa, ``citation_*`` tags and
   hidden BibTeX, checked against what the page shows and merged per entry;
5. :mod:`~kg.records.pages.owner`: whose page it is, from weighed evidence;
6. here: records, with names cleaned by :mod:`kg.records.clean` (repairs only with a
   confirming spelling), entries listed twice merged, and each publication saying how it was
   read (``read_from``: the page lines, the rules, a confidence).

A page where no publication list is recognized yields its owner (when there is one) and a
warning; with no owner either, it is a data error with one line saying so. Entries that look
like list members but lack evidence are reported in the warnings, never emitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg import ids, limits
from kg.errors import DataError, SourceError
from kg.http import HttpClient, HttpError
from kg.records import clean, clean_names
from kg.records.files import source_name
from kg.records.pages import structured as embedded
from kg.records.pages.blocks import HtmlPage, Line, html_page, text_lines
from kg.records.pages.fields import NOISE, Entry, strip_markers
from kg.records.pages.lists import Item, Lists, html_lists, text_lists
from kg.records.pages.names import name_key, parse_authors
from kg.records.pages.owner import Header, Owner, choose_owner, read_header, refers_to
from kg.records.sources import RawRecord

__all__ = ["MIN_CONFIDENCE", "PageReading", "PageSource", "read_page"]

#: Entries read with less confidence than this are reported, not emitted.
MIN_CONFIDENCE = 0.6
_SPLIT_TITLE = re.compile(r"\s+[|·•–—-]\s+|\s+@\s+|:\s+|\s*\|\s*")


@dataclass
class PageReading:
    """Everything the reader found on a page, before records are built (``--explain`` shows it)."""

    lines: list[Line]
    lists: Lists
    header: Header
    owner: Owner | None
    candidates: list[tuple[str, str]]
    html: bool
    dropped: int = 0
    structured: Any = None

    def explain(self) -> str:
        """The page's lines with the kind given to each, the entries and the owner's evidence."""
        out: list[str] = []
        member: dict[int, tuple[str, Item]] = {}
        for it in self.lists.items:
            for i in range(it.start, it.end):
                member[i] = ("entry", it)
        for it in self.lists.rejected:
            for i in range(it.start, it.end):
                member[i] = ("rejected", it)
        kinds = self.lists.kinds
        out.append(f"page read as {'HTML' if self.html else 'copied text'}: {len(self.lines)} "
                   f"lines, {self.dropped} boilerplate blocks dropped")  # fmt: skip
        for run in self.lists.runs:
            out.append(f"list: {run}")
        if self.owner:
            out.append(f"owner: {self.owner.name} (score {self.owner.score}: "
                       f"{', '.join(self.owner.evidence)})")  # fmt: skip
        else:
            seen = ", ".join(f"{s}: {t!r}" for s, t in self.candidates[:6]) or "none"
            out.append(f"owner: none recognized (candidates: {seen})")
        starts = {it.start: it for it in (*self.lists.items, *self.lists.rejected)}
        for i, line in enumerate(self.lines):
            if i in starts:
                it = starts[i]
                e = it.entry
                label = "ENTRY" if it in self.lists.items else f"NOT TAKEN ({it.reason})"
                out.append(f"  -- {label}: title={e.title!r} authors={len(e.authors)} "
                           f"year={e.year} confidence={e.confidence}; {'; '.join(e.how)}")  # fmt: skip
            kind = kinds[i] if i < len(kinds) else "?"
            where = member.get(i, ("", None))[0]
            text = line.text if len(line.text) <= 90 else line.text[:87] + "..."
            out.append(f"{i:4d} {kind:<8} {where:<8} {text}")
        return "\n".join(out)


def _title_candidates(page: HtmlPage) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for source, key in (("<title>", "title"), ("og:title", "og:title"),
                        ("og:site_name", "og:site_name"), ("meta author", "author"),
                        ("og:title", "twitter:title")):  # fmt: skip
        for value in page.meta.get(key, []):
            parts = [p for p in _SPLIT_TITLE.split(value) if p.strip()]
            out.extend((source, p) for p in parts[:4])
    root = page.root
    if root is not None:
        for el in root.iter("a"):
            cls = str(el.get("class") or "")
            href = str(el.get("href") or "")
            if "brand" in cls or "site-title" in cls or href in ("/", "./", "index.html", "../"):
                text = " ".join(el.text_content().split())
                if text:
                    out.append(("site title", text))
                    if len(out) > 40:
                        break
    return out


def _similar(a: str, b: str) -> float:
    from rapidfuzz.fuzz import ratio

    return float(ratio(ids.normalize_title(a), ids.normalize_title(b))) / 100


def _merge_structured(items: list[Item], works: list[dict[str, Any]], notes: list[str]) -> None:
    """Structured works (JSON-LD, microdata) checked against the visible entries.

    A structured title equal to an author's name (Hugo Academic's ``itemprop="author name"``)
    contradicts the page and is dropped with a note; a consistent one fills missing ids/dates.
    """
    for work in works:
        title = work.get("title")
        if not title:
            continue
        if parse_authors(title) and len(title.split()) <= 4:
            notes.append(f"structured title {title!r} is an author's name: dropped")
            continue
        best = max(items, key=lambda it: _similar(it.entry.title or "", title), default=None)
        if best is None or not best.entry.title or _similar(best.entry.title, title) < 0.9:
            continue
        entry = best.entry
        entry.doi = entry.doi or work.get("doi")
        entry.arxiv = entry.arxiv or work.get("arxiv")
        date = work.get("date")
        if date and not entry.year:
            entry.year = str(date)[:4]


def read_page(
    data: bytes, *, person: str | None = None, label: str = "page", base_url: str = "file:///"
) -> PageReading:
    """Read a page's bytes (HTML or copied text) into a :class:`PageReading`."""
    warnings: list[str] = []
    if _looks_html(data):
        page = html_page(data)
        try:
            found = embedded.extract(data, base_url=base_url, warnings=warnings)
        except Exception:
            found = None
        lists = html_lists(page)
        lines = page.lines
        if not lists.items:
            # no repeated blocks: the page's text, read as copied text, with a stricter test
            # (hand-written pages separate entries with <br>; people lists have no years)
            fallback = text_lists(lines)
            strict = [
                it
                for it in fallback.items
                if it.entry.evidence and (it.entry.year or it.entry.venue)
            ]
            if len(strict) >= 2:
                fallback.rejected.extend(it for it in fallback.items if it not in strict)
                fallback.items = strict
                lists = fallback
        first = min((it.start for it in lists.items), default=len(lines))
        header = read_header(lines[:first], text_page=False)
        header.seen = header.seen or read_header(lines, text_page=False).seen
        candidates = _title_candidates(page) + header.names
        if found is not None and found.owner:
            name = embedded._text(found.owner.get("name"))
            if name:
                candidates.append(("JSON-LD Person", name))
        if found is not None and found.works and lists.items:
            _merge_structured(lists.items, found.works, warnings)
        reading = PageReading(lines, lists, header, None, candidates, True, page.dropped, found)
    else:
        text = data.decode("utf-8", "replace").removeprefix("\ufeff")
        all_lines = text_lines(text)
        lines = [
            ln for ln in all_lines if not (NOISE.search(ln.text) and len(ln.text.split()) <= 40)
        ]
        dropped = len(all_lines) - len(lines)
        lists = text_lists(lines)
        first = min((it.start for it in (*lists.items, *lists.rejected)), default=len(lines))
        header = read_header(lines[:first], text_page=True)
        header.seen = header.seen or read_header(lines, text_page=True).seen
        captions = sum(1 for source, _ in header.names if source == "portrait caption")
        reading = PageReading(
            lines, lists, header, None, list(header.names), False, dropped + captions
        )
    entries = [it.entry for it in reading.lists.items]
    reading.owner = choose_owner(reading.candidates, entries, person=person)
    reading.warnings = warnings  # type: ignore[attr-defined]
    return reading


@dataclass
class _Pub:
    record: dict[str, Any]
    entries: int = 1


class PageSource:
    """A profile page read into Person, Organization and Publication records.

    ``key`` is the page's URL, or for a saved page its identity from the path relative to the
    project root (:func:`kg.ids.source_key`); ``stats`` and ``warnings`` are filled while
    iterating.
    ``known_names`` are spellings confirmed elsewhere (ORCID, DBLP, another page) that let the
    cleaner repair ambiguous name damage.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        person: str | None = None,
        org: str | None = None,
        known_names: Iterable[str] = (),
        url: str | None = None,
        client: HttpClient | None = None,
        name: str | None = None,
    ) -> None:
        if path is None and url is None:
            raise ValueError("a page source needs a path or a URL")
        self.path = path
        self.url = url
        self.client = client
        if url:
            self.key = url
        else:  # the page's path relative to the project root (or --source-name): no machine
            assert path is not None
            self.key = ids.source_key(name.strip() if name else source_name(path))
        self.label = url if url else str(path)
        self.person = person
        self.org = org
        self.known_names = frozenset(known_names)
        self.stats: dict[str, int] = {}
        self.warnings: list[str] = []
        #: data problems that make the import exit 1 (no publication list recognized)
        self.problems: list[str] = []
        self._records: list[dict[str, Any]] | None = None
        self._data: bytes | None = None

    def content_hash(self) -> str:
        """SHA-256 of the page bytes and the options that change what it yields."""
        data = self._read()
        return ids.hash_key(
            data.decode("utf-8", "replace"), self.person or "", self.org or "", length=64
        )

    def _read(self) -> bytes:
        if self._data is not None:
            return self._data
        if self.url is not None:
            data = fetch_page(self.url, self.client or HttpClient("page"))
        else:
            assert self.path is not None
            try:
                if self.path.is_dir():
                    raise SourceError(f"{self.path}: is a directory, expected a page file")
                # a regular file only (no device, FIFO, socket), refused over the size limit
                data = limits.read_file_bytes(self.path, limit="max_response_bytes")
            except FileNotFoundError:
                raise SourceError(f"{self.path}: no such file") from None
            except OSError as exc:
                raise SourceError(f"{self.path}: cannot read ({exc.strerror})") from None
        limits.check_size(len(data), where=self.label, limit="max_response_bytes")
        if not data.strip():
            raise DataError(f"{self.label}: page is empty")
        self._data = data
        return data

    def reading(self) -> PageReading:
        """The page as the reader sees it (what ``kg extract --explain`` prints)."""
        return read_page(self._read(), person=self.person, label=self.label, base_url=self.key)

    def iter_records(self) -> Iterator[RawRecord]:
        """Yield the page's records: owner, organizations, co-authors with repaired names, works."""
        if self._records is None:
            self._records = self.records()
        for number, record in enumerate(self._records, 1):
            yield RawRecord(number, record)

    def records(self) -> list[dict[str, Any]]:
        """Read the page and build its records (also fills ``stats`` and ``warnings``)."""
        self.stats = dict.fromkeys(
            ("entries", "publications", "duplicates_merged", "untitled", "topics",
             "boilerplate_dropped", "names_repaired", "names_reordered", "suspected_damage",
             "abstracts_truncated", "markers_removed", "structured_items", "structured_errors",
             "entries_not_taken"),
            0,
        )  # fmt: skip
        self.warnings = []
        self.problems = []
        reading = self.reading()
        self.warnings.extend(f"{self.label}: {w}" for w in getattr(reading, "warnings", []))
        self.stats["boilerplate_dropped"] = reading.dropped
        found = reading.structured
        if found is not None:
            self.stats["structured_items"] = found.items
            self.stats["structured_errors"] = found.errors
        for it in reading.lists.rejected:
            self.stats["entries_not_taken"] += 1
            self.warnings.append(
                f"{self.label}: lines {it.start + 1}-{it.end}: not read as a publication "
                f"({it.reason}): {reading.lines[it.start].text[:70]!r}"
            )
        if found is not None and found.article:
            # an article's page: its visible list is its references, not the owner's works
            return self._build_structured(found)
        items = [it for it in reading.lists.items if it.entry.confidence >= MIN_CONFIDENCE]
        for it in reading.lists.items:
            if it.entry.confidence < MIN_CONFIDENCE:
                self.stats["entries_not_taken"] += 1
                self.warnings.append(
                    f"{self.label}: lines {it.start + 1}-{it.end}: confidence "
                    f"{it.entry.confidence} below {MIN_CONFIDENCE}: not emitted"
                )
        if not items and found is not None and found.has_content:
            if not found.works:
                self.problems.append(
                    f"{self.label}: no publication list recognized (the page's structured data "
                    f"names its owner only); kg extract --explain page:{self.label} shows how "
                    "the page was read"
                )
            return self._build_structured(found)
        if not items:
            explain = f"kg extract --explain page:{self.label} shows how the page was read"
            if reading.owner is None:
                raise DataError(
                    f"{self.label}: no publication list recognized and no owner named; {explain}"
                )
            self.problems.append(f"{self.label}: no publication list recognized; {explain}")
        return self._build(reading, items)

    # -- building records --

    def _person_key(self, name: str) -> str:
        return f"page:{ids.hash_key(self.key, length=10)}:{_slug(name)}"

    def _build(self, reading: PageReading, items: list[Item]) -> list[dict[str, Any]]:
        head = reading.header
        records: list[dict[str, Any]] = []
        owner_key = owner_name = None
        if reading.owner is not None:
            owner_clean = clean_names.clean_name(reading.owner.name, known_names=self.known_names)
            owner_name = owner_clean.value
            owner_key = self._person_key(owner_name)
            owner: dict[str, Any] = {"type": "Person", "id": owner_key, "name": owner_name}
            if reading.owner.name != owner_name:
                self.stats["names_repaired"] += 1
            if head.job_title:
                owner["job_title"] = clean.clean_text(head.job_title).value
            if head.affiliation:
                aff: dict[str, Any] = {"name": clean.clean_text(head.affiliation).value}
                if head.job_title:
                    aff["role"] = owner["job_title"]
                owner["affiliations"] = [aff]
            if head.status:
                status: dict[str, Any] = {"value": head.status}
                if self.org:
                    status["organization"] = self.org
                if head.status_start:
                    status["start"] = head.status_start
                if head.status_end:
                    status["end"] = head.status_end
                if head.seen:
                    status["seen"] = head.seen
                owner["status"] = [status]
            topics = list(dict.fromkeys(clean.clean_text(t).value for t in head.topics))
            if topics:
                owner["topics"] = topics
            declared = reading.structured.owner if reading.structured is not None else None
            if declared:  # the page's JSON-LD Person, when it is the owner: its fields join
                person = embedded._person_record(declared)
                if person and name_key(person["name"]) == name_key(owner_name):
                    for key, value in person.items():
                        if key not in ("type", "name", "id"):
                            owner.setdefault(key, value)
            self.stats["topics"] = len(topics)
            records.append(owner)
            orgs = [o for o in (head.affiliation, self.org) if o]
            for org_name in dict.fromkeys(clean.clean_text(o).value for o in orgs):
                records.append({"type": "Organization", "name": org_name})
        pubs, people = self._publications(
            items, owner_name, owner_key, reading.owner.name if reading.owner else None
        )
        # co-authors after the works: the first record of a page is its owner, or a work
        records.extend(p.record for p in pubs)
        records.extend(people)
        return records

    def _publications(
        self,
        items: list[Item],
        owner_name: str | None,
        owner_key: str | None,
        owner_printed: str | None,
    ) -> tuple[list[_Pub], list[dict[str, Any]]]:
        entries = [it.entry for it in items]
        # Names printed cleanly elsewhere on the page confirm an ambiguous spelling too.
        page_names = {
            a.display for e in entries for a in e.authors if not clean_names.has_damage(a.display)
        }
        known = self.known_names | page_names
        owner_k = name_key(owner_name) if owner_name else None
        persons: dict[str, dict[str, Any]] = {}
        reported: set[str] = set()
        repaired: set[str] = set()
        reordered: set[str] = set()
        merged: dict[str, _Pub] = {}
        titles: dict[str, str] = {}
        self.stats["entries"] = len(entries)
        for number, (item, entry) in enumerate(zip(items, entries, strict=True), 1):
            title = clean.clean_text(entry.title) if entry.title else None
            abstract = clean.clean_abstract(entry.abstract) if entry.abstract else None
            damaged = any(clean_names.has_damage(a.display) for a in entry.authors)
            authors: list[dict[str, Any]] = []
            owner_listed = False
            for author in entry.authors:
                shown = strip_markers(author.display)
                printed = strip_markers(author.printed)
                if not shown:
                    continue
                cleaned = clean_names.clean_name(shown, known_names=known, list_damaged=damaged)
                item_rec: dict[str, Any] = {"name": clean.normalize_space(printed).value}
                if (
                    owner_k
                    and not owner_listed
                    and (name_key(cleaned.value) == owner_k or refers_to(owner_k, cleaned.value))
                ):
                    item_rec["person"] = owner_key
                    owner_listed = True
                elif cleaned.value != item_rec["name"] or author.family:
                    key = self._person_key(cleaned.value)
                    person = persons.setdefault(
                        key, {"type": "Person", "id": key, "name": cleaned.value}
                    )
                    if author.family and author.given:
                        person.setdefault("given_name", author.given)
                        person.setdefault("family_name", author.family)
                    item_rec["person"] = key
                for note in cleaned.suspicions:
                    if cleaned.value not in reported:
                        where = f"entry {number}" + (f" ({title.value[:60]})" if title else "")
                        shown_as = "" if cleaned.value == printed else f" in {printed!r}"
                        self.warnings.append(
                            f"{self.label}: {where}: suspected damage{shown_as}: {note.message}"
                        )
                if cleaned.suspicions:
                    reported.add(cleaned.value)
                if cleaned.repairs:
                    repaired.add(cleaned.value)
                if author.family:
                    reordered.add(cleaned.value)
                authors.append(item_rec)
            if owner_key and owner_printed and not owner_listed:
                authors.append(
                    {"name": owner_printed, "person": owner_key, "position_unknown": True}
                )
            if not authors:
                self.stats["entries_not_taken"] += 1
                self.warnings.append(
                    f"{self.label}: lines {item.start + 1}-{item.end}: "
                    f"{(title.value if title else 'an untitled entry')[:60]!r} names no author "
                    "and the page has no owner: not a publication record"
                )
                continue
            record: dict[str, Any] = {"type": "Publication"}
            if title:
                record["title"] = title.value
            record["authors"] = authors
            if abstract:
                record["abstract"] = abstract.value
                if abstract.truncated:
                    record["abstract_truncated"] = True
                self.stats["markers_removed"] += sum(
                    1 for n in abstract.repairs if n.rule == "truncation-marker"
                )
            if entry.doi:
                record["doi"] = entry.doi
            if entry.arxiv:
                record["arxiv"] = entry.arxiv
            if entry.year:
                record["date"] = entry.year
            if entry.venue:
                record["venue"] = clean.clean_text(entry.venue).value
            record["read_from"] = {
                "lines": [item.start + 1, item.end],
                "rules": list(dict.fromkeys(entry.how)) or ["fields by position"],
                "confidence": entry.confidence,
            }
            mkey = _merge_key(entry, record.get("title"), record.get("abstract"), item.start)
            tkey = "title:" + ids.normalize_title(record["title"]) if record.get("title") else None
            if mkey not in merged and tkey and tkey in titles:
                mkey = titles[tkey]  # the same title listed twice (journal and arXiv versions)
            if tkey:
                titles.setdefault(tkey, mkey)
            if mkey.startswith("untitled:"):
                record["id"] = f"page:{ids.hash_key(self.key, length=10)}:untitled-{mkey[9:]}"
                record["untitled"] = True  # the page lists it without a title: kept, flagged
            if mkey in merged:
                _merge_into(merged[mkey], record)
            else:
                merged[mkey] = _Pub(record)
        pubs = list(merged.values())
        self.stats["publications"] = len(pubs)
        self.stats["duplicates_merged"] = len(entries) - len(pubs)
        self.stats["untitled"] = sum(1 for p in pubs if "title" not in p.record)
        self.stats["abstracts_truncated"] = sum(
            1 for p in pubs if p.record.get("abstract_truncated")
        )
        self.stats["suspected_damage"] = len(reported)
        self.stats["names_repaired"] += len(repaired)
        self.stats["names_reordered"] = len(reordered)
        for p in pubs:
            if "title" not in p.record:
                self.warnings.append(
                    f"{self.label}: an entry has no title (kept untitled): "
                    f"{p.record.get('abstract', '')[:60]!r}"
                )
        return pubs, list(persons.values())

    def _build_structured(self, found: Any) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = found.records(
            owner=self.person, org=self.org, key_of=self._person_key
        )
        pubs = [r for r in records if r["type"] == "Publication"]
        self.warnings.extend(f"{self.label}: {msg}" for msg in found.skipped)
        self.stats["entries"] = found.entries
        self.stats["publications"] = len(pubs)
        self.stats["duplicates_merged"] = found.entries - len(pubs)
        self.stats["untitled"] = sum(1 for p in pubs if "title" not in p)
        self.stats["topics"] = sum(
            len(r.get("topics", [])) for r in records if r["type"] == "Person"
        )
        return records


PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def fetch_page(url: str, client: HttpClient) -> bytes:
    """GET a page politely: robots.txt honoured (RFC 9309), kg's User-Agent, the client's
    timeouts, size limit and on-disk cache; only HTML, XHTML or plain text is accepted."""
    from urllib.parse import urlsplit, urlunsplit
    from urllib.robotparser import RobotFileParser

    parts = urlsplit(url)
    robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    robots = RobotFileParser()
    try:
        answer = client.get(robots_url, accept="text/plain")
        robots.parse(answer.body.decode("utf-8", "replace").splitlines())
    except HttpError as exc:
        if exc.status in (401, 403):  # RFC 9309 2.3.1.3: unreachable -> disallow all
            raise SourceError(f"page:{url}: robots.txt answered HTTP {exc.status}") from None
        robots.parse([])  # 4xx: no robots.txt, everything allowed (RFC 9309 2.3.1.3)
    agent = str(client.session.headers.get("User-Agent", "kg"))
    if not robots.can_fetch(agent, url):
        raise SourceError(f"page:{url}: {parts.netloc}/robots.txt disallows fetching this page")
    resp = client.get(url, accept="text/html, application/xhtml+xml, text/plain;q=0.8")
    kind = resp.content_type.split(";")[0].strip().lower()
    if kind and kind not in PAGE_TYPES:
        raise DataError(f"page:{url}: the server sent {kind}, expected an HTML or text page")
    return resp.body


def _slug(name: str) -> str:
    return "-".join(ids.normalize_name(name).split())[:60] or "x"


def _merge_key(entry: Entry, title: str | None, abstract: str | None, at: int) -> str:
    if entry.doi:
        return "doi:" + entry.doi.lower()
    if entry.arxiv:
        return "arxiv:" + entry.arxiv
    if title:
        return "title:" + ids.normalize_title(title)
    names = "|".join(ids.normalize_name(a.display) for a in entry.authors)
    # distinct untitled entries stay distinct: with no names and no abstract, the place decides
    where = "" if names or abstract else f"line {at}"
    return "untitled:" + ids.hash_key(names, ids.normalize_title(abstract or ""), where)


def _merge_into(pub: _Pub, other: dict[str, Any]) -> None:
    """Merge a repeated entry: keep every field either copy has; a complete abstract wins."""
    pub.entries += 1
    rec = pub.record
    for fld, value in other.items():
        if fld not in rec:
            rec[fld] = value
    if other.get("abstract") and (
        (rec.get("abstract_truncated") and not other.get("abstract_truncated"))
        or (
            len(other["abstract"]) > len(rec.get("abstract", ""))
            and not other.get("abstract_truncated")
        )
    ):
        rec["abstract"] = other["abstract"]
        rec.pop("abstract_truncated", None)
    listed = [a for a in rec["authors"] if not a.get("position_unknown")]
    other_listed = [a for a in other["authors"] if not a.get("position_unknown")]
    if len(other_listed) > len(listed):
        rec["authors"] = other["authors"]


def _looks_html(data: bytes) -> bool:
    head = data[:4096].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or bool(
        re.search(rb"<(?:html|body|head|div|p|ul|h1|meta)\b", head)
    )
