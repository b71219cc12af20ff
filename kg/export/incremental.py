"""Incremental export: rewrite only the pages whose content changed, delete the stale ones.

An export leaves a manifest, ``{out}/.kg-export.json``: the options it ran with, the source load
graphs it saw (docs/mapping.md, "Provenance": one named graph per load), and per page written
its path, SHA-256, kind, kg IRI, URL and lastmod (plus, for a site, the index row of each
profile, and the pages held back by the checks). The next export into the same directory uses
it three times:

- **Which pages to build.** When the options are the same and no load graph went away (loads
  were only added: new sources, or an API/page read again into a new graph), only the people the
  new loads can change are read and rendered: the subjects of the triples that are new in the
  store, two hops back from them (an authorship or affiliation node leads to its work or
  person), every person with a page among them, and every author with a page of every work
  among them (a new paper changes each co-author's page). Everything else is known unchanged.
  A removed or replaced load, other options, or no manifest: every page is built.
- **Which files to touch.** A page whose text has the SHA-256 the manifest records (and whose
  file is there) is not rewritten; a page the manifest lists that this export did not produce
  (a person removed, a publication gone) is deleted. Files kg did not write are never touched.

- **What is still held back.** A page held back before and not built again is reported again:
  it is still missing from the site, so the export's exit code does not depend on whether the
  page was looked at this time.

The report counts pages added, changed, unchanged and removed
(:attr:`~kg.export.site.ExportReport.changes`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from kg.store import Store, load_graphs, query_select
from kg.terms import values_chunks
from kg.vocab import KG, SCHEMA

__all__ = [
    "MANIFEST",
    "Affected",
    "Manifest",
    "PageEntry",
    "affected_people",
    "fingerprint",
    "known_people",
    "sha256",
]

MANIFEST = ".kg-export.json"
_VERSION = 2


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PageEntry(NamedTuple):
    """One page an export wrote (a tuple: a manifest holds one per page, ~100k at 1M triples)."""

    sha: str
    kind: str  #: "profile" or "publication"
    iri: str  #: the person's or publication's kg IRI
    url: str
    lastmod: str | None = None


@dataclass
class Manifest:
    """What an export wrote into its directory (see the module doc)."""

    options: str
    graphs: list[str] = field(default_factory=list)
    pages: dict[str, PageEntry] = field(default_factory=dict)
    #: person IRI -> the index row of their profile (sites only)
    index: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: everyone with a Person record when the export chose everyone (None: people were given)
    everyone: list[str] | None = None
    #: page URL -> a page held back by the checks (kind, label, problems as JSON): an export
    #: that does not build it again still reports it (it is still not on the site)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path) -> Manifest | None:
        """The manifest in ``out``, or None (none, unreadable or another version: start over)."""
        try:
            data = orjson.loads((out / MANIFEST).read_bytes())
            if data.get("version") != _VERSION:
                return None
            return cls(
                options=str(data["options"]),
                graphs=[str(g) for g in data["graphs"]],
                pages={rel: PageEntry._make(entry) for rel, entry in data["pages"].items()},
                index=dict(data.get("index", {})),
                everyone=data.get("everyone"),
                held=dict(data.get("held", {})),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # JSONDecodeError too
            return None

    def write(self, out: Path) -> None:
        """Write the manifest atomically."""
        data = {
            "version": _VERSION,
            "options": self.options,
            "graphs": sorted(self.graphs),
            # not sorted: read back as a mapping (sorting 100k entries costs ~0.1 s); each
            # entry the JSON array [sha, kind, iri, url, lastmod]
            "pages": {rel: list(e) for rel, e in self.pages.items()},
            "index": self.index,
            "everyone": self.everyone,
            "held": self.held,
        }
        tmp = out / (MANIFEST + ".tmp")
        # orjson: ~15x faster than json.dumps on a 1M-triple site's 9 MB manifest, same bytes
        # (UTF-8, compact); docs/architecture.md
        tmp.write_bytes(orjson.dumps(data))
        os.replace(tmp, out / MANIFEST)

    def remove_stale(self, out: Path, keep: Iterable[str]) -> int:
        """Delete the pages this manifest lists and ``keep`` does not (and folders left empty);
        returns how many were deleted."""
        keep = set(keep)
        removed = 0
        for rel in sorted(set(self.pages) - keep):
            path = out / rel
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
            parent = path.parent
            while parent != out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return removed


def fingerprint(*parts: Any, templates: Path | None = None) -> str:
    """A digest of everything besides the data that decides the pages' text: the export's
    options, kg's version and, for a site, the templates directory's files.

    >>> fingerprint("html", "https://s/") == fingerprint("html", "https://s/")
    True
    >>> fingerprint("html", "https://s/") == fingerprint("html", "https://t/")
    False
    """
    from kg.version import __version__

    h = hashlib.sha256(json.dumps([__version__, *map(str, parts)]).encode("utf-8"))
    if templates is not None and Path(templates).is_dir():
        for path in sorted(Path(templates).rglob("*")):
            if path.is_file():
                h.update(path.relative_to(templates).as_posix().encode("utf-8"))
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _terms(iris: Iterable[str]) -> list[str]:
    return [f"<{i}>" for i in iris if ">" not in i and " " not in i]


def _values(iris: Iterable[str]) -> str:
    return " ".join(_terms(iris))


def _column(store: Store, sparql: str) -> set[str]:
    return {row[0].value for row in query_select(store, sparql).rows if row[0] is not None}


def current_graphs(store: Store) -> list[str]:
    """The source load graphs in the store now."""
    return load_graphs(store)


def known_people(store: Store, old: Manifest) -> list[str] | None:
    """Everyone with a Person record, from the manifest plus the people the loads added since
    bring; None when a load went away or the manifest does not know (ask the store)."""
    if old.everyone is None:
        return None
    now = set(current_graphs(store))
    if set(old.graphs) - now:
        return None
    added = sorted(now - set(old.graphs))
    people = set(old.everyone)
    for block in values_chunks(_terms(added), 50):
        people |= _column(
            store,
            f"SELECT DISTINCT ?p WHERE {{ VALUES ?g {{ {block} }} GRAPH ?g {{ "
            f"?p a <{SCHEMA}Person> ; <{KG}recordNumber> ?n }} }}",
        )
    return sorted(people)


@dataclass(frozen=True)
class Affected:
    """What the loads added since an export can change."""

    people: list[str]  #: people with a page whose profile page must be built again
    works: set[str]  #: publications whose page must be built again
    graphs: set[str]  #: the store's load graphs now


def affected_people(
    store: Store, old_graphs: Iterable[str], everyone: Iterable[str]
) -> Affected | None:
    """The people with a page (of ``everyone``) and the publications whose pages the loads added
    since ``old_graphs`` can change; None when a load went away (build every page).

    Only the triples that are new in the store count (a load that repeats what another load
    says changes nothing), so a new paper at a venue that thousands of papers share does not
    reach every one of them.
    """
    now = set(current_graphs(store))
    old = set(old_graphs)
    if old - now:
        return None
    added = sorted(now - old)
    if not added:
        return Affected([], set(), now)
    others = _values(sorted(now - set(added)))
    subjects: set[str] = set()
    for block in values_chunks(_terms(added), 50):
        not_elsewhere = (
            f"FILTER NOT EXISTS {{ VALUES ?h {{ {others} }} GRAPH ?h {{ ?s ?p ?o }} }}"
            if others
            else ""
        )
        subjects |= _column(
            store,
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?g {{ {block} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} {not_elsewhere} }}",
        )
    candidates = set(subjects)
    frontier = subjects
    for _ in range(2):  # authorship/affiliation node -> work/person
        found: set[str] = set()
        for block in values_chunks(_terms(sorted(frontier))):
            found |= _column(
                store,
                f"SELECT DISTINCT ?y WHERE {{ VALUES ?x {{ {block} }} ?y ?p ?x FILTER(isIRI(?y)) }}",
            )
        frontier = found - candidates
        candidates |= found
    works: set[str] = set()
    authors: set[str] = set()
    for block in values_chunks(_terms(sorted(candidates))):
        rows = query_select(
            store,
            f"SELECT ?w ?a WHERE {{ VALUES ?w {{ {block} }} "
            f"?w a <{SCHEMA}ScholarlyArticle> . OPTIONAL {{ ?w <{SCHEMA}author> ?a }} }}",
        ).rows
        for w, a in rows:
            if w is not None:
                works.add(w.value)
            if a is not None:
                authors.add(a.value)
    pages = set(everyone)
    return Affected(sorted((candidates | authors) & pages), works, now)
