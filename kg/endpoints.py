"""What kg knows about SPARQL engines: URL conventions, query forms, result caps, credentials,
and the capability checks of ``kg doctor --endpoint URL``.

Standards: the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/: §2.1 query
operation, §2.2 update operation, §2.1.4 the dataset in the request) and the Graph Store HTTP
Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/: §5.5 POST adds triples to a graph,
§5.4 DELETE, §5.2 GET). Engine knowledge measured on this machine class (DESIGN.md "Remote
engines"): Virtuoso 7.2 answers a CONSTRUCT in whatever format was asked, writes the boolean
``true`` as ``1``, answers an ASK asked for SPARQL-JSON as a one-cell SELECT (``__ASK_RETVAL``),
cuts every answer at ``[SPARQL] ResultSetMaxRows`` rows (a SELECT then carries an
``X-SPARQL-MaxRows`` header, a CONSTRUCT nothing), keeps its system graphs in the union, and writes
blank nodes as ``nodeID://…``. Oxigraph without ``--union-default-graph`` and Fuseki by default do
not query the union of the named graphs.

The per-server notes (:data:`SERVERS`) are what docs/endpoints.md explains at length.
"""

from __future__ import annotations

import netrc
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from kg.errors import UsageError
from kg.vocab import GRAPH_BASE, KG, XSD

__all__ = [
    "DEFAULT_TIMEOUT",
    "SERVERS",
    "Check",
    "Credentials",
    "DoctorReport",
    "Endpoints",
    "ServerNotes",
    "credentials_for",
    "doctor",
    "query_form",
    "redact",
    "server_kind",
]

#: Seconds kg waits for one answer of a SPARQL endpoint (``KG_ENDPOINT_TIMEOUT`` overrides).
DEFAULT_TIMEOUT = 60.0
#: The graph ``kg doctor`` writes its probe triples into (and drops again).
PROBE_GRAPH_BASE = GRAPH_BASE + "doctor/"


@dataclass(frozen=True)
class ServerNotes:
    """What to change on one kind of server when a capability is missing."""

    name: str
    union: str
    update: str
    gsp: str
    cap: str


#: Per server kind: how to switch on what kg needs (one line each, printed by ``kg doctor``).
SERVERS: dict[str, ServerNotes] = {
    "oxigraph": ServerNotes(
        "Oxigraph",
        union="start the server with `oxigraph serve --union-default-graph`",
        update="Oxigraph serves updates at /update unless started with `serve-read-only`",
        gsp="Oxigraph serves the Graph Store Protocol at /store",
        cap="Oxigraph has no result cap",
    ),
    "virtuoso": ServerNotes(
        "Virtuoso",
        union="Virtuoso queries the union of its graphs by default; do not set a default graph "
        "([SPARQL] DefaultGraph or default-graph-uri)",
        update='grant the update role: `grant SPARQL_UPDATE to "SPARQL";` in isql, or use '
        "/sparql-auth with credentials (KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or ~/.netrc)",
        gsp="the Graph Store endpoint is /sparql-graph-crud (/sparql-graph-crud-auth with "
        "credentials); it needs the same SPARQL_UPDATE grant",
        cap="raise [SPARQL] ResultSetMaxRows (and [Parameters] MaxSortedTopRows) in virtuoso.ini",
    ),
    "fuseki": ServerNotes(
        "Apache Jena Fuseki",
        union="set `tdb2:unionDefaultGraph true` on the dataset (or --set tdb:unionDefaultGraph=true)",
        update="start the dataset with --update (or allow update in its configuration)",
        gsp="the dataset's Graph Store endpoint is /{dataset}/data",
        cap="Fuseki has no result cap",
    ),
    "rdf4j": ServerNotes(
        "GraphDB / RDF4J",
        union="RDF4J and GraphDB query the union of the named graphs by default",
        update="updates go to /repositories/{id}/statements; the user needs write access",
        gsp="the Graph Store endpoint is /repositories/{id}/rdf-graphs/service",
        cap="GraphDB Free limits nothing by default; check the repository's query limit",
    ),
    "qlever": ServerNotes(
        "QLever",
        union="QLever's default graph is the union of all graphs",
        update="start QLever with an access token and set KG_ENDPOINT_PASSWORD to it; updates go "
        "to the query URL",
        gsp="QLever has no Graph Store endpoint: set KG_GSP_ENDPOINT=none (kg writes INSERT DATA)",
        cap="QLever sends what was asked; check its --default-query-timeout",
    ),
    "generic": ServerNotes(
        "this SPARQL server",
        union="configure the server so that the default graph is the union of the named graphs",
        update="point KG_UPDATE_ENDPOINT at the server's SPARQL Update URL and allow writes",
        gsp="point KG_GSP_ENDPOINT at the Graph Store Protocol URL (or `none` for INSERT DATA)",
        cap="raise the server's result row limit",
    ),
}

