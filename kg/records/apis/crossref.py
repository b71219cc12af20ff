"""``doi:10.1371/journal.pone.0033693``: one publication from the Crossref REST API.

Calls ``GET /works/{doi}`` (https://api.crossref.org/swagger-ui/index.html, "Works"), with
``mailto`` so the request joins Crossref's polite pool. Maps the title (and subtitle), the authors
in the order Crossref lists them with their ORCID iDs, the date (``issued``, else
``published-print`` / ``published-online`` / ``published``), the container title as the venue, the
JATS abstract as plain text and the subjects as topics.

The DOI mints the publication's IRI, so a publication already in the store with that DOI (from
ORCID, OpenAlex, DBLP or a file) is enriched, not duplicated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from kg import ids
from kg.errors import SourceError, UsageError
from kg.http import HttpClient, HttpError, api_base
from kg.records.apis._common import (
    ApiSource,
    as_dict,
    as_list,
    clean_doi,
    clean_orcid,
    date_string,
    dedupe,
    jats_to_text,
    prune,
    short,
    url_or_none,
    venue_type,
)
from kg.records.sources import Record, SourceOptions

__all__ = ["CrossrefSource", "open_crossref"]

_DATE_FIELDS = ("issued", "published-print", "published-online", "published")
_TAG = re.compile(r"<[^>]+>")


def parse_doi_spec(value: str) -> str:
    """The bare lower-case DOI of a spec value; UsageError when it is not a DOI.

    >>> parse_doi_spec("https://doi.org/10.1371/JOURNAL.pone.0033693")
    '10.1371/journal.pone.0033693'
    >>> parse_doi_spec("12345")
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: doi:12345: not a DOI (expected 10.NNNN/...)
    """
    try:
        return ids.doi(value.strip())
    except ValueError:
        raise UsageError(f"doi:{value}: not a DOI (expected 10.NNNN/...)") from None


def _markup_text(value: Any) -> str | None:
    """A title with its inline markup (``<i>``, ``<sub>``, MathML) dropped.

    >>> _markup_text("H<sub>2</sub>O and <i>in vitro</i> &amp; more")
    'H2O and in vitro & more'
    """
    if not isinstance(value, str):
        return None
    return short(html.unescape(_TAG.sub("", value)))


class CrossrefSource(ApiSource):
    """One DOI's Crossref metadata."""

    api = "Crossref"

    def __init__(
        self, doi: str, options: SourceOptions, *, client: HttpClient | None = None
    ) -> None:
        super().__init__(options, client=client)
        self.doi = doi
        self.base = api_base("crossref")
        self.key = f"https://api.crossref.org/works/{doi}"
        self.label = f"doi:{doi}"

    def _records(self) -> Iterator[Record]:
        params = {"mailto": self.mailto} if self.mailto else None
        url = f"{self.base}/works/{quote(self.doi, safe='/:;()._-')}"
        try:
            data = self.http.get_json(url, params=params)
        except HttpError as exc:
            if exc.status == 404:
                raise SourceError(f"no Crossref record for DOI {self.doi}") from None
            message = exc.api_message()
            if exc.status == 400 and message:
                raise SourceError(f"Crossref refused DOI {self.doi}: {message}") from None
            raise
        envelope = as_dict(data, "response", self)
        if envelope.get("message-type") != "work":
            raise self.shape_error("message-type", "'work'", envelope.get("message-type"))
        record = self.map_work(as_dict(envelope.get("message"), "message", self))
        self.expected = 1 if record is not None else 0
        if record is None:
            self.warn("Crossref lists no authors for this work; nothing to import")
            return
        yield record

    def map_work(self, work: dict[str, Any]) -> Record | None:
        """The Publication record of a Crossref work (``message``); None without any author."""
        authors: list[dict[str, Any]] = []
        for item in as_list(work.get("author"), "message.author", self):
            item = as_dict(item, "message.author[]", self)
            given = short(item.get("given"))
            family = short(item.get("family"))
            name = " ".join(p for p in (given, family) if p) or short(item.get("name"))
            if not name:
                continue
            entry: dict[str, Any] = {"name": name[:2000]}
            orcid = clean_orcid(item.get("ORCID"))
            if orcid:
                entry["orcid"] = orcid
            elif item.get("ORCID"):
                self.warn(f"author {name}: dropped an ORCID iD with a wrong check character")
            authors.append(entry)
        if not authors:
            return None
        titles = [
            t for t in (_markup_text(x) for x in as_list(work.get("title"), "title", self)) if t
        ]
        subtitles = [
            t
            for t in (_markup_text(x) for x in as_list(work.get("subtitle"), "subtitle", self))
            if t
        ]
        title = titles[0] if titles else None
        if title and subtitles and subtitles[0].casefold() not in title.casefold():
            title = short(f"{title}: {subtitles[0]}")
        venues = [short(v) for v in as_list(work.get("container-title"), "container-title", self)]
        venue = next((v for v in venues if v), None)
        resource = as_dict(work.get("resource"), "resource", self)
        primary = as_dict(resource.get("primary"), "resource.primary", self)
        abstract = work.get("abstract")
        topics = [s for s in (short(x) for x in as_list(work.get("subject"), "subject", self)) if s]
        doi = clean_doi(work.get("DOI")) or self.doi
        return prune(
            {
                "type": "Publication",
                "doi": doi,
                "title": title,
                "authors": authors[:10000],
                "abstract": jats_to_text(abstract) if isinstance(abstract, str) else None,
                "date": self._date(work),
                "venue": venue,
                "venue_type": venue_type(work.get("type")) if venue or work.get("type") else None,
                "url": url_or_none(primary.get("URL")) or url_or_none(work.get("URL")),
                "topics": dedupe(topics, limit=1000),
            }
        )

    def _date(self, work: dict[str, Any]) -> str | None:
        for field in _DATE_FIELDS:
            node = as_dict(work.get(field), field, self)
            parts = as_list(node.get("date-parts"), f"{field}.date-parts", self)
            if parts and isinstance(parts[0], list) and parts[0] and parts[0][0] is not None:
                first = parts[0] + [None, None]
                date = date_string(first[0], first[1], first[2])
                if date:
                    return date
        return None


def open_crossref(value: str, options: SourceOptions) -> CrossrefSource:
    """The opener registered for ``doi:``."""
    return CrossrefSource(parse_doi_spec(value), options)
