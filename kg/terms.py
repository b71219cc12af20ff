"""RDF term syntax shared by N-Triples and SPARQL: the one string escaper.

A string literal is written between double quotes with ``\\``, ``"``, line feed and carriage
return escaped, as both grammars require, and tab, backspace and form feed escaped for
readability: N-Triples ``STRING_LITERAL_QUOTE`` with ``ECHAR``
(https://www.w3.org/TR/n-triples/#grammar-production-STRING_LITERAL_QUOTE) and SPARQL 1.1
``STRING_LITERAL2`` (https://www.w3.org/TR/sparql11-query/#rSTRING_LITERAL2) read it alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["ECHAR", "VALUES_CHUNK", "literal", "quote", "values_chunks"]

#: The characters written as an ``ECHAR`` escape (https://www.w3.org/TR/n-triples/#grammar-production-ECHAR).
ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_TABLE = str.maketrans(ECHAR)


def quote(value: str) -> str:
    """``value`` as a double-quoted N-Triples / SPARQL string.

    >>> print(quote('say "hi"\\n\\tok'))
    "say \\"hi\\"\\n\\tok"
    """
    return '"' + value.translate(_TABLE) + '"'


def literal(value: str, datatype: str | None = None, *, lang: str | None = None) -> str:
    """An N-Triples / SPARQL literal: a quoted string, with a language tag or a datatype IRI.

    >>> literal("2024", "http://www.w3.org/2001/XMLSchema#gYear")
    '"2024"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    >>> literal("chat", lang="fr")
    '"chat"@fr'
    """
    text = quote(value)
    if lang:
        return f"{text}@{lang}"
    return f"{text}^^<{datatype}>" if datatype else text


#: Terms per SPARQL ``VALUES`` block. Oxigraph 0.5 joins a block of up to ~1,000 terms by index
#: lookups, but past that it changes plan and rescans the pattern per term: on the 1M-triple
#: bench store ``VALUES ?e { 1,000 IRIs } GRAPH ?g { ?e a schema:Person }`` took 0.03 s of CPU,
#: 2,000 IRIs 1.97 s, 5,034 IRIs 6.3 s. Queries that bind many terms send them in blocks of this
#: size (which also keeps each request small for remote endpoints).
VALUES_CHUNK = 500


def values_chunks(terms: Iterable[str], size: int = VALUES_CHUNK) -> Iterator[str]:
    """``terms`` (SPARQL term texts) joined by spaces, at most ``size`` per block: the bodies of
    ``VALUES`` blocks (https://www.w3.org/TR/sparql11-query/#inline-data) small enough for
    Oxigraph's index-lookup join (see :data:`VALUES_CHUNK`). No terms, no block.

    >>> list(values_chunks(["<a>", "<b>", "<c>"], size=2))
    ['<a> <b>', '<c>']
    """
    items = list(terms)
    for i in range(0, len(items), size):
        yield " ".join(items[i : i + size])
