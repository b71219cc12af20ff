"""The ``page:`` source: real profile and publication-list pages read from evidence.

One module per step (docs/sources.md, "Pages"): :mod:`.blocks` (HTML through the DOM, copied
text as lines), :mod:`.lists` (the list found by repetition), :mod:`.fields` (an entry's lines
read into fields), :mod:`.names` (the author-list grammar), :mod:`.citations` (reference
strings), :mod:`.structured` (JSON-LD, microdata, RDFa, ``citation_*``, BibTeX), :mod:`.owner`
(whose page it is) and :mod:`.source` (records, and the ``page:`` scheme).
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import UsageError
from kg.records.pages.blocks import Line, html_page, text_lines
from kg.records.pages.citations import Citation, parse_citation
from kg.records.pages.fields import Entry, read_entry
from kg.records.pages.names import Author, is_name, parse_authors
from kg.records.pages.source import PageReading, PageSource, read_page
from kg.records.sources import SourceOptions, register_scheme

__all__ = [
    "Author",
    "Citation",
    "Entry",
    "Line",
    "PageReading",
    "PageSource",
    "explain",
    "html_page",
    "is_name",
    "open_page",
    "parse_authors",
    "parse_citation",
    "read_entry",
    "read_page",
    "text_lines",
]


def open_page(value: str, options: SourceOptions) -> PageSource:
    """The ``page:`` scheme opener: ``page:PATH`` (a saved HTML page or its copied text) or
    ``page:URL`` (fetched through :mod:`kg.http`: robots.txt, User-Agent, limits, cache).

    >>> open_page("ftp://example.org/p", SourceOptions())
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: page:ftp://example.org/p: only http(s) URLs or files can be read
    >>> open_page("https://example.org/people/ada", SourceOptions()).label
    'https://example.org/people/ada'
    """
    if re.match(r"^https?://", value):
        from kg.http import HttpClient

        client = HttpClient("page", mailto=options.mailto, cache_dir=options.cache_dir)
        return PageSource(None, url=value, client=client, person=options.person, org=options.org)
    if re.match(r"^[a-z][a-z0-9+.-]*://", value) and not value.startswith("file://"):
        raise UsageError(f"page:{value}: only http(s) URLs or files can be read")
    if value.startswith("file://"):
        from urllib.parse import unquote, urlparse

        value = unquote(urlparse(value).path)
    return PageSource(Path(value), person=options.person, org=options.org, name=options.source_name)


def explain(value: str, options: SourceOptions | None = None) -> str:
    """How a page reads: its lines with the kind given to each, the lists and entries found,
    and the owner's evidence (``kg extract --explain page:FILE``).

    >>> print(explain("tests/data/pages/pascanu_lab.html").splitlines()[0])
    page read as HTML: ... lines, ... boilerplate blocks dropped
    """
    value = value.removeprefix("page:")
    return open_page(value, options or SourceOptions()).reading().explain()


register_scheme("page", open_page)
