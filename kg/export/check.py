"""Check each page's graph against the Google and Scholar shapes before it is written.

:func:`check_page` validates the RDF of one page document (its JSON-LD, as a search engine
reads it) against ``shapes/google.ttl`` and ``shapes/scholar.ttl``. A ``sh:Violation`` holds the
page back; ``sh:Warning``/``sh:Info`` results are reported.

Two engines give the same results:

- ``"pyshacl"``: pySHACL over an in-memory rdflib graph of the page (the reference; 30-350 ms a page);
- ``"fast"`` (default): kg's in-memory SHACL engine (:mod:`kg.validate.memory`) over the page's
  triples, 30-50x faster; tests prove parity with pySHACL on every example and page.

The shapes come from kg's shape loader (``KG_SHAPES``, :mod:`kg.validate.core`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import rdflib

from kg.export.jsonld import IRI_TERMS, Triple, triples
from kg.validate.core import default_shapes_dir
from kg.validate.memory import (
    CompiledShapes,
    Shape,
    ShapeResult,
    Term,
    TripleIndex,
    evaluate,
    evaluate_shapes,
    graph_of,
    graph_triples,
    load_memory_shapes,
    run_pyshacl_triples,
)
from kg.vocab import RDF, SCHEMA

__all__ = [
    "PageCheck",
    "PageProblem",
    "Shapes",
    "check_page",
    "check_triples",
    "default_shapes_dir",
    "graph_triples",
    "load_page_shapes",
    "page_graph",
]

#: One result of a page check (the engine's :class:`~kg.validate.memory.ShapeResult`).
PageProblem = ShapeResult
#: Compiled shapes (:class:`~kg.validate.memory.CompiledShapes`).
Shapes = CompiledShapes
#: The page shapes, compiled for the in-memory engine (:func:`kg.validate.memory.load_memory_shapes`).
load_page_shapes = load_memory_shapes
#: The shape files the export checks pages against (:data:`kg.validate.core.PAGE_SHAPE_FILES`).
EXPORT_SHAPES = ("google.ttl", "scholar.ttl")


@dataclass(frozen=True)
class PageCheck:
    """The outcome of checking one page: ``ok`` when there is no violation."""

    problems: tuple[PageProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> tuple[PageProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "violation")

    @property
    def warnings(self) -> tuple[PageProblem, ...]:
        return tuple(p for p in self.problems if p.severity != "violation")


@cache
def _export_shapes(directory: str) -> Shapes:
    return load_memory_shapes(Path(directory) / name for name in EXPORT_SHAPES)


def _index_document(doc: Mapping[str, Any], *, bnode: str = "_:b") -> TripleIndex:
    """Index a kg page document directly (the same triples as :func:`triples`, with the
    same blank node labels, without building the triple list first). Blank nodes are
    ``{bnode}0``, ``{bnode}1``... in document order."""
    data = TripleIndex(())
    out, by_type, subjects_of = data.out, data.by_type, data.subjects_of
    rdf_type = RDF + "type"
    counter = 0

    def visit(node: Mapping[str, Any]) -> str:
        nonlocal counter
        if "@id" in node:
            subject = str(node["@id"])
        else:
            subject = f"{bnode}{counter}"
            counter += 1
        props = out.get(subject)
        if props is None:
            props = out[subject] = {}
        for key, value in node.items():
            if key == "@id":
                continue
            values = value if isinstance(value, list) else [value]
            terms: list[Term]
            if key == "@type":
                pred = rdf_type
                terms = [(SCHEMA + t, "iri") for t in values]
            else:
                pred = SCHEMA + key
                terms = []
                iri_valued = key in IRI_TERMS
                for v in values:
                    if type(v) is str:  # the usual case: skip the Mapping ABC check
                        terms.append((v, "iri" if iri_valued else "literal"))
                    elif isinstance(v, Mapping):
                        if len(v) == 1 and "@id" in v:
                            terms.append((str(v["@id"]), "iri"))
                        else:
                            o = visit(v)
                            terms.append((o, "bnode" if o.startswith("_:") else "iri"))
                    elif key in IRI_TERMS:
                        terms.append((str(v), "iri"))
                    else:
                        terms.append((str(v), "literal"))
            bucket = props.get(pred)
            if bucket is None:
                bucket = props[pred] = []
                subjects_of[pred].append(subject)
            for t in terms:
                if t not in bucket:
                    bucket.append(t)
                    if pred == rdf_type:
                        by_type[t[0]].append(subject)
        return subject

    for node in doc.get("@graph", [doc]):
        visit(node)
    data.bnodes = counter
    return data


def page_graph(doc: Mapping[str, Any]) -> rdflib.Graph:
    """The rdflib graph of a page document (the graph pySHACL validates and tests compare)."""
    return graph_of(triples(doc))


def check_triples(
    ts: Sequence[Triple],
    *,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
) -> PageCheck:
    """Validate triples (see :func:`kg.export.jsonld.triples`) against ``shapes`` (default: the
    export shapes)."""
    shapes = shapes or _export_shapes(str(default_shapes_dir()))
    if engine == "pyshacl" or shapes.unsupported:
        problems = run_pyshacl_triples(shapes, ts)
    else:
        problems = evaluate_shapes(shapes, TripleIndex(ts))
    return PageCheck(problems=tuple(sorted(problems)))


def check_page(
    doc: Mapping[str, Any],
    *,
    shapes: Shapes | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
) -> PageCheck:
    """Validate one page document against the export shapes (google.ttl + scholar.ttl).

    >>> from kg.export.jsonld import CONTEXT
    >>> doc = {"@context": CONTEXT, "@graph": [{"@type": "ProfilePage", "@id": "https://x/#page"}]}
    >>> check = check_page(doc)
    >>> check.ok, check.violations[0].message.split(":")[0]
    (False, 'The profile page has no mainEntity')
    """
    shapes = shapes or _export_shapes(str(default_shapes_dir()))
    if engine == "pyshacl" or shapes.unsupported:
        return check_triples(triples(doc), shapes=shapes, engine="pyshacl")
    return PageCheck(problems=tuple(sorted(evaluate_shapes(shapes, _index_document(doc)))))


# -- pages assembled from parts ------------------------------------------------------------------


def _deep_predicates(roots: Sequence[Shape]) -> frozenset[str]:
    """The predicates any shape reads on a node other than the focus node itself (values reached
    through a path, and what nested shapes and ``sh:class`` read there)."""
    deep: set[str] = set()
    seen: set[tuple[str, bool]] = set()

    def walk(shape: Shape, is_deep: bool) -> None:
        if (shape.id, is_deep) in seen:
            return
        seen.add((shape.id, is_deep))
        values_deep = is_deep
        if shape.path:
            deep.update(p for i, p in enumerate(shape.path) if is_deep or i > 0)
            values_deep = True
        if shape.classes and values_deep:
            deep.add(RDF + "type")
        nested = (*shape.or_, *shape.not_, *shape.node, *shape.properties)
        for sub in (*nested, *((shape.qualified,) if shape.qualified else ())):
            walk(sub, values_deep)

    for root in roots:
        walk(root, False)
    return frozenset(deep)


Index = dict[str, dict[str, list[Term]]]


@dataclass
class _Tree:
    """One article node checked on its own, once per export (see :class:`PageChecker`)."""

    out: Index
    bnodes: int
    #: IRIs and blank nodes it points to without describing them
    refs: frozenset[str]
    #: ``r`` for every IRI ``PAGE_TOKEN + r`` in it
    token_rests: frozenset[str]
    #: its other IRIs with a fragment (could spell a page-local IRI of some page)
    fragment_iris: tuple[str, ...]
    #: focus -> its problems, with the token and local blank node labels; None: a string test
    #: read a token IRI, so the node is always checked on the page itself
    results: dict[str, list[PageProblem]] | None
    deep: dict[str, frozenset[tuple[str, Term]]] = field(default_factory=dict)


class _Targets:
    """Which root shapes target a node, looked up by its types and predicates."""

    def __init__(self, roots: Sequence[Shape]) -> None:
        self.by_class: dict[str, list[int]] = defaultdict(list)
        self.by_pred: dict[str, list[int]] = defaultdict(list)
        self.roots = list(roots)
        for i, root in enumerate(self.roots):
            for c in root.target_classes:
                self.by_class[c].append(i)
            for p in root.target_subjects_of:
                self.by_pred[p].append(i)

    def __call__(self, props: Mapping[str, list[Term]]) -> list[Shape]:
        hits: set[int] = set()
        by_pred = self.by_pred
        for p in props:
            found = by_pred.get(p)
            if found:
                hits.update(found)
        for t, _ in props.get(_RDF_TYPE, ()):
            found = self.by_class.get(t)
            if found:
                hits.update(found)
        return [self.roots[i] for i in sorted(hits)]


_RDF_TYPE = RDF + "type"


def _restricted(
    props: Mapping[str, list[Term]], preds: frozenset[str]
) -> frozenset[tuple[str, Term]]:
    return frozenset((p, t) for p in preds for t in props.get(p, ()))


class PageChecker:
    """:func:`check_page` for the pages of one export, each article checked once, not once per
    page it appears on.

    A :class:`~kg.export.jsonld.PageDocument` is the page's own nodes ("head") plus article
    parts shared by several pages. The results of a focus node depend only on what the shapes
    can reach from it: only forward paths, so its own triples, and the ``deep`` predicates (see
    :func:`_deep_predicates`) of the nodes it reaches. So each article part is checked once on its
    own, and its results are reused on a page when, on that page,

    - no node the part describes gets a deep predicate's value from elsewhere on the page (the
      profile person, described by the page and named as an author, is the usual case: the
      Person node must say the same name, url and sameAs in both places),
    - nothing the part points to is described elsewhere on the page, and
    - no string test (pattern, in, class) read a page-local IRI, which stands for a different
      IRI on each page (``PAGE_TOKEN``).

    Nodes described in several places, the head's nodes and any part that fails a condition are
    checked on the page's merged graph, exactly as :func:`check_page` would; if that reads a
    page-local IRI with a string test, the whole page is checked by :func:`check_page`. Results
    are identical to :func:`check_page` on the same document (tests prove it, and
    :func:`check_page` is proven against pySHACL).

    >>> from kg.export.jsonld import PageParts, SiteUrls
    >>> from kg.export.model import Author, Person, Profile, Work
    >>> ada = Author("https://w3id.org/kg/id/person/key/ada", "Ada", "A. L.", 1, has_record=True)
    >>> bob = Author("https://w3id.org/kg/id/person/name/bob", "Bob", "Bob", 2)
    >>> work = Work("https://w3id.org/kg/id/pub/key/notes", "Notes", (ada, bob), date="1843")
    >>> urls = SiteUrls("https://lab.example.org/", frozenset({ada.iri}))
    >>> doc = PageParts().profile(Profile(Person(ada.iri, "Ada"), (work,)), urls)
    >>> checker = PageChecker()
    >>> checker.check(doc) == check_page(doc.as_dict()), checker.stats["reused"]
    (True, 1)
    >>> [p.message.split(":")[0] for p in checker.check(doc).warnings]
    ['An author has neither url nor sameAs']
    """

    def __init__(self, shapes: Shapes | None = None, *, limit: int = 50_000) -> None:
        from kg.export.jsonld import PAGE_TOKEN

        self.shapes = shapes or _export_shapes(str(default_shapes_dir()))
        self.token = PAGE_TOKEN
        self.deep = _deep_predicates(self.shapes.roots)
        self.targets = _Targets(self.shapes.roots)
        self.limit = limit
        self._trees: dict[int, tuple[Any, _Tree]] = {}  # id(part) -> (part, its tree)
        self._shared: dict[tuple[str, Term, Any], tuple[bool, bool]] = {}
        self._leaf_results: dict[tuple[str, Any], tuple[list[PageProblem], bool]] = {}
        #: a number per distinct leaf content, so memo keys hash an int, not nested tuples
        self._contents: dict[tuple[tuple[str, tuple[Term, ...]], ...], int] = {}
        #: pages whose articles were all reused / pages checked whole by check_page
        self.stats = {"reused": 0, "rechecked": 0, "whole": 0}

    def _tree(self, part: Any) -> tuple[int, _Tree]:
        key = id(part)
        hit = self._trees.get(key)
        if hit is not None and hit[0] is part:
            return key, hit[1]
        data = _index_document({"@graph": [part.node]}, bnode=f"_:t{key}x")
        data.token = self.token
        out = data.out
        if len(self._shared) > self.limit * 10 or len(self._contents) > self.limit * 10:
            self._shared.clear()  # all three together: the memos' keys use the numbers
            self._leaf_results.clear()
            self._contents.clear()
        for subject, props in out.items():
            if not subject.startswith("_:") and all(
                k == "literal" or v not in out for b in props.values() for v, k in b
            ):
                content = tuple((p, tuple(b)) for p, b in props.items())
                data.leaves[subject] = self._contents.setdefault(content, len(self._contents))
        data.shared = self._shared
        results: dict[str, list[PageProblem]] = {}
        for subject, props in out.items():
            sig = data.leaves.get(subject)
            if sig is not None:  # an author: the same node recurs on many articles
                leaf = self._leaf_results.get((subject, sig))
                if leaf is None:
                    was, data.tainted = data.tainted, False
                    found: list[PageProblem] = []
                    for root in self.targets(props):
                        evaluate(root, (subject, "iri"), data, found)
                    leaf = self._leaf_results[(subject, sig)] = (found, data.tainted)
                    data.tainted = was or data.tainted
                elif leaf[1]:
                    data.tainted = True
                if leaf[0]:
                    results[subject] = leaf[0]
                continue
            found = []
            for root in self.targets(props):
                evaluate(root, (subject, _kind(subject)), data, found)
            if found:
                results[subject] = found
        values = {t for props in data.out.values() for b in props.values() for t in b}
        iris = {s for s in data.out if not s.startswith("_:")}
        iris |= {v for v, k in values if k == "iri"}
        tree = _Tree(
            out=data.out,
            bnodes=data.bnodes,
            refs=frozenset(v for v, k in values if k != "literal" and v not in data.out),
            token_rests=frozenset(i[len(self.token) :] for i in iris if i.startswith(self.token)),
            fragment_iris=tuple(i for i in iris if "#" in i and not i.startswith(self.token)),
            results=None if data.tainted else results,
        )
        if len(self._trees) >= self.limit:
            del self._trees[next(iter(self._trees))]
        self._trees[key] = (part, tree)
        return key, tree

    def check(self, doc: Any) -> PageCheck:
        """Check a :class:`~kg.export.jsonld.PageDocument` (anything else: :func:`check_page`)."""
        from kg.export.jsonld import PageDocument

        shapes = self.shapes
        if not isinstance(doc, PageDocument) or shapes.unsupported:
            return check_page(doc, shapes=shapes)
        page = doc.page
        head = _index_document({"@graph": doc.head})
        head.token = self.token
        out = head.out
        live = set(out)  # the head's nodes, before the articles join
        trees = [self._tree(a) for a in doc.articles]
        # the token must stand for the page's IRIs one to one
        rests = frozenset().union(*(t.token_rests for _, t in trees))
        if rests:
            own = {i[len(page) :] for i in out if i.startswith(page)}
            own |= {
                v[len(page) :]
                for props in out.values()
                for b in props.values()
                for v, k in b
                if k == "iri" and v.startswith(page)
            }
            own |= {i[len(page) :] for _, t in trees for i in t.fragment_iris if i.startswith(page)}
            if own & rests:
                return self._whole(doc)
        merged: set[str] = set()
        for _, tree in trees:
            for s, props in tree.out.items():
                cur = out.get(s)
                if cur is None:
                    out[s] = props  # shared with the tree: never written to
                    continue
                if s not in merged:
                    cur = out[s] = {p: list(b) for p, b in cur.items()}
                    merged.add(s)
                for p, bucket in props.items():
                    have = cur.get(p)
                    if have is None:
                        cur[p] = list(bucket)
                    else:
                        have.extend(t for t in bucket if t not in have)
        live |= merged
        offsets: dict[str, int] = {}
        at = head.bnodes
        problems: list[PageProblem] = []
        deep = self.deep
        merged_deep = {s: _restricted(out[s], deep) for s in merged}
        reused = 0
        for key, tree in trees:
            offsets[f"_:t{key}x"] = at
            at += tree.bnodes
            clean = tree.results is not None and not any(r in out for r in tree.refs)
            if clean:
                for s in merged.intersection(tree.out):
                    mine = tree.deep.get(s)
                    if mine is None:
                        mine = tree.deep[s] = _restricted(tree.out[s], deep)
                    if mine != merged_deep[s]:
                        clean = False
                        break
            if not clean:
                live.update(tree.out)
                continue
            reused += 1
            assert tree.results is not None
            for focus, found in tree.results.items():
                if focus not in merged:
                    problems.extend(found)
        for s in sorted(live):
            props = out[s]
            for root in self.targets(props):
                evaluate(root, (s, _kind(s)), head, problems)
        if head.tainted:
            return self._whole(doc)
        self.stats["reused" if reused == len(trees) else "rechecked"] += 1
        return PageCheck(
            problems=tuple(sorted((self._localize(p, page, offsets) for p in problems), key=_order))
        )

    def _whole(self, doc: Any) -> PageCheck:
        self.stats["whole"] += 1
        return check_page(doc.as_dict(), shapes=self.shapes)

    def _localize(self, p: PageProblem, page: str, offsets: Mapping[str, int]) -> PageProblem:
        """A problem as :func:`check_page` reports it: the page for the token, blank nodes
        numbered in document order."""
        focus, value = p.focus, p.value
        if self.token in focus or focus.startswith("_:t"):
            focus = self._term(focus, page, offsets)
        if value is not None and (self.token in value or value.startswith("_:t")):
            value = self._term(value, page, offsets)
        if focus is p.focus and value is p.value:
            return p
        return PageProblem(p.severity, p.message, focus, p.path, value, p.component, p.shape)

    def _term(self, term: str, page: str, offsets: Mapping[str, int]) -> str:
        if term.startswith("_:t"):
            prefix, _, k = term.rpartition("x")
            return f"_:b{offsets[prefix + 'x'] + int(k)}"
        return term.replace(self.token, page)


def _order(p: PageProblem) -> tuple[Any, ...]:
    """The order of :class:`PageProblem` (its fields in turn), compared in C."""
    return (p.severity, p.message, p.focus, p.path, p.value, p.component, p.shape)


def _kind(subject: str) -> str:
    return "bnode" if subject.startswith("_:") else "iri"
