"""Human handles: name a person or a publication the way people do, get its IRI.

A person may be given as its IRI, a ``kgid:`` CURIE (any kg prefix, :data:`kg.vocab.PREFIXES`),
an ORCID iD (bare ``0000-0002-1825-0097`` or ``https://orcid.org/...``), another IRI the person
is ``schema:sameAs`` (DBLP, OpenAlex, a homepage), the ``id`` of their record (``kg:localKey``),
or their name (``schema:name`` / ``schema:alternateName``, compared as
:func:`kg.ids.normalize_name` keys: case, accents and punctuation do not matter). A publication
may be given as its IRI or CURIE, a DOI (bare or ``https://doi.org/...``), an arXiv id, a record
key, or its title.

One match gives the IRI. Several are a :class:`~kg.errors.UsageError` (exit 2) that lists them;
none is a :class:`~kg.errors.DataError` (exit 1) that says so, with the closest names.

>>> from kg.store import EmbeddedStore
>>> resolve_person("Nobody At All", EmbeddedStore(None))
Traceback (most recent call last):
...
kg.errors.DataError: no person matches 'Nobody At All' in the store
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from kg import ids
from kg.errors import DataError, UsageError
from kg.queries.binding import Param, serialize_value
from kg.store import query_select
from kg.vocab import KG, PREFIXES, SCHEMA

__all__ = ["PERSON", "PUBLICATION", "Kind", "resolve", "resolve_person", "resolve_publication"]

_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?!//)(.+)$")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?$", re.I)
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_ARXIV = re.compile(r"^(?:arxiv:|https?://arxiv\.org/abs/)(\S+?)(?:v\d+)?$", re.I)
#: how many candidates an ambiguous handle lists
SHOWN = 8


@dataclass(frozen=True)
class Kind:
    """What a handle names: its noun in messages, its RDF class, its name properties."""

    noun: str
    cls: str
    names: tuple[str, ...]


PERSON = Kind("person", SCHEMA + "Person", (SCHEMA + "name", SCHEMA + "alternateName"))
PUBLICATION = Kind(
    "publication",
    SCHEMA + "ScholarlyArticle",
    (SCHEMA + "name", SCHEMA + "alternativeHeadline"),
)


def _lit(text: str) -> str:
    return serialize_value(Param("handle", "literal"), text)


def _expand(handle: str) -> str | None:
    """An absolute IRI for ``handle`` when it is one or a kg CURIE, else None."""
    if _ABSOLUTE.match(handle):
        return handle
    m = _CURIE.match(handle)
    if m and m.group(1) in PREFIXES:
        return PREFIXES[m.group(1)] + m.group(2)
    return None


def _select(store: Any, where: str) -> list[tuple[str, str]]:
    """``(iri, name)`` of every entity matching ``where`` (bound ``?e``)."""
    rows = query_select(
        store,
        f"SELECT ?e (MIN(STR(?n)) AS ?name) WHERE {{ {where} "
        f"OPTIONAL {{ ?e <{SCHEMA}name> ?n }} }} GROUP BY ?e ORDER BY ?e",
    ).dicts()
    return [(str(r["e"]), r["name"] or "") for r in rows if r["e"]]


def _typed(kind: Kind) -> str:
    return f"?e a <{kind.cls}> ."


def _by_iri(store: Any, kind: Kind, iri: str) -> list[tuple[str, str]]:
    serialize_value(Param(kind.noun, "iri"), iri)  # refuses what is no IRI, saying why
    found = _select(store, f"VALUES ?e {{ <{iri}> }} {_typed(kind)}")
    return found or _select(store, f"?e <{SCHEMA}sameAs>|<{SCHEMA}url> <{iri}> . {_typed(kind)}")


def _by_names(store: Any, kind: Kind, handle: str) -> list[tuple[str, str]]:
    """Exact names first (one query); else every name, compared as normalized keys."""
    props = " ".join(f"<{p}>" for p in kind.names)
    exact = _select(
        store,
        f"VALUES ?p {{ {props} }} ?e ?p ?x . {_typed(kind)} "
        f"FILTER(LCASE(STR(?x)) = LCASE({_lit(handle)}))",
    )
    if exact:
        return exact
    key = ids.normalize_name(handle)
    rows = query_select(
        store,
        f"SELECT DISTINCT ?e ?x WHERE {{ VALUES ?p {{ {props} }} ?e ?p ?x . {_typed(kind)} }}",
    ).dicts()
    hits = {str(r["e"]) for r in rows if r["x"] and ids.normalize_name(str(r["x"])) == key}
    if not hits:
        return []
    return _select(store, f"VALUES ?e {{ {' '.join(f'<{h}>' for h in sorted(hits))} }}")


def _closest(store: Any, kind: Kind, handle: str) -> str:
    rows = query_select(
        store,
        f"SELECT DISTINCT ?x WHERE {{ ?e <{kind.names[0]}> ?x . {_typed(kind)} }}",
    ).dicts()
    names = sorted({str(r["x"]) for r in rows if r["x"]})
    close = difflib.get_close_matches(handle, names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def candidates(handle: str, store: Any, kind: Kind) -> list[tuple[str, str]]:
    """Every ``(iri, name)`` that ``handle`` could mean, by the rules in the module docstring."""
    text = handle.strip()
    if not text:
        raise UsageError(f"an empty {kind.noun} handle")
    if kind is PERSON and (m := _ORCID.match(text)):
        return _select(store, f"?e <{SCHEMA}sameAs> <https://orcid.org/{m.group(1).upper()}> .")
    if kind is PUBLICATION and (m := _DOI.match(text)):
        bare = ids.doi(m.group(1))
        found = _select(store, f"?e <{SCHEMA}identifier> [ <{SCHEMA}value> {_lit(bare)} ] .")
        return found or _by_iri(store, kind, ids.work_iri(doi_id=bare))
    if kind is PUBLICATION and (m := _ARXIV.match(text)):
        return _by_iri(store, kind, ids.work_iri(arxiv=m.group(1)))
    iri = _expand(text)
    if iri is not None and not text.lower().startswith(("arxiv:", "doi:")):
        return _by_iri(store, kind, iri)
    found = _select(store, f"?e <{KG}localKey> {_lit(text)} . {_typed(kind)}")
    if not found:
        minted = ids.person_iri(key=text) if kind is PERSON else ids.work_iri(key=text)
        found = _select(store, f"VALUES ?e {{ <{minted}> }} {_typed(kind)}")
    return found or _by_names(store, kind, text)


def resolve(handle: str, store: Any, kind: Kind) -> str:
    """The one IRI ``handle`` names; UsageError when ambiguous, DataError when nobody."""
    found = candidates(handle, store, kind)
    if len(found) == 1:
        return found[0][0]
    if not found:
        hint = "" if _expand(handle.strip()) else _closest(store, kind, handle.strip())
        raise DataError(f"no {kind.noun} matches {handle!r} in the store{hint}")
    listed = "; ".join(f"{name or '(no name)'} <{iri}>" for iri, name in found[:SHOWN])
    more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise UsageError(
        f"{handle!r} matches {len(found)} {kind.noun}s: {listed}{more}; give an IRI or ORCID"
    )


def resolve_person(handle: str, store: Any) -> str:
    """The IRI of the one person ``handle`` names (see the module docstring)."""
    return resolve(handle, store, PERSON)


def resolve_publication(handle: str, store: Any) -> str:
    """The IRI of the one publication ``handle`` names (see the module docstring)."""
    return resolve(handle, store, PUBLICATION)
