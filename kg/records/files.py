"""Record files: JSON (an object or an array), JSON Lines, CSV and YAML; and RDF files.

Every malformed file gets a one-line :class:`~kg.errors.DataError` that names the file and what
was expected. CSV columns and the list separator are documented in docs/records.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg import ids, limits
from kg.errors import DataError, SourceError, UsageError
from kg.records.protocols import RDF_SUFFIXES, RECORD_SUFFIXES, RawRecord

__all__ = [
    "CSV_COLUMNS",
    "LIST_SEPARATOR",
    "ROOT_MARKER",
    "RdfFile",
    "RecordFile",
    "open_file",
    "source_name",
    "source_root",
]

#: Separator of list values inside one CSV cell ("topics": "Deep Learning|Optimization").
LIST_SEPARATOR = "|"

#: CSV columns per record type. List columns hold LIST_SEPARATOR-separated values.
CSV_COLUMNS: dict[str, dict[str, str]] = {
    "Person": {
        "id": "str", "name": "str", "given_name": "str", "family_name": "str",
        "alternate_names": "list", "orcid": "str", "dblp": "str", "openalex": "str",
        "homepage": "str", "same_as": "list", "job_title": "str", "status": "status",
        "affiliation": "affiliation", "affiliation_ror": "affiliation", "topics": "list",
        "description": "str", "image": "str",
    },
    "Organization": {
        "id": "str", "name": "str", "alternate_names": "list", "ror": "str", "url": "str",
        "parent": "str",
    },
    "Publication": {
        "id": "str", "doi": "str", "arxiv": "str", "openalex": "str", "dblp": "str",
        "title": "str", "authors": "authors", "author_orcids": "authors", "abstract": "str",
        "abstract_truncated": "bool", "untitled": "bool", "date": "str", "venue": "str", "venue_type": "str",
        "url": "str", "pdf_url": "str", "topics": "list",
    },
}  # fmt: skip
_REQUIRED_CSV = {"Person": ("name",), "Organization": ("name",), "Publication": ("authors",)}


def _read_text(path: Path, *, limit: str = "max_file_bytes") -> str:
    """The file's text; refused over the byte ``limit`` (a :class:`kg.limits.Limits` field) by
    its size before it is read, and again by what was read (a file can grow meanwhile)."""
    limits.check_file_size(path, limit=limit)
    try:
        data = limits.read_file_bytes(path, limit=limit)  # regular files only
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    limits.check_size(len(data), where=str(path), limit=limit)
    if not data.strip():
        raise DataError(f"{path}: file is empty, expected records")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _records_of(path: Path, value: Any) -> Iterator[RawRecord]:
    if isinstance(value, dict):
        yield RawRecord(1, value)
    elif isinstance(value, list):
        for i, item in enumerate(value, 1):
            yield RawRecord(i, item)
    else:
        raise DataError(f"{path}: expected a record object or an array of records")


def _json_value(text: str, where: str, *, one_line: bool = False) -> Any:
    """Parse JSON whose nesting depth was bounded first (CPython's parser recurses)."""
    limits.check_json_depth(text, where=where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = "" if one_line else f" at line {exc.lineno} column {exc.colno}"
        raise DataError(f"{where}: invalid JSON{at}: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer over sys.get_int_max_str_digits() digits
        raise DataError(f"{where}: invalid JSON: {exc}") from None


def _json(path: Path, text: str) -> Iterator[RawRecord]:
    yield from _records_of(path, _json_value(text, str(path)))


def _jsonl(path: Path, text: str) -> Iterator[RawRecord]:
    number = 0
    # Only \n (and \r\n) end a JSON Lines line (https://jsonlines.org/); str.splitlines() would
    # also split inside a record at U+2028, U+0085, \x1c... which JSON allows unescaped in strings.
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        number += 1
        yield RawRecord(number, _json_value(line, f"{path}: line {lineno}", one_line=True))


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the node nesting depth bounded while composing (the composer
    recurses per level, for block and flow style alike)."""

    max_depth = 64
    where = ""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise limits.over_limit(
                    "max_json_depth", self._depth, where=self.where, what="nesting depth"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Timestamps stay strings: records want text dates, and PyYAML's timestamp constructor raises a
# bare ValueError on out-of-range dates such as 2024-13-45 (AttributeError with an explicit
# ``!!timestamp`` tag on text that is no date at all).
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "a !!timestamp must be a scalar", node.start_mark
        )
    return loader.construct_scalar(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _unsupported(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"unsupported YAML type {node.tag.replace('tag:yaml.org,2002:', '!!')} "
        "(records hold text, numbers, booleans, null, lists and mappings)", node.start_mark,
    )  # fmt: skip


# Safe scalar types only: PyYAML's safe loader would still build bytes (!!binary), sets and
# ordered pairs, which no record field takes and the schema checker cannot read.
for _tag in ("binary", "set", "omap", "pairs"):
    _YamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _unsupported)


def _yaml(path: Path, text: str) -> Iterator[RawRecord]:
    loader_class = type("_Loader", (_YamlLoader,), {
        "max_depth": limits.current().max_json_depth, "where": str(path)
    })  # fmt: skip
    loader = None
    try:
        loader = loader_class(text)  # the reader refuses control characters already here
        value = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DataError(f"{path}: invalid YAML{where}: {problem}") from None
    except ValueError as exc:  # e.g. an integer over sys.get_int_max_str_digits() digits
        raise DataError(f"{path}: invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    yield from _records_of(path, _plain(value, where=str(path)))


def _expanded_size(root: Any, *, where: str) -> int:
    """The node count of a YAML value once its aliases are expanded, found without expanding
    (each shared node is sized once), and refused over ``KG_MAX_YAML_NODES`` before anything is
    copied. An alias inside the node it names (``&a [*a]``) is a cycle and refused."""
    lim = limits.current()
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the nodes on the current path (their size is not known yet)
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if not isinstance(node, dict | list):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        key = id(node)
        if finished:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[key] > lim.max_yaml_nodes:
                raise limits.over_limit(
                    "max_yaml_nodes", sizes[key], where=where, what="node count (aliases expanded)"
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise DataError(f"{where}: a YAML alias refers to a node that contains it (a cycle)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list))
    return sizes.get(id(root), 1)


def _plain(value: Any, *, where: str) -> Any:
    """A YAML value as JSON-like data: dates (explicit ``!!timestamp``) become ISO strings, and
    aliases are expanded once :func:`_expanded_size` has bounded the result."""
    import datetime

    _expanded_size(value, where=where)
    max_depth = limits.current().max_json_depth

    def walk(node: Any, depth: int) -> Any:
        if isinstance(node, dict | list) and depth > max_depth:
            raise limits.over_limit("max_json_depth", depth, where=where, what="nesting depth")
        if isinstance(node, dict):
            return {k: walk(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        if isinstance(node, datetime.datetime | datetime.date):
            return node.isoformat()
        return node

    return walk(value, 1)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR)]


def _csv_row(path: Path, lineno: int, row: dict[str, str]) -> dict[str, Any]:
    rtype = (row.get("type") or "").strip()
    columns = CSV_COLUMNS.get(rtype)
    if columns is None:
        return {k: v for k, v in row.items() if v}  # the schema check reports the bad type
    record: dict[str, Any] = {"type": rtype}
    for column, cell in row.items():
        if column == "type" or cell is None or not cell.strip():
            continue
        kind = columns.get(column)
        if kind is None:
            record[column] = cell  # unknown column for this type: the schema check reports it
        elif kind == "str":
            record[column] = cell.strip()
        elif kind == "list":
            record[column] = [v for v in _split(cell) if v]
        elif kind == "bool":
            record[column] = cell.strip().lower() in {"true", "yes", "1"}
        elif kind == "status":
            record["status"] = [{"value": cell.strip()}]
    if rtype == "Person" and (row.get("affiliation") or "").strip():
        aff: dict[str, Any] = {"name": row["affiliation"].strip()}
        if (row.get("affiliation_ror") or "").strip():
            aff["ror"] = row["affiliation_ror"].strip()
        record["affiliations"] = [aff]
    if rtype == "Publication" and (row.get("authors") or "").strip():
        names = _split(row["authors"])
        orcids = _split(row.get("author_orcids") or "")
        authors = []
        for i, name in enumerate(names):
            author: dict[str, Any] = {"name": name}
            if i < len(orcids) and orcids[i]:
                author["orcid"] = orcids[i]
            authors.append(author)
        record["authors"] = authors
    return record


def _csv(path: Path, text: str) -> Iterator[RawRecord]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        yield from _csv_rows(path, reader)
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL byte...
        raise DataError(f"{path}: line {reader.line_num}: invalid CSV: {exc}") from None


def _csv_rows(path: Path, reader: csv.DictReader[str]) -> Iterator[RawRecord]:
    header = reader.fieldnames or []
    if "type" not in header:
        raise DataError(
            f"{path}: CSV header has no 'type' column "
            f"(expected a 'type' column with Person, Publication or Organization)"
        )
    seen_types: set[str] = set()
    for number, row in enumerate(reader, 1):
        if None in row:
            raise DataError(
                f"{path}: line {reader.line_num}: {len(header) + len(row[None])} cells "
                f"for {len(header)} columns"
            )
        rtype = (row.get("type") or "").strip()
        if rtype in _REQUIRED_CSV and rtype not in seen_types:
            seen_types.add(rtype)
            missing = [c for c in _REQUIRED_CSV[rtype] if c not in header]
            if missing:
                raise DataError(
                    f"{path}: CSV has {rtype} rows but no column {', '.join(map(repr, missing))}"
                )
        yield RawRecord(number, _csv_row(path, reader.line_num, row))


_READERS = {
    ".json": _json,
    ".jsonl": _jsonl,
    ".ndjson": _jsonl,
    ".csv": _csv,
    ".yaml": _yaml,
    ".yml": _yaml,
}


#: The file that marks a project root: source names are paths relative to its directory.
ROOT_MARKER = "kg.toml"


def source_root(start: Path | None = None) -> Path:
    """The project root that names local sources: the nearest directory from ``start`` (the
    current directory) upwards that holds a ``kg.toml``, else ``start`` itself."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ROOT_MARKER).is_file():
            return folder
    return here


def source_name(path: Path, root: Path | None = None) -> str:
    """A file's name as a source: its path relative to the project root (:func:`source_root`),
    with ``/`` separators; ``..`` steps when the file lies outside the root.

    >>> source_name(Path("/data/lab/people.json"), Path("/data"))
    'lab/people.json'
    """
    base = (root or source_root()).resolve()
    return Path(os.path.relpath(path.resolve(), base)).as_posix()


@dataclass(frozen=True)
class _LocalFile:
    path: Path
    #: the source's name (``--source-name``, or the path relative to the project root)
    name: str = ""

    @property
    def source_name(self) -> str:
        return self.name or source_name(self.path)

    @property
    def key(self) -> str:
        """``https://w3id.org/kg/id/source/<name>``: no absolute path, no machine in it."""
        return ids.source_key(self.source_name)

    @property
    def label(self) -> str:
        """How messages name the file: the path as given. The store keeps :attr:`source_name`."""
        return str(self.path)


@dataclass(frozen=True)
class RecordFile(_LocalFile):
    """A record file; :meth:`iter_records` reads and decodes it, raising DataError when malformed."""

    def iter_records(self) -> Iterator[RawRecord]:
        text = _read_text(self.path)
        yield from _READERS[self.path.suffix.lower()](self.path, text)

    def content_hash(self) -> str:
        """SHA-256 of the file bytes, used to skip re-ingesting an unchanged file."""
        return hashlib.sha256(limits.read_file_bytes(self.path)).hexdigest()


@dataclass(frozen=True)
class RdfFile(_LocalFile):
    """An RDF file, loaded as it is into a named graph of its own."""

    def read_rdf(self) -> tuple[bytes, str]:
        text = _read_text(self.path, limit="max_rdf_bytes")
        return text.encode("utf-8"), RDF_SUFFIXES[self.path.suffix.lower()]

    def content_hash(self) -> str:
        return hashlib.sha256(limits.read_file_bytes(self.path, limit="max_rdf_bytes")).hexdigest()


def open_file(path: Path, *, name: str | None = None) -> RecordFile | RdfFile:
    """A record or RDF file, chosen by extension; UsageError for any other extension.

    ``name`` is the source's identity (``--source-name``); by default the file's path relative
    to the project root (:func:`source_name`)."""
    suffix = path.suffix.lower()
    if not suffix and not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if name is not None and not name.strip():
        raise UsageError("--source-name: the name is empty")
    fixed = name.strip() if name is not None else source_name(path)
    if suffix in _READERS:
        return RecordFile(path, fixed)
    if suffix in RDF_SUFFIXES:
        return RdfFile(path, fixed)
    expected = ", ".join([*RECORD_SUFFIXES, *RDF_SUFFIXES])
    raise UsageError(
        f"{path}: unknown file type '{suffix or path.name}' (expected one of {expected})"
    )
