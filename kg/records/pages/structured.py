"""Structured data embedded in HTML pages, mapped to kg records (used by :mod:`kg.records.pages`).

Read with extruct (https://github.com/scrapinghub/extruct): schema.org JSON-LD
(https://json-ld.org/spec/latest/json-ld/), microdata (https://html.spec.whatwg.org/multipage/microdata.html)
and RDFa (https://www.w3.org/TR/rdfa-lite/); plus the Highwire Press ``citation_*`` meta tags
that Google Scholar reads (https://scholar.google.com/intl/en/scholar/inclusion.html#indexing).
Each syntax is extracted on its own, so one broken block (invalid JSON-LD) costs only that
block: it is counted in ``errors`` and described in the warnings, never raised.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kg import ids
from kg.records import clean, clean_names

__all__ = ["StructuredPage", "extract"]

_WORK_TYPES = {"ScholarlyArticle", "Article", "MedicalScholarlyArticle", "TechArticle", "Book",
               "Chapter", "Thesis", "Report", "CreativeWork", "Dataset", "Periodical"}  # fmt: skip
_VENUE_TYPES = {"Book": "book", "Chapter": "book", "Thesis": "thesis", "Report": "report"}
_SCHEMA = re.compile(r"^https?://schema\.org/")
_FOAF = "http://xmlns.com/foaf/0.1/"


@dataclass
class StructuredPage:
    """The people and works found in a page's structured data, before they become records."""

    persons: list[dict[str, Any]] = field(default_factory=list)
    works: list[dict[str, Any]] = field(default_factory=list)
    owner: dict[str, Any] | None = None
    items: int = 0
    errors: int = 0
    entries: int = 0
    skipped: list[str] = field(default_factory=list)
    #: the page declares itself one article (Highwire ``citation_*`` tags, or a single work):
    #: its visible lists are its references, not a publication list
    article: bool = False

    @property
    def has_content(self) -> bool:
        """True when the structured data gave a person or a work kg can use."""
        return bool(self.works or self.owner)

    def records(
        self, *, owner: str | None, org: str | None, key_of: Callable[[str], str]
    ) -> list[dict[str, Any]]:
        """Build the records: the owner (a ProfilePage's mainEntity, or ``owner``) and the works."""
        out: list[dict[str, Any]] = []
        owner_rec = _person_record(self.owner) if self.owner else None
        if owner and (
            owner_rec is None or ids.normalize_name(owner_rec["name"]) != ids.normalize_name(owner)
        ):
            owner_rec = {"type": "Person", "name": clean_names.clean_name(owner).value}
        owner_key = None
        if owner_rec:
            owner_key = key_of(owner_rec["name"])
            owner_rec = {
                "type": "Person",
                "id": owner_key,
                **{k: v for k, v in owner_rec.items() if k != "type"},
            }
            if org:
                owner_rec.setdefault("status", [{"value": "member", "organization": org}])
            out.append(owner_rec)
            for aff in owner_rec.get("affiliations", []):
                out.append({"type": "Organization", "name": aff["name"]})
        if org:
            out.append({"type": "Organization", "name": org})
        works: list[dict[str, Any]] = []
        for work in self.works:
            rec = _work_record(
                work, owner_key=owner_key, owner_name=owner_rec["name"] if owner_rec else None
            )
            if rec is None:
                title = _text(work.get("headline") or work.get("name")) or "an untitled work"
                self.skipped.append(f"{title[:80]!r} names no author: not a publication record")
                continue
            same = next((w for w in works if _same_work(w, rec)), None)
            if same is None:
                works.append(rec)
            else:  # the same work in JSON-LD and citation_* tags: one record, fields united
                for k, v in rec.items():
                    same.setdefault(k, v)
        out.extend(works)
        return _dedupe_orgs(out)


def _dedupe_orgs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out, names = [], set()
    for r in records:
        if r["type"] == "Organization":
            n = ids.normalize_name(r["name"])
            if n in names:
                continue
            names.add(n)
        out.append(r)
    return out


