"""A deterministic synthetic data set shaped like a research institute's records.

What it models, and why (the figures the benchmark must be realistic about):

- **People** belong to groups (labs) inside organisations. Each person has a productivity weight
  drawn from a Pareto distribution, so publication counts are long-tailed: most people have a
  handful of papers, a few have hundreds; nobody gets more than :data:`MAX_PUBLICATIONS` (1,500,
  about what DBLP's most prolific authors have).
- **Publications** have 1–50 authors (log-normal, median ~3). The lead author is drawn by weight;
  co-authors mostly come from the lead's own group (co-authorship is clustered), some from other
  groups, some are outside authors known only by the printed name.
- **Organisations**, **topics** and **venues** are shared nodes; most papers carry a DOI.
- About **28 triples per entity** as in DBLP (250–390M triples for ~9M persons and works):
  :attr:`Dataset.triples_per_entity` reports the figure for the generated data.
- About **5% damaged or duplicated** records: damaged ones break the record schema (kg must
  reject them, with reasons), duplicated ones repeat an earlier record in another file.
- About **10% of records violate a SHACL shape** while passing the record schema — what records
  *can* express: an ORCID iD with a wrong ISO 7064 check character, a person name with a leading
  space, a publication without a title, a publication without a date.
- Output in **every record format kg reads** (``kg/records/files.py``): JSON arrays, JSON Lines,
  CSV (only what its columns can say) and YAML, sharded into files of at most
  :data:`SHARD_RECORDS` records, plus ``manifest.json`` describing the set.

Same seed and size give the same bytes (one :class:`random.Random` stream, no set iteration).

>>> import tempfile, pathlib
>>> d = generate(3_000, pathlib.Path(tempfile.mkdtemp()), seed=1)
>>> d.records > 0 and d.damaged > 0 and sorted(d.formats) == ["csv", "json", "jsonl", "yaml"]
True
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from kg.records.files import CSV_COLUMNS, LIST_SEPARATOR

__all__ = [
    "GENERATOR_VERSION",
    "SHARD_RECORDS",
    "Dataset",
    "generate",
    "profile_records",
]

#: Bump when the output changes, so cached data sets are regenerated.
GENERATOR_VERSION = 2
#: Most publications any one person gets (DBLP's most prolific authors have about this many).
MAX_PUBLICATIONS = 1500
#: Records per file, at most (a real export is split too; kg reads each file as one source).
SHARD_RECORDS = 20_000
#: Share of records written in each format (the rest is JSON Lines).
FORMAT_SHARES = (("json", 0.15), ("csv", 0.08), ("yaml", 0.03))
DAMAGED_SHARE = 0.025
DUPLICATE_SHARE = 0.025
SHAPE_VIOLATION_SHARE = 0.10
#: Triples kg writes per source graph for provenance (docs/mapping.md, "Provenance").
PROVENANCE_TRIPLES = 17

_GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Leslie",
    "Frances",
    "Tim",
    "Radia",
    "John",
    "Margaret",
    "Niklaus",
    "Ken",
    "Dennis",
    "Shafi",
    "Silvio",
    "Judea",
    "Yoshua",
    "Geoffrey",
    "Yann",
    "Fei-Fei",
    "Daphne",
    "Michael",
    "Andrew",
    "Sanjeev",
    "Łukasz",
    "Zoë",
    "José",
    "Søren",
    "Ingrid",
    "Björn",
    "Ана",
    "Chen",
    "Wei",
    "Priya",
    "Arjun",
    "Amara",
    "Kwame",
    "Ngozi",
    "Mateo",
    "Lucía",
    "Hiroshi",
    "Yuki",
    "Olga",
    "Dmitri",
    "Fatima",
    "Omar",
    "Aisha",
    "Noor",
    "Eitan",
    "Maya",
    "Sven",
    "Astrid",
    "Pierre",
    "Élodie",
    "Ines",
)
_FAMILY = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Lamport",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "McCarthy",
    "Hamilton",
    "Wirth",
    "Thompson",
    "Ritchie",
    "Goldwasser",
    "Micali",
    "Pearl",
    "Bengio",
    "Hinton",
    "LeCun",
    "Li",
    "Koller",
    "Jordan",
    "Ng",
    "Arora",
    "Kuciński",
    "Müller",
    "Ødegaard",
    "García",
    "Nakamura",
    "Ivanova",
    "Petrov",
    "Haddad",
    "Okafor",
    "Mensah",
    "Rossi",
    "Dubois",
    "Novak",
    "Kowalski",
    "Andersson",
    "Johansson",
    "Nielsen",
    "Virtanen",
    "Papadopoulos",
    "Yilmaz",
    "Kim",
    "Park",
    "Nguyen",
    "Tran",
    "Singh",
    "Patel",
    "Sharma",
    "Cohen",
    "Levi",
    "O'Brien",
    "Murphy",
    "Silva",
    "Santos",
    "Costa",
    "Fischer",
)
_WORDS = (
    "learning",
    "sparse",
    "codes",
    "graph",
    "neural",
    "networks",
    "attention",
    "transformers",
    "robust",
    "estimation",
    "causal",
    "inference",
    "bayesian",
    "optimization",
    "reinforcement",
    "policy",
    "gradient",
    "convex",
    "analysis",
    "stochastic",
    "variational",
    "kernel",
    "methods",
    "probabilistic",
    "programming",
    "knowledge",
    "graphs",
    "semantic",
    "web",
    "linked",
    "data",
    "ontology",
    "alignment",
    "query",
    "processing",
    "distributed",
    "systems",
    "consensus",
    "protocols",
    "verification",
    "type",
    "systems",
    "compilers",
    "program",
    "synthesis",
    "quantum",
    "error",
    "correction",
    "cryptography",
    "privacy",
    "federated",
    "scalable",
    "efficient",
    "towards",
    "understanding",
    "benchmarking",
    "generalization",
    "representation",
    "contrastive",
    "self-supervised",
    "multimodal",
    "retrieval",
    "language",
    "models",
    "vision",
    "segmentation",
    "detection",
    "tracking",
    "control",
    "robotics",
)
_TOPIC_HEADS = (
    "Machine Learning",
    "Deep Learning",
    "Knowledge Graphs",
    "Semantic Web",
    "Databases",
    "Information Retrieval",
    "Computer Vision",
    "Natural Language Processing",
    "Robotics",
    "Optimization",
    "Statistics",
    "Cryptography",
    "Distributed Systems",
    "Programming Languages",
    "Formal Methods",
    "Quantum Computing",
    "Human-Computer Interaction",
    "Bioinformatics",
    "Computational Biology",
    "Theory of Computation",
)
_ROLES = ("PhD Student", "Postdoctoral Researcher", "Research Scientist", "Professor", "Engineer")
_VENUE_KINDS = ("journal", "conference", "conference", "preprint", "book", "thesis", "report")


@dataclass
class Dataset:
    """A generated data set on disk: where it is, what it holds, and what kg should make of it."""

    directory: Path
    seed: int
    target_triples: int
    files: list[str] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)  #: records per format
    by_type: dict[str, int] = field(default_factory=dict)  #: records per record type
    records: int = 0
    damaged: int = 0  #: break the record schema: kg must reject exactly these
    duplicated: int = 0  #: exact repeats of an earlier record, in another file
    shape_violations: dict[str, int] = field(default_factory=dict)  #: per kind of violation
    estimated_triples: int = 0  #: distinct triples ingest should produce (provenance included)
    #: people, organisations, works, topics and venues (authorship, affiliation, status and
    #: identifier nodes are parts of these, as DBLP's signatures are parts of its records)
    entities: int = 0
    max_publications: int = 0  #: the most publications any one person has
    version: int = GENERATOR_VERSION

    @property
    def records_dir(self) -> Path:
        """The record files (what ``kg ingest`` is given); ``manifest.json`` sits beside it."""
        return self.directory / "records"

    @property
    def triples_per_entity(self) -> float:
        return self.estimated_triples / max(1, self.entities)

    def as_json(self) -> dict[str, Any]:
        """What ``manifest.json`` holds (everything but the directory, so bytes are stable)."""
        data = asdict(self)
        del data["directory"]
        data["triples_per_entity"] = round(self.triples_per_entity, 1)
        return data

    @classmethod
    def load(cls, directory: Path) -> Dataset:
        """The data set generated earlier into ``directory`` (KeyError/OSError if there is none)."""
        data = json.loads((directory / "manifest.json").read_text("utf-8"))
        data.pop("triples_per_entity", None)
        return cls(directory=directory, **data)


# --------------------------------------------------------------------------- writers


class _Shard:
    """One output file being written, record by record (nothing is held in memory)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt, self.count = path, fmt, 0
        self.fh: IO[str] = path.open("w", encoding="utf-8", newline="")
        self.csv: Any = None
        if fmt == "json":
            self.fh.write("[\n")
        elif fmt == "csv":
            columns = ["type", *dict.fromkeys(c for cols in CSV_COLUMNS.values() for c in cols)]
            self.csv = csv.DictWriter(self.fh, fieldnames=columns, lineterminator="\n")
            self.csv.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        if self.fmt == "jsonl":
            self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.fmt == "json":
            self.fh.write((",\n" if self.count else "") + json.dumps(record, ensure_ascii=False))
        elif self.fmt == "yaml":
            self.fh.write(yaml.safe_dump([record], sort_keys=False, allow_unicode=True))
        else:
            self.csv.writerow(_csv_row(record))
        self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.fh.write("\n]\n")
        self.fh.close()


