"""Pages as lines: HTML through the DOM (what is visible and what is not), text as it was copied.

HTML is walked once. Every block element, ``<br>`` and table cell ends a line; each
:class:`Line` keeps its heading level, the hint its markup gives (a class token such as
``title``/``author``/``periodical``, ``itemprop``, the ``<papertitle>`` tag of the widely
copied Jon Barron template), the emphasised spans inside it, the DOI/arXiv links of its anchors
and the line range of every element around it (:attr:`HtmlPage.spans`), which is what the list
finder compares.

Visibility follows CSS as a browser applies it without scripts: ``hidden``, ``aria-hidden``,
``display:none``/``visibility:hidden`` inline styles, and the framework classes that hide
(Bootstrap ``collapse`` without ``show``, ``d-none``, ``sr-only``/``visually-hidden``). Hidden
text is not visible text, but it is still a structured source: hidden ``<pre>`` BibTeX and the
names an "N more authors" control keeps in its attributes are collected
(:attr:`HtmlPage.hidden`, :attr:`Line.more`). Scripts, styles, forms, menus (``<nav>``,
``role=navigation``), dialogs and cookie banners are dropped and counted.

Copied page text (``document.body.innerText``) is already lines; blank lines are kept as
:attr:`Line.gap` (the rhythm of the page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.errors import DataError

__all__ = ["HtmlPage", "Line", "decode_html", "html_page", "text_lines"]


@dataclass(frozen=True)
class Line:
    """One line of a page and what its markup says about it."""

    text: str
    heading: int = 0  #: 1-6 inside ``<h1>``-``<h6>``, 0 otherwise
    hint: str = ""  #: title | authors | venue | date | abstract, from the markup
    links: tuple[str, ...] = ()  #: DOI / arXiv links of the line's anchors
    em: tuple[str, ...] = ()  #: emphasised (``<i>``, ``<em>``, ``<b>``) spans of the line
    title_tag: bool = False  #: the line is a title element (``<papertitle>``, itemprop=name…)
    strong: bool = False  #: the whole line is bold
    gap: bool = False  #: text pages: a blank line precedes this one
    more: tuple[str, ...] = ()  #: names an "N more authors" control keeps in an attribute
    node: str = ""  #: the element the line sits in, as a short CSS-like label (for --explain)


@dataclass
class HtmlPage:
    """An HTML page as lines, the line range of each element, and its head metadata."""

    lines: list[Line] = field(default_factory=list)
    spans: list[tuple[Any, int, int, int]] = field(default_factory=list)  #: (el, start, end, depth)
    hidden: list[tuple[int, str]] = field(default_factory=list)  #: (line index, hidden text)
    meta: dict[str, list[str]] = field(default_factory=dict)  #: <title>, og:*, meta author…
    dropped: int = 0
    root: Any = None


_DROP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe", "form", "button",
              "select", "canvas", "head", "title", "meta", "link", "input", "label", "dialog",
              "object", "map", "nav", "textarea", "option", "footer"}  # fmt: skip
_QUIET_DROP = {"head", "script", "style", "meta", "link", "title", "template", "noscript", "svg"}
_BOILER_TOKEN = re.compile(
    r"^(?:cookie\S*|consent\S*|gdpr\S*|\S*cookie-?banner\S*|navbar\S*|nav|menu|main-menu|"
    r"site-?nav\S*|breadcrumbs?|skip-?link\S*|share\S*|social\S*|newsletter\S*|"
    r"highcharts\S*|modal|popup|toolbar|page__footer|site-?footer|footer|masthead\S*|"
    r"search-results|search-header|js-search\S*|back-to-top|pagination|pager)$",
    re.I,
)
_BOILER_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "menu", "menubar",
                 "search", "toolbar"}  # fmt: skip
_HIDING_CLASSES = {"collapse", "d-none", "hidden", "hide", "sr-only", "visually-hidden",
                   "screen-reader-text", "is-hidden", "invisible"}  # fmt: skip
_BLOCK_TAGS = {"p", "div", "section", "article", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2",
               "h3", "h4", "h5", "h6", "table", "tr", "td", "th", "tbody", "thead", "blockquote",
               "header", "main", "aside", "figure", "figcaption", "address", "pre", "body", "html",
               "details", "summary", "hr", "br", "font", "center", "papertitle", "heading",
               "name", "caption", "footer", "hgroup", "menu", "fieldset", "legend"}  # fmt: skip
_EMPHASIS = {"i", "em", "b", "strong", "cite"}
_TITLE_TAGS = {"papertitle"}
_HINT_TOKENS = [
    ("title", re.compile(r"^(?:\S*[-_])?(?:title|headline|papertitle|pub-?title|paper-?title)"
                         r"(?:[-_]\S*)?$|^(?:section-subheading)$", re.I)),
    ("authors", re.compile(r"^(?:\S*[-_])?(?:authors?|creators?|contributors?|byline)(?:[-_]\S*)?$",
                           re.I)),
    ("venue", re.compile(r"^(?:\S*[-_])?(?:venue|periodical|journal|booktitle|pub-publication|"
                         r"publication-venue|conference|container-title|source)(?:[-_]\S*)?$",
                         re.I)),
    ("abstract", re.compile(r"^(?:\S*[-_])?(?:abstract|summary|article-style)(?:[-_]\S*)?$",
                            re.I)),
    ("date", re.compile(r"^(?:\S*[-_])?(?:year|date|pubdate|article-date)(?:[-_]\S*)?$", re.I)),
]  # fmt: skip
_ITEMPROP_HINT = {"name": "title", "headline": "title", "author": "authors",
                  "description": "abstract", "abstract": "abstract", "datepublished": "date",
                  "ispartof": "venue"}  # fmt: skip
_ID_LINK = re.compile(r"doi\.org/10\.|arxiv\.org/(?:abs|pdf)/", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
_MORE_TEXT = re.compile(r"^\s*(?:and\s+)?(\d+)\s+more\s+authors?\s*$", re.I)


def decode_html(data: bytes) -> str:
    """Decode HTML bytes: BOM, then ``<meta charset>``, then UTF-8 (replacing bad bytes).

    The HTML standard's encoding sniffing, reduced to what saved pages need
    (https://html.spec.whatwg.org/multipage/parsing.html#determining-the-character-encoding).

    >>> decode_html('<meta charset="latin-1"><p>Jo\u00e3o'.encode("latin-1"))[-4:]
    'João'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    m = _CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    return data.decode("utf-8", "replace")


def text_lines(text: str) -> list[Line]:
    """Lines of a copied-text page; a blank line before a line sets its ``gap``.

    >>> [(l.text, l.gap) for l in text_lines("Ada Lovelace\\n\\n  Publications \\nNotes")]
    [('Ada Lovelace', False), ('Publications', True), ('Notes', False)]
    """
    out: list[Line] = []
    gap = False
    for raw in text.splitlines():
        s = " ".join(raw.split())
        if not s:
            gap = True
            continue
        out.append(Line(s, gap=gap and bool(out)))
        gap = False
    return out


def _classes(el: Any) -> list[str]:
    return str(el.get("class") or "").split()


def _hidden(el: Any, tag: str) -> bool:
    if el.get("hidden") is not None or str(el.get("aria-hidden") or "").lower() == "true":
        return True
    style = re.sub(r"\s+", "", str(el.get("style") or "")).lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    classes = {c.lower() for c in _classes(el)}
    if "collapse" in classes and ("show" in classes or "in" in classes):
        return False
    return bool(classes & _HIDING_CLASSES)


def _boiler(el: Any, tag: str) -> bool:
    if tag in _DROP_TAGS:
        return True
    if str(el.get("role") or "").lower() in _BOILER_ROLES:
        return True
    if tag in ("body", "html", "main"):
        return False
    tokens = [*_classes(el), str(el.get("id") or "")]
    return any(_BOILER_TOKEN.match(t) for t in tokens if t)


def _hint(el: Any, tag: str, in_author: bool) -> str:
    if tag in _TITLE_TAGS:
        return "title"
    props = str(el.get("itemprop") or "").lower().split()
    if props:
        if "author" in props:
            return "authors"
        if not in_author:
            for prop in props:
                if prop in _ITEMPROP_HINT:
                    return _ITEMPROP_HINT[prop]
    for token in _classes(el):
        for hint, pattern in _HINT_TOKENS:
            if pattern.match(token):
                return hint
    return ""


def _label(el: Any, tag: str) -> str:
    cls = ".".join(_classes(el)[:2])
    return tag + (f".{cls}" if cls else "")


def _more_names(el: Any) -> tuple[str, ...]:
    """Names an "N more authors" control keeps in its attributes (al-folio's onclick)."""
    from kg.records.pages.names import parse_authors

    found: list[str] = []
    for value in el.attrib.values():
        for text in re.split(r"['\"]", str(value)):  # every stretch between quotes
            if len(text) < 3 or _MORE_TEXT.match(text):
                continue
            authors = parse_authors(text)
            if authors and len(authors) > len(found):
                found = [a.printed for a in authors]
    return tuple(found)


def _head_meta(root: Any) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for el in root.iter("title"):
        if el.text and el.text.strip():
            meta.setdefault("title", []).append(" ".join(el.text.split()))
    for el in root.iter("meta"):
        key = str(el.get("property") or el.get("name") or "").lower()
        content = " ".join(str(el.get("content") or "").split())
        if key in ("og:title", "og:site_name", "author", "citation_author", "dc.creator",
                   "profile:first_name", "profile:last_name", "twitter:title",
                   "og:description", "description") and content:  # fmt: skip
            meta.setdefault(key, []).append(content)
    return meta


def html_page(data: str | bytes) -> HtmlPage:
    """Parse an HTML page into lines with the line range of every element.

    >>> page = html_page(b"<nav>Home</nav><h1>Ada Lovelace</h1><ul><li><b class='title'>Notes"
    ...     b"</b><br>Ada Lovelace<pre class='collapse'>@misc{x}</pre></li></ul>")
    >>> [(l.text, l.heading, l.hint) for l in page.lines], page.dropped, page.hidden
    ([('Ada Lovelace', 1, ''), ('Notes', 0, 'title'), ('Ada Lovelace', 0, '')], 1, [(2, '@misc{x}')])
    """
    import lxml.etree  # type: ignore[import-untyped]
    import lxml.html  # type: ignore[import-untyped]

    if isinstance(data, bytes):
        data = decode_html(data)
    data = re.sub(r"^\s*<\?xml[^>]*>", "", data)  # lxml refuses str input with an XML declaration
    try:
        root = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse HTML: {exc}") from None
    page = HtmlPage(meta=_head_meta(root), root=root)
    buf: list[str] = []
    links: list[str] = []
    ems: list[str] = []
    more: list[str] = []
    ctx: dict[str, Any] = {"heading": 0, "hint": "", "title_tag": False, "strong": 0, "node": ""}
    strong_chars = [0]

    def flush() -> None:
        raw = "".join(buf)
        text = " ".join(raw.split())
        buf.clear()
        if any(ch.isalnum() for ch in text):
            whole_strong = strong_chars[0] >= len(text.replace(" ", "")) * 0.9
            page.lines.append(
                Line(text, int(ctx["heading"]), str(ctx["hint"]), tuple(links), tuple(ems),
                     bool(ctx["title_tag"]), whole_strong, False, tuple(more), str(ctx["node"]))
            )  # fmt: skip
        links.clear()
        ems.clear()
        more.clear()
        strong_chars[0] = 0

    def visit(el: Any, depth: int, in_author: bool) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag:  # comment or processing instruction
            if el.tail:
                buf.append(el.tail)
            return
        if _boiler(el, tag):
            if tag not in _QUIET_DROP:
                page.dropped += 1
            if el.tail:
                buf.append(el.tail)
            return
        if _hidden(el, tag):
            text = " ".join(el.itertext()).strip()
            if text:
                page.hidden.append((len(page.lines), el.text_content()))
            if el.tail:
                buf.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        saved = dict(ctx)
        if block:
            flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                ctx["heading"] = int(tag[1])
            elif tag == "name":
                ctx["heading"] = 1
            ctx["node"] = _label(el, tag)
        hint = _hint(el, tag, in_author)
        inline_field = (
            hint in ("title", "venue", "date", "abstract") and not block and not ctx["hint"]
        )
        if inline_field:
            flush()
        if hint:
            ctx["hint"] = hint
            if hint == "title" and (tag in _TITLE_TAGS or el.get("itemprop")):
                ctx["title_tag"] = True
        start = len(page.lines)
        href = str(el.get("href") or "") if tag == "a" else ""
        if _ID_LINK.search(href):
            links.append(href)
        if tag == "br":
            flush()
        own = el.text or ""
        expand = bool(_MORE_TEXT.match(el.text_content() or "")) and bool(names := _more_names(el))
        if expand:
            more.extend(names)
            own = ", ".join(names)
        if tag in _EMPHASIS:
            text = " ".join(el.text_content().split())
            if text:
                ems.append(text)
            if tag in ("b", "strong"):
                strong_chars[0] += len(text.replace(" ", ""))
        if own:
            buf.append(own)
        if not expand:
            for child in el:
                visit(child, depth + 1, in_author or hint == "authors")
        if block or inline_field:
            flush()
        ctx.update(saved)
        end = len(page.lines)
        if end > start or block:
            page.spans.append((el, start, end, depth))
        if el.tail and not (inline_field and not el.tail.strip().strip(".,;:|·•–—-")):
            buf.append(el.tail)  # (punctuation between two fields is not a line of its own)

    body = root.find("body")
    visit(body if body is not None else root, 0, False)
    flush()
    return page
