"""The matching rules (the module docstring of :mod:`kg.resolve` lists them): pure, over an
:class:`~kg.resolve.index.EntityIndex` and the batch's records; no store is read here."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from kg import ids
from kg.resolve.evidence import Merge, NearMiss, Resolution
from kg.resolve.index import EntityIndex, clean_id

__all__ = ["SIMILAR_PER_NAME", "resolve"]

# --- resolution ----------------------------------------------------------------------------------


@dataclass
class _PersonGroup:
    """One person as the batch shows it within one source: a record and/or printed authorships."""

    source: str
    norm: str
    name: str
    iri: str  # natural IRI
    record: dict[str, Any] | None = None
    authorships: list[dict[str, Any]] = field(default_factory=list)
    works: set[str] = field(default_factory=set)
    resolved: str | None = None


@dataclass
class _NameBlocks:
    """Normalized names by family name, by first name, by (family name, initial), and — for
    names whose first word is an initial — by (family name, initial): the blocks in which
    ``_similar`` looks for near misses."""

    family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    initial: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    initialed: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, norm: str) -> None:
        words = norm.split()
        key = (words[-1], words[0][:1])
        self.family[words[-1]].add(norm)
        self.first[words[0]].add(norm)
        self.initial[key].add(norm)
        if len(words[0]) == 1:
            self.initialed[key].add(norm)


class _Resolver:
    def __init__(self, index: EntityIndex, *, aggressive: bool, min_shared_works: int) -> None:
        self._near_seen: set[NearMiss] = set()
        self.index = index
        self.aggressive = aggressive
        self.min_shared = min_shared_works
        self.out = Resolution([])
        # indexes over the store, then extended with the batch as it is resolved
        self.by_doi: dict[str, str] = {}
        self.by_arxiv: dict[str, str] = {}
        self.by_title: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
        self.work_graphs: dict[str, set[str]] = defaultdict(set)
        self.work_authors: dict[str, set[str]] = defaultdict(set)
        self.person_by_id: dict[tuple[str, str], str] = {}
        self.person_by_name: dict[str, set[str]] = defaultdict(set)
        self.person_names: dict[str, str] = {}
        self.person_graphs: dict[str, set[str]] = defaultdict(set)
        self.person_orcid: dict[str, str] = {}
        # similarity blocks of every name, and of the names of people with a record or an
        # identifier (``anchored``): the only candidates for a name-only author
        self.all_names = _NameBlocks()
        self.anchored_names = _NameBlocks()
        self.anchored: set[str] = set()
        self.batch_added: set[str] = set()
        self.org_by_ror: dict[str, str] = {}
        self.org_by_name: dict[str, str] = {}
        for w in index.works.values():
            self._add_work(w.iri, w.doi, w.arxiv, w.titles, w.year, w.graphs, w.authors)
        for p in index.persons.values():
            for scheme, value in (("orcid", p.orcid), ("dblp", p.dblp), ("openalex", p.openalex)):
                if value:
                    self.person_by_id[(scheme, value)] = p.iri
            if p.orcid:
                self.person_orcid[p.iri] = p.orcid
            anchored = bool(p.orcid or p.dblp or p.openalex) or "/person/name/" not in p.iri
            for name in p.names:
                self._add_name(ids.normalize_name(name), p.iri, anchored=anchored)
                self.person_names.setdefault(p.iri, name)
            self.person_graphs[p.iri] |= p.graphs
        for o in index.orgs.values():
            if o.ror:
                self.org_by_ror[o.ror] = o.iri
            for name in o.names:
                self.org_by_name.setdefault(ids.normalize_name(name), o.iri)

    def _add_work(
        self,
        iri: str,
        doi: str | None,
        arxiv: str | None,
        titles: Iterable[str],
        year: str | None,
        graphs: Iterable[str],
        authors: Iterable[str] = (),
    ) -> None:
        if doi:
            self.by_doi.setdefault(doi, iri)
        if arxiv:
            self.by_arxiv.setdefault(arxiv, iri)
        for t in titles:
            entry = (iri, year, doi)
            if entry not in self.by_title[ids.normalize_title(t)]:
                self.by_title[ids.normalize_title(t)].append(entry)
        self.work_graphs[iri] |= set(graphs)
        self.work_authors[iri] |= set(authors)

    def _add_name(self, norm: str, iri: str, *, anchored: bool) -> None:
        self.person_by_name[norm].add(iri)
        if anchored:
            self.anchored.add(iri)
        if norm and not _has_digit(norm):  # a placeholder is never similar (see _similar)
            self.all_names.add(norm)
            if anchored:
                self.anchored_names.add(norm)

    def _usable(self, iri: str, natural: str, graph: str, graphs: Mapping[str, set[str]]) -> bool:
        """A candidate to merge with: another IRI, known from a graph other than the one being
        (re)loaded (its own old triples are about to be replaced) or from this batch."""
        return iri != natural and (
            bool(graphs.get(iri, set()) - {graph}) or iri in self.batch_added
        )

    # -- works --

    def work(self, source: str, graph: str, rec: dict[str, Any]) -> str:
        natural = ids.work_record_iri(rec, scope=source)
        doi = clean_id(ids.doi, rec.get("doi"))
        arxiv = clean_id(ids.arxiv_id, rec.get("arxiv"))
        title = rec.get("title")
        year = ids.year_of(rec.get("date"))
        label = title or "(untitled)"
        target, rule, evidence = None, "", ""
        for scheme, value, table in (("doi", doi, self.by_doi), ("arxiv", arxiv, self.by_arxiv)):
            found = table.get(value) if value else None
            if found and self._usable(found, natural, graph, self.work_graphs):
                target, rule, evidence = found, scheme, f"same {scheme} {value}"
                break
        if target is None and title:
            for iri, other_year, other_doi in self.by_title.get(ids.normalize_title(title), []):
                if not self._usable(iri, natural, graph, self.work_graphs):
                    continue
                if doi and other_doi and doi != other_doi:
                    self._near(
                        "work",
                        (natural, iri),
                        "conflicting-doi",
                        f"same title, DOIs {doi} and {other_doi}",
                        source,
                        label,
                    )
                    continue
                if (doi or arxiv) and ("/pub/doi/" in iri or "/pub/arxiv/" in iri):
                    # Both carry their own identifier (a preprint and its published version,
                    # say): a title alone does not make them one record.
                    self._near(
                        "work",
                        (natural, iri),
                        "same-title-other-id",
                        "same title, but each has its own identifier",
                        source,
                        label,
                    )
                    continue
                if year and other_year and year != other_year:
                    self._near(
                        "work",
                        (natural, iri),
                        "title-different-year",
                        f"same title, years {year} and {other_year}",
                        source,
                        label,
                    )
                    continue
                target = iri
                rule = "title+year" if year and other_year else "title"
                evidence = f"same normalized title {ids.normalize_title(title)!r}" + (
                    f" and year {year}" if rule == "title+year" else ""
                )
                break
        resolved = natural
        if target is not None and target != natural:
            resolved = target
            rec["_iri"] = target
            rec["_merged_by"] = rule  # the mapping keeps a title-matched record's wording aside
            self._merge("work", target, natural, rule, evidence, source, label)
        self._add_work(resolved, doi, arxiv, [title] if title else [], year, {graph})
        self.batch_added.add(resolved)
        return resolved

    # -- people --

    def person_groups(
        self, source: str, records: list[dict[str, Any]], work_iris: dict[int, str]
    ) -> list[_PersonGroup]:
        groups: dict[str, _PersonGroup] = {}
        by_key: dict[str, _PersonGroup] = {}
        for rec in records:
            if rec.get("type") == "Person":
                norm = ids.normalize_name(rec["name"])
                g = _PersonGroup(
                    source, norm, rec["name"], ids.person_record_iri(rec, scope=source), rec
                )
                gid = f"key:{rec['id']}" if rec.get("id") else f"rec:{id(rec)}"
                groups[gid] = g
                if rec.get("id"):
                    by_key[rec["id"]] = g
        # one group per normalized name without identifiers, so the owner and its name are one
        by_norm: dict[str, _PersonGroup] = {}
        for g in groups.values():
            if g.record is not None and not _has_person_id(g.record):
                by_norm.setdefault(g.norm, g)
        for rec in records:
            if rec.get("type") != "Publication":
                continue
            work = work_iris[id(rec)]
            for author in rec.get("authors", []):
                if author.get("person") and author["person"] in by_key:
                    g = by_key[author["person"]]
                elif author.get("orcid"):
                    gid = f"orcid:{ids.orcid(author['orcid'])}"
                    g = groups.setdefault(
                        gid,
                        _PersonGroup(
                            source,
                            ids.normalize_name(author["name"]),
                            author["name"],
                            ids.person_iri(orcid_id=author["orcid"]),
                        ),
                    )
                else:
                    norm = ids.normalize_name(author["name"])
                    g = (
                        by_norm.get(norm)
                        or by_norm.get(_swapped(author["name"]))
                        or groups.setdefault(
                            f"name:{norm}",
                            _PersonGroup(
                                source,
                                norm,
                                author["name"],
                                ids.person_iri(name=author["name"], scope=source),
                            ),
                        )
                    )
                    if g.record is not None and not author.get("person"):
                        author["_person_iri"] = g.iri  # the same name within one source
                        g.authorships.append(author)
                        g.works.add(work)
                        continue
                g.authorships.append(author)
                g.works.add(work)
        for g in groups.values():
            named = [a for a in g.authorships if "_person_iri" in a]
            if named:
                printed = ids.person_iri(name=named[0]["name"], scope=source)
                self._merge(
                    "person",
                    g.iri,
                    printed,
                    "name-in-source",
                    f"{len(named)} authorship(s) printed as {g.name!r} in the same source "
                    "as the person record",
                    source,
                    g.name,
                )
        return list(groups.values())

    def person(self, g: _PersonGroup, graph: str) -> None:
        rec = g.record or {}
        target, rule, evidence = None, "", ""
        orcid = clean_id(ids.orcid, rec.get("orcid")) or (
            g.iri.rsplit("/", 1)[1] if "/person/orcid/" in g.iri else None
        )
        for scheme, value in (
            ("orcid", orcid),
            ("dblp", rec.get("dblp")),
            ("openalex", clean_id(ids.openalex_id, rec.get("openalex"))),
        ):
            found = self.person_by_id.get((scheme, value)) if value else None
            if found and self._usable(found, g.iri, graph, self.person_graphs):
                target, rule, evidence = found, scheme, f"same {scheme} {value}"
                break
        if target is None:
            target, rule, evidence = self._by_name(g, graph, orcid)
        resolved = g.iri
        if target is not None and target != g.iri:
            resolved = target
            self._merge("person", target, g.iri, rule, evidence, g.source, g.name)
            if g.record is not None:
                g.record["_iri"] = target
            for a in g.authorships:
                a["_person_iri"] = target
        g.resolved = resolved
        # later sources of the batch see this person
        if orcid:
            self.person_by_id.setdefault(("orcid", orcid), resolved)
            self.person_orcid.setdefault(resolved, orcid)
        for scheme in ("dblp", "openalex"):
            if rec.get(scheme):
                self.person_by_id.setdefault((scheme, rec[scheme]), resolved)
        anchored = g.record is not None or "/person/name/" not in resolved
        self._add_name(g.norm, resolved, anchored=anchored)
        self.person_names.setdefault(resolved, g.name)
        self.person_graphs[resolved].add(graph)
        self.batch_added.add(resolved)
        for w in g.works:
            self.work_authors[w].add(resolved)

    def _by_name(
        self, g: _PersonGroup, graph: str, orcid: str | None
    ) -> tuple[str | None, str, str]:
        candidates = sorted(self.person_by_name.get(g.norm, set()) - {g.iri})
        for iri in candidates:
            if not self._usable(iri, g.iri, graph, self.person_graphs):
                continue
            other_orcid = self.person_orcid.get(iri)
            if orcid and other_orcid and orcid != other_orcid:
                self._near(
                    "person",
                    (g.iri, iri),
                    "conflicting-orcid",
                    f"same name {g.name!r}, ORCIDs {orcid} and {other_orcid}",
                    g.source,
                    g.name,
                )
                continue
            shared = sorted(w for w in g.works if iri in self.work_authors.get(w, set()))
            if len(shared) >= self.min_shared:
                return (
                    iri,
                    "name+shared-works",
                    (
                        f"same normalized name {g.norm!r} and {len(shared)} shared works: "
                        + ", ".join(shared[:5])
                    ),
                )
            if self.aggressive:
                return iri, "name-aggressive", f"same normalized name {g.norm!r} (--aggressive)"
            self._near(
                "person",
                (g.iri, iri),
                "same-name",
                f"same normalized name {g.norm!r}, {len(shared)} shared work(s) "
                f"(needs {self.min_shared})",
                g.source,
                g.name,
            )
        self._similar(g, graph)
        return None, "", ""

    def _similar(self, g: _PersonGroup, graph: str) -> None:
        """Report people with a *similar* name (within two edits, or the same family name and
        initial) as ``similar-name`` near misses, bounded so that the report stays something a
        data steward reads:

        - a name with a digit ("External Author 123", "Group 7") is not a person name a typo
          produces: it is neither compared nor a candidate;
        - at least one side must be *anchored* (a Person record or an ORCID/DBLP/OpenAlex id):
          two names printed only in author lists carry no evidence either way, and comparing
          every co-author with every other is quadratic (1,122 "External Author N" names gave
          56,796 near misses for 500 publications);
        - at most :data:`SIMILAR_PER_NAME` candidates per name, the closest first; the evidence
          of those reported says how many more there were.
        """
        tokens = g.norm.split()
        if len(tokens) < 2 or _has_digit(g.norm):
            return
        anchored = g.record is not None or "/person/name/" not in g.iri
        blocks = self.all_names if anchored else self.anchored_names
        first, family = tokens[0], tokens[-1]
        # candidates share the family name or the first name ("Zajkac": a damaged family name)
        block = blocks.family.get(family, set()) | blocks.first.get(first, set())
        block.discard(g.norm)
        close: dict[str, tuple[int, str]] = {}
        # rapidfuzz's C loop over the block, keeping distances <= 2 (a Python loop over every
        # pair was the quadratic part: 10M triples have blocks of thousands of names)
        for norm, distance, _ in process.extract(
            g.norm, sorted(block), scorer=Levenshtein.distance, score_cutoff=2, limit=None
        ):
            close[norm] = (int(distance), f"{int(distance)} edit(s)")
        # "J. Smith" and "John Smith": an initial against a full given name, same family.
        initial = (family, first[:1])
        same = (
            blocks.initial.get(initial, set())
            if len(first) == 1
            else blocks.initialed.get(initial, set())
        )
        for norm in same - {g.norm}:
            close.setdefault(norm, (3, "same family name and initial"))
        found: list[tuple[int, str, str, str]] = []  # (distance, norm, iri, why)
        for norm, (distance, why) in close.items():
            for iri in self.person_by_name.get(norm, set()):
                if not anchored and iri not in self.anchored:
                    continue
                if self._usable(iri, g.iri, graph, self.person_graphs):
                    found.append((distance, norm, iri, why))
        found.sort()
        more = len(found) - SIMILAR_PER_NAME
        for _, norm, iri, why in found[:SIMILAR_PER_NAME]:
            extra = f"; {more} more similar name(s) not listed" if more > 0 else ""
            self._near(
                "person",
                (g.iri, iri),
                "similar-name",
                f"names {g.norm!r} and {norm!r}: {why}{extra}",
                g.source,
                g.name,
            )

    # -- organizations --

    def org(self, source: str, graph: str, rec: dict[str, Any]) -> None:
        ror = clean_id(ids.ror, rec.get("ror"))
        if ror:
            return  # the ROR IRI is already shared
        existing = self.org_by_name.get(ids.normalize_name(rec["name"]))
        natural = ids.org_iri(name=rec["name"], key=rec.get("id"))
        if existing and existing != natural and "/org/ror/" in existing:
            rec["_iri"] = existing
            self._merge(
                "organization",
                existing,
                natural,
                "name",
                "same normalized name as an organization with a ROR id",
                source,
                rec["name"],
            )

    # -- bookkeeping --

    def _merge(
        self, kind: str, iri: str, merged: str, rule: str, evidence: str, source: str, label: str
    ) -> None:
        self.out.merges.append(Merge(kind, iri, merged, rule, evidence, (source,), label))

    def _near(
        self, kind: str, iris: tuple[str, str], rule: str, evidence: str, source: str, label: str
    ) -> None:
        miss = NearMiss(kind, iris, rule, evidence, (source,), label)
        if miss not in self._near_seen:  # a set: the list can grow large on big batches
            self._near_seen.add(miss)
            self.out.near_misses.append(miss)


_KINDS = {"Publication": "work", "Person": "person"}


def _kind_and_iri(rec: Mapping[str, Any], source: str) -> tuple[str, str]:
    return _KINDS.get(rec.get("type") or "", "organization"), ids.record_iri(rec, scope=source)


def _copy(value: Any) -> Any:
    """A deep copy of a record (dicts, lists and scalars, as decoded from JSON/YAML/CSV): a third
    of the time of :func:`copy.deepcopy`, which also tracks shared and cyclic references that
    records do not have.

    >>> rec = {"authors": [{"name": "A"}]}; dup = _copy(rec); dup["authors"][0]["name"] = "B"
    >>> rec["authors"][0]["name"]
    'A'
    """
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _swapped(name: str) -> str:
    """The normalized "First Last" form of a name printed "Last, First" ("" if it is not).

    >>> _swapped("Lovelace, Ada")
    'ada lovelace'
    """
    parts = [p.strip() for p in name.split(",")]
    if len(parts) != 2 or not all(parts):
        return ""
    return ids.normalize_name(f"{parts[1]} {parts[0]}")


def _has_person_id(rec: Mapping[str, Any]) -> bool:
    return any(rec.get(k) for k in ("orcid", "dblp", "openalex"))


_DIGIT = re.compile(r"\d")

#: At most this many ``similar-name`` near misses per name, the closest first (see ``_similar``).
SIMILAR_PER_NAME = 5


def _has_digit(text: str) -> bool:
    """True when ``text`` holds a digit: "External Author 12" is a placeholder, not a name a typo
    produces, so it takes no part in similar-name near misses.

    >>> _has_digit("external author 12"), _has_digit("ada lovelace")
    (True, False)
    """
    return _DIGIT.search(text) is not None


def resolve(
    batch: Iterable[tuple[str, list[dict[str, Any]]]],
    index: EntityIndex,
    *,
    aggressive: bool = False,
    min_shared_works: int = 1,
    on_source: Callable[[str, list[dict[str, Any]]], None] | None = None,
) -> Resolution:
    """Resolve a batch of sources against the store's :class:`EntityIndex` and against each other.

    ``batch`` is ``(source_key, records)`` per source, in load order (any iterable: a generator
    keeps one source in memory at a time). Returns annotated *copies*: a Person, Publication or
    Organization may get ``"_iri"`` and an author ``"_person_iri"``; records repeated exactly
    within one source are kept once (a ``duplicate-in-batch`` merge). With ``on_source``, each
    source's annotated records are handed to it as soon as the source is resolved and are not
    kept in :attr:`Resolution.batch` (streaming ingest); later sources still see earlier ones.

    >>> page = [{"type": "Person", "id": "p:ada", "name": "Ada Lovelace"},
    ...         {"type": "Publication", "title": "Notes", "authors": [{"name": "Ada Lovelace"}]}]
    >>> r = resolve([("page", page)], EntityIndex())
    >>> [m.rule for m in r.merges], "_person_iri" in r.records("page")[1]["authors"][0]
    (['name-in-source'], True)
    """
    resolver = _Resolver(index, aggressive=aggressive, min_shared_works=min_shared_works)
    out_batch: list[tuple[str, list[dict[str, Any]]]] = []
    for source, records in batch:
        graph = ids.graph_iri(source)
        kept: list[dict[str, Any]] = []
        seen: set[str] = set()
        for rec in records:
            fingerprint = json.dumps(rec, sort_keys=True, ensure_ascii=False)
            if fingerprint in seen:
                label = str(rec.get("title") or rec.get("name") or rec.get("type"))
                kind, iri = _kind_and_iri(rec, source)
                resolver._merge(
                    kind,
                    iri,
                    iri,
                    "duplicate-in-batch",
                    "the same record twice in one source: kept once",
                    source,
                    label,
                )
                continue
            seen.add(fingerprint)
            kept.append(_copy(rec))
        work_iris: dict[int, str] = {}
        for rec in kept:
            if rec.get("type") == "Publication":
                work_iris[id(rec)] = resolver.work(source, graph, rec)
            elif rec.get("type") == "Organization":
                resolver.org(source, graph, rec)
        for group in resolver.person_groups(source, kept, work_iris):
            resolver.person(group, graph)
        if on_source is not None:
            on_source(source, kept)
        else:
            out_batch.append((source, kept))
    resolver.out.batch = out_batch
    return resolver.out
