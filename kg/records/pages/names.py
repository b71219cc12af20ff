"""Personal names and printed author lists: one grammar for every style a page uses.

An author list on a research page is printed in one of a few conventions, and a reader has to
tell them apart from titles that also start with capitals ("Graph Neural Networks"):

* natural order: "Clare Lyle, Zeyu Zheng and Will Dabney", "F. Last", "FM Last", "J.-P. Last";
* inverted: "Lyle, Clare; Zheng, Zeyu", APA "Bilen, H., & Vedaldi, A.", Vancouver
  "Forsythe A, Vanderwolf KJ, Xu J", "Nguyen, V, Versyp, O";
* first author inverted, the rest natural (Chicago/MLA): "Groth, Stefan, Sarah May, und Johannes
  Müske";
* one name per line (pages whose list shows each author as its own block).

Connectors in several languages ("and", "&", "et", "und", "y", "e"), APA's ", &", "et al.",
elisions ("…", "... others"), equal-contribution and affiliation marks (``*``, ``†``, ``‡``,
superscript digits) and particles (de, van der, von; "De, Soham" is a family name) are part of
the grammar. A name is a run of name words: capitalised words, initials, particles; never words
that occur in titles and not in names ("learning", "the", "of"). CJK names are taken as
printed. The grammar follows the name conventions the Citation Style Language describes
(https://docs.citationstyles.org/en/stable/specification.html#name-part-order) and the
reference-string field models of GROBID/AnyStyle, written out as rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Author", "is_name", "name_key", "parse_authors", "parse_name_lines"]


@dataclass(frozen=True)
class Author:
    """An author as printed, and the name in display ("First Last") order.

    ``given``/``family`` are set when the printed form told them apart ("Last, First").
    """

    printed: str
    display: str
    given: str | None = None
    family: str | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PARTICLES = _words(
    "van von der den de da del della dei di du le la dos das do bin ibn al el ten ter zu y e "
    "st. st mac ben af av vander vanden"
)
# Words that occur in titles, headings and roles but not in personal names.
NOT_NAME = _words(
    """a an the of and or for in on at to with without from by via into onto over under is are
    be not no all you we our your how what when why which who can do does towards toward using
    use vs versus et les des un une pour sur avec dans par und die das für mit zur zum ein eine
    los las para con por sin en o il lo gli che del im am auf aus bei nach über vom
    learning learned network networks neural deep model models modeling modelling data analysis
    theory method methods approach approaches system systems graph graphs training optimization
    reinforcement language languages transformer transformers attention generative adversarial
    representation representations study studies survey efficient scaling large small new beyond
    case review problem problems algorithm algorithms function functions structure structures
    effect effects research university universität université universidad universita institute
    institut department laboratory lab labs centre center school faculty group google deepmind
    inc ltd gmbh publications publication topics interests member members alumni professor
    scientist student students team people news home about contact teaching projects project
    talks awards education service cv blog posts post page pages search menu follow email
    github twitter linkedin scholar orcid researchgate pdf code slides video poster bibtex
    abstract journal conference proceedings workshop press preprint arxiv volume vol
    international national annual symposium transactions letters science nature ieee acm
    springer elsevier review reviews chapter book books thesis dissertation report submitted
    accepted published award best paper papers selected recent latest featured full list
    more less show hide see read view all total year years month day january february march
    july september october november december
    introduction conclusion towards via based free robust multi single dynamic dynamics
    learning-based self supervised unsupervised semi online offline visual vision image images
    text speech audio video videos music medical clinical health social human humans machine
    machines intelligence artificial computer computing computational quantum physics chemistry
    biology economics statistics statistical bayesian probabilistic stochastic linear nonlinear
    non generalization inference estimation detection recognition segmentation classification
    prediction predicting planning control policy policies agent agents reward world worlds
    memory knowledge reasoning understanding evaluation benchmark benchmarks dataset datasets
    open source tool tools framework frameworks software hardware platform applications
    application challenges challenge perspectives perspective practice practices culture
    cultural but if then than so as it its this that these those don't doesn't can't isn't
    there here where whose whom should would could might must shall has have had was were
    been being let lets make makes made get gets go goes toward
    processing computing computation stream streams serverless reactive distributed parallel
    security privacy verification programming compilers compiler database databases retrieval
    mining web cloud mobile wireless robotics robot robots imaging signal signals design
    interaction interfaces interface visualization graphics perception cognition cognitive
    behavior behaviour ecology evolution genetics genomics protein proteins cell cells cancer
    disease diseases climate energy materials chemical physical dynamical spatial temporal
    sequence sequences series recurrent convolutional sparse dense efficient scalable fast
    secure safe fair fairness explainable interpretable trustworthy responsible automated
    automatic adaptive active transfer meta multi-task continual federated contrastive
    diffusion flow flows equations equation matrix matrices tensor tensors kernel kernels
    estimation optimal optimality bounds bound complexity algorithms"""
)
_UPPER_START = re.compile(r"^[^\W\d_]")


def _is_initials(tok: str) -> bool:
    """Initials: "J.", "J.-P.", "KJ", "É.", "Ł", "Ch." (any script's capitals)."""
    core = tok.replace(".", "").replace("-", "")
    if core and all(c.isalpha() and c.isupper() for c in core):
        return len(core) <= (4 if "." in tok else 3)
    return len(tok) == 3 and tok[0].isupper() and tok[1].islower() and tok[2] == "."


class _Initials:
    """``_INITIALS.match(tok)``: the test as a pattern-like object (used throughout)."""

    @staticmethod
    def match(tok: str) -> bool:
        return _is_initials(tok)


_INITIALS = _Initials()
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,5}$")
_MARKS = re.compile(r"[*†‡§¶♯#✉⁎∗]+|[\u00b9\u00b2\u00b3\u2070-\u2079]+|\^\S*")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*(?:and\s+)?(?:others\b)?")
_ET_AL = re.compile(r"[,;]?\s*(?:\bet\s+al\b\.?|\band\s+others\b|\bu\.\s*a\.)\s*$", re.I)
_CONNECT = r"(?:and|&|et|und|y|e|und|og|och|en|i|és)"
_MORE = re.compile(r"[,;]?\s*(?:and\s+)?\d+\s+more\s+authors?\b.*$|…?\s*\(see \d+ more\)", re.I)


