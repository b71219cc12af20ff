"""The ``kg`` commands that write for the web: ``export html|jsonld|snippets``, ``serve`` and
``plot coauthors``, and the site export of ``kg build`` — thin layers over :mod:`kg.export`.

Site options come from the flags ``--base-url`` … ``--templates``, which ``kg.toml``'s ``[site]``
table fills when a flag is not given (:mod:`kg.config`); people are named by any handle
(:mod:`kg.handles`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kg.cliutil import opened, out_dir, output
from kg.console import error as _err
from kg.errors import UsageError

__all__ = [
    "cmd_export_html",
    "cmd_export_jsonld",
    "cmd_plot_coauthors",
    "cmd_serve",
    "export_site",
    "site_options",
]


def _people(args: argparse.Namespace, store: Any) -> list[str] | None:
    """``--person`` handles (IRI, CURIE, ORCID, record key, name) as IRIs (:mod:`kg.handles`)."""
    from kg.handles import resolve_person

    return [resolve_person(h, store) for h in args.person] if args.person else None


def _print_export(report: Any) -> int:
    for held in report.held_back:
        _err(str(held))
    for note in report.forced:
        _err(f"warning: written with --force: {note.label!r} ({note.url}): {note.problem.message}")
    for dropped in report.dropped_links:
        _err(f"warning: {dropped}")
    for message, pages in report.warning_counts().items():
        print(f"  warning on {pages} page{'s' if pages != 1 else ''}: {message}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return int(report.exit_code)


def site_options(
    args: argparse.Namespace, *, default_base: str | None = None, command: str | None = None
) -> Any:
    """The export's :class:`kg.export.SiteOptions` from the ``--base-url`` ... ``--templates``
    flags (``kg.toml``'s ``[site]`` fills the same dests when a flag is not given)."""
    from kg.export import SiteOptions

    base = args.base_url or default_base
    if base is None:
        command = command or f"kg export {args.export_kind}"
        raise UsageError(f"{command}: --base-url is required (or [site] base_url in kg.toml)")
    return SiteOptions(base, profile_url=args.profile_url, publication_url=args.publication_url,
                       url_map=args.url_map, site_name=args.site_name, templates=args.templates)  # fmt: skip


def cmd_export_jsonld(args: argparse.Namespace) -> int:
    from kg.export import export_jsonld

    snippets = args.export_kind == "snippets" or args.format == "script"
    default = None if snippets else Path(args.out).resolve().as_uri() + "/"
    site = site_options(args, default_base=default)
    with opened(args, read_only=True) as store:
        report = export_jsonld(store, args.out, site=site, people=_people(args, store),
                               force=args.force, publications=args.publications,
                               snippets=snippets, incremental=args.incremental)  # fmt: skip
    return _print_export(report)


def cmd_export_html(args: argparse.Namespace) -> int:
    from kg.export import export_html

    site = site_options(args)
    with opened(args, read_only=True) as store:
        report = export_html(store, args.out, site=site, people=_people(args, store),
                             force=args.force, publications=args.publications,
                             incremental=args.incremental)  # fmt: skip
    return _print_export(report)


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.export.serve import serve

    serve(args.dir, port=args.port, base_url=args.base_url, announce=lambda line: _err(line))
    return 0


def cmd_plot_coauthors(args: argparse.Namespace) -> int:
    from kg.export import coauthor_picture
    from kg.handles import resolve_person

    with opened(args, read_only=True) as store:
        svg = coauthor_picture(resolve_person(args.person, store), store, base_url=args.base_url)
    with output(args.out) as fh:
        fh.write(svg)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def export_site(args: argparse.Namespace, store: Any, out: Path) -> Any:
    """The static site for ``kg build``: the one place build calls the export API."""
    from kg.export import export_html

    site = site_options(args, command="kg build")
    return export_html(store, out_dir(out), site=site)