def _csv_row(record: dict[str, Any]) -> dict[str, str]:
    """The CSV cells of a record (records bound for CSV are generated with only what the CSV
    columns of ``kg/records/files.py`` can say: one affiliation, a bare status, no person keys)."""
    row: dict[str, str] = {}
    for key, value in record.items():
        if key == "affiliations":
            row["affiliation"] = value[0]["name"]
            if value[0].get("ror"):
                row["affiliation_ror"] = value[0]["ror"]
        elif key == "status":
            row["status"] = value[0]["value"]
        elif key == "authors":
            row["authors"] = LIST_SEPARATOR.join(a["name"] for a in value)
            if any(a.get("orcid") for a in value):
                row["author_orcids"] = LIST_SEPARATOR.join(a.get("orcid", "") for a in value)
        elif isinstance(value, list):
            row[key] = LIST_SEPARATOR.join(value)
        elif isinstance(value, bool):
            row[key] = "true" if value else "false"
        else:
            row[key] = str(value)
    return row


class _Output:
    """Routes each record to a shard of its kind and format, rotating every SHARD_RECORDS."""

    def __init__(self, directory: Path, dataset: Dataset) -> None:
        self.directory, self.dataset = directory, dataset
        self.open: dict[tuple[str, str], _Shard] = {}
        self.serial: dict[tuple[str, str], int] = {}

    def current(self, kind: str, fmt: str) -> _Shard:
        key = (kind, fmt)
        shard = self.open.get(key)
        if shard is None or shard.count >= SHARD_RECORDS:
            if shard is not None:
                shard.close()
            n = self.serial.get(key, 0)
            self.serial[key] = n + 1
            name = f"{kind}-{n:03d}.{fmt}"
            shard = self.open[key] = _Shard(self.directory / name, fmt)
            self.dataset.files.append(name)
        return shard

    def write(self, kind: str, fmt: str, record: dict[str, Any]) -> _Shard:
        shard = self.current(kind, fmt)
        shard.write(record)
        self.dataset.records += 1
        self.dataset.formats[fmt] = self.dataset.formats.get(fmt, 0) + 1
        rtype = str(record.get("type"))
        self.dataset.by_type[rtype] = self.dataset.by_type.get(rtype, 0) + 1
        return shard

    def close(self) -> None:
        for shard in self.open.values():
            shard.close()


