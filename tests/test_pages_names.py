"""The author-list grammar and the reference-string parser, on printed lists in many styles.

The table of printed author lists is built from people given as (given names, family name), each
list printed the way a style prints it (natural order with "and", "&", "et", "und", "y", an
Oxford comma; APA; Vancouver; Chicago/MLA with the first author inverted; inverted lists with
semicolons; marks and "et al."). The expected reading is written from the same people, not from
the parser, so a regression in any style shows as a failed row. Hand-written rows from real
pages follow.
"""

from __future__ import annotations

import pytest

from kg.records.pages import parse_authors, parse_citation
from kg.records.pages.names import is_name, parse_name_lines

# (given names, family name): several languages, particles, hyphens, apostrophes, initials
PEOPLE = [
    ("Clare", "Lyle"), ("Zeyu", "Zheng"), ("Hado", "van Hasselt"), ("Will", "Dabney"),
    ("Petar", "Veličković"), ("Émilie", "du Châtelet"), ("Alexis", "Clairaut"),
    ("Samuel", "König"), ("José Antonio", "Hernández López"), ("Dániel", "Varró"),
    ("Soham", "De"), ("Samuel L.", "Smith"), ("Jean-Pierre", "Serre"), ("Siobhán", "O'Brien"),
    ("Anna", "Keren-Portnoy"), ("Ludwig", "von Mises"), ("Maria", "da Silva"),
    ("Hakan", "Bilen"), ("Andrea", "Vedaldi"), ("Stefan", "Groth"), ("Sarah", "May"),
    ("Johannes", "Müske"), ("Kua", "Chen"), ("Yujing", "Yang"), ("Gunter", "Mussbacher"),
    ("Aurélien", "Nicosia"), ("Thierry", "Duchesne"), ("Louis-Paul", "Rivest"),
    ("Mirco", "Musolesi"), ("Abhinav", "Mehrotra"), ("Jonathan T.", "Barron"),
    ("Yun-Ta", "Tsai"), ("Ioana", "Baldini"), ("Stephen J.", "Fink"), ("Rodric", "Rabbah"),
    ("Federico", "Simonetta"), ("Stavros", "Ntalampiras"), ("Kristóf", "Marussy"),
    ("Oszkár", "Semeráth"), ("Łukasz", "Kuciński"), ("Ngozi", "Okonjo"), ("Wei", "Zhang"),
]  # fmt: skip


def initials(given: str, *, dots: bool) -> str:
    parts = [p for chunk in given.split() for p in chunk.split("-")]
    if dots:
        return " ".join(p[0] + "." for p in parts)
    return "".join(p[0] for p in parts)


def groups(size: int) -> list[list[tuple[str, str]]]:
    return [PEOPLE[i : i + size] for i in range(0, len(PEOPLE) - size + 1, size)]


def natural(people: list[tuple[str, str]]) -> list[str]:
    return [f"{g} {f}" for g, f in people]


def rows() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for size in (2, 3, 4):
        for ppl in groups(size):
            names = natural(ppl)
            head, last = ", ".join(names[:-1]), names[-1]
            for joiner in (" and ", " & ", " et ", " und ", " y "):
                out.append((f"{head}{joiner}{last}", names))
            out.append((f"{head}, and {last}", names))  # Oxford comma
            out.append((", ".join(names), names))
            # APA: "Family, G. M., Family, G., & Family, G."
            apa = [f"{f}, {initials(g, dots=True)}" for g, f in ppl]
            out.append((", ".join(apa[:-1]) + ", & " + apa[-1], [
                f"{initials(g, dots=True)} {f}" for g, f in ppl]))  # fmt: skip
            # Vancouver: "Family GM, Family G" (single-word family names only)
            if all(" " not in f for _g, f in ppl):
                out.append((", ".join(f"{f} {initials(g, dots=False)}" for g, f in ppl),
                            [f"{initials(g, dots=False)} {f}" for g, f in ppl]))  # fmt: skip
            # Chicago / MLA: the first author inverted ("Hernández López, José Antonio, and …"
            # with a two-word family name reads as two people too: left out as ambiguous)
            (g0, f0), rest = ppl[0], natural(ppl[1:])
            if " " in f0:
                continue
            chicago = f"{f0}, {g0}, " + (", ".join(rest[:-1]) + ", and " if rest[:-1] else "and ")
            out.append((chicago + rest[-1], names))
            # inverted, separated by semicolons
            out.append(("; ".join(f"{f}, {g}" for g, f in ppl), names))
    return out


ROWS = rows()


def test_the_table_is_large() -> None:
    assert len(ROWS) >= 150


