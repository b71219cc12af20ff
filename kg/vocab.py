"""Namespaces kg writes, and the IRIs of kg's own vocabulary (``ontology/kg.ttl``).

schema.org is written with the ``https://schema.org/`` namespace, as the schema.org JSON-LD
context does (https://schema.org/docs/faq.html#19). FOAF is http://xmlns.com/foaf/0.1/,
PROV-O is https://www.w3.org/TR/prov-o/, bibo is http://purl.org/ontology/bibo/.
"""

from __future__ import annotations

__all__ = [
    "BIBO",
    "DCT",
    "FOAF",
    "GRAPH_BASE",
    "ID_BASE",
    "KG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "XSD",
]

SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
BIBO = "http://purl.org/ontology/bibo/"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: kg's own small vocabulary: what schema.org and FOAF lack (authorship node, position, status).
KG = "https://w3id.org/kg/vocab#"
#: Base of every entity IRI kg mints (people, works, organizations, authorships...).
ID_BASE = "https://w3id.org/kg/id/"
#: Base of the named graphs, one per source load.
GRAPH_BASE = "https://w3id.org/kg/graph/"

PREFIXES: dict[str, str] = {
    "schema": SCHEMA,
    "foaf": FOAF,
    "prov": PROV,
    "bibo": BIBO,
    "dct": DCT,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "kg": KG,
    "kgid": ID_BASE,
}
