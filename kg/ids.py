"""Identifiers: normalize ORCID / DOI / arXiv / ROR / OpenAlex / DBLP values and mint stable IRIs.

The same identifier always mints the same IRI, so re-ingesting is idempotent (DESIGN.md, "IRIs
are stable and derived from identifiers"). Without an identifier, the IRI derives from normalized
content. Every function here is pure.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kg.vocab import GRAPH_BASE, ID_BASE

__all__ = [
    "arxiv_id",
    "authorship_iri",
    "doi",
    "graph_iri",
    "hash_key",
    "load_graph_iri",
    "name_segment",
    "normalize_name",
    "normalize_title",
    "orcid",
    "orcid_checksum_ok",
    "org_iri",
    "person_iri",
    "person_record_iri",
    "record_iri",
    "ror",
    "source_family",
    "source_key",
    "work_iri",
    "work_record_iri",
    "year_of",
]

_ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ARXIV_RE = re.compile(r"^(?:arXiv:)?(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_ROR_RE = re.compile(r"^(?:https://ror\.org/)?(0[a-z0-9]{6}\d{2})$")
_OPENALEX_RE = re.compile(r"^(?:https://openalex\.org/)?([AWISTC]\d+)$", re.IGNORECASE)
# Characters kept as they are inside an IRI path segment minted from an identifier.
_SAFE = "-._~:/()"


def orcid_checksum_ok(value: str) -> bool:
    """ISO 7064 11,2 check character of an ORCID iD (https://support.orcid.org/hc/en-us/articles/360006897674).

    >>> orcid_checksum_ok("0000-0002-1825-0097")
    True
    >>> orcid_checksum_ok("0000-0002-1825-0098")
    False
    """
    digits = value.replace("-", "")
    if len(digits) != 16 or not digits[:15].isdigit():
        return False
    total = 0
    for ch in digits[:15]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[15] == ("X" if check == 10 else str(check))


def orcid(value: str) -> str:
    """The bare ORCID iD ``0000-0002-1825-0097`` of a bare or IRI form; ValueError if malformed.

    >>> orcid("https://orcid.org/0000-0002-1825-0097")
    '0000-0002-1825-0097'
    """
    m = _ORCID_RE.match(value.strip())
    if not m:
        raise ValueError(f"not an ORCID iD: {value!r} (expected 0000-0000-0000-000X)")
    return m.group(1)


def doi(value: str) -> str:
    """The bare, lower-cased DOI (DOIs are case-insensitive, https://www.doi.org/doi-handbook/HTML/case-sensitivity.html).

    >>> doi("https://doi.org/10.1000/ABC.Def")
    '10.1000/abc.def'
    """
    m = _DOI_RE.match(value.strip())
    if not m:
        raise ValueError(f"not a DOI: {value!r} (expected 10.NNNN/...)")
    return m.group(1).lower()


def arxiv_id(value: str) -> str:
    """The arXiv id without prefix and version.

    >>> arxiv_id("arXiv:2401.12345v2")
    '2401.12345'
    """
    m = _ARXIV_RE.match(value.strip())
    if not m:
        raise ValueError(f"not an arXiv id: {value!r}")
    return m.group(1)


def ror(value: str) -> str:
    """The bare ROR id.

    >>> ror("https://ror.org/05dxps055")
    '05dxps055'
    """
    m = _ROR_RE.match(value.strip())
    if not m:
        raise ValueError(f"not a ROR id: {value!r}")
    return m.group(1)


def openalex_id(value: str) -> str:
    """The bare OpenAlex id, upper-case first letter.

    >>> openalex_id("https://openalex.org/a5023888391")
    'A5023888391'
    """
    m = _OPENALEX_RE.match(value.strip())
    if not m:
        raise ValueError(f"not an OpenAlex id: {value!r}")
    return m.group(1).upper()


#: Remembered: names and titles recur (each author of each work, each candidate of resolution,
#: each topic and venue) and the Unicode decomposition costs ~10-25 µs a call.
@functools.lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """A matching key for a personal or organization name: NFKD, accents and punctuation dropped, casefolded.

    >>> normalize_name("  Łukasz  Kuciński ")
    'lukasz kucinski'
    >>> normalize_name(":") != normalize_name("·")
    True
    """
    # Letters with a stroke do not decompose in NFKD; map the common ones by hand.
    text = name.translate(_STROKES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    key = " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())
    # A name of punctuation or symbols only keeps its own characters: never the empty key that
    # every such name would share.
    return key or " ".join(unicodedata.normalize("NFC", name).casefold().split())


_STROKES = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss"})


def normalize_title(title: str) -> str:
    """A matching key for a title: like :func:`normalize_name`.

    >>> normalize_title("Softmax is NOT enough (for sharp out-of-distribution)")
    'softmax is not enough for sharp out of distribution'
    """
    return normalize_name(title)


def hash_key(*parts: str, length: int = 16) -> str:
    """A short stable hex digest of the parts (SHA-256, joined with U+001F).

    >>> hash_key("a", "b")
    'f04cdced9736a69d'
    """
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def name_segment(text: str, limit: int = 40) -> str:
    """A readable IRI path segment: the normalized words joined by ``-``; only word characters.

    >>> name_segment("Łukasz Kuciński"), name_segment("<")
    ('lukasz-kucinski', 'x')
    """
    words = re.sub(r"[^\w]+", " ", normalize_name(text)).split()
    return "-".join(words)[:limit].strip("-") or "x"


def _seg(value: str) -> str:
    return quote(value, safe=_SAFE)


#: Remembered: an author printed on many works is minted once per source.
@functools.lru_cache(maxsize=1 << 16)
def person_iri(
    *,
    orcid_id: str | None = None,
    dblp: str | None = None,
    openalex: str | None = None,
    key: str | None = None,
    name: str | None = None,
    scope: str = "",
) -> str:
    """Mint a person IRI from the strongest identifier given.

    Order: ORCID, DBLP pid, OpenAlex id, local key, then the normalized name within ``scope`` (the
    source), so that a name alone never merges people across unrelated sources.

    >>> person_iri(orcid_id="https://orcid.org/0000-0002-1825-0097")
    'https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097'
    >>> person_iri(name="Ada Lovelace", scope="file.json") == person_iri(name="ada  LOVELACE", scope="file.json")
    True
    """
    if orcid_id:
        return f"{ID_BASE}person/orcid/{orcid(orcid_id)}"
    if dblp:
        return f"{ID_BASE}person/dblp/{_seg(dblp)}"
    if openalex:
        return f"{ID_BASE}person/openalex/{openalex_id(openalex)}"
    if key:
        return f"{ID_BASE}person/key/{_seg(key)}"
    if name:
        return f"{ID_BASE}person/name/{name_segment(name)}-{hash_key(normalize_name(name), scope, length=10)}"
    raise ValueError("a person needs an identifier, a key or a name")


def work_iri(
    *,
    doi_id: str | None = None,
    arxiv: str | None = None,
    openalex: str | None = None,
    dblp: str | None = None,
    key: str | None = None,
    title: str | None = None,
    year: str | None = None,
    scope: str = "",
) -> str:
    """Mint a publication IRI: DOI (case-normalized), arXiv, OpenAlex, DBLP key, local key, else title + year.

    >>> work_iri(doi_id="10.1000/ABC") == work_iri(doi_id="https://doi.org/10.1000/abc")
    True
    >>> work_iri(doi_id="10.1000/abc")
    'https://w3id.org/kg/id/pub/doi/10.1000/abc'
    """
    if doi_id:
        return f"{ID_BASE}pub/doi/{_seg(doi(doi_id))}"
    if arxiv:
        return f"{ID_BASE}pub/arxiv/{_seg(arxiv_id(arxiv))}"
    if openalex:
        return f"{ID_BASE}pub/openalex/{openalex_id(openalex)}"
    if dblp:
        return f"{ID_BASE}pub/dblp/{_seg(dblp)}"
    if key:
        return f"{ID_BASE}pub/key/{_seg(key)}"
    if title:
        return f"{ID_BASE}pub/title/{hash_key(normalize_title(title), year or '')}"
    # Untitled, unidentified entry: scoped to its source so it never merges with another.
    return f"{ID_BASE}pub/anon/{hash_key(scope, year or '', length=16)}"


def org_iri(*, ror_id: str | None = None, name: str | None = None, key: str | None = None) -> str:
    """Mint an organization IRI from its ROR id, else its local key, else its normalized name.

    >>> org_iri(name="Google DeepMind") == org_iri(name="google deepmind")
    True
    """
    if ror_id:
        return f"{ID_BASE}org/ror/{ror(ror_id)}"
    if key:
        return f"{ID_BASE}org/key/{_seg(key)}"
    if name:
        return f"{ID_BASE}org/name/{name_segment(name)}-{hash_key(normalize_name(name), length=10)}"
    raise ValueError("an organization needs a ROR id, a key or a name")


def year_of(date: str | None) -> str | None:
    """The year of a record date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), else None.

    >>> year_of("2024-05"), year_of("n.d.")
    ('2024', None)
    """
    return date[:4] if date and date[:4].isdigit() else None


def person_record_iri(rec: Mapping[str, Any], *, scope: str) -> str:
    """The IRI a Person record (or an author entry) mints from its own fields (docs/mapping.md):
    :func:`person_iri` over its ``orcid``, ``dblp``, ``openalex``, ``id`` and ``name``.

    >>> person_record_iri({"name": "Ada"}, scope="s") == person_record_iri({"name": "ADA"}, scope="s")
    True
    """
    return person_iri(
        orcid_id=rec.get("orcid"),
        dblp=rec.get("dblp"),
        openalex=rec.get("openalex"),
        key=rec.get("id"),
        name=rec.get("name"),
        scope=scope,
    )


def work_record_iri(rec: Mapping[str, Any], *, scope: str, number: int | None = None) -> str:
    """The IRI a Publication record mints from its own fields (docs/mapping.md): :func:`work_iri`
    over its identifiers, ``id``, title and year. An entry with none of them is scoped to its
    source and, when given, its record ``number`` (the mapping gives it; resolution, which never
    matches such an entry, does not).

    >>> work_record_iri({"doi": "10.1000/ABC"}, scope="s")
    'https://w3id.org/kg/id/pub/doi/10.1000/abc'
    """
    return work_iri(
        doi_id=rec.get("doi"),
        arxiv=rec.get("arxiv"),
        openalex=rec.get("openalex"),
        dblp=rec.get("dblp"),
        key=rec.get("id"),
        title=rec.get("title"),
        year=year_of(rec.get("date")),
        scope=scope if number is None else f"{scope}#{number}",
    )


def record_iri(rec: Mapping[str, Any], *, scope: str, number: int | None = None) -> str:
    """The IRI a checked record mints from its own fields, before resolution: the one rule for
    Person, Organization and Publication records, used by the mapping and by resolution.

    >>> record_iri({"type": "Organization", "name": "Google DeepMind"}, scope="s")[:38]
    'https://w3id.org/kg/id/org/name/google'
    """
    kind = rec.get("type")
    if kind == "Person":
        return person_record_iri(rec, scope=scope)
    if kind == "Organization":
        return org_iri(ror_id=rec.get("ror"), key=rec.get("id"), name=rec.get("name"))
    return work_record_iri(rec, scope=scope, number=number)


def authorship_iri(work: str, position: int | None, person: str) -> str:
    """The IRI of the authorship node of ``person`` on ``work``: by position when known.

    >>> authorship_iri("https://w3id.org/kg/id/pub/doi/10.1/x", 3, "p")
    'https://w3id.org/kg/id/pub/doi/10.1/x#author-3'
    """
    if position is not None:
        return f"{work}#author-{position}"
    return f"{work}#author-x{hash_key(person, length=10)}"


def source_key(name: str) -> str:
    """The identity IRI of a local source from its name: the file's path relative to the project
    root, or the name given with ``--source-name``. Never an absolute path: the same folder
    moved, or checked out elsewhere, keeps its IRIs and graph names (docs/architecture.md,
    "Identity").

    >>> source_key("examples/people.json")
    'https://w3id.org/kg/id/source/examples/people.json'
    """
    return f"{ID_BASE}source/{quote(name, safe=_SAFE)}"


def graph_iri(source_key: str) -> str:
    """The graph family of one source (file URI, API URL, page): stable for the same source.

    Each load of the source goes to its own named graph ``{family}/{load id}`` (see
    :func:`load_graph_iri`); committing a load drops the family's older loads.

    >>> graph_iri("file:///data/people.json").startswith("https://w3id.org/kg/graph/source/")
    True
    """
    return f"{GRAPH_BASE}source/{hash_key(source_key, length=20)}"


def source_family(graph: str) -> str:
    """The source family of a load graph; any other IRI is returned as it is.

    >>> g = load_graph_iri("file:///a.json", "1")
    >>> source_family(g) == graph_iri("file:///a.json"), source_family("urn:x")
    (True, 'urn:x')
    """
    base = f"{GRAPH_BASE}source/"
    if graph.startswith(base) and graph.count("/") == base.count("/") + 1:
        return graph.rsplit("/", 1)[0]
    return graph


def load_graph_iri(source_key: str, load_id: str) -> str:
    """The named graph of one load of a source.

    >>> load_graph_iri("file:///a.json", "20260101T000000000000Z-1").rsplit("/", 1)[1]
    '20260101T000000000000Z-1'
    """
    return f"{graph_iri(source_key)}/{load_id}"