def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """A comparison key for a name: accents, case and punctuation folded, "Last, First" turned.

    >>> name_key("Kuciński, Łukasz") == name_key("Lukasz Kucinski")
    True
    """
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and all(parts):
        name = f"{parts[1]} {parts[0]}"
    text = _strip_accents(name).replace("ł", "l").replace("Ł", "L").casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _word_ok(tok: str, *, last: bool) -> bool:
    """One word of a name: capitalised, an initial, a particle, hyphenated or apostrophed."""
    low = tok.casefold().strip(".")
    if low in PARTICLES and not last:
        return True
    if low in NOT_NAME and not _INITIALS.match(tok):
        return False
    if not _UPPER_START.match(tok):
        return False
    tok = "".join(c for c in unicodedata.normalize("NFD", tok) if not unicodedata.combining(c))
    if not tok[0].isupper():
        return False
    if re.search(r"\d", tok):
        return False
    core = tok.replace("-", "").replace("'", "").replace("’", "").replace(".", "")
    core = core.replace("\u2010", "").replace("\u2011", "")
    core = core.replace("`", "").replace("´", "").replace("~", "").replace("^", "")
    return bool(core) and all(c.isalpha() for c in core)


@lru_cache(maxsize=65536)
def is_name(text: str) -> bool:
    """True when a short text reads as one personal name in natural order.

    "First [Middle] Last", initials in any position ("F. Last", "FM Last", "Last FM"),
    particles ("Hado van Hasselt", "Soham De"), hyphens and apostrophes; a single all-capitals
    word is an acronym, not a name.

    >>> [is_name(t) for t in ["Hado van Hasselt", "Alexey A. Gritsenko", "Graph Neural Networks",
    ...     "Attention Is All You Need", "Lukasz Kuci'nski", "Clare", "Forsythe A", "J.-P. Serre",
    ...     "HAKAN BILEN", "NeurIPS 2024", "王小明"]]
    [True, True, False, False, True, False, True, True, True, False, True]
    """
    text = " ".join(text.split())
    if _CJK.match(text):
        return True
    if not text or len(text) > 60 or re.search(r"[\d,:;?!()\[\]{}/@|=+*#«»\"“”„]", text):
        return False
    toks = text.split()
    if not 2 <= len(toks) <= 5:
        return False
    if all(_INITIALS.match(t) for t in toks):
        return False  # "A. B." has no surname
    dotted = [i for i, t in enumerate(toks) if t.endswith(".") and _INITIALS.match(t)]
    if dotted and dotted[-1] > 0 and len(toks) - dotted[-1] - 1 > 2:
        return False  # "Xu J. Landscape Genetic Connectivity": a sentence, not a name
    if toks[-1].casefold() in PARTICLES and toks[-1][0].islower():
        return False
    upper_words = [t for t in toks if len(t) > 1 and t.isupper() and "." not in t]
    if upper_words and len(upper_words) != len(toks) and not all(len(t) <= 3 for t in upper_words):
        return False  # "SPARC Models": an acronym in a title
    if upper_words and len(upper_words) == len(toks) and len(toks) > 3:
        return False
    return all(_word_ok(t, last=i == len(toks) - 1) for i, t in enumerate(toks))


