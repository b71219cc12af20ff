"""An outside check: every JSON-LD document kg exports against schema.org's own vocabulary
(release in ``../shared/fixtures/schemaorg/vocab/schemaorg-current-https.ttl``, read through
``kg.shared``; nothing copied into the project).

Each document is read as RDF by rdflib's JSON-LD parser, then:

- every ``@type`` is a schema.org class;
- every property is a schema.org property;
- domain: the subject has a type that is (a subclass of) one of the property's
  ``schema:domainIncludes``;
- range: an IRI or node object has a type that is (a subclass of) one of its
  ``schema:rangeIncludes``, or, with no type, the range includes ``schema:URL``; a literal's range
  includes a schema.org data type (https://schema.org/DataType: Text, URL, Date, DateTime, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, RDFS, Literal

from kg.export import export_html, export_jsonld
from kg.shared import project_root
from tests.conftest import shared_path
from tests.export_helpers import (
    BASE,
    RECORDS,
    extracted_jsonld,
    hostile_records,
    parse_jsonld,
    store_from,
)
from tests.test_export_pages import KINDS

S = rdflib.Namespace("https://schema.org/")
VOCAB = shared_path("fixtures", "schemaorg", "vocab", "schemaorg-current-https.ttl")


class Vocabulary:
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            pytest.fail(f"{path} is missing: the schema.org vocabulary fixture (set KG_SHARED)")
        g = rdflib.Graph().parse(path, format="turtle")
        self.classes = set(g.subjects(RDF.type, RDFS.Class))
        self.properties = set(g.subjects(RDF.type, RDF.Property))
        self.parents = {c: set(g.objects(c, RDFS.subClassOf)) for c in self.classes}
        self.domains = {p: set(g.objects(p, S.domainIncludes)) for p in self.properties}
        self.ranges = {p: set(g.objects(p, S.rangeIncludes)) for p in self.properties}
        # Text, Number, Date... are typed schema:DataType; Integer, URL... are their subclasses
        roots = set(g.subjects(RDF.type, S.DataType)) | {S.DataType}
        self.data_types = {c for c in self.classes | roots if self.ancestors(c) & roots}

    def is_a(self, cls: rdflib.term.Node, ancestor: rdflib.term.Node) -> bool:
        return ancestor in self.ancestors(cls)

    @cache  # noqa: B019 - one vocabulary per test session
    def ancestors(self, cls: rdflib.term.Node) -> frozenset[rdflib.term.Node]:
        seen, todo = {cls}, [cls]
        while todo:
            for parent in self.parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def problems(self, g: rdflib.Graph) -> Iterator[str]:
        for s, p, o in g:
            if p == RDF.type:
                if o not in self.classes:
                    yield f"{o} is not a schema.org class"
                continue
            if p not in self.properties:
                yield f"{p} is not a schema.org property"
                continue
            types = set(g.objects(s, RDF.type))
            if not any(self.is_a(t, d) for t in types for d in self.domains[p]):
                yield f"{p}: subject {s} typed {sorted(types, key=str)} is outside its domain"
            ranges = self.ranges[p]
            if isinstance(o, Literal):
                if not ranges & self.data_types and not any(
                    self.is_a(r, S.DataType) for r in ranges
                ):
                    yield f"{p}: literal {o!r} but the range is {sorted(ranges, key=str)}"
                continue
            otypes = set(g.objects(o, RDF.type))
            if otypes and not any(self.is_a(t, r) for t in otypes for r in ranges):
                yield f"{p}: object {o} typed {sorted(otypes, key=str)} is outside the range {sorted(ranges, key=str)}"
            if not otypes and S.URL not in ranges:
                yield f"{p}: object {o} has no type and the range {sorted(ranges, key=str)} has no URL"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(VOCAB)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("vocab")
    (tmp / "kinds.json").write_text(json.dumps(KINDS), encoding="utf-8")
    examples = project_root() / "examples"
    store = store_from(RECORDS, tmp / "kinds.json", hostile_records(tmp), examples / "group", examples / "seed")  # fmt: skip
    export_jsonld(store, tmp / "docs", base_url=BASE, force=True)
    export_html(store, tmp / "site", base_url=BASE, force=True)
    (doc,) = extracted_jsonld((tmp / "site" / "index.html").read_text("utf-8"), BASE)
    (tmp / "docs" / "index.jsonld").write_text(json.dumps(doc), encoding="utf-8")
    return sorted((tmp / "docs").rglob("*.jsonld"))


def test_the_vocabulary_is_read(vocabulary: Vocabulary) -> None:
    assert S.ScholarlyArticle in vocabulary.classes and S.author in vocabulary.properties
    assert vocabulary.is_a(S.ScholarlyArticle, S.CreativeWork)
    assert {S.Text, S.URL, S.Integer, S.Date} <= vocabulary.data_types
    assert S.Person not in vocabulary.data_types


def test_every_exported_document_keeps_to_schema_orgs_vocabulary(
    vocabulary: Vocabulary, documents: list[Path]
) -> None:
    assert len(documents) >= 40
    found: dict[str, list[str]] = {}
    for path in documents:
        g = parse_jsonld(path.read_text("utf-8"))
        assert len(g) > 3, path
        problems = sorted(set(vocabulary.problems(g)))
        if problems:
            found[path.name] = problems
    assert not found, json.dumps(found, indent=1)[:4000]


def test_the_check_catches_a_wrong_term(vocabulary: Vocabulary) -> None:
    doc = {"@context": {"@vocab": "https://schema.org/"}, "@graph": [
        {"@id": "https://x/#p", "@type": "Person", "name": "A", "headline": "not a Person's",
         "colour": "red", "worksFor": {"@id": "https://x/#w", "@type": "ScholarlyArticle"}},
        {"@id": "https://x/#t", "@type": "Thesiss"},
    ]}  # fmt: skip
    problems = "\n".join(vocabulary.problems(parse_jsonld(json.dumps(doc))))
    assert "Thesiss is not a schema.org class" in problems
    assert "colour is not a schema.org property" in problems
    assert "headline: subject https://x/#p" in problems
    assert "worksFor: object https://x/#w" in problems
