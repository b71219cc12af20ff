"""The content of a store, comparable across ingests: what "the same graph" means in the tests
of docs/architecture.md, "Determinism".

Each load of a source goes to a graph ``{source family}/{load id}``, and its PROV-O description
says when it was generated: both differ on every ingest by design. Everything else must not.
Here load graph IRIs (and IRIs inside them, such as ``…/{load id}#merge-1``) are folded onto
their family and the load's times left out; the rest is compared as it is.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from kg.store import Store, dump_bytes

_LOAD = re.compile(r"(https://w3id\.org/kg/graph/source/[0-9a-f]+)/[0-9TZ]+-[0-9a-f]+")
_TIMES = ("http://www.w3.org/ns/prov#generatedAtTime", "http://www.w3.org/ns/prov#endedAtTime")


def content(store: Store) -> set[str]:
    """The store's quads as N-Quads lines, load ids folded onto their source family and load
    times dropped."""
    out: set[str] = set()
    for quad in ox.parse(dump_bytes(store, "nq"), ox.RdfFormat.N_QUADS):
        if quad.predicate.value in _TIMES:
            continue
        out.add(_LOAD.sub(r"\1", str(quad)))
    return out
