"""Whose page is it? The owner from evidence, and the profile fields of the page's header.

A page names its owner in several places, none reliable alone: ``<title>`` ("Publications |
Andrea Gabrio"), ``og:title``/``og:site_name``, ``<meta name="author">``, the ``<h1>``, a
JSON-LD Person, a portrait caption ("Portrait of …"), the first line of copied text, and, most
telling, the name that recurs in the page's author lists. Each source adds weight
(:data:`WEIGHTS`); a candidate must be a plausible personal name (:func:`names.is_name` after
academic titles and nicknames are set aside: "PD Dr. Stefan Groth", "Boqi (Percy) Chen"), and
the best one must reach :data:`THRESHOLD`. A listing or lab page, whose names recur nowhere and
appear once in a caption, has no owner: its publications are still read.

The header before the first list gives the profile fields of institute member pages: status
(member, affiliate, alumni … with years), job title and affiliation, research topics.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.records.pages.blocks import Line
from kg.records.pages.fields import Entry
from kg.records.pages.lists import PUB_HEADING
from kg.records.pages.names import NOT_NAME, is_name, name_key

__all__ = ["THRESHOLD", "WEIGHTS", "Header", "Owner", "choose_owner", "read_header"]

WEIGHTS = {
    "<title>": 1.0,
    "og:title": 0.5,
    "og:site_name": 1.0,
    "meta author": 1.0,
    "h1": 1.0,
    "site title": 1.0,
    "JSON-LD Person": 1.0,
    "portrait caption": 1.0,
    "header line": 1.0,
    "first line": 0.5,
    "--person": 10.0,
}
THRESHOLD = 2.0

_HONORIFIC = re.compile(
    r"^(?:(?:prof\.?|professor|dr\.?|pd|priv\.-doz\.|mr\.?|ms\.?|mrs\.?|mx\.?|sir|dame|"
    r"ing\.?|dipl\.-\w+\.?|mag\.?|m\.sc\.?|b\.sc\.?)\s+)+",
    re.I,
)
_DEGREE = re.compile(r",?\s+(?:ph\.?\s?d\.?|m\.?d\.?|m\.?sc\.?|mba|frs|fba)\.?$", re.I)
_SITE_WORDS = re.compile(
    r"(?:['’]s)?\s*[-–|]?\s*(?:personal\s+|academic\s+|official\s+)?"
    r"(?:home\s?page|web\s?site|web\s?page|site|blog|home)$",
    re.I,
)
_NICK = re.compile(r"\s*[(\"“][^)\"”]{1,20}[)\"”]\s*")
_NOT_OWNER_WORDS = NOT_NAME | frozenset(
    [
        "player",
        "multimedia",
        "dialog",
        "cookie",
        "cookies",
        "settings",
        "privacy",
        "consent",
        "welcome",
        "hello",
        "home",
        "homepage",
        "website",
        "site",
        "personal",
        "academic",
        "lab",
        "group",
        "members",
        "full",
        "list",
        "photo",
        "gallery",
        "portfolio",
        "resume",
    ]
)
_PORTRAIT = re.compile(
    r"^(?:portrait|photo|picture|image|headshot|avatar|foto|bild)\s+(?:of|de|von|du)\s+"
    r"(.+?)(?:\s+is unavailable|\s+n'est pas disponible)?$",
    re.I,
)


@dataclass
class Owner:
    """The chosen owner: the name as the page prints it, its score and the evidence."""

    name: str
    score: float
    evidence: list[str] = field(default_factory=list)


def plausible(text: str) -> str | None:
    """The personal name in a candidate string, or None ("Group Members" is not one).

    >>> [plausible(t) for t in ["PD Dr. Stefan Groth", "Boqi (Percy) Chen", "Group Members",
    ...     "Multimedia Player", "HAKAN BILEN", "Full List Of Publications", "Alex Mielke Homepage"]]
    ['Stefan Groth', 'Boqi Chen', None, None, 'Hakan Bilen', None, 'Alex Mielke']
    """
    text = " ".join(text.split()).strip(" .,;:|")
    text = _SITE_WORDS.sub("", text).strip(" -–|")  # "Alex Mielke Homepage", "Ada's website"
    text = _DEGREE.sub("", _HONORIFIC.sub("", text))
    text = _NICK.sub(" ", text).strip()
    if not text or any(w.casefold().strip(".,") in _NOT_OWNER_WORDS for w in text.split()):
        return None
    if not is_name(text):
        return None
    if text.isupper():
        text = " ".join(w.capitalize() for w in text.split())
    return text


def refers_to(key: str, author: str) -> bool:
    """An author list name that refers to the candidate: same name, or initials and surname."""
    a = name_key(author).split()
    b = key.split()
    if not a or not b:
        return False
    if a == b:
        return True
    if a[-1] != b[-1] and a[0] != b[-1]:
        return False
    given_a = a[:-1] if a[-1] == b[-1] else a[1:]
    return bool(given_a) and all(g[0] == b[0][0] for g in given_a[:1])


def choose_owner(
    candidates: list[tuple[str, str]], entries: list[Entry], *, person: str | None = None
) -> Owner | None:
    """Weigh the candidates ``(source, text)`` and the author lists; None below the threshold.

    >>> from kg.records.pages.fields import Entry
    >>> from kg.records.pages.names import parse_authors
    >>> papers = [Entry(title="T", authors=list(parse_authors("A Gabrio, G Baio")))] * 3
    >>> choose_owner([("<title>", "Andrea Gabrio")], papers).name
    'Andrea Gabrio'
    >>> choose_owner([("portrait caption", "Yoshua Bengio")], []) is None
    True
    """
    if person:
        return Owner(person, WEIGHTS["--person"], ["--person"])
    # a page whose <title> or site name names something else (a lab, an institute) is not
    # owned by the name that recurs in its list: that is the lab's head, not the page's owner
    site_named = any(
        source in ("<title>", "og:site_name", "site title")
        and plausible(text) is None
        and len(text.split()) >= 2
        and not any(w.casefold() in _NOT_OWNER_WORDS for w in text.split()[:1])
        for source, text in candidates
    )
    scores: defaultdict[str, float] = defaultdict(float)
    shown: dict[str, str] = {}
    evidence: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for source, text in candidates:
        name = plausible(text)
        if not name:
            continue
        key = name_key(name)
        if (source, key) in seen:
            continue
        seen.add((source, key))
        scores[key] += WEIGHTS.get(source, 0.5)
        shown.setdefault(key, name)
        evidence.setdefault(key, []).append(source)
    with_authors = [e for e in entries if e.authors]
    if with_authors:
        counts: Counter[str] = Counter()
        for entry in with_authors:
            keys = {name_key(a.display) for a in entry.authors}
            for key in keys:
                counts[key] += 1
        # candidates named elsewhere gain from recurring (with initials: "A Gabrio")
        for key in list(scores):
            hits = sum(1 for e in with_authors if any(refers_to(key, a.display) for a in e.authors))
            share = hits / len(with_authors)
            if share >= 0.5 or (hits >= 1 and len(with_authors) <= 2):
                scores[key] += 1.0 + share
                evidence[key].append(f"in {hits} of {len(with_authors)} author lists")
        # a name in (nearly) every author list owns a page that names nobody else
        if len(with_authors) >= 3 and not site_named:
            key, hits = counts.most_common(1)[0]
            known = any(refers_to(k, key) for k in scores)
            if hits / len(with_authors) >= 0.8 and key not in scores and not known:
                display = next(
                    a.display for e in with_authors for a in e.authors if name_key(a.display) == key
                )
                if plausible(display):
                    scores[key] += 2.0
                    shown[key] = display
                    evidence[key] = [f"in {hits} of {len(with_authors)} author lists"]
    if not scores:
        return None
    key = max(scores, key=lambda k: (scores[k], len(evidence[k])))
    if scores[key] < THRESHOLD:
        return None
    return Owner(shown[key], round(scores[key], 2), evidence[key])


# --- the header of a member page -----------------------------------------------------------------

_TOPICS = re.compile(
    r"^(?:research\s+)?(?:topics|interests|areas|keywords|expertise|areas of expertise|"
    r"research topics|research interests|research areas|fields|thèmes de recherche|"
    r"domaines de recherche|centres d['’]intérêt|sujets de recherche|intérêts de recherche|"
    r"forschungs(?:gebiete|schwerpunkte|interessen|themen)|schwerpunkte|"
    r"(?:temas|áreas|líneas) de investigación|intereses)\s*:?$",
    re.I,
)
_STATUS = [
    ("alumni", r"\b(?:alumni|alumnus|alumna|former (?:member|student|postdoc)|ancien(?:ne)? membre|"
               r"ehemalige[rs]?|exalumn[oa]s?)\b"),
    ("emeritus", r"\b(?:emerit(?:us|a)|émérite)\b"),
    ("visitor", r"\b(?:visiting|visitor|chercheur invité|gastwissenschaftler|invitad[oa])\b"),
    ("affiliate", r"\b(?:affiliate|associate) member\b|\bmembre (?:affilié|associé)e?\b|"
                  r"\bassoziiertes mitglied\b|\bmiembro asociado\b"),
    ("member", r"\b(?:core |academic |full |faculty )?member\b|\bmembre\b|\bmitglied\b|"
               r"\bmiembro\b"),
    ("former", r"\bformer\b|\bancien(?:ne)?\b"),
]  # fmt: skip
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
_SECTION_END = re.compile(
    r"^(?:biography|bio|about|about me|news|contact|teaching|students|supervision|projects|"
    r"awards|education|talks|service|biographie|à propos|enseignement|projets|lehre|"
    r"projekte|kontakt|lebenslauf|cv|curriculum vitae|group|team|publications?|"
    r"current students|supervisor|superviseur)\s*:?$",
    re.I,
)


@dataclass
class Header:
    """Profile fields read from the lines before the list."""

    names: list[tuple[str, str]] = field(default_factory=list)  #: (evidence source, text)
    status: str | None = None
    status_start: str | None = None
    status_end: str | None = None
    job_title: str | None = None
    affiliation: str | None = None
    topics: list[str] = field(default_factory=list)
    seen: str | None = None
    boilerplate: int = 0


def status_of(text: str) -> str | None:
    """The membership status a short line states ("Affiliate Member" -> affiliate)."""
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
    if _ROLE_WORDS.search(text) and len(text.split()) <= 12:
        return text.strip(" ."), None
    return None, None


def portrait_name(text: str) -> str | None:
    """The name in a portrait caption ("Portrait of Ada Lovelace is unavailable")."""
    m = _PORTRAIT.match(text)
    return m.group(1).strip() if m else None


def read_header(lines: list[Line], *, text_page: bool) -> Header:
    """Read the header lines (before the publication list) of a profile page.

    >>> from kg.records.pages.blocks import text_lines
    >>> h = read_header(text_lines('''Portrait of Ada Lovelace
    ... Ada Lovelace
    ... Alumni (1842–1843)
    ... Research Topics
    ... Analytical engines'''), text_page=True)
    >>> h.status, h.status_start, h.topics, [s for s, _ in h.names]
    ('alumni', '1842', ['Analytical engines'], ['portrait caption', 'header line'])
    """
    head = Header()
    section = "header"
    for line in lines:  # "Last updated 2024-05-01" may stand anywhere, most often at the end
        if m := _SEEN.search(line.text):
            head.seen = m.group(1)
    for n, line in enumerate(lines):
        text = line.text
        if (name := portrait_name(text)) is not None:
            head.names.append(("portrait caption", name))
            continue
        if m := _SEEN.search(text):
            head.seen = m.group(1)
            continue
        if _TOPICS.match(text.rstrip(":")):
            section = "topics"
            continue
        if (
            _SECTION_END.match(text.rstrip(": "))
            or PUB_HEADING.match(text)
            or (line.heading >= 2 and section == "topics")
        ):
            section = "other"
            continue
        if line.heading == 1:
            head.names.append(("h1", text))
        if text_page and n == 0:
            head.names.append(("first line", text))
        if section == "topics":
            if len(text) <= 120 and len(text.split()) <= 14:
                head.topics.extend(t for t in re.split(r"\s*[;,•·|]\s*", text) if t)
            continue
        if section != "header":
            continue
        if text_page and n > 0 and plausible(text) and not line.heading:
            head.names.append(("header line", text))
            continue
        status = status_of(text)
        if status and (head.status is None or (status == head.status and _SPAN.search(text))):
            head.status = status
            span = _SPAN.search(text)
            if span:
                head.status_start = span.group(1)
                end = span.group(2)
                head.status_end = end if end and end[0].isdigit() else None
            rest = _SPAN.sub("", text)
            job, org = _role_line(dict(_STATUS_RE)[status].sub("", rest))
            if org and head.affiliation is None and status != "alumni":
                head.affiliation = org
            if job and job.strip(" ,.-–") and head.job_title is None and status != "alumni":
                head.job_title = job
            continue
        job, org = _role_line(text)
        if job and head.job_title is None and head.names:
            head.job_title, head.affiliation = job, org or head.affiliation
    return head
