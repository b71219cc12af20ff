"""``openalex:A5023888391`` (or an ORCID iD): an author and all their works from OpenAlex.

Calls (https://docs.openalex.org/):

1. ``GET /authors/{id}`` (or ``/authors/orcid:{orcid}``): the author;
2. ``GET /works?filter=author.id:{id}&per-page=200&cursor=*`` and then ``cursor={next_cursor}``
   until ``next_cursor`` is null or a page is empty (cursor paging,
   https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/paging). A cursor that comes
   back a second time is an error, never a loop.

Every request carries ``mailto`` (the polite pool) and, when ``KG_OPENALEX_API_KEY`` is set,
``api_key``. The works request selects only the fields kg maps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from kg import ids
from kg.errors import SourceError, UsageError
from kg.http import HttpClient, HttpError, api_base
from kg.records.apis._common import (
    ApiSource,
    as_dict,
    as_list,
    clean_doi,
    clean_orcid,
    dedupe,
    iso_date,
    prune,
    short,
    text_or_none,
    url_or_none,
    venue_type,
)
from kg.records.sources import Record, SourceOptions

__all__ = ["PER_PAGE", "WORK_FIELDS", "OpenAlexSource", "abstract_text", "open_openalex"]

PER_PAGE = 200
#: The work fields kg maps (``select=``): smaller pages, fewer bytes for the service to send.
WORK_FIELDS = (
    "id,doi,title,display_name,publication_date,publication_year,ids,type,primary_location,"
    "best_oa_location,locations,authorships,is_authors_truncated,topics,abstract_inverted_index"
)
_ARXIV_URL = re.compile(r"^https?://arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?$")


def parse_openalex_spec(value: str) -> tuple[str, str]:
    """``("author", "A…")`` or ``("orcid", "0000-…")`` for a spec value; UsageError otherwise.

    >>> parse_openalex_spec("https://openalex.org/a5023888391")
    ('author', 'A5023888391')
    >>> parse_openalex_spec("orcid:0000-0001-6187-6610")
    ('orcid', '0000-0001-6187-6610')
    """
    text = value.strip()
    if text.lower().startswith("orcid:"):
        text = text[len("orcid:") :]
    orcid = clean_orcid(text)
    if orcid:
        return ("orcid", orcid)
    try:
        bare = ids.openalex_id(text)
    except ValueError:
        bare = ""
    if bare.startswith("A"):
        return ("author", bare)
    raise UsageError(
        f"openalex:{value}: expected an OpenAlex author id (A5023888391) or an ORCID iD"
    )


def abstract_text(index: Any) -> str | None:
    """Rebuild an abstract from OpenAlex's ``abstract_inverted_index`` (word -> positions).

    >>> abstract_text({"Hello": [0], "world": [1, 3], "wide": [2]})
    'Hello world wide world'
    >>> abstract_text(None) is None
    True
    """
    if not isinstance(index, dict) or not index:
        return None
    slots: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            return None
        for pos in positions:
            if isinstance(pos, int) and 0 <= pos < 1_000_000:
                slots[pos] = str(word)
    text = text_or_none(" ".join(slots[p] for p in sorted(slots)))
    return text[:100000] if text else None


class OpenAlexSource(ApiSource):
    """One OpenAlex author and all their works."""

    api = "OpenAlex"

    def __init__(
        self, kind: str, ident: str, options: SourceOptions, *, client: HttpClient | None = None
    ) -> None:
        super().__init__(options, client=client)
        self.kind = kind
        self.ident = ident
        self.base = api_base("openalex")
        self.api_key = os.environ.get("KG_OPENALEX_API_KEY", "").strip() or None
        path = ident if kind == "author" else f"orcid:{ident}"
        self.key = f"https://api.openalex.org/authors/{path}"
        self.label = f"openalex:{ident}"
        self.author_id: str | None = ident if kind == "author" else None
        self.person_id = f"openalex:{ident}"

    def _params(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        params = dict(extra or {})
        if self.mailto:
            params["mailto"] = self.mailto
        if self.api_key:
            params["api_key"] = self.api_key
        return params

    def _get(self, path: str, params: dict[str, str], what: str) -> dict[str, Any]:
        try:
            data = self.http.get_json(f"{self.base}/{path}", params=self._params(params))
        except HttpError as exc:
            message = exc.api_message()
            if exc.status == 404:
                raise SourceError(f"no OpenAlex {what} ({exc.url} answered 404)") from None
            if exc.status in (400, 403) and message:
                raise SourceError(f"OpenAlex refused the request for {what}: {message}") from None
            raise
        return as_dict(data, what, self)

    def _records(self) -> Iterator[Record]:
        path = f"authors/{self.ident}" if self.kind == "author" else f"authors/orcid:{self.ident}"
        author = self._get(path, {}, f"author {self.ident}")
        person = self.map_author(author)
        yield person
        for work in self._works():
            record = self.map_work(work, person)
            if record is not None:
                yield record

    def _works(self) -> Iterator[dict[str, Any]]:
        cursor = "*"
        seen: set[str] = set()
        page = 0
        while True:
            page += 1
            params = {
                "filter": f"author.id:{self.author_id}",
                "per-page": str(PER_PAGE),
                "select": WORK_FIELDS,
                "cursor": cursor,
            }
            data = self._get("works", params, f"works of {self.author_id} (page {page})")
            results = as_list(data.get("results"), "results", self)
            meta = as_dict(data.get("meta"), "meta", self)
            if page == 1 and isinstance(meta.get("count"), int):
                self.expected = 1 + meta["count"]
            for item in results:
                yield as_dict(item, "results[]", self)
            next_cursor = meta.get("next_cursor")
            if not results or next_cursor is None:
                return
            if not isinstance(next_cursor, str) or not next_cursor:
                raise self.shape_error("meta.next_cursor", "a string or null", next_cursor)
            if next_cursor in seen or next_cursor == cursor:
                raise SourceError(
                    f"{self.label}: OpenAlex returned the same cursor again on page {page}; "
                    "stopped instead of looping"
                )
            seen.add(cursor)
            cursor = next_cursor

    # -- mapping ----------------------------------------------------------------------------

    def map_author(self, author: dict[str, Any]) -> Record:
        """The Person record of an OpenAlex author object."""
        try:
            openalex = ids.openalex_id(str(author.get("id", "")))
        except ValueError:
            raise self.shape_error("id", "an OpenAlex author id", author.get("id")) from None
        name = short(author.get("display_name"))
        if not name:
            raise self.shape_error("display_name", "a name", author.get("display_name"))
        if name == "Deleted Author" and not author.get("works_count"):
            raise SourceError(f"OpenAlex author {openalex} was deleted (merged or withdrawn)")
        self.author_id = openalex
        orcid = clean_orcid(author.get("orcid"))
        self.person_id = f"openalex:{openalex}"
        alternates = [
            s
            for s in (
                short(a)
                for a in as_list(
                    author.get("display_name_alternatives"), "display_name_alternatives", self
                )
            )
            if s and s != name
        ]
        id_urls = as_dict(author.get("ids"), "ids", self)
        same_as = [
            u
            for key, u in ((k, url_or_none(v)) for k, v in id_urls.items())
            if u and key not in {"openalex", "orcid"}
        ]
        known_ids = (
            as_dict(i, "last_known_institutions[]", self).get("id")
            for i in as_list(author.get("last_known_institutions"), "last_known_institutions", self)
        )
        last_known = {i for i in known_ids if isinstance(i, str)}  # an id that is no text: unknown
        affiliations = []
        for item in as_list(author.get("affiliations"), "affiliations", self):
            item = as_dict(item, "affiliations[]", self)
            institution = as_dict(item.get("institution"), "affiliations[].institution", self)
            org = short(institution.get("display_name"))
            if not org:
                continue
            entry: dict[str, Any] = {"name": org}
            ror = _ror(institution.get("ror"))
            if ror:
                entry["ror"] = ror
            years = sorted(
                y
                for y in as_list(item.get("years"), "affiliations[].years", self)
                if isinstance(y, int)
            )
            if years:
                entry["start"] = f"{years[0]:04d}"
                inst_id = institution.get("id")
                if not (isinstance(inst_id, str) and inst_id in last_known):
                    entry["end"] = f"{years[-1]:04d}"
            affiliations.append(entry)
        topics = [
            t
            for t in (
                short(as_dict(x, "topics[]", self).get("display_name"))
                for x in as_list(author.get("topics"), "topics", self)
            )
            if t
        ]
        return prune(
            {
                "type": "Person",
                "id": self.person_id,
                "name": name,
                "alternate_names": dedupe(alternates),
                "orcid": orcid,
                "openalex": openalex,
                "same_as": dedupe(same_as),
                "affiliations": affiliations[:200],
                "topics": dedupe(topics, limit=1000),
            }
        )

    def map_work(self, work: dict[str, Any], person: Record) -> Record | None:
        """The Publication record of an OpenAlex work; the author's own authorship linked."""
        try:
            openalex = ids.openalex_id(str(work.get("id", "")))
        except ValueError:
            raise self.shape_error("results[].id", "an OpenAlex work id", work.get("id")) from None
        owner_id = person.get("openalex")
        authors: list[dict[str, Any]] = []
        owner_found = False
        for item in as_list(work.get("authorships"), f"{openalex}.authorships", self):
            item = as_dict(item, f"{openalex}.authorships[]", self)
            author = as_dict(item.get("author"), f"{openalex}.authorships[].author", self)
            name = short(item.get("raw_author_name")) or short(author.get("display_name"))
            if not name:
                continue
            entry: dict[str, Any] = {"name": name}
            orcid = clean_orcid(author.get("orcid"))
            try:
                is_owner = ids.openalex_id(str(author.get("id"))) == owner_id
            except ValueError:
                is_owner = False
            if is_owner and not owner_found:
                owner_found = True
                entry["person"] = person["id"]
                orcid = orcid or person.get("orcid")
            if orcid:
                entry["orcid"] = orcid
            authors.append(entry)
        if work.get("is_authors_truncated"):
            self.warn(f"{openalex}: OpenAlex lists only the first {len(authors)} authors")
        if not owner_found:
            owner = {"name": person["name"], "person": person["id"], "position_unknown": True}
            if person.get("orcid"):
                owner["orcid"] = person["orcid"]
            authors.append(owner)
        primary = as_dict(work.get("primary_location"), f"{openalex}.primary_location", self)
        source = as_dict(primary.get("source"), f"{openalex}.primary_location.source", self)
        best = as_dict(work.get("best_oa_location"), f"{openalex}.best_oa_location", self)
        kind = work.get("type")
        vtype = (
            venue_type(kind)
            if kind in {"preprint", "book", "book-chapter", "dissertation"}
            else None
        )
        vtype = vtype or venue_type(source.get("type")) or venue_type(kind)
        topics = [
            t
            for t in (
                short(as_dict(x, "topics[]", self).get("display_name"))
                for x in as_list(work.get("topics"), f"{openalex}.topics", self)
            )
            if t
        ]
        return prune(
            {
                "type": "Publication",
                "doi": clean_doi(work.get("doi")),
                "arxiv": self._arxiv(work),
                "openalex": openalex,
                "title": short(work.get("title")) or short(work.get("display_name")),
                "authors": authors[:10000],
                "abstract": abstract_text(work.get("abstract_inverted_index")),
                "date": iso_date(work.get("publication_date"))
                or iso_date(str(work.get("publication_year") or "")),
                "venue": short(source.get("display_name")),
                "venue_type": vtype,
                "url": url_or_none(primary.get("landing_page_url")),
                "pdf_url": url_or_none(primary.get("pdf_url")) or url_or_none(best.get("pdf_url")),
                "topics": dedupe(topics, limit=1000),
            }
        )

    def _arxiv(self, work: dict[str, Any]) -> str | None:
        for loc in as_list(work.get("locations"), "locations", self):
            if not isinstance(loc, dict):
                continue
            for field in ("landing_page_url", "pdf_url"):
                m = _ARXIV_URL.match(str(loc.get(field) or ""))
                if m:
                    try:
                        return ids.arxiv_id(m.group(1))
                    except ValueError:
                        continue
        return None


def _ror(value: Any) -> str | None:
    try:
        return ids.ror(str(value)) if value else None
    except ValueError:
        return None


def open_openalex(value: str, options: SourceOptions) -> OpenAlexSource:
    """The opener registered for ``openalex:``."""
    kind, ident = parse_openalex_spec(value)
    return OpenAlexSource(kind, ident, options)
