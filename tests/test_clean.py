"""The cleaning rules of kg.records.clean, one block per rule (docs/cleaning.md lists them)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.records import clean, clean_names

# --- truncation markers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a key carrier o… (see more)f sharp behaviour", "a key carrier of sharp behaviour"),
        ("only some of w… (see more)hich might", "only some of which might"),
        ("the successfu… (see more)l applications", "the successful applications"),
        (
            "representations… (see more) from image-text pairs",
            "representations from image-text pairs",
        ),
        ("parameter counts and … (see more)costs without", "parameter counts and costs without"),
        ("sequence mo… (see more)deling", "sequence modeling"),
        ("la lumière… (voir plus) les corps", "la lumière les corps"),
        ("read this [Read more] now", "read this now"),
    ],
)
def test_truncation_markers_removed_and_words_rejoined(text: str, expected: str) -> None:
    result = clean.remove_truncation_markers(text)
    assert result.value == expected
    assert not result.truncated
    assert [n.rule for n in result.notes] == ["truncation-marker"]


def test_marker_at_the_end_marks_truncated() -> None:
    result = clean.remove_truncation_markers("the rest is missing ...more")
    assert result.value == "the rest is missing"
    assert result.truncated


def test_ellipsis_inside_prose_is_not_a_marker() -> None:
    text = "we wait ... more importantly, we measure"
    assert clean.remove_truncation_markers(text).value == text


# --- cut abstracts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("show it is both efficient (e.g., 2.6", True),
        ("improving the previous best score from", True),
        ("improving the best score…", True),
        ("Our code is available at https://github.com/x/y.", False),
        ("Does it work?", False),
        ("Wir zeigen es (siehe Anhang).", False),
    ],
)
def test_cut_abstract_is_marked(text: str, truncated: bool) -> None:
    assert clean.mark_truncated_end(text).truncated is truncated


def test_cut_abstract_keeps_its_text() -> None:
    result = clean.clean_abstract("We show that it improves the previous best score from")
    assert result.value == "We show that it improves the previous best score from"
    assert result.truncated


# --- LaTeX accents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Kuci\'nski", "Kuciński"),
        (r"Kuci\'{n}ski", "Kuciński"),
        (r"Kuci{\'n}ski", "Kuciński"),
        (r"Bo\v{s}njak", "Bošnjak"),
        (r"Bo{\v s}njak", "Bošnjak"),
        (r"Zaj\k{a}c", "Zając"),
        (r"Mi\l{}o\'s", "Miłoś"),
        (r"{\L}ukasz", "Łukasz"),
        (r"G{\"o}del", "Gödel"),
        (r"Erd\H{o}s", "Erdős"),
        (r"Fran\c{c}ois", "François"),
        (r"Garc\'{\i}a", "García"),
        (r"\AA{}ngstr\"om", "Ångström"),
        (r"Stra\ss e", "Straße"),
        (r"Pe\~na", "Peña"),
    ],
)
def test_latex_accent_commands(latex: str, text: str) -> None:
    result = clean.latex_accents(latex)
    assert result.value == text
    assert unicodedata.is_normalized("NFC", result.value)


def test_text_without_backslash_is_untouched() -> None:
    assert clean.latex_accents("Zając").notes == ()


# --- LaTeX markup ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"a $2\times$ speed-up", "a 2× speed-up"),
        (r"called \textit{self-guided training}, aimed", "called self-guided training, aimed"),
        (r"\textbf{\emph{nested}}", "nested"),
        (r"cost $O(n^2)$ and $\alpha \le 0.5$", "cost O(n²) and α ≤ 0.5"),
        (r"a new \method for it", "a new method for it"),
        (r"{BERT} models", "BERT models"),
        (r"50\% of cases", "50% of cases"),
    ],
)
def test_latex_markup(latex: str, text: str) -> None:
    assert clean.latex_markup(latex).value == text


# --- unambiguous traces in names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "repaired"),
    [
        ("Lukasz Kuci'nski", "Lukasz Kuciński"),
        ("Anastasija Ili'c", "Anastasija Ilić"),
        ("Piotr Milo's", "Piotr Miloś"),
        ('Kurt G"odel', "Kurt Gödel"),
        ("Jos'e Garc'ia", "José García"),
        ("Gra.zyna Nowak", "Grażyna Nowak"),
    ],
)
def test_unambiguous_traces_repaired(printed: str, repaired: str) -> None:
    assert clean_names.name_traces(printed).value == repaired


@pytest.mark.parametrize(
    "name", ["Conan O'Brien", "Gabriele D'Angelo", "Ngozi N'Diaye", "A.B. Smith"]
)
def test_real_apostrophes_and_initials_are_kept(name: str) -> None:
    result = clean_names.name_traces(name)
    assert result.value == name
    assert result.notes == ()


def test_apostrophe_between_vowels_is_only_suspected() -> None:
    result = clean_names.name_traces("Sa'id Ali")
    assert result.value == "Sa'id Ali"
    assert len(result.suspicions) == 1


def test_polish_given_name_restored_only_on_damaged_names() -> None:
    assert clean_names.clean_name("Lukasz Kuci'nski").value == "Łukasz Kuciński"
    assert clean_names.clean_name("Lukasz Kaiser").value == "Lukasz Kaiser"  # chose the ASCII form


# --- ambiguous traces -----------------------------------------------------------------------


def test_ambiguous_traces_reported_when_the_list_is_damaged() -> None:
    result = clean_names.clean_name("Matko Bovsnjak", list_damaged=True)
    assert result.value == "Matko Bovsnjak"
    assert ["'vs'" in n.message for n in result.suspicions] == [True]


def test_ambiguous_traces_not_reported_without_evidence() -> None:
    assert clean_names.clean_name("Matko Bovsnjak").suspicions == ()
    assert clean_names.clean_name("Goker Erdogan", list_damaged=True).suspicions == ()


def test_ogonek_and_stroke_reported_together() -> None:
    result = clean_names.clean_name("Michal Zajkac", list_damaged=True)
    kinds = sorted(n.message.split(" may be ")[1].split(" ")[0] for n in result.suspicions)
    assert kinds == ["ą/ę", "ł"]


def test_stroke_reported_after_a_polish_repair() -> None:
    result = clean_names.clean_name("Piotr Milo's")
    assert result.value == "Piotr Miloś"  # the unambiguous part
    assert [n.message.split(": ", 1)[1][:16] for n in result.suspicions] == ["'l' may be ł (\\l"]


@pytest.mark.parametrize(
    ("printed", "known", "repaired"),
    [
        ("Matko Bovsnjak", "Matko Bošnjak", "Matko Bošnjak"),
        ("Michal Zajkac", "Michał Zając", "Michał Zając"),
        ("Piotr Milo's", "Piotr Miłoś", "Piotr Miłoś"),
        ("Maciej Wolczyk", "Maciej Wołczyk", "Maciej Wołczyk"),
        ("vSimon Novak", "Šimon Novak", "Šimon Novak"),
    ],
)
def test_ambiguous_traces_repaired_when_confirmed(printed: str, known: str, repaired: str) -> None:
    result = clean_names.clean_name(printed, known_names={known, "Someone Else"})
    assert result.value == repaired
    assert result.suspicions == ()
    assert any(n.rule == "confirmed-trace" for n in result.repairs)


def test_confirmation_must_match_a_candidate_spelling() -> None:
    result = clean_names.clean_name(
        "Matko Bovsnjak", known_names={"Matko Bosnjakovic"}, list_damaged=True
    )
    assert result.value == "Matko Bovsnjak"
    assert result.suspicions


def test_strong_trace_reported_without_evidence() -> None:
    assert clean_names.clean_name("Paul ErdHos").suspicions


# --- whitespace and pipelines ---------------------------------------------------------------


def test_normalize_space_is_nfc() -> None:
    result = clean.normalize_space("Cafe\u0301\u00a0 \t au\u200b lait ")
    assert result.value == "Café au lait"
    assert unicodedata.is_normalized("NFC", result.value)


def test_clean_text_combines_the_rules() -> None:
    result = clean.clean_text(r"a \textit{key} carrier o… (see more)f $2\times$  speed")
    assert result.value == "a key carrier of 2× speed"
    assert {n.rule for n in result.notes} >= {"truncation-marker", "latex-markup", "whitespace"}


_TEXT = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "é",
            "ł",
            "ń",
            " ",
            "X",
            ".",
            ",",
            "'",
            "-",
            "…",
            "(see more)",
            "o… (see more)f",
            "$2\\times$",
            "\\textit{x}",
            "\\'n",
        ]
    ),
    max_size=20,
).map("".join)


@given(_TEXT)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean.clean_text(text).value
    assert clean.clean_text(once).value == once


@given(
    st.lists(
        st.sampled_from(["Ana", "Kuci", "'n", "ski", "Bovs", "njak", " ", "Milo", "'s", "O'B"]),
        max_size=8,
    ).map("".join)
)
def test_every_name_change_is_explained(name: str) -> None:
    result = clean_names.clean_name(name)
    if result.value != " ".join(name.split()):
        assert result.repairs