_FORM = re.compile(
    r"(?:\s+|#[^\n]*|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
    re.IGNORECASE,
)


def query_form(sparql: str) -> str:
    """The form of a SPARQL query (SPARQL 1.1 Query §2 "Making simple queries"): ``select``,
    ``ask``, ``construct`` or ``describe``; the prologue (PREFIX, BASE, comments) is skipped.

    >>> query_form("PREFIX s: <https://schema.org/> # people\\nconstruct { ?s ?p ?o } WHERE {}")
    'construct'
    >>> query_form("ASK {}")
    'ask'
    """
    match = _FORM.match(sparql)
    if not match:
        raise UsageError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return match.group(1).lower()


def server_kind(server_header: str) -> str | None:
    """The kind of server (a key of :data:`SERVERS`) its HTTP ``Server`` header names, or None.

    >>> server_kind("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu")
    'virtuoso'
    >>> server_kind("Oxigraph/0.5.13"), server_kind("nginx")
    ('oxigraph', None)
    """
    text = server_header.lower()
    for needle, kind in (
        ("virtuoso", "virtuoso"),
        ("oxigraph", "oxigraph"),
        ("fuseki", "fuseki"),
        ("graphdb", "rdf4j"),
        ("rdf4j", "rdf4j"),
        ("qlever", "qlever"),
    ):
        if needle in text:
            return kind
    return None


def redact(url: str) -> str:
    """``url`` without a password (``user:secret@`` becomes ``user@``), for messages.

    >>> redact("http://kg:secret@h:8890/sparql-auth")
    'http://kg@h:8890/sparql-auth'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Endpoints:
    """The three URLs of a SPARQL service and the kind of server their shape suggests.

    Derived from the query URL by each server's convention unless given:

    - Oxigraph: ``/query`` (or the bare root) -> ``/update``, ``/store``;
    - Virtuoso: ``/sparql`` -> ``/sparql`` and ``/sparql-graph-crud``; ``/sparql-auth`` ->
      ``/sparql-auth`` and ``/sparql-graph-crud-auth``;
    - Fuseki: ``/{dataset}/sparql`` or ``/{dataset}/query`` -> ``/{dataset}/update``,
      ``/{dataset}/data``;
    - GraphDB / RDF4J: ``/repositories/{id}`` -> ``/repositories/{id}/statements``,
      ``/repositories/{id}/rdf-graphs/service``;
    - anything else (QLever): updates to the same URL, no Graph Store URL (INSERT DATA).

    ``gsp="none"`` switches the Graph Store Protocol off.

    >>> Endpoints.derive("http://127.0.0.1:7878/query")
    Endpoints(query='http://127.0.0.1:7878/query', update='http://127.0.0.1:7878/update', gsp='http://127.0.0.1:7878/store', server='oxigraph')
    >>> Endpoints.derive("http://h:8890/sparql").gsp
    'http://h:8890/sparql-graph-crud'
    >>> Endpoints.derive("http://h/ds/sparql").gsp
    'http://h/ds/data'
    >>> Endpoints.derive("http://h:7200/repositories/kg").update
    'http://h:7200/repositories/kg/statements'
    """

    query: str
    update: str
    gsp: str | None
    server: str

    @classmethod
    def derive(
        cls, url: str, *, update: str | None = None, gsp: str | None = None,
        server: str | None = None,
    ) -> Endpoints:  # fmt: skip
        parts = urlsplit(url)
        path = parts.path.rstrip("/")
        root = urlunsplit(parts._replace(path="", query="", fragment=""))
        base = urlunsplit(parts._replace(path=path))
        kind, upd, store = _convention(root, base, path, server)
        query = base + "/query" if kind == "oxigraph" and not path else base
        gsp_url = gsp if gsp is not None else store
        if gsp_url is not None and gsp_url.lower() in {"", "none"}:
            gsp_url = None
        return cls(query, update or upd, gsp_url, kind)


def _convention(root: str, base: str, path: str, server: str | None) -> tuple[str, str, str | None]:
    """(server kind, update URL, Graph Store URL) for a query URL by its path."""
    repo = re.fullmatch(r"(.*/repositories/[^/]+)", path)
    if server == "rdf4j" or repo:
        return "rdf4j", base + "/statements", base + "/rdf-graphs/service"
    if server == "virtuoso" or path in {"/sparql", "/sparql-auth"}:
        crud = "/sparql-graph-crud-auth" if path.endswith("-auth") else "/sparql-graph-crud"
        return "virtuoso", base, root + crud
    if server == "qlever":
        return "qlever", base, None
    if (server in {None, "oxigraph"}) and path in {"", "/query"}:
        return "oxigraph", root + "/update", root + "/store"
    fuseki = re.fullmatch(r"(.*/[^/]+)/(?:sparql|query)", path)
    if server == "fuseki" or fuseki:
        ds = root + (fuseki.group(1) if fuseki else path)
        return "fuseki", ds + "/update", ds + "/data"
    return server or "generic", base, None


@dataclass(frozen=True)
class Credentials:
    """A user name and password for HTTP Basic or Digest authentication (RFC 7617, RFC 7616).
    The password never appears in ``repr`` or in any message."""

    user: str
    password: str = field(repr=False)


def credentials_for(url: str, *, environ: dict[str, str] | None = None) -> Credentials | None:
    """Credentials for ``url``: ``KG_ENDPOINT_USER``/``KG_ENDPOINT_PASSWORD``, else the user and
    password in the URL, else the ``~/.netrc`` (or ``$NETRC``) entry of its host; else None.

    >>> credentials_for("http://h/sparql", environ={"KG_ENDPOINT_USER": "dba", "KG_ENDPOINT_PASSWORD": "x"})
    Credentials(user='dba')
    """
    env = os.environ if environ is None else environ
    user = env.get("KG_ENDPOINT_USER")
    if user:
        return Credentials(user, env.get("KG_ENDPOINT_PASSWORD", ""))
    parts = urlsplit(url)
    if parts.username:
        return Credentials(parts.username, parts.password or "")
    path = env.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if parts.hostname and os.path.isfile(path):
        try:
            entry = netrc.netrc(path).authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            return None
        if entry and entry[0]:
            return Credentials(entry[0], entry[2] or "")
    return None


@dataclass(frozen=True)
class Check:
    """One capability check: ``ok`` True/False, or None when it could not be decided; ``fix``
    says what to change on the server when it failed."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "ok", False: "FAIL", None: "?"}[self.ok]
        tail = f": {self.fix}" if self.ok is False and self.fix else ""
        return f"{mark:>4}  {self.name}: {self.detail}{tail}"


