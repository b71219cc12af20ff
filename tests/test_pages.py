"""The page: source: the seed profile, pages of other layouts, and pages with structured data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg import ids
from kg.errors import DataError, SourceError, UsageError
from kg.records import SourceOptions, check_record, open_source
from kg.records.files import source_name
from kg.records.pages import PageSource, html_page, parse_authors
from tests.conftest import needs_shared, shared_path

DATA = Path(__file__).parent / "data" / "pages"
SEED = shared_path("seeds", "000_0e6ad97ebe8bc89f.txt")
FIXTURES = shared_path("fixtures", "pages")

needs_seed = needs_shared("seeds", "000_0e6ad97ebe8bc89f.txt")


def read(path: Path, **options: Any) -> tuple[PageSource, list[dict[str, Any]]]:
    source = PageSource(path, **options)
    records = [r.data for r in source.iter_records()]
    for record in records:
        assert check_record(record) == [], record
    return source, records


def of_type(records: list[dict[str, Any]], rtype: str) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == rtype]


def by_title(records: list[dict[str, Any]], start: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(records, "Publication") if r.get("title", "").startswith(start)]
    return found


# --- the seed profile -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[PageSource, list[dict[str, Any]]]:
    return read(SEED)


@needs_seed
class TestSeed:
    def test_one_owner_with_topics_role_and_affiliation(self, seed: Any) -> None:
        _, records = seed
        owner = of_type(records, "Person")[0]
        assert owner["name"] == "Razvan Pascanu"
        assert len(owner["topics"]) == 15
        assert owner["topics"][0] == "Continual Learning"
        assert owner["topics"][-1] == "Representation Learning"
        assert owner["status"] == [{"value": "affiliate"}]
        assert owner["job_title"] == "Senior Research Scientist"
        assert owner["affiliations"] == [
            {"name": "Google DeepMind", "role": "Senior Research Scientist"}
        ]
        assert {"type": "Organization", "name": "Google DeepMind"} in records

    def test_ten_publications_from_twelve_entries(self, seed: Any) -> None:
        source, records = seed
        pubs = of_type(records, "Publication")
        assert len(pubs) == 10
        assert len({p["title"] for p in pubs}) == 10
        assert source.stats["entries"] == 12
        assert source.stats["publications"] == 10
        assert source.stats["duplicates_merged"] == 2
        assert source.stats["untitled"] == 0

    def test_owner_is_an_author_of_every_publication_position_unknown(self, seed: Any) -> None:
        _, records = seed
        owner = of_type(records, "Person")[0]
        for pub in of_type(records, "Publication"):
            owners = [a for a in pub["authors"] if a.get("person") == owner["id"]]
            assert owners == [
                {"name": "Razvan Pascanu", "person": owner["id"], "position_unknown": True}
            ]
            assert pub["authors"][-1] == owners[0]

    def test_coauthors_keep_page_order(self, seed: Any) -> None:
        _, records = seed
        pub = by_title(records, "Improving fine-grained")
        names = [a["name"] for a in pub["authors"] if not a.get("position_unknown")]
        assert names == [
            "Ioana Bica", "Anastasija Ili'c", "Matthias Bauer", "Goker Erdogan", "Matko Bovsnjak",
            "Christos Kaplanis", "Alexey A. Gritsenko", "Matthias Minderer", "Charles Blundell",
            "Jovana Mitrovic",
        ]  # fmt: skip
        assert [a["name"] for a in by_title(records, "Switching between")["authors"]] == [
            "Clare Lyle",
            "Razvan Pascanu",
        ]

    def test_unambiguous_names_repaired_printed_forms_kept(self, seed: Any) -> None:
        _, records = seed
        people = {p["id"]: p["name"] for p in of_type(records, "Person")}
        pub = by_title(records, "Fine-tuning Reinforcement")
        printed = {a["name"]: a.get("person") for a in pub["authors"]}
        assert people[printed["Lukasz Kuci'nski"]] == "Łukasz Kuciński"
        assert people[printed["Piotr Milo's"]] == "Piotr Miloś"
        ilic = by_title(records, "Improving fine-grained")["authors"][1]
        assert ilic["name"] == "Anastasija Ili'c"
        assert people[ilic["person"]] == "Anastasija Ilić"

    def test_ambiguous_names_reported_as_suspected_damage(self, seed: Any) -> None:
        source, records = seed
        warnings = "\n".join(source.warnings)
        assert "'Matko Bovsnjak': 'vs' may be š" in warnings
        assert "'Michal Zajkac': 'ka' may be ą" in warnings
        assert "'Piotr Miloś': 'l' may be ł" in warnings
        assert source.stats["suspected_damage"] == 3
        # not repaired: the printed form stays and no corrected Person is invented
        names = {p["name"] for p in of_type(records, "Person")}
        assert not names & {"Matko Bošnjak", "Michał Zając", "Piotr Miłoś"}

    def test_abstracts_markers_removed_words_rejoined(self, seed: Any) -> None:
        source, records = seed
        softmax = by_title(records, "softmax is not enough")
        assert "a key carrier of sharp behaviour" in softmax["abstract"]
        assert "see more" not in " ".join(
            p.get("abstract", "") for p in of_type(records, "Publication")
        )
        assert "abstract_truncated" not in softmax
        compositional = by_title(records, "When can transformers")["abstract"]
        assert "only some of which might be encountered" in compositional
        assert "self-guided training" in by_title(records, "Building on Efficient")["abstract"]
        assert "\\textit" not in by_title(records, "Building on Efficient")["abstract"]
        assert source.stats["markers_removed"] == 10

    def test_cut_abstracts_marked_truncated(self, seed: Any) -> None:
        source, records = seed
        truncated = sorted(
            p["title"][:20] for p in of_type(records, "Publication") if p.get("abstract_truncated")
        )
        assert truncated == ["Fine-tuning Reinforc", "Investigating Low-Ra"]
        assert source.stats["abstracts_truncated"] == 2

    def test_duplicate_keeps_the_abstract(self, seed: Any) -> None:
        _, records = seed
        assert by_title(records, "Normalization and effective")["abstract"].startswith(
            "Normalization layers have recently"
        )

    def test_reading_twice_gives_the_same_records(self, seed: Any) -> None:
        _, records = seed
        assert read(SEED)[1] == records

    def test_opened_through_the_page_scheme(self) -> None:
        source = open_source(f"page:{SEED}", SourceOptions(org="Mila"))
        assert isinstance(source, PageSource)
        owner = next(iter(source.iter_records())).data
        assert owner["status"] == [{"value": "affiliate", "organization": "Mila"}]
        # the page's identity is its path relative to the project root, never an absolute path
        assert source.key == ids.source_key(source_name(SEED))
        assert str(Path.cwd()) not in source.key

    def test_known_names_confirm_ambiguous_repairs(self) -> None:
        source, records = read(SEED, known_names={"Matko Bošnjak", "Michał Zając"})
        names = {p["name"] for p in of_type(records, "Person")}
        assert {"Matko Bošnjak", "Michał Zając"} <= names
        assert source.stats["suspected_damage"] == 1  # only Miloś' ł remains


# --- pages of other layouts -----------------------------------------------------------------


def test_html_member_page_last_first_untitled_duplicates_and_noise() -> None:
    source, records = read(DATA / "gauss_member.html")
    owner = of_type(records, "Person")[0]
    assert owner["name"] == "Carl Friedrich Gauss"
    assert owner["status"] == [{"value": "member"}]
    assert owner["job_title"] == "Professor of Astronomy"
    assert owner["affiliations"][0]["name"] == "University of Göttingen"
    assert owner["topics"] == ["Geomagnetism", "Number theory", "Least squares", "Geodesy"]
    pubs = of_type(records, "Publication")
    assert source.stats["entries"] == 4 and len(pubs) == 3  # one entry listed twice
    intensitas = by_title(records, "Intensitas")
    # the owner is listed as "Gauss, Carl Friedrich": linked, position known, printed form kept
    assert intensitas["authors"] == [{"name": "Gauss, Carl Friedrich", "person": owner["id"]}]
    assert intensitas["date"] == "1833"
    assert intensitas["venue"] == "Commentationes Societatis Regiae Scientiarum Gottingensis"
    resultate = by_title(records, "Resultate")
    assert [a["name"] for a in resultate["authors"]] == [
        "Weber, Wilhelm Eduard", "Listing, Johann Benedict", "Carl Friedrich Gauss",
    ]  # fmt: skip
    people = {p["id"]: p for p in of_type(records, "Person")}
    weber = people[resultate["authors"][0]["person"]]
    assert (weber["name"], weber["given_name"], weber["family_name"]) == (
        "Wilhelm Eduard Weber", "Wilhelm Eduard", "Weber",
    )  # fmt: skip
    abstract = resultate["abstract"]
    assert "a 2× improvement" in abstract and "the bifilar magnetometer" in abstract
    assert "a new method for" in abstract and "Schrödinger's" in abstract and "Gérard's" in abstract
    (untitled,) = [p for p in pubs if "title" not in p]
    assert untitled["abstract"].startswith("An untitled note")
    assert "used for synchronizing" in untitled["abstract"]
    assert any("no title" in w for w in source.warnings)
    assert source.stats["boilerplate_dropped"] >= 4  # cookie banner, menu, chart widget, footer
    texts = " ".join(r.get("abstract", "") + r.get("title", "") for r in pubs)
    assert "cookie" not in texts.lower() and "Highcharts" not in texts


def test_text_alumni_page_with_comma_last_first_lists() -> None:
    source, records = read(DATA / "gauss_alumni.txt")
    owner = of_type(records, "Person")[0]
    assert owner["status"] == [
        {"value": "alumni", "start": "1807", "end": "1855", "seen": "2024-05-01"}
    ]
    atlas = by_title(records, "Atlas des Erdmagnetismus")
    assert [a["name"] for a in atlas["authors"]] == [
        "Gauss, Carl Friedrich",
        "Weber, Wilhelm Eduard",
    ]
    assert atlas["authors"][0]["person"] == owner["id"]
    assert atlas["date"] == "1840"
    assert len(of_type(records, "Publication")) == 4
    assert owner["topics"] == ["Astronomy", "Geodesy", "Geomagnetism"]
    assert source.stats["boilerplate_dropped"] >= 3  # "Skip to main content", "Menu", "Search", ©


def test_french_page_punctuation() -> None:
    source, records = read(DATA / "chatelet_fr.txt")
    owner = of_type(records, "Person")[0]
    assert owner["name"] == "Émilie du Châtelet"
    assert owner["status"][0]["value"] == "affiliate"
    assert owner["status"][0]["seen"] == "2024-03-15"
    assert owner["topics"] == ["Mécanique", "Énergie cinétique", "Philosophie naturelle"]
    assert owner["affiliations"] == [
        {"name": "Académie des sciences de Paris", "role": "Chercheuse"}
    ]
    institutions = by_title(records, "Institutions de physique")
    assert [a["name"] for a in institutions["authors"]] == [
        "Émilie du Châtelet", "Alexis Clairaut", "Samuel König",
    ]  # fmt: skip
    assert institutions["abstract_truncated"] is True  # ends with "…"
    feu = by_title(records, "Dissertation sur la nature")
    assert "n’échauffent pas également les corps" in feu["abstract"]
    assert source.stats["boilerplate_dropped"] >= 2


def test_authors_first_html_layout() -> None:
    _source, records = read(DATA / "pascanu_lab.html")
    owner = of_type(records, "Person")[0]
    pubs = of_type(records, "Publication")
    assert len(pubs) == 3
    rnn = by_title(records, "On the difficulty of training")
    assert rnn["authors"][0] == {"name": "Pascanu, Razvan", "person": owner["id"]}
    assert (rnn["date"], rnn["venue"]) == ("2013", "ICML")
    compositional = by_title(records, "When can transformers")
    assert compositional["arxiv"] == "2407.12275"
    assert compositional["authors"][-1]["name"] == "Sacramento, João"
    assert not any(a.get("position_unknown") for p in pubs for a in p["authors"])


def test_html_lines_drop_boilerplate_blocks() -> None:
    page = html_page(
        b"<body><div id='cookie-consent'>We use cookies</div><nav>Home</nav>"
        b"<div role='dialog'>Sign up</div><p>Ada Lovelace</p></body>"
    )
    assert [line.text for line in page.lines] == ["Ada Lovelace"]
    assert page.dropped == 3


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Gauss, Carl Friedrich", ["Carl Friedrich Gauss"]),
        ("Gauss, Carl Friedrich, Weber, Wilhelm Eduard",
         ["Carl Friedrich Gauss", "Wilhelm Eduard Weber"]),
        ("Lovelace, A.; Babbage, C.", ["A. Lovelace", "C. Babbage"]),
        ("Ada Lovelace and Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        ("Émilie du Châtelet, Alexis Clairaut et Samuel König",
         ["Émilie du Châtelet", "Alexis Clairaut", "Samuel König"]),
        ("Hado van Hasselt", ["Hado van Hasselt"]),
        ("Soham De", ["Soham De"]),
    ],
)  # fmt: skip
def test_author_lists(text: str, names: list[str]) -> None:
    parsed = parse_authors(text)
    assert parsed is not None
    assert [a.display for a in parsed] == names


@pytest.mark.parametrize(
    "text",
    ["Attention Is All You Need", "Graph Neural Networks", "Deep Learning, Optimization",
     "Normalization and effective learning rates in reinforcement learning", "NeurIPS 2024"],
)  # fmt: skip
def test_titles_are_not_author_lists(text: str) -> None:
    assert parse_authors(text) is None


# --- errors ---------------------------------------------------------------------------------


def test_other_url_schemes_are_refused() -> None:
    with pytest.raises(UsageError, match="only http"):
        open_source("page:ftp://example.org/people/ada")


def test_missing_and_empty_pages(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        list(PageSource(tmp_path / "nope.html").iter_records())
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(DataError, match="empty"):
        list(PageSource(tmp_path / "empty.txt").iter_records())


def test_page_without_an_owner_reads_the_list_and_person_links_it(tmp_path: Path) -> None:
    page = tmp_path / "list.txt"
    page.write_text("Publications\nA study of things\nAda Lovelace\n")
    records = [r.data for r in PageSource(page).iter_records()]
    assert [r["type"] for r in records] == ["Publication"]  # no owner: no Person comes first
    assert records[0]["authors"] == [{"name": "Ada Lovelace"}]
    records = [r.data for r in PageSource(page, person="Ada Lovelace").iter_records()]
    assert records[1]["authors"] == [{"name": "Ada Lovelace", "person": records[0]["id"]}]


def test_page_with_nothing_recognized_is_one_data_error(tmp_path: Path) -> None:
    page = tmp_path / "news.txt"
    page.write_text("News\nThe lab moved to a new building last spring.\n")
    with pytest.raises(DataError, match="no publication list recognized"):
        list(PageSource(page).iter_records())


# --- structured data (real pages in ../shared/fixtures/pages) -------------------------------

needs_fixtures = needs_shared("fixtures", "pages")


@needs_fixtures
def test_invalid_jsonld_profile_does_not_crash() -> None:
    """bsky.app's JSON-LD has a raw newline inside a string: read leniently, not crashed on."""
    source, records = read(FIXTURES / "profiles" / "bsky.app_profile_stephenking.html")
    (owner,) = of_type(records, "Person")
    assert owner["name"] == "Stephen King"
    assert owner["description"] == "Writer"
    assert source.stats["structured_items"] >= 1