# --------------------------------------------------------------------------- the domain


def _orcid(rng: random.Random, *, valid: bool = True) -> str:
    digits = [rng.randrange(10) for _ in range(15)]
    digits[:4] = [0, 0, 0, rng.choice((0, 0, 0, 1))]
    total = 0
    for d in digits:
        total = (total + d) * 2
    check = (12 - total % 11) % 11
    if not valid:
        check = (check + 1 + rng.randrange(9)) % 11
    body = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
    return "-".join(body[i : i + 4] for i in range(0, 16, 4))


def _ror(rng: random.Random) -> str:
    chars = "0123456789abcdefghjkmnpqrstuvwxyz"
    return "0" + "".join(rng.choice(chars) for _ in range(6)) + f"{rng.randrange(100):02d}"


def _date(rng: random.Random) -> str:
    year = rng.randrange(1990, 2027)
    r = rng.random()
    if r < 0.3:
        return str(year)
    if r < 0.7:
        return f"{year}-{rng.randrange(1, 13):02d}"
    return f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


@dataclass
class _Person:
    key: str
    name: str
    group: int
    orcid: str | None
    topics: list[str]
    weight: float
    papers: int = 0


@dataclass
class _World:
    """The people, groups and shared vocabularies the records are drawn from."""

    orgs: list[dict[str, Any]]
    group_org: list[int]
    people: list[_Person]
    members: list[list[int]]  #: person indexes per group
    member_cum: list[list[float]]  #: cumulative weights per group, for weighted choice
    cum: list[float]  #: cumulative weights of all people
    topics: list[str]
    venues: list[tuple[str, str]]


