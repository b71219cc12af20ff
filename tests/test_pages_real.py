"""The page reader on real pages nobody on the team wrote, compared with their expected readings.

The pages and their hand-checked readings are in ``../shared/fixtures/profile-pages/dev`` (found
through :func:`tests.conftest.require_shared`: under ``CI=true`` a missing folder fails). Every
page is read through the ``page:`` source and compared the way ``../shared/tools/score-pages``
compares: a publication is found when its title matches (similarity >= 0.9, or the start of the
abstract for an untitled one); its author list must equal the expected one, in order; nothing
may be invented; the owner must be the expected person (or nobody); ``must_not_contain`` strings
never appear. The comparison code is written here, independently of the reader.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from kg.cli import main
from kg.errors import DataError, SourceError
from kg.records import SourceOptions, check_record
from kg.records.pages import PageSource, open_page
from tests.apis_conftest import local_server, no_foreign_sockets
from tests.conftest import require_shared, shared_path

FIXTURES = (local_server, no_foreign_sockets)
DEV = ("fixtures", "profile-pages", "dev")


def _cases() -> list[str]:
    folder = shared_path(*DEV)
    names = sorted(p.name[: -len(".expect.json")] for p in folder.glob("*.expect.json"))
    return names or ["<no dev pages found>"]


def norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("ł", "l").replace("ø", "o").replace("ı", "i")
    text = re.sub(r"[.\u00b7\u2010-\u2015-]", " ", text)
    return " ".join(re.sub(r"[^\w' ]", " ", text).split())


def turned(name: str) -> str:
    parts = [p.strip() for p in name.split(",")]
    return f"{parts[1]} {parts[0]}" if len(parts) == 2 and all(parts) else name


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()


def read(page: Path) -> list[dict[str, Any]]:
    try:
        records = PageSource(page).records()
    except DataError:
        return []
    for record in records:
        assert check_record(record) == [], record
    return records


@pytest.mark.parametrize("case", _cases())
def test_dev_page_reads_as_expected(case: str) -> None:
    folder = require_shared(*DEV)
    expect = json.loads((folder / f"{case}.expect.json").read_text(encoding="utf-8"))
    page = next(p for s in (".html", ".txt") if (p := folder / f"{case}{s}").exists())
    records = read(page)
    people = {r["id"]: r["name"] for r in records if r["type"] == "Person" and "id" in r}
    pubs = [r for r in records if r["type"] == "Publication"]
    owner = records[0] if records and records[0]["type"] == "Person" else None
    want_owner = expect["owner"]
    if want_owner is None:
        assert owner is None, f"{case}: no owner expected, got {owner and owner['name']!r}"
    else:
        assert owner is not None, f"{case}: owner {want_owner['name']!r} not found"
        names = [want_owner["name"], *want_owner.get("alt_names", [])]
        assert any(similar(owner["name"], n) >= 0.9 for n in names), (owner["name"], names)
    used: set[int] = set()
    for want in expect["publications"]:
        if want["title"]:
            scores = [(similar(want["title"], p.get("title", "")), i) for i, p in enumerate(pubs)]
        else:
            start = norm(want["abstract_start"])
            scores = [
                (difflib.SequenceMatcher(None, start, norm(p.get("abstract"))[: len(start)]).ratio(), i)
                for i, p in enumerate(pubs)
            ]  # fmt: skip
        best, at = max((s for s in scores if s[1] not in used), default=(0.0, -1))
        assert best >= 0.9, f"{case}: not found: {want['title'] or want['abstract_start']!r}"
        used.add(at)
        got = []
        for author in pubs[at]["authors"]:
            if author.get("position_unknown") and owner and author.get("person") == owner["id"]:
                continue  # the owner added where the page omits them
            got.append(
                {norm(author["name"]), norm(turned(author["name"])),
                 norm(people.get(author.get("person", ""), "")),
                 norm(turned(people.get(author.get("person", ""), "")))}
            )  # fmt: skip
        wanted = [norm(a) for a in want["authors"]]
        owner_keys = (
            {norm(n).split()[-1] for n in [want_owner["name"], *want_owner.get("alt_names", [])]}
            if want_owner
            else set()
        )
        assert len(got) == len(wanted), (case, want["title"], wanted, got)
        for w, g in zip(wanted, got, strict=True):
            owner_alias = bool(owner_keys) and w.split()[-1] in owner_keys
            assert w in g or (owner_alias and any(o in x for x in g for o in owner_keys)), (
                case,
                want["title"],
                w,
                g,
            )
    invented = [p.get("title") for i, p in enumerate(pubs) if i not in used]
    optional = expect.get("optional", [])
    invented = [t for t in invented if not any(similar(t or "", o) >= 0.9 for o in optional)]
    assert invented == [], f"{case}: invented {invented}"
    blob = json.dumps(records, ensure_ascii=False).lower()
    assert [s for s in expect.get("must_not_contain", []) if s.lower() in blob] == []


def test_every_record_says_how_it_was_read() -> None:
    page = require_shared(*DEV, "rabbah-copied-text.txt")
    pubs = [r for r in read(page) if r["type"] == "Publication"]
    assert len(pubs) == 7
    for pub in pubs:
        how = pub["read_from"]
        assert how["lines"][0] <= how["lines"][1] and 0.6 <= how["confidence"] <= 1
        assert any("author list" in rule for rule in how["rules"])


def test_explain_prints_lines_kinds_entries_and_owner(capsys: pytest.CaptureFixture[str]) -> None:
    page = require_shared(*DEV, "mila-ebengio-damaged-authors.txt")
    assert main(["extract", "--explain", f"page:{page}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("page read as copied text:")
    assert "owner: Emmanuel Bengio (score" in out and "portrait caption" in out
    assert "list: text entries anchored on authors" in out
    assert re.search(r"^\s+\d+ name\s+entry\s+Reinald Kim$", out, re.M)
    assert re.search(r"-- ENTRY: title='Noisy Pairing and Partial Supervision", out)


def test_explain_refuses_other_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--explain", "examples/group/people.yaml"]) == 2
    assert "--explain reads page: sources only" in capsys.readouterr().err


def test_page_without_a_list_says_so_in_one_line_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = require_shared(*DEV, "nopub-simonetta-bibbase-js-only.html")
    assert main(["extract", f"page:{page}"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[0])["name"] == "Federico Simonetta"
    assert "no publication list recognized" in captured.err
    assert "Traceback" not in captured.err


# --- page:URL --------------------------------------------------------------------------------


def _serve(server: Any, path: str, body: bytes, ctype: str = "text/html; charset=utf-8") -> str:
    server.expect_request(path).respond_with_data(body, content_type=ctype)
    return str(server.url_for(path))


def test_page_url_is_fetched_and_read_like_the_file(local_server: Any, tmp_path: Path) -> None:
    page = require_shared(*DEV, "alfolio-boqi-chen-more-authors.html")
    local_server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    url = _serve(local_server, "/publications/", page.read_bytes())
    options = SourceOptions(cache_dir=tmp_path / "cache")
    fetched = open_page(url, options).records()
    from_file = PageSource(page).records()
    assert fetched[0]["type"] == "Person" and fetched[0]["name"] == from_file[0]["name"]
    titles = [r.get("title") for r in fetched if r["type"] == "Publication"]
    assert titles == [r.get("title") for r in from_file if r["type"] == "Publication"]
    assert len(titles) == 12
    agent = local_server.log[-1][0].headers["User-Agent"]
    assert agent.startswith("kg/")
    # the second read comes from the on-disk cache: no new request
    before = len(local_server.log)
    assert len(open_page(url, options).records()) == len(fetched)
    assert len(local_server.log) == before


def test_page_url_disallowed_by_robots_txt_is_not_fetched(local_server: Any) -> None:
    local_server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /people/\n", content_type="text/plain"
    )
    url = str(local_server.url_for("/people/ada"))
    with pytest.raises(SourceError, match=r"robots\.txt disallows"):
        open_page(url, SourceOptions()).records()
    assert all(req.path != "/people/ada" for req, _ in local_server.log)


def test_page_url_must_be_html_or_text(local_server: Any) -> None:
    local_server.expect_request("/robots.txt").respond_with_data("", status=404)
    url = _serve(local_server, "/cv.pdf", b"%PDF-1.7", "application/pdf")
    with pytest.raises(DataError, match="sent application/pdf"):
        open_page(url, SourceOptions()).records()


def test_page_size_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_MAX_RESPONSE_BYTES", "1000")
    page = tmp_path / "big.html"
    page.write_text("<p>" + "x" * 2000 + "</p>")
    with pytest.raises(Exception, match="KG_MAX_RESPONSE_BYTES"):
        PageSource(page).records()


def test_a_page_moved_to_another_folder_keeps_its_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = require_shared(*DEV, "rabbah-copied-text.txt")
    records = []
    for folder in ("one", "two/deeper"):
        root = tmp_path / folder
        (root / "pages").mkdir(parents=True)
        (root / "kg.toml").write_text("")
        (root / "pages" / "rabbah.txt").write_bytes(page.read_bytes())
        monkeypatch.chdir(root)
        source = open_page("pages/rabbah.txt", SourceOptions())
        assert source.key.endswith("/source/pages/rabbah.txt")
        records.append(source.records())
    assert records[0] == records[1]  # the same person keys, the same records
    named = open_page("pages/rabbah.txt", SourceOptions(source_name="rabbah"))
    assert named.key.endswith("/source/rabbah")
