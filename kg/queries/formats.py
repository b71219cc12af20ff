"""Writing query answers: an aligned table for people, and the standard machine formats.

- ``json``: an array of row objects, values as JSON numbers, booleans and strings; ``ndjson``: one
  such object per line (https://github.com/ndjson/ndjson-spec)
- ``csv`` / ``tsv``: plain values for spreadsheets (CSV is also SPARQL 1.1 CSV results,
  https://www.w3.org/TR/sparql11-results-csv-tsv/; RFC 4180 quoting; TSV with tabs and line
  breaks escaped as ``\\t`` ``\\n``)
- ``sparql-json`` / ``sparql-tsv``: SPARQL 1.1 Query Results JSON
  (https://www.w3.org/TR/sparql11-results-json/) and TSV (terms in N-Triples syntax)
- ``ttl`` / ``nt`` / ``jsonld``: the triples of a CONSTRUCT, as Turtle, N-Triples or JSON-LD
- ``table``: columns aligned, kg's IRIs shortened with the usual prefixes, long cells cut

>>> answer = QueryAnswer("select", ["n"], [(ox.Literal("Ada"),)])
>>> print(format_answer(answer, "table"), end="")
n
---
Ada
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from kg.errors import UsageError
from kg.queries.execute import QueryAnswer, Term
from kg.vocab import PREFIXES, XSD

__all__ = ["FORMATS", "format_answer"]

#: Output formats, and which answers each applies to.
FORMATS: dict[str, str] = {
    "table": "aligned text for people (any answer)",
    "csv": "plain values, comma-separated, for spreadsheets (SELECT; CONSTRUCT as subject,predicate,object)",
    "tsv": "plain values, tab-separated, for spreadsheets (SELECT; CONSTRUCT as subject,predicate,object)",
    "json": "an array of row objects {column: value} (SELECT; ASK as true/false)",
    "ndjson": "one JSON row object per line (SELECT)",
    "sparql-json": "SPARQL 1.1 Query Results JSON (SELECT, ASK)",
    "sparql-tsv": "SPARQL 1.1 TSV results, terms in N-Triples syntax (SELECT)",
    "ttl": "Turtle (CONSTRUCT)",
    "nt": "N-Triples (CONSTRUCT)",
    "jsonld": "JSON-LD (CONSTRUCT)",
}
_GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
_XSD_STRING = XSD + "string"
_RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: Cells longer than this are cut in ``table`` output (other formats never cut).
MAX_CELL = 80
# Longest namespace first, so kgid: wins over a shorter match.
_SHORT = sorted(((ns, p) for p, ns in PREFIXES.items()), key=lambda item: -len(item[0]))


def _graph_rows(answer: QueryAnswer) -> tuple[list[str], list[tuple[Term | None, ...]]]:
    if answer.form in {"construct", "describe"}:
        return ["subject", "predicate", "object"], [
            (t.subject, t.predicate, t.object)  # type: ignore[misc]
            for t in answer.triples
        ]
    return answer.columns, answer.rows


def _short(iri: str) -> str:
    for ns, prefix in _SHORT:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = _short(term.value)
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    else:
        text = term.value
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _table(answer: QueryAnswer) -> str:
    if answer.form == "ask":
        return f"{'true' if answer.boolean else 'false'}\n"
    columns, rows = _graph_rows(answer)
    cells = [[_cell(t) for t in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value not in {_XSD_STRING, _RDF_LANG}:
        out["datatype"] = term.datatype.value
    return out


def _plain(value: Any) -> Any:
    """A Python value of :func:`~kg.queries.execute.python_value` as JSON can hold it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _rows_json(answer: QueryAnswer, *, lines: bool) -> str:
    if answer.form == "ask" and not lines:
        return "true\n" if answer.boolean else "false\n"
    if answer.form != "select":
        raise UsageError(
            f"{'ndjson' if lines else 'json'} is for SELECT answers; "
            "use --format jsonld for a CONSTRUCT"
        )
    rows = [{k: _plain(v) for k, v in r.items()} for r in answer.records()]
    if lines:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def _json(answer: QueryAnswer) -> str:
    doc: dict[str, Any]
    if answer.form == "ask":
        doc = {"head": {}, "boolean": bool(answer.boolean)}
    elif answer.form == "select":
        bindings = [
            {c: _json_term(t) for c, t in zip(answer.columns, row, strict=True) if t is not None}
            for row in answer.rows
        ]
        doc = {"head": {"vars": answer.columns}, "results": {"bindings": bindings}}
    else:
        raise UsageError(
            "sparql-json is for SELECT and ASK answers; use --format jsonld for a CONSTRUCT"
        )
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


