"""``orcid:0000-0002-1825-0097``: a person and their works from the ORCID public API v3.0.

Calls, in order (https://info.orcid.org/documentation/api-tutorials/api-tutorial-read-data-on-a-record/):

1. ``GET /v3.0/{orcid}/person``: names, other names, biography, researcher URLs, external
   identifiers, keywords;
2. ``GET /v3.0/{orcid}/employments`` and ``/educations``: dated affiliations;
3. ``GET /v3.0/{orcid}/works``: work summaries, grouped by ORCID (one group per work);
4. ``GET /v3.0/{orcid}/works/{put-code,put-code,...}``: the full works, 100 per request, because
   only the full work lists its contributors in order.

The person is yielded first, then one publication per work group. The person's own authorship
carries their ORCID and the person's ``id``, so the two link in the graph.
"""

from __future__ import annotations

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
    date_string,
    dedupe,
    jats_to_text,
    prune,
    short,
    text_or_none,
    url_or_none,
    venue_type,
)
from kg.records.sources import Record, SourceOptions

__all__ = ["BULK_SIZE", "OrcidSource", "open_orcid"]

#: Put-codes per bulk works request (the API's limit).
BULK_SIZE = 100
_ACCEPT = "application/json"
#: Contributor roles that are not authorship (ORCID v3.0 ``contributor-role``); every other role,
#: a CRediT role URI or no role counts as an author.
_NOT_AUTHOR_ROLES = {"editor", "chair-or-translator", "assignee", "support-staff"}


def parse_orcid_spec(value: str) -> str:
    """The bare ORCID iD of a spec value; UsageError when malformed or its check character is wrong.

    >>> parse_orcid_spec("https://orcid.org/0000-0002-1825-0097")
    '0000-0002-1825-0097'
    >>> parse_orcid_spec("123")
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: orcid:123: not an ORCID iD (expected 0000-0000-0000-000X)
    """
    try:
        bare = ids.orcid(value.strip())
    except ValueError:
        raise UsageError(f"orcid:{value}: not an ORCID iD (expected 0000-0000-0000-000X)") from None
    if not ids.orcid_checksum_ok(bare):
        raise UsageError(f"orcid:{value}: the ORCID iD's check character is wrong (ISO 7064 11,2)")
    return bare


