"""Human handles (kg/handles.py): a person or a work named as people name them, on the bundled
examples, in the Python API and wherever the CLI expects one (query run, export, plot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main
from kg.errors import DataError, UsageError
from kg.handles import resolve_person, resolve_publication
from kg.store import EmbeddedStore

VARGA = "https://w3id.org/kg/id/person/orcid/0000-0000-0000-0116"
LINDQVIST = "https://w3id.org/kg/id/person/key/lsg:jonas-lindqvist"
FIELD_GUIDE = "https://w3id.org/kg/id/pub/doi/10.5555/kgex.2024.1105"
EPISODIC = "https://w3id.org/kg/id/pub/key/lsg:2018-episodic-memory"


@pytest.fixture(scope="module")
def store(demo_store: Path) -> EmbeddedStore:
    return EmbeddedStore(demo_store, read_only=True)


@pytest.mark.parametrize(
    ("handle", "iri"),
    [
        (VARGA, VARGA),
        ("kgid:person/orcid/0000-0000-0000-0116", VARGA),
        ("0000-0000-0000-0116", VARGA),
        ("https://orcid.org/0000-0000-0000-0116", VARGA),
        ("https://www.northmoor.example/lsg/people/varga/", VARGA),  # a sameAs: her homepage
        ("lsg:ines-varga", VARGA),  # the record's id
        ("Ines Varga", VARGA),
        ("  ines VARGA ", VARGA),
        ("I. Varga", VARGA),  # an alternate name
        ("lsg:jonas-lindqvist", LINDQVIST),
        ("Jonas Lindqvist", LINDQVIST),
    ],
)
def test_person_handles(handle: str, iri: str, store: EmbeddedStore) -> None:
    assert resolve_person(handle, store) == iri


@pytest.mark.parametrize(
    ("handle", "iri"),
    [
        (FIELD_GUIDE, FIELD_GUIDE),
        ("10.5555/kgex.2024.1105", FIELD_GUIDE),
        ("https://doi.org/10.5555/KGEX.2024.1105", FIELD_GUIDE),
        ("doi:10.5555/kgex.2024.1105", FIELD_GUIDE),
        ("A Field Guide to Evaluating Continual Learners", FIELD_GUIDE),
        ("lsg:2018-episodic-memory", EPISODIC),
        ("incremental node classification with episodic memory", EPISODIC),
    ],
)
def test_publication_handles(handle: str, iri: str, store: EmbeddedStore) -> None:
    assert resolve_publication(handle, store) == iri


def test_nobody_is_a_data_error_with_the_closest_names(store: EmbeddedStore) -> None:
    with pytest.raises(
        DataError, match=r"no person matches 'Ines Vraga' .*did you mean 'Ines Varga'"
    ):
        resolve_person("Ines Vraga", store)
    with pytest.raises(DataError, match="no person matches '0000-0000-0000-0000'"):
        resolve_person("0000-0000-0000-0000", store)
    with pytest.raises(DataError, match="no publication matches"):
        resolve_publication("10.9999/nothing", store)


def test_an_ambiguous_name_lists_the_candidates(tmp_path: Path) -> None:
    """The same name in two unrelated sources is two people (a name alone never merges)."""
    for n in (1, 2):
        (tmp_path / f"s{n}.json").write_text(
            json.dumps([{"type": "Person", "name": "Ada Lovelace", "job_title": f"Role {n}"}]),
            encoding="utf-8",
        )
    st = tmp_path / "st"
    assert main(["-q", "ingest", "--store", str(st), str(tmp_path / "s1.json"),
                 str(tmp_path / "s2.json")]) == 0  # fmt: skip
    store = EmbeddedStore(st, read_only=True)
    try:
        with pytest.raises(UsageError) as info:
            resolve_person("ada lovelace", store)
    finally:
        store.close()
    message = str(info.value)
    assert message.startswith("'ada lovelace' matches 2 persons: Ada Lovelace <https://")
    assert message.count("<https://w3id.org/kg/id/person/name/ada-lovelace-") == 2


def test_cli_takes_handles_everywhere(
    demo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(demo_store)]
    assert main(["query", "run", "person-profile", *store, "-p", "person=0000-0000-0000-0116",
                 "--format", "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)[0]["orcid"] == "0000-0000-0000-0116"
    assert main(["query", "run", "work-authors", *store, "-p", "work=10.5555/kgex.2024.1105",
                 "--format", "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)
    svg = tmp_path / "varga.svg"
    assert main(["plot", "coauthors", *store, "--person", "Ines Varga", "--out", str(svg)]) == 0
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    site = tmp_path / "jsonld"
    assert main(["-q", "export", "jsonld", *store, "--out", str(site), "--person", "lsg:ines-varga",
                 "--no-publication-pages"]) == 0  # fmt: skip
    assert len(list(site.rglob("*.jsonld"))) == 1
    capsys.readouterr()
    assert main(["query", "run", "person-profile", *store, "-p", "person=Nobody"]) == 1
    assert capsys.readouterr().err == "kg: no person matches 'Nobody' in the store\n"
