"""dblp: source against a local server serving the recorded DBLP person XML (``person-xml/``, real
``https://dblp.org/pid/95/7448-1.xml``). The dump excerpt (``dump-xml/``, real records in the dump
format) checks the record mapping on more kinds of entries (ORCID-bearing authors, theses, books);
a person page with an ORCID is composed from one of its real ``<www>`` person records."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from pytest_httpserver import HTTPServer

from kg.errors import DataError, SourceError, UsageError
from kg.records import SourceOptions, check_record
from kg.records.apis.dblp import DblpSource, parse_dblp_spec, parse_xml, strip_homonym
from tests.apis_conftest import api_env, local_server, no_foreign_sockets, open_api
from tests.conftest import shared_path

# The fixtures are imported for pytest to find; naming them here marks them as used.
FIXTURES = (api_env, local_server, no_foreign_sockets)

FIX = shared_path("fixtures", "dblp")
PERSON_XML = (FIX / "person-xml" / "95-7448-1_di-xu-0001.xml").read_bytes()
DUMP_XML = (FIX / "dump-xml" / "dblp-xml-records-sample.xml").read_bytes()


def serve(server: HTTPServer, body: bytes = PERSON_XML, status: int = 200) -> None:
    server.expect_request(re.compile("^/dblp/pid/.*")).respond_with_data(
        body, status=status, content_type="application/xml"
    )


def test_the_recorded_person_page_imports(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server)
    source = open_api("dblp:95/7448-1", SourceOptions())
    assert isinstance(source, DblpSource) and source.key == "https://dblp.org/pid/95/7448-1"
    records = [r.data for r in source.iter_records()]
    for record in records:
        assert check_record(record) == [], record
    assert local_server.log[0][0].path == "/dblp/pid/95/7448-1.xml"
    person, works = records[0], records[1:]
    assert person == {
        "type": "Person",
        "id": "dblp:95/7448-1",
        "name": "Di Xu",
        "dblp": "95/7448-1",
        "affiliations": [
            {
                "name": "University of British Columbia, "
                "Department of Electrical and Computer Engineering, Canada"
            }
        ],
    }
    assert len(works) == 8
    first = works[0]
    assert first == {
        "type": "Publication",
        "doi": "10.1109/3dtv.2012.6365428",
        "dblp": "conf/3dtv/Coria-MendozaXN12",
        "title": "Automatic stereoscopic 3D video reframing",
        "authors": [
            {"name": "Lino Coria-Mendoza"},
            {"name": "Di Xu", "person": "dblp:95/7448-1"},
            {"name": "Panos Nasiopoulos"},
        ],
        "date": "2012",
        "venue": "3DTV-Conference",
        "venue_type": "conference",
        "url": "https://doi.org/10.1109/3DTV.2012.6365428",
    }
    journal = next(w for w in works if w["dblp"] == "journals/tvcg/XuDN11")
    assert journal["venue_type"] == "journal" and journal["doi"] == "10.1109/tvcg.2010.63"
    for work in works:
        assert [a.get("person") for a in work["authors"]].count("dblp:95/7448-1") == 1
    assert source.expected == len(records) == 9
    assert source.stats == {
        "requests": 1,
        "retries": 0,
        "cache_hits": 0,
        "bytes": len(PERSON_XML),
        "records": 9,
    }


def test_dump_records_map_with_orcids_and_author_order() -> None:
    root = parse_xml(DUMP_XML, where="dump")
    source = DblpSource("44/3953", SourceOptions())
    mapped = 0
    for elem in root:
        if elem.tag == "www":
            continue
        record = source.map_publication(elem)
        if record is None:  # proceedings and edited books list editors, not authors
            assert not elem.findall("author") and elem.findall("editor")
            continue
        assert check_record(record) == [], record
        printed = [strip_homonym("".join(a.itertext())) for a in elem.findall("author")]
        assert [a["name"] for a in record["authors"]] == printed
        mapped += 1
    assert mapped == 16 and source.skipped_without_authors == 3
    found = root.find("article[@key='journals/ijtmcc/KonorskiPKKCS13']")
    assert found is not None
    article = source.map_publication(found)
    assert article is not None
    assert article["authors"][3] == {"name": "Zbigniew Kotulski", "orcid": "0000-0002-1149-7863"}
    assert article["title"].startswith("Theory and implementation of a virtualisation level")
    assert not article["title"].endswith(".")
    found = root.find("article[@key='conf/www/MenasceA07']")
    assert found is not None
    escaped = source.map_publication(found)
    assert escaped is not None and escaped["authors"][0]["name"] == "Daniel A. Menascé"


def test_a_person_with_an_orcid_lends_it_to_their_authorships() -> None:
    dump = parse_xml(DUMP_XML, where="dump")
    www = dump.find("www[@key='homepages/308/0845']")
    assert www is not None
    page = ET.Element("dblpperson", {"name": "Yifang Wang 0006", "pid": "308/0845"})
    person = ET.SubElement(page, "person", dict(www.attrib))
    person.extend(list(www))
    source = DblpSource("308/0845", SourceOptions())
    record = source.map_person(page)
    assert record["orcid"] == "0000-0003-4016-4547" and record["name"] == "Yifang Wang"
    assert record["affiliations"][0]["name"].startswith("Sun Yat-Sen University")
    assert check_record(record) == []
    paper = ET.fromstring(
        '<article key="journals/x/W24"><author pid="308/0845">Yifang Wang 0006</author>'
        "<title>T.</title><year>2024</year><journal>J</journal></article>"
    )
    mapped = source.map_publication(paper)
    assert mapped is not None
    assert mapped["authors"] == [
        {"name": "Yifang Wang", "person": "dblp:308/0845", "orcid": "0000-0003-4016-4547"}
    ]


def test_a_disambiguation_profile_is_flagged() -> None:
    recorded = parse_xml(PERSON_XML, where="t")
    homonym = recorded.find("homonyms/h/person")  # the real <person> of 95/7448 ("Di Xu")
    assert homonym is not None
    page = ET.Element("dblpperson", {"name": "Di Xu", "pid": "95/7448"})
    page.append(homonym)
    source = DblpSource("95/7448", SourceOptions())
    assert source.map_person(page)["name"] == "Di Xu"
    assert source.warnings == [
        "dblp:95/7448: DBLP marks 95/7448 as a disambiguation profile: its entries belong to "
        "several people who share the name"
    ]


def test_entity_declarations_are_refused(local_server: HTTPServer, api_env: str) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE dblpperson [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><dblpperson name="&b;" pid="1/2"/>'
    )
    serve(local_server, bomb)
    with pytest.raises(DataError, match=r"declares entities \(refused for safety\)"):
        list(open_api("dblp:1/2").iter_records())
    external = b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://192.0.2.1/x">]><r>&x;</r>'
    with pytest.raises(DataError, match="refused for safety"):
        parse_xml(external, where="t")


def test_a_doctype_naming_the_dtd_is_read_without_fetching_it() -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE dblpperson SYSTEM "dblpperson.dtd">' + PERSON_XML[21:]
    assert parse_xml(doc, where="t").get("pid") == "95/7448-1"


def test_unknown_person_and_bad_documents(local_server: HTTPServer, api_env: str) -> None:
    serve(local_server, b"<html>Not found</html>", status=404)
    with pytest.raises(SourceError, match=r"^no DBLP person 1/2 \("):
        list(open_api("dblp:1/2").iter_records())
    local_server.clear()
    serve(local_server, PERSON_XML[:-200])
    with pytest.raises(DataError, match=r"^dblp:1/2 \(.*\): not well-formed XML"):
        list(open_api("dblp:1/2").iter_records())
    local_server.clear()
    serve(local_server, b"<dblp><article key='a/b'/></dblp>")
    with pytest.raises(DataError, match=r"expected a <dblpperson> document, got <dblp>"):
        list(open_api("dblp:1/2").iter_records())


def test_spec_forms() -> None:
    assert parse_dblp_spec("95/7448-1") == "95/7448-1"
    assert parse_dblp_spec("https://dblp.org/pid/95/7448-1.xml") == "95/7448-1"
    for bad in ("Di Xu", "95", "../etc/passwd", "95/../../x", "95/7448-1?x=1"):
        with pytest.raises(UsageError):
            open_api(f"dblp:{bad}")
