"""The co-author network of one person as a static SVG picture (no JavaScript).

The person sits in the centre; their most frequent co-authors sit on a circle around them, in
order of joint publications (then name). An edge's width grows with the number of joint
publications; co-authors who also wrote together are joined by a thin line. Every text is
XML-escaped, so a hostile name is just a label (https://www.w3.org/TR/SVG2/struct.html).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from xml.sax.saxutils import escape, quoteattr

from kg.export.model import Profile
from kg.limits import CONTROL_CHARS

__all__ = ["CoauthorNetwork", "coauthor_network", "coauthor_svg", "years_svg"]

#: Co-authors drawn at most (the rest are counted in the caption).
MAX_COAUTHORS = 16


@dataclass(frozen=True)
class CoauthorNetwork:
    """Who wrote with whom: the centre person, co-authors by joint papers, and co-author pairs."""

    centre: str
    coauthors: tuple[tuple[str, str, int], ...]  # (author key, name, joint publications)
    pairs: tuple[tuple[int, int, int], ...]  # (index, index, joint publications) among coauthors
    hidden: int = 0


def _esc(text: str) -> str:
    """XML-escaped text without the characters XML 1.0 forbids (NUL, ESC, ...:
    https://www.w3.org/TR/xml/#charsets), which would make the whole SVG unreadable."""
    return escape(CONTROL_CHARS.sub("", text))


def _attr(text: str) -> str:
    return quoteattr(CONTROL_CHARS.sub("", text))


def coauthor_network(profile: Profile, *, limit: int = MAX_COAUTHORS) -> CoauthorNetwork:
    """Count joint publications between the person and each co-author (and among co-authors)."""
    me = profile.person.iri
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for work in profile.works:
        seen = {a.key for a in work.authors if a.iri != me}
        for a in work.authors:
            if a.iri != me:
                names.setdefault(a.key, a.name)
        counts.update(seen)
    ranked = sorted(counts, key=lambda i: (-counts[i], names[i].casefold(), i))
    shown = ranked[:limit]
    index = {iri: n for n, iri in enumerate(shown)}
    pair_counts: Counter[tuple[int, int]] = Counter()
    for work in profile.works:
        present = sorted({index[a.key] for a in work.authors if a.key in index})
        pair_counts.update(combinations(present, 2))
    return CoauthorNetwork(
        centre=profile.person.name or "",
        coauthors=tuple((i, names[i], counts[i]) for i in shown),
        pairs=tuple((a, b, n) for (a, b), n in sorted(pair_counts.items())),
        hidden=max(0, len(ranked) - limit),
    )


def _label(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(name: str, limit: int = 16) -> list[str]:
    """A label in one line, or two split at the space nearest the middle (each cut to
    ``limit`` characters), so a phone-sized picture keeps names readable.

    >>> _lines("Ada Lovelace"), _lines("Augustus De Morgan"), _lines("Bartholomew-Alexander")
    (['Ada Lovelace'], ['Augustus', 'De Morgan'], ['Bartholomew-Ale…'])
    """
    if len(name) <= limit or " " not in name.strip():
        return [_label(name, limit)]
    spaces = [i for i, c in enumerate(name) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [_label(name[:cut], limit), _label(name[cut + 1 :], limit)]


def _text(x: float, y: float, anchor: str, lines: list[str], *, up: bool) -> str:
    """A <text> of one or two lines at (x, y); ``up``: the lines grow upwards (above a node).
    Lines are joined by a space in the text content, so the name reads whole."""
    if len(lines) == 1:
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_esc(lines[0])}</text>'
    y0 = y - 15 if up else (y - 7 if anchor != "middle" else y)
    return (
        f'<text x="{x:.1f}" y="{y0:.1f}" text-anchor="{anchor}">'
        f'<tspan x="{x:.1f}" y="{y0:.1f}">{_esc(lines[0])} </tspan>'
        f'<tspan x="{x:.1f}" y="{y0 + 15:.1f}">{_esc(lines[1])}</tspan></text>'
    )


def coauthor_svg(
    profile: Profile,
    *,
    width: int = 400,
    height: int = 360,
    link: dict[str, str] | None = None,
    limit: int = MAX_COAUTHORS,
) -> str:
    """The co-author picture as a standalone SVG document (``link``: iri -> URL of a page).

    Sized for phones: 400 user units wide with 13-unit labels, so on a 390 px wide screen (350
    px of content) a label is still >= 11 px (tested in Chromium); a long name is cut to 16
    characters in the picture and kept whole in its tooltip.

    >>> from kg.export.model import Author, Person, Profile, Work
    >>> me = Author("p:me", "Ada <Lovelace>", None, 1)
    >>> co = Author("p:co", "C & B", None, 2)
    >>> svg = coauthor_svg(Profile(Person("p:me", "Ada <Lovelace>"), (Work("w", "T", (me, co)),)))
    >>> "C &amp; B" in svg and "Ada &lt;Lovelace&gt;" in svg and "<script" not in svg
    True
    """
    net = coauthor_network(profile, limit=limit)
    link = link or {}
    cx, cy = width / 2, height / 2 + 4
    r = min(width * 0.25, height * 0.32)
    n = len(net.coauthors)
    top = max((c for _, _, c in net.coauthors), default=1)
    pos = [
        (cx + r * math.cos(2 * math.pi * k / max(n, 1) - math.pi / 2),
         cy + r * math.sin(2 * math.pi * k / max(n, 1) - math.pi / 2))
        for k in range(n)
    ]  # fmt: skip
    title = f"Co-authors of {net.centre}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-coauthors" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label={_attr(title)} overflow="visible">',
        f"<title>{_esc(title)}</title>",
        "<style>.kg-coauthors text{font:13px system-ui,sans-serif;fill:#1f2937}"
        ".kg-coauthors .me{font-weight:600;font-size:14px}.kg-coauthors .cap{fill:#6b7280}</style>",
    ]
    for a, b, joint in net.pairs:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#cbd5e1" '
            f'stroke-width="{0.6 + 0.4 * min(joint, 5):.1f}"/>'
        )
    for (x, y), (_, _, joint) in zip(pos, net.coauthors, strict=True):
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#60a5fa" '
            f'stroke-opacity="0.75" stroke-width="{1 + 4 * joint / top:.1f}"/>'
        )
    for (x, y), (iri, name, joint) in zip(pos, net.coauthors, strict=True):
        anchor = "middle" if abs(x - cx) < 8 else ("start" if x > cx else "end")
        dx = 0 if anchor == "middle" else (10 if anchor == "start" else -10)
        dy = -12 if (anchor == "middle" and y < cy) else (20 if anchor == "middle" else 4)
        plural = "s" if joint != 1 else ""
        node = (
            f"<g><title>{_esc(name)}: {joint} joint publication{plural}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 + 3 * joint / top:.1f}" fill="#2563eb"/>'
            + _text(x + dx, y + dy, anchor, _lines(name), up=anchor == "middle" and y < cy)
            + "</g>"
        )
        url = link.get(iri)
        parts.append(f"<a href={_attr(url)}>{node}</a>" if url else node)
    parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="#1e3a8a"/>')
    parts.append(
        f'<text class="me" x="{cx:.1f}" y="{cy + 28:.1f}" text-anchor="middle">{_esc(_label(net.centre, 30))}</text>'
    )
    caption = (
        f"{n} co-author{'s' if n != 1 else ''}"
        + (f" shown, {net.hidden} more not shown" if net.hidden else "")
        + " · line width: joint papers"
        if n
        else "No co-authors yet"
    )
    parts.append(f'<text class="cap" x="8" y="{height - 8}">{_esc(caption)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def years_svg(profile: Profile, *, width: int = 400, height: int = 170) -> str | None:
    """Publications per year as an SVG bar chart (no JavaScript), or None when no publication
    has a year. Every year from the first to the last gets a slot (a gap is a gap); each bar
    has a tooltip with its count; labels are 13 user units in a 400-unit picture, >= 11 px on a
    390 px wide screen.

    >>> from kg.export.model import Person, Work
    >>> p = Profile(Person("p", "A"), (Work("a", "T", (), date="2021"), Work("b", "U", (), date="2023-05")))
    >>> svg = years_svg(p)
    >>> "2021: 1 publication" in svg and "2022: 0 publications" in svg and "<script" not in svg
    True
    >>> years_svg(Profile(Person("p", "A"), (Work("a", "T", ()),))) is None
    True
    """
    counts = Counter(int(w.year) for w in profile.works if w.year and w.year.isdigit())
    if not counts:
        return None
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    top = max(counts.values())
    left, right, bottom, above = 28, 8, 22, 16
    plot_w, plot_h = width - left - right, height - bottom - above
    slot = plot_w / len(years)
    bar = max(2.0, slot * 0.7)
    every = max(1, math.ceil(len(years) / max(1, plot_w // 34)))  # at most one label per 34 units
    title = f"Publications per year of {profile.person.name or ''}".strip()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-years" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label={_attr(title)}>',
        f"<title>{_esc(title)}</title>",
        "<style>.kg-years text{font:13px system-ui,sans-serif;fill:#6b7280}</style>",
        f'<line x1="{left}" y1="{above + plot_h}" x2="{width - right}" y2="{above + plot_h}" stroke="#9ca3af"/>',
        f'<text x="{left - 4}" y="{above + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{above + plot_h}" text-anchor="end">0</text>',
    ]
    for k, year in enumerate(years):
        n = counts.get(year, 0)
        h = plot_h * n / top
        x = left + k * slot + (slot - bar) / 2
        plural = "s" if n != 1 else ""
        parts.append(
            f"<g><title>{year}: {n} publication{plural}</title>"
            f'<rect x="{x:.1f}" y="{above + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#2563eb"/></g>'
        )
        if k % every == 0 or year == last:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle">{year}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
