"""RDF-file safety: what kg refuses before and while an RDF source is parsed.

An RDF source (a ``.ttl``/``.jsonld``/``.rdf`` file, :class:`kg.records.protocols.RdfSource`)
is parsed by pyoxigraph under the limits of :mod:`kg.limits` (docs/reliability.md): its size
(``KG_MAX_RDF_BYTES``), its triple count (``KG_MAX_TRIPLES``) and each literal's length
(``KG_MAX_LITERAL_CHARS``); a JSON-LD document must carry its context inline and an RDF/XML
document may not declare entities (:func:`check_rdf_input`).
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from kg import limits
from kg.errors import DataError

__all__ = ["RDF_FORMATS", "check_rdf_input", "read_rdf_lines"]

#: The parser format of each RDF media type kg reads (:data:`kg.records.protocols.RDF_SUFFIXES`).
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _jsonld_contexts(node: Any, found: list[str]) -> None:
    """Every ``@context`` / ``@import`` reference (a string) in a JSON-LD document."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    refs = value if isinstance(value, list) else [value]
                    found.extend(r for r in refs if isinstance(r, str))
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def check_rdf_input(data: bytes, media_type: str, *, where: str) -> None:
    """Refuse RDF that would make kg fetch or expand anything, before it is parsed.

    - JSON-LD: a remote ``@context`` (or 1.1 ``@import``) is never fetched, from the network or
      from ``file:`` (https://www.w3.org/TR/json-ld11-api/#loaddocumentcallback); the document
      must carry its context inline. pyoxigraph has no document loader set here and would fail
      with "No LoadDocumentCallback has been set"; kg says why first. Nesting depth is bounded.
    - RDF/XML: a DOCTYPE or ENTITY declaration is refused (:func:`kg.limits.check_xml_safe`).

    >>> check_rdf_input(b'{"@context": "https://schema.org/", "name": "x"}', "application/ld+json",
    ...                 where="a.jsonld")
    Traceback (most recent call last):
    ...
    kg.errors.DataError: a.jsonld: JSON-LD @context 'https://schema.org/' is a remote document, ...
    """
    if media_type == "application/ld+json":
        text = data.decode("utf-8", errors="replace")
        limits.check_json_depth(text, where=where)
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise DataError(f"{where}: invalid JSON-LD: {exc}") from None
        refs: list[str] = []
        _jsonld_contexts(doc, refs)
        if refs:
            raise DataError(
                f"{where}: JSON-LD @context {refs[0]!r} is a remote document, which kg never "
                "fetches; put the context inline in the file"
            )
    elif media_type == "application/rdf+xml":
        limits.check_xml_safe(data.decode("utf-8", errors="replace"), where=where)


def read_rdf_lines(data: bytes, media_type: str, *, base_iri: str, where: str) -> list[str]:
    """The triples of an RDF document as N-Triples lines (its graph names dropped: the source
    gets a graph of its own), checked against the limits above while the parser streams.

    >>> read_rdf_lines(b'<urn:a> <urn:b> "c" .', "application/n-triples", base_iri="urn:x", where="x")
    ['<urn:a> <urn:b> "c" .']
    """
    lim = limits.current()
    limits.check_size(len(data), where=where, limit="max_rdf_bytes", limits=lim)
    check_rdf_input(data, media_type, where=where)
    triples: list[ox.Triple] = []
    try:
        for quad in ox.parse(data, RDF_FORMATS[media_type], base_iri=base_iri):
            triples.append(quad.triple)
            limits.check_count(len(triples), where=where, limit="max_triples", limits=lim)
            obj = quad.object
            if isinstance(obj, ox.Literal):
                limits.check_literal(obj.value, where=f"{where}: triple {len(triples)}", limits=lim)
    except SyntaxError as exc:
        raise DataError(f"{where}: invalid RDF ({media_type}): {exc}") from None
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    # N-Triples lines end at \n only: str.splitlines() also splits at U+2028, U+0085, \x1c...
    # which the serializer writes unescaped inside literals (a broken line failed the batch)
    return [line for line in text.decode("utf-8").split("\n") if line]
