"""Text cleaning for scraped records: each rule a small named function (docs/cleaning.md).

Pages and BibTeX exports damage text in a few recurring ways: "… (see more)" expander markers
that split words, abstracts cut at the end, LaTeX accent commands (``\\'n``, ``\\v{s}``) and the
traces they leave when a converter strips the backslash and braces ("Kuci'nski"), stray LaTeX
markup (``$2\\times$``, ``\\textit{x}``). Every rule returns a :class:`Cleaned` value: the
repaired text and the notes that say what was changed and what is *suspected* but was not
changed. A rule never guesses: an ambiguous trace ("vs" that may be š, "ka" that may be ą, an
"l" that may have lost its stroke) is repaired only when a known spelling confirms it.

>>> clean_name("Lukasz Kuci'nski").value
'Łukasz Kuciński'
>>> clean_abstract("a key carrier o… (see more)f sharp behaviour.").value
'a key carrier of sharp behaviour.'
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "Cleaned",
    "Note",
    "RecordProblems",
    "ambiguous_traces",
    "clean_abstract",
    "clean_name",
    "clean_text",
    "latex_accents",
    "latex_markup",
    "mark_truncated_end",
    "name_traces",
    "normalize_space",
    "polish_given_names",
    "record_problems",
    "remove_truncation_markers",
    "trim_record",
]


@dataclass(frozen=True)
class Note:
    """What one rule did (``suspected=False``) or suspects but left alone (``suspected=True``)."""

    rule: str
    message: str
    suspected: bool = False

    def __str__(self) -> str:
        return f"{'suspected' if self.suspected else 'repaired'} ({self.rule}): {self.message}"


@dataclass(frozen=True)
class Cleaned:
    """A cleaned value with the notes of the rules that touched it.

    ``truncated`` is true when the text is known to be cut short (an abstract cut at the end).
    """

    value: str
    notes: tuple[Note, ...] = ()
    truncated: bool = False

    @property
    def suspicions(self) -> tuple[Note, ...]:
        """The notes of damage that was suspected but not repaired."""
        return tuple(n for n in self.notes if n.suspected)

    @property
    def repairs(self) -> tuple[Note, ...]:
        """The notes of changes actually made."""
        return tuple(n for n in self.notes if not n.suspected)

    def then(self, rule: Callable[[str], Cleaned]) -> Cleaned:
        """Apply another rule to the value, keeping the notes and the truncation flag."""
        nxt = rule(self.value)
        return Cleaned(nxt.value, self.notes + nxt.notes, self.truncated or nxt.truncated)


# --- whitespace and Unicode --------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def normalize_space(text: str) -> Cleaned:
    """NFC (Unicode Standard Annex #15), invisible characters dropped, white space collapsed.

    >>> normalize_space("  Cafe\\u0301 \\u00a0 co\\u00adoperation\\n").value
    'Café cooperation'
    """
    out = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    out = " ".join(out.split())
    notes = () if out == text else (Note("whitespace", "white space and Unicode normalized (NFC)"),)
    return Cleaned(out, notes)


# --- truncation markers ------------------------------------------------------------------------

# "… (see more)", "... (see more)", "(see more)", "...more", "…more", "[Read more]", "(more)".
_MORE = (
    r"(?:(?:see|read|show)\s+more|voir plus|lire la suite|mehr anzeigen|weiterlesen|"
    r"ver más|leer más)"
)
_MARKER = re.compile(
    r"\s?(?:…|\.\.\.)(?:\s*\(" + _MORE + r"\)|\s*\[" + _MORE + r"\]|more\b)"
    r"|\s?(?:…|\.\.\.)?\s*[\(\[]" + _MORE + r"[\)\]]",
    re.IGNORECASE,
)


def remove_truncation_markers(text: str) -> Cleaned:
    """Remove "… (see more)"-style expander markers and rejoin the word they split.

    A page that shows an abstract folded prints the first part, a marker, then the rest: when the
    marker sits inside a word ("carrier o… (see more)f sharp") the two halves are glued again; when
    it sits between words one space is kept. A marker at the very end means the rest is missing:
    the text is marked truncated.

    >>> remove_truncation_markers("a key carrier o… (see more)f sharp").value
    'a key carrier of sharp'
    >>> remove_truncation_markers("representations… (see more) from pairs").value
    'representations from pairs'
    >>> remove_truncation_markers("counts and … (see more)costs").value
    'counts and costs'
    >>> remove_truncation_markers("was cut ...more").truncated
    True
    """
    notes: list[Note] = []
    truncated = False

    def repl(m: re.Match[str]) -> str:
        nonlocal truncated
        raw, right = m.group(0), text[m.end() :]
        left_char = text[m.start() - 1] if m.start() else ""
        marker = raw.strip()
        if not right.strip():
            truncated = True
            notes.append(
                Note("truncation-marker", f"trailing marker {marker!r} removed; text is cut")
            )
            return ""
        if left_char.isalnum() and not raw[0].isspace() and right[0].isalnum():
            notes.append(
                Note("truncation-marker", f"marker {marker!r} removed, split word rejoined")
            )
            return ""
        notes.append(Note("truncation-marker", f"marker {marker!r} removed"))
        return "" if (left_char.isspace() or right[0].isspace()) else " "

    out = _MARKER.sub(repl, text)
    return Cleaned(out.rstrip() if truncated else out, tuple(notes), truncated)


_TERMINAL = set(".!?)]\"'”’»」。．！？")
_TRAILING_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")


def mark_truncated_end(text: str) -> Cleaned:
    """Mark a text cut at the end: a trailing ellipsis (dropped), or no sentence-final punctuation.

    The text itself is kept as it is (nothing is invented to finish it).

    >>> mark_truncated_end("show it is efficient (e.g., 2.6").truncated
    True
    >>> mark_truncated_end("we show it works.").truncated
    False
    >>> mark_truncated_end("improving the previous best…").value
    'improving the previous best'
    """
    stripped = text.rstrip()
    if not stripped:
        return Cleaned(text)
    m = _TRAILING_ELLIPSIS.search(stripped)
    if m:
        return Cleaned(
            stripped[: m.start()],
            (Note("truncated-end", "trailing ellipsis removed; text is cut"),),
            True,
        )
    if stripped[-1] not in _TERMINAL:
        tail = stripped[-30:]
        return Cleaned(text, (Note("truncated-end", f"ends mid-sentence: '…{tail}'"),), True)
    return Cleaned(text)


# --- LaTeX accent commands ---------------------------------------------------------------------

#: LaTeX accent commands and their Unicode combining marks (LaTeX2e "Accents", lshort §2.4.8).
ACCENTS: dict[str, str] = {
    "'": "\u0301",  # acute
    "`": "\u0300",  # grave
    "^": "\u0302",  # circumflex
    '"': "\u0308",  # diaeresis
    "~": "\u0303",  # tilde
    "=": "\u0304",  # macron
    ".": "\u0307",  # dot above
    "u": "\u0306",  # breve
    "v": "\u030c",  # caron (háček)
    "H": "\u030b",  # double acute
    "c": "\u0327",  # cedilla
    "k": "\u0328",  # ogonek
    "r": "\u030a",  # ring above
    "d": "\u0323",  # dot below
    "b": "\u0331",  # macron below
}
#: Letter commands: \l -> ł, \o -> ø, \ss -> ß ... (LaTeX2e "Non-English characters").
LETTERS: dict[str, str] = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dj": "đ", "DJ": "Đ",
}  # fmt: skip

_SYM = r"['`^\"~=.]"
_WORD = r"[uvHckrdb]"
# {\'n}, \'{n}, \'n, \' n, \v{s}, \v s, {\v s}, \'{\i}
_ACCENT_CMD = re.compile(
    r"\{?\\(?:(?P<sym>" + _SYM + r")\s*|(?P<word>" + _WORD + r")(?:\s+|(?=\{)))"
    r"(?:\{\s*(?P<barg>\\[ij]|[A-Za-z])\s*\}|(?P<arg>\\[ij](?![A-Za-z])|[A-Za-z]))\}?"
)
_LETTER_CMD = re.compile(
    r"\{?\\(" + "|".join(sorted(LETTERS, key=len, reverse=True)) + r")(?![A-Za-z])(?:\{\})?\s?\}?"
)


def _accent(match: re.Match[str]) -> str:
    cmd = match.group("sym") or match.group("word")
    base = match.group("barg") or match.group("arg")
    if base in ("\\i", "\\j"):
        base = base[1]  # the dotless i/j takes the accent: \'{\i} is í
    return unicodedata.normalize("NFC", base + ACCENTS[cmd])


def latex_accents(text: str) -> Cleaned:
    """Replace LaTeX accent and letter commands with the Unicode letters they stand for.

    >>> latex_accents(r"Kuci\\'nski, {\\v{S}}imon, Zaj\\k{a}c, Mi\\l{}o\\'s, G{\\\"o}del").value
    'Kuciński, Šimon, Zając, Miłoś, Gödel'
    """
    if "\\" not in text:
        return Cleaned(text)
    out = _ACCENT_CMD.sub(_accent, text)
    out = _LETTER_CMD.sub(lambda m: LETTERS[m.group(1)], out)
    if out == text:
        return Cleaned(text)
    return Cleaned(out, (Note("latex-accent", "LaTeX accent commands replaced by letters"),))


# --- LaTeX markup and math ---------------------------------------------------------------------

_MATH_SYMBOLS: dict[str, str] = {
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "infty": "∞",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "in": "∈", "sum": "∑", "prod": "∏",
    "sqrt": "√", "partial": "∂", "nabla": "∇", "ell": "ℓ", "log": "log", "exp": "exp",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "%": "%", "&": "&",
    "_": "_", "#": "#", "$": "$", "ldots": "…", "dots": "…", "textendash": "–",
    "textemdash": "—",
}  # fmt: skip
_SUPERSCRIPTS = str.maketrans("0123456789+-n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿ")
_SUBSCRIPTS = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")
_FORMAT = re.compile(
    r"\\(?:textit|textbf|emph|texttt|textsc|textrm|textsf|mathrm|mathit|mathbf|mathcal|"
    r"mathbb|text|operatorname|url|mbox)\s*\{([^{}]*)\}"
)
_MATH = re.compile(r"(?<!\\)\$([^$]{1,200})(?<!\\)\$")
_MATHJAX = re.compile(r"\\\(\s*([^$]{1,200}?)\s*\\\)")  # MathJax/KaTeX inline math: \( x \)
_SYMBOL_CMD = re.compile(r"\\([A-Za-z]+|[%&_#$])")
_STRAY = re.compile(r"\\(?=[A-Za-z])|\\(?=\s)|(?<=\s)\\$|\\\\")
_GROUP_BRACES = re.compile(r"\{([\w\s.,:;'’\-]*)\}")


def _math(match: re.Match[str]) -> str:
    body = match.group(1)
    body = re.sub(r"\^\{?([0-9+\-n]+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPTS), body)
    body = re.sub(r"_\{?([0-9+\-]+)\}?", lambda m: m.group(1).translate(_SUBSCRIPTS), body)
    body = _SYMBOL_CMD.sub(lambda m: _MATH_SYMBOLS.get(m.group(1), m.group(1)), body)
    body = body.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", body).strip()


def latex_markup(text: str) -> Cleaned:
    """Turn LaTeX markup into plain text: inline math, formatting, stray backslashes, braces.

    ``$2\\times$`` becomes "2×", ``\\textit{self-guided}`` becomes "self-guided", a lone ``\\word``
    loses its backslash, BibTeX case-protection braces (``{BERT}``) are dropped.

    >>> latex_markup(r"a $2\\times$ speed-up with \\textit{self-guided training} and {BERT}").value
    'a 2× speed-up with self-guided training and BERT'
    >>> latex_markup(r"an \\emph{ad hoc} \\method for $O(n^2)$ cost").value
    'an ad hoc method for O(n²) cost'
    >>> latex_markup(r"Learning the \\( ARTS \\) of Search").value
    'Learning the ARTS of Search'
    """
    if "\\" not in text and "$" not in text and "{" not in text:
        return Cleaned(text)
    out = text
    for _ in range(3):  # nested \textbf{\textit{x}}
        out = _FORMAT.sub(lambda m: m.group(1), out)
    out = _MATHJAX.sub(lambda m: f"${m.group(1)}$", out)
    out = _MATH.sub(_math, out)
    out = _SYMBOL_CMD.sub(
        lambda m: _MATH_SYMBOLS[m.group(1)] if m.group(1) in _MATH_SYMBOLS else m.group(0), out
    )
    out = _STRAY.sub("", out)
    out = _GROUP_BRACES.sub(lambda m: m.group(1), out)
    if out == text:
        return Cleaned(text)
    return Cleaned(out, (Note("latex-markup", "LaTeX markup turned into plain text"),))


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


# --- pipelines ---------------------------------------------------------------------------------


def clean_text(text: str) -> Cleaned:
    """Clean a title or other free text: markers, LaTeX accents and markup, white space.

    >>> clean_text(r"Speeding up by $2\\times$ with \\textit{Na\\\"ive} caching").value
    'Speeding up by 2× with Naïve caching'
    """
    return (
        Cleaned(text)
        .then(remove_truncation_markers)
        .then(latex_accents)
        .then(latex_markup)
        .then(normalize_space)
    )


def clean_abstract(text: str) -> Cleaned:
    """Clean an abstract like :func:`clean_text`, then mark it truncated when it is cut at the end.

    >>> c = clean_abstract("models … (see more)that work. Results improve from")
    >>> c.value, c.truncated
    ('models that work. Results improve from', True)
    """
    cleaned = clean_text(text)
    if cleaned.truncated:
        return cleaned
    return cleaned.then(mark_truncated_end)


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


# --- records: before they are checked ------------------------------------------------------------


def trim_record(value: Any) -> tuple[Any, int]:
    """Every string of a record with surrounding white space removed, and how many were changed.

    A name typed as ``" Ann Lee"`` (a CSV cell, a copied line) is the name ``"Ann Lee"``:
    trimming it is a repair, counted and reported, not a reason to reject the record (which then
    took the author links of its publications with it). Inner white space is left alone.

    >>> trim_record({"name": " Ann Lee", "topics": ["ML ", "AI"], "n": 1})
    ({'name': 'Ann Lee', 'topics': ['ML', 'AI'], 'n': 1}, 2)
    """
    if isinstance(value, str):
        stripped = value.strip()
        return stripped, int(stripped != value)
    if isinstance(value, list):
        items = [trim_record(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = {k: trim_record(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
    return value, 0


@dataclass(frozen=True)
class RecordProblems:
    """What :func:`record_problems` found: errors reject the record, warnings are reported."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _periods(rec: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for key in ("affiliations", "status"):
        for i, item in enumerate(rec.get(key) or ()):
            if isinstance(item, dict):
                yield f"$.{key}[{i}]", item


def record_problems(rec: dict[str, Any], *, today: date) -> RecordProblems:
    """Checks one schema-valid record needs beyond its schema.

    - a role (affiliation or status) that ends before it starts: an error. Dates of different
      precision are compared on their common prefix (``2019`` ends before ``2020-05`` starts;
      ``2020`` and ``2020-05`` may overlap), as ISO 8601 calendar dates order
      (https://www.w3.org/TR/xmlschema11-2/#dateTime, gYear/gYearMonth/date).
    - a publication date after ``today``: a warning (a typo for a past year, or an announced
      work; kept as given).

    >>> record_problems({"type": "Person", "name": "A",
    ...                  "affiliations": [{"name": "Lab", "start": "2020", "end": "2019-05"}]},
    ...                 today=date(2026, 1, 1)).errors
    ('$.affiliations[0]: ends (2019-05) before it starts (2020)',)
    >>> record_problems({"type": "Publication", "date": "2031"}, today=date(2026, 1, 1)).warnings
    ('$.date: 2031 is in the future',)
    """
    errors: list[str] = []
    warnings: list[str] = []
    for where, item in _periods(rec):
        start, end = item.get("start"), item.get("end")
        if isinstance(start, str) and isinstance(end, str):
            n = min(len(start), len(end))
            if end[:n] < start[:n]:
                errors.append(f"{where}: ends ({end}) before it starts ({start})")
    published = rec.get("date")
    if rec.get("type") == "Publication" and isinstance(published, str):
        now = today.isoformat()
        n = min(len(published), len(now))
        if published[:n] > now[:n]:
            warnings.append(f"$.date: {published} is in the future")
    return RecordProblems(tuple(errors), tuple(warnings))
