"""The lines of one publication entry read into fields: title, authors, year, venue, abstract.

An entry is what the list finder (:mod:`kg.records.pages.lists`) hands over: the lines of one
repeated block. Each line gets a *kind* from its own text and the hints the page gave it
(:func:`line_kind`): a reference string (``cite``), an author list (``authors``), one name
(``name``), a venue/date line (``venue``), an abstract, link buttons, a heading, or free text
(``text``, the title candidates). :func:`read_entry` then assigns fields by kind and position:
the page's own markup (a "title" class, a heading, bold text) wins over position, and a
reference string fills what the separate lines did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.records import clean
from kg.records.pages.blocks import Line
from kg.records.pages.citations import YEAR, Citation, parse_citation
from kg.records.pages.names import (
    Author,
    is_name,
    name_key,
    parse_authors,
    parse_marked_authors,
    parse_name_lines,
)
from kg.records.pages.structured import BibEntry

__all__ = ["Entry", "fill_from_bibtex", "line_kind", "read_entry"]

DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+?)(?=[.,;)\]]?(?:\s|$))", re.I)
ARXIV = re.compile(r"\barXiv[:\s]\s*(\d{4}[.:]\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?", re.I)
ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})")
LINK_WORDS = re.compile(
    r"^(?:[\[(]?(?:pdf|bibtex|bib|cite|code|slides|video|poster|project(?: page)?|html|abstract|"
    r"doi|arxiv|link|website|web site|paper|preprint|ris|endnote|full paper|source-?code|"
    r"github|supplementary|supp|talk|blog|demo|data(?:set)?|url|press|media|award|see more|"
    r"show more|read more|more|expand|details|bibliography|publisher|open access)[\])]?"
    r"[\s|·/,•]*)+$",
    re.I,
)
ABSTRACT_LABEL = re.compile(
    r"^(?:abstract|résumé|resume|zusammenfassung|resumen|summary)\s*[:.—-]?\s*", re.I
)
_VENUE_START = re.compile(
    r"^(?:in\b|in:|published in|appeared in|to appear|accepted|submitted|under review|"
    r"proceedings|proc\.|journal\b|transactions|conference|workshop|symposium|preprint|"
    r"arxiv|biorxiv|medrxiv|ssrn|technical report|tech\. rep|phd thesis|master'?s thesis|"
    r"dans\b|erschienen in|en:|publicado en|presented at)",
    re.I,
)
_VENUE_WORDS = re.compile(
    r"\b(?:proceedings|proc\.|conference|journal|transactions|workshop|symposium|letters|"
    r"review|annals|press|arxiv|preprint|vol\.|volume|pp\.|pages|issue|no\.|ieee|acm|"
    r"springer|elsevier|nature|science|neurips|icml|iclr|cvpr|eccv|iccv|aaai|ijcai|acl|emnlp|"
    r"naacl|chi|kdd|www|sigir|icra|iros|miccai|interspeech|icassp|zeitschrift|revue|revista)\b",
    re.I,
)
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?"
    r"(?:19|20)\d\d\b",
    re.I,
)
_BADGE = re.compile(r"^[A-Z][A-Za-z0-9&+'’-]{0,15}(?:[- ][A-Z0-9][A-Za-z0-9]{0,10}){0,2}$")
_NAV = re.compile(r"^[^/|]{1,25}(?:\s+[/|]\s+[^/|]{1,25}){2,}$")  # "Email / CV / Scholar"
_BRACKETS = re.compile(r"^(?:\s*\[[^\]]{1,30}\]\s*[|·/,]?)+$")
_ROLE = re.compile(
    r"^(?:(?:assistant|associate|full|adjunct|visiting|senior|junior|principal|lead|staff|"
    r"research|postdoctoral|doctoral|graduate|undergraduate|former|current)\s+)*"
    r"(?:professor|director|lecturer|postdoc\w*|ph\.?d\.?|msc|m\.sc\.?|bsc|b\.sc\.?|ba|ma|"
    r"b\.?eng|m\.?eng|student|researcher|engineer|scientist|intern|co-op|fellow|"
    r"head of|chair of|manager|coordinator|administrator|alumn\w+|member)\b|"
    r"\b(?:at|@) (?:the )?(?:university|universit\w+|institute|college|school)\b",
    re.I,
)
_YEAR_TAIL = re.compile(r"[\s,]*\(?((?:19|20)\d\d)[a-z+]?\)?[.:]?\s*$")
_NOTE = re.compile(r"\s*\[[^\]]{0,80}\]\s*")


def author_text(text: str) -> tuple[str, str | None]:
    """An author line without a trailing year ("Cappozzo, A., Casa, A. (2025)") or an editorial
    note in brackets ("[including Cappozzo, A.]"), and the year.

    >>> author_text("Cappozzo, A., Casa, A. (2025)")
    ('Cappozzo, A., Casa, A.', '2025')
    """
    year = None
    if m := _YEAR_TAIL.search(text):
        year = m.group(1)
        text = text[: m.start()]
    return _NOTE.sub(" ", text).strip(), year


_FIRST_PERSON = re.compile(r"^(?:i|i'm|i’m|my|we|our|je|ich|yo|mi)\b", re.I)
_MORE_MARK = re.compile(r"…\s*\(see\s+(?:\d+\s+)?more\)|\(see \d+ more\)", re.I)


@dataclass
class Entry:
    """A publication as read from one entry of a page (text as printed, before cleaning)."""

    title: str | None = None
    authors: list[Author] = field(default_factory=list)
    year: str | None = None
    venue: str | None = None
    abstract: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    editors: bool = False
    how: list[str] = field(default_factory=list)  #: the rules that gave each field
    confidence: float = 0.0
    hidden_title: bool = False  #: the title came from hidden text (BibTeX), not the visible page

    def score(self) -> float:
        """A confidence from what was read and how (0-1): each field adds its weight; a title
        the page marked up or a reference string gave weighs more than a guessed one."""
        score = 0.0
        if self.title:
            firm = any("markup" in h or "reference" in h or "bold" in h for h in self.how)
            score += 0.35 + (0.1 if firm else 0)
        if self.authors:
            score += 0.3
        if self.year:
            score += 0.1
        if self.venue:
            score += 0.1
        if self.abstract:
            score += 0.05 if self.title else 0.2  # untitled: authors and abstract are the entry
        if self.doi or self.arxiv:
            score += 0.05
        return round(min(score, 1.0), 2)

    @property
    def weak_evidence(self) -> bool:
        """Enough inside a list already recognized: a title with any author, venue, year or
        abstract (a single-author thesis in a list of papers)."""
        if self.evidence:
            return True
        return bool(self.title) and bool(self.authors or self.year or self.venue or self.abstract)

    @property
    def evidence(self) -> bool:
        """Enough to call it a publication: a title with authors, or with a venue and year."""
        if not self.title:  # an untitled entry: its authors and abstract (never a bio)
            abstract = self.abstract or ""
            return bool(abstract and self.authors) and not _FIRST_PERSON.match(abstract)
        if self.authors and (len(self.authors) >= 2 or self.year or self.venue):
            return True
        return bool(self.year and self.venue)


def is_venue(text: str) -> bool:
    """A venue / date line: "In Proceedings of …, 2017", "eLife, 2022", "arXiv:2405.08645"."""
    words = len(text.split())
    if words > 45:
        return False
    if _VENUE_START.match(text) or ARXIV.search(text) or DOI.search(text):
        return True
    if YEAR.search(text) and (_VENUE_WORDS.search(text) or _MONTH.search(text)) and words <= 30:
        return True
    return bool(re.search(r",\s*(?:19|20)\d\d\.?\s*$", text) and words <= 25)


NOISE = re.compile(
    r"cookie|we use cookies|accept all|reject all|manage (?:preferences|consent)|privacy policy|"
    r"nous utilisons des cookies|wir verwenden cookies|utilizamos cookies|tout accepter|"
    r"alle akzeptieren|created with highcharts|highcharts\.com|chart context menu|"
    r"download (?:png|jpeg|svg|pdf) (?:image|document)|view data table|view in full screen|"
    r"no data to display|loading\s*(?:\.\.\.|…)|skip to (?:main )?content|back to top|"
    r"all rights reserved|^©|^copyright\b|^share(?: this)?$|^print$|^menu$|^search$|^home$|"
    r"^log ?in$|^sign ?in$|^close$|^toggle navigation$|^multimedia player$|"
    r"^(?:en|fr|de|es)(?:\s*\|\s*(?:en|fr|de|es))+$",
    re.I,
)


def line_kind(line: Line, *, owner_keys: frozenset[str] = frozenset()) -> str:
    """The kind of a line: cite, authors, name, venue, abstract, links, heading, year or text.

    >>> from kg.records.pages.blocks import Line
    >>> [line_kind(Line(t)) for t in ["Clare Lyle, Zeyu Zheng and Will Dabney", "2024",
    ...     "In Proceedings of ICML, 2019", "Attention Is All You Need", "[PDF] [Code]"]]
    ['authors', 'year', 'venue', 'text', 'links']
    """
    text = line.text
    if NOISE.search(text) and len(text.split()) <= 40:
        return "links"  # cookie banners, chart widgets, copyright lines: never data
    if YEAR.fullmatch(text.strip(" :")):
        return "year"
    if LINK_WORDS.match(text) or _BRACKETS.match(text) or _NAV.match(text):
        return "links"
    if line.hint == "abstract" or (ABSTRACT_LABEL.match(text) and len(text.split()) > 12):
        return "abstract"
    words = len(text.split())
    if line.hint == "authors":
        return "authors" if parse_marked_authors(text) else "text"
    authors = parse_authors(text)
    if not authors and (_YEAR_TAIL.search(text) or "[" in text):
        core, year = author_text(text)
        if core != text and (found := parse_authors(core)) and (year or len(found) >= 2):
            authors = found
    if not authors and words >= 6 and parse_citation(text, emphasised=line.em) is not None:
        return "cite"
    if authors and line.hint != "title":
        if len(authors) >= 2:
            return "authors"
        if name_key(authors[0].display) in owner_keys or name_key(text) in owner_keys:
            return "authors"
        return "name"
    if not authors and parse_marked_authors(text, share=0.8, least=5):
        return "authors"  # a long list whose names all but one or two read (mojibake)
    if _MORE_MARK.search(text) and words >= 8:
        return "abstract"
    if line.hint in ("venue", "date") or (line.hint != "title" and is_venue(text)):
        return "venue"
    if (len(text) >= 200 and words >= 25) or (len(text) >= 120 and words >= 18 and ". " in text):
        return "abstract"
    if line.heading:
        return "heading"
    return "text"


def _ids(entry: Entry, text: str, links: tuple[str, ...] = ()) -> None:
    for source in (*links, text):
        if (m := DOI.search(source + " ")) and not entry.doi:
            entry.doi = m.group(1).rstrip(".")
        if (m := ARXIV.search(source) or ARXIV_URL.search(source)) and not entry.arxiv:
            entry.arxiv = m.group(1).replace(":", ".")


def _venue_text(text: str) -> str | None:
    venue = re.sub(
        r"^(?:in|in:|published in|appeared in|dans|erschienen in|en)\s*:?\s+", "", text, flags=re.I
    )
    venue = DOI.sub("", ARXIV.sub("", venue))
    venue = re.sub(r"https?://\S+|\bdoi:?\s*$", "", venue, flags=re.I)
    venue = YEAR.sub("", venue).strip(" ,.;:()[]-–")
    venue = " ".join(venue.split())
    if venue and len(venue) <= 300 and re.search(r"[^\W\d_]", venue):
        return venue
    return None


def _use_citation(entry: Entry, cite: Citation) -> None:
    if not entry.title:
        entry.title = cite.title
        entry.how.append(f"title from a reference ({cite.style})")
    if not entry.authors or len(cite.authors) > len(entry.authors):
        entry.authors = list(cite.authors)
        entry.editors = cite.editors
        entry.how.append(f"authors from a reference ({cite.style})")
    entry.year = entry.year or cite.year
    entry.venue = entry.venue or cite.venue


def read_entry(
    lines: list[Line],
    *,
    owner_keys: frozenset[str] = frozenset(),
    kinds: list[str] | None = None,
) -> Entry:
    """Read the lines of one entry into an :class:`Entry` (see the module text for the rules).

    >>> from kg.records.pages.blocks import Line
    >>> e = read_entry([Line("Fast Fourier Color Constancy", hint="title"),
    ...     Line("Jonathan T. Barron, Yun-Ta Tsai"), Line("arXiv Preprint, 2016")])
    >>> e.title, [a.display for a in e.authors], e.year, e.venue
    ('Fast Fourier Color Constancy', ['Jonathan T. Barron', 'Yun-Ta Tsai'], '2016', 'arXiv Preprint')
    """
    entry = Entry()
    kinds = kinds or [line_kind(line, owner_keys=owner_keys) for line in lines]
    cites: list[Citation] = []
    names: list[str] = []
    titled_by_hint = any(line.hint == "title" or line.title_tag for line in lines)
    lines, kinds = _join_author_lines(lines, kinds)
    kinds = _damaged_names(lines, kinds)
    free_title: list[str] = []
    for idx, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
        text = line.text
        _ids(entry, text if kind in ("venue", "links", "cite") else "", line.links)
        if (
            line.strong
            and not titled_by_hint
            and kind in ("text", "heading")
            and not entry.title
            and not free_title
            and not entry.authors
        ):
            entry.title = text
            entry.how.append("title: the bold line")
            continue
        marked = line.title_tag or (line.hint == "title" and kind != "cite")
        if marked and not entry.title and kind not in ("year", "links"):
            entry.title = text
            entry.how.append("title from the page's markup")
            continue
        if kind == "cite":
            cite = parse_citation(text, emphasised=line.em)
            if cite:
                cites.append(cite)
            continue
        if kind == "authors":
            parsed = parse_authors(text)
            if parsed is None:
                parsed = parse_marked_authors(text, share=0.6 if line.hint == "authors" else 0.8)
            if parsed is None:
                core, year = author_text(text)
                parsed = parse_authors(core)
                entry.year = entry.year or year
            parsed = parsed or ()
            if not entry.authors:
                entry.authors = list(parsed)
                entry.how.append("authors from an author list")
            continue
        if kind == "name":
            if line.heading != 1:  # the page's <h1> names its owner, not an author
                names.append(text)
            continue
        if kind == "venue":
            entry.year = entry.year or (m.group(1) if (m := YEAR.search(text)) else None)
            if not entry.venue:
                entry.venue = _venue_text(text)
            continue
        if kind == "year":
            entry.year = entry.year or text.strip(" :")
            continue
        if kind == "abstract":
            if not entry.abstract:
                entry.abstract = ABSTRACT_LABEL.sub("", text)
            continue
        if kind in ("links", "heading") and not (kind == "heading" and not entry.title):
            continue
        # free text: the title when none yet (the first such line), else a note
        if (
            not entry.title
            and not free_title
            and not titled_by_hint
            and not (_BADGE.match(text) and idx + 1 < len(lines))
            and not _ROLE.search(text)
            and len(text.split()) >= 2
            and not re.match(r"^(?:[@#]|https?://|www\.)", text)
        ):
            free_title.append(text)
    if names and not entry.authors:
        parsed_lines = parse_name_lines(names)
        if parsed_lines:
            entry.authors = parsed_lines
            entry.how.append("authors: one name per line")
    # a reference string's title wins over a free line, unless they are the same title (the
    # free line is then the page's own rendering: "Filamentous …" where the reference has a typo)
    if (
        free_title
        and not entry.title
        and (not cites or any(_same_title(free_title[0], c.title) for c in cites))
    ):
        entry.title = free_title[0]
        entry.how.append("title: the first free line")
    for cite in cites:
        _use_citation(entry, cite)
    if entry.title:
        entry.title = _link_tail(entry.title.strip()).strip('"“”„').strip()
        if is_name(entry.title) and not cites and not titled_by_hint and entry.authors:
            pass
    entry.confidence = entry.score()
    return entry


def fill_from_bibtex(entry: Entry, bibs: list[BibEntry]) -> None:
    """Hidden BibTeX of an entry: fills what the visible text lacks, never contradicts it."""
    for bib in bibs:
        if entry.title and bib.title and _similar_title(entry.title, bib.title) < 0.85:
            continue
        if not entry.title and bib.title:
            entry.title = bib.title
            entry.hidden_title = True
            entry.how.append("title from BibTeX in the page")
        if bib.authors and len(bib.authors) > len(entry.authors):
            shown = {name_key(a.display) for a in entry.authors}
            if not shown or shown <= {name_key(n) for n in bib.authors} or len(entry.authors) < 2:
                entry.authors = [Author(n, n) for n in bib.authors]
                entry.how.append("authors from BibTeX in the page")
        entry.year = entry.year or bib.year
        entry.venue = entry.venue or bib.venue
        entry.doi = entry.doi or bib.doi
    entry.confidence = entry.score()


def _similar_title(a: str, b: str) -> float:
    from rapidfuzz.fuzz import ratio

    from kg import ids

    return float(ratio(ids.normalize_title(a), ids.normalize_title(b))) / 100


def _link_tail(title: str) -> str:
    """A title without the link labels rendered after it ("… Recommendation. CODE DATA")."""
    head, sep, tail = title.rpartition(". ")
    if (
        sep
        and len(head.split()) >= 3
        and all(LINK_WORDS.match(w.strip("[]().,|")) for w in tail.split())
    ):
        return head
    return title


def _same_title(a: str, b: str) -> bool:
    from rapidfuzz.fuzz import ratio

    x, y = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return x.startswith(y[:30]) or ratio(x[: len(y) + 10], y) >= 80


def _damaged_names(lines: list[Line], kinds: list[str]) -> list[str]:
    """Short lines inside a block of one-name lines are names as printed, damage and all
    ("Mirella Lapata. 2020", "Un-611": PDF extraction left them so)."""
    out = list(kinds)
    for i, kind in enumerate(kinds):
        if kind != "text" or len(lines[i].text) > 40 or len(lines[i].text.split()) > 4:
            continue
        if re.search(r"[:;?!]", lines[i].text):
            continue
        before = any(k == "name" for k in out[max(0, i - 2) : i])
        after = any(k == "name" for k in kinds[i + 1 : i + 3])
        if before and after and out[i - 1] in ("name", "text"):
            out[i] = "name"
    return out


def _join_author_lines(lines: list[Line], kinds: list[str]) -> tuple[list[Line], list[str]]:
    """An author list broken over two lines ("…, Mark D. Biggin," / "David W. Knowles, …")."""
    out_l: list[Line] = []
    out_k: list[str] = []
    for line, kind in zip(lines, kinds, strict=True):
        if (
            out_k
            and out_k[-1] == "authors"
            and kind in ("authors", "name")
            and re.search(r"(?:,|;|\band|&)\s*$", out_l[-1].text)
        ):
            prev = out_l[-1]
            out_l[-1] = Line(f"{prev.text} {line.text}", prev.heading, prev.hint, prev.links + line.links,
                             prev.em + line.em, prev.title_tag, prev.strong, prev.gap, prev.more + line.more,
                             prev.node)  # fmt: skip
            continue
        out_l.append(line)
        out_k.append(kind)
    return out_l, out_k


def strip_markers(text: str) -> str:
    """Remove a "… (see N more)" marker from a name."""
    return clean.normalize_space(_MORE_MARK.sub("", text)).value
