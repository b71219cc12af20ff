"""Where the exported pages live and what the site is called: :class:`SiteOptions`.

kg's own site puts a profile at ``{base_url}people/{slug}/`` and a publication at
``{base_url}publications/{slug}/``. A lab that pastes kg's markup into its own site (Hugo, Jekyll,
WordPress, a CMS) has other URLs; the markup must name *those* pages, or every ``@id``, ``url``,
canonical link, sitemap entry and ``citation_abstract_html_url`` points at a page that does not
exist. So the URL of each page comes from, first to last:

1. ``url_map``: a JSON file ``{"<kg IRI or record id>": "<URL>", ...}`` — a person's or a
   publication's kg IRI (``https://w3id.org/kg/id/person/orcid/0000-0002-1825-0097``), or, for
   a record without an external identifier (whose IRI kg mints from its ``id``), that ``id``
   (``ada`` stands for ``.../person/key/ada`` and ``.../pub/key/ada``);
2. ``profile_url`` / ``publication_url``: a pattern with ``{slug}``
   (``https://lab.example.org/authors/{slug}/``), the slug kg gives the page (the file name of
   its snippet);
3. kg's own layout under ``base_url``.

The same dataclass carries the site's name and the templates directory, so one value holds
everything an export needs to know about the site (and ``kg.toml``'s ``[site]`` table has the
same keys).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kg.errors import UsageError
from kg.export.links import safe_link
from kg.vocab import ID_BASE

__all__ = ["DEFAULT_SITE_NAME", "SiteOptions"]

DEFAULT_SITE_NAME = "Research profiles"


@dataclass(frozen=True)
class SiteOptions:
    """The host site of an export.

    >>> o = SiteOptions("https://lab.example.org", profile_url="https://lab.example.org/a/{slug}/")
    >>> o.base_url, o.profile_pattern, o.publication_pattern
    ('https://lab.example.org/', 'https://lab.example.org/a/{slug}/', 'https://lab.example.org/publications/{slug}/')
    """

    base_url: str
    profile_url: str | None = None
    publication_url: str | None = None
    url_map: Path | None = None
    site_name: str | None = None
    templates: Path | None = None

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://", "file:")):
            raise UsageError(
                f"--base-url {self.base_url!r}: expected an http(s) URL such as https://lab.example.org/"
            )
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        for flag, pattern in (("--profile-url", self.profile_url), ("--publication-url", self.publication_url)):  # fmt: skip
            if pattern is None:
                continue
            if pattern.count("{slug}") != 1 or pattern.replace("{slug}", "").count("{") != 0:
                raise UsageError(
                    f"{flag} {pattern!r}: expected a URL pattern with {{slug}} once, "
                    "e.g. https://lab.example.org/people/{slug}/"
                )
            if safe_link(pattern.replace("{slug}", "x")) is None or pattern.startswith("mailto:"):
                raise UsageError(f"{flag} {pattern!r}: expected an http(s) URL pattern")
        if self.url_map is not None:
            _ = self.mapped  # fails early on a bad file

    @property
    def name(self) -> str:
        """The site's name (``site_name``, else "Research profiles")."""
        return self.site_name or DEFAULT_SITE_NAME

    @property
    def profile_pattern(self) -> str:
        return self.profile_url or self.base_url + "people/{slug}/"

    @property
    def publication_pattern(self) -> str:
        return self.publication_url or self.base_url + "publications/{slug}/"

    @property
    def own_layout(self) -> bool:
        """True when every page lives where kg writes it (no patterns, no map)."""
        return self.profile_url is None and self.publication_url is None and self.url_map is None

    @cached_property
    def mapped(self) -> dict[str, str]:
        """``url_map`` read: kg IRI -> URL (record keys expanded to both key IRIs)."""
        if self.url_map is None:
            return {}
        where = f"--url-map {self.url_map}"
        try:
            data = json.loads(Path(self.url_map).read_text(encoding="utf-8"))
        except OSError as e:
            raise UsageError(f"{where}: cannot read ({e.strerror})") from None
        except ValueError as e:
            raise UsageError(f"{where}: not JSON ({e})") from None
        if not isinstance(data, dict):
            raise UsageError(f"{where}: expected a JSON object {{IRI or record id: URL}}")
        out: dict[str, str] = {}
        for key, url in data.items():
            if not isinstance(url, str) or safe_link(url) is None or url.startswith("mailto:"):
                raise UsageError(f"{where}: {key!r}: expected an http(s) URL, got {url!r}")
            if key.startswith(("http://", "https://")):
                out[key] = url
            else:
                out.setdefault(f"{ID_BASE}person/key/{key}", url)
                out.setdefault(f"{ID_BASE}pub/key/{key}", url)
        return out
