"""The remote backend: any SPARQL 1.1 endpoint — Query
(https://www.w3.org/TR/sparql11-protocol/), Update (https://www.w3.org/TR/sparql11-update/) and
the Graph Store Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
import requests.auth

from kg.endpoints import (
    DEFAULT_TIMEOUT,
    SERVERS,
    Endpoints,
    credentials_for,
    probe_graph,
    query_form,
    redact,
    server_kind,
)
from kg.errors import StoreError, UsageError
from kg.store.core import (
    _QUAD_FORMATS,
    DUMP_FORMATS,
    AskResult,
    GraphResult,
    LoadBatch,
    QueryResult,
    SelectResult,
    _drop_update,
    _iri_ok,
    _replace,
    _serialize_union,
    _to_result,
    load_graphs,
    query_select,
)
from kg.store_lock import WriterLease
from kg.vocab import KG, XSD


class RemoteStore:
    """A SPARQL 1.1 endpoint: queries by the SPARQL 1.1 Protocol (§2.1), updates by §2.2, loads
    by the Graph Store Protocol (§5.5 POST). The service must expose the union of its named
    graphs as the default graph for queries (Oxigraph: ``serve --union-default-graph``; Fuseki:
    ``tdb2:unionDefaultGraph true``; GraphDB, QLever and Virtuoso do so by default); the first
    request checks that and the server's result cap (:meth:`check`, docs/endpoints.md).

    Answers are asked for by query form (SPARQL results for SELECT/ASK, N-Triples for
    CONSTRUCT/DESCRIBE) and checked; an answer a server cut at its result cap is an error, never
    a short answer. Credentials (Basic or Digest, as the server asks) come from
    ``KG_ENDPOINT_USER``/``KG_ENDPOINT_PASSWORD`` or ``~/.netrc`` and are never printed; the
    timeout (seconds per request) from ``timeout`` or ``KG_ENDPOINT_TIMEOUT``.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        gsp_endpoint: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        row_cap: int | None = None,
    ) -> None:
        if not re.match(r"^https?://", endpoint):
            raise UsageError(f"--endpoint must be an http(s) URL, got {endpoint!r}")
        self._credentials = credentials_for(endpoint)
        #: the user name kg authenticates as, if any (the password is never kept in view)
        self.credentials_user = self._credentials.user if self._credentials else None
        endpoint = _without_userinfo(endpoint)
        self._overrides = (update_endpoint, gsp_endpoint)
        self.endpoints = Endpoints.derive(endpoint, update=update_endpoint, gsp=gsp_endpoint)
        self.server = self.endpoints.server
        self.timeout = timeout if timeout is not None else endpoint_timeout()
        #: the server's result cap (rows per answer) when known: learned by :meth:`check`
        self.result_cap: int | None = None
        #: rows a query may ask for (``LIMIT row_cap+1`` stays under the server's cap)
        self.row_cap: int | None = row_cap
        #: whether the default graph is the union of the named graphs (None: not known yet)
        self.union: bool | None = None
        #: lines per Graph Store POST: Virtuoso deadlocked on 200k-line POSTs at 1M triples
        self.chunk_lines = REMOTE_CHUNK_LINES
        self._checked = False
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = "kg (SPARQL client)"

    # -- HTTP ---------------------------------------------------------------------------------

    def _post(self, url: str, **kwargs: Any) -> requests.Response:
        resp = self._send(url, **kwargs)
        if resp.status_code == 401 and self._credentials and self._session.auth is None:
            challenge = resp.headers.get("WWW-Authenticate", "")
            user, password = self._credentials.user, self._credentials.password
            self._session.auth = (
                requests.auth.HTTPDigestAuth(user, password)
                if challenge.lower().startswith("digest")
                else requests.auth.HTTPBasicAuth(user, password)
            )
            resp = self._send(url, **kwargs)
        if resp.status_code == 401:
            raise StoreError(
                f"{redact(url)} refused the credentials (401)"
                if self._credentials
                else f"{redact(url)} asks for credentials (401): set KG_ENDPOINT_USER and "
                "KG_ENDPOINT_PASSWORD, or add the host to ~/.netrc"
            )
        if resp.status_code >= 400:
            detail = _detail(resp.text)
            if resp.status_code == 403 and url != self.endpoints.query:
                note = SERVERS.get(self.server, SERVERS["generic"])
                fix = note.gsp if url == self.endpoints.gsp else note.update
                raise StoreError(f"{redact(url)} refused to write (403 Forbidden): {fix}")
            if resp.status_code == 400 and url == self.endpoints.query:
                raise UsageError(f"endpoint rejected the query: {detail}")
            raise StoreError(f"{redact(url)} answered {resp.status_code} {resp.reason}: {detail}")
        return resp

    def _send(self, url: str, **kwargs: Any) -> requests.Response:
        for attempt in range(DEADLOCK_RETRIES + 1):
            resp = self._send_once(url, **kwargs)
            # SQLSTATE 40001: the server rolled the transaction back (Virtuoso: "SR172:
            # Transaction deadlocked"); the standard answer is to run it again
            if resp.status_code < 500 or "40001" not in resp.text[:2000]:
                return resp
            time.sleep(0.5 * (attempt + 1))
        return resp

    def _send_once(self, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.post(url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise EndpointTimeoutError(
                f"{redact(url)} did not answer within {self.timeout:g} s (timeout): raise "
                "KG_ENDPOINT_TIMEOUT, or narrow the request"
            ) from None
        except requests.RequestException as exc:
            raise StoreError(
                f"cannot reach SPARQL endpoint {redact(url)}: {type(exc).__name__}"
            ) from None

    # -- capabilities ---------------------------------------------------------------------------

    def check(self) -> None:
        """The checks at open (once per store): which server answers (its ``Server`` header;
        the URL conventions follow it unless overridden), its result cap (Virtuoso's
        ``ResultSetMaxRows`` and ``MaxSortedTopRows``), and -- when kg's graphs are there --
        that the default graph is their union. A missing union is a
        :class:`~kg.errors.UsageError` naming the server setting."""
        if self._checked:
            return
        self._checked = True
        resp = self._post(
            self.endpoints.query, data={"query": "ASK {}"}, headers={"Accept": _SELECT_ACCEPT}
        )
        kind = server_kind(resp.headers.get("Server", ""))
        if kind and kind != self.server:
            if self._overrides == (None, None):
                self.endpoints = Endpoints.derive(self.endpoints.query, server=kind)
            self.server = kind
        if self.server == "virtuoso":
            self.result_cap = self._virtuoso_setting("SPARQL", "ResultSetMaxRows")
            sorted_cap = self._virtuoso_setting("Parameters", "MaxSortedTopRows")
            if self.row_cap is None:
                self.row_cap = min(self.result_cap, sorted_cap) - 1
        found = query_select(self, _ANY_LOAD_QUERY).rows
        if found and found[0][0] is not None:
            g = found[0][0].value
            ask = self.query(f"ASK {{ <{g}> <{KG}sourceLabel> ?label }}")
            self._require_union(isinstance(ask, AskResult) and ask.value)

    def _require_union(self, union: bool) -> None:
        self.union = union
        if not union:
            note = SERVERS.get(self.server, SERVERS["generic"])
            raise UsageError(
                f"{redact(self.endpoints.query)} does not query the union of its named graphs, "
                f"so kg would read nothing there: {note.union}"
            )

    def _virtuoso_setting(self, section: str, key: str, default: int = 10_000) -> int:
        """A number from virtuoso.ini, read with Virtuoso's own functions (its default when unset)."""
        res = query_select(
            self,
            "SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), "
            f"'{section}', '{key}') AS ?v) WHERE {{ }}",
        )
        cell = res.rows[0][0] if res.rows else None
        text = cell.value.strip() if cell is not None else ""
        return int(text) if text.isdigit() and int(text) > 0 else default

    def before_write(self) -> None:
        """Before a batch writes to a store that holds none of kg's graphs yet: write a probe
        graph, ask the default graph for it, drop it -- so a server without the union default
        graph is refused before any data goes in (:meth:`check` decides it from the data)."""
        self.check()
        if self.union is not None:
            return
        graph = probe_graph()
        self.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{KG}sourceLabel> "probe" }} }}')
        try:
            ask = self.query(f"ASK {{ <{graph}> <{KG}sourceLabel> ?label }}")
        finally:
            self.update(f"DROP SILENT GRAPH <{graph}>")
        self._require_union(isinstance(ask, AskResult) and ask.value)

    # -- reading --------------------------------------------------------------------------------

    def query(self, sparql: str) -> QueryResult:
        """Run a query; the answer is asked for in the format of its form and checked."""
        self.check()
        form = query_form(sparql)
        graph_form = form in {"construct", "describe"}
        resp = self._post(
            self.endpoints.query,
            data={"query": sparql},
            headers={"Accept": _GRAPH_ACCEPT if graph_form else _SELECT_ACCEPT},
        )
        partial = resp.headers.get("X-SQL-State", "").strip()
        if partial:  # Virtuoso's "anytime" answer: what it had when its time limit struck
            raise StoreError(
                f"{redact(self.endpoints.query)} sent a partial answer ({partial}: its time limit "
                "struck); raise its MaxQueryExecutionTime or narrow the query"
            )
        capped = resp.headers.get("X-SPARQL-MaxRows", "").strip()
        if capped.isdigit():
            self.result_cap = int(capped)
            raise self._cap_error(int(capped))
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            result = _parse_answer(resp.content, ctype, form)
        except SyntaxError as exc:
            raise StoreError(
                f"{redact(self.endpoints.query)} sent a {ctype} answer that does not parse: "
                f"{str(exc).splitlines()[0][:200]}"
            ) from None
        if result is None:
            raise StoreError(
                f"{redact(self.endpoints.query)} answered a {form.upper()} query with "
                f"{ctype or 'no content type'}"
            )
        cap = self.result_cap
        if isinstance(result, GraphResult) and cap is not None and len(result.triples) >= cap:
            raise self._cap_error(cap)
        return result

    def _cap_error(self, cap: int) -> StoreError:
        note = SERVERS.get(self.server, SERVERS["generic"])
        return StoreError(
            f"{redact(self.endpoints.query)} cut the answer at {cap:,} rows (its result cap), "
            f"so it would be incomplete: {note.cap}"
        )

    def kg_graphs(self) -> list[str]:
        """kg's load graphs on the server (:func:`load_graphs`), so that stats and dumps never
        read a server's own graphs (Virtuoso keeps system graphs in its union)."""
        return load_graphs(self)

    # -- writing --------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update request (SPARQL 1.1 Protocol §2.2; one transaction on Oxigraph)."""
        self.check()
        self._post(self.endpoints.update, data={"update": sparql})

    def replace_graphs(self, graphs: Mapping[str, Iterable[str]]) -> None:
        _replace(self, graphs)

    def load_batch(self) -> LoadBatch:
        return LoadBatch(self)

    def writer_lease(self) -> WriterLease:
        """The writer lease a :class:`LoadBatch` takes on this endpoint (:mod:`kg.store_lock`)."""

        def connect() -> RemoteStore:  # the renewing thread's own connection
            e = self.endpoints
            return RemoteStore(e.query, update_endpoint=e.update, gsp_endpoint=e.gsp,
                               timeout=self.timeout)  # fmt: skip

        return WriterLease(self, connect=connect, where=f"endpoint {self.endpoints.query}")

    def _load(self, graph: str, chunk: bytes) -> None:
        """Add a chunk to a graph: Graph Store Protocol POST (§5.5; one transaction on Oxigraph),
        or INSERT DATA where the server has no Graph Store URL."""
        self.check()
        if self.endpoints.gsp:
            self._post(
                self.endpoints.gsp,
                params={"graph": graph},
                data=chunk,
                headers={"Content-Type": "application/n-triples"},
            )
        else:
            body = chunk.decode("utf-8")
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}")

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        update = _drop_update(graphs)
        if update:
            self.update(update)

    def dump(self, out: IO[bytes], fmt: str, *, graph: str | None = None) -> None:
        """Serialize kg's graphs (or one graph), read one graph at a time so that no answer
        comes near a server's result cap unless a single graph does (then the one-line cap
        error names the server setting)."""
        if fmt not in DUMP_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (expected {', '.join(DUMP_FORMATS)})")
        if graph is not None:
            ask = self.query(f"ASK {{ GRAPH <{_iri_ok(graph)}> {{ ?s ?p ?o }} }}")
            if not (isinstance(ask, AskResult) and ask.value):
                raise UsageError(f"no graph {graph} in the store")
        graphs = [graph] if graph is not None else self.kg_graphs()
        quads: list[ox.Quad] = []
        triples: set[ox.Triple] = set()
        for g in graphs:
            res = query_select(self, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")
            node = ox.NamedNode(g)
            for s, p, o in res.rows:
                if fmt in _QUAD_FORMATS:
                    quads.append(ox.Quad(s, p, o, node))  # type: ignore[arg-type]
                else:
                    triples.add(ox.Triple(s, p, o))  # type: ignore[arg-type]
        if fmt in _QUAD_FORMATS:
            ox.serialize(quads, out, DUMP_FORMATS[fmt])
        else:
            _serialize_union(triples, out, fmt)

    def close(self) -> None:
        self._session.close()


#: Lines per Graph Store POST to a remote store (:data:`CHUNK_LINES` is the embedded store's).
REMOTE_CHUNK_LINES = 50_000
#: How often a write the server rolled back as a deadlock (SQLSTATE 40001) is sent again.
DEADLOCK_RETRIES = 3


class EndpointTimeoutError(StoreError):
    """A SPARQL endpoint did not answer within the store's timeout."""


_SELECT_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.8"
_JSON_TYPES = {"application/sparql-results+json", "application/json"}
_XML_TYPES = {"application/sparql-results+xml", "application/xml", "text/xml"}
_NT_TYPES = {"application/n-triples", "text/plain"}
_TTL_TYPES = {"text/turtle", "application/x-turtle"}
#: Virtuoso names its blank nodes ``nodeID://b123`` in SPARQL results: plain labels here.
_NODE_ID_JSON = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_NODE_ID_XML = re.compile(rb"(<bnode>)nodeID://")
_ANY_LOAD_QUERY = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g <{KG}sourceLabel> ?label }} }} LIMIT 1"


