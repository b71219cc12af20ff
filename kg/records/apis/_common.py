"""Pieces every API source shares: the HTTP client from the source options, counters, shape checks,
dates and text clean-up."""

from __future__ import annotations

import calendar
import html
import os
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from kg import ids
from kg.errors import DataError
from kg.http import HttpClient
from kg.records.sources import RawRecord, Record, SourceOptions

__all__ = [
    "ApiSource",
    "as_dict",
    "as_list",
    "clean_doi",
    "clean_orcid",
    "date_string",
    "dedupe",
    "iso_date",
    "jats_to_text",
    "prune",
    "short",
    "text_or_none",
    "url_or_none",
    "venue_type",
]

_URL_RE = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_SHORT_MAX = 2000


class ApiSource:
    """Base of the API sources: one :class:`HttpClient`, counters and warnings.

    Subclasses set ``api`` (the name in messages), ``key`` and ``label`` and implement
    :meth:`_records`; :meth:`iter_records` numbers what they yield.
    """

    api = "API"
    key: str
    label: str

    def __init__(self, options: SourceOptions, *, client: HttpClient | None = None) -> None:
        self.options = options
        mailto = options.mailto or os.environ.get("KG_MAILTO") or None
        self.mailto = mailto
        self.http = client or HttpClient(self.api, mailto=mailto, cache_dir=options.cache_dir)
        self.warnings: list[str] = []
        #: How many records the source expects to yield, once it knows (for a progress bar).
        self.expected: int | None = None
        self._records_out = 0

    @property
    def stats(self) -> dict[str, int]:
        """requests, retries, cache_hits, bytes (from the HTTP client) and records yielded."""
        return {**self.http.stats.as_dict(), "records": self._records_out}

    def iter_records(self) -> Iterator[RawRecord]:
        """Fetch and map; yields records numbered from 1. SourceError/DataError on failure."""
        self._records_out = 0
        try:
            for record in self._records():
                self._records_out += 1
                yield RawRecord(self._records_out, record)
        finally:
            self.http.close()

    def _records(self) -> Iterator[Record]:  # pragma: no cover - abstract
        raise NotImplementedError

    def warn(self, message: str) -> None:
        """Note something the user should know (an identifier that was dropped...)."""
        self.warnings.append(f"{self.label}: {message}")

    def shape_error(self, field: str, expected: str, got: Any) -> DataError:
        """A DataError naming the source and the field that had an unexpected shape."""
        return DataError(
            f"{self.label}: unexpected {self.api} response: '{field}' should be {expected}, "
            f"got {type(got).__name__}"
        )


def as_dict(value: Any, field: str, source: ApiSource) -> dict[str, Any]:
    """``value`` when it is an object; ``{}`` for null; DataError naming ``field`` otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise source.shape_error(field, "an object", value)
    return value


def as_list(value: Any, field: str, source: ApiSource) -> list[Any]:
    """``value`` when it is an array; ``[]`` for null; DataError naming ``field`` otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise source.shape_error(field, "an array", value)
    return value


def text_or_none(value: Any) -> str | None:
    """A clean one-line string (whitespace collapsed, NFC), or None for empty/non-strings.

    >>> text_or_none("  Deep\\n learning ")
    'Deep learning'
    >>> text_or_none("") is None and text_or_none(None) is None
    True
    """
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    return text or None


def short(value: Any) -> str | None:
    """:func:`text_or_none`, cut to the schema's 2000-character limit for short strings."""
    text = text_or_none(value)
    return text[:_SHORT_MAX].rstrip() if text else None


def url_or_none(value: Any) -> str | None:
    """An http(s) URL the record schema accepts, or None.

    >>> url_or_none(" https://example.org/a b"), url_or_none("www.example.org")
    (None, None)
    >>> url_or_none("https://example.org/x")
    'https://example.org/x'
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if _URL_RE.match(url) and len(url) <= 2000 else None


def date_string(year: Any, month: Any = None, day: Any = None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` from parts (strings or ints); None if no valid year.
    A month or day that is missing or out of range ends the date at the coarser precision.

    >>> date_string("2019", "07", "1"), date_string(2020, 13), date_string(None)
    ('2019-07-01', '2020', None)
    >>> date_string(1930, 2, 29)
    '1930-02'
    """
    try:
        y = int(str(year))
    except (TypeError, ValueError):
        return None
    if not 1000 <= y <= 2999:
        return None
    try:
        m = int(str(month)) if month is not None else 0
    except ValueError:
        m = 0
    if not 1 <= m <= 12:
        return f"{y:04d}"
    try:
        d = int(str(day)) if day is not None else 0
    except ValueError:
        d = 0
    if not 1 <= d <= calendar.monthrange(y, m)[1]:  # 1930-02-29 is not a date
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def iso_date(value: Any) -> str | None:
    """The ``YYYY[-MM[-DD]]`` prefix of an ISO date string such as ``2018-02-13`` or ``2018-02``.

    >>> iso_date("2018-02-13T00:00:00"), iso_date("nope")
    ('2018-02-13', None)
    """
    if not isinstance(value, str):
        return None
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value.strip())
    return date_string(*m.groups()) if m else None


