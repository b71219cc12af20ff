"""A small, linear SPARQL tokenizer: enough to find variables, keywords, IRIs and nesting depth.

It follows the terminals of the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar):
strings (all four quote styles, with escapes), ``IRIREF``, comments, variables (``?x``/``$x``),
prefixed names, blank node labels (``BLANK_NODE_LABEL`` exactly: ``_:b"x`` is the label ``_:b``
and then a string, as the grammar and Oxigraph read it), numbers, and punctuation. It never recurses, so it is safe on
hostile input of any nesting depth: it is what the guard runs *before* a real parser sees a query
(pyoxigraph 0.5.13 crashes with SIGSEGV on a query nested 5,000 deep).

>>> [t.text for t in tokenize('SELECT ?s WHERE { ?s <http://e/p> "a}b" } # }')]
['SELECT', '?s', 'WHERE', '{', '?s', '<http://e/p>', '"a}b"', '}']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kg.errors import UsageError

__all__ = ["Token", "max_depth", "tokenize"]

# Order matters: long strings before short ones, IRIREF before the '<' operator.
_PN_CHARS_BASE = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
_PN_CHARS = _PN_CHARS_BASE + r"_0-9\u00B7\u0300-\u036F\u203F-\u2040\-"
_VARNAME = rf"[{_PN_CHARS_BASE}_0-9][{_PN_CHARS_BASE}_0-9\u00B7\u0300-\u036F\u203F-\u2040]*"
# BLANK_NODE_LABEL ::= '_:' ( PN_CHARS_U | [0-9] ) ( ( PN_CHARS | '.' )* PN_CHARS )?
_BNODE = rf"_:[{_PN_CHARS_BASE}_0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PNAME = (
    rf"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
    rf"(?:(?:[{_PN_CHARS_BASE}_:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?)?"
)
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]"""
    + _VARNAME
    + r""")
  | (?P<bnode>"""
    + _BNODE
    + r""")
  | (?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
  | (?P<number>[+-]?(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?))
  | (?P<pname>"""
    + _PNAME
    + r""")
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[.;,*=<>!+\-/|^?a-zA-Z])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One terminal: its kind (string, iri, var, pname, word, number, open, close, punct, ...),
    its exact text, where it starts in the query text, and the bracket depth it sits at."""

    kind: str
    text: str
    start: int
    depth: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def tokenize(text: str, *, keep_comments: bool = False) -> Iterator[Token]:
    """Yield the tokens of ``text`` (whitespace dropped; comments only with ``keep_comments``).

    Raises :class:`~kg.errors.UsageError` on text that no SPARQL terminal matches, such as an
    unterminated string.

    >>> [(t.kind, t.depth) for t in tokenize("{ ( [ ] ) }")]
    [('open', 0), ('open', 1), ('open', 2), ('close', 2), ('close', 1), ('close', 0)]
    """
    pos, depth, end = 0, 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            snippet = text[pos : pos + 20].splitlines()[0] if text[pos:].strip() else ""
            if text[pos] in "\"'":
                raise UsageError(f"SPARQL: unterminated string at {_where(text, pos)}")
            raise UsageError(f"SPARQL: unexpected text {snippet!r} at {_where(text, pos)}")
        kind = m.lastgroup or "punct"
        if kind == "close":
            depth -= 1
        if kind != "ws" and (kind != "comment" or keep_comments):
            yield Token(kind, m.group(), pos, depth)
        if kind == "open":
            depth += 1
        pos = m.end()


def max_depth(text: str) -> int:
    """The deepest nesting of ``{ ( [`` in ``text``, outside strings, IRIs and comments.

    >>> max_depth('SELECT * { { ?s ?p "{{{{" } } # {{{{')
    2
    """
    deepest = 0
    for token in tokenize(text):
        if token.kind == "open":
            deepest = max(deepest, token.depth + 1)
    return deepest