@needs_fixtures
def test_profile_page_person_from_jsonld() -> None:
    _, records = read(FIXTURES / "profiles" / "x.com_profile_kikobeats.html")
    (owner,) = of_type(records, "Person")
    assert owner["name"] == "Kiko Beats"
    assert "https://x.com/Kikobeats" in owner["same_as"]


@needs_fixtures
def test_scholarly_article_jsonld_authors_in_order_with_orcids() -> None:
    _source, records = read(
        FIXTURES / "scholarly-articles" / "www.nature.com-articles-s41586-021-03819-2.html"
    )
    (pub,) = of_type(records, "Publication")
    assert pub["title"] == "Highly accurate protein structure prediction with AlphaFold"
    assert pub["doi"] == "10.1038/s41586-021-03819-2"
    assert len(pub["authors"]) == 34
    assert pub["authors"][0]["name"] == "John Jumper"
    assert sum(1 for a in pub["authors"] if "orcid" in a) >= 9
    assert pub["date"] == "2021-07-15"


@needs_fixtures
def test_citation_meta_tags() -> None:
    _, records = read(FIXTURES / "scholarly-articles" / "arxiv.org-abs-1706.03762.html")
    (pub,) = of_type(records, "Publication")
    assert pub["title"] == "Attention Is All You Need"
    assert pub["arxiv"] == "1706.03762"
    assert len(pub["authors"]) == 8
    assert pub["authors"][0]["name"] == "Ashish Vaswani"