class OrcidSource(ApiSource):
    """One ORCID record: the person, their affiliations and works."""

    api = "ORCID"

    def __init__(
        self, orcid: str, options: SourceOptions, *, client: HttpClient | None = None
    ) -> None:
        super().__init__(options, client=client)
        self.orcid = orcid
        self.base = api_base("orcid")
        self.key = f"https://pub.orcid.org/v3.0/{orcid}"
        self.label = f"orcid:{orcid}"
        self.person_id = f"orcid:{orcid}"

    # -- fetching ---------------------------------------------------------------------------

    def _get(self, section: str) -> dict[str, Any]:
        url = f"{self.base}/{self.orcid}/{section}"
        try:
            data = self.http.get_json(url, accept=_ACCEPT)
        except HttpError as exc:
            raise self._explain(exc) from None
        return as_dict(data, section, self)

    def _explain(self, exc: HttpError) -> SourceError:
        message = exc.api_message()
        if exc.status == 404:
            return SourceError(f"no ORCID record {self.orcid} ({exc.url} answered 404)")
        if exc.status == 409:
            return SourceError(
                f"ORCID record {self.orcid} is locked or deactivated"
                + (f": {message}" if message else "")
            )
        if exc.status == 400 and message:
            return SourceError(f"ORCID refused the request for {self.orcid}: {message}")
        return exc

    def _records(self) -> Iterator[Record]:
        person = self._get("person")
        employments = self._get("employments")
        educations = self._get("educations")
        works = self._get("works")
        record = self.map_person(person, employments, educations)
        yield record
        names = {
            ids.normalize_name(n) for n in [record["name"], *record.get("alternate_names", [])]
        }
        summaries = [self._preferred_summary(g, i) for i, g in enumerate(self._groups(works))]
        self.expected = 1 + sum(1 for s in summaries if s is not None)
        details = self._details([s for s in summaries if s is not None])
        for summary in summaries:
            if summary is None:
                continue
            full = details.get(str(summary.get("put-code")))
            publication = self.map_work(summary, full, owner_name=record["name"], names=names)
            if publication is not None:
                yield publication

    def _groups(self, works: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            as_dict(g, "works.group[]", self) for g in as_list(works.get("group"), "group", self)
        ]

    def _preferred_summary(self, group: dict[str, Any], index: int) -> dict[str, Any] | None:
        """The summary ORCID shows for the group: the highest display-index, first on ties."""
        summaries = [
            as_dict(s, f"group[{index}].work-summary[]", self)
            for s in as_list(group.get("work-summary"), f"group[{index}].work-summary", self)
        ]
        if not summaries:
            return None

        def rank(summary: dict[str, Any]) -> int:
            try:
                return int(str(summary.get("display-index", 0)))
            except ValueError:
                return 0

        best = max(rank(s) for s in summaries)
        return next(s for s in summaries if rank(s) == best)

    def _details(self, summaries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Full works by put-code, fetched ``BULK_SIZE`` at a time."""
        codes = [str(s["put-code"]) for s in summaries if s.get("put-code") is not None]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(codes), BULK_SIZE):
            chunk = codes[start : start + BULK_SIZE]
            data = self._get("works/" + ",".join(chunk))
            for item in as_list(data.get("bulk"), "bulk", self):
                work = as_dict(item, "bulk[]", self).get("work")
                if isinstance(work, dict) and work.get("put-code") is not None:
                    found[str(work["put-code"])] = work
        missing = len(codes) - len(found)
        if missing:
            self.warn(
                f"{missing} of {len(codes)} works had no full record; "
                "their authors other than the person are unknown"
            )
        return found

    # -- mapping ----------------------------------------------------------------------------

    def map_person(
        self,
        person: dict[str, Any],
        employments: dict[str, Any] | None = None,
        educations: dict[str, Any] | None = None,
    ) -> Record:
        """The Person record of an ORCID ``/person`` response and its affiliation sections."""
        name_part = as_dict(person.get("name"), "name", self)
        given = short(_value(name_part.get("given-names")))
        family = short(_value(name_part.get("family-name")))
        credit = short(_value(name_part.get("credit-name")))
        full = " ".join(p for p in (given, family) if p) or None
        name = credit or full
        if not name:
            # ORCID lets people hide their name; the record is still theirs.
            name = f"ORCID {self.orcid}"
            self.warn("the record shows no name; using the ORCID iD as its name")
        others = as_dict(person.get("other-names"), "other-names", self)
        alternates = [
            s
            for s in (
                short(o.get("content"))
                for o in as_list(others.get("other-name"), "other-names.other-name", self)
                if isinstance(o, dict)
            )
            if s
        ]
        if full and full != name:
            alternates.insert(0, full)
        biography = as_dict(person.get("biography"), "biography", self)
        urls_part = as_dict(person.get("researcher-urls"), "researcher-urls", self)
        same_as: list[str] = []
        for item in as_list(
            urls_part.get("researcher-url"), "researcher-urls.researcher-url", self
        ):
            url = url_or_none(_value(as_dict(item, "researcher-url[]", self).get("url")))
            if url:
                same_as.append(url)
        ext = as_dict(person.get("external-identifiers"), "external-identifiers", self)
        for item in as_list(
            ext.get("external-identifier"), "external-identifiers.external-identifier", self
        ):
            url = url_or_none(
                _value(as_dict(item, "external-identifier[]", self).get("external-id-url"))
            )
            if url:
                same_as.append(url)
        keywords = as_dict(person.get("keywords"), "keywords", self)
        topics: list[str] = []
        for item in as_list(keywords.get("keyword"), "keywords.keyword", self):
            content = text_or_none(as_dict(item, "keyword[]", self).get("content"))
            if content:
                topics.extend(
                    t for t in (short(p) for p in content.replace(";", ",").split(",")) if t
                )
        jobs = self._affiliations(employments or {}, "employment")
        affiliations = jobs + self._affiliations(educations or {}, "education")
        current_jobs = [a["role"] for a in jobs if "end" not in a and "role" in a]
        biography_text = text_or_none(biography.get("content"))
        return prune(
            {
                "type": "Person",
                "id": self.person_id,
                "name": name,
                "given_name": given,
                "family_name": family,
                "alternate_names": dedupe([a for a in alternates if a != name]),
                "orcid": self.orcid,
                "same_as": dedupe(same_as),
                "job_title": current_jobs[0] if current_jobs else None,
                "affiliations": affiliations[:200],
                "topics": dedupe(topics, limit=1000),
                "description": biography_text[:100000] if biography_text else None,
            }
        )

    def _affiliations(self, section: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for g, group in enumerate(
            as_list(section.get("affiliation-group"), "affiliation-group", self)
        ):
            group = as_dict(group, f"{kind}s.affiliation-group[{g}]", self)
            for item in as_list(group.get("summaries"), f"affiliation-group[{g}].summaries", self):
                summary = as_dict(
                    as_dict(item, "summaries[]", self).get(f"{kind}-summary"), kind, self
                )
                org = as_dict(summary.get("organization"), f"{kind}-summary.organization", self)
                org_name = short(org.get("name"))
                if not org_name:
                    continue
                role = short(summary.get("role-title"))
                department = short(summary.get("department-name"))
                if department and role:
                    role = f"{role}, {department}"
                elif department:
                    role = department
                entry: dict[str, Any] = {"name": org_name}
                ror = _ror(org.get("disambiguated-organization"))
                if ror:
                    entry["ror"] = ror
                if role:
                    entry["role"] = role[:2000]
                elif kind == "education":
                    entry["role"] = "education"
                for field, key in (("start-date", "start"), ("end-date", "end")):
                    date = _orcid_date(summary.get(field))
                    if date:
                        entry[key] = date
                out.append(entry)
        return out

    def map_work(
        self,
        summary: dict[str, Any],
        full: dict[str, Any] | None,
        *,
        owner_name: str,
        names: set[str] | None = None,
    ) -> Record | None:
        """The Publication record of one work: the full work when there is one, else the summary."""
        work = full or summary
        title_part = as_dict(work.get("title"), "work.title", self)
        title = short(_value(title_part.get("title")))
        doi = arxiv = None
        for ext in as_list(
            as_dict(work.get("external-ids"), "work.external-ids", self).get("external-id"),
            "external-ids.external-id",
            self,
        ):
            ext = as_dict(ext, "external-id[]", self)
            if ext.get("external-id-relationship") not in (None, "self"):
                continue
            kind = str(ext.get("external-id-type") or "").lower()
            value = text_or_none(ext.get("external-id-value"))
            if kind == "doi" and doi is None and value:
                doi = clean_doi(value)
                if doi is None:
                    self.warn(f"work {work.get('put-code')}: dropped a malformed DOI {value!r}")
            elif kind == "arxiv" and arxiv is None and value:
                try:
                    arxiv = ids.arxiv_id(value)
                except ValueError:
                    self.warn(
                        f"work {work.get('put-code')}: dropped a malformed arXiv id {value!r}"
                    )
        owner = {"name": owner_name, "orcid": self.orcid, "person": self.person_id}
        authors = self._contributors(full, owner, names or {ids.normalize_name(owner_name)})
        date = _orcid_date(work.get("publication-date"))
        abstract = None
        if full and isinstance(full.get("short-description"), str):
            abstract = jats_to_text(full["short-description"])
        return prune(
            {
                "type": "Publication",
                "doi": doi,
                "arxiv": arxiv,
                "title": title,
                "authors": authors,
                "abstract": abstract,
                "date": date,
                "venue": short(_value(work.get("journal-title"))),
                "venue_type": venue_type(work.get("type")),
                "url": url_or_none(_value(work.get("url"))),
            }
        )

    def _contributors(
        self, full: dict[str, Any] | None, owner: dict[str, Any], names: set[str]
    ) -> list[dict[str, Any]]:
        """Authors in the order the work lists them (one marked ``first`` moved to the front); the
        person marked; the person appended without a position when the list does not name them."""
        authors: list[dict[str, Any]] = []
        first: dict[str, Any] | None = None
        owner_found = False
        contributors = as_dict(full.get("contributors") if full else None, "contributors", self)
        for item in as_list(contributors.get("contributor"), "contributors.contributor", self):
            item = as_dict(item, "contributor[]", self)
            attributes = as_dict(item.get("contributor-attributes"), "contributor-attributes", self)
            role = attributes.get("contributor-role")
            if isinstance(role, str) and role.strip().lower() in _NOT_AUTHOR_ROLES:
                continue
            is_first = attributes.get("contributor-sequence") == "first" and first is None
            orcid_part = as_dict(item.get("contributor-orcid"), "contributor-orcid", self)
            orcid = clean_orcid(orcid_part.get("path") or orcid_part.get("uri"))
            name = short(_value(item.get("credit-name")))
            is_owner = orcid == self.orcid or (
                orcid is None and name is not None and ids.normalize_name(name) in names
            )
            if is_owner and not owner_found:
                owner_found = True
                entry: dict[str, Any] = {**owner, "name": name or owner["name"]}
            elif name:
                entry = {"name": name, "orcid": orcid} if orcid else {"name": name}
            else:
                continue
            authors.append(entry)
            if is_first:
                first = entry
        if first is not None and authors[0] is not first:
            authors.remove(first)
            authors.insert(0, first)
        if not owner_found:
            authors.append({**owner, "position_unknown": True})
        return authors[:10000]


def _value(node: Any) -> Any:
    """ORCID wraps most strings as ``{"value": ...}``."""
    return node.get("value") if isinstance(node, dict) else node


def _orcid_date(node: Any) -> str | None:
    """An ORCID fuzzy date ``{"year": {"value"}, "month": ..., "day": ...}`` as YYYY[-MM[-DD]]."""
    if not isinstance(node, dict):
        return None
    return date_string(_value(node.get("year")), _value(node.get("month")), _value(node.get("day")))


def _ror(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    if str(node.get("disambiguation-source", "")).upper() != "ROR":
        return None
    value = node.get("disambiguated-organization-identifier")
    try:
        return ids.ror(str(value))
    except ValueError:
        return None


def open_orcid(value: str, options: SourceOptions) -> OrcidSource:
    """The opener registered for ``orcid:``: UsageError for a malformed iD."""
    return OrcidSource(parse_orcid_spec(value), options)
