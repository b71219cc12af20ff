"""What kg adds around user SPARQL: its prefixes predeclared, and syntax errors in one line.

``kg sparql`` and ``.rq`` files may use kg's prefixes (:data:`kg.vocab.PREFIXES`: ``kgid:``,
``schema:``, ``foaf:``, ...) without declaring them, as kg's own output writes them: a
``PREFIX`` declaration (SPARQL 1.1 section 4.1.1, https://www.w3.org/TR/sparql11-query/#prefNames)
is added, on one line before the query, for each one used and not declared. A syntax error is
reported as one line with the line and column in the user's text and a short expectation, not
the parser's list of every acceptable token.
"""

from __future__ import annotations

import re

from kg.errors import UsageError
from kg.vocab import PREFIXES

__all__ = ["SYNTAX_ERROR", "one_line_syntax_error", "with_prefixes"]

SYNTAX_ERROR = "SPARQL syntax error: "
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:", re.I)
_USED = re.compile(r"(?<![\w<\"'?$:/#.-])([A-Za-z][\w-]*):(?!//)")
_POSITION = re.compile(r"error at (\d+):(\d+)(?:-\d+:\d+)?:?\s*(.*)", re.S)
#: longest expectation shown as the parser wrote it
_SHORT = 80


def with_prefixes(text: str) -> tuple[str, int]:
    """``text`` with PREFIX lines for the kg prefixes it uses without declaring them, and how
    many lines were added (0 or 1).

    >>> with_prefixes("SELECT * { ?p a schema:Person }")[0].split("\\n")[0]
    'PREFIX schema: <https://schema.org/>'
    >>> with_prefixes("PREFIX schema: <https://schema.org/> SELECT * { ?p a schema:Person }")[1]
    0
    """
    declared = {m.group(1) or "" for m in _DECLARED.finditer(text)}
    stripped = re.sub(r"<[^>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*", " ", text)
    used = {m.group(1) for m in _USED.finditer(stripped)}
    missing = sorted(p for p in used - declared if p in PREFIXES)
    if not missing:
        return text, 0
    line = " ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in missing)
    return f"{line}\n{text}", 1


def one_line_syntax_error(message: str, text: str, *, added_lines: int = 0) -> str:
    """A parser's syntax error as one line: position in the user's text, what is there, and a
    short expectation.

    >>> one_line_syntax_error("error at 1:10: expected one of LATERAL, SERVICE", "SELECT * { ?x ?y }")
    "SPARQL syntax error at line 1, column 10, near 'SELECT * { ?x ?': expected one of LATERAL, SERVICE"
    """
    m = _POSITION.search(message)
    if not m:
        return SYNTAX_ERROR + " ".join(message.split())
    line, column, rest = (
        int(m.group(1)) - added_lines,
        int(m.group(2)),
        " ".join(m.group(3).split()),
    )
    lines = text.split("\n")
    before = lines[line - 1][: max(column - 1, 0)] if 1 <= line <= len(lines) else ""
    after = lines[line - 1][max(column - 1, 0) :] if 1 <= line <= len(lines) else ""
    snippet = (before[-14:] + after[:6]).strip()
    near = f", near {snippet!r}" if snippet else ""
    if "Prefix not found" in rest:
        prefixed = re.findall(r"([A-Za-z][\w-]*):[^\s:]*$", before.rstrip())
        name = f" {prefixed[-1]}:" if prefixed else ""
        rest = f"unknown prefix{name} (declare it with PREFIX {prefixed[-1] if prefixed else 'p'}: <...>)"
    elif len(rest) > _SHORT:
        rest = "unexpected text here"
    where = f"line {max(line, 1)}, column {column}"
    return f"SPARQL syntax error at {where}{near}" + (f": {rest}" if rest else "")


def rewrite(exc: UsageError, text: str, *, added_lines: int = 0) -> UsageError:
    """``exc`` again if it is no syntax error, else a :class:`UsageError` in one line."""
    message = str(exc)
    if not message.startswith(SYNTAX_ERROR):
        return exc
    detail = message.removeprefix(SYNTAX_ERROR)
    return UsageError(one_line_syntax_error(detail, text, added_lines=added_lines))
