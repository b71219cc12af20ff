"""The shapes in shapes/, checked against conforming and violating graphs with exact results.

Each ``tests/data/shapes/<name>/{valid,invalid}/*.ttl|*.trig`` graph is validated; valid graphs
must give no result at all, invalid ones exactly the results in the ``*.expected.json`` beside
them (regenerate with ``KG_REGEN_GOLDEN=1 pytest tests/test_validate.py`` and review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from kg.errors import UsageError
from kg.validate import Severity, ValidationError, ValidationReport, validate
from kg.validate.report import compact

pytestmark = pytest.mark.usefixtures("data_shapes_only")

DATA = Path(__file__).parent / "data" / "shapes"
#: Shape folders with one ``expected.json`` per folder (google/, scholar/) are the web export's,
#: checked page by page in tests/test_export_shapes.py; the rest have ``*.expected.json`` per graph.
GRAPHS = sorted(
    p
    for p in DATA.glob("*/*/*")
    if p.suffix in {".ttl", ".trig"} and not (p.parent / "expected.json").exists()
)
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"


def load(path: Path) -> ox.Store:
    """A test graph in an in-memory Oxigraph store (rdflib's TriG parser warns in rdflib 7.6)."""
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    return store


def summary(report: ValidationReport) -> list[dict[str, str | None]]:
    return sorted(
        (
            {
                "severity": r.severity.value,
                "focus": r.focus,
                "path": compact(r.path),
                "value": r.value,
                "shape": compact(r.shape),
                "component": compact(r.component),
            }
            for r in report.results
        ),
        key=lambda d: json.dumps(d, sort_keys=True),
    )


def test_every_shape_file_has_valid_and_invalid_graphs() -> None:
    shapes = {p.stem for p in (Path(__file__).parent.parent / "shapes").glob("*.ttl")}
    mine = {"person", "organization", "publication", "provenance"}
    assert mine <= shapes
    for name in mine:
        for kind in ("valid", "invalid"):
            assert list((DATA / name / kind).glob("*.t*")), f"no {kind} graph for {name}"


@pytest.mark.parametrize(
    "path", GRAPHS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}"
)
def test_shape_graph(path: Path) -> None:
    report = validate(load(path))
    got = summary(report)
    if path.parent.name == "valid":
        assert got == []
        assert report.conforms
        return
    expected_file = path.with_suffix(".expected.json")
    if os.environ.get("KG_REGEN_GOLDEN"):
        expected_file.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text())
    assert not report.conforms


PLANTED = """
@prefix schema: <https://schema.org/> . @prefix kg: <https://w3id.org/kg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix prov: <http://www.w3.org/ns/prov#> .
<https://w3id.org/kg/graph/source/g> {
  <https://w3id.org/kg/graph/source/g> a kg:SourceGraph ; prov:wasDerivedFrom <file:///x/pubs.json> ;
    kg:sourceLabel "examples/pubs.json" ; prov:generatedAtTime "2026-01-01T00:00:00Z"^^xsd:dateTime .
  <https://w3id.org/kg/id/pub/key/w1> a schema:ScholarlyArticle ; schema:name "Learning Sparse Codes" ;
    schema:abstract "a" ; kg:recordNumber 3 ;
    kg:authorship <https://w3id.org/kg/id/pub/key/w1#author-1>, <https://w3id.org/kg/id/pub/key/w1#author-3> .
  <https://w3id.org/kg/id/pub/key/w1#author-1> a kg:Authorship ; kg:author <https://w3id.org/kg/id/person/key/p> ;
    kg:position 1 ; kg:printedName "P" .
  <https://w3id.org/kg/id/pub/key/w1#author-3> a kg:Authorship ; kg:author <https://w3id.org/kg/id/person/key/p> ;
    kg:position 3 .
  <https://w3id.org/kg/id/person/key/p> a schema:Person ; schema:name "P" .
}
"""


def planted() -> ox.Store:
    store = ox.Store()
    store.load(PLANTED.encode(), ox.RdfFormat.TRIG)
    return store


@pytest.mark.parametrize(
    ("orcid", "ok"),
    [
        ("0000-0002-1825-0097", True),
        ("0000-0002-1825-0098", False),
        ("0000-0002-9079-593X", True),
        ("0000-0002-9079-5939", False),
        ("0000-0001-5109-3700", True),
        ("0000-0001-5109-370", False),
        ("0000-0001-5109-37O0", False),
    ],
)
def test_orcid_check_character(orcid: str, ok: bool) -> None:
    g = Graph().parse(
        data=f"""@prefix schema: <https://schema.org/> .
        <https://w3id.org/kg/id/person/key/x> a schema:Person ; schema:name "X" ;
          schema:identifier <https://w3id.org/kg/id/person/key/x#id-orcid> ;
          schema:sameAs <https://orcid.org/{orcid}> .
        <https://w3id.org/kg/id/person/key/x#id-orcid> schema:propertyID "ORCID" ; schema:value "{orcid}" .""",
        format="turtle",
    )
    for engine in ("sparql", "pyshacl"):
        report = validate(g, engine=engine)
        # Reported once: the identifier node and the orcid.org link carry the same iD.
        assert [(r.value, r.path) for r in report.results] == (
            [] if ok else [(orcid, SCHEMA + "identifier")]
        )


