"""The ingest gate (records with violations are quarantined, the rest stored) and ``kg validate``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.cli import main
from kg.ingest import ingest
from kg.mapping import map_record
from kg.shared import project_root
from kg.store import EmbeddedStore, RemoteStore, SelectResult, stats
from kg.validate import gate, validate
from tests.conftest import remote_url

pytestmark = pytest.mark.usefixtures("data_shapes_only")

GOOD_ORCID = "0000-0002-1825-0097"
BAD_ORCID = "0000-0002-1825-0098"
SH = "http://www.w3.org/ns/shacl#"


def write(path: Path, records: list[dict[str, object]]) -> str:
    path.write_text(json.dumps(records), encoding="utf-8")
    return str(path)


@pytest.fixture
def batch(tmp_path: Path) -> list[str]:
    people = write(tmp_path / "people.json", [
        {"type": "Person", "id": "josiah", "name": "Josiah Carberry", "orcid": GOOD_ORCID},
        {"type": "Person", "id": "typo", "name": "Typo Person", "orcid": BAD_ORCID},
        {"type": "Person", "id": "ada", "name": "Ada Lovelace"},
    ])  # fmt: skip
    pubs = write(tmp_path / "pubs.json", [
        {"type": "Publication", "title": "Learning Sparse Codes", "abstract": "a", "date": "2024",
         "authors": [{"name": "J. Carberry", "person": "josiah"}, {"name": "A. Lovelace", "person": "ada"}]},
        {"type": "Publication", "abstract": "b", "authors": [{"name": "A. Lovelace", "person": "ada"}]},
    ])  # fmt: skip
    return [people, pubs]


def names(store: EmbeddedStore) -> list[str]:
    res = store.query(
        "SELECT ?n WHERE { ?s <https://w3id.org/kg/vocab#recordNumber> ?r ; <https://schema.org/name> ?n } ORDER BY ?n"
    )
    assert isinstance(res, SelectResult)
    return [str(d["n"]) for d in res.dicts()]


def test_gate_quarantines_exactly_the_bad_records(batch: list[str], tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    quarantine = tmp_path / "rejected.jsonl"
    report = ingest(batch, store, quarantine=quarantine)
    assert report.committed and report.exit_code == 1
    held = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [(h["source"].rsplit("/", 1)[-1], h["record_number"]) for h in held] == [
        ("people.json", 2),
        ("pubs.json", 2),
    ]
    assert held[0]["reasons"] == [
        f"validation: identifier (value '{BAD_ORCID}'): ORCID iD {BAD_ORCID} is not valid: it must "
        "look like 0000-0002-1825-0097 and end with the right check character. [PersonOrcid]"
    ]
    assert held[1]["reasons"] == [
        "validation: name: The publication has no title (schema:name). [PublicationTitle]"
    ]
    assert names(store) == ["Ada Lovelace", "Josiah Carberry", "Learning Sparse Codes"]
    assert stats(store).publications == 1


def test_strict_rejects_the_batch_and_no_validate_commits_everything(batch: list[str]) -> None:
    store = EmbeddedStore(None)
    report = ingest(batch, store, strict=True)
    assert not report.committed and len(report.rejected) == 2
    assert stats(store).triples == 0
    report = ingest(batch, store, validate=False)
    assert report.committed and report.exit_code == 0
    assert stats(store).publications == 2


def test_gate_reads_linked_nodes_from_the_store(tmp_path: Path) -> None:
    """A publication citing people stored by an earlier batch passes: their names come from the
    store. The gate reads only the linked nodes, not the whole store."""
    store = EmbeddedStore(None)
    people = write(
        tmp_path / "people.json", [{"type": "Person", "id": "ada", "name": "Ada Lovelace"}]
    )
    assert ingest([people], store).exit_code == 0
    pub = {"type": "Publication", "title": "T", "abstract": "a",
           "authors": [{"name": "A. Lovelace", "_person_iri": "https://w3id.org/kg/id/person/key/ada"}]}  # fmt: skip
    mapped = map_record(pub, number=1, scope="file:///pubs.json")
    assert gate([mapped], store).ok
    # Without the store the linked person has no name: the violation is the publication's.
    alone = gate([mapped], None)
    assert list(alone.held) == [0]
    assert alone.reasons(0) == [
        "validation: name: A person needs a name (schema:name). [PersonName]"
    ]


PLANTED_TTL = """
@prefix schema: <https://schema.org/> . @prefix kg: <https://w3id.org/kg/vocab#> .
<https://w3id.org/kg/id/pub/key/gap> a schema:ScholarlyArticle ; schema:name "Gap Paper" ;
  schema:abstract "a" ;
  kg:authorship <https://w3id.org/kg/id/pub/key/gap#author-1>, <https://w3id.org/kg/id/pub/key/gap#author-3> .