def _is_family(text: str) -> bool:
    """A family name alone: "Gauss", "van Hasselt", "De", "Keren-Portnoy", "Hernández López"."""
    toks = text.split()
    if not 1 <= len(toks) <= 4:
        return False
    core = [t for t in toks if t.casefold() not in PARTICLES or t[0].isupper()]
    lone_particle = len(core) == 1 and core[0].casefold() in PARTICLES  # "De, Soham"
    if (not core or len([t for t in core if t.casefold() not in PARTICLES]) > 2) and not (
        lone_particle
    ):
        return False
    if any("." in t and _is_initials(t) for t in core):
        return False
    return all(
        (t.casefold() in PARTICLES) or (_word_ok(t, last=False) and len(t.strip(".")) > 1)
        for t in toks
    )


def _is_given(text: str) -> bool:
    """Given names or initials of an inverted name: "Carl Friedrich", "C. F.", "J.-P.", "KJ"."""
    toks = text.split()
    return 1 <= len(toks) <= 4 and all(
        _INITIALS.match(t) or t.casefold() in PARTICLES or _word_ok(t, last=False) for t in toks
    )


def _initials_only(text: str) -> bool:
    toks = text.split()
    return bool(toks) and all(_INITIALS.match(t) and len(t.replace(".", "")) <= 3 for t in toks)


def _clean(text: str) -> str:
    text = _MARKS.sub("", text).strip("\"“”'").lstrip(" .,;:·•–—-")
    text = re.sub(r"(?<=[^\W\d_])\d(?:,\d)*(?=\s*(?:,|;|$|\band\b))", "", text)  # "Smith1,2"
    text = _MORE.sub("", text)
    text = _ET_AL.sub("", text)
    text = _ELLIPSIS.sub(", ", text)
    return " ".join(text.split()).strip(" ,;")


def _split(text: str) -> list[str]:
    """Split on commas and connectors ("and", "&", "et", ...); empty parts dropped."""
    parts = re.split(rf"\s*,\s*(?:{_CONNECT}\s+)?|\s+{_CONNECT}\s+|\s*&\s*", text)
    return [
        p.strip()
        if _initials_only(p.strip()) or re.search(r"(?:^|\s)[^\W\d_]\.$", p.strip())
        else p.strip(" .")
        for p in parts
        if p
    ]


