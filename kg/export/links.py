"""Which URLs from the data may become links on a page: one rule for HTML, JSON-LD and snippets.

A URL stored in the graph ends up in ``href``, ``sameAs``, ``url``, ``image`` and
``citation_pdf_url``. Only ``http``, ``https`` and ``mailto`` are allowed there (``image`` and
``citation_pdf_url``: ``http``/``https`` only — a picture or a PDF is fetched, never mailed);
``javascript:``, ``data:``, ``vbscript:``, ``file:`` and every other scheme are dropped (stored
XSS: a ``javascript:`` URL in ``href`` runs on click,
https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html,
and the URL standard strips leading C0 controls and spaces and removes tabs and newlines before
reading the scheme, https://url.spec.whatwg.org/#concept-basic-url-parser, so `` java\\tscript:``
is ``javascript:``). DOIs and ORCID iDs are written as their https resolver URLs
(https://www.doi.org/the-identifier/resources/handbook/2_numbering, https://info.orcid.org/
brand-guidelines/), which pass the rule as such.

Every drop is recorded as a :class:`DroppedLink` naming the record (its kg IRI), the field and
the value, so an export can report it; nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["IMAGE_SCHEMES", "LINK_SCHEMES", "DroppedLink", "LinkSink", "safe_link", "scheme_of"]

#: schemes a link from data may have in ``href``, ``sameAs`` and ``url``
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
#: schemes of what a browser or Scholar fetches: ``image``, ``citation_pdf_url``
IMAGE_SCHEMES = frozenset({"http", "https"})

# what the URL parser strips or removes before it reads a scheme (WHATWG URL, basic parser)
_STRIPPED = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_REMOVED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


@dataclass(frozen=True)
class DroppedLink:
    """A URL from the data that was not written, and where it came from."""

    record: str  #: the kg IRI of the person, publication or organization
    field: str  #: the property it was read from, e.g. ``schema:sameAs``
    value: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return (
            f"dropped link {shown!r} of {self.record} ({self.field}): "
            f"expected an http, https or mailto URL"
        )


LinkSink = Callable[[DroppedLink], None]
"""Where an export sends the links it drops (a list's ``append`` will do)."""


def scheme_of(url: str) -> str | None:
    """The scheme a browser reads from ``url`` (lower case), None for a relative reference.

    >>> scheme_of("HTTPS://x"), scheme_of(" java\\tscript:alert(1)"), scheme_of("/people/")
    ('https', 'javascript', None)
    """
    m = _SCHEME.match(_REMOVED.sub("", _STRIPPED.sub("", url)))
    return m.group(1).lower() if m else None


def safe_link(
    url: str | None,
    *,
    record: str = "",
    field: str = "",
    schemes: frozenset[str] = LINK_SCHEMES,
    sink: LinkSink | None = None,
) -> str | None:
    """``url`` when a browser would read one of ``schemes`` from it and it has no characters a
    parser strips or removes (so what is written is what is followed), else None — reported to
    ``sink`` with the record and field.

    >>> safe_link("https://orcid.org/0000-0002-1825-0097")
    'https://orcid.org/0000-0002-1825-0097'
    >>> dropped = []
    >>> safe_link(" JavaScript:alert(1)", record="urn:x", field="schema:url", sink=dropped.append)
    >>> print(dropped[0])
    dropped link ' JavaScript:alert(1)' of urn:x (schema:url): expected an http, https or mailto URL
    >>> safe_link("mailto:ada@example.org"), safe_link("mailto:a@b", schemes=IMAGE_SCHEMES)
    ('mailto:ada@example.org', None)
    >>> safe_link("data:text/html,x"), safe_link("/relative"), safe_link(None)
    (None, None, None)
    """
    if url is None:
        return None
    if scheme_of(url) in schemes and not _STRIPPED.search(url) and not _REMOVED.search(url):
        return url
    if sink is not None:
        sink(DroppedLink(record, field, url))
    return None