@pytest.mark.parametrize(("printed", "names"), ROWS)
def test_author_list_in_every_style(printed: str, names: list[str]) -> None:
    parsed = parse_authors(printed)
    assert parsed is not None, printed
    assert [a.display for a in parsed] == names


@pytest.mark.parametrize(
    ("printed", "names"),
    [
        ("Clare Lyle*, Zeyu Zheng* and Will Dabney†", ["Clare Lyle", "Zeyu Zheng", "Will Dabney"]),
        ("Clare Lyle¹, Zeyu Zheng² and Will Dabney¹²", ["Clare Lyle", "Zeyu Zheng", "Will Dabney"]),
        ("Clare Lyle, Zeyu Zheng, et al.", ["Clare Lyle", "Zeyu Zheng"]),
        ("Insuk, C., Pongpamorn, P., ... & Xu, J.", ["C. Insuk", "P. Pongpamorn", "J. Xu"]),
        ("De, Soham; Smith, Samuel L.", ["Soham De", "Samuel L. Smith"]),
        ("Kua Chen, Boqi Chen, Yujing Yang , and Gunter Mussbacher, Dániel Varró",
         ["Kua Chen", "Boqi Chen", "Yujing Yang", "Gunter Mussbacher", "Dániel Varró"]),
        ("Nguyen, V, Versyp, O, Cox, C", ["V Nguyen", "O Versyp", "C Cox"]),
        ("KM Bastiaans* & D Cho*, T Benschop", ["KM Bastiaans", "D Cho", "T Benschop"]),
        ("GS Boebinger PC Canfield, JC Davis", ["GS Boebinger", "PC Canfield", "JC Davis"]),
        ("Carl Perreault‐Lafleur, Guy Desaulniers", ["Carl Perreault‐Lafleur", "Guy Desaulniers"]),
        ("王小明, 李华", ["王小明", "李华"]),
        ("HAKAN BILEN, ANDREA VEDALDI", ["HAKAN BILEN", "ANDREA VEDALDI"]),
        ("ManyBabies Consortium", ["ManyBabies Consortium"]),
        ("Cecilia Chávez-Garcı́a, Boqi Chen", ["Cecilia Chávez-Garcı́a", "Boqi Chen"]),
        ("Federico Simonetta, S. Ntalampiras, F. Avanzini",
         ["Federico Simonetta", "S. Ntalampiras", "F. Avanzini"]),
    ],
)  # fmt: skip
def test_author_lists_from_real_pages(printed: str, names: list[str]) -> None:
    parsed = parse_authors(printed)
    assert parsed is not None, printed
    assert [a.display for a in parsed] == names


@pytest.mark.parametrize(
    "text",
    ["Attention Is All You Need", "Graph Neural Networks", "Deep Learning, Optimization",
     "Normalization and effective learning rates in reinforcement learning", "NeurIPS 2024",
     "Serverless, Reactive, and Stream Processing", "Minigrid & Miniworld",
     "Ask, But Don't Interrupt", "Group Members", "Recommended citation: TBD"],
)  # fmt: skip
def test_titles_and_headings_are_not_author_lists(text: str) -> None:
    assert parse_authors(text) is None


def test_one_name_per_line_keeps_damaged_names_as_printed() -> None:
    block = ["Reinald Kim", "Mirella Lapata. 2020", "Un-611", "David M. Krueger", "Chao Zhao"]
    parsed = parse_name_lines(block)
    assert parsed is not None
    assert [a.printed for a in parsed] == block


def test_is_name() -> None:
    assert is_name("Hado van Hasselt") and is_name("J.-P. Serre") and is_name("Forsythe A")
    assert not is_name("Xu J. Landscape Genetic Connectivity") and not is_name("Clare")


