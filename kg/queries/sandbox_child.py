"""The child process of :mod:`kg.queries.sandbox`: read one query request as JSON on stdin, run it
on the store read-only, write one JSON header line and the rows (SPARQL 1.1 Query Results JSON,
https://www.w3.org/TR/sparql11-results-json/) or triples (N-Triples) on stdout.

Only the standard library and pyoxigraph are imported, so it starts in a fraction of a second.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

import pyoxigraph as ox


def _term_json(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        else:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def _child() -> int:
    request = json.loads(sys.stdin.buffer.read())
    # the bound first: every allocation of the query counts against it (POSIX setrlimit)
    resource.setrlimit(resource.RLIMIT_AS, (request["max_bytes"], request["max_bytes"]))
    out = sys.stdout.buffer

    def fail(kind: str, message: str) -> int:
        out.write(json.dumps({"error": kind, "message": message}).encode() + b"\n")
        return 1

    try:
        store = ox.Store.read_only(request["path"])
        options: dict[str, Any] = {"use_default_graph_as_union": True}
        if request["dataset"] is not None:
            options = {
                "default_graph": [ox.NamedNode(g) for g in request["dataset"]["default"]],
                "named_graphs": [ox.NamedNode(g) for g in request["dataset"]["named"]],
            }
        result = store.query(request["query"], **options)
        cap = request["max_rows"]
        if isinstance(result, ox.QueryBoolean):
            out.write(json.dumps({"form": "ask", "boolean": bool(result)}).encode() + b"\n")
            return 0
        items: list[Any] = []
        truncated = False
        for item in result:
            if cap is not None and len(items) == cap:
                truncated = True
                break
            items.append(item)
        if isinstance(result, ox.QuerySolutions):
            columns = [v.value for v in result.variables]
            bindings = [
                {c: _term_json(sol[c]) for c in columns if sol[c] is not None} for sol in items
            ]
            header = {"form": "select", "columns": columns, "truncated": truncated}
            out.write(json.dumps(header).encode() + b"\n")
            body = {"head": {"vars": columns}, "results": {"bindings": bindings}}
            out.write(json.dumps(body).encode())
            return 0
        out.write(json.dumps({"form": "graph", "truncated": truncated}).encode() + b"\n")
        out.write("".join(f"{t} .\n" for t in items).encode("utf-8"))
        return 0
    except SyntaxError as exc:
        return fail("syntax", str(exc))
    except MemoryError:
        return fail("memory", "")
    except OSError as exc:
        return fail("store", str(exc))


if __name__ == "__main__":
    sys.exit(_child())