_JATS_BLOCK = re.compile(r"</?(?:jats:)?(?:p|sec|title|list-item|list|disp-quote)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")


def jats_to_text(markup: str) -> str | None:
    """Plain text of a JATS (or HTML) abstract: tags dropped, paragraphs kept apart, entities
    decoded, a leading "Abstract" heading removed (JATS 1.3, https://jats.nlm.nih.gov/).

    >>> jats_to_text('<jats:title>Abstract</jats:title><jats:p>Fast <jats:italic>and</jats:italic> '
    ...              'safe &amp; sound.</jats:p><jats:p>Second.</jats:p>')
    'Fast and safe & sound.\\n\\nSecond.'
    """
    text = re.sub(
        r"^\s*<(?:jats:)?title[^>]*>\s*abstract\s*</(?:jats:)?title>", "", markup, flags=re.I
    )
    text = _JATS_BLOCK.sub("\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    result = "\n\n".join(p for p in paragraphs if p)
    if result.lower().startswith("abstract "):
        result = result[len("abstract ") :]
    return result[:100000] or None


_VENUE_TYPES = {
    "journal-article": "journal",
    "journal": "journal",
    "article": "journal",
    "review": "journal",
    "letter": "journal",
    "editorial": "journal",
    "conference-paper": "conference",
    "proceedings-article": "conference",
    "conference": "conference",
    "inproceedings": "conference",
    "proceedings": "conference",
    "preprint": "preprint",
    "posted-content": "preprint",
    "repository": "preprint",
    "book": "book",
    "book-chapter": "book",
    "monograph": "book",
    "edited-book": "book",
    "incollection": "book",
    "reference-entry": "book",
    "dissertation": "thesis",
    "dissertation-thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "report": "report",
    "working-paper": "report",
    "techreport": "report",
}


def venue_type(kind: Any) -> str | None:
    """The record's ``venue_type`` for an ORCID work type, Crossref type, OpenAlex source/work type
    or DBLP record element; ``other`` for a known-but-different kind, None when unknown.

    >>> venue_type("proceedings-article"), venue_type("book-chapter"), venue_type("dataset")
    ('conference', 'book', 'other')
    """
    if not isinstance(kind, str) or not kind.strip():
        return None
    return _VENUE_TYPES.get(kind.strip().lower().replace("_", "-"), "other")


def clean_doi(value: Any) -> str | None:
    """A bare lower-case DOI, or None when the value is not a DOI.

    >>> clean_doi("https://doi.org/10.7717/PEERJ.4375"), clean_doi("n/a")
    ('10.7717/peerj.4375', None)
    """
    if not isinstance(value, str):
        return None
    try:
        doi = ids.doi(value.strip())
    except ValueError:
        return None
    return doi if len(doi) <= 480 else None


def clean_orcid(value: Any) -> str | None:
    """A bare ORCID iD with a valid check character, or None.

    >>> clean_orcid("https://orcid.org/0000-0001-6187-6610"), clean_orcid("0000-0001-6187-6611")
    ('0000-0001-6187-6610', None)
    """
    if not isinstance(value, str):
        return None
    try:
        bare = ids.orcid(value.strip())
    except ValueError:
        return None
    return bare if ids.orcid_checksum_ok(bare) else None


def dedupe(values: list[str], *, limit: int = 100) -> list[str]:
    """Values in first-seen order without repeats (compared case-insensitively), at most ``limit``.

    >>> dedupe(["AI", "ai", "ML"])
    ['AI', 'ML']
    """
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(value)
    return out[:limit]


def prune(record: Record) -> Record:
    """The record without empty values (None, "", [], {}), so optional fields are simply absent.

    A publication the API lists without a title is marked ``untitled`` (kept, reported as a
    warning, never given an invented title).

    >>> prune({"type": "Publication", "title": None, "authors": [{"name": "A"}]})["untitled"]
    True
    """
    out = {k: v for k, v in record.items() if v not in (None, "", [], {})}
    if out.get("type") == "Publication" and "title" not in out:
        out["untitled"] = True
    return out
