"""The ``sparql-guard`` fuzz target: the query guard and the real engine must agree.

Each input is SPARQL text, generated from seeds (the saved queries and the campaign's attack
queries) by the ``sparql`` mutation kind: hostile fragments (``SERVICE``, ``LOAD``, updates,
quotes of every style, ``_:b"``, comments, escapes, brackets) spliced in at random places, and
byte mutations. Before anything runs, every IRI in the raw text (any ``<...>`` without spaces,
which covers every ``IRIREF`` however a lexer reads the text) and every ``http(s)://`` run is
pointed at a listener on 127.0.0.1, so the engine can only ever call that listener.

Then the guard judges the text with every permission on (:func:`kg.queries.check_sparql`; a
refusal is safe and ends the case). When it accepts, pyoxigraph runs the **raw text** and the
guard's canonical text on an empty in-memory store (a query; ``update()`` when the engine says it
is no query). A disagreement is a finding (:class:`fuzz.Broken`):

- the engine called the listener (SERVICE or LOAD ran) while the guard saw neither;
- the engine took the text as an update while the guard judged it a query, or the reverse
  (the guard's update that the engine parses as a query).
"""

from __future__ import annotations

import http.server
import re
import threading
from functools import cache

import pyoxigraph as ox

from fuzz import Broken, Outcome, register
from kg.errors import KgError
from kg.queries import Permissions, check_sparql

__all__ = ["ATTACKS", "FRAGMENTS"]

_ALL = Permissions(service=True, update=True, load=True, remote_from=True)

#: Hostile pieces the ``sparql`` mutation kind splices into queries (fuzz.mutate).
FRAGMENTS = [
    "SERVICE <http://127.0.0.1:9/s> { ?a ?b ?c }", "SERVICE SILENT <x:y> {}", " SERVICE ",
    "serv\\u0069ce", "SERVICEx", "p:SERVICE", "LOAD <http://127.0.0.1:9/l>", " LOAD ",
    "INSERT DATA { <a:b> <a:c> 1 }", " ; ", "DELETE WHERE { ?s ?p ?o }", "DROP ALL", " WITH ",
    '_:b"', "_:b'", '_:b"x ")', '"', "'", '"""', "'''", "#", "\n", "\\", '\\"', "\\u0022",
    "<", ">", "<x>", "{", "}", "(", ")", "[", "]", ".", ",", "?x", "$x", "_:c", "@en", "^^",
    "FROM <http://127.0.0.1:9/g>", "FROM NAMED <x:g>", "BASE <http://127.0.0.1:9/>",
    "PREFIX p: <http://127.0.0.1:9/>", " GRAPH ", " OPTIONAL ", " UNION ", " FILTER(", "BIND(",
    " AS ?q)", "1+1+1", "!!", "SELECT * WHERE {", "ASK {", "CONSTRUCT WHERE {", "\u2028", "\x00",
]  # fmt: skip

#: The campaign's attack queries (issue 20) and plain ones: the seeds besides the saved queries.
ATTACKS = [
    'SELECT * WHERE { { OPTIONAL { ?s ?p (_:b"x ") } } SERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } BIND(" _:c" AS ?q) }',
    'INSERT DATA { <a:b> <a:c> (_:b"x ") } ; LOAD <http://127.0.0.1:9/l> ; INSERT DATA { <a:d> <a:e> " _:c" }',
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/x> { }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/x> { }" }',
    "PREFIX p: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE p:x { ?s ?p ?o } }",
    "ASK { ?s ?p '''x\"\"\" } SERVICE <http://127.0.0.1:9/x> { } '''x' }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DELETE WHERE { ?s ?p ?o }",
]


class _Listener:
    """Counts the requests the engine makes (SERVICE / LOAD) on 127.0.0.1."""

    def __init__(self) -> None:
        self.hits = 0
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                listener.hits += 1
                body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@cache
def _listener() -> _Listener:
    return _Listener()


_IRIREF = re.compile(r"<[^<>\s]*>")
_URL = re.compile(r"https?://[^\s\"'<>]*", re.IGNORECASE)


def contained(text: str, base: str) -> str:
    """``text`` with every possible IRI pointed at ``base`` (see the module docstring).

    >>> contained('SERVICE <http://e.org/x> { } "see https://e.org"', "http://127.0.0.1:1/")
    'SERVICE <http://127.0.0.1:1/i> { } "see http://127.0.0.1:1/u"'
    """
    text = _URL.sub(base + "u", text)
    return _IRIREF.sub(f"<{base}i>", text)


def _engine(text: str) -> tuple[str, int]:
    """What pyoxigraph makes of ``text`` on an empty store: ("query" | "update" | "error",
    requests the listener got while it ran)."""
    listener = _listener()
    before = listener.hits
    store = ox.Store()
    try:
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            for _ in zip(range(1000), result, strict=False):
                pass
        return "query", listener.hits - before
    except SyntaxError:
        pass
    except (OSError, RuntimeError, ValueError):
        return "query", listener.hits - before
    try:
        store.update(text)
        return "update", listener.hits - before
    except SyntaxError:
        return "error", listener.hits - before
    except (OSError, RuntimeError, ValueError):
        return "update", listener.hits - before


def _guard_engine(data: bytes) -> Outcome:
    text = contained(data.decode("utf-8", "replace"), _listener().base)
    try:
        checked = check_sparql(text, allow=_ALL)
    except KgError:
        return "rejected"  # refused: nothing runs, the safe side
    calls = {"SERVICE", "LOAD"} & checked.uses
    for reading, run in (("raw", text), ("canonical", checked.text)):
        form, hits = _engine(run)
        if hits and not calls:
            raise Broken(f"{reading} text: the engine called out ({hits}x); the guard saw no SERVICE/LOAD")  # fmt: skip
        if form == "update" and checked.form != "update":
            raise Broken(f"{reading} text: the engine runs an update; the guard judged a {checked.form}")  # fmt: skip
        if form == "query" and checked.form == "update":
            raise Broken(f"{reading} text: the engine runs a query; the guard judged an update")
    return "ok"


def _seeds() -> list[bytes]:
    from kg.queries import load_queries

    saved = [q.text for q in load_queries().values()]
    return [s.encode("utf-8") for s in [*saved, *ATTACKS]]


register("sparql-guard", _guard_engine, seeds=_seeds, kind="sparql", suffix=".rq")
