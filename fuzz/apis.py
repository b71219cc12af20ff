"""Fuzz targets for the API importers: ``api-orcid``, ``api-openalex``, ``api-crossref``,
``api-dblp``.

Each input is one recorded API response (from ``shared/fixtures/{orcid,openalex,crossref,dblp}``),
mutated, preceded by a first line naming the endpoint it answers (``person``, ``works``...). The
real source (:class:`~kg.records.apis.orcid.OrcidSource`...) runs its whole ``iter_records()``
with a :class:`CannedClient`: the real :class:`kg.http.HttpClient` (its ``get_json`` parsing,
UTF-8 check and error paths) with only the network replaced by a table of bodies, so no request
leaves. The mutated body answers its endpoint; every other endpoint the source asks for answers
with its unmutated recording. A record that comes out then goes through what ingest does with it
(:func:`fuzz.targets.check_downstream`): the value limits, the schema check, the mapping, and the
N-Triples parsing back; a record refused there is a rejection, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from urllib.parse import urlsplit

from fuzz import Broken, Outcome, register
from kg.http import HttpClient, HttpError, HttpResponse
from kg.records.apis._common import ApiSource
from kg.records.apis.crossref import CrossrefSource
from kg.records.apis.dblp import DblpSource
from kg.records.apis.openalex import OpenAlexSource
from kg.records.apis.orcid import OrcidSource
from kg.records.sources import SourceOptions
from kg.shared import shared_dir

__all__ = ["CannedClient", "api_target"]

#: A router: (endpoint tag of the mutated body, URL path, query) -> tag answering that request
Router = Callable[[str, dict[str, str]], str | None]


class CannedClient(HttpClient):
    """An :class:`HttpClient` whose ``get`` answers from ``bodies`` (tag -> body) instead of the
    network; ``route(path, params)`` picks the tag of a request, None answers 404."""

    def __init__(self, api: str, bodies: Mapping[str, bytes], route: Router) -> None:
        super().__init__(api)
        self.bodies = bodies
        self.route = route

    def get(
        self, url: str, *, params: Mapping[str, str] | None = None, accept: str | None = None
    ) -> HttpResponse:
        tag = self.route(urlsplit(url).path, dict(params or {}))
        body = self.bodies.get(tag) if tag is not None else None
        if body is None:
            raise HttpError(f"{self.source}: {url} answered HTTP 404", url=url, status=404,
                            body=b'{"message": "not found"}')  # fmt: skip
        self.stats.requests += 1
        self.stats.bytes += len(body)
        return HttpResponse(url=url, status=200, content_type="application/json", body=body)


def _fixture(*parts: str) -> bytes:
    return shared_dir().joinpath("fixtures", *parts).read_bytes()


def _fixtures(*parts: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((shared_dir() / "fixtures").glob("/".join(parts)))]


def api_target(
    make: Callable[[HttpClient], ApiSource],
    api: str,
    defaults: Callable[[], dict[str, bytes]],
    route: Router,
) -> Callable[[bytes], Outcome]:
    """A target: the input's first line names the endpoint its body answers (unknown: the first
    of ``defaults``), the other endpoints answer with ``defaults``; the source's records go
    through :func:`fuzz.targets.check_downstream`."""
    from fuzz.targets import check_downstream

    def run(data: bytes) -> Outcome:
        tag, _, body = data.partition(b"\n")
        bodies = dict(defaults())
        name = tag.decode("ascii", "replace").strip()
        bodies[name if name in bodies else next(iter(bodies))] = body
        source = make(CannedClient(api, bodies, route))
        records = [raw.data for raw in source.iter_records()]  # a KgError here: rejected
        return check_downstream(records, where=source.label)

    return run


def tagged(tag: str, body: bytes) -> bytes:
    """One seed input: the endpoint tag, a newline, the body."""
    return tag.encode("ascii") + b"\n" + body


# -- ORCID -----------------------------------------------------------------------------------

_ORCID = "0000-0002-9341-7985"


@cache
def _orcid_defaults() -> dict[str, bytes]:
    record = json.loads(_fixture("orcid", "recorded", "record",
                                 "0000-0002-1825-0097_record_josiah-carberry.json"))  # fmt: skip
    summary = record["activities-summary"]
    works = [json.loads(b) for b in _fixtures("orcid", "recorded", "work", "*.json")]
    return {
        "person": _fixture("orcid", "recorded", "person", f"{_ORCID}_person.json"),
        "employments": json.dumps(summary["employments"]).encode(),
        "educations": json.dumps(summary["educations"]).encode(),
        "works": _fixture("orcid", "recorded", "works", f"{_ORCID}_works.json"),
        "bulk": json.dumps({"bulk": [{"work": w} for w in works]}).encode(),
    }


def _orcid_route(path: str, params: dict[str, str]) -> str | None:
    section = path.split(f"/{_ORCID}/", 1)[-1]
    return "bulk" if section.startswith("works/") else section


def _orcid_seeds() -> list[bytes]:
    seeds = [tagged(tag, body) for tag, body in _orcid_defaults().items()]
    seeds += [tagged("person", b) for b in _fixtures("orcid/recorded/person/*.json")]
    seeds += [tagged("works", b) for b in _fixtures("orcid/recorded/works/*.json")]
    return seeds


# -- OpenAlex --------------------------------------------------------------------------------

_LAST_PAGE = b'{"meta": {"count": 0, "next_cursor": null}, "results": []}'


@cache
def _openalex_defaults() -> dict[str, bytes]:
    return {
        "author": _fixture("openalex", "authors", "A5023888391_jason-priem.json"),
        "works": _fixture("openalex", "lists", "works_filter-openalex-2ids_per-page200.json"),
        "last-page": _LAST_PAGE,
    }


def _openalex_route(path: str, params: dict[str, str]) -> str | None:
    if path.startswith("/authors/"):
        return "author"
    if path == "/works":
        return "works" if params.get("cursor") == "*" else "last-page"
    return None


def _openalex_seeds() -> list[bytes]:
    seeds = [tagged("author", b) for b in _fixtures("openalex/authors/*.json")]
    seeds += [tagged("works", b) for b in _fixtures("openalex/lists/*.json")]
    # single works, wrapped as a one-result page
    for body in _fixtures("openalex/works/*.json"):
        page = {"meta": {"count": 1, "next_cursor": None}, "results": [json.loads(body)]}
        seeds.append(tagged("works", json.dumps(page).encode()))
    return seeds


# -- Crossref, DBLP --------------------------------------------------------------------------


def _crossref_seeds() -> list[bytes]:
    return [tagged("work", b) for b in _fixtures("crossref/works/*.json")]


def _dblp_seeds() -> list[bytes]:
    hand = (b'<?xml version="1.0"?>\n<dblpperson name="Ana Lima" pid="95/7448-1" n="1">'
            b'<person key="homepages/95/7448-1"><author>Ana Lima 0001</author>'
            b"<url>https://orcid.org/0000-0002-1825-0097</url></person><r><article key="
            b'"journals/x/Lima24"><author pid="95/7448-1">Ana Lima 0001</author><title>On '
            b"<i>x</i>.</title><year>2024</year><journal>J. X</journal><ee>https://doi.org/10."
            b"1000/xyz</ee></article></r></dblpperson>")  # fmt: skip
    return [tagged("person", b) for b in _fixtures("dblp/person-xml/*.xml")] + [
        tagged("person", hand)
    ]


def _only(tag: str) -> Router:
    return lambda path, params: tag


def _make_orcid(client: HttpClient) -> ApiSource:
    return OrcidSource(_ORCID, SourceOptions(), client=client)


def _make_openalex(client: HttpClient) -> ApiSource:
    return OpenAlexSource("author", "A5023888391", SourceOptions(), client=client)


def _make_crossref(client: HttpClient) -> ApiSource:
    return CrossrefSource("10.1371/journal.pone.0033693", SourceOptions(), client=client)


def _make_dblp(client: HttpClient) -> ApiSource:
    return DblpSource("95/7448-1", SourceOptions(), client=client)


def _dblp(data: bytes) -> Outcome:
    """The DBLP target, plus: a body declaring an entity must never be accepted."""
    outcome = _dblp_run(data)
    if outcome == "ok" and b"<!ENTITY" in data.partition(b"\n")[2]:
        raise Broken("DBLP XML declaring an entity was accepted")
    return outcome


_dblp_run = api_target(_make_dblp, "DBLP", lambda: {"person": b""}, lambda path, params: "person")


def _blank(tag: str) -> Callable[[], dict[str, bytes]]:
    return lambda: {tag: b""}


register("api-orcid", api_target(_make_orcid, "ORCID", _orcid_defaults, _orcid_route),
         seeds=_orcid_seeds, kind="tagged-json", suffix=".txt")  # fmt: skip
register("api-openalex", api_target(_make_openalex, "OpenAlex", _openalex_defaults,
         _openalex_route), seeds=_openalex_seeds, kind="tagged-json", suffix=".txt")  # fmt: skip
register("api-crossref", api_target(_make_crossref, "Crossref", _blank("work"), _only("work")),
         seeds=_crossref_seeds, kind="tagged-json", suffix=".txt")  # fmt: skip
register("api-dblp", _dblp, seeds=_dblp_seeds, kind="tagged-xml", suffix=".txt")  # fmt: skip