@dataclass(frozen=True)
class DoctorReport:
    """What ``kg doctor --endpoint URL`` found: the URLs used, the server, every check."""

    endpoints: Endpoints
    server: str
    checks: list[Check]
    result_cap: int | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def lines(self) -> list[str]:
        e = self.endpoints
        head = [
            f"server: {SERVERS.get(self.server, SERVERS['generic']).name} ({self.server})",
            f"query URL: {redact(e.query)}",
            f"update URL: {redact(e.update)}",
            f"graph store URL: {redact(e.gsp) if e.gsp else 'none (INSERT DATA)'}",
        ]
        return head + [c.line() for c in self.checks]


def probe_graph() -> str:
    """A fresh graph IRI for ``kg doctor``'s probe triples."""
    return f"{PROBE_GRAPH_BASE}{uuid.uuid4().hex}"


PROBE_PREDICATE = f"{KG}committed"


def run_checks(
    steps: list[tuple[str, Callable[[], Check]]],
) -> list[Check]:
    """Run each named step; a step that raises becomes a failed check with its message."""
    from kg.errors import KgError

    out: list[Check] = []
    for name, step in steps:
        try:
            out.append(step())
        except KgError as exc:
            out.append(Check(name, False, str(exc)))
    return out


def doctor(
    url: str,
    *,
    update_endpoint: str | None = None,
    gsp_endpoint: str | None = None,
    timeout: float | None = None,
) -> DoctorReport:
    """Check what kg needs of the SPARQL service at ``url`` (``kg doctor --endpoint URL``):
    the query URL answers (SPARQL 1.1 Protocol §2.1), the result cap, the update URL writes
    (§2.2), a boolean comes back as a boolean, the default graph is the union of the named
    graphs, the Graph Store URL writes (Graph Store Protocol §5.5). The probe triples go to a
    graph of their own that is dropped at the end. Each failed check says what to change on
    that server (:data:`SERVERS`).
    """
    from kg.errors import KgError
    from kg.store import AskResult, RemoteStore, is_true

    store = RemoteStore(
        url,
        update_endpoint=update_endpoint or os.environ.get("KG_UPDATE_ENDPOINT") or None,
        gsp_endpoint=gsp_endpoint or os.environ.get("KG_GSP_ENDPOINT") or None,
        timeout=timeout,
    )
    checks: list[Check] = []
    union_error = ""
    try:
        try:
            store.check()
        except UsageError as exc:  # the union, decided from kg's data already there
            union_error = str(exc)
        except KgError as exc:
            checks.append(Check("query URL", False, str(exc)))
            return DoctorReport(store.endpoints, store.server, checks)
        note = SERVERS.get(store.server, SERVERS["generic"])
        checks.append(Check("query URL", True, "answers SPARQL queries"))
        if store.credentials_user:
            checks.append(
                Check("credentials", True, f"as user {store.credentials_user} (password not shown)")
            )
        cap = store.result_cap
        checks.append(
            Check("result cap", True, "none known")
            if cap is None
            else Check(
                "result cap",
                cap >= MIN_RESULT_CAP,
                f"answers stop at {cap:,} rows (kg refuses an answer that reaches the cap)",
                note.cap,
            )
        )
        graph = probe_graph()
        wrote = False
        try:
            store.update(
                f"INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{PROBE_PREDICATE}> true }} }}"
            )
            wrote = True
            checks.append(Check("update URL", True, "SPARQL Update writes"))
        except KgError as exc:
            checks.append(Check("update URL", False, str(exc), note.update))
        if wrote:
            checks.extend(_read_back(store, graph, union_error, note, is_true))
            checks.append(_gsp_check(store, graph, note, AskResult))
            try:
                store.update(f"DROP SILENT GRAPH <{graph}>")
            except KgError as exc:
                checks.append(Check("clean up", False, f"could not drop {graph}: {exc}"))
        elif union_error:
            checks.append(Check("union default graph", False, union_error, note.union))
        return DoctorReport(store.endpoints, store.server, checks, cap)
    finally:
        store.close()