def _same_work(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same DOI or arXiv id; else the same normalized title when no identifier conflicts."""
    for key in ("doi", "arxiv"):
        if a.get(key) and b.get(key):
            return bool(str(a[key]).lower() == str(b[key]).lower())
    return bool(a.get("title")) and ids.normalize_title(a.get("title", "")) == ids.normalize_title(
        b.get("title", "")
    )


_RDFA_ATTR = re.compile(rb"""\s(?:typeof|vocab|property|about|resource|prefix)\s*=""", re.I)


def extract(data: bytes, *, base_url: str, warnings: list[str]) -> StructuredPage:
    """Extract JSON-LD, microdata, RDFa and ``citation_*`` tags; a broken syntax is only warned of.

    >>> page = extract(b'<html><head><script type="application/ld+json">{"@type": "Person",'
    ...     b' "name": "Ada\\n Lovelace"}</script></head></html>',
    ...     base_url="file:///x", warnings=[])
    >>> page.owner["name"]
    'Ada\\n Lovelace'
    """
    import extruct

    page = StructuredPage()
    nodes: list[dict[str, Any]] = []
    for syntax in ("json-ld", "microdata", "rdfa"):
        if syntax == "rdfa" and not _RDFA_ATTR.search(data):
            continue  # no RDFa attribute anywhere: pyRdfa would walk the whole DOM for nothing
        if syntax == "microdata" and b"itemscope" not in data.lower():
            continue
        if syntax == "json-ld" and b"application/ld+json" not in data.lower():
            continue
        if syntax == "microdata" and _microdata_depth(data) > MAX_MICRODATA_DEPTH:
            page.errors += 1
            warnings.append(
                f"{base_url}: microdata skipped: items nested more than {MAX_MICRODATA_DEPTH} "
                "deep (extruct's time grows with about the fourth power of the depth)"
            )
            continue
        try:
            found = extruct.extract(data, base_url=base_url, syntaxes=[syntax], uniform=True)
        except Exception as exc:  # extruct raises whatever its parsers raise (JSON, lxml, rdflib)
            page.errors += 1
            warnings.append(
                f"{base_url}: unreadable {syntax} data skipped: "
                f"{type(exc).__name__}: {str(exc)[:120]}"
            )
            continue
        items = found.get(syntax, [])
        page.items += len(items)
        if syntax == "rdfa":
            nodes.extend(_from_rdfa(items))
        else:
            nodes.extend(i for i in items if isinstance(i, dict))
    for node in nodes:
        _collect(node, page, top=True)
    citation = _citation_meta(data)  # last: JSON-LD authors carry more (ORCIDs, affiliations)
    if citation:
        page.items += 1
        page.works.append(citation)
    page.article = citation is not None or (len(page.works) == 1 and page.owner is None)
    page.entries = len(page.works)
    return page


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", [])
    values = raw if isinstance(raw, list) else [raw]
    return {_SCHEMA.sub("", str(v)).split("/")[-1].split("#")[-1] for v in values}


def _collect(node: dict[str, Any], page: StructuredPage, *, top: bool) -> None:
    types = _types(node)
    if "ProfilePage" in types and isinstance(node.get("mainEntity"), dict):
        main = node["mainEntity"]
        if "Person" in _types(main) and page.owner is None:
            page.owner = main
    if (
        "Person" in types
        and top
        and page.owner is None
        and _text(node.get("name") or node.get("value"))
    ):
        page.owner = node
    if (
        types & _WORK_TYPES
        and (node.get("author") or "ScholarlyArticle" in types)
        and (_text(node.get("headline") or node.get("name")) or node.get("author"))
    ):
        page.works.append(node)
        return
    for key, value in node.items():
        if key in ("author", "creator", "publisher"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict):
                _collect(child, page, top=False)


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("value")
    if value is None:
        return None
    text = clean.normalize_space(str(value)).value
    return text or None


def _urls(value: Any) -> Iterator[str]:
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, dict):
            v = v.get("@id") or v.get("url") or v.get("contentUrl")
        if isinstance(v, str) and re.match(r"^https?://[^\s<>\"{}|\\^`]+$", v):
            yield v


def _person_record(node: dict[str, Any]) -> dict[str, Any] | None:
    name = _text(node.get("name") or node.get("value"))
    if not name and (node.get("givenName") or node.get("familyName")):
        name = " ".join(filter(None, (_text(node.get("givenName")), _text(node.get("familyName")))))
    if not name:
        return None
    rec: dict[str, Any] = {"type": "Person", "name": clean_names.clean_name(name).value}
    if (given := _text(node.get("givenName"))) is not None:
        rec["given_name"] = given
    if (family := _text(node.get("familyName"))) is not None:
        rec["family_name"] = family
    if (job := _text(node.get("jobTitle"))) is not None:
        rec["job_title"] = job[:2000]
    if (desc := _text(node.get("description"))) is not None:
        rec["description"] = desc
    affiliations = []
    for key in ("affiliation", "worksFor", "memberOf"):
        raw = node.get(key)
        for aff in raw if isinstance(raw, list) else [raw]:
            aname = _text(aff)
            if aname and not aname.startswith("http"):
                affiliations.append({"name": aname[:2000]})
    if affiliations:
        rec["affiliations"] = list({a["name"]: a for a in affiliations}.values())
    topics = []
    raw_topics = node.get("knowsAbout")
    for t in raw_topics if isinstance(raw_topics, list) else [raw_topics]:
        if (label := _text(t)) is not None:
            topics.append(label)
    if topics:
        rec["topics"] = list(dict.fromkeys(topics))
    same_as = []
    for url in [
        *_urls(node.get("sameAs")),
        *_urls(node.get("url")),
        *_urls(node.get("identifier")),
    ]:
        if "orcid.org/" in url and "orcid" not in rec:
            try:
                rec["orcid"] = ids.orcid(url.replace("http://", "https://"))
                continue
            except ValueError:
                pass
        same_as.append(url)
    if same_as:
        rec["same_as"] = list(dict.fromkeys(same_as))
    image = next(_urls(node.get("image")), None)
    if image:
        rec["image"] = image
    return rec


def _work_record(
    node: dict[str, Any], *, owner_key: str | None, owner_name: str | None
) -> dict[str, Any] | None:
    rec: dict[str, Any] = {"type": "Publication"}
    title = _text(node.get("headline") or node.get("name") or node.get("title"))
    if title:
        rec["title"] = clean.clean_text(title).value[:2000]
    authors = []
    owner_norm = ids.normalize_name(owner_name) if owner_name else None
    raw = node.get("author") or node.get("creator") or []
    for a in raw if isinstance(raw, list) else [raw]:
        name = _text(a) if not isinstance(a, str) else clean.normalize_space(a).value
        if not name or name.startswith(("http", "/")):
            continue
        item: dict[str, Any] = {"name": name[:2000]}
        if isinstance(a, dict):
            for url in [*_urls(a.get("url")), *_urls(a.get("sameAs")), *_urls(a.get("identifier"))]:
                if "orcid.org/" in url:
                    try:
                        item["orcid"] = ids.orcid(url.replace("http://", "https://"))
                        break
                    except ValueError:
                        pass
        if owner_norm and ids.normalize_name(clean_names.clean_name(name).value) == owner_norm:
            item["person"] = owner_key
        authors.append(item)
    if owner_key and not any(a.get("person") == owner_key for a in authors):
        authors.append({"name": owner_name, "person": owner_key, "position_unknown": True})
    if not authors:
        return None
    rec["authors"] = authors
    abstract = _text(node.get("abstract"))
    if abstract:
        cleaned = clean.clean_abstract(abstract)
        rec["abstract"] = cleaned.value
        if cleaned.truncated:
            rec["abstract_truncated"] = True
    date = _text(node.get("datePublished") or node.get("dateCreated"))
    if date and (m := re.match(r"^(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", date)):
        y, mo, d = m.groups()
        rec["date"] = y + (f"-{int(mo):02d}" if mo else "") + (f"-{int(d):02d}" if mo and d else "")
    for url in [
        *_urls(node.get("sameAs")),
        *_urls(node.get("url")),
        *_urls(node.get("identifier")),
    ]:
        if "doi.org/" in url and "doi" not in rec:
            with contextlib.suppress(ValueError):  # a malformed DOI link is left out
                rec["doi"] = ids.doi(url)
        elif "arxiv.org/abs/" in url and "arxiv" not in rec:
            with contextlib.suppress(ValueError):
                rec["arxiv"] = ids.arxiv_id(url.rsplit("/abs/", 1)[1])
        elif "url" not in rec:
            rec["url"] = url
    if isinstance(node.get("doi"), str):
        with contextlib.suppress(ValueError):
            rec.setdefault("doi", ids.doi(node["doi"]))
    venue = _venue(node.get("isPartOf"))
    if venue:
        rec["venue"] = venue[:2000]
    vtype = next((_VENUE_TYPES[t] for t in _types(node) if t in _VENUE_TYPES), None)
    if vtype:
        rec["venue_type"] = vtype
    return rec


def _venue(node: Any) -> str | None:
    """The name of the outermost periodical in an isPartOf chain (issue -> volume -> periodical)."""
    while isinstance(node, dict):
        name = _text(node.get("name"))
        parent = node.get("isPartOf")
        if parent is None:
            return name
        node = parent
    return _text(node)


_RDFA_NAMES = {"givenname": "givenName", "family_name": "familyName", "surname": "familyName",
               "homepage": "url", "img": "image", "depiction": "image"}  # fmt: skip


def _from_rdfa(items: list[Any]) -> Iterator[dict[str, Any]]:
    """RDFa nodes (expanded JSON-LD) typed schema:Person or foaf:Person, as schema.org dicts."""
    for item in items:
        if not isinstance(item, dict):
            continue
        types = {str(t) for t in item.get("@type", [])}
        is_person = any(t.endswith(("schema.org/Person",)) or t == _FOAF + "Person" for t in types)
        if not is_person:
            continue
        node: dict[str, Any] = {"@type": "Person"}
        for pred, values in item.items():
            if pred.startswith("@"):
                continue
            local = _SCHEMA.sub("", pred).replace(_FOAF, "")
            local = _RDFA_NAMES.get(local, local)
            vals = [v.get("@value", v.get("@id")) for v in values if isinstance(v, dict)]
            node[local] = vals if len(vals) > 1 else (vals[0] if vals else None)
        if node.get("name") or node.get("givenName"):
            yield node


#: Deepest nesting of microdata items (``itemscope`` inside ``itemscope``) extruct is given. Real
#: pages nest 3-5 deep (an article, its author, their affiliation, its address); extruct's
#: property search takes 0.6 s at 100 levels and over 40 s at 200 (found by the page-html fuzz
#: target: a 22 KB page). Deeper pages keep their JSON-LD, RDFa and text.
MAX_MICRODATA_DEPTH = 32


def _microdata_depth(data: bytes) -> int:
    """The deepest nesting of ``itemscope`` elements in the page (0 without microdata); the walk
    stops counting past :data:`MAX_MICRODATA_DEPTH`.

    >>> _microdata_depth(b"<div itemscope><p itemscope><i itemscope>x</i></p></div><b itemscope/>")
    3
    >>> _microdata_depth(b"<p>no items</p>")
    0
    """
    if b"itemscope" not in data.lower():
        return 0
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    try:
        root = lxml.html.document_fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return 0  # extruct fails on it too, and that is warned of
    deepest = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("itemscope") is None:
            continue
        depth = 1
        for anc in el.iterancestors():
            if anc.get("itemscope") is not None:
                depth += 1
                if depth > MAX_MICRODATA_DEPTH:
                    return depth
        deepest = max(deepest, depth)
    return deepest


def _citation_meta(data: bytes) -> dict[str, Any] | None:
    """A work from Highwire ``citation_*`` meta tags, authors in tag order."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    tags: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        name = str(meta.get("name") or meta.get("property") or "").strip().lower()
        content = meta.get("content")
        if name.startswith("citation_") and content and content.strip():
            tags.setdefault(name, []).append(" ".join(content.split()))
    if "citation_title" not in tags:
        return None
    node: dict[str, Any] = {"@type": "ScholarlyArticle", "headline": tags["citation_title"][0]}
    node["author"] = [
        {"@type": "Person", "name": _flip(a)} for a in tags.get("citation_author", [])
    ]
    for key in (
        "citation_publication_date",
        "citation_date",
        "citation_online_date",
        "citation_cover_date",
    ):
        if key in tags:
            node["datePublished"] = tags[key][0]
            break
    urls = []
    if "citation_doi" in tags:
        node["doi"] = tags["citation_doi"][0]
    if "citation_arxiv_id" in tags:
        urls.append(f"https://arxiv.org/abs/{tags['citation_arxiv_id'][0]}")
    for key in ("citation_abstract_html_url", "citation_fulltext_html_url", "citation_public_url"):
        if key in tags:
            urls.append(tags[key][0])
            break
    node["sameAs"] = urls
    if "citation_abstract" in tags:
        node["abstract"] = tags["citation_abstract"][0]
    for key in ("citation_journal_title", "citation_conference_title", "citation_inbook_title"):
        if key in tags:
            node["isPartOf"] = {"name": tags[key][0]}
            break
    return node


def _flip(name: str) -> str:
    """Highwire authors are often "Last, First": shown "First Last" (Scholar accepts both)."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    return name


# --- BibTeX embedded in a page (hidden <pre> blocks, "bib" buttons) -----------------------------


@dataclass(frozen=True)
class BibEntry:
    """One BibTeX entry found in a page: title, authors in order ("First Last"), year, venue."""

    key: str
    title: str | None
    authors: tuple[str, ...]
    year: str | None
    venue: str | None
    doi: str | None


_BIB_START = re.compile(r"@\s*[A-Za-z]+\s*\{")


def bibtex_entries(text: str) -> list[BibEntry]:
    """Parse BibTeX text with pybtex (https://docs.pybtex.org/); unreadable text gives [].

    >>> [e.authors for e in bibtex_entries("@article{k, title={T}, author={Lovelace, Ada and "
    ...     "de la Torre, F.}, year={1843}}")]
    [('Ada Lovelace', 'F. de la Torre')]
    """
    if not _BIB_START.search(text):
        return []
    from pybtex.database.input.bibtex import Parser  # the class: no plugin lookup per call
    from pybtex.scanner import PybtexError

    try:
        data = Parser().parse_string(text[_BIB_START.search(text).start() :])  # type: ignore[union-attr]
    except (PybtexError, ValueError, KeyError, IndexError):
        return []
    out: list[BibEntry] = []
    for key, entry in data.entries.items():
        fields = {k.lower(): clean.latex_markup(clean.latex_accents(str(v)).value).value
                  for k, v in entry.fields.items()}  # fmt: skip
        authors = []
        for person in entry.persons.get("author", []) or entry.persons.get("editor", []):
            parts = [
                *person.first_names, *person.middle_names, *person.prelast_names,
                *person.last_names, *person.lineage_names,
            ]  # fmt: skip
            name = " ".join(clean.latex_accents(p).value.strip("{}") for p in parts if p)
            if name and name.lower() != "others":
                authors.append(" ".join(name.split()))
        title = fields.get("title")
        venue = fields.get("journal") or fields.get("booktitle") or fields.get("publisher")
        year = fields.get("year")
        out.append(
            BibEntry(
                str(key),
                " ".join(title.replace("{", "").replace("}", "").split()) if title else None,
                tuple(authors),
                year[:4] if year and year[:4].isdigit() else None,
                " ".join(venue.replace("{", "").replace("}", "").split()) if venue else None,
                fields.get("doi"),
            )
        )
    return out
