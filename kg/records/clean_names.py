"""Cleaning personal names (docs/cleaning.md): LaTeX accent commands and the traces they leave
when a converter strips the backslash and braces ("Kuci'nski" for Kuciński), Polish given
names, and the ambiguous traces ("vs" that may be š, "ka" that may be ą, an "l" that may have
lost its stroke) that are repaired only when a known spelling confirms them. Built on the text
rules of :mod:`kg.records.clean`; every rule returns a :class:`~kg.records.clean.Cleaned`.

>>> clean_name("Lukasz Kuci'nski").value
'Łukasz Kuciński'
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from kg.records.clean import (
    ACCENTS,
    Cleaned,
    Note,
    latex_accents,
    latex_markup,
    normalize_space,
)

__all__ = [
    "POLISH_GIVEN_NAMES",
    "ambiguous_traces",
    "clean_name",
    "has_damage",
    "name_traces",
    "polish_given_names",
]


# --- traces of stripped accent commands in names -----------------------------------------------

# An accent mark left between two letters of a name when "\'", "\"" ... lost the backslash and
# braces: "Kuci'nski" (\'n), "G"odel" (\"o), "Pe~na" (\~n), "Gra.zyna" (\.z). The mark must follow
# a letter and precede a lower-case letter: "O'Brien" and "D'Angelo" keep their apostrophe.
_TRACE = re.compile(r"(?<=[^\W\d_])(['\"~^`.])([a-z])")
_VOWELS = set("aeiouyAEIOUY")


def _trace_repair(match: re.Match[str]) -> str | None:
    mark, letter = match.group(1), match.group(2)
    composed = unicodedata.normalize("NFC", letter + ACCENTS[mark])
    if len(composed) != 1:
        return None  # no such precomposed letter: not an accent trace
    return composed


def name_traces(name: str) -> Cleaned:
    """Repair the unambiguous traces of stripped accent commands in a personal name.

    An apostrophe (or ``"``, ``~``, ``^``, `````, ``.``) between a letter and a lower-case letter
    is a stripped accent when the accented letter exists in Unicode. An apostrophe between two
    vowels ("Sa'id", "Mu'awiya") can be a glottal stop and is only reported, not repaired.

    >>> name_traces("Lukasz Kuci'nski").value
    'Lukasz Kuciński'
    >>> name_traces("Anastasija Ili'c").value
    'Anastasija Ilić'
    >>> name_traces("Piotr Milo's").value
    'Piotr Miloś'
    >>> name_traces("Conan O'Brien").value
    "Conan O'Brien"
    >>> c = name_traces("Sa'id Ali")
    >>> c.value, len(c.suspicions)
    ("Sa'id Ali", 1)
    """
    notes: list[Note] = []

    def repl(match: re.Match[str]) -> str:
        before = name[match.start() - 1]
        mark, letter = match.group(1), match.group(2)
        fixed = _trace_repair(match)
        if fixed is None:
            return match.group(0)
        if mark == "." and not (match.end() < len(name) and name[match.end()].isalpha()):
            return match.group(0)  # "A.b" initials, not a dot accent inside a word
        if mark == "'" and before in _VOWELS and letter in _VOWELS:
            notes.append(
                Note(
                    "accent-trace",
                    f"{name!r}: the apostrophe before {letter!r} may be a stripped accent "
                    f"({fixed}) or part of the name",
                    suspected=True,
                )
            )
            return match.group(0)
        notes.append(Note("accent-trace", f"{mark}{letter} -> {fixed}"))
        return fixed

    out = _TRACE.sub(repl, name)
    return Cleaned(out, tuple(notes))


#: Given names whose accent-free spelling only ever comes from folding a Polish spelling: applied
#: only to a name that shows other BibTeX damage (proof that its diacritics were stripped).
POLISH_GIVEN_NAMES: dict[str, str] = {
    "Lukasz": "Łukasz", "Pawel": "Paweł", "Rafal": "Rafał", "Bartlomiej": "Bartłomiej",
    "Stanislaw": "Stanisław", "Wladyslaw": "Władysław", "Miroslaw": "Mirosław",
    "Jaroslaw": "Jarosław", "Przemyslaw": "Przemysław", "Wieslaw": "Wiesław",
    "Radoslaw": "Radosław", "Boguslaw": "Bogusław", "Zdzislaw": "Zdzisław",
    "Czeslaw": "Czesław", "Boleslaw": "Bolesław", "Slawomir": "Sławomir",
    "Malgorzata": "Małgorzata", "Wlodzimierz": "Włodzimierz", "Jedrzej": "Jędrzej",
}  # fmt: skip


def polish_given_names(name: str) -> Cleaned:
    """Restore the one native spelling of a folded Polish given name ("Lukasz" -> "Łukasz").

    Callers apply it only to names with proven diacritic damage (see :func:`clean_name`): people
    who choose the ASCII spelling themselves ("Lukasz Kaiser") keep it.

    >>> polish_given_names("Lukasz Kuciński").value
    'Łukasz Kuciński'
    """
    notes: list[Note] = []

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        native = POLISH_GIVEN_NAMES.get(word, word)
        if native != word:
            notes.append(Note("given-name", f"{word} -> {native} (only spelling of this name)"))
        return native

    out = re.sub(r"\b[A-Z][a-z]+\b", repl, name)
    return Cleaned(out, tuple(notes))


# Ambiguous traces: a letter command whose backslash and braces were stripped leaves plain
# letters. kind -> (pattern of the trace, replacement of the matched text).
_CARON = re.compile(r"(?<=[^\W\d_])v([sczrnedtSCZRNEDT])")
_CARON_STRONG = re.compile(r"v([SCZRNEDT])(?=[a-z])")  # "vSimon": a lower-case v before a capital
# ą/ę after a consonant ("Zajkac" for Zając); after a, e, o, u, y a "ka" is ordinary ("Goker").
_OGONEK = re.compile(r"(?<=[^\W\d_aeouyAEOUY])k([ae])")
_DOUBLE_ACUTE = re.compile(r"(?<=[a-z])H([ouOU])")  # "ErdHos": \H{o}
_STROKE = re.compile(r"[lL]")


@dataclass(frozen=True)
class _Option:
    start: int
    end: int
    replacement: str
    kind: str


def _options(name: str) -> list[_Option]:
    """Every place where a stripped letter command may hide, excluding known native given names."""
    opts: list[_Option] = []
    protected = [
        range(m.start(), m.end())
        for m in re.finditer(r"\w+", name)
        if m.group(0) in _NATIVE_GIVEN_NAMES
    ]

    def add(pattern: re.Pattern[str], mark: str, kind: str) -> None:
        for m in pattern.finditer(name):
            fixed = unicodedata.normalize("NFC", m.group(1) + mark) if mark else m.group(1)
            if len(fixed) == 1 and not any(m.start() in r for r in protected):
                opts.append(_Option(m.start(), m.end(), fixed, kind))

    add(_CARON_STRONG, ACCENTS["v"], "caron")
    add(_DOUBLE_ACUTE, ACCENTS["H"], "double acute")
    add(_CARON, ACCENTS["v"], "caron")
    add(_OGONEK, ACCENTS["k"], "ogonek")
    for m in _STROKE.finditer(name):
        if not any(m.start() in r for r in protected):
            opts.append(_Option(m.start(), m.end(), "ł" if m.group(0) == "l" else "Ł", "stroke"))
    seen: dict[tuple[int, int], _Option] = {}
    for o in opts:  # the strong and the general caron pattern may find the same place
        seen.setdefault((o.start, o.end), o)
    return sorted(seen.values(), key=lambda o: o.start)


def _reported(opts: list[_Option], *, level: str, polish: bool) -> list[_Option]:
    """The options worth reporting at an evidence level (the rest only serve confirmation)."""
    strong = [
        o
        for o in opts
        if o.kind == "double acute" or (o.kind == "caron" and o.replacement.isupper())
    ]
    if level == "none":
        return strong
    out = [o for o in opts if o.kind in ("caron", "ogonek", "double acute")]
    if polish or any(o.kind == "ogonek" for o in out):
        out += [o for o in opts if o.kind == "stroke"]
    return sorted(set(out), key=lambda o: o.start)


def _apply(name: str, chosen: Iterable[_Option]) -> str:
    out, pos = [], 0
    for o in sorted(chosen, key=lambda o: o.start):
        if o.start < pos:
            return ""  # overlapping choice: not a spelling
        out.append(name[pos : o.start])
        out.append(o.replacement)
        pos = o.end
    out.append(name[pos:])
    return "".join(out)


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


_NATIVE_GIVEN_NAMES = frozenset(POLISH_GIVEN_NAMES.values())
_KIND_HINT = {
    "caron": "š/č/ž (\\v)",
    "ogonek": "ą/ę (\\k)",
    "stroke": "ł (\\l)",
    "double acute": "ő/ű (\\H)",
}


def ambiguous_traces(
    name: str, *, known_names: Iterable[str] = (), level: str = "none", polish: bool = False
) -> Cleaned:
    """Repair ambiguous stripped traces only when a known spelling confirms; else report them.

    ``level`` is the evidence that the name went through a lossy BibTeX conversion: ``"name"``
    (the name itself had an unambiguous trace), ``"list"`` (another name of the same author list
    had one) or ``"none"``. With no evidence only strong traces are reported ("vSimon", "ErdHos");
    with evidence also "vs" (š) and "ka" (ą); an "l" (ł) only when the damage is Polish
    (``polish``: a repaired ń ś ź ż ą ę or a Polish given name, or an "ą" trace in the name).
    ``known_names`` are spellings from another source (ORCID, DBLP, another page): a candidate
    spelling equal to one of them is taken, whatever the evidence level.

    >>> ambiguous_traces("Matko Bovsnjak", level="list").suspicions[0].message
    "'Matko Bovsnjak': 'vs' may be š/č/ž (\\\\v); not repaired without a confirming source"
    >>> ambiguous_traces("Matko Bovsnjak", known_names={"Matko Bošnjak"}, level="list").value
    'Matko Bošnjak'
    >>> ambiguous_traces("Michal Zajkac", known_names={"Michał Zając"}, level="list").value
    'Michał Zając'
    """
    opts = _options(name)
    if not opts:
        return Cleaned(name)
    known = _known_index(
        known_names if isinstance(known_names, frozenset) else frozenset(known_names)
    )
    if known and len(opts) <= 12:
        for size in range(1, len(opts) + 1):
            for chosen in itertools.combinations(opts, size):
                candidate = _apply(name, chosen)
                if candidate and _key(candidate) in known:
                    spelled = known[_key(candidate)]
                    kinds = ", ".join(sorted({o.kind for o in chosen}))
                    return Cleaned(
                        spelled,
                        (
                            Note(
                                "confirmed-trace",
                                f"{name!r} -> {spelled!r} ({kinds}), confirmed by a known name",
                            ),
                        ),
                    )
    notes = []
    for o in _reported(opts, level=level, polish=polish):
        notes.append(
            Note(
                "ambiguous-trace",
                f"{name!r}: {name[o.start : o.end]!r} may be {_KIND_HINT[o.kind]}; "
                "not repaired without a confirming source",
                suspected=True,
            )
        )
    return Cleaned(name, tuple(_dedupe(notes)))


@functools.lru_cache(maxsize=16)
def _known_index(names: frozenset[str]) -> dict[str, str]:
    """Known spellings by comparison key (built once per set of names: a page reads hundreds
    of names against the same set)."""
    return {_key(k): unicodedata.normalize("NFC", " ".join(k.split())) for k in names}


def _dedupe(notes: Iterable[Note]) -> list[Note]:
    return list(dict.fromkeys(notes))


def clean_name(
    name: str, *, known_names: Iterable[str] = (), list_damaged: bool = False
) -> Cleaned:
    """Clean a personal name: LaTeX accents, unambiguous traces, then ambiguous ones if confirmed.

    ``list_damaged`` says another name of the same author list showed BibTeX damage, which makes
    the ambiguous traces of this name worth reporting.

    >>> clean_name("Lukasz Kuci'nski").value
    'Łukasz Kuciński'
    >>> c = clean_name("Piotr Milo's")
    >>> c.value, [n.message[:27] for n in c.suspicions]
    ('Piotr Miloś', ["'Piotr Miloś': 'l' may be ł"])
    >>> clean_name("Lukasz Kaiser").value
    'Lukasz Kaiser'
    """
    known = known_names if isinstance(known_names, frozenset) else frozenset(known_names)
    first = Cleaned(name).then(normalize_space).then(latex_accents)
    had_commands = first.value != normalize_space(name).value
    traced = first.then(name_traces)
    damaged = had_commands or bool(traced.repairs[len(first.repairs) :])
    if damaged:
        traced = traced.then(polish_given_names)
    level = "name" if damaged else ("list" if list_damaged else "none")
    polish = damaged and any(ch in _POLISH for ch in traced.value)
    return traced.then(
        lambda v: ambiguous_traces(v, known_names=known, level=level, polish=polish)
    ).then(latex_markup)


_POLISH = set("ńśźżąęłŃŚŹŻĄĘŁ")


def has_damage(name: str) -> bool:
    """True when a name shows an unambiguous sign of BibTeX damage (a command or a stripped trace).

    >>> has_damage("Anastasija Ili'c"), has_damage("Clare Lyle")
    (True, False)
    """
    return "\\" in name or bool(name_traces(name).repairs)