<https://w3id.org/kg/id/pub/key/gap#author-1> a kg:Authorship ; kg:author <https://w3id.org/kg/id/person/key/ada> ;
  kg:position 1 ; kg:printedName "A" .
<https://w3id.org/kg/id/pub/key/gap#author-3> a kg:Authorship ; kg:author <https://w3id.org/kg/id/person/key/ada> ;
  kg:position 3 ; kg:printedName "A" .
<https://example.org/ada.html> a schema:ProfilePage ; schema:name "Ada's page" .
"""

PROFILE_PAGE_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> .
<https://w3id.org/kg/shapes#TestProfilePage> a sh:NodeShape ; sh:targetClass schema:ProfilePage ;
  sh:name "ProfilePage (test)" ; sh:description "Stand-in for google.ttl" ;
  sh:property [ sh:path schema:mainEntity ; sh:minCount 1 ;
                sh:message "A profile page needs a mainEntity (the person)." ] .
"""


@pytest.fixture
def planted_store(batch: list[str], tmp_path: Path) -> Path:
    """A store holding the four planted errors: bad ORCID check character, author position gap,
    missing title (ingested with --no-validate) and a ProfilePage without mainEntity."""
    rdf = tmp_path / "planted.ttl"
    rdf.write_text(PLANTED_TTL, encoding="utf-8")
    store_dir = tmp_path / "store"
    assert main(["ingest", *batch, str(rdf), "--store", str(store_dir), "--no-validate"]) == 0
    return store_dir


@pytest.fixture
def shapes_dir(tmp_path: Path) -> Path:
    """The project shapes plus a small ProfilePage shape (google.ttl lands from another branch)."""
    d = tmp_path / "shapes"
    shutil.copytree(project_root() / "shapes", d)
    if not (d / "google.ttl").exists():
        (d / "profilepage.ttl").write_text(PROFILE_PAGE_SHAPE, encoding="utf-8")
    return d


