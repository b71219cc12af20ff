"""JSON that is safe inside an HTML ``<script>`` element, and back.

The HTML parser ends a script element at the first ``</script`` (any case, any trailing space or
``>``) and treats ``<!--`` followed by ``<script`` specially ("script data double escaped state",
https://html.spec.whatwg.org/multipage/parsing.html#script-data-state). JSON text cannot be
HTML-escaped (``&lt;`` is not decoded inside a script element), so kg escapes the five characters
that matter *as JSON string escapes*, which every JSON parser decodes back to the same data
(RFC 8259 §7): ``<`` ``>`` ``&`` become ``\\u003c`` ``\\u003e`` ``\\u0026``, and U+2028/U+2029 become
``\\u2028``/``\\u2029`` (legal in JSON, but line terminators in pre-ES2019 JavaScript). The same
rule as Django's ``json_script`` and Rails' ``json_escape``. Outside strings these characters
cannot occur in JSON, so escaping the serialized text is exact.

Both rdflib's and pyoxigraph's JSON-LD output contain raw ``</script>``: escaping is done here, at
the final render, never earlier.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "json_for_script",
    "script_safe",
    "script_unescape_ok",
    "snippet",
    "template_inert",
]

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_REPLACEMENTS = tuple((chr(c), escaped) for c, escaped in _SCRIPT_ESCAPES.items())


def script_safe(text: str) -> str:
    """Serialized JSON ``text`` with the five characters escaped (exact: outside strings they
    cannot occur in JSON). Checks for each character before replacing: most page text has none.

    >>> script_safe('{"t": "</script>"}')
    '{"t": "\\\\u003c/script\\\\u003e"}'
    """
    for char, escaped in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, escaped)
    return text


_TEMPLATE_OPENERS = re.compile(r"\{(?=[{%#])")


def template_inert(text: str) -> str:
    """Serialized JSON ``text`` with every ``{`` that starts ``{{``, ``{%`` or ``{#`` written as
    ``\\u007b``, so a host site's template engine that reads the file (Go templates in a Hugo
    partial, Liquid in a Jekyll ``{% include %}``, Jinja2, Twig) finds no action or tag in it.
    Exact: in JSON text a structural ``{`` is followed by ``"``, ``}`` or whitespace, never by
    ``{``, ``%`` or ``#``, so only characters inside strings change, to their JSON escape.

    >>> template_inert('{"t": "{{ .Site.Params.secret }} {%- raw %}"}')
    '{"t": "\\\\u007b{ .Site.Params.secret }} \\\\u007b%- raw %}"}'
    >>> json.loads(template_inert('{"a": "{{{#"}')) == {"a": "{{{#"}
    True
    """
    return _TEMPLATE_OPENERS.sub(r"\\u007b", text)


def snippet(json_text: str) -> str:
    """A ``<script type="application/ld+json">`` element holding the serialized JSON-LD document
    ``json_text``: script-safe (:func:`script_safe`) and inert in host templates
    (:func:`template_inert`), ready to include verbatim in a page's ``<head>``.

    >>> print(snippet('{"name": "</script>{{x}}"}'), end="")
    <script type="application/ld+json">
    {"name": "\\u003c/script\\u003e\\u007b{x}}"}
    </script>
    """
    return f'<script type="application/ld+json">\n{template_inert(script_safe(json_text))}\n</script>\n'


def json_for_script(data: Any, *, indent: int | None = None) -> str:
    """Serialize ``data`` as JSON text that cannot end or confuse an enclosing ``<script>``.

    Non-ASCII characters stay as UTF-8 (pages are served as UTF-8); only the five dangerous
    characters are escaped. Compact by default (``indent`` switches to Python's much slower
    pure-Python encoder).

    >>> json_for_script({"name": "</script><!-- & \\u2028"}, indent=None)
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003c!-- \\\\u0026 \\\\u2028"}'
    >>> json.loads(json_for_script({"name": "</SCRIPT >"})) == {"name": "</SCRIPT >"}
    True
    """
    return script_safe(json.dumps(data, ensure_ascii=False, indent=indent, sort_keys=False))


def script_unescape_ok(text: str) -> bool:
    """True when ``text`` contains none of the characters :func:`json_for_script` removes.

    A cheap guard used by tests and the page checks: embedded JSON must never contain them raw.

    >>> script_unescape_ok(json_for_script(["<b>"]))
    True
    >>> script_unescape_ok('["<b>"]')
    False
    """
    return not any(char in text for char, _ in _REPLACEMENTS)
