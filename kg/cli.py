# PYTHON_ARGCOMPLETE_OK  (argcomplete's marker: shell completion, docs/architecture.md)
"""The ``kg`` command: a thin layer over the Python API.

Each command parses its arguments, calls one public function, prints the result, and turns a
:class:`~kg.errors.KgError` into a one-line message and its exit code (0 ok, 1 data problems,
2 usage errors). ``main(argv)`` is callable from tests; ``entrypoint()`` passes ``sys.argv[1:]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from kg import __version__, config, console
from kg.cli_web import (
    cmd_export_html,
    cmd_export_jsonld,
    cmd_plot_coauthors,
    cmd_serve,
    export_site,
)
from kg.cliutil import (
    Parser,
    check_utf8,
    common_options,
    limit_options,
    opened,
    out_dir,
    output,
    parse,
    source_options,
    stdout,
    store_options,
)
from kg.console import error as _err
from kg.endpoints import doctor
from kg.errors import EXIT_USAGE, KgError, UsageError
from kg.ingest import IngestReport, extract, ingest, remove
from kg.queries import (
    Permissions,
    QueryLimits,
    format_answer,
    get_query,
    load_queries,
    run_query,
    run_sparql,
)
from kg.queries.library import parse_param_args, render_docs, set_query_folders
from kg.records import SourceOptions
from kg.records.pages import explain as explain_page
from kg.store import DUMP_FORMATS, sources, stats
from kg.validate import ENGINES, PURPOSES, validate

__all__ = ["entrypoint", "main"]

Handler = Callable[[argparse.Namespace], int]


def _options(args: argparse.Namespace) -> SourceOptions:
    return SourceOptions(mailto=args.mailto, cache_dir=args.cache, person=args.person,
                         org=args.org, source_name=args.source_name)  # fmt: skip


def cmd_ingest(args: argparse.Namespace, sources: Sequence[str] | None = None) -> int:
    from kg.records.stdin import command_line_sources

    specs = command_line_sources(args.sources if sources is None else sources, args.source_name)
    with console.progress() as progress, opened(args) as store:
        report: IngestReport = ingest(
            specs,
            store,
            strict=args.strict,
            quarantine=args.quarantine,
            options=_options(args),
            force=args.force,
            aggressive=args.aggressive,
            progress=progress,
            validate=not args.no_validate,
        )
    console.print_ingest(report, quarantine=args.quarantine)
    return report.exit_code


def cmd_extract(args: argparse.Namespace) -> int:
    if args.explain:
        for spec in args.sources:
            if not spec.startswith("page:"):
                raise UsageError(f"--explain reads page: sources only, not {spec!r}")
            print(explain_page(spec, _options(args)))
        return 0
    report = extract(args.sources, options=_options(args))
    out: IO[str]
    with output(args.out) if args.out else stdout() as out:
        for record in report.records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    for source in report.sources:
        console.print_source(source)
    return report.exit_code


def cmd_stats(args: argparse.Namespace) -> int:
    with opened(args, read_only=True) as store:
        result = stats(store)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        for key, value in result.as_dict().items():
            print(f"{key:>14}  {value:,}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    with opened(args, read_only=True) as store:
        listed = sources(store)
    if args.json:
        print(json.dumps([s.as_json() for s in listed], indent=2, ensure_ascii=False))
        return 0
    for s in listed:
        print(f"{s.name}\t{s.records} records\t{s.triples} triples\t{s.loaded_at}\t"
              f"{s.content_hash or '-'}")  # fmt: skip
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with opened(args) as store:
        gone = remove(args.source, store)
    print(f"removed {gone.name} ({gone.records} records, {gone.triples} triples)", file=sys.stderr)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    endpoint = args.endpoint or os.environ.get("KG_ENDPOINT")
    if not endpoint:
        raise UsageError("doctor: give --endpoint URL (or set KG_ENDPOINT)")
    report = doctor(endpoint, timeout=args.timeout)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def cmd_dump(args: argparse.Namespace) -> int:
    with opened(args, read_only=True) as store:
        if args.out:
            with output(args.out, "wb") as fh:
                store.dump(fh, args.format, graph=args.graph)
        else:
            store.dump(sys.stdout.buffer, args.format, graph=args.graph)
            sys.stdout.flush()
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from kg.resolve import report

    with opened(args, read_only=True) as store:
        result = report(store)
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        print(result.to_text())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    with console.spinner("validating"), opened(args, read_only=True) as store:
        report = validate(store, shapes_dir=args.shapes, severity=args.severity,
                          engine=args.engine, for_=args.for_)  # fmt: skip
    text = {"text": report.to_text, "json": report.to_json, "ttl": report.to_turtle}[args.format]()
    if args.out:
        with output(args.out) as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    if args.out or args.format != "text":  # the text report ends with the summary itself
        console.info(report.summary())
    return 0 if report.conforms else 1


def cmd_query_list(args: argparse.Namespace) -> int:
    queries = load_queries()
    if args.json:
        print(json.dumps([q.as_json() for q in queries.values()], indent=2, ensure_ascii=False))
    elif args.markdown:
        sys.stdout.write(render_docs(queries))
    else:
        width = max(len(n) for n in queries)
        for q in queries.values():
            params = " ".join(p.name if p.required else f"[{p.name}]" for p in q.params.values())
            print(f"{q.name:<{width}}  {q.title}{f'  ({params})' if params else ''}")
    return 0


def cmd_query_show(args: argparse.Namespace) -> int:
    q = get_query(args.name)
    print(f"# {q.name}: {q.title}\n# {q.description}")
    for p in q.params.values():
        print(f"# param {p.describe()}: {p.description} (example: {p.example})")
    print(f"# example: {q.example_command()}\n")
    sys.stdout.write(q.text.lstrip("\n"))
    return 0


def _print_answer(answer: Any, fmt: str | None) -> None:
    chosen = fmt or ("ttl" if answer.form in {"construct", "describe"} else "table")
    sys.stdout.write(format_answer(answer, chosen))
    sys.stdout.flush()
    if answer.notice():
        _err(answer.notice())


def _limits(args: argparse.Namespace) -> QueryLimits:
    return QueryLimits(timeout=args.timeout or None, max_rows=args.limit or None)


def cmd_query_run(args: argparse.Namespace) -> int:
    from kg.handles import PERSON, PUBLICATION, resolve

    params: dict[str, Any] = parse_param_args(args.param)
    query = get_query(args.name)
    with opened(args, read_only=True) as store:
        for name, kind in (("person", PERSON), ("work", PUBLICATION)):
            declared = query.params.get(name)
            if name in params and declared is not None and declared.kind == "iri":
                params[name] = resolve(params[name], store, kind)
        answer = run_query(query, params, store=store, limits=_limits(args))
    _print_answer(answer, args.format)
    return 0


def cmd_sparql(args: argparse.Namespace) -> int:
    text: str = args.query
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = sys.stdin.read() if text == "@-" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read query file {path}: {exc}") from None
    allow = Permissions(service=args.allow_service, update=args.allow_update,
                        load=args.allow_load, remote_from=args.allow_remote_from)  # fmt: skip
    with opened(args, read_only=not args.allow_update) as store:
        answer = run_sparql(text, store=store, allow=allow, limits=_limits(args))
    if answer.form == "update":
        print("update done", file=sys.stderr)
        return 0
    _print_answer(answer, args.format)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from kg.project import init

    path = init(args.directory, sources=args.init_sources, base_url=args.base_url, force=args.force)
    console.info(f"wrote {path}; edit it, then run: kg build")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from kg.project import build

    def validate_step() -> Any:
        with console.spinner("validating"), opened(args, read_only=True) as store:
            report = validate(store)
        console.info(f"validate: {report.summary()}")
        return report

    def export_step(out: Path) -> Any:
        with console.spinner("exporting"), opened(args, read_only=True) as store:
            report = export_site(args, store, args.out or out)
        for held in report.held_back:
            console.detail(f"  {held}")
        console.info(f"export: {report.summary()}")
        return report

    strict, args.strict = args.strict, False
    result = build(args.project, ingest_step=lambda sources: cmd_ingest(args, sources),
                   validate_step=validate_step, export_step=export_step, strict=strict)  # fmt: skip
    return result.exit_code


def _usage(args: argparse.Namespace) -> int:
    raise UsageError(f"{args.command}: choose what to write (see kg {args.command} --help)")


def _build_parser() -> Parser:
    parser = Parser(
        prog="kg",
        description="Build, check and serve a schema.org + FOAF knowledge graph of researchers.",
        epilog="Run `kg COMMAND --help` for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"kg {__version__}")
    common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_: str, example: str, handler: Handler, within: Any = sub) -> Parser:
        p: Parser = within.add_parser(name, help=help_, description=help_, epilog=f"example:\n  {example}",
                                       formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        p.set_defaults(handler=handler)
        common_options(p)
        return p

    p = command("ingest", "Import sources (record files, RDF files, directories) into the store.",
                "kg ingest examples/group examples/seed --quarantine rejected.jsonl", cmd_ingest)  # fmt: skip
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help="a file, a directory, - (JSON Lines on stdin), or scheme:value (orcid:, doi:, "
                        "page: ...); default: kg.toml [sources] inputs")  # fmt: skip
    p.add_argument("--quarantine", metavar="FILE", type=Path,
                   help="append rejected records with their reasons (JSON Lines)")  # fmt: skip
    p.add_argument("--strict", action="store_true",
                   help="reject the whole batch if any record is invalid; the store stays unchanged")  # fmt: skip
    p.add_argument("--force", action="store_true", help="re-load sources even if unchanged")
    p.add_argument("--aggressive", action="store_true",
                   help="also merge people across sources on the same name alone")  # fmt: skip
    p.add_argument("--no-validate", action="store_true",
                   help="skip the SHACL gate (records with violations are then committed too)")  # fmt: skip
    store_options(p)
    source_options(p)

    p = command("init", "Write a commented kg.toml (the project file) in DIR, listing the record files "
                "and folders found there as sources.", "kg init --base-url https://lab.example.org/", cmd_init)  # fmt: skip
    p.add_argument("directory", nargs="?", default=".", type=Path, metavar="DIR")
    p.add_argument("--source", dest="init_sources", action="append", metavar="SOURCE",
                   help="a source to list (repeatable; default: what DIR holds)")  # fmt: skip
    p.add_argument("--base-url", metavar="URL", help="where the site will be served")
    p.add_argument("--force", action="store_true", help="replace an existing kg.toml")

    p = command("build", "Run the project in kg.toml: ingest its sources, validate, export the site.",
                "kg build", cmd_build)  # fmt: skip
    p.add_argument("--quarantine", metavar="FILE", type=Path, help="keep rejected records here")
    p.add_argument("--force", action="store_true", help="re-load sources even if unchanged")
    p.add_argument("--strict", action="store_true",
                   help="pages held back by the Google/Scholar checks fail the build (exit 1)")  # fmt: skip
    p.add_argument("--base-url", metavar="URL", help="default: kg.toml [site] base_url")
    p.add_argument("--out", metavar="DIR", type=Path, help="default: kg.toml [site] out")
    p.set_defaults(aggressive=False, no_validate=False, templates=None, site_name=None,
                   profile_url=None, publication_url=None, url_map=None)  # fmt: skip
    store_options(p)
    source_options(p)

    p = command("extract", "Print the records sources would yield, as JSON Lines; the store is untouched.",
                "kg extract examples/group/people.yaml --out people.jsonl", cmd_extract)  # fmt: skip
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--explain", action="store_true",
                   help="page: sources: print each line with the kind given to it, the lists and "
                        "entries found and the owner's evidence, instead of records")  # fmt: skip
    source_options(p)

    p = command("resolve", "Explain entity resolution: every merge with its evidence, and the near misses.",
                "kg resolve --report --json", cmd_resolve)  # fmt: skip
    p.add_argument("--report", action="store_true", required=True,
                   help="print the merges and near misses recorded in the store")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON")
    store_options(p)

    p = command("stats", "Count triples, people, organizations, publications and graphs.",
                "kg stats --json", cmd_stats)  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON")
    store_options(p)

    p = command("sources", "List the sources in the store: name, records, triples, loaded at, "
                "content hash.", "kg sources --json", cmd_sources)  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON")
    store_options(p)

    p = command("remove", "Drop one source (all its triples) from the store, atomically.",
                "kg remove examples/group/thesis.json", cmd_remove)  # fmt: skip
    p.add_argument("source", metavar="SOURCE",
                   help="a source's name or key as kg sources lists it, or a file's path")  # fmt: skip
    store_options(p)

    p = command("doctor", "Check a SPARQL endpoint for what kg needs; each failure says what to change.",
                "kg doctor --endpoint http://127.0.0.1:8890/sparql", cmd_doctor)  # fmt: skip
    p.add_argument("--endpoint", metavar="URL", help="the query URL (default: $KG_ENDPOINT)")
    p.add_argument("--timeout", metavar="S", type=float,
                   help="seconds to wait for each answer (default: $KG_ENDPOINT_TIMEOUT or 60)")  # fmt: skip

    p = command("dump", "Serialize the graph (or one named graph).",
                "kg dump --format ttl --out graph.ttl", cmd_dump)  # fmt: skip
    p.add_argument("--format", choices=sorted(DUMP_FORMATS), default="nq")
    p.add_argument("--graph", metavar="IRI", help="only this named graph")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    store_options(p)

    p = command("validate", "Check the graph against the SHACL shapes; exit 1 on any violation.",
                "kg validate --format json --severity warning", cmd_validate)  # fmt: skip
    p.add_argument("--shapes", metavar="DIR", help="directory of *.ttl shapes (default: shapes/)")
    p.add_argument("--format", choices=["text", "json", "ttl"], default="text")
    p.add_argument("--severity", choices=["violation", "warning", "info"], default="info",
                   help="report results of this severity and above (default: info)")  # fmt: skip
    p.add_argument("--engine", choices=list(ENGINES), default="auto",
                   help="sparql (Oxigraph), pyshacl, or auto: sparql with pySHACL for the rest")  # fmt: skip
    p.add_argument("--for", dest="for_", choices=list(PURPOSES), default="data",
                   help="data: problems in the records (default); web: Google's and Scholar's "
                        "publishing rules for the exported pages; all: both")  # fmt: skip
    p.add_argument("--out", metavar="FILE", help="write the report to FILE instead of stdout")
    store_options(p)

    qp = command("query", "List, show and run the saved SPARQL queries (queries/*.rq).",
                 "kg query run person-coauthors -p person=0000-0000-0000-0116 -p since=2020",
                 lambda _args: _missing_subcommand(qp))  # fmt: skip
    qsub = qp.add_subparsers(dest="query_command", metavar="ACTION", parser_class=Parser)
    q = command("list", "The saved queries with their parameters (built-ins, KG_QUERIES, kg.toml).",
                "kg query list --json", cmd_query_list, qsub)  # fmt: skip
    q.add_argument("--json", action="store_true", help="print the headers as JSON")
    q.add_argument("--markdown", action="store_true", help="print docs/queries.md")
    q = command("show", "A saved query's header and SPARQL.", "kg query show person-coauthors",
                cmd_query_show, qsub)  # fmt: skip
    q.add_argument("name", help="a saved query's name, or a path to a .rq file")
    q = command("run", "Run a saved query (or a .rq file) with parameters. A person (-p person=) "
                "may be an IRI, kgid: CURIE, ORCID, record key or name; a work a DOI, key or title.",
                "kg query run person-publications -p person='Ines Varga' --format csv",
                cmd_query_run, qsub)  # fmt: skip
    name = q.add_argument("name", help="a saved query's name, or a path to a .rq file")
    name.completer = lambda **_kw: list(load_queries())  # type: ignore[attr-defined]
    q.add_argument("--param", "-p", action="append", metavar="NAME=VALUE",
                   help="a parameter value; repeat for each parameter")  # fmt: skip
    limit_options(q)
    store_options(q)

    p = command("sparql", "Run an ad-hoc SPARQL query: read-only and bounded unless allowed.",
                "kg sparql 'SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name }' --format json",
                cmd_sparql)  # fmt: skip
    p.add_argument("query", metavar="QUERY", help="the SPARQL text, or @FILE.rq (@- for stdin)")
    g = p.add_argument_group("permissions (all refused by default)")
    g.add_argument("--allow-service", action="store_true", help="allow SERVICE (federated) calls")
    g.add_argument("--allow-update", action="store_true", help="allow SPARQL Update")
    g.add_argument("--allow-load", action="store_true", help="allow LOAD in an update")
    g.add_argument("--allow-remote-from", action="store_true",
                   help="allow FROM / FROM NAMED with file: or non-kg IRIs")  # fmt: skip
    limit_options(p)
    store_options(p)

    p = command("export", "Write the web export: JSON-LD documents or a static HTML site.",
                "kg export html --out out/site --base-url https://lab.example.org/ --person 0000-0000-0000-0116",
                _usage)  # fmt: skip
    export = p.add_subparsers(dest="export_kind", metavar="KIND", parser_class=Parser)
    for kind, help_, handler in (
        ("jsonld", "One JSON-LD document per person and per publication.", cmd_export_jsonld),
        ("snippets", "One <script type=\"application/ld+json\"> snippet per person and per "
         "publication, safe to include in a host site's pages.", cmd_export_jsonld),
        ("html", "A static site: index, profile and publication pages, sitemap.xml.", cmd_export_html),
    ):  # fmt: skip
        e = command(kind, help_ + " Each page is checked against shapes/google.ttl and "
                    "shapes/scholar.ttl first; a page with a violation is held back (exit 1) unless --force.",
                    f"kg export {kind} --out out/{kind} --base-url https://lab.example.org/ --person 'Ines Varga'",
                    handler, export)  # fmt: skip
        e.add_argument("--out", metavar="DIR", required=True, type=Path, help="output directory")
        e.add_argument("--person", metavar="WHO", action="append",
                       help="only this person: IRI, kgid: CURIE, ORCID, record key or name "
                            "(repeatable; default: everyone with a Person record)")  # fmt: skip
        e.add_argument("--base-url", metavar="URL",
                       help="where the pages will be served, e.g. https://lab.example.org/"
                       + (" (default: file: URLs under --out)" if kind == "jsonld" else " (required)"))  # fmt: skip
        e.add_argument("--profile-url", metavar="PATTERN",
                       help="URL of a profile page on the host site, with {slug}: "
                       "https://lab.example.org/people/{slug}/")  # fmt: skip
        e.add_argument("--publication-url", metavar="PATTERN",
                       help="URL of a publication page on the host site, with {slug}")  # fmt: skip
        e.add_argument("--url-map", metavar="FILE", type=Path,
                       help='JSON {"<person/publication IRI or record id>": "<URL>"}: '
                       "pages whose URL follows no pattern")  # fmt: skip
        e.add_argument("--site-name", metavar="NAME",
                       help="the site's name (default: Research profiles)")  # fmt: skip
        e.add_argument("--templates", metavar="DIR", type=Path,
                       help="Jinja2 templates that override the bundled ones (same file names; html only)")  # fmt: skip
        if kind == "jsonld":
            e.add_argument("--format", choices=("json", "script"), default="json",
                           help="json: .jsonld documents (valid JSON-LD, NOT safe to paste raw into "
                           "<script>); script: the same as kg export snippets")  # fmt: skip
        else:
            e.set_defaults(format="json")
        e.add_argument("--force", action="store_true",
                       help="write pages that fail the Google/Scholar checks too (with a warning)")  # fmt: skip
        e.add_argument("--no-publication-pages", dest="publications", action="store_false",
                       help="profile pages only: publications are listed on them, without pages of their own")  # fmt: skip
        e.add_argument("--rebuild", dest="incremental", action="store_false",
                       help="build every page, not only those new data changes (files are still "
                       "rewritten only when their content changed)")  # fmt: skip
        store_options(e)

    p = command("serve", "Preview a site written by kg export html on 127.0.0.1, links working.",
                "kg serve out/site --port 8000", cmd_serve)  # fmt: skip
    p.add_argument(
        "dir", metavar="DIR", type=Path, help="the site's directory (kg export html --out)"
    )
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port)")  # fmt: skip
    p.add_argument("--base-url", metavar="URL",
                   help="the base URL the site was written for (default: read from its index page)")  # fmt: skip

    p = command("plot", "Draw pictures of the graph.",
                "kg plot coauthors --person 0000-0000-0000-0116 --out varga.svg", _usage)  # fmt: skip
    plot = p.add_subparsers(dest="plot_kind", metavar="KIND", parser_class=Parser)
    c = command("coauthors", "A person's co-author network as an SVG picture (no JavaScript).",
                "kg plot coauthors --person 'Ines Varga' --out varga.svg", cmd_plot_coauthors, plot)  # fmt: skip
    c.add_argument("--person", metavar="WHO", required=True,
                   help="IRI, kgid: CURIE, ORCID, record key or name")  # fmt: skip
    c.add_argument("--out", metavar="FILE", required=True, type=Path)
    c.add_argument("--base-url", metavar="URL", help="link co-authors to their profile pages here")
    store_options(c)
    return parser


def _missing_subcommand(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def _prepare(args: argparse.Namespace) -> None:
    """Volume, the project file, the environment: settled before a command runs."""
    console.set_verbosity(-1 if args.quiet else min(args.verbose, 1))
    if args.command != "init":  # init writes the file: a broken one must not stop it
        args.project = config.current(args.config)
        config.apply(args.project, args)
    console.check_environment()
    if isinstance(getattr(args, "out", None), Path) and args.command == "export":
        out_dir(args.out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kg`` with ``argv`` and return the exit code."""
    parser = _build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (argcomplete), then exits
        import argcomplete

        argcomplete.autocomplete(parser)
    argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        check_utf8(argv)
        args = parse(parser, argv)
        if not getattr(args, "handler", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        _prepare(args)
        handler: Handler = args.handler
        return handler(args)
    except KgError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    finally:  # one run's settings end with it (main() is called many times in tests)
        console.set_verbosity(console.NORMAL)
        set_query_folders([])


def entrypoint() -> None:
    """Console script entry point."""
    sys.exit(main())