@needs_fixtures
@pytest.mark.parametrize(
    "name",
    [
        "scholarly-articles/www.frontiersin.org-journals-psychology-articles-10.3389-fpsyg.2014.00781-full.html",
        "scholarly-articles/journals.plos.org-plosone-article-id-10.1371-journal.pone.0000001.html",
        "scholarly-articles/pmc.ncbi.nlm.nih.gov-articles-PMC3531190.html",
        "scholarly-articles/www.biorxiv.org-content-10.1101-2020.03.22.002386v3.html",
    ],
)
def test_article_pages_give_one_publication(name: str) -> None:
    _, records = read(FIXTURES / name)
    pubs = of_type(records, "Publication")
    assert len(pubs) == 1
    assert pubs[0]["title"] and pubs[0]["authors"]


@needs_fixtures
def test_article_without_authors_is_reported_not_invented() -> None:
    name = "www.sciencedirect.com-science-article-abs-pii-S2352485522001888.html"
    source, records = read(FIXTURES / "scholarly-articles" / name)
    assert of_type(records, "Publication") == []
    assert any("names no author" in w for w in source.warnings)


@needs_fixtures
def test_rdfa_person() -> None:
    _, records = read(FIXTURES / "extruct-samples" / "w3crdfa" / "w3c.rdfalite.example005.html")
    assert of_type(records, "Person")[0]["name"] == "Manu Sporny"


