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

__all__ = ["CoauthorNetwork", "coauthor_network", "coauthor_svg"]

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


def _label(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def coauthor_svg(
    profile: Profile,
    *,
    width: int = 640,
    height: int = 420,
    link: dict[str, str] | None = None,
    limit: int = MAX_COAUTHORS,
) -> str:
    """The co-author picture as a standalone SVG document (``link``: iri -> URL of a page).

    >>> from kg.export.model import Author, Person, Profile, Work
    >>> me = Author("p:me", "Ada <Lovelace>", None, 1)
    >>> co = Author("p:co", "C & B", None, 2)
    >>> svg = coauthor_svg(Profile(Person("p:me", "Ada <Lovelace>"), (Work("w", "T", (me, co)),)))
    >>> "C &amp; B" in svg and "Ada &lt;Lovelace&gt;" in svg and "<script" not in svg
    True
    """
    net = coauthor_network(profile, limit=limit)
    link = link or {}
    cx, cy = width / 2, height / 2 + 6
    r = min(width * 0.34, height * 0.36)
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
        f'width="{width}" height="{height}" role="img" aria-label={_attr(title)}>',
        f"<title>{_esc(title)}</title>",
        "<style>.kg-coauthors text{font:12px system-ui,sans-serif;fill:#1f2937}"
        ".kg-coauthors .me{font-weight:600;font-size:13px}.kg-coauthors .cap{fill:#6b7280}</style>",
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
            f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}">{_esc(_label(name))}</text></g>'
        )
        url = link.get(iri)
        parts.append(f"<a href={_attr(url)}>{node}</a>" if url else node)
    parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="#1e3a8a"/>')
    parts.append(
        f'<text class="me" x="{cx:.1f}" y="{cy + 28:.1f}" text-anchor="middle">{_esc(_label(net.centre, 40))}</text>'
    )
    caption = (
        f"{n} co-author{'s' if n != 1 else ''}"
        + (f" shown, {net.hidden} more not shown" if net.hidden else "")
        + " · line width: joint publications"
        if n
        else "No co-authors yet"
    )
    parts.append(f'<text class="cap" x="8" y="{height - 8}">{_esc(caption)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
