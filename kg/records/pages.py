"""The ``page:`` source: a researcher's profile page (HTML or its extracted text) read into records.

A profile page names a person (a header with their name, status, job title and affiliation), a
few sections (research topics, publications) and a lot of noise (menus, cookie banners, chart
widgets). The reader works from structure and patterns, not from one site's markup:

* HTML is turned into *lines*: one per block element, with the heading level and the list item
  or article each line sits in (an entry boundary) and semantic class hints ("title", "authors",
  "abstract"). Navigation, banners, scripts and cookie dialogs are dropped and counted.
* Plain text (text copied from a page, like the seed profile) is already lines.
* Lines are read by :func:`parse_lines`: the header before the first section gives the person,
  a topics section gives topics, a publications section gives entries. Each publication line is
  classified as title, author list, abstract or metadata (year, venue, DOI, arXiv id); author
  lists may be "First Last" lines, comma lists, or "Last, First" lists with multi-word given
  names ("Gauss, Carl Friedrich; Weber, Wilhelm").
* HTML that carries structured data (schema.org JSON-LD, microdata, RDFa, read with extruct;
  Highwire ``citation_*`` meta tags as Google Scholar documents them,
  https://scholar.google.com/intl/en/scholar/inclusion.html#indexing) is mapped from that data.

Text is cleaned with :mod:`kg.records.clean`; authors keep the name as printed and a Person
record carries the repaired name. The page owner is an author of every listed paper: when an
entry omits them they are added with ``position_unknown``. An entry listed several times is one
publication. Untitled entries are kept without a title.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg import ids, limits
from kg.errors import DataError, SourceError, UsageError
from kg.records import clean
from kg.records.sources import RawRecord, SourceOptions, register_scheme

__all__ = [
    "Entry",
    "Line",
    "PageContent",
    "PageSource",
    "html_lines",
    "open_page",
    "parse_authors",
    "parse_lines",
    "text_lines",
]

# --- lines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a page: its text, heading level (1-6, 0 for none), the list item / article it
    sits in (``group``, -1 for none) and a semantic hint from class names ("title", "authors")."""

    text: str
    heading: int = 0
    group: int = -1
    hint: str = ""
    links: tuple[str, ...] = ()  #: DOI / arXiv links of the line's anchors


def text_lines(text: str) -> list[Line]:
    """Lines of a plain-text page (blank lines dropped).

    >>> [l.text for l in text_lines("Ada Lovelace\\n\\n  Publications \\n")]
    ['Ada Lovelace', 'Publications']
    """
    return [Line(s) for raw in text.splitlines() if (s := " ".join(raw.split()))]


_DROP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "footer", "iframe", "form",
              "button", "select", "canvas", "head", "title", "meta", "link", "input", "label",
              "dialog", "object", "map"}  # fmt: skip
_BOILER_ATTR = re.compile(
    r"cookie|consent|gdpr|banner|navbar|menu|breadcrumb|skip-?link|share|social|newsletter|"
    r"highcharts|chart|modal|popup|toolbar|site-?header|site-?footer|sidebar",
    re.IGNORECASE,
)
_BOILER_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "menu", "menubar",
                 "search", "toolbar"}  # fmt: skip
_BLOCK_TAGS = {"p", "div", "section", "article", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2",
               "h3", "h4", "h5", "h6", "table", "tr", "td", "th", "blockquote", "header", "main",
               "aside", "figure", "figcaption", "address", "pre", "body", "html", "details",
               "summary", "hr", "br"}  # fmt: skip
_GROUP_TAGS = {"li", "article", "tr", "dd"}
_HINTS = {
    "title": re.compile(r"(?:^|[-_ ])(?:title|headline|name-of-work)(?:$|[-_ ])", re.I),
    "authors": re.compile(r"author|contributor|creator", re.I),
    "abstract": re.compile(r"abstract|summary|description", re.I),
    "venue": re.compile(r"venue|journal|conference|booktitle|container|source|published", re.I),
    "date": re.compile(r"(?:^|[-_ ])(?:year|date|pubdate)(?:$|[-_ ])", re.I),
}


@dataclass
class _State:
    heading: int = 0
    group: int = -1
    hint: str = ""


@dataclass
class _HtmlWalk:
    lines: list[Line] = field(default_factory=list)
    dropped: int = 0
    groups: int = 0


def _attr_text(el: Any) -> str:
    return " ".join(
        str(el.get(a) or "") for a in ("id", "class", "aria-label", "data-testid", "itemprop")
    )


def _hint_of(el: Any) -> str:
    attrs = " ".join(str(el.get(a) or "") for a in ("class", "itemprop"))
    for hint, pattern in _HINTS.items():
        if pattern.search(attrs):
            return hint
    return ""


