"""Importers from the public scholarly APIs: ORCID, OpenAlex, Crossref and DBLP.

Importing this package registers the source schemes with :func:`kg.records.sources.register_scheme`
(``open_source`` imports it when it meets a ``scheme:value`` spec):

========================  =================================================================
``orcid:0000-0002-…``     :class:`~kg.records.apis.orcid.OrcidSource`: ORCID public API v3.0
``openalex:A5023888391``  :class:`~kg.records.apis.openalex.OpenAlexSource`: also an ORCID
``doi:10.1371/…``         :class:`~kg.records.apis.crossref.CrossrefSource`: Crossref works
``dblp:95/7448-1``        :class:`~kg.records.apis.dblp.DblpSource`: DBLP person XML
========================  =================================================================

Every source talks HTTP through :mod:`kg.http`; its base URL moves with ``KG_ORCID_API``,
``KG_OPENALEX_API``, ``KG_CROSSREF_API`` or ``KG_DBLP_API``. See docs/sources.md.

>>> from kg.records.sources import open_source
>>> open_source("orcid:0000-0002-1825-0097").key
'https://pub.orcid.org/v3.0/0000-0002-1825-0097'
"""

from __future__ import annotations

from kg.records.apis.crossref import CrossrefSource, open_crossref
from kg.records.apis.dblp import DblpSource, open_dblp
from kg.records.apis.openalex import OpenAlexSource, open_openalex
from kg.records.apis.orcid import OrcidSource, open_orcid
from kg.records.sources import register_scheme

__all__ = [
    "SCHEMES",
    "CrossrefSource",
    "DblpSource",
    "OpenAlexSource",
    "OrcidSource",
]

#: The schemes this package registers and their openers.
SCHEMES = {
    "orcid": open_orcid,
    "openalex": open_openalex,
    "doi": open_crossref,
    "dblp": open_dblp,
}

for _scheme, _opener in SCHEMES.items():
    register_scheme(_scheme, _opener)
