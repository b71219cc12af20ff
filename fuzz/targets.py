"""The built-in fuzz targets. Each drives a real part of kg with one input.

- ``records-json|jsonl|csv|yaml``: a record file through the whole :func:`kg.ingest.ingest`
  (read, limits, schema check, mapping, load into an in-memory pyoxigraph store);
- ``rdf-turtle|ntriples|nquads|trig|jsonld|rdfxml``: an RDF file through the same ingest;
- ``mapping``: a JSON record through the schema check and :func:`kg.mapping.map_record`; the
  N-Triples it writes must parse back with pyoxigraph, one triple per distinct line;
- ``sparql-literal``: any text through :func:`kg.mapping.literal` into a SPARQL ``INSERT DATA``
  and a ``SELECT ... VALUES``: exactly the one triple / row, holding exactly that text, must come
  back (an escaping bug would break out of the literal and change the query).

The importers, page reader, validation, saved queries and exporter register theirs here with
one :func:`fuzz.register` line each when they land.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from fuzz import Broken, Outcome, register, seed_files
from kg.errors import KgError
from kg.ingest import ingest
from kg.limits import check_record_values
from kg.mapping import literal, map_record
from kg.records.schema import check_record
from kg.store import EmbeddedStore, SelectResult

__all__ = ["check_downstream", "file_ingest", "rdf_seeds"]

_WORKDIR: list[Path] = []


def _scratch() -> Path:
    if not _WORKDIR:
        _WORKDIR.append(Path(tempfile.mkdtemp(prefix="kg-fuzz-")))
    return _WORKDIR[0]


def file_ingest(suffix: str) -> Callable[[bytes], Outcome]:
    """A target that writes the input to a ``suffix`` file and ingests it into a fresh store."""

    def run(data: bytes) -> Outcome:
        path = _scratch() / f"input{suffix}"
        path.write_bytes(data)
        store = EmbeddedStore(None)
        try:
            report = ingest([str(path)], store)
        except KgError as exc:
            # Bad data fails its source or rejects its records, in the report; a KgError out of
            # ingest() means one file's content aborted the whole batch (a usage or store error).
            raise Broken(f"ingest raised {type(exc).__name__} instead of reporting: {exc}") from exc
        finally:
            store.close()
        return "ok" if report.ok else "rejected"

    return run


@cache
def _golden() -> list[ox.Quad]:
    path = Path(__file__).resolve().parent.parent / "tests" / "data" / "mapping" / "golden.ttl"
    triples = list(ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE, base_iri="http://example.org/"))
    graph = ox.NamedNode("https://w3id.org/kg/fuzz/graph")
    quads = [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in triples[:200]]
    quads += [ox.Quad(q.subject, q.predicate, q.object, graph) for q in triples[200:400]]
    return quads


def rdf_seeds(fmt: ox.RdfFormat) -> Callable[[], list[bytes]]:
    """The golden mapping graph (tests/data/mapping/golden.ttl), serialized in ``fmt``, plus
    small hand-written documents for the format's own syntax."""

    def seeds() -> list[bytes]:
        quads = _golden()
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            data = [ox.serialize(quads, format=fmt) or b""]
        else:
            data = [ox.serialize([q.triple for q in quads], format=fmt) or b""]
        data += _EXTRA_SEEDS.get(fmt, [])
        return data

    return seeds


_EXTRA_SEEDS: dict[ox.RdfFormat, list[bytes]] = {
    ox.RdfFormat.TURTLE: [
        b'@prefix s: <https://schema.org/> .\n<http://e/a> s:name "A"@en, """long\n"""; '
        b"s:knows [ s:name 'B' ], ( 1 2.5 -3e4 true ) .\n",
    ],
    ox.RdfFormat.JSON_LD: [
        b'{"@context": {"@vocab": "https://schema.org/", "knows": {"@type": "@id"}}, '
        b'"@graph": [{"@id": "http://e/a", "@type": "Person", "name": {"@value": "A", '
        b'"@language": "en"}, "knows": "http://e/b"}, {"@id": "http://e/b", "name": ["B", 1]}]}',
    ],
    ox.RdfFormat.RDF_XML: [
        b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:s="https://schema.org/"><s:Person rdf:about="http://e/a"><s:name xml:lang="en">'
        b'A</s:name><s:knows rdf:resource="http://e/b"/><s:knows><s:Person><s:name>C</s:name>'
        b"</s:Person></s:knows></s:Person></rdf:RDF>\n",
    ],
}


