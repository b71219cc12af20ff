"""shapes/google.ttl and shapes/scholar.ttl: conforming and violating examples with their exact
expected results, on both engines (the fast evaluator and pySHACL), and engine parity on every
page the export writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib

from kg.export.check import (
    PageCheck,
    check_page,
    check_triples,
    default_shapes_dir,
    graph_triples,
    load_page_shapes,
)
from kg.export.jsonld import SiteUrls, profile_document_for, publication_document
from kg.export.model import load_profiles, profile_people
from kg.validate.memory import SH
from tests.export_helpers import BASE, DATA, RECORDS, store_from

SHAPES = default_shapes_dir()
EXAMPLES = DATA / "shapes"
ENGINES = ("fast", "pyshacl")


def _short(term: str | None) -> str | None:
    if term is None:
        return None
    if term.startswith("_:"):
        return "_:blank"
    return term.replace("https://lab.example.org/", "ex:").replace("https://schema.org/", "schema:")


def _rows(check: PageCheck) -> list[list[str | None]]:
    return sorted(
        [p.severity, p.component, _short(p.focus),
         " / ".join(str(_short(x)) for x in p.path.split(" / ")) if p.path else None,
         _short(p.value), p.message]
        for p in check.problems
    )  # fmt: skip


def _cases() -> list[tuple[str, str, Path]]:
    return [
        (name, kind, f)
        for name in ("google", "scholar")
        for kind in ("valid", "invalid")
        for f in sorted((EXAMPLES / name / kind).glob("*.ttl"))
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "kind", "path"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_shape_examples(name: str, kind: str, path: Path, engine: str) -> None:
    expected = json.loads((path.parent / "expected.json").read_text("utf-8"))[path.name]
    shapes = load_page_shapes([SHAPES / f"{name}.ttl"])
    assert shapes.unsupported is None
    check = check_triples(graph_triples(rdflib.Graph().parse(path)), shapes=shapes, engine=engine)  # type: ignore[arg-type]
    assert _rows(check) == expected
    if kind == "valid":
        assert expected == []
    else:
        assert expected, f"{path.name}: an invalid example must produce results"


def test_every_example_file_has_expected_results() -> None:
    for name in ("google", "scholar"):
        for kind in ("valid", "invalid"):
            expected = json.loads((EXAMPLES / name / kind / "expected.json").read_text("utf-8"))
            assert set(expected) == {p.name for p in (EXAMPLES / name / kind).glob("*.ttl")}


def test_shapes_are_documented() -> None:
    """Every shape has sh:name and sh:description, cites its source in rdfs:comment, and every
    constraint it states carries an sh:message (helper shapes nested inside sh:or / sh:node /
    sh:not / sh:qualifiedValueShape are conformance tests, reported through their parent)."""
    sh = rdflib.Namespace(SH)
    for name in ("google", "scholar"):
        g = rdflib.Graph().parse(SHAPES / f"{name}.ttl")
        roots = set(g.subjects(rdflib.RDF.type, sh.NodeShape))
        assert roots
        for shape in roots:
            assert g.value(shape, sh.name) and g.value(shape, sh.description), shape
            comment = str(g.value(shape, rdflib.RDFS.comment))
            assert (
                "https://developers.google.com/" in comment
                or "https://scholar.google.com/" in comment
            )
            has_own_constraint = any(
                (shape, p, None) in g
                for p in (sh["or"], sh["not"], sh.node, sh.minCount, sh.pattern)
            )
            assert not has_own_constraint or g.value(shape, sh.message), shape
            for prop in g.objects(shape, sh.property):
                assert g.value(prop, sh.message) and g.value(prop, sh.name), (shape, prop)


def test_unsupported_shapes_fall_back_to_pyshacl(tmp_path: Path) -> None:
    shapes_file = tmp_path / "extra.ttl"
    shapes_file.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> .\n"
        "[] a sh:NodeShape ; sh:targetClass schema:Person ; sh:property "
        '[ sh:path schema:name ; sh:maxLength 3 ; sh:message "too long" ] .\n'
    )
    shapes = load_page_shapes([shapes_file])
    assert shapes.unsupported and "maxLength" in shapes.unsupported
    doc = {"@graph": [{"@id": "https://x/#p", "@type": "Person", "name": "Ada Lovelace"}]}
    (problem,) = check_page(doc, shapes=shapes).problems
    assert problem.message == "too long" and problem.component == "MaxLength"


def test_engines_agree_on_every_exported_page() -> None:
    store = store_from(RECORDS)
    people = profile_people(store)
    urls = SiteUrls(BASE, frozenset(people))
    docs = []
    for profile in load_profiles(store, people):
        docs.append(profile_document_for(profile, urls))
        docs += [publication_document(w, urls) for w in profile.works]
    assert len(docs) == 8
    for doc in docs:
        fast, reference = check_page(doc), check_page(doc, engine="pyshacl")
        assert fast.problems == reference.problems