_ID_LINK = re.compile(r"doi\.org/10\.|arxiv\.org/(?:abs|pdf)/", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


def decode_html(data: bytes) -> str:
    """Decode HTML bytes: BOM, then ``<meta charset>``, then UTF-8 (replacing bad bytes).

    The HTML standard's encoding sniffing, reduced to what saved pages need
    (https://html.spec.whatwg.org/multipage/parsing.html#determining-the-character-encoding).

    >>> decode_html('<meta charset="latin-1"><p>Jo\u00e3o'.encode("latin-1"))[-4:]
    'João'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    m = _CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    return data.decode("utf-8", "replace")


def html_lines(html: str | bytes) -> tuple[list[Line], int]:
    """Lines of an HTML page and the number of boilerplate blocks dropped (menus, banners...).

    >>> lines, dropped = html_lines(b"<nav>Home | About</nav><h1>Ada Lovelace</h1>"
    ...     b"<ul><li><b class='title'>Notes</b><br>Ada Lovelace</li></ul>")
    >>> [(l.text, l.heading, l.hint) for l in lines], dropped
    ([('Ada Lovelace', 1, ''), ('Notes', 0, 'title'), ('Ada Lovelace', 0, '')], 1)
    """
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    if isinstance(html, bytes):
        html = decode_html(html)
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)  # lxml refuses str input with an XML declaration
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse HTML: {exc}") from None
    walk = _HtmlWalk()
    buf: list[str] = []
    links: list[str] = []
    state = _State()

    def flush() -> None:
        text = " ".join("".join(buf).split())
        buf.clear()
        if any(ch.isalnum() for ch in text):  # a line of punctuation only is a separator
            walk.lines.append(Line(text, state.heading, state.group, state.hint, tuple(links)))
        links.clear()

    def visit(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if not tag:  # comment or processing instruction
            if el.tail:
                buf.append(el.tail)
            return
        role = str(el.get("role") or "").lower()
        hidden = el.get("hidden") is not None or el.get("aria-hidden") == "true"
        if (
            tag in _DROP_TAGS
            or role in _BOILER_ROLES
            or hidden
            or (tag not in ("body", "html", "main") and _BOILER_ATTR.search(_attr_text(el)))
        ):
            if tag not in {"head", "script", "style", "meta", "link", "title", "template"}:
                walk.dropped += 1
            if el.tail:
                buf.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        saved = dataclasses.replace(state)
        if block:
            flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                state.heading = int(tag[1])
            if tag in _GROUP_TAGS:
                walk.groups += 1
                state.group = walk.groups
        href = str(el.get("href") or "") if tag == "a" else ""
        if _ID_LINK.search(href):
            links.append(href)
        hint = _hint_of(el)
        inline_field = bool(hint) and not block and state.group >= 0
        if inline_field:  # <span class="authors"> inside a list item is a line of its own
            flush()
        if hint:
            state.hint = hint
        if el.text:
            buf.append(el.text)
        for child in el:
            visit(child)
        if block or inline_field:
            flush()
        state.heading, state.group, state.hint = saved.heading, saved.group, saved.hint
        if el.tail:
            if inline_field and not el.tail.strip().strip(".,;:|·•–—-"):
                pass  # punctuation between fields
            else:
                buf.append(el.tail)

    body = root.find("body")
    visit(body if body is not None else root)
    flush()
    return walk.lines, walk.dropped


# --- line classification -----------------------------------------------------------------------

_PARTICLES = {"van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "le", "la",
              "dos", "das", "do", "bin", "ibn", "al", "el", "ten", "ter", "zu", "y", "e", "st.",
              "mac", "ben", "af", "av"}  # fmt: skip
# Words that occur in titles but not in personal names (English, French, German, Spanish).
_NOT_NAME = set(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "for",
        "in",
        "on",
        "at",
        "to",
        "with",
        "without",
        "from",
        "by",
        "via",
        "into",
        "onto",
        "over",
        "under",
        "is",
        "are",
        "be",
        "not",
        "no",
        "all",
        "you",
        "we",
        "our",
        "your",
        "how",
        "what",
        "when",
        "why",
        "which",
        "who",
        "can",
        "do",
        "does",
        "towards",
        "toward",
        "using",
        "use",
        "vs",
        "versus",
        "et",
        "le",
        "les",
        "des",
        "du",
        "un",
        "une",
        "pour",
        "sur",
        "avec",
        "dans",
        "par",
        "und",
        "der",
        "die",
        "das",
        "für",
        "mit",
        "von",
        "zur",
        "zum",
        "ein",
        "eine",
        "el",
        "los",
        "las",
        "para",
        "con",
        "por",
        "sin",
        "en",
        "y",
        "o",
        "learning",
        "learned",
        "network",
        "networks",
        "neural",
        "deep",
        "model",
        "models",
        "modeling",
        "modelling",
        "data",
        "analysis",
        "theory",
        "method",
        "methods",
        "approach",
        "approaches",
        "system",
        "systems",
        "graph",
        "graphs",
        "training",
        "optimization",
        "reinforcement",
        "language",
        "languages",
        "transformer",
        "transformers",
        "attention",
        "generative",
        "adversarial",
        "representation",
        "representations",
        "study",
        "survey",
        "towards",
        "efficient",
        "scaling",
        "large",
        "small",
        "new",
        "beyond",
        "case",
        "review",
        "problem",
        "problems",
        "algorithm",
        "algorithms",
        "function",
        "functions",
        "structure",
        "structures",
        "effect",
        "effects",
        "research",
        "university",
        "institute",
        "department",
        "laboratory",
        "lab",
        "centre",
        "center",
        "school",
        "faculty",
        "group",
        "google",
        "deepmind",
        "mila",
        "inc",
        "ltd",
        "gmbh",
        "publications",
        "topics",
        "interests",
        "member",
        "alumni",
        "professor",
        "scientist",
    ]
)
_TOKEN = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃŠŽČŘĎŤŇ][\w'’`\"~^.-]*|[A-Z]\.(?:-?[A-Z]\.)*|[A-Z])$")


def is_name(text: str) -> bool:
    """True when a short text reads as a personal name ("First [Middle] Last", particles allowed).

    >>> [is_name(t) for t in ["Hado van Hasselt", "Alexey A. Gritsenko", "Graph Neural Networks",
    ...                       "Attention Is All You Need", "Lukasz Kuci'nski", "Clare"]]
    [True, True, False, False, True, False]
    """
    text = text.strip()
    if not text or len(text) > 80 or re.search(r"[\d,:;?!()\[\]{}/@|=+*#«»]", text):
        return False
    tokens = text.split()
    if not 2 <= len(tokens) <= 6:
        return False
    real = 0
    for i, tok in enumerate(tokens):
        low = tok.casefold()
        if low in _PARTICLES and i < len(tokens) - 1:
            continue  # "van", "de" inside a name; a last "De" is a surname ("Soham De")
        initial = re.fullmatch(r"[A-Z]\.(?:-?[A-Z]\.)*|[A-Z]", tok) is not None
        if (not initial and low.strip(".,") in _NOT_NAME) or not _TOKEN.match(tok.rstrip(",")):
            return False
        if len(tok) > 2 and tok.isupper() and "." not in tok:
            return False  # an acronym (SPARC, LLM), not a name
        real += 1
    return real >= 2


def _is_given(text: str) -> bool:
    """Given names or initials of a "Last, First" pair: "Carl Friedrich", "C. F.", "J.-P."."""
    toks = text.split()
    return 1 <= len(toks) <= 4 and all(
        t.casefold() not in _NOT_NAME and (_TOKEN.match(t) or t.casefold() in _PARTICLES)
        for t in toks
    )


def _is_family(text: str) -> bool:
    toks = text.split()
    if not 1 <= len(toks) <= 4:
        return False
    core = [t for t in toks if t.casefold() not in _PARTICLES]
    return bool(core) and all(
        t.casefold() not in _NOT_NAME and _TOKEN.match(t) and not re.fullmatch(r"[A-Z]\.?", t)
        for t in core
    )


_LIST_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\bet\b|\bund\b|\by\b|\be\b|·|•|\|)\s*")


@dataclass(frozen=True)
class Author:
    """An author as printed, and the name in display order ("Last, First" turned around)."""

    printed: str
    display: str
    given: str | None = None
    family: str | None = None


def parse_authors(text: str) -> list[Author] | None:
    """Read an author list, or None when the text is not one.

    Handles one name per line, "A, B and C" lists, and "Last, First" lists whose given names may
    be several words or initials, separated by commas or semicolons.

    >>> [a.display for a in parse_authors("Gauss, Carl Friedrich, Weber, Wilhelm")]
    ['Carl Friedrich Gauss', 'Wilhelm Weber']
    >>> [a.display for a in parse_authors("Gauss, C. F.; van Hasselt, Hado")]
    ['C. F. Gauss', 'Hado van Hasselt']
    >>> [a.display for a in parse_authors("Clare Lyle, Zeyu Zheng and Will Dabney")]
    ['Clare Lyle', 'Zeyu Zheng', 'Will Dabney']
    >>> parse_authors("Graph neural networks, a survey") is None
    True
    """
    text = text.strip()
    if not re.search(r"\b[A-Z]\.$", text):  # keep the period of a final initial ("C.")
        text = text.rstrip(".")
    if not text or len(text) > 3000:
        return None
    if is_name(text):
        return [Author(text, text)]
    # "Last, First; Last, First"
    if ";" in text:
        chunks = [c.strip() for c in text.split(";") if c.strip()]
        out: list[Author] = []
        for chunk in chunks:
            chunk = re.sub(r"^(?:and|&|et|und)\s+", "", chunk)
            parts = [p.strip() for p in chunk.split(",")]
            if len(parts) == 2 and _is_family(parts[0]) and _is_given(parts[1]):
                out.append(_last_first(chunk, parts[0], parts[1]))
            elif len(parts) == 1 and is_name(parts[0]):
                out.append(Author(parts[0], parts[0]))
            else:
                return None
        return out or None
    parts = [p for p in _LIST_SPLIT.split(text) if p]
    if len(parts) >= 2 and all(is_name(p) for p in parts):
        return [Author(p, p) for p in parts]
    # "Last, First, Last, First" (only commas, possibly a final "and")
    commas = [p.strip() for p in re.split(r"\s*,\s*|\s+(?:and|&|et|und)\s+", text) if p.strip()]
    if len(commas) >= 2 and len(commas) % 2 == 0:
        pairs = [(commas[i], commas[i + 1]) for i in range(0, len(commas), 2)]
        if all(_is_family(f) and _is_given(g) for f, g in pairs):
            return [_last_first(f"{f}, {g}", f, g) for f, g in pairs]
    return None


def _last_first(printed: str, family: str, given: str) -> Author:
    return Author(printed, f"{given} {family}", given=given, family=family)


_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+?)(?=[.,;)\]]?(?:\s|$))", re.I)
_ARXIV = re.compile(r"\barXiv[:\s]\s*(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?", re.I)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})")
_YEAR = re.compile(r"(?<![\d.])((?:1[5-9]|20)\d\d)(?![\d.])")
_LINK_WORDS = re.compile(
    r"^(?:\[?(?:pdf|bibtex|bib|cite|code|slides|video|poster|project|html|abstract|doi|arxiv|"
    r"link|website|paper|preprint|ris|endnote)\]?[\s|·/,]*)+$",
    re.I,
)
_ABSTRACT_LABEL = re.compile(
    r"^(?:abstract|résumé|resume|zusammenfassung|resumen)\s*[:.—-]\s*", re.I
)
_VENUE_LABEL = re.compile(r"^(?:in|published in|appeared in|dans|erschienen in|en)\s*:?\s+", re.I)
# "Annalen der Physik, 1833", "(2024)", "Proc. of ..., 2013": a venue line ends with its year.
_VENUE_LINE = re.compile(r"(?:,\s*|\(|^(?:in:?|proc\.|proceedings)\b.*)(?:19|20)\d\d\)?\.?$", re.I)
_CITATION = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>(?:19|20)\d\d)[a-z]?\)\.?\s+(?P<rest>.+)$")


def _kind(line: Line) -> str:
    """title | authors | abstract | meta | links (a heuristic the docs list)."""
    text = line.text
    if line.hint == "abstract" or _ABSTRACT_LABEL.match(text):
        return "abstract"
    if _LINK_WORDS.match(text):
        return "links"
    words = len(text.split())
    if line.hint == "authors" and parse_authors(text):
        return "authors"
    if line.hint in ("venue", "date"):
        return "meta"
    if (_DOI.search(text) and words <= 6) or (_ARXIV.search(text) and words <= 6):
        return "meta"
    if (len(text) >= 200 and words >= 25) or (len(text) >= 120 and words >= 15 and ". " in text):
        return "abstract"
    if clean._MARKER.search(text) and words >= 8:
        return "abstract"
    if line.hint == "title":
        return "title"
    if _YEAR.search(text) and (words <= 4 or _VENUE_LINE.search(text)) and not parse_authors(text):
        return "meta"
    if parse_authors(text):
        return "authors"
    return "title"


# --- sections ----------------------------------------------------------------------------------

_SECTIONS = {
    "topics": re.compile(
        r"^(?:research\s+)?(?:topics|interests|areas|keywords|expertise|areas of expertise|"
        r"research topics|research interests|research areas|fields|thèmes de recherche|"
        r"domaines de recherche|centres d['’]intérêt|sujets de recherche|intérêts de recherche|"
        r"forschungs(?:gebiete|schwerpunkte|interessen|themen)|schwerpunkte|"
        r"(?:temas|áreas|líneas) de investigación|intereses)\s*:?$",
        re.I,
    ),
    "publications": re.compile(
        r"^(?:(?:selected|recent|featured|latest|key)\s+)?(?:publications?|papers|articles|"
        r"bibliography|publications? (?:récentes|choisies|sélectionnées)|publikationen|"
        r"veröffentlichungen|ausgewählte publikationen|publicaciones|pubblicazioni)\s*:?$",
        re.I,
    ),
    "other": re.compile(
        r"^(?:biography|bio|about|about me|news|contact|teaching|students|supervision|projects|"
        r"awards|education|talks|service|biographie|à propos|enseignement|projets|lehre|"
        r"projekte|kontakt|lebenslauf|cv|curriculum vitae|group|team)\s*:?$",
        re.I,
    ),
}
_PORTRAIT = re.compile(
    r"^(?:portrait|photo|picture|image|headshot|avatar|foto|bild)\s+(?:of|de|von|du)\s+(.+)$", re.I
)
_BOILER_LINE = re.compile(
    r"cookie|we use cookies|accept all|reject all|manage (?:preferences|consent)|privacy policy|"
    r"nous utilisons des cookies|wir verwenden cookies|utilizamos cookies|tout accepter|"
    r"alle akzeptieren|created with highcharts|highcharts\.com|chart context menu|"
    r"download (?:png|jpeg|svg|pdf) (?:image|document)|view data table|view in full screen|"
    r"no data to display|loading\s*(?:\.\.\.|…)|skip to (?:main )?content|back to top|"
    r"all rights reserved|^©|^copyright\b|^share(?: this)?$|^print$|^menu$|^search$|^home$|"
    r"^log ?in$|^sign ?in$|^close$|^toggle navigation$|"
    r"^(?:en|fr|de|es)(?:\s*\|\s*(?:en|fr|de|es))+$",
    re.I,
)
_STATUS = [
    (
        "alumni",
        r"\b(?:alumni|alumnus|alumna|former (?:member|student|postdoc)|ancien(?:ne)? membre|"
        r"ehemalige[rs]?|exalumn[oa]s?)\b",
    ),
    ("emeritus", r"\b(?:emerit(?:us|a)|émérite)\b"),
    ("visitor", r"\b(?:visiting|visitor|chercheur invité|gastwissenschaftler|invitad[oa])\b"),
    (
        "affiliate",
        r"\b(?:affiliate|associate) member\b|\bmembre (?:affilié|associé)e?\b|"
        r"\bassoziiertes mitglied\b|\bmiembro asociado\b",
    ),
    (
        "member",
        r"\b(?:core |academic |full |faculty )?member\b|\bmembre\b|\bmitglied\b|\bmiembro\b",
    ),
    ("former", r"\bformer\b|\bancien(?:ne)?\b"),
]
_STATUS_RE = [(value, re.compile(pattern, re.I)) for value, pattern in _STATUS]
_ROLE_WORDS = re.compile(
    r"\b(?:professor|prof\.|scientist|researcher|research|student|ph\.?d\.?|postdoc\w*|fellow|"
    r"engineer|lecturer|director|chair|head|lead|manager|investigator|associate|assistant|"
    r"intern|scholar|developer|analyst|professeur(?:e)?|chercheur|chercheuse|doctorant(?:e)?|"
    r"étudiant(?:e)?|maître de conférences|ingénieur(?:e)?|wissenschaftler(?:in)?|"
    r"doktorand(?:in)?|mitarbeiter(?:in)?|investigador(?:a)?|profesor(?:a)?|now)\b",
    re.I,
)
_ROLE_SPLIT = re.compile(
    r"\s*(?:,|\s@\s|\bat\b|\bchez\b|\bà\b|\bbei\b|\ban der\b|\ben\b|—|–|\s-\s|\|)\s*", re.I
)
_SPAN = re.compile(
    r"\(?\b((?:1[5-9]|20)\d\d)\s*(?:[-–—]|to|à|bis|a)\s*"
    r"((?:1[5-9]|20)\d\d|present|now|aujourd'hui|heute)?\)?",
    re.I,
)
_SEEN = re.compile(
    r"(?:last updated|updated|as of|mise à jour|stand|actualizado)\D{0,20}"
    r"((?:19|20)\d\d-\d\d(?:-\d\d)?)",
    re.I,
)


def _section_of(line: Line) -> str | None:
    text = line.text.strip().rstrip(":").strip()
    for name, pattern in _SECTIONS.items():
        if pattern.match(text):
            return name
    if line.heading >= 2:
        return "other"
    return None


# --- parsing -----------------------------------------------------------------------------------


@dataclass
class Entry:
    """A publication entry as read from the page (raw text, before cleaning)."""

    title: str | None = None
    authors: list[Author] = field(default_factory=list)
    abstract: str | None = None
    date: str | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    group: int = -1
    meta_seen: bool = False


@dataclass
class PageContent:
    """What :func:`parse_lines` read from a page: the person's fields and the raw entries."""

    name: str | None = None
    status: str | None = None
    status_text: str | None = None
    status_start: str | None = None
    status_end: str | None = None
    job_title: str | None = None
    affiliation: str | None = None
    topics: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    seen: str | None = None
    boilerplate: int = 0
    unread: int = 0


def _status_of(text: str) -> str | None:
    if len(text.split()) > 12:
        return None
    for value, pattern in _STATUS_RE:
        if pattern.search(text):
            return value
    return None


def _role_line(text: str) -> tuple[str | None, str | None]:
    """Split "Senior Research Scientist, Google DeepMind" into job title and organization."""
    text = re.sub(
        r"^(?:now|currently|actuellement|jetzt|derzeit)\s*[:,-]?\s*", "", text, flags=re.I
    )
    parts = [p for p in _ROLE_SPLIT.split(text, maxsplit=1) if p and p.strip()]
    if len(parts) == 2 and _ROLE_WORDS.search(parts[0]):
        return parts[0].strip(), parts[1].strip(" .")
    if _ROLE_WORDS.search(text):
        return text.strip(" ."), None
    return None, None


def parse_lines(lines: list[Line], *, person: str | None = None) -> PageContent:
    """Read a profile page's lines: header (person), topics, publication entries.

    >>> page = parse_lines(text_lines('''Ada Lovelace
    ... Alumni (1842–1843)
    ... Research Topics
    ... Analytical engines
    ... Publications
    ... Notes on the analytical engine
    ... Babbage, Charles; Lovelace, Ada'''))
    >>> page.name, page.status, page.status_start, page.topics, page.entries[0].title
    ('Ada Lovelace', 'alumni', '1842', ['Analytical engines'], 'Notes on the analytical engine')
    >>> [a.display for a in page.entries[0].authors]
    ['Charles Babbage', 'Ada Lovelace']
    """
    page = PageContent(name=person)
    section = "header"
    pubs: list[Line] = []
    for line in lines:
        text = line.text
        m = _PORTRAIT.match(text)
        if m:
            if page.name is None:
                page.name = m.group(1).strip()
            page.boilerplate += 1
            continue
        if _BOILER_LINE.search(text) and len(text.split()) <= 40:
            page.boilerplate += 1
            continue
        seen = _SEEN.search(text)
        if seen:
            page.seen = seen.group(1)
            continue
        new_section = _section_of(line)
        if new_section is not None:
            section = new_section
            continue
        if section == "header":
            _header_line(page, line)
        elif section == "topics":
            if len(text) <= 120 and len(text.split()) <= 14:
                page.topics.extend(t for t in re.split(r"\s*[;,•·|]\s*", text) if t)
            else:
                page.unread += 1
        elif section == "publications":
            pubs.append(line)
        else:
            page.unread += 1
    page.entries = _entries(pubs)
    if page.name is None:
        page.name = person
    return page


def _header_line(page: PageContent, line: Line) -> None:
    text = line.text
    if page.name is None and (line.heading == 1 or is_name(text)):
        page.name = text
        return
    if page.name is not None and clean.normalize_space(text).value == page.name:
        return  # the name again (a portrait caption, then the heading)
    status = _status_of(text)
    if status and (page.status is None or (status == page.status and _SPAN.search(text))):
        page.status, page.status_text = status, text
        span = _SPAN.search(text)
        if span:
            page.status_start = span.group(1)
            end = span.group(2)
            page.status_end = end if end and end[0].isdigit() else None
        rest = _SPAN.sub("", text)
        job, org = _role_line(dict(_STATUS_RE)[status].sub("", rest))
        if org and page.affiliation is None and len(rest) > 0 and status != "alumni":
            page.affiliation = org
        if job and job.strip(" ,.-–") and page.job_title is None and status != "alumni":
            page.job_title = job
        return
    job, org = _role_line(text)
    if job and page.job_title is None:
        page.job_title, page.affiliation = job, org or page.affiliation
        return
    page.unread += 1


def _layout(kinds: list[str]) -> str:
    """'title-first' or 'authors-first', by which transition dominates."""
    pairs = list(itertools.pairwise(kinds))
    t_a = sum(1 for a, b in pairs if a == "title" and b == "authors")
    a_t = sum(1 for a, b in pairs if a == "authors" and b == "title")
    starts_with_authors = bool(kinds) and kinds[0] == "authors"
    return "authors-first" if a_t > t_a or (a_t == t_a and starts_with_authors) else "title-first"


def _entries(lines: list[Line]) -> list[Entry]:
    kinds = [_kind(line) for line in lines]
    layout = _layout(kinds)
    entries: list[Entry] = []
    cur: Entry | None = None

    def new(group: int) -> Entry:
        entry = Entry(group=group)
        entries.append(entry)
        return entry

    for line, kind in zip(lines, kinds, strict=True):
        text = line.text
        if cur is not None and line.group >= 0 and line.group != cur.group:
            cur = None  # a new list item / article starts a new entry
        if line.links and cur is not None and kind == "links":
            _link_ids(cur, line.links)
        if kind == "links":
            continue
        cit = _CITATION.match(text) if kind == "title" else None
        if cit and (authors := parse_authors(cit.group("authors"))):
            cur = new(line.group)
            cur.authors = authors
            cur.date = cit.group("year")
            rest = re.split(r"(?<=[.?!])\s+", cit.group("rest"), maxsplit=1)
            cur.title = rest[0].rstrip(".")
            if len(rest) > 1:
                _meta(cur, rest[1])
            continue
        if kind == "meta":
            if cur is None:
                cur = new(line.group)
            _meta(cur, text)
            _link_ids(cur, line.links)
        elif kind == "abstract":
            if cur is None or cur.abstract is not None:
                cur = new(line.group)
            cur.abstract = _ABSTRACT_LABEL.sub("", text)
        elif kind == "authors":
            authors = parse_authors(text) or []
            if (
                cur is None
                or cur.abstract is not None
                or cur.meta_seen
                or (layout == "authors-first" and cur.title is not None)
            ):
                cur = new(line.group)
            cur.authors.extend(authors)
        else:  # title, or a venue line after the authors of a titled entry
            if (
                cur is not None
                and cur.title is not None
                and cur.authors
                and not cur.abstract
                and layout == "title-first"
                and _YEAR.search(text)
                and len(text.split()) <= 14
            ):
                _meta(cur, text)  # a venue line after the authors
                continue
            if (
                layout == "authors-first"
                and cur is not None
                and cur.title is None
                and not cur.abstract
                and not cur.meta_seen
            ):
                cur.title = text
            elif layout == "authors-first" and cur is not None and cur.title is not None:
                _meta(cur, text)
            else:
                cur = new(line.group)
                cur.title = text
            if line.links:  # a title linked to its DOI / arXiv page
                _link_ids(cur, line.links)
    return entries


def _link_ids(entry: Entry, links: tuple[str, ...]) -> None:
    for link in links:
        if (m := _DOI.search(link + " ")) and not entry.doi:
            entry.doi = m.group(1)
        if (m := _ARXIV_URL.search(link)) and not entry.arxiv:
            entry.arxiv = m.group(1)


def _meta(entry: Entry, text: str) -> None:
    entry.meta_seen = True
    if (m := _DOI.search(text)) and not entry.doi:
        entry.doi = m.group(1)
    if (m := _ARXIV.search(text) or _ARXIV_URL.search(text)) and not entry.arxiv:
        entry.arxiv = m.group(1)
    if (m := _YEAR.search(text)) and not entry.date:
        entry.date = m.group(1)
    venue = _VENUE_LABEL.sub("", text)
    venue = _DOI.sub("", _ARXIV.sub("", venue))
    venue = re.sub(r"https?://\S+|\bdoi:?\s*$", "", venue, flags=re.I)
    venue = _YEAR.sub("", venue).strip(" ,.;:()[]-–")
    if venue and not entry.venue and len(venue) <= 300 and re.search(r"[A-Za-z]", venue):
        entry.venue = venue


# --- records -----------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "-".join(ids.normalize_name(name).split())[:60] or "x"


def _merge_key(entry: Entry, title: str | None, abstract: str | None) -> str:
    if entry.doi:
        return "doi:" + entry.doi.lower()
    if entry.arxiv:
        return "arxiv:" + entry.arxiv
    if title:
        return "title:" + ids.normalize_title(title)
    names = "|".join(ids.normalize_name(a.display) for a in entry.authors)
    return "untitled:" + ids.hash_key(names, ids.normalize_title(abstract or ""))


@dataclass
class _Pub:
    record: dict[str, Any]
    entries: int = 1


class PageSource:
    """A profile page read into Person, Organization and Publication records.

    ``key`` is the page's file URI; ``stats`` and ``warnings`` are filled while iterating.
    ``known_names`` are spellings confirmed elsewhere (ORCID, DBLP, another page) that let the
    cleaner repair ambiguous name damage.
    """

    def __init__(
        self,
        path: Path,
        *,
        person: str | None = None,
        org: str | None = None,
        known_names: Iterable[str] = (),
    ) -> None:
        self.path = path
        self.key = path.resolve().as_uri()
        self.label = str(path)
        self.person = person
        self.org = org
        self.known_names = frozenset(known_names)
        self.stats: dict[str, int] = {}
        self.warnings: list[str] = []
        self._records: list[dict[str, Any]] | None = None

    def content_hash(self) -> str:
        """SHA-256 of the page bytes and the options that change what it yields."""
        data = self._read()
        return ids.hash_key(
            data.decode("utf-8", "replace"), self.person or "", self.org or "", length=64
        )

    def _read(self) -> bytes:
        try:
            data = limits.read_file_bytes(self.path, limit="max_response_bytes")
        except FileNotFoundError:
            raise SourceError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise SourceError(f"{self.path}: is a directory, expected a page file") from None
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read ({exc.strerror})") from None
        if not data.strip():
            raise DataError(f"{self.path}: page is empty")
        return data

    def iter_records(self) -> Iterator[RawRecord]:
        """Yield the page's records: owner, organizations, co-authors with repaired names, works."""
        if self._records is None:
            self._records = self.records()
        for number, record in enumerate(self._records, 1):
            yield RawRecord(number, record)

    def records(self) -> list[dict[str, Any]]:
        """Read the page and build its records (also fills ``stats`` and ``warnings``)."""
        data = self._read()
        self.stats = dict.fromkeys(
            ("entries", "publications", "duplicates_merged", "untitled", "topics",
             "boilerplate_dropped", "names_repaired", "names_reordered", "suspected_damage",
             "abstracts_truncated",
             "markers_removed", "structured_items", "structured_errors"),
            0,
        )  # fmt: skip
        self.warnings = []
        if _looks_html(data):
            from kg.records import pagedata

            structured = pagedata.extract(data, base_url=self.key, warnings=self.warnings)
            self.stats["structured_items"] = structured.items
            self.stats["structured_errors"] = structured.errors
            lines, dropped = html_lines(data)
            self.stats["boilerplate_dropped"] += dropped
            if structured.has_content:
                page = parse_lines(lines, person=self.person)  # for boilerplate counts only
                self.stats["boilerplate_dropped"] += page.boilerplate
                return self._build_structured(structured)
        else:
            text = data.decode("utf-8", "replace").removeprefix("\ufeff")
            lines = text_lines(text)
        page = parse_lines(lines, person=self.person)
        self.stats["boilerplate_dropped"] += page.boilerplate
        if page.name is None:
            raise DataError(
                f"{self.label}: cannot tell whose profile this page is; pass --person NAME"
            )
        return self._build(page)

    # -- building records from the parsed text --

    def _person_key(self, name: str) -> str:
        return f"page:{ids.hash_key(self.key, length=10)}:{_slug(name)}"

    def _build(self, page: PageContent) -> list[dict[str, Any]]:
        assert page.name is not None
        owner_clean = clean.clean_name(page.name, known_names=self.known_names)
        owner_name = owner_clean.value
        owner_key = self._person_key(owner_name)
        owner: dict[str, Any] = {"type": "Person", "id": owner_key, "name": owner_name}
        if page.name != owner_name:
            self.stats["names_repaired"] += 1
        if page.job_title:
            owner["job_title"] = clean.clean_text(page.job_title).value
        if page.affiliation:
            aff: dict[str, Any] = {"name": clean.clean_text(page.affiliation).value}
            if page.job_title:
                aff["role"] = owner["job_title"]
            owner["affiliations"] = [aff]
        if page.status:
            status: dict[str, Any] = {"value": page.status}
            if self.org:
                status["organization"] = self.org
            if page.status_start:
                status["start"] = page.status_start
            if page.status_end:
                status["end"] = page.status_end
            if page.seen:
                status["seen"] = page.seen
            owner["status"] = [status]
        topics = list(dict.fromkeys(clean.clean_text(t).value for t in page.topics))
        if topics:
            owner["topics"] = topics
        self.stats["topics"] = len(topics)

        orgs = [o for o in (page.affiliation, self.org) if o]
        records: list[dict[str, Any]] = [owner]
        for org_name in dict.fromkeys(clean.clean_text(o).value for o in orgs):
            records.append({"type": "Organization", "name": org_name})

        pubs, people = self._publications(page.entries, owner_name, owner_key, page.name)
        records.extend(people)
        records.extend(p.record for p in pubs)
        return records

    def _publications(
        self, entries: list[Entry], owner_name: str, owner_key: str, owner_printed: str
    ) -> tuple[list[_Pub], list[dict[str, Any]]]:
        # Names printed cleanly elsewhere on the page confirm an ambiguous spelling too.
        page_names = {
            a.display for e in entries for a in e.authors if not clean.has_damage(a.display)
        }
        known = self.known_names | page_names
        owner_norm = ids.normalize_name(owner_name)
        persons: dict[str, dict[str, Any]] = {}
        reported: set[str] = set()
        repaired: set[str] = set()
        reordered: set[str] = set()
        merged: dict[str, _Pub] = {}
        self.stats["entries"] = len(entries)
        for number, entry in enumerate(entries, 1):
            title = clean.clean_text(entry.title) if entry.title else None
            abstract = clean.clean_abstract(entry.abstract) if entry.abstract else None
            damaged = any(clean.has_damage(a.display) for a in entry.authors)
            authors: list[dict[str, Any]] = []
            owner_listed = False
            for author in entry.authors:
                cleaned = clean.clean_name(author.display, known_names=known, list_damaged=damaged)
                item: dict[str, Any] = {"name": clean.normalize_space(author.printed).value}
                norm = ids.normalize_name(cleaned.value)
                if norm == owner_norm:
                    item["person"] = owner_key
                    owner_listed = True
                elif cleaned.value != item["name"] or author.family:
                    key = self._person_key(cleaned.value)
                    person = persons.setdefault(
                        key, {"type": "Person", "id": key, "name": cleaned.value}
                    )
                    if author.family and author.given:
                        person.setdefault("given_name", author.given)
                        person.setdefault("family_name", author.family)
                    item["person"] = key
                for note in cleaned.suspicions:
                    if cleaned.value not in reported:
                        where = f"entry {number}" + (f" ({title.value[:60]})" if title else "")
                        printed = (
                            "" if cleaned.value == author.printed else f" in {author.printed!r}"
                        )
                        self.warnings.append(
                            f"{self.label}: {where}: suspected damage{printed}: {note.message}"
                        )
                if cleaned.suspicions:
                    reported.add(cleaned.value)
                if cleaned.repairs:
                    repaired.add(cleaned.value)
                if author.family:
                    reordered.add(cleaned.value)
                authors.append(item)
            if not owner_listed:
                authors.append(
                    {"name": owner_printed, "person": owner_key, "position_unknown": True}
                )
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
            for fld in ("doi", "arxiv", "date", "venue"):
                value = getattr(entry, fld)
                if value:
                    record[fld] = clean.clean_text(value).value if fld == "venue" else value
            mkey = _merge_key(entry, record.get("title"), record.get("abstract"))
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

    def _build_structured(self, structured: Any) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = structured.records(
            owner=self.person, org=self.org, key_of=self._person_key
        )
        pubs = [r for r in records if r["type"] == "Publication"]
        self.warnings.extend(f"{self.label}: {msg}" for msg in structured.skipped)
        self.stats["entries"] = structured.entries
        self.stats["publications"] = len(pubs)
        self.stats["duplicates_merged"] = structured.entries - len(pubs)
        self.stats["untitled"] = sum(1 for p in pubs if "title" not in p)
        self.stats["topics"] = sum(
            len(r.get("topics", [])) for r in records if r["type"] == "Person"
        )
        return records


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


def open_page(value: str, options: SourceOptions) -> PageSource:
    """The ``page:`` scheme opener: ``page:PATH`` (a saved HTML page or its text).

    URLs are not fetched by this version: save the page and pass the file.

    >>> open_page("https://example.org/p", SourceOptions())
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: page:https://example.org/p: fetching pages over HTTP is not supported; ...
    """
    if re.match(r"^https?://", value):
        raise UsageError(
            f"page:{value}: fetching pages over HTTP is not supported; "
            "save the page and use page:FILE"
        )
    if value.startswith("file://"):
        from urllib.parse import unquote, urlparse

        value = unquote(urlparse(value).path)
    return PageSource(Path(value), person=options.person, org=options.org)


register_scheme("page", open_page)