def test_untitled_mark_turns_the_violation_into_a_warning() -> None:
    g = Graph().parse(
        data="""@prefix schema: <https://schema.org/> . @prefix kg: <https://w3id.org/kg/vocab#> .
        <urn:w> a schema:ScholarlyArticle ; kg:untitled true ; schema:abstract "a" ;
          kg:authorship <urn:w#author-1> .
        <urn:w#author-1> a kg:Authorship ; kg:author <urn:p> ; kg:position 1 ; kg:printedName "P" .
        <urn:p> a schema:Person ; schema:name "P" .""",
        format="turtle",
    )
    report = validate(g)
    assert report.conforms
    assert [(r.severity, compact(r.shape)) for r in report.results] == [
        (Severity.WARNING, "kgsh:UntitledPublication")
    ]


def test_json_report_has_exactly_the_documented_keys() -> None:
    doc = json.loads(validate(planted()).to_json())
    assert set(doc) == {"conforms", "counts", "results"}
    assert doc["conforms"] is False
    assert doc["counts"] == {"violation": 2, "warning": 0, "info": 0}
    keys = {
        "severity",
        "focus",
        "label",
        "path",
        "value",
        "message",
        "shape",
        "component",
        "source",
    }
    assert all(set(r) == keys for r in doc["results"])
    gap = next(r for r in doc["results"] if r["component"] == SH + "SPARQLConstraintComponent")
    assert gap["label"] == "Learning Sparse Codes"
    assert gap["source"] == "examples/pubs.json, record 3"
    assert gap["message"] == "Author 3 follows a gap: there is no author at position 2."
    assert gap["path"] is None


def test_text_report_groups_by_record_with_label_and_source() -> None:
    text = validate(planted()).to_text()
    lines = text.splitlines()
    assert lines[0] == "Publication 'Learning Sparse Codes' <https://w3id.org/kg/id/pub/key/w1>"
    assert lines[1] == "  from examples/pubs.json, record 3"
    assert (
        "  VIOLATION: #author-3 kg:printedName: An author has no name, or more than one." in lines
    )
    assert text.count("Publication 'Learning Sparse Codes'") == 1
    assert lines[-1] == "2 violations, 0 warnings, 0 infos"


def test_turtle_report_is_a_standard_validation_report() -> None:
    report = validate(planted())
    g = Graph().parse(data=report.to_turtle(), format="turtle")
    results = list(g.subjects(URIRef(SH + "resultSeverity"), URIRef(SH + "Violation")))
    assert len(results) == 2
    conforms = next(g.objects(None, URIRef(SH + "conforms")))
    assert conforms == Literal(False)
    foci = {g.value(r, URIRef(SH + "focusNode")) for r in results}
    assert URIRef("https://w3id.org/kg/id/pub/key/w1#author-3") in foci


def test_severity_filter_and_raise_for_violations() -> None:
    g = Graph().parse(
        data="""@prefix schema: <https://schema.org/> . @prefix kg: <https://w3id.org/kg/vocab#> .
        <urn:w> a schema:ScholarlyArticle ; schema:name "T" ; kg:abstractTruncated true ;
          kg:authorship <urn:w#a> .
        <urn:w#a> a kg:Authorship ; kg:author <urn:p> ; kg:printedName "P" .
        <urn:p> a schema:Person ; schema:name "P" .""",
        format="turtle",
    )
    full = validate(g)
    assert full.counts == {"violation": 0, "warning": 2, "info": 1}
    assert validate(g, severity="warning").counts == {"violation": 0, "warning": 2, "info": 0}
    assert validate(g, severity="violation").results == ()
    full.raise_for_violations()  # warnings do not raise
    with pytest.raises(ValidationError, match="2 SHACL violations: Learning Sparse Codes"):
        validate(planted()).raise_for_violations()


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown severity"):
        validate(Graph(), severity="fatal")
    with pytest.raises(UsageError, match="unknown engine"):
        validate(Graph(), engine="fast")
    with pytest.raises(UsageError, match="no shapes"):
        validate(Graph(), shapes_dir=tmp_path)


def test_every_shape_has_name_description_and_messages() -> None:
    from kg.validate import load_shapes

    g = load_shapes()
    sh = {
        n: URIRef(SH + n)
        for n in ["NodeShape", "PropertyShape", "name", "description", "message", "sparql"]
    }
    shapes = set(
        g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sh["NodeShape"])
    )
    shapes |= set(
        g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sh["PropertyShape"])
    )
    mine = {s for s in shapes if str(s).startswith("https://w3id.org/kg/shapes#")}
    assert len(mine) > 20
    for s in mine:
        assert g.value(s, sh["name"]) is not None, s
        assert g.value(s, sh["description"]) is not None, s
        props = list(g.objects(s, URIRef(SH + "path")))
        if props:  # property shapes carry their own message; node shapes' constraints are sh:sparql
            assert g.value(s, sh["message"]) is not None, s
        for c in g.objects(s, sh["sparql"]):
            assert g.value(c, sh["message"]) is not None, c