def _parse_answer(body: bytes, ctype: str, form: str) -> QueryResult | None:
    """A server's answer parsed by its content type, or None when the type does not fit the
    query form. Virtuoso answers an ASK asked for SPARQL results with a one-cell SELECT: its
    value is read as a boolean, by value."""
    booleans = b"XMLSchema#boolean" in body
    if form in {"construct", "describe"}:
        if ctype in _NT_TYPES:
            triples = [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]
        elif ctype in _TTL_TYPES:
            triples = [q.triple for q in ox.parse(body, ox.RdfFormat.TURTLE)]
        else:
            return None
        if booleans:
            triples = [ox.Triple(t.subject, t.predicate, _canonical(t.object)) for t in triples]
        return GraphResult(triples)
    if ctype in _JSON_TYPES:
        parsed = ox.parse_query_results(_NODE_ID_JSON.sub(rb"\1", body), ox.QueryResultsFormat.JSON)
    elif ctype in _XML_TYPES:
        parsed = ox.parse_query_results(_NODE_ID_XML.sub(rb"\1", body), ox.QueryResultsFormat.XML)
    else:
        return None
    result = _to_result(parsed)
    if booleans and isinstance(result, SelectResult):
        rows = [tuple(_canonical(t) for t in row) for row in result.rows]
        result = SelectResult(result.variables, rows)
    if form == "ask" and isinstance(result, SelectResult):
        if len(result.rows) == 1 and len(result.variables) == 1:
            cell = result.rows[0][0]
            return AskResult(cell is not None and cell.value.strip() in {"1", "true"})
        return None
    if form == "select" and not isinstance(result, SelectResult):
        return None
    return result


