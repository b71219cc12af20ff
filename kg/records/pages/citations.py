"""One-line reference strings split into authors, year, title and venue.

Research pages print publications as formatted references in a handful of families of styles.
Each family is one rule below, tried in order; a rule answers only when the author part parses
as an author list (:func:`kg.records.pages.names.parse_authors`) and a title remains:

* quoted title (IEEE, MLA, Chicago notes, German „…“): ``A. Smith and B. Jones, "Title," Venue``;
* author–year in parentheses (APA, Harvard, the Hugo Blox "citation" view):
  ``Bilen, H., & Vedaldi, A. (2017). Title. Venue.``;
* author–year after a period (Chicago author-date, ACM): ``Groth, Stefan. 2012. Title. Venue.``;
* authors, then title as the next sentence (Vancouver, ACM without year, "In proceedings of"):
  ``Forsythe A, Vanderwolf KJ, Xu J. Title. Journal. 2021;7(3):182.``

Editors ("Hrsg.", "(Eds.)", "ed.") are read as the name list and flagged. When the page
emphasised part of the string (``<i>``/``<em>``), that part is preferred as the title if it sits
where the style puts the title. Style guides: APA 7 §9–10, The Chicago Manual of Style 17 ch. 15,
IEEE Reference Guide, ICMJE/Vancouver (NLM "Citing Medicine").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.records.pages.names import Author, parse_authors

__all__ = ["YEAR", "Citation", "parse_citation"]

YEAR = re.compile(r"(?<![\d./-])((?:1[89]|20)\d\d)(?![\d/])")
_LABEL = re.compile(
    r"^(?:recommended citation|citation|cite as|zitiervorschlag|référence|reference)\s*:\s*",
    re.I,
)
_NUMBER = re.compile(r"^\s*(?:\[\d+\]|\d+[.)]|[•·▪–-])\s+")
_EDITORS = re.compile(
    r"(?:,?\s*\((?:hrsg|eds?|dir|coord|ed\.\s*by)\.?\)|,\s*(?:hrsg|eds?|dir)\b\.?)\s*(?=[.,]|\s|$)",
    re.I,
)
_QUOTES = [("„", "“"), ("“", "”"), ('"', '"'), ("«", "»"), ("‘", "’"), ("‚", "‘"), ("„", "”")]
_TRAIL = re.compile(r"(?:(?<=\b[A-ZÀ-ÖØ-Þ]\.)[,:;]+|(?<!\b[A-ZÀ-ÖØ-Þ])[,.:;]+)\s*$")
_PERIOD = re.compile(r"\.\s+(?=[\w\"“„‘«(\[])")
_NO_END = re.compile(
    r"(?:^|[\s(])(?:[A-ZÀ-ÖØ-Þ]|[A-Z][a-z]|vol|no|pp|ed|eds|Bd|Hrsg|al|Proc|Int|Conf|Vol|No|"
    r"Jr|Sr|St|Dr|Prof|vs|cf|e\.g|i\.e|Univ|Dept|Inc|Ltd)$"
)


@dataclass(frozen=True)
class Citation:
    """A reference string read into fields; ``style`` names the rule that read it."""

    authors: tuple[Author, ...]
    title: str
    year: str | None
    venue: str | None
    style: str
    editors: bool = False


def _sentences(text: str) -> list[str]:
    """Split at periods that end a sentence (not after an initial like "J." or "Ch.")."""
    out: list[str] = []
    start = 0
    for m in _PERIOD.finditer(text):
        if _NO_END.search(text[start : m.start()]):
            continue
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _first_sentence(rest: str) -> tuple[str, str]:
    """The title sentence and the rest; a title of one or two words takes its subtitle too
    ("Zusammen arbeiten. Praktiken der Koordination …")."""
    parts = _sentences(rest)
    if len(parts) > 2 and len(parts[0].split()) <= 2 and parts[1][:1].isupper():
        return f"{parts[0]}. {parts[1]}", " ".join(parts[2:])
    return parts[0], " ".join(parts[1:])


def _authors(part: str) -> tuple[tuple[Author, ...] | None, bool]:
    if part.strip()[:1] in "\"“„‘«'":
        return None, False
    part = _TRAIL.sub("", part.strip())
    if re.search(r"(?:^|,\s*)[^\W\d_][\w'’-]+\s+[A-Z]{1,3}\.$", part):
        part = part[:-1]  # Vancouver "…, Xu J." : the period ends the list, not an initial
    editors = bool(_EDITORS.search(part))
    part = _TRAIL.sub("", _EDITORS.sub("", part).strip())
    if not part:
        return None, editors
    return parse_authors(part), editors


_VOLUME_TAIL = re.compile(r",\s*\d+\s*(?:\(\d+(?:[-–]\d+)?\))?(?:,\s*(?:pp?\.\s*)?[\d–-]+)?\s*$")


def _title(text: str) -> str:
    text = _VOLUME_TAIL.sub("", text.strip().rstrip(" ."))  # "Title, 106(3), 237–251" (no venue)
    return text.strip().strip(" .,;:").strip()


def _venue(rest: str) -> str | None:
    rest = re.sub(r"https?://\S+|\bdoi:\s*\S+", "", rest, flags=re.I)
    rest = re.sub(r"^(?:in|in:|published in|appeared in|dans|en)\s+", "", rest.strip(), flags=re.I)
    rest = YEAR.sub("", rest).strip(" .,;:()[]")
    rest = re.sub(r"\s+([;,.:])", r"\1", " ".join(rest.split()))
    return rest if rest and re.search(r"[^\W\d_]", rest) else None


def _year(*parts: str) -> str | None:
    for part in parts:
        if m := YEAR.search(part or ""):
            return m.group(1)
    return None


def _ok_title(title: str) -> bool:
    if re.match(r"^(?:[A-ZÀ-ÖØ-Þ]\.\s|[^\W\d_][\w'’-]*\s+\()", title):
        return False  # "T. Houlsby (…)", "Nguyen (Applied Scientist)": the rest of a name
    words = title.split()
    names = parse_authors(title)
    return (
        len(title) >= 8
        and len(words) >= 2
        and (names is None or (len(names) == 1 and len(words) >= 3))
    )


def _quoted(text: str) -> Citation | None:
    best: tuple[int, int, int] | None = None
    for open_q, close_q in _QUOTES:
        i = text.find(open_q)
        if i <= 0:
            continue
        j = text.find(close_q, i + 1)
        if j < 0 or (best and i >= best[0]):
            continue
        best = (i, j, len(close_q))
    if best is None:
        return None
    i, j, n = best
    before, title, after = text[:i], text[i + 1 : j], text[j + n :]
    year_here = YEAR.search(before)
    author_part = before[: year_here.start()] if year_here else before
    authors, editors = _authors(re.sub(r"\(\s*$", "", author_part))
    title = _title(title)
    if not authors or not _ok_title(title):
        return None
    return Citation(
        authors, title, _year(before, after), _venue(after.lstrip('“”"’ .,')), "quoted", editors
    )


def _emphasised_title(rest: str, emphasised: tuple[str, ...]) -> tuple[str, str] | None:
    lead = rest.lstrip(" .")
    for em in emphasised:
        em = " ".join(em.split()).strip(" .,")
        if len(em) >= 8 and lead.startswith(em):
            return em, lead[len(em) :]
    return None


def _title_and_rest(rest: str, emphasised: tuple[str, ...]) -> tuple[str, str] | None:
    """The title where the style puts it (the emphasised span there, else the next sentence)
    and what follows it; None when what is left is no title."""
    picked = _emphasised_title(rest, emphasised)
    title, after = picked if picked else _first_sentence(rest)
    title = _title(title)
    return (title, after) if _ok_title(title) else None


def _author_year(text: str, emphasised: tuple[str, ...]) -> Citation | None:
    # APA / Harvard: Authors (2017). Title. Venue.
    m = re.match(
        r"^(?P<a>.+?)\s*\((?P<y>(?:1[89]|20)\d\d)[a-z]?(?:,[^)]*)?\)[.,:]?\s+(?P<r>.+)$", text
    )
    style = "author-year"
    if m is None:
        # Chicago author-date / ACM: Authors. 2012. Title. Venue.
        m = re.match(r"^(?P<a>.+?)[.,]\s+(?P<y>(?:1[89]|20)\d\d)[a-z]?\.\s+(?P<r>.+)$", text)
        style = "author-date"
    if m is None:
        return None
    authors, editors = _authors(m.group("a"))
    if not authors:
        return None
    found = _title_and_rest(m.group("r"), emphasised)
    if found is None:
        return None
    title, after = found
    return Citation(authors, title, m.group("y"), _venue(after), style, editors)


def _leading_authors(text: str, emphasised: tuple[str, ...]) -> Citation | None:
    # Vancouver / ACM without a year slot: the longest leading sentence(s) that parse as authors.
    if text[:1] in "\"“„‘«'":
        return None  # a quoted title opens the string: no author part before it
    cuts = [m for m in re.finditer(r"[.:]\s+", text)]
    best: tuple[tuple[Author, ...], bool, int] | None = None
    for m in cuts[:12]:
        head = text[: m.start()]
        if m.group().startswith(".") and re.search(r"(?:^|[,;&]\s*|\band\s+)[A-ZÀ-ÖØ-Þ]$", head):
            continue  # ", S. Ntalampiras": the period of an initial, not the end of the list
        if (
            m.group().startswith(".")
            and re.search(r"\b[A-ZÀ-ÖØ-Þ]$", head)
            and re.match(r"(?:de|van|von|der|da|di|du|del|la|le)\s|[A-ZÀ-ÖØ-Þ]\.", text[m.end() :])
        ):
            continue  # "Alexander G. de G. Matthews": the name goes on
        if m.group().startswith(".") and re.search(r"\b[A-ZÀ-ÖØ-Þ]$", head):
            nxt = re.match(r"([^\W\d_][\w'’-]*)\s*(?:[,;(&]|and\b|$)", text[m.end() :])
            if nxt and _authors(f"{head}. {nxt.group(1)}".split(",")[-1])[0]:
                continue  # "Jonathan T. Barron, …": a middle initial, the surname follows
        authors, editors = _authors(text[: m.start() + 1])
        if authors and m.group().startswith(":") and len(authors) < 2:
            continue  # "Narrative Legitimacy: A Narrative Approach": a title and its subtitle
        if authors:
            best = (authors, editors, m.end())
    if best is None:
        return None
    authors, editors, end = best
    found = _title_and_rest(text[end:], emphasised)
    if found is None or YEAR.fullmatch(found[0]):
        return None
    title, after = found
    return Citation(authors, title, _year(after, title), _venue(after), "authors-title", editors)


def parse_citation(text: str, *, emphasised: tuple[str, ...] = ()) -> Citation | None:
    """Read a one-line reference, or None when no rule reads it with an author list and title.

    >>> c = parse_citation("Bilen, H., & Vedaldi, A. (2017). Universal representations: The "
    ...     "missing link between faces, text, planktons, and cat breeds. arXiv preprint.")
    >>> [a.display for a in c.authors], c.year, c.title[:24], c.style
    (['H. Bilen', 'A. Vedaldi'], '2017', 'Universal representation', 'author-year')
    >>> c = parse_citation("Groth, Stefan, und Sarah May. 2023. „Morality as Practice“. In "
    ...     "Morality, herausgegeben von Sarah May. Münster: Waxmann.")
    >>> [a.display for a in c.authors], c.year, c.title
    (['Stefan Groth', 'Sarah May'], '2023', 'Morality as Practice')
    >>> c = parse_citation("Forsythe A, Vanderwolf KJ, Xu J. Landscape Genetic Connectivity. "
    ...     "Journal of Fungi. 2021; 7(3):182.")
    >>> [a.display for a in c.authors], c.year, c.title, c.venue
    (['A Forsythe', 'KJ Vanderwolf', 'J Xu'], '2021', 'Landscape Genetic Connectivity', 'Journal of Fungi; 7(3):182')
    >>> parse_citation("New paper! An et al. 2018 published in Science") is None
    True
    """
    text = " ".join(text.split())
    text = _NUMBER.sub("", _LABEL.sub("", text))
    if len(text) < 20 or len(text) > 3000:
        return None
    found = _quoted(text)
    if found is None:
        found = _author_year(text, emphasised)
    if found is None:
        found = _leading_authors(text, emphasised)
    return found