_GROUP_AUTHOR = re.compile(
    r"^(?:the\s+)?(?:[A-Z][\w&'-]*\s+){1,6}(?:consortium|collaboration|working group|"
    r"study group|research group|team|network|initiative|committee|investigators)$",
    re.I,
)


_RUN_ON = re.compile(
    r"^((?:[A-Z]{1,3}|(?:[A-Z]\.-?){1,3})\s+[^\W\d_][\w'’-]+)\s+"
    r"((?:[A-Z]{1,3}|(?:[A-Z]\.-?){1,3})\s+[^\W\d_][\w'’-]+)$"
)


def _run_on(part: str) -> list[str]:
    """Two names run together where the page lost a comma: "GS Boebinger PC Canfield"."""
    m = _RUN_ON.match(part.strip())
    return [m.group(1), m.group(2)] if m else [part]


def _natural(part: str) -> Author | None:
    part = part.strip()
    if _GROUP_AUTHOR.match(part) and part[0].isupper():
        return Author(part, part)  # a group author ("ManyBabies Consortium")
    # "Forsythe A", "Xu J", "Vanderwolf KJ": Vancouver family name then initials
    toks = part.split()
    if (
        2 <= len(toks) <= 4
        and "." not in toks[-1]
        and _is_initials(toks[-1])
        and not _INITIALS.match(toks[0])
        and _is_family(" ".join(toks[:-1]))
    ):
        given = toks[-1]
        family = " ".join(toks[:-1])
        return Author(part, f"{given} {family}", given=given, family=family)
    if is_name(part):
        return Author(part, part)
    return None


_COMMA_SPACE = re.compile(r"\s*,\s*")


def _inverted(family: str, given: str, text: str | None = None) -> Author | None:
    family, given = family.strip(), given.strip()
    if text is not None and f"{family}, {given}" not in _COMMA_SPACE.sub(", ", text):
        return None  # "Minigrid & Miniworld" is not "Miniworld Minigrid"
    if _is_family(family) and _is_given(given) and not _initials_only(family):
        if given.split()[-1].casefold() in PARTICLES and given.split()[-1].islower():
            family = f"{given.split()[-1]} {family}"
            given = " ".join(given.split()[:-1]) or given
        return Author(f"{family}, {given}", f"{given} {family}", given=given, family=family)
    return None