# --- reference strings, one style each --------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "text", "authors", "year", "title"),
    [
        ("APA", "Bilen, H., Fernando, B., Gavves, E., & Vedaldi, A. (2016). Action Recognition with "
         "Dynamic Image Networks. arXiv preprint arXiv:1612.00738.",
         ["H. Bilen", "B. Fernando", "E. Gavves", "A. Vedaldi"], "2016",
         "Action Recognition with Dynamic Image Networks"),
        ("APA without venue", "Bilen, H., Namboodiri, V. P., & Van Gool, L. (2014). Object and "
         "Action Classification with Latent Window Parameters, 106(3), 237–251.",
         ["H. Bilen", "V. P. Namboodiri", "L. Van Gool"], "2014",
         "Object and Action Classification with Latent Window Parameters"),
        ("Hugo Blox citation", "A Gabrio, MJ Daniels, G Baio (2019). A Bayesian Parametric "
         "Approach to Handle Missing Longitudinal Outcome Data. Journal of the Royal Statistical "
         "Society: Series A.", ["A Gabrio", "MJ Daniels", "G Baio"], "2019",
         "A Bayesian Parametric Approach to Handle Missing Longitudinal Outcome Data"),
        ("Chicago author-date", "Groth, Stefan. 2012. Negotiating Tradition: The Pragmatics of "
         "International Deliberations on Cultural Property. Göttingen: Göttingen University Press.",
         ["Stefan Groth"], "2012",
         "Negotiating Tradition: The Pragmatics of International Deliberations on Cultural Property"),
        ("German Chicago, quoted", "Freistein, Katja, Frank Gadinger, und Stefan Groth. 2024. "
         "„Studying Narratives in International Relations“. International Studies Perspectives.",
         ["Katja Freistein", "Frank Gadinger", "Stefan Groth"], "2024",
         "Studying Narratives in International Relations"),
        ("German editors (Hrsg.)", "Groth, Stefan, und Linda Mülli, Hrsg. 2019. Ordnungen in "
         "Alltag und Gesellschaft. Würzburg: Königshausen und Neumann.",
         ["Stefan Groth", "Linda Mülli"], "2019", "Ordnungen in Alltag und Gesellschaft"),
        ("IEEE", 'A. Mehrotra, R. Hendley, and M. Musolesi, "NotifyMeHere: Intelligent '
         'Notification Delivery in Multi-Device Environments," in Proc. CHIIR, 2019.',
         ["A. Mehrotra", "R. Hendley", "M. Musolesi"], "2019",
         "NotifyMeHere: Intelligent Notification Delivery in Multi-Device Environments"),
        ("MLA", 'Lyle, Clare, and Will Dabney. "Normalization and Effective Learning Rates in '
         'Reinforcement Learning." NeurIPS, 2024.', ["Clare Lyle", "Will Dabney"], "2024",
         "Normalization and Effective Learning Rates in Reinforcement Learning"),
        ("ACM", "Ioana Baldini, Perry Cheng, and Stephen J. Fink. 2017. The Serverless Trilemma: "
         "Function Composition for Serverless Computing. In Proceedings of Onward! 2017.",
         ["Ioana Baldini", "Perry Cheng", "Stephen J. Fink"], "2017",
         "The Serverless Trilemma: Function Composition for Serverless Computing"),
        ("Vancouver", "Forsythe A, Vanderwolf KJ, Xu J. Landscape Genetic Connectivity and "
         "Evidence for Recombination. Journal of Fungi. 2021; 7(3):182.",
         ["A Forsythe", "KJ Vanderwolf", "J Xu"], "2021",
         "Landscape Genetic Connectivity and Evidence for Recombination"),
        ("In proceedings of", "Cosmin Radoi, Stephen J Fink, Rodric Rabbah and Manu Sridharan. "
         "Translating Imperative Code to MapReduce. In proceedings of OOPSLA, October 2014.",
         ["Cosmin Radoi", "Stephen J Fink", "Rodric Rabbah", "Manu Sridharan"], "2014",
         "Translating Imperative Code to MapReduce"),
        ("APA, French page", "Nicosia, A., Duchesne, T., Rivest, L.-P., Fortin, D. (2017). A "
         "General Hidden State Random Walk Model for Animal Movement. Computational Statistics & "
         "Data Analysis, 105, 38-53.", ["A. Nicosia", "T. Duchesne", "L.-P. Rivest", "D. Fortin"],
         "2017", "A General Hidden State Random Walk Model for Animal Movement"),
    ],
)  # fmt: skip
def test_reference_strings(
    style: str, text: str, authors: list[str], year: str, title: str
) -> None:
    cite = parse_citation(text)
    assert cite is not None, style
    assert [a.display for a in cite.authors] == authors, style
    assert (cite.year, cite.title) == (year, title), style


def test_editors_are_flagged() -> None:
    cite = parse_citation("Groth, Stefan, Hrsg. 2021. Sprache und Cultural Citizenship. Zürich.")
    assert cite is not None and cite.editors


@pytest.mark.parametrize(
    "text",
    ["New paper! An et al. 2018 published in Science",
     "“The Poetics of Fact Checking and Counter-Narratives”. Centre for Global Cooperation "
     "Research Colloquium Series, Duisburg (2/2023).",
     "Alexander G. de G. Matthews (Research Scientist, DeepMind)",
     "Recommended citation: TBD"],
)  # fmt: skip
def test_what_is_not_a_reference(text: str) -> None:
    assert parse_citation(text) is None