def _world(rng: random.Random, n_people: int) -> _World:
    n_groups = max(2, n_people // 25)
    n_unis = max(1, n_groups // 6)
    orgs: list[dict[str, Any]] = []
    for u in range(n_unis):
        orgs.append({"type": "Organization", "name": f"University of {rng.choice(_FAMILY)} {u}"})
    group_org: list[int] = []
    for g in range(n_groups):
        org: dict[str, Any] = {
            "type": "Organization",
            "name": f"{rng.choice(_TOPIC_HEADS)} Lab {g}",
            "url": f"https://lab{g}.example.org/",
            "parent": orgs[g % n_unis]["name"],
        }
        if rng.random() < 0.7:
            org["ror"] = _ror(rng)
        group_org.append(len(orgs))
        orgs.append(org)
    n_topics = max(20, n_people // 4)
    topics = [
        f"{_TOPIC_HEADS[i % len(_TOPIC_HEADS)]}" + (f" {i // len(_TOPIC_HEADS)}" if i >= 20 else "")
        for i in range(n_topics)
    ]
    n_venues = max(10, n_people // 10)
    venues = [
        (f"{rng.choice(('Journal of', 'Proceedings of', 'Transactions on'))} "
         f"{rng.choice(_TOPIC_HEADS)} {v}", _VENUE_KINDS[v % len(_VENUE_KINDS)])
        for v in range(n_venues)
    ]  # fmt: skip
    people: list[_Person] = []
    members: list[list[int]] = [[] for _ in range(n_groups)]
    for i in range(n_people):
        group = rng.randrange(n_groups)
        name = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
        orcid = _orcid(rng) if rng.random() < 0.8 else None
        base = rng.randrange(n_topics)
        mine = [topics[(base + k * 7) % n_topics] for k in range(rng.randrange(2, 6))]
        weight = min(1500.0, rng.paretovariate(1.1))
        people.append(_Person(f"bench:p{i:07d}", name, group, orcid, mine, weight))
        members[group].append(i)
    member_cum = [list(itertools.accumulate(people[i].weight for i in m)) for m in members]
    cum = list(itertools.accumulate(p.weight for p in people))
    return _World(orgs, group_org, people, members, member_cum, cum, topics, venues)


def _pick(rng: random.Random, cum: list[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _person_record(
    rng: random.Random, w: _World, p: _Person, fmt: str, violation: str | None
) -> dict[str, Any]:
    given, family = p.name.split(" ", 1)
    name = f" {p.name}" if violation == "name_whitespace" else p.name
    rec: dict[str, Any] = {"type": "Person", "id": p.key, "name": name}
    rec["given_name"], rec["family_name"] = given, family
    if p.orcid:
        rec["orcid"] = p.orcid
    if rng.random() < 0.6:
        rec["job_title"] = rng.choice(_ROLES)
    if rng.random() < 0.3:
        rec["homepage"] = f"https://people.example.org/{p.key.split(':')[1]}"
    if rng.random() < 0.3 and fmt != "csv":
        rec["description"] = _sentence(rng, rng.randrange(10, 40)).capitalize() + "."
    org = w.orgs[w.group_org[p.group]]
    aff: dict[str, Any] = {"name": org["name"]}
    if org.get("ror"):
        aff["ror"] = org["ror"]
    if fmt != "csv":
        aff["role"] = rng.choice(_ROLES)
        aff["start"] = str(rng.randrange(2000, 2026))
    affiliations = [aff]
    if rng.random() < 0.2 and fmt != "csv":
        other = w.orgs[w.group_org[rng.randrange(len(w.group_org))]]
        affiliations.append({"name": other["name"], "end": str(rng.randrange(2000, 2026))})
    rec["affiliations"] = affiliations
    if rng.random() < 0.5:
        status = rng.choice(("member", "member", "member", "alumni", "visitor", "affiliate"))
        st: dict[str, Any] = {"value": status}
        if fmt != "csv":
            st["start"] = str(rng.randrange(2000, 2026))
            st["seen"] = "2026-11-01"
        rec["status"] = [st]
    rec["topics"] = list(p.topics)
    return rec


def _publication_record(
    rng: random.Random, w: _World, n: int, fmt: str, violation: str | None
) -> dict[str, Any]:
    lead = _pick(rng, w.cum)
    while w.people[lead].papers >= MAX_PUBLICATIONS:
        lead = _pick(rng, w.cum)
    group = w.people[lead].group
    size = max(1, min(50, int(rng.lognormvariate(1.05, 0.65))))
    chosen = [lead]
    for _ in range(size - 1):
        r = rng.random()
        if r < 0.65:
            cand = w.members[group][_pick(rng, w.member_cum[group])]
        elif r < 0.8:
            cand = _pick(rng, w.cum)
        else:
            cand = -1 - rng.randrange(10**6)  # an outside author, known by name only
        if cand not in chosen and (cand < 0 or w.people[cand].papers < MAX_PUBLICATIONS):
            chosen.append(cand)
    if len(chosen) > 1 and rng.random() < 0.4:
        chosen.append(chosen.pop(0))  # the lead (PI) printed last
    authors: list[dict[str, Any]] = []
    for c in chosen:
        if c < 0:
            outside = random.Random(c)
            authors.append({"name": f"{outside.choice(_GIVEN)} {outside.choice(_FAMILY)}"})
            continue
        p = w.people[c]
        p.papers += 1
        author: dict[str, Any] = {"name": _printed(rng, p.name)}
        if fmt == "csv":
            if p.orcid:
                author["orcid"] = p.orcid
        else:
            author["person"] = p.key
        authors.append(author)
    if fmt != "csv" and len(authors) > 2 and rng.random() < 0.01:
        authors[-1]["position_unknown"] = True
    venue, kind = w.venues[rng.randrange(len(w.venues))]
    rec: dict[str, Any] = {"type": "Publication"}
    if rng.random() < 0.85:
        rec["doi"] = f"10.{5000 + group % 4000}/bench.{n}"
    elif rng.random() < 0.5:
        rec["arxiv"] = f"{rng.randrange(10, 26)}{rng.randrange(1, 13):02d}.{n % 100000:05d}"
    else:
        rec["id"] = f"bench:w{n:08d}"
    if violation != "missing_title":
        rec["title"] = _sentence(rng, rng.randrange(4, 12)).capitalize()
    rec["authors"] = authors
    if rng.random() < 0.7:
        rec["abstract"] = _sentence(rng, rng.randrange(40, 120)).capitalize() + "."
    if violation != "missing_date":
        rec["date"] = _date(rng)
    rec["venue"], rec["venue_type"] = venue, kind
    if rng.random() < 0.5:
        rec["url"] = f"https://papers.example.org/{n}"
    lead_topics = w.people[lead].topics
    rec["topics"] = sorted({rng.choice(lead_topics) for _ in range(rng.randrange(1, 4))})
    return rec


def _printed(rng: random.Random, name: str) -> str:
    """The name as a paper prints it: full, or with the given name abbreviated."""
    if rng.random() < 0.3:
        given, family = name.split(" ", 1)
        return f"{given[0]}. {family}"
    return name


def _damage(rng: random.Random, rec: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A record the record schema must reject (a typical export or typing error)."""
    bad = dict(rec)
    kinds = ["bad_date"]
    if fmt != "csv":  # a CSV file has fixed columns: no unknown field, no nested values
        kinds += ["unknown_field", "bad_orcid_form", "empty_name"]
    kind = rng.choice(kinds)
    if kind == "bad_date":
        if bad["type"] == "Publication":
            bad["date"] = "2024-13-45"
        else:
            bad["affiliations"] = [dict(bad["affiliations"][0], start="20xx")] if fmt != "csv" \
                else bad["affiliations"]  # fmt: skip
            if fmt == "csv":
                bad["homepage"] = "not a url"
    elif kind == "unknown_field":
        bad["titel" if bad["type"] == "Publication" else "e_mail"] = "oops"
    elif kind == "bad_orcid_form":
        if bad["type"] == "Person":
            bad["orcid"] = "0000-0002-1825-009"
        else:
            bad["authors"] = [dict(bad["authors"][0], orcid="orcid 12"), *bad["authors"][1:]]
    elif bad["type"] == "Person":
        bad["name"] = ""
    else:
        bad["authors"] = []
    return bad


# --------------------------------------------------------------------------- estimate


class _Estimator:
    """Counts the distinct triples kg's mapping (docs/mapping.md) will write, as records go by.

    Shared nodes (organisations, topics, venues, people typed by several papers) are counted
    once, tracked by membership only.
    """

    def __init__(self) -> None:
        self.triples = 0
        self.entities = 0
        self.seen: set[tuple[str, ...]] = set()
        self.files: set[str] = set()
        self.person_node: dict[str, str] = {}  #: person key -> what its IRI derives from

    def _new(self, *key: str) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _org(self, name: str, ror: str | None) -> int:
        if not self._new("org", ror or name):
            return 0
        self.entities += 1
        return 4 + (5 if ror else 0)

    def _topics(self, topics: list[str], per: int) -> int:
        n = 0
        for t in topics:
            n += per
            if self._new("topic", t):
                n += 2
                self.entities += 1
        return n

    def _person_typed(self, iri: str) -> int:
        if self._new("person", iri):
            self.entities += 1
            return 2
        return 0

    def add(self, rec: dict[str, Any], fmt: str, file: str, *, duplicate: bool) -> None:
        self.files.add(file)
        if duplicate:
            # Everything repeats but the record number, and outside authors (named within
            # their source file) become new people in the new file.
            self.triples += 1
            for author in rec.get("authors", ()):
                if not (author.get("person") or author.get("orcid")):
                    self.triples += 3 + (4 if self._new("outside", author["name"], file) else 0)
            return
        kind = rec["type"]
        n = 1  # kg:recordNumber
        if kind == "Organization":
            self.entities += 1
            self.seen.add(("org", rec.get("ror") or rec["name"]))
            n += 4 + (5 if rec.get("ror") else 0) + (1 if rec.get("url") else 0)
            if rec.get("parent"):
                n += 1 + self._org(rec["parent"], None)
        elif kind == "Person":
            node = rec.get("orcid") or rec["id"]
            self.person_node[rec["id"]] = node
            self.seen.add(("name", node, rec["name"]))
            n += self._person_typed(node) + 2 + 4 + 1  # names, given/family, localKey
            if rec.get("orcid"):
                n += 5
                self.seen.add(("orcid-id", node))
            n += 2 if rec.get("homepage") else 0
            n += sum(1 for k in ("job_title", "description") if rec.get(k))
            for aff in rec.get("affiliations", ()):
                n += 2 + 3 + sum(1 for k in ("role", "start", "end") if aff.get(k))
                n += self._org(aff["name"], aff.get("ror"))
            for st in rec.get("status", ()):
                n += 3 + sum(1 for k in ("start", "seen") if st.get(k))
            n += 1 if rec.get("status") else 0
            n += self._topics(rec.get("topics", []), 2)
        else:
            self.entities += 1
            n += 2 + (2 if rec.get("title") else 0) + (1 if rec.get("abstract") else 0)
            n += (2 if rec.get("date") else 0) + (1 if rec.get("url") else 0)
            n += 6 if rec.get("doi") else (5 if rec.get("arxiv") else 0)
            if rec.get("venue"):
                n += 1
                if self._new("venue", rec["venue"]):
                    n += 4
                    self.entities += 1
            n += self._topics(rec.get("topics", []), 1)
            for author in rec["authors"]:
                n += 7 if author.get("position_unknown") else 8
                if author.get("person"):
                    key = author["person"]
                    n += self._person_typed(self.person_node.get(key, key))
                elif author.get("orcid"):
                    n += self._person_typed(author["orcid"])
                    if self._new("name", author["orcid"], author["name"]):
                        n += 2
                    if self._new("orcid-id", author["orcid"]):
                        n += 5
                elif self._new("outside", author["name"], file):
                    n += 4
                    self.entities += 1
        self.triples += n

    @property
    def total(self) -> int:
        return self.triples + PROVENANCE_TRIPLES * len(self.files)


# --------------------------------------------------------------------------- generate


def _fmt(rng: random.Random) -> str:
    r = rng.random()
    for fmt, share in FORMAT_SHARES:
        if r < share:
            return fmt
        r -= share
    return "jsonl"


def _records(rng: random.Random, target_triples: int) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, format, record) until the estimated size is reached; people come first."""
    n_people = max(8, target_triples // 260)
    w = _world(rng, n_people)
    for org in w.orgs:
        yield "orgs", "json", org
    for p in w.people:
        fmt = _fmt(rng)
        violation = None
        r = rng.random()
        if r < SHAPE_VIOLATION_SHARE / 2 and p.orcid:
            p.orcid = _orcid(rng, valid=False)
            violation = "bad_orcid_check"
        elif r < SHAPE_VIOLATION_SHARE and fmt not in {"csv", "yaml"}:
            violation = "name_whitespace"
        yield f"people:{violation or ''}", fmt, _person_record(rng, w, p, fmt, violation)
    for n in itertools.count():
        fmt = _fmt(rng)
        r = rng.random()
        violation = None
        if r < SHAPE_VIOLATION_SHARE / 2:
            violation = "missing_title"
        elif r < SHAPE_VIOLATION_SHARE:
            violation = "missing_date"
        yield f"pubs:{violation or ''}", fmt, _publication_record(rng, w, n, fmt, violation)


def generate(target_triples: int, directory: Path, *, seed: int = 0) -> Dataset:
    """Write a data set of about ``target_triples`` distinct triples into ``directory``.

    The directory is emptied first. Returns the :class:`Dataset` (also written as
    ``manifest.json``). Memory stays small: records are written as they are made.
    """
    if directory.exists():
        shutil.rmtree(directory)
    rng = random.Random(seed)
    data = Dataset(directory=directory, seed=seed, target_triples=target_triples)
    data.records_dir.mkdir(parents=True)
    out = _Output(data.records_dir, data)
    est = _Estimator()
    held: list[tuple[str, dict[str, Any]]] = []  # recent records, to duplicate from
    try:
        for kind, fmt, rec in _records(rng, target_triples):
            if est.total >= target_triples and kind.startswith("pubs"):
                break
            base, _, violation = kind.partition(":")
            roll = rng.random()
            if base != "orgs" and roll < DAMAGED_SHARE:
                shard = out.write(base, fmt, _damage(rng, rec, fmt))
                data.damaged += 1
                continue
            shard = out.write(base, fmt, rec)
            est.add(rec, fmt, shard.path.name, duplicate=False)
            if violation:
                data.shape_violations[violation] = data.shape_violations.get(violation, 0) + 1
            if base != "orgs" and fmt not in {"csv"}:
                held.append((base, rec))
                if len(held) > 64:
                    held.pop(rng.randrange(len(held)))
            if held and base != "orgs" and roll < DAMAGED_SHARE + DUPLICATE_SHARE:
                dup_kind, dup = held[rng.randrange(len(held))]
                dup_fmt = "jsonl" if fmt != "jsonl" else "json"
                shard = out.write(dup_kind, dup_fmt, dup)
                est.add(dup, dup_fmt, shard.path.name, duplicate=True)
                data.duplicated += 1
    finally:
        out.close()
    data.estimated_triples = est.total
    data.entities = est.entities
    data.files.sort()
    data.max_publications = max(_paper_counts(data.records_dir), default=0)
    (directory / "manifest.json").write_text(json.dumps(data.as_json(), indent=2) + "\n")
    return data


def _paper_counts(directory: Path) -> Iterator[int]:
    """Distinct publications per linked person key, read back from the JSON and JSON Lines
    shards (a duplicated record counts once)."""
    works: dict[str, set[str]] = {}
    for path in sorted(directory.glob("pubs-*.json*")):
        text = path.read_text("utf-8")
        rows = json.loads(text) if path.suffix == ".json" else map(json.loads, text.splitlines())
        for rec in rows:
            work = rec.get("doi") or rec.get("arxiv") or rec.get("id") or json.dumps(rec)
            for a in rec.get("authors", ()):
                if a.get("person"):
                    works.setdefault(a["person"], set()).add(work)
    yield from (len(w) for w in works.values())


def profile_records(publications: int = 1500, *, seed: int = 0) -> list[dict[str, Any]]:
    """One prolific person's profile with ``publications`` papers: the ingest gate's workload.

    >>> recs = profile_records(3)
    >>> [r["type"] for r in recs]
    ['Person', 'Publication', 'Publication', 'Publication']
    """
    rng = random.Random(f"profile-{seed}")
    key = "bench:prolific"
    orcid = _orcid(rng)
    person = {
        "type": "Person",
        "id": key,
        "name": "Grace Prolific",
        "given_name": "Grace",
        "family_name": "Prolific",
        "orcid": orcid,
        "job_title": "Professor",
        "affiliations": [{"name": "Prolific Institute", "role": "Professor", "start": "1999"}],
        "topics": ["Machine Learning", "Knowledge Graphs"],
    }
    out: list[dict[str, Any]] = [person]
    for n in range(publications):
        co = max(0, min(49, int(rng.lognormvariate(1.05, 0.65)) - 1))
        authors = [{"name": "G. Prolific", "person": key}]
        for _ in range(co):
            authors.append({"name": f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"})
        rng.shuffle(authors)
        out.append({
            "type": "Publication",
            "doi": f"10.9999/prolific.{seed}.{n}",
            "title": _sentence(rng, rng.randrange(4, 12)).capitalize(),
            "authors": authors,
            "date": _date(rng),
            "venue": f"Journal of {rng.choice(_TOPIC_HEADS)}",
            "venue_type": "journal",
            "topics": ["Machine Learning"],
        })  # fmt: skip
    return out


def _main() -> None:  # pragma: no cover - a convenience: python -m bench.generate N DIR
    import sys

    d = generate(int(sys.argv[1]), Path(sys.argv[2]), seed=int(sys.argv[3]) if sys.argv[3:] else 0)
    print(json.dumps(d.as_json(), indent=2))


if __name__ == "__main__":  # pragma: no cover
    _main()
