"""The SPARQL engine returns exactly pySHACL's results (focus nodes, paths, values, shapes,
components, severities) on every shape test graph and on a generated graph with planted errors.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.ids import orcid_checksum_ok
from kg.mapping import map_record
from kg.validate import ValidationReport, validate
from kg.validate.compile import compile_shapes
from kg.validate.core import load_shapes

pytestmark = pytest.mark.usefixtures("data_shapes_only")

DATA = Path(__file__).parent / "data" / "shapes"
GRAPHS = sorted(p for p in DATA.glob("*/*/*") if p.suffix in {".ttl", ".trig"})
KG = "https://w3id.org/kg/vocab#"
SCHEMA = "https://schema.org/"


def keys(report: ValidationReport) -> Counter[tuple[str | None, ...]]:
    return Counter(r.key() for r in report.results)


def with_check_digit(base15: str) -> str:
    """A well-formed ORCID iD from 15 digits (ISO 7064 11,2)."""
    total = 0
    for ch in base15:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    digits = base15 + ("X" if check == 10 else str(check))
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def generated_store(n_pubs: int, *, seed: int = 7) -> tuple[ox.Store, dict[str, int]]:
    """People and publications through the real mapping, then planted errors; returns the store
    and how many errors of each kind were planted."""
    rng = random.Random(seed)
    people = []
    for i in range(max(3, n_pubs // 3)):
        orcid = with_check_digit(f"0000000{i:08d}")
        people.append({"type": "Person", "id": f"p{i}", "name": f"Person {i}", "orcid": orcid,
                       "affiliations": [{"name": f"Lab {i % 7}", "start": "2019"}]})  # fmt: skip
    keys = {p["id"]: map_record(p, number=0, scope="s").focus for p in people}
    lines: list[str] = []
    planted = Counter[str]()
    for n, p in enumerate(people, 1):
        m = map_record(p, number=n, scope="file:///people.json")
        if n % 4 == 0:  # bad ORCID check character
            bad = p["orcid"][:-1] + ("0" if p["orcid"][-1] != "0" else "1")
            assert not orcid_checksum_ok(bad)
            m.lines = [line.replace(f'"{p["orcid"]}"', f'"{bad}"') for line in m.lines]
            planted["orcid"] += 1
        lines += m.lines
    for n in range(1, n_pubs + 1):
        authors = [
            {"name": f"Person {j}", "person": f"p{j}"} for j in rng.sample(range(len(people)), 3)
        ]
        rec = {"type": "Publication", "title": f"Paper {n}", "date": "2024-05", "authors": authors,
               "abstract": "An abstract." if n % 5 else None, "doi": f"10.1000/p{n}"}  # fmt: skip
        rec = {k: v for k, v in rec.items() if v is not None}
        m = map_record(rec, number=n, scope="file:///pubs.json", person_keys=keys)
        if n % 7 == 0:  # author position gap: 1, 2, 3 -> 1, 2, 4
            m.lines = [ln.replace(f'{KG}position> "3"', f'{KG}position> "4"') for ln in m.lines]
            planted["gap"] += 1
        if n % 9 == 0:  # missing title
            m.lines = [ln for ln in m.lines if f"<{SCHEMA}name>" not in ln or "#author" in ln]
            planted["title"] += 1
        lines += m.lines
    store = ox.Store()
    store.load("\n".join(lines).encode(), ox.RdfFormat.N_TRIPLES)
    return store, dict(planted)


@pytest.mark.parametrize(
    "path", GRAPHS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}"
)
def test_parity_on_shape_graphs(path: Path) -> None:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    fast, ref = validate(store, engine="sparql"), validate(store, engine="pyshacl")
    assert keys(fast) == keys(ref)
    assert fast.engine == "sparql" and ref.engine == "pyshacl"


def test_parity_on_generated_graph_with_planted_errors() -> None:
    # Small on purpose: pySHACL runs each SPARQL-based constraint once per focus node and parses
    # the query each time (0.5 s for the ORCID check), so larger graphs take minutes there.
    store, planted = generated_store(18)
    fast, ref = validate(store, engine="sparql"), validate(store, engine="pyshacl")
    assert keys(fast) == keys(ref)
    by_shape = Counter(
        r.shape.rsplit("#", 1)[-1] for r in fast.results if r.severity.value == "violation"
    )
    # Each planted error is found once, and nothing else is a violation.
    assert planted == {"orcid": 1, "gap": 2, "title": 2}
    assert by_shape == {
        "Person": planted["orcid"],
        "Publication": planted["gap"] + planted["title"],
    }
    assert fast.counts["warning"] == 3  # every 5th publication has no abstract


def test_the_shapes_kg_ships_need_no_fallback() -> None:
    plan = compile_shapes(load_shapes())
    assert plan.unsupported == {}
    assert len(plan.checks) > 40
