"""``dblp:95/7448-1``: a person and their publications from the DBLP person XML.

Calls ``GET /pid/{pid}.xml`` (https://dblp.org/faq/How+to+use+the+dblp+search+API.html and
https://dblp.org/xml/docu/dblpxml.pdf, the record format). The XML is parsed with entity and
external-entity declarations refused (the attacks defusedxml guards against: "billion laughs",
external entity retrieval); a DOCTYPE naming DBLP's DTD is allowed but never fetched.

The person: name (DBLP's homonym number such as ``0001`` dropped), pid -> ``dblp``, aliases,
affiliation notes, ORCID and other profile ``<url>``s. Each publication (``<r>``): its authors in
order (their ``orcid`` attribute when DBLP has one), title, year, venue, key -> ``dblp``, DOI and
arXiv id from the ``<ee>`` links.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Iterator
from typing import Any

from kg import ids
from kg.errors import DataError, SourceError, UsageError
from kg.http import HttpClient, HttpError, api_base
from kg.limits import check_size
from kg.records.apis._common import (
    ApiSource,
    clean_doi,
    clean_orcid,
    date_string,
    dedupe,
    prune,
    short,
    url_or_none,
    venue_type,
)
from kg.records.sources import Record, SourceOptions

__all__ = ["DblpSource", "open_dblp", "parse_xml", "strip_homonym"]

_PID_RE = re.compile(r"^[a-z0-9]+(/[A-Za-z0-9_.-]+)+$")
_KEY_RE = re.compile(r"^[a-z]+(/[A-Za-z0-9_.-]+)+$")
_HOMONYM = re.compile(r"\s+\d{4}$")
_ARXIV_EE = re.compile(r"^https?://arxiv\.org/abs/(.+)$")
_RECORD_TAGS = {
    "article",
    "inproceedings",
    "proceedings",
    "book",
    "incollection",
    "phdthesis",
    "mastersthesis",
    "www",
    "data",
}


def parse_dblp_spec(value: str) -> str:
    """The DBLP person id of a spec value (bare or a dblp.org/pid URL); UsageError otherwise.

    >>> parse_dblp_spec("https://dblp.org/pid/95/7448-1.html")
    '95/7448-1'
    >>> parse_dblp_spec("Di Xu")
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: dblp:Di Xu: not a DBLP person id (expected e.g. 95/7448-1)
    """
    text = re.sub(r"^https?://(?:www\.)?dblp\.(?:org|uni-trier\.de)/pid/", "", value.strip())
    text = re.sub(r"\.(?:html|xml)$", "", text)
    if not _PID_RE.match(text) or len(text) > 200 or {".", ".."} & set(text.split("/")):
        raise UsageError(f"dblp:{value}: not a DBLP person id (expected e.g. 95/7448-1)")
    return text


def strip_homonym(name: str) -> str:
    """DBLP tells namesakes apart with a 4-digit suffix that is not part of the printed name.

    >>> strip_homonym("Di Xu 0001")
    'Di Xu'
    """
    return _HOMONYM.sub("", name.strip())


def parse_xml(data: bytes, *, where: str) -> ET.Element:
    """Parse XML, refusing entity declarations and external entities (no DTD is ever fetched).

    >>> parse_xml(b"<a><b>x</b></a>", where="t").find("b").text
    'x'
    >>> parse_xml(b'<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>', where="t")
    Traceback (most recent call last):
    ...
    kg.errors.DataError: t: the XML declares entities (refused for safety)
    """

    def refuse(*_: Any) -> None:
        raise DataError(f"{where}: the XML declares entities (refused for safety)")

    checker = xml.parsers.expat.ParserCreate()
    checker.EntityDeclHandler = refuse
    checker.UnparsedEntityDeclHandler = refuse
    checker.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        checker.Parse(data, True)
        return ET.fromstring(data)  # noqa: S314 - checked above: no entity declarations
    except (xml.parsers.expat.ExpatError, ET.ParseError) as exc:
        raise DataError(f"{where}: not well-formed XML ({exc})") from None


def _text(elem: ET.Element | None) -> str | None:
    """All the text inside an element (inline markup such as <i> or <sub> flattened)."""
    return short("".join(elem.itertext())) if elem is not None else None


class DblpSource(ApiSource):
    """One DBLP person page."""

    api = "DBLP"

    def __init__(
        self, pid: str, options: SourceOptions, *, client: HttpClient | None = None
    ) -> None:
        super().__init__(options, client=client)
        self.pid = pid
        self.base = api_base("dblp")
        self.key = f"https://dblp.org/pid/{pid}"
        self.label = f"dblp:{pid}"
        self.person_id = f"dblp:{pid}"
        self.person_orcid: str | None = None
        self.skipped_without_authors = 0

    def _records(self) -> Iterator[Record]:
        url = f"{self.base}/pid/{self.pid}.xml"
        try:
            resp = self.http.get(url, accept="application/xml")
        except HttpError as exc:
            if exc.status in (404, 410):
                raise SourceError(
                    f"no DBLP person {self.pid} ({exc.url} answered {exc.status})"
                ) from None
            raise
        check_size(len(resp.body), where=resp.url, limit="max_response_bytes")
        root = parse_xml(resp.body, where=f"{self.label} ({resp.url})")
        if root.tag != "dblpperson":
            raise DataError(f"{self.label}: expected a <dblpperson> document, got <{root.tag}>")
        self.expected = 1 + len(root.findall("r"))
        yield self.map_person(root)
        for r in root.findall("r"):
            for elem in r:
                if elem.tag in _RECORD_TAGS and elem.tag != "www":
                    record = self.map_publication(elem)
                    if record is not None:
                        yield record
        if self.skipped_without_authors:
            self.warn(
                f"left out {self.skipped_without_authors} entries that list no authors "
                "(edited volumes)"
            )

    def map_person(self, root: ET.Element) -> Record:
        """The Person record of a ``<dblpperson>`` document."""
        pid = root.get("pid") or self.pid
        if not _PID_RE.match(pid):
            raise DataError(f"{self.label}: dblpperson/@pid {pid!r} is not a DBLP person id")
        person = root.find("person")
        raw_name = root.get("name") or (
            _text(person.find("author")) if person is not None else None
        )
        if not raw_name:
            raise DataError(f"{self.label}: the DBLP person has no name (dblpperson/@name)")
        name = strip_homonym(raw_name)
        if person is not None and person.get("publtype") == "disambiguation":
            self.warn(
                f"DBLP marks {pid} as a disambiguation profile: its entries belong to several "
                "people who share the name"
            )
        aliases: list[str] = []
        affiliations: list[dict[str, Any]] = []
        same_as: list[str] = []
        orcid = None
        if person is not None:
            for author in person.findall("author"):
                alias = _text(author)
                if alias and strip_homonym(alias) != name:
                    aliases.append(strip_homonym(alias))
            for note in person.findall("note"):
                if note.get("type") == "affiliation":
                    org = _text(note)
                    if org:
                        entry: dict[str, Any] = {"name": org}
                        if note.get("label"):
                            entry["role"] = short(note.get("label"))
                        affiliations.append(entry)
            for link in person.findall("url"):
                url = url_or_none(_text(link))
                if not url:
                    continue
                found = clean_orcid(url) if "orcid.org" in url else None
                if found and orcid is None:
                    orcid = found
                else:
                    same_as.append(url)
        self.person_orcid = orcid
        self.pid = pid
        return prune(
            {
                "type": "Person",
                "id": self.person_id,
                "name": name,
                "alternate_names": dedupe(aliases),
                "dblp": pid,
                "orcid": orcid,
                "same_as": dedupe(same_as),
                "affiliations": affiliations[:200],
            }
        )

    def map_publication(self, elem: ET.Element) -> Record | None:
        """The Publication record of one DBLP record element (``article``, ``inproceedings``...)."""
        authors: list[dict[str, Any]] = []
        owner_found = False
        for author in elem.findall("author"):
            printed = _text(author)
            if not printed:
                continue
            entry: dict[str, Any] = {"name": strip_homonym(printed)}
            orcid = clean_orcid(author.get("orcid"))
            if author.get("pid") == self.pid and not owner_found:
                owner_found = True
                entry["person"] = self.person_id
                orcid = orcid or self.person_orcid
            if orcid:
                entry["orcid"] = orcid
            authors.append(entry)
        if not authors:
            self.skipped_without_authors += 1
            return None
        key = elem.get("key")
        doi = arxiv = url = None
        for ee in elem.findall("ee"):
            link = (ee.text or "").strip()
            if doi is None and "doi.org/" in link:
                doi = clean_doi(link)
            m = _ARXIV_EE.match(link)
            if arxiv is None and m:
                arxiv = _arxiv(m.group(1))
            if url is None:
                url = url_or_none(link)
        title = _text(elem.find("title"))
        if title and title.endswith(".") and not title.endswith(".."):
            title = title[:-1].rstrip() or None
        venue = _text(elem.find("journal")) or _text(elem.find("booktitle"))
        vtype = venue_type(elem.tag)
        if elem.tag == "article" and (elem.get("publtype") == "informal" or venue == "CoRR"):
            vtype = "preprint"
        school = _text(elem.find("school"))
        year = _text(elem.find("year"))
        return prune(
            {
                "type": "Publication",
                "doi": doi,
                "arxiv": arxiv,
                "dblp": key if key and _KEY_RE.match(key) and len(key) <= 300 else None,
                "title": title,
                "authors": authors[:10000],
                "date": date_string(year) if year else None,
                "venue": venue or school or _text(elem.find("publisher")),
                "venue_type": vtype,
                "url": url,
            }
        )


def _arxiv(value: str) -> str | None:
    try:
        return ids.arxiv_id(value)
    except ValueError:
        return None


def open_dblp(value: str, options: SourceOptions) -> DblpSource:
    """The opener registered for ``dblp:``."""
    return DblpSource(parse_dblp_spec(value), options)