def check_downstream(records: list[Any], *, where: str) -> Outcome:
    """What ingest does with records a source yields: the value limits, the schema check and
    :func:`kg.mapping.map_record`; "rejected" when any refuses one. The N-Triples written for the
    accepted ones must parse back with pyoxigraph, one triple per distinct line (else Broken)."""
    lines: list[str] = []
    for number, record in enumerate(records, 1):
        try:
            check_record_values(record, where=f"{where}: record {number}")
        except KgError:
            return "rejected"
        if check_record(record):
            return "rejected"
        try:
            mapped = map_record(record, number=number, scope="file:///fuzz/input.json")
        except ValueError:  # map_record's documented refusal (a URL that is no IRI...)
            return "rejected"
        lines += mapped.lines
    text = "\n".join(lines) + "\n"
    try:
        triples = list(ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise Broken(f"mapped N-Triples do not parse: {exc}") from None
    if len(set(triples)) != len(set(lines)):
        raise Broken(f"{len(set(lines))} distinct lines gave {len(set(triples))} triples")
    return "ok"


def _mapping(data: bytes) -> Outcome:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return "rejected"  # not JSON: the record file readers have their own targets
    return check_downstream(value if isinstance(value, list) else [value], where="input")


def _sparql_literal(data: bytes) -> Outcome:
    value = data.decode("utf-8", errors="replace")
    lit = literal(value)
    store = ox.Store()
    store.update(f"INSERT DATA {{ <urn:kg:s> <urn:kg:p> {lit} }}")
    quads = list(store)
    if len(quads) != 1 or quads[0].object != ox.Literal(value):
        raise Broken(f"INSERT DATA with literal() stored {quads!r}")
    kg_store = EmbeddedStore(None)
    try:
        res = kg_store.query(f"SELECT ?o WHERE {{ VALUES ?o {{ {lit} }} }}")
    finally:
        kg_store.close()
    if not isinstance(res, SelectResult) or len(res.rows) != 1 or res.dicts()[0]["o"] != value:
        raise Broken(f"SELECT with literal() returned {res!r}")
    return "ok"


_RECORD_SEEDS = {
    "json": seed_files("examples/**/*.json"),
    "jsonl": seed_files("examples/**/*.jsonl"),
    "csv": seed_files("examples/**/*.csv"),
    "yaml": seed_files("examples/**/*.yaml", "examples/**/*.yml"),
}

register(
    "records-json", file_ingest(".json"), seeds=_RECORD_SEEDS["json"], kind="json", suffix=".json"
)
register(
    "records-jsonl",
    file_ingest(".jsonl"),
    seeds=_RECORD_SEEDS["jsonl"],
    kind="jsonl",
    suffix=".jsonl",
)
register("records-csv", file_ingest(".csv"), seeds=_RECORD_SEEDS["csv"], kind="csv", suffix=".csv")
register(
    "records-yaml", file_ingest(".yaml"), seeds=_RECORD_SEEDS["yaml"], kind="yaml", suffix=".yaml"
)
register("rdf-turtle", file_ingest(".ttl"), seeds=rdf_seeds(ox.RdfFormat.TURTLE), suffix=".ttl")
register("rdf-ntriples", file_ingest(".nt"), seeds=rdf_seeds(ox.RdfFormat.N_TRIPLES), suffix=".nt")
register("rdf-nquads", file_ingest(".nq"), seeds=rdf_seeds(ox.RdfFormat.N_QUADS), suffix=".nq")
register("rdf-trig", file_ingest(".trig"), seeds=rdf_seeds(ox.RdfFormat.TRIG), suffix=".trig")
register(
    "rdf-jsonld",
    file_ingest(".jsonld"),
    seeds=rdf_seeds(ox.RdfFormat.JSON_LD),
    kind="json",
    suffix=".jsonld",
)
register(
    "rdf-rdfxml",
    file_ingest(".rdf"),
    seeds=rdf_seeds(ox.RdfFormat.RDF_XML),
    kind="xml",
    suffix=".rdf",
)
register(
    "mapping",
    _mapping,
    seeds=seed_files("examples/seed/*.json", "examples/group/thesis.json"),
    kind="json",
    suffix=".json",
)
register("sparql-literal", _sparql_literal, seeds=lambda: [s.encode() for s in ("plain", 'say "hi"\n', "\\u0022 } ; DROP ALL ; #", "a'b\\\\c\r\n\u2028")], suffix=".txt")  # fmt: skip
