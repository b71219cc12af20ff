"""Entity resolution: which records are the same work, person or organization, and why.

Rules, strongest first (docs/cleaning.md lists them with the cleaning rules):

* **Works** merge by DOI, else arXiv id, else normalized title (and year when both sides know
  it). Two works with the same title but different DOIs, or different years, are *near misses*.
* **People** merge by ORCID, DBLP pid or OpenAlex id. Without a shared identifier: within one
  source, a Person record and the authors printed with the same normalized name are one person
  (a profile page's owner and their name in its author lists); across sources, the same
  normalized name *and* at least ``min_shared_works`` (default 1) works that resolved to the same
  IRI: the same name in the author list of the same paper is the same author. A name alone never merges across sources unless
  ``aggressive=True``. Different ORCIDs never merge; similar names are reported as near misses.
* **Organizations** merge by ROR id, else they already share the IRI of their normalized name.

The store is read once with :data:`INDEX_QUERY` into an :class:`EntityIndex`; :func:`resolve`
annotates copies of the incoming records with ``_iri`` (records) and ``_person_iri`` (authors)
for the mapping to use instead of minting, and explains every decision in a
:class:`Resolution` whose :meth:`Resolution.evidence_lines` persist it with the source's graph,
where :data:`REPORT_QUERY` finds it again for ``kg resolve --report``.

The package, one module per part: :mod:`kg.resolve.index` (what the store holds),
:mod:`kg.resolve.match` (the rules, pure: testable without a store), :mod:`kg.resolve.evidence`
(the decisions and their triples) and :mod:`kg.resolve.report` (``kg resolve --report``).
"""

from __future__ import annotations

from kg.resolve.evidence import Merge, NearMiss, Resolution
from kg.resolve.index import (
    INDEX_QUERY,
    EntityIndex,
    IndexedOrg,
    IndexedPerson,
    IndexedWork,
    index_queries,
    known_names,
    load_index,
)
from kg.resolve.match import resolve
from kg.resolve.report import REPORT_QUERY, ResolutionReport, report, report_from_rows

__all__ = [
    "INDEX_QUERY",
    "REPORT_QUERY",
    "EntityIndex",
    "IndexedOrg",
    "IndexedPerson",
    "IndexedWork",
    "Merge",
    "NearMiss",
    "Resolution",
    "ResolutionReport",
    "index_queries",
    "known_names",
    "load_index",
    "report",
    "report_from_rows",
    "resolve",
]