#: Below this many rows a server's result cap fails ``kg doctor`` (kg's saved-query row cap).
MIN_RESULT_CAP = 100_000


def _read_back(
    store: Any, graph: str, union_error: str, note: ServerNotes, is_true: Any
) -> list[Check]:
    # the server's own lexical form, read raw: kg puts booleans in canonical form on arrival
    query = f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ <{graph}> <{PROBE_PREDICATE}> ?c }} }}"
    resp = store._post(
        store.endpoints.query,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    try:
        binding = resp.json()["results"]["bindings"][0]["c"]
        lexical: str | None = str(binding["value"])
        dtype = ox.NamedNode(str(binding.get("datatype") or XSD + "string"))
        cell: Any = ox.Literal(str(lexical), datatype=dtype)
    except (ValueError, KeyError, IndexError, TypeError):
        lexical, cell = None, None
    out = [
        Check(
            "boolean round trip",
            is_true(cell),
            f"true comes back as {lexical!r}"
            + (" (kg reads booleans by value)" if lexical not in {None, "true"} else ""),
            "the server changed the value of an xsd:boolean",
        )
    ]
    ask = store.query(f"ASK {{ <{graph}> <{PROBE_PREDICATE}> ?c }}")
    union = bool(getattr(ask, "value", False)) and not union_error
    out.append(
        Check(
            "union default graph",
            union,
            "the default graph is the union of the named graphs"
            if union
            else "the default graph does not see the named graphs",
            note.union,
        )
    )
    return out


def _gsp_check(store: Any, graph: str, note: ServerNotes, ask_type: Any) -> Check:
    from kg.errors import KgError

    if not store.endpoints.gsp:
        return Check("graph store URL", True, "none: kg writes with INSERT DATA")
    try:
        false = f'"false"^^<{XSD}boolean>'
        store._load(graph, f"<{graph}> <{PROBE_PREDICATE}> {false} .\n".encode())
        ask = store.query(f"ASK {{ GRAPH <{graph}> {{ <{graph}> <{PROBE_PREDICATE}> false }} }}")
    except KgError as exc:
        return Check("graph store URL", False, str(exc), note.gsp)
    ok = isinstance(ask, ask_type) and ask.value
    return Check(
        "graph store URL",
        ok,
        "Graph Store Protocol POST writes" if ok else "a POST was accepted but not stored",
        note.gsp,
    )
