"""kg's vocabulary (ontology/kg.ttl), its alignment axioms (ontology/alignment.ttl) and the JSON-LD
context kg exports with (ontology/context.jsonld).

The vocabulary must declare, with a label and a comment, every ``kg:`` term the mapping contract
(docs/mapping.md) or the code uses. The context must agree with the official schema.org context
(release 30.0, ``../shared/fixtures/schemaorg``) for every term it defines.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.shared import project_root
from kg.vocab import KG, PREFIXES, SCHEMA
from tests.conftest import require_shared

ROOT = project_root()
ONTOLOGY = ROOT / "ontology"
VOCAB_IRI = URIRef("https://w3id.org/kg/vocab")

#: Terms the entity resolution (issue 8: explainable merges and near misses) writes; declared
#: ahead of their use in docs/mapping.md.
RESOLUTION_TERMS = {"Merge", "NearMiss", "rule", "evidence", "mergedEntity", "mergedWith"}
#: Declared terms that neither the doc nor the code names directly: the class of the six status
#: individuals (kg:Member ... kg:Former), and the record's own key, which kg/mapping.py writes.
SUPPORT_TERMS = {"MembershipStatus", "localKey"}

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_DECLARED_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
_AXIOMS = (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty)


def _graph(name: str) -> Graph:
    return Graph().parse(ONTOLOGY / name, format="turtle")


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return _graph("kg.ttl")


@pytest.fixture(scope="module")
def alignment() -> Graph:
    return _graph("alignment.ttl")


def _local(term: URIRef) -> str:
    return str(term)[len(KG) :]


def _declared(g: Graph) -> set[str]:
    return {
        _local(s)
        for s, t in g.subject_objects(RDF.type)
        if isinstance(s, URIRef) and str(s).startswith(KG) and t in _DECLARED_TYPES
    }


def _doc_terms() -> set[str]:
    text = (ROOT / "docs" / "mapping.md").read_text("utf-8")
    return set(re.findall(r"(?<![\w/])kg:([A-Za-z][A-Za-z0-9]*)", text))


def _code_terms() -> set[str]:
    """``KG + "term"`` in the package: terms the code writes even if the doc forgot them."""
    found: set[str] = set()
    for path in (ROOT / "kg").rglob("*.py"):
        text = path.read_text("utf-8")
        found |= set(re.findall(r'\bKG\s*\+\s*"([A-Za-z][A-Za-z0-9]*)"', text))
        found |= set(re.findall(r"\{KG\}([A-Za-z][A-Za-z0-9]*)", text))  # f-strings
        found |= set(re.findall(r"(?<![\w:/])kg:([A-Za-z][A-Za-z0-9]*)", text))  # SPARQL text
    return found


def test_doc_names_the_core_terms() -> None:
    # Guards the regex: if it stopped matching, the declaration test below would pass vacuously.
    assert {"Authorship", "position", "printedName", "SourceGraph", "Member"} <= _doc_terms()


def test_vocabulary_is_a_versioned_owl_ontology(vocab: Graph) -> None:
    assert (VOCAB_IRI, RDF.type, OWL.Ontology) in vocab
    version = vocab.value(VOCAB_IRI, OWL.versionInfo)
    assert isinstance(version, Literal) and re.fullmatch(r"\d+\.\d+\.\d+", str(version))
    assert vocab.value(VOCAB_IRI, OWL.versionIRI) == URIRef(f"{VOCAB_IRI}/{version}")


@pytest.mark.parametrize("term", sorted(_doc_terms() | _code_terms() | RESOLUTION_TERMS))
def test_every_used_term_is_declared_with_label_and_comment(vocab: Graph, term: str) -> None:
    iri = URIRef(KG + term)
    types = set(vocab.objects(iri, RDF.type))
    assert types & _DECLARED_TYPES, f"kg:{term} is used but not declared in ontology/kg.ttl"
    labels = [o for o in vocab.objects(iri, RDFS.label) if isinstance(o, Literal)]
    comments = [o for o in vocab.objects(iri, RDFS.comment) if isinstance(o, Literal)]
    assert any(lab.language == "en" and str(lab).strip() for lab in labels), f"kg:{term}: label"
    assert any(len(str(c).split()) >= 4 for c in comments), f"kg:{term}: comment too short"
    assert (iri, RDFS.isDefinedBy, VOCAB_IRI) in vocab


def test_nothing_declared_that_nothing_uses(vocab: Graph) -> None:
    used = _doc_terms() | _code_terms() | RESOLUTION_TERMS | SUPPORT_TERMS
    assert _declared(vocab) - used == set()


def test_status_individuals_match_the_record_schema(vocab: Graph) -> None:
    from kg.records import record_schema

    enum = record_schema("Person")["properties"]["status"]["items"]["properties"]["value"]["enum"]
    members = {
        _local(s)
        for s in vocab.subjects(RDF.type, URIRef(KG + "MembershipStatus"))
        if isinstance(s, URIRef)
    }
    assert members == {value.capitalize() for value in enum}


def test_kg_terms_referenced_anywhere_are_declared(vocab: Graph, alignment: Graph) -> None:
    declared = _declared(vocab)
    for g in (vocab, alignment):
        for triple in g:
            for node in triple:
                if isinstance(node, URIRef) and str(node).startswith(KG):
                    assert _local(node) in declared, f"{node} is not declared in kg.ttl"


def test_properties_have_domain_or_say_why_not(vocab: Graph) -> None:
    # Every property states a domain, except those any mapped entity carries.
    props = {
        s
        for s in vocab.subjects(RDF.type, None)
        if (s, RDF.type, OWL.ObjectProperty) in vocab
        or (s, RDF.type, OWL.DatatypeProperty) in vocab
    }
    missing = {_local(p) for p in props if vocab.value(p, RDFS.domain) is None}  # type: ignore[arg-type]
    # entityKind, label and sourceKey describe both kg:Merge and kg:NearMiss nodes.
    assert missing == {"recordNumber", "localKey", "entityKind", "label", "sourceKey"}


# --- alignment -------------------------------------------------------------------------------


def _is_http_https_twin(s: Any, o: Any) -> bool:
    return (
        isinstance(s, URIRef)
        and isinstance(o, URIRef)
        and str(s).startswith(SCHEMA)
        and str(o) == "http://schema.org/" + str(s)[len(SCHEMA) :]
    )


def test_alignment_has_the_required_axioms(alignment: Graph) -> None:
    vivo = "http://vivoweb.org/ontology/core#"
    dblp = "https://dblp.org/rdf/schema#"
    prov = "http://www.w3.org/ns/prov#"
    foaf = "http://xmlns.com/foaf/0.1/"
    bibo = "http://purl.org/ontology/bibo/"
    required = [
        (KG + "Authorship", RDFS.subClassOf, vivo + "Authorship"),
        (KG + "Authorship", RDFS.subClassOf, dblp + "AuthorSignature"),
        (KG + "position", RDFS.subPropertyOf, vivo + "rank"),
        (KG + "position", RDFS.subPropertyOf, dblp + "signatureOrdinal"),
        (KG + "author", RDFS.subPropertyOf, dblp + "signatureCreator"),
        (KG + "work", RDFS.subPropertyOf, dblp + "signaturePublication"),
        (KG + "authorship", RDFS.subPropertyOf, dblp + "hasSignature"),
        (KG + "SourceGraph", RDFS.subClassOf, prov + "Entity"),
        (SCHEMA + "Person", OWL.equivalentClass, foaf + "Person"),
        (SCHEMA + "Periodical", OWL.equivalentClass, bibo + "Periodical"),
        (bibo + "AcademicArticle", RDFS.subClassOf, SCHEMA + "ScholarlyArticle"),
    ]
    for s, p, o in required:
        assert (URIRef(s), p, URIRef(o)) in alignment, (s, p, o)


def test_every_alignment_axiom_cites_its_source(alignment: Graph) -> None:
    annotated = {
        (alignment.value(a, OWL.annotatedSource), alignment.value(a, OWL.annotatedProperty),
         alignment.value(a, OWL.annotatedTarget))
        for a in alignment.subjects(RDF.type, OWL.Axiom)
        if len(str(alignment.value(a, RDFS.comment) or "").split()) >= 5
    }  # fmt: skip
    axioms = [(s, p, o) for p in _AXIOMS for s, o in alignment.subject_objects(p)]
    assert len(axioms) > 60
    for s, p, o in axioms:
        if _is_http_https_twin(s, o):
            continue  # the http/https block cites schema.org FAQ #19 once, in its header
        assert (s, p, o) in annotated, f"{s} {p} {o} has no owl:Axiom annotation with a source"
    for stated in annotated:
        assert stated in alignment, f"annotation of an axiom that is not stated: {stated}"


def test_alignment_uses_real_schema_and_foaf_terms(alignment: Graph) -> None:
    schema_vocab = Graph().parse(
        require_shared("fixtures", "schemaorg", "vocab", "schemaorg-current-https.ttl")
    )
    foaf_vocab = Graph().parse(
        require_shared("fixtures", "foaf", "foaf-0.99-index.rdf"), format="xml"
    )
    for node in {n for t in alignment for n in t if isinstance(n, URIRef)}:
        text = str(node)
        if text.startswith(SCHEMA):
            assert (node, RDF.type, None) in schema_vocab, f"{node} is not in schema.org 30.0"
        elif text.startswith("http://schema.org/"):
            twin = URIRef(SCHEMA + text[len("http://schema.org/") :])
            assert (twin, RDF.type, None) in schema_vocab, f"{node} is not in schema.org 30.0"
        elif text.startswith(PREFIXES["foaf"]):
            assert (node, RDF.type, None) in foaf_vocab, f"{node} is not in FOAF 0.99"


def test_alignment_uses_real_dblp_terms(alignment: Graph) -> None:
    dump = require_shared(
        "fixtures", "dblp", "rdf", "dblp-dump-excerpt_reference-vision-2014.ttl"
    ).read_text("utf-8")
    for node in {n for t in alignment for n in t if isinstance(n, URIRef)}:
        if str(node).startswith("https://dblp.org/rdf/schema#"):
            assert "dblp:" + str(node).split("#")[1] in dump, f"{node} is not in the dblp dump"


def test_no_blank_node_leaks_into_kg_terms(vocab: Graph) -> None:
    # Union domains are the only blank nodes in kg.ttl (owl:unionOf lists).
    for s in vocab.subjects():
        if isinstance(s, BNode):
            assert (s, RDF.type, OWL.Class) in vocab or (s, RDF.first, None) in vocab


# --- JSON-LD context -------------------------------------------------------------------------


def _context() -> dict[str, Any]:
    data = json.loads((ONTOLOGY / "context.jsonld").read_text("utf-8"))
    context: dict[str, Any] = data["@context"]
    return context


def _official_context() -> dict[str, Any]:
    path = require_shared("fixtures", "schemaorg", "vocab", "schemaorgcontext.jsonld")
    context: dict[str, Any] = json.loads(path.read_text("utf-8"))["@context"]
    return context


def _expand(value: str, context: dict[str, Any]) -> str:
    """Expand a term definition's ``@id`` or ``@type`` as JSON-LD 1.1 does for a vocab value:
    a keyword stays, ``prefix:suffix`` uses the prefix, a bare term the ``@vocab``."""
    if value.startswith("@"):
        return value
    if ":" in value:
        prefix, _, suffix = value.partition(":")
        base = context.get(prefix)
        return base + suffix if isinstance(base, str) and not suffix.startswith("//") else value
    return str(context["@vocab"]) + value


def _same_schema_iri(ours: str, theirs: str) -> bool:
    """Equal, or equal up to the http/https scheme of schema.org (kg writes https, as schema.org
    recommends, https://schema.org/docs/faq.html#19; the official context file says http)."""
    return ours.replace("https://schema.org/", "http://schema.org/") == theirs


def _definition(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"@id": value}


def test_context_is_self_contained() -> None:
    context = _context()
    assert context["@vocab"] == SCHEMA
    text = json.dumps(context)
    assert "@import" not in text and '"@context"' not in text  # nothing to fetch at run time


def test_context_prefixes_are_kg_namespaces() -> None:
    for term, value in _context().items():
        if isinstance(value, str) and not value.startswith("@") and term != "@vocab":
            assert PREFIXES.get(term) == value, f"prefix {term!r} differs from kg.vocab"


def test_context_agrees_with_official_schemaorg_context() -> None:
    ours, official = _context(), _official_context()
    checked = 0
    assert _same_schema_iri(ours["@vocab"], official["@vocab"])
    for term, raw in ours.items():
        if term == "@vocab":
            continue
        if isinstance(raw, str) and raw.startswith("@"):
            assert official.get(term) == raw, f"keyword alias {term!r}"
            continue
        mine = _definition(raw)
        my_iri = _expand(mine["@id"], ours)
        if not my_iri.startswith(SCHEMA):
            if term in official:  # a prefix both contexts define, such as foaf or xsd
                assert _expand(_definition(official[term])["@id"], official) == my_iri, term
            continue
        assert term in official, f"{term!r} is not a term of the official schema.org context"
        theirs = _definition(official[term])
        assert _same_schema_iri(my_iri, _expand(theirs["@id"], official)), f"{term!r}: IRI"
        if "@type" in theirs:
            assert "@type" in mine, f"{term!r}: official coerces to {theirs['@type']!r}, kg not"
            assert _same_schema_iri(
                _expand(mine["@type"], ours), _expand(theirs["@type"], official)
            ), f"{term!r}: @type {mine['@type']!r} vs official {theirs['@type']!r}"
        else:
            # kg may add an @id coercion for IRI-valued properties, never a datatype of its own.
            assert mine.get("@type") in (None, "@id"), f"{term!r}: @type {mine.get('@type')!r}"
        assert set(mine) <= {"@id", "@type"}, f"{term!r}: unexpected keys {set(mine)}"
        checked += 1
    assert checked >= 40


def test_context_covers_every_schema_term_in_the_mapping_doc() -> None:
    text = (ROOT / "docs" / "mapping.md").read_text("utf-8")
    used = set(re.findall(r"\bschema:([A-Za-z]+)", text))
    assert used - set(_context()) == set()


def _parse_with_pyoxigraph(data: str) -> Graph:
    g = Graph()
    for quad in pyoxigraph.parse(data.encode("utf-8"), format=pyoxigraph.RdfFormat.JSON_LD):
        s, p, o = quad.subject, quad.predicate, quad.object
        term: Any
        if isinstance(o, pyoxigraph.Literal):
            # RDF 1.1: a simple literal is an xsd:string; rdflib writes it without a datatype.
            dt = None if o.language or o.datatype.value == XSD_STRING else URIRef(o.datatype.value)
            term = Literal(o.value, lang=o.language, datatype=dt)
        else:
            term = URIRef(o.value)
        g.add((URIRef(s.value), URIRef(p.value), term))
    return g


def _parse_with_rdflib(data: str) -> Graph:
    # rdflib 7.6's JSON-LD parser goes through its own deprecated ConjunctiveGraph internally;
    # that warning is rdflib's business, not a problem of the document under test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=data, format="json-ld")


@pytest.mark.parametrize(
    "parse", [_parse_with_pyoxigraph, _parse_with_rdflib], ids=["pyoxigraph", "rdflib"]
)
def test_context_expands_as_kg_writes_it(parse: Any) -> None:
    """A small profile document, read by two JSON-LD processors with kg's context inline (nothing
    is fetched), gives the triples kg's graph holds: IRIs where kg links entities, strings else."""
    doc = {
        "@context": _context(),
        "@graph": [
            {
                "@id": "https://example.org/people/ada#page",
                "@type": "ProfilePage",
                "mainEntity": "https://w3id.org/kg/id/person/key/ada",
                "hasPart": "https://w3id.org/kg/id/pub/doi/10.5555/x",
            },
            {
                "@id": "https://w3id.org/kg/id/person/key/ada",
                "@type": "Person",
                "name": "Ada",
                "sameAs": "https://orcid.org/0000-0002-1825-0097",
                "affiliation": "https://w3id.org/kg/id/org/key/lab",
                "knowsAbout": "https://w3id.org/kg/id/topic/x",
            },
            {
                "@id": "https://w3id.org/kg/id/pub/doi/10.5555/x",
                "@type": "ScholarlyArticle",
                "author": "https://w3id.org/kg/id/person/key/ada",
                "datePublished": "2024-05",
                "kg:year": 2024,
            },
        ],
    }
    g = parse(json.dumps(doc))
    s = SCHEMA
    ada = URIRef("https://w3id.org/kg/id/person/key/ada")
    work = URIRef("https://w3id.org/kg/id/pub/doi/10.5555/x")
    page = URIRef("https://example.org/people/ada#page")
    expected = {
        (page, RDF.type, URIRef(s + "ProfilePage")),
        (page, URIRef(s + "mainEntity"), ada),
        (page, URIRef(s + "hasPart"), work),
        (ada, RDF.type, URIRef(s + "Person")),
        (ada, URIRef(s + "name"), Literal("Ada")),
        (ada, URIRef(s + "sameAs"), URIRef("https://orcid.org/0000-0002-1825-0097")),
        (ada, URIRef(s + "affiliation"), URIRef("https://w3id.org/kg/id/org/key/lab")),
        (ada, URIRef(s + "knowsAbout"), URIRef("https://w3id.org/kg/id/topic/x")),
        (work, RDF.type, URIRef(s + "ScholarlyArticle")),
        (work, URIRef(s + "author"), ada),
        (work, URIRef(s + "datePublished"), Literal("2024-05", datatype=URIRef(s + "Date"))),
        (work, URIRef(KG + "year"), Literal(2024)),
    }
    assert set(g) == expected