#: Cells a spreadsheet would run as a formula (OWASP, CSV Injection:
#: https://owasp.org/www-community/attacks/CSV_Injection): those starting with these characters.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _csv_value(term: Term | None) -> str:
    """The CSV cell of a term; one that starts like a formula gets a leading ``'`` (OWASP), so a
    spreadsheet shows ``'=cmd|...`` as text instead of running it. Plain numbers are kept.

    >>> _csv_value(ox.Literal("=HYPERLINK(1)")), _csv_value(ox.Literal("-1"))
    ("'=HYPERLINK(1)", '-1')
    """
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    text = term.value
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _tsv_value(term: Term | None) -> str:
    r"""The TSV cell of a term, in N-Triples syntax as the TSV results format says (tabs and
    newlines escaped). A literal whose text starts like a formula has that first character
    written as a ``\uXXXX`` escape: SPARQL readers get the same value, spreadsheets (which
    strip the quotes) see no formula.

    >>> print(_tsv_value(ox.Literal("=cmd|' /C calc'!A0")))
    "\u003Dcmd|' /C calc'!A0"
    """
    if term is None:
        return ""
    text = str(term).replace("\t", "\\t")
    if (
        isinstance(term, ox.Literal)
        and term.value.startswith(FORMULA_START)
        and not _NUMBER.fullmatch(term.value)
    ):
        text = f'"\\u{ord(text[1]):04X}{text[2:]}' if text[1] != "\\" else text
    return text


def _plain_tsv(term: Term | None) -> str:
    r"""A plain TSV cell: the value, with ``\``, tabs and line breaks escaped, and a formula-like
    start neutralized as in CSV.

    >>> _plain_tsv(ox.Literal("a" + chr(9) + "b"))
    'a\\tb'
    """
    text = _csv_value(term)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _csv(answer: QueryAnswer, *, tsv: bool, sparql: bool = False) -> str:
    if answer.form == "ask":
        raise UsageError("csv/tsv are for SELECT answers; use --format json or table for ASK")
    columns, rows = _graph_rows(answer)
    if tsv and not sparql:
        lines = ["\t".join(columns)]
        lines += ["\t".join(_plain_tsv(t) for t in row) for row in rows]
        return "\n".join(lines) + "\n"
    if tsv:
        lines = ["\t".join(f"?{c}" for c in columns)]
        lines += ["\t".join(_tsv_value(t) for t in row) for row in rows]
        return "\n".join(lines) + "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_csv_value(t) for t in row] for row in rows)
    return buf.getvalue()


def _graph(answer: QueryAnswer, fmt: str) -> bytes:
    if answer.form not in {"construct", "describe"}:
        raise UsageError(f"{fmt} is for CONSTRUCT answers; use table, csv, tsv or json here")
    prefixes = {k: v for k, v in PREFIXES.items() if k != "kgid"} if fmt == "ttl" else None
    data = ox.serialize(answer.triples, format=_GRAPH_FORMATS[fmt], prefixes=prefixes)
    return data or b""


def format_answer(answer: QueryAnswer, fmt: str) -> str:
    """``answer`` written in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "table":
        return _table(answer)
    if fmt in {"json", "ndjson"}:
        return _rows_json(answer, lines=fmt == "ndjson")
    if fmt == "sparql-json":
        return _json(answer)
    if fmt in {"csv", "tsv", "sparql-tsv"}:
        return _csv(answer, tsv=fmt != "csv", sparql=fmt == "sparql-tsv")
    return _graph(answer, fmt).decode("utf-8")