@needs_fixtures
@pytest.mark.parametrize(
    "name", ["JSONLD_with_control_characters.html", "JSONLD_with_JS_comment.html"]
)
def test_broken_jsonld_samples_never_crash(name: str) -> None:
    source = PageSource(
        FIXTURES / "extruct-samples" / "custom.invalid" / name, person="Ada Lovelace"
    )
    for record in source.iter_records():
        assert check_record(record.data) == []


def test_article_page_with_person_option_links_the_owner(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        '<html><head><meta name="citation_title" content="Notes on the engine">'
        '<meta name="citation_author" content="Lovelace, Ada">'
        '<meta name="citation_author" content="Babbage, Charles">'
        '<meta name="citation_publication_date" content="1843/9/1"></head><body></body></html>'
    )
    _source, records = read(page, person="Ada Lovelace")
    owner, pub = of_type(records, "Person")[0], of_type(records, "Publication")[0]
    assert pub["authors"][0] == {"name": "Ada Lovelace", "person": owner["id"]}
    assert pub["date"] == "1843-09-01"


def test_own_jsonld_profile_page_with_raw_newline_and_graph() -> None:
    source, records = read(DATA / "lovelace_jsonld.html")
    owner = of_type(records, "Person")[0]
    assert owner["name"] == "Ada Lovelace"
    assert owner["orcid"] == "0000-0002-1825-0097"
    assert owner["topics"] == ["Mathematics", "Computing"]
    assert owner["description"] == "Wrote the first program"  # raw newline inside the string
    assert owner["affiliations"] == [{"name": "Analytical Society"}]
    assert owner["same_as"] == ["https://en.wikipedia.org/wiki/Ada_Lovelace"]
    sketch = by_title(records, "Sketch of the Analytical Engine")
    assert sketch["doi"] == "10.5555/sketch.1843"
    assert sketch["date"] == "1843-09"
    assert sketch["authors"] == [
        {"name": "Luigi Menabrea"},
        {"name": "Ada Lovelace", "person": owner["id"]},
    ]
    notes = by_title(records, "Notes on the")
    assert notes["title"] == "Notes on the Analytical Engine"  # LaTeX markup cleaned
    assert notes["authors"][-1] == {
        "name": "Ada Lovelace",
        "person": owner["id"],
        "position_unknown": True,
    }
    assert source.stats["entries"] == 3 and source.stats["duplicates_merged"] == 1


def test_doi_from_a_link_in_the_entry() -> None:
    _, records = read(DATA / "pascanu_lab.html")
    assert by_title(records, "On the difficulty")["doi"] == "10.5555/3042817.3043083"