def test_kg_validate_reports_each_planted_error_once(
    planted_store: Path, shapes_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["validate", "--store", str(planted_store), "--shapes", str(shapes_dir)]
    assert main([*args, "--for", "all", "--format", "json", "--severity", "violation"]) == 1
    doc = json.loads(capsys.readouterr().out)
    by_kind = {
        "orcid": [r for r in doc["results"] if "ORCID" in r["message"]],
        "gap": [r for r in doc["results"] if "follows a gap" in r["message"]],
        "title": [r for r in doc["results"] if "no title" in r["message"]],
        "page": [r for r in doc["results"] if "mainEntity" in r["message"]],
    }
    assert {k: len(v) for k, v in by_kind.items()} == {"orcid": 1, "gap": 1, "title": 1, "page": 1}
    assert doc["counts"]["violation"] == 4
    assert by_kind["orcid"][0]["source"].endswith("people.json, record 2")
    assert by_kind["orcid"][0]["label"] == "Typo Person"
    assert by_kind["title"][0]["source"].endswith("pubs.json, record 2")
    assert by_kind["gap"][0]["label"] == "Gap Paper"
    assert by_kind["gap"][0]["source"].endswith("planted.ttl")
    assert by_kind["title"][0]["value"] is None and by_kind["title"][0]["path"].endswith("name")

    assert main([*args, "--for", "all", "--format", "text", "--severity", "violation"]) == 1
    text = capsys.readouterr().out
    assert text.count("ORCID iD 0000-0002-1825-0098 is not valid") == 1
    assert text.count("follows a gap") == 1
    assert text.count("has no title") == 1
    assert text.count("has no mainEntity") == 1
    assert "Person 'Typo Person' <https://w3id.org/kg/id/person/orcid/0000-0002-1825-0098>" in text
    assert text.rstrip().splitlines()[-1].startswith("4 violations")
    # With warnings, Google's recommendation for the same missing title is one warning more.
    assert main([*args, "--for", "all", "--format", "text"]) == 1
    assert "publication has no title" in capsys.readouterr().out

    assert main([*args, "--for", "all", "--format", "ttl"]) == 1
    g = Graph().parse(data=capsys.readouterr().out, format="turtle")
    violations = list(g.subjects(URIRef(SH + "resultSeverity"), URIRef(SH + "Violation")))
    assert len(violations) == 4


def test_kg_validate_exit_0_without_violations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = write(
        tmp_path / "p.json", [{"type": "Person", "name": "Ada Lovelace", "orcid": GOOD_ORCID}]
    )
    pubs = write(
        tmp_path / "w.json", [{"type": "Publication", "title": "T", "authors": [{"name": "A"}]}]
    )
    store_dir = str(tmp_path / "store")
    assert main(["ingest", people, pubs, "--store", store_dir]) == 0
    assert main(["validate", "--store", store_dir, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["conforms"] is True
    assert doc["counts"] == {"violation": 0, "warning": 1, "info": 0}  # no abstract: a warning
    assert main(["validate", "--store", store_dir, "--engine", "pyshacl", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == doc


def test_problems_of_stored_nodes_are_not_blamed_on_the_batch(tmp_path: Path) -> None:
    """A stored person without a name is reported, but does not hold back a new publication
    that cites them: the problem predates the batch."""
    store = EmbeddedStore(None)
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "<https://w3id.org/kg/id/person/key/nameless> a <https://schema.org/Person> .\n",
        encoding="utf-8",
    )
    assert ingest([str(bad)], store).exit_code == 0  # RDF files are not gated
    pub = {"type": "Publication", "title": "T", "abstract": "a",
           "authors": [{"name": "N", "_person_iri": "https://w3id.org/kg/id/person/key/nameless"}]}  # fmt: skip
    result = gate([map_record(pub, number=1, scope="file:///pubs.json")], store)
    assert result.ok
    assert [r.message for r in result.unattributed] == ["A person needs a name (schema:name)."]


@pytest.fixture(params=["oxigraph", "virtuoso"])
def oxigraph_endpoint(request: pytest.FixtureRequest) -> str:
    """The shared live Oxigraph server or Virtuoso (tests/conftest.py), emptied for this test."""
    return remote_url(request, request.param)


def test_validate_and_gate_over_a_sparql_endpoint(
    oxigraph_endpoint: str, batch: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The SPARQL engine runs on the endpoint itself; the gate reads linked nodes from it."""
    store = RemoteStore(oxigraph_endpoint)
    report = ingest(batch, store, validate=False)
    assert report.committed
    fast = validate(store)
    assert {r.message.split(":")[0] for r in fast.results if r.severity.value == "violation"} == {
        "ORCID iD 0000-0002-1825-0098 is not valid",
        "The publication has no title (schema",
    }
    assert fast.results[0].source is not None and "record" in fast.results[0].source
    assert sorted(r.key() for r in fast.results) == sorted(
        r.key() for r in validate(store, engine="pyshacl").results
    )
    assert main(["validate", "--endpoint", oxigraph_endpoint, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["counts"]["violation"] == 2
