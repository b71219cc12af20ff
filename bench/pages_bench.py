"""Page-reader workloads (issue 14): real pages read per second, and one 100-entry page.

* ``pages``: every page of ``../shared/fixtures/profile-pages/dev`` (HTML and copied text, 25
  pages, 336 publications) read with the ``page:`` source, records built and checked.
* ``pages-100``: one generated jekyll-scholar-style page of 100 entries (APA references, a hidden
  BibTeX block each, an "N more authors" control on every tenth) read the same way; target
  1 s.

The baseline is the floor every reader pays: lxml parsing the same bytes and taking the text of
the body (or splitting the text of a copied page into lines). The ratio is then kg's share of the
raw parse speed; both sides report the number of pages read, which is what is compared.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kg.shared import shared_dir

_GIVEN = ["Ada", "Alan", "Grace", "Kurt", "Emmy", "Hedy", "Claude", "Barbara", "John", "Lise",
          "Mary", "Niels", "Rosalind", "Srinivasa", "Sofia", "Wei", "Yuki", "Amara", "Omar",
          "Ingrid"]  # fmt: skip
_FAMILY = ["Lovelace", "Turing", "Hopper", "Gödel", "Noether", "Lamarr", "Shannon", "Liskov",
           "von Neumann", "Meitner", "Somerville", "Bohr", "Franklin", "Ramanujan", "Kovalevskaya",
           "Zhang", "Tanaka", "Okafor", "Haddad", "Nilsson"]  # fmt: skip
_WORDS = ["robust", "learning", "graphs", "inference", "sparse", "models", "bayesian",
          "neural", "scalable", "structure", "causal", "efficient", "networks", "estimation",
          "kernels", "optimal", "transport", "language", "vision", "control"]  # fmt: skip


def dev_pages() -> list[Path]:
    folder = shared_dir() / "fixtures" / "profile-pages" / "dev"
    return sorted(p for p in folder.iterdir() if p.suffix in (".html", ".txt"))


def hundred_entry_page(path: Path) -> Path:
    """Write the generated 100-entry page (seeded: the same bytes on every run)."""
    rnd = random.Random(14)
    items = []
    for n in range(100):
        people = [(rnd.choice(_GIVEN), rnd.choice(_FAMILY)) for _ in range(rnd.randint(2, 7))]
        title = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(5, 11))).capitalize()
        title = f"{title} {n}"
        year = 1990 + n % 35
        shown = people if n % 10 else people[:3]
        apa = ", ".join(f"{f}, {g[0]}." for g, f in shown[:-1]) + f", & {shown[-1][1]}, "
        apa += f"{shown[-1][0][0]}."
        more = ""
        if not n % 10 and len(people) > 3:
            hidden = ", ".join(f"{g} {f}" for g, f in people[3:])
            more = (f' <span class="more-authors" onclick="var t=\'{hidden}\';">'
                    f"{len(people) - 3} more authors</span>")  # fmt: skip
        bib = " and ".join(f"{f}, {g}" for g, f in people)
        items.append(
            f'<li><span id="e{n}">{apa}{more} ({year}). <i>{title}</i>. Journal of Tests, '
            f"{n}(2), 1–10.</span>"
            f'<pre class="collapse">@article{{e{n}, title={{{title}}}, author={{{bib}}}, '
            f"year={{{year}}}}}</pre></li>"
        )
    html = ("<html><head><title>Publications | Ada Lovelace</title></head><body>"
            "<h1>Publications</h1><ol class='bibliography'>" + "".join(items) + "</ol></body></html>")  # fmt: skip
    path.write_text(html, "utf-8")
    return path


def warm_up() -> None:
    """Import what the reader imports on its first page (extruct, pybtex), before the clock."""
    import extruct  # noqa: F401
    from pybtex.database.input.bibtex import Parser  # noqa: F401

    from kg.records.pages import PageSource  # noqa: F401


def read_kg(pages: list[Path]) -> int:
    from kg.errors import DataError
    from kg.records import check_record
    from kg.records.pages import PageSource

    read = 0
    for page in pages:
        try:
            records = PageSource(page).records()
        except DataError:  # a page with no list and no owner: read, nothing to yield
            records = []
        assert all(check_record(r) == [] for r in records)
        read += 1
    return read


def read_floor(pages: list[Path]) -> int:
    import lxml.html  # type: ignore[import-untyped]

    read = 0
    for page in pages:
        data = page.read_bytes()
        if page.suffix == ".html":
            root: Any = lxml.html.document_fromstring(data)
            body = root.find("body")
            " ".join((body if body is not None else root).itertext()).split()
        else:
            data.decode("utf-8", "replace").splitlines()
        read += 1
    return read
