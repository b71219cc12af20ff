"""Find the publication list of a page by repetition, not by a heading.

Web data-record extraction (MDR, Liu et al. KDD 2003; DEPTA, Zhai & Liu WWW 2005) finds the
records of a page as runs of sibling subtrees of one shape. This module does the same with the
evidence a publication list carries:

* **HTML** (:func:`html_lists`): every element is grouped with the elements of the same shape
  under parents of the same shape (``ol.bibliography > li``, ``div.card-simple``,
  ``tbody > tr``), and runs of sibling headings are cut into segments (an ``<h3>`` title followed
  by its details). A group is a publication list when at least two of its members read as
  publications (:meth:`Entry.evidence`: a title with an author list, a reference string, or a
  venue and year) and at least half of them do. Overlapping groups are settled by the number of
  publications they explain. Headings between the members (years, "Journal", topics) are
  context, never terminators; a page may hold several lists.
* **Copied text** (:func:`text_lists`): lines get kinds (:func:`fields.line_kind`); the anchors
  of the entries are author lists, blocks of one-name lines, reference strings, or a labelled
  line that recurs once per entry ("Published in", "Recommended citation:"). The anchor kind that
  recurs most cuts the list into entries; the page's rhythm (is the title before or after the
  authors?) is measured on the page itself.

Each member that does not carry enough evidence is kept in :attr:`Lists.rejected` with its
reason: reported, not emitted.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from kg.records.pages.blocks import HtmlPage, Line
from kg.records.pages.fields import Entry, fill_from_bibtex, line_kind, read_entry
from kg.records.pages.structured import bibtex_entries

__all__ = ["PUB_HEADING", "Item", "Lists", "html_lists", "text_lists"]

_MAX_ITEM_LINES = 60
PUB_HEADING = re.compile(
    r"^(?:(?:selected|recent|featured|latest|key|all|full list of|list of|peer[- ]reviewed)\s+)?"
    r"(?:publications?|papers|articles|bibliography|works|research papers|preprints|"
    r"publications? (?:récentes|choisies|sélectionnées)|publikationen|veröffentlichungen|"
    r"ausgewählte publikationen|publicaciones|pubblicazioni|articles publiés|prépublications)"
    r"(?:\s*\(\d+\))?\s*:?$",
    re.I,
)


@dataclass
class Item:
    """One member of a recognized list: its line range, the run it belongs to, its reading."""

    start: int
    end: int
    run: str
    entry: Entry
    reason: str = ""  #: why a rejected member was not taken


@dataclass
class Lists:
    """What the list finder recognized on a page."""

    items: list[Item] = field(default_factory=list)
    rejected: list[Item] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)  #: "label: n of m members read" per run
    kinds: list[str] = field(default_factory=list)  #: the kind of every line (text pages)


def _sig(el: Any) -> str:
    if el is None or not isinstance(el.tag, str):
        return ""
    classes = [
        c for c in str(el.get("class") or "").split() if not re.search(r"\d", c) and c not in
        ("active", "show", "odd", "even", "first", "last", "in", "open")
    ]  # fmt: skip
    size = f"[size={el.get('size')}]" if el.get("size") else ""
    return el.tag.lower() + "".join("." + c for c in sorted(classes)) + size


def _why_not(entry: Entry) -> str:
    if not entry.title and not entry.authors:
        return "no title and no author list"
    if not entry.title:
        return "no title"
    if not entry.authors and not (entry.year and entry.venue):
        return "a title without authors, venue or year"
    return "a lone name and nothing else"


def html_lists(page: HtmlPage, *, owner_keys: frozenset[str] = frozenset()) -> Lists:
    """The publication lists of an HTML page (see the module text)."""
    lines = page.lines
    kinds = [line_kind(line, owner_keys=owner_keys) for line in lines]
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    lead: dict[tuple[int, int], bool] = {}  # a title-like line just before the block, outside it
    by_parent: dict[int, list[tuple[Any, int, int]]] = defaultdict(list)
    parents: dict[int, Any] = {}
    span_of = {id(el): (s, e) for el, s, e, _d in page.spans if e > s}
    for el, start, end, depth in page.spans:
        if end <= start:
            continue
        parent = el.getparent()
        if parent is not None:
            by_parent[id(parent)].append((el, start, end))
            parents[id(parent)] = parent
        if end - start > _MAX_ITEM_LINES:
            continue
        groups[f"{_sig(parent)} > {_sig(el)}@{depth}"].append((start, end))
        prev = el.getprevious()
        while prev is not None and (not isinstance(prev.tag, str) or id(prev) not in span_of):
            prev = prev.getprevious()
        floor = (
            span_of[id(prev)][1] if prev is not None else span_of.get(id(parent), (start, start))[0]
        )
        lead[(start, end)] = any(
            kinds[i] not in ("links", "year", "authors", "name") and len(lines[i].text.split()) >= 4
            for i in range(max(floor, start - 3), start)
        )
    # runs of sibling headings: each heading and what follows it up to the next one
    for pid, children in by_parent.items():
        children.sort(key=lambda c: c[1])
        heads: dict[str, list[int]] = defaultdict(list)
        for i, (el, _s, _e) in enumerate(children):
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if tag in ("h2", "h3", "h4", "h5", "h6", "dt"):
                heads[_sig(el)].append(i)
        for sig, idx in heads.items():
            if len(idx) < 2:
                continue
            parent_end = max(e for _el, _s, e in children)
            for n, i in enumerate(idx):
                start = children[i][1]
                end = children[idx[n + 1]][1] if n + 1 < len(idx) else parent_end
                if 0 < end - start <= _MAX_ITEM_LINES:
                    groups[f"{_sig(parents[pid])} > {sig} + following"].append((start, end))
    bibs = [(i, found) for i, text in page.hidden if (found := bibtex_entries(text))]
    scored: list[tuple[int, bool, int, float, int, str, list[Item]]] = []
    candidates: list[tuple[str, list[Item]]] = []
    for label, members in groups.items():
        members = sorted(set(members))
        if len(members) < 2:
            continue
        items = []
        for s, e in members:
            entry = read_entry(lines[s:e], owner_keys=owner_keys, kinds=kinds[s:e])
            for i, found in bibs:  # BibTeX the page hides inside this member
                if s <= i <= e:
                    fill_from_bibtex(entry, found)
            items.append(Item(s, e, label, entry))
        candidates.append((label, items))
    # an item that holds two or more publications of another group is a container, not one
    spans = sorted(
        {(it.start, it.end) for _, items in candidates for it in items if it.entry.evidence}
    )
    for label, items in candidates:
        for it in items:
            inner = sum(
                1
                for s, e in spans
                if it.start <= s and e <= it.end and (s, e) != (it.start, it.end)
            )
            if inner >= 2:
                it.reason = "holds several publications"
        pubs = sum(1 for it in items if it.entry.evidence and not it.reason)
        authored = sum(
            1 for it in items if it.entry.evidence and not it.reason and it.entry.authors
        )
        # a publication list carries author lists: sections that only have titles and dates
        # (news, media, talks) repeat too
        if pubs >= 2 and pubs * 2 >= len(items) and authored * 2 >= pubs:
            size = sum(it.end - it.start for it in items)
            shown = sum(1 for it in items if it.entry.title and not it.entry.hidden_title)
            headless = sum(1 for it in items if lead.get((it.start, it.end))) * 2 > len(items)
            scored.append((pubs, headless, shown, pubs / len(items), size, label, items))
    # the list that explains most publications; then one whose blocks do not leave their
    # titles outside; then the one whose titles are visible; the purest; the tighter blocks
    scored.sort(key=lambda g: (-g[0], g[1], -g[2], -g[3], g[4]))
    taken: list[tuple[int, int]] = []
    result = Lists(kinds=kinds)

    def overlaps(s: int, e: int) -> bool:
        return any(s < te and ts < e for ts, te in taken)

    for pubs, _headless, _shown, _ratio, _size, label, items in scored:
        clash = sum(
            1 for it in items if it.entry.evidence and not it.reason and overlaps(it.start, it.end)
        )
        if clash * 5 > pubs:
            continue
        kept = 0
        for it in items:
            if overlaps(it.start, it.end):
                continue
            if it.entry.weak_evidence and not it.reason:
                _member(it.entry, label)
                result.items.append(it)
                kept += 1
            else:
                it.reason = it.reason or _why_not(it.entry)
                result.rejected.append(it)
            taken.append((it.start, it.end))
        result.runs.append(f"{label}: {kept} of {len(items)} members read as publications")
    result.items.sort(key=lambda it: it.start)
    result.rejected.sort(key=lambda it: it.start)
    return result


def _anchor_blocks(kinds: list[str], lines: list[Line]) -> dict[str, list[tuple[int, int]]]:
    """Candidate entry anchors by kind: (first line, end) of each occurrence."""
    anchors: dict[str, list[tuple[int, int]]] = defaultdict(list)
    i = 0
    while i < len(kinds):
        kind = kinds[i]
        if kind == "cite":
            anchors["cite"].append((i, i + 1))
        elif kind in ("authors", "name"):
            j = i
            while j < len(kinds) and (
                kinds[j] in ("authors", "name")
                or (_short_damaged(lines[j].text) and kinds[j] == "text" and
                    any(k in ("name", "authors") for k in kinds[j + 1 : j + 3]))
            ):  # fmt: skip
                j += 1
            anchors["authors"].append((i, j))
            i = j
            continue
        i += 1
    prefixes: Counter[str] = Counter()
    first_words: list[str] = []
    for line in lines:
        words = re.findall(r"[^\W\d_]+:?", line.text.casefold())[:2]
        key = " ".join(words) if len(words) == 2 and len(line.text) > len(" ".join(words)) else ""
        first_words.append(key)
        if key:
            prefixes[key] += 1
    for key, count in prefixes.most_common(3):
        if count >= 3 and (key.endswith(":") or key.split()[0] in ("published", "in", "appeared")):
            anchors[f"label:{key}"] = [(i, i + 1) for i, k in enumerate(first_words) if k == key]
    return anchors


def _member(entry: Entry, run: str) -> None:
    """Belonging to a recognized list is evidence of its own."""
    entry.confidence = round(min(1.0, entry.score() + 0.1), 2)
    entry.how.append(f"a member of the list {run!r}")


def _short_damaged(text: str) -> bool:
    return len(text) <= 40 and len(text.split()) <= 4 and not re.search(r"[:;?!]", text)


def text_lists(
    lines: list[Line], *, owner_keys: frozenset[str] = frozenset(), start: int = 0
) -> Lists:
    """The publication list of copied page text (see the module text).

    ``start`` is the first line that may belong to the list (after the page's header).
    """
    kinds = [line_kind(line, owner_keys=owner_keys) for line in lines]
    result = Lists(kinds=kinds)
    found = _anchor_blocks(kinds, lines)
    first_anchor = min((occ[0][0] for occ in found.values() if occ), default=len(lines))
    heads = [i for i in range(start, len(lines)) if PUB_HEADING.match(lines[i].text)]
    before = [i for i in heads if i < first_anchor]
    heading_at = before[-1] if before else (heads[0] if heads else None)
    lo = heading_at + 1 if heading_at is not None else start
    anchors = {kind: [(s, e) for s, e in occ if s >= lo] for kind, occ in found.items()}
    anchors = {k: v for k, v in anchors.items() if v}
    if not anchors:
        _orphans(lines, kinds, lo, len(lines), result, owner_keys, heading_at is not None)
        return result
    order = {"cite": 0, "authors": 1}
    # among labels that recur as often, the one that closes an entry (comes last) anchors it
    kind, occ = max(anchors.items(), key=lambda kv: (len(kv[1]), -order.get(kv[0], 2), kv[1][0][0]))
    if kind == "authors" and anchors.get("cite") and len(anchors["cite"]) * 2 >= len(occ):
        kind, occ = "cite", anchors["cite"]
    if len(occ) < 2 and heading_at is None:
        return result
    starts = _entry_starts(occ, kinds, lines, lo, kind)
    if kind == "cite" or kind.startswith("label:"):
        spans = [(s, max(e, s + 1)) for s, (_, e) in zip(starts, occ, strict=True)]
    else:
        bounds = [*starts, len(lines)]
        spans = list(itertools.pairwise(bounds))
    for n, (s, e) in enumerate(spans):
        if n == 0 and s > lo:
            _orphans(lines, kinds, lo, s, result, owner_keys, heading_at is not None)
        end = _entry_end(kinds, s, e, occ[n])
        entry = read_entry(lines[s:end], owner_keys=owner_keys, kinds=kinds[s:end])
        item = Item(s, end, f"text entries anchored on {kind}", entry)
        if entry.weak_evidence:
            _member(entry, item.run)
            result.items.append(item)
        else:
            item.reason = _why_not(entry)
            result.rejected.append(item)
        if end < e:
            _orphans(lines, kinds, end, e, result, owner_keys, heading_at is not None)
    result.runs.append(
        f"text entries anchored on {kind}: {len(result.items)} of {len(occ)} read as publications"
    )
    authored = sum(1 for it in result.items if it.entry.authors)
    if result.items and authored * 2 < len(result.items) and heading_at is None:
        for it in result.items:
            it.reason = "in a list whose entries mostly carry no author list"
        result.rejected.extend(result.items)
        result.items = []
    return result


def _entry_starts(
    occ: list[tuple[int, int]], kinds: list[str], lines: list[Line], lo: int, kind: str
) -> list[int]:
    """Where each entry begins: at its anchor, or at the title line before it."""
    titled = {"text", "heading"}
    skip = {"year", "links"}

    def title_before(a: int, floor: int) -> int | None:
        j = a - 1
        while j >= floor and kinds[j] in skip:
            j -= 1
        if (
            j >= floor
            and kinds[j] in titled
            and (len(lines[j].text.split()) >= 3 or len(lines[j].text) >= 16)
        ):
            k = j - 1  # a short badge line before the title ("TSE", "MODELS-C")
            while k >= floor and kinds[k] in skip:
                k -= 1
            if k >= floor and kinds[k] == "text" and _badge(lines[k].text):
                return k
            return j
        return None

    if kind == "cite" or kind.startswith("label:"):
        # a reference string or a labelled line closes its entry: each entry is the window
        # after the previous one; the first is as long as the others (the page's rhythm)
        ends = [e for _, e in occ]
        lengths = sorted(b - a for a, b in itertools.pairwise(ends)) or [1]
        typical = lengths[len(lengths) // 2]
        first = max(lo, ends[0] - typical)
        gaps = [ends[0] - first] + [b - a for a, b in itertools.pairwise(ends)]
        if kind == "cite" and max(gaps) <= 2:
            return [s for s, _ in occ]
        return [first, *ends[:-1]]
    floors = [lo] + [e for _, e in occ[:-1]]
    befores = [title_before(s, f) for (s, _), f in zip(occ, floors, strict=True)]
    if sum(1 for b in befores if b is not None) * 2 >= len(occ):
        return [b if b is not None else s for b, (s, _) in zip(befores, occ, strict=True)]
    return [s for s, _ in occ]


def _entry_end(kinds: list[str], s: int, e: int, anchor: tuple[int, int]) -> int:
    """An entry ends before the next entry's start; trailing headings are not part of it."""
    end = e
    while end > anchor[1] and kinds[end - 1] in ("heading",):
        end -= 1
    return max(end, anchor[1])


def _badge(text: str) -> bool:
    return (len(text) <= 16 and " " not in text.strip()) or bool(
        re.fullmatch(r"[A-Z0-9&-]{2,12}", text)
    )


def _orphans(
    lines: list[Line],
    kinds: list[str],
    s: int,
    e: int,
    result: Lists,
    owner_keys: frozenset[str],
    in_section: bool,
) -> None:
    """Inside a publications section: a title followed by its abstract, without authors."""
    if not in_section:
        return
    i = s
    while i < e - 1:
        if kinds[i] == "text" and kinds[i + 1] == "abstract" and len(lines[i].text.split()) >= 3:
            entry = read_entry(lines[i : i + 2], owner_keys=owner_keys, kinds=kinds[i : i + 2])
            entry.how.append("a title and its abstract, no author list")
            entry.confidence = max(entry.score(), 0.65)  # the section heading is evidence
            result.items.append(
                Item(i, i + 2, "title and abstract in a publications section", entry)
            )
            i += 2
            continue
        i += 1