@lru_cache(maxsize=65536)
def parse_authors(text: str) -> tuple[Author, ...] | None:
    """Read a printed author list, or None when the text is not one.

    >>> [a.display for a in parse_authors("Gauss, Carl Friedrich, Weber, Wilhelm")]
    ['Carl Friedrich Gauss', 'Wilhelm Weber']
    >>> [a.display for a in parse_authors("Bilen, H., Fernando, B., Gavves, E., & Vedaldi, A.")]
    ['H. Bilen', 'B. Fernando', 'E. Gavves', 'A. Vedaldi']
    >>> [a.display for a in parse_authors("Forsythe A, Vanderwolf KJ, Xu J")]
    ['A Forsythe', 'KJ Vanderwolf', 'J Xu']
    >>> [a.display for a in parse_authors("Groth, Stefan, Sarah May, und Johannes Müske")]
    ['Stefan Groth', 'Sarah May', 'Johannes Müske']
    >>> [a.display for a in parse_authors("Clare Lyle, Zeyu Zheng and Will Dabney*")]
    ['Clare Lyle', 'Zeyu Zheng', 'Will Dabney']
    >>> [a.display for a in parse_authors("De, Soham; Smith, Samuel L.")]
    ['Soham De', 'Samuel L. Smith']
    >>> parse_authors("Graph neural networks, a survey") is None
    True
    """
    text = _clean(text)
    if not re.search(r"(?:^|[\s,.-])[^\W\d_]\.$", text):  # keep the period of a final "É."
        text = text.rstrip(".")
    if not text or len(text) > 5000:
        return None
    if ";" in text:
        out: list[Author] = []
        for chunk in (c.strip() for c in text.split(";")):
            chunk = re.sub(rf"^(?:{_CONNECT}|&)\s+", "", chunk)
            if not chunk:
                continue
            bits = [b.strip() for b in chunk.split(",")]
            author = (
                _inverted(bits[0], bits[1])
                if len(bits) == 2
                else (_natural(chunk) if len(bits) == 1 else None)
            )
            if author is None:
                return None
            out.append(author)
        return tuple(out) or None
    parts = [q for p in _split(text) for q in _run_on(p)]
    if not parts:
        return None
    natural = [_natural(p) for p in parts]
    if all(natural):
        return tuple(a for a in natural if a)
    # Chicago/MLA: "Last, First, First Last, and First Last"
    if len(parts) >= 2:
        first = _inverted(parts[0], parts[1], text)
        rest = [_natural(p) for p in parts[2:]]
        if (first and all(rest) and not _initials_only(parts[1])) or (
            first and all(rest) and len(parts) == 2
        ):
            return (first, *(a for a in rest if a))
    # inverted pairs: "Last, First, Last, First" / APA "Last, F., & Last, F."
    if len(parts) % 2 == 0:
        pairs = [_inverted(parts[i], parts[i + 1], text) for i in range(0, len(parts), 2)]
        if all(pairs):
            return tuple(a for a in pairs if a)
    return None


def parse_marked_authors(
    text: str, *, share: float = 0.6, least: int = 2
) -> tuple[Author, ...] | None:
    """An author list the page's markup marks as one (``itemprop="author"``, ``class="authors"``)
    whose names the grammar does not all read (mojibake such as "K. PlA(C)h"): names kept as
    printed when most of them read as names.

    >>> [a.printed for a in parse_marked_authors("J.F. Gogarten, K. PlA(C)h, A. Mielke")]
    ['J.F. Gogarten', 'K. PlA(C)h', 'A. Mielke']
    """
    parsed = parse_authors(text)
    if parsed:
        return parsed
    parts = [p for p in _split(_clean(text)) if p]
    read = [_natural(p) for p in parts]
    if len(parts) < least or sum(1 for a in read if a) < share * len(parts):
        return None
    out = []
    for part, author in zip(parts, read, strict=True):
        if author is None and (len(part) > 40 or len(part.split()) > 4):
            return None
        out.append(author or Author(part, part))
    return tuple(out)


def parse_name_lines(lines: list[str]) -> list[Author] | None:
    """A block of lines holding one author each (the one-name-per-line layout), or None.

    Damaged names (line numbers from PDF extraction, "Un-611") are kept as printed when most
    lines of the block are clean names: the block, not each line, is the evidence.

    >>> [a.display for a in parse_name_lines(["Clare Lyle", "Zeyu Zheng", "Hado van Hasselt"])]
    ['Clare Lyle', 'Zeyu Zheng', 'Hado van Hasselt']
    """
    if not lines:
        return None
    out: list[Author] = []
    clean_names = 0
    for line in lines:
        text = _clean(line).strip(" .,;")
        found = parse_authors(text) if text else None
        author = found[0] if found and len(found) == 1 else (_natural(text) if text else None)
        if author is not None:
            clean_names += 1
            out.append(author)
        elif (
            text
            and len(text) <= 40
            and len(text.split()) <= 4
            and not re.search(r"[:;?!\"“”]|\b(?:the|of|and|for|in)\b", text, re.I)
        ):
            out.append(Author(text, text))
        else:
            return None
    return (
        out
        if clean_names * 2 > len(lines)
        or (clean_names and len(lines) <= 2 and clean_names == len(lines))
        else None
    )
