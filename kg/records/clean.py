"""Text cleaning for scraped records: each rule a small named function (docs/cleaning.md).

Pages and BibTeX exports damage text in a few recurring ways: "… (see more)" expander markers
that split words, abstracts cut at the end, LaTeX accent commands (``\\'n``, ``\\v{s}``) and the
traces they leave when a converter strips the backslash and braces ("Kuci'nski"), stray LaTeX
markup (``$2\\times$``, ``\\textit{x}``). Every rule returns a :class:`Cleaned` value: the
repaired text and the notes that say what was changed and what is *suspected* but was not
changed. A rule never guesses: an ambiguous trace ("vs" that may be š, "ka" that may be ą, an
"l" that may have lost its stroke) is repaired only when a known spelling confirms it.

Personal names have their own rules, in :mod:`kg.records.clean_names`.

>>> clean_abstract("a key carrier o… (see more)f sharp behaviour.").value
'a key carrier of sharp behaviour.'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "ACCENTS",
    "Cleaned",
    "Note",
    "RecordProblems",
    "clean_abstract",
    "clean_text",
    "latex_accents",
    "latex_markup",
    "mark_truncated_end",
    "normalize_space",
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