_BOOLEAN = ox.NamedNode(XSD + "boolean")
_CANONICAL_BOOLEANS = {"1": "true", "0": "false"}


def _canonical(term: Any) -> Any:
    """An xsd:boolean in its canonical lexical form (``1`` -> ``true``, ``0`` -> ``false``;
    XML Schema 1.1 Part 2 §3.3.2.2): the same value, so answers compare equal on every engine.

    >>> _canonical(ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean"))).value
    'true'
    """
    if isinstance(term, ox.Literal) and term.datatype == _BOOLEAN:
        text = _CANONICAL_BOOLEANS.get(term.value.strip())
        if text is not None:
            return ox.Literal(text, datatype=_BOOLEAN)
    return term


def _detail(body: str) -> str:
    """The first line of text of an error answer (tags of an HTML page left out).

    >>> _detail("<!DOCTYPE HTML>\\n<html><body><h3>Error 500</h3> SR325: out of memory</body></html>")
    'Error 500 SR325: out of memory'
    """
    html = re.match(r"\s*<(!DOCTYPE|html)", body, flags=re.I) is not None
    text = re.sub(r"<!DOCTYPE[^>]*>|<head>.*?</head>|<[^>]+>", " ", body, flags=re.S | re.I)
    lines = [" ".join(line.split()) for line in (text if html else body).splitlines()]
    lines = [line for line in lines if line]
    return (" ".join(lines) if html else (lines[0] if lines else ""))[:300]


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def endpoint_timeout() -> float:
    """``$KG_ENDPOINT_TIMEOUT`` in seconds (default :data:`DEFAULT_TIMEOUT`); a usage error when
    it is not a positive number."""
    text = os.environ.get("KG_ENDPOINT_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"KG_ENDPOINT_TIMEOUT must be a number of seconds, got {text!r}") from None
    if value <= 0:
        raise UsageError(f"KG_ENDPOINT_TIMEOUT must be positive, got {text!r}")
    return value
