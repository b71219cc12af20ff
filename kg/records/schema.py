"""The record JSON Schemas (draft 2020-12) shipped in ``kg/records/schemas/``, and record checking.

The schemas reference ``common.schema.json``; they are bundled here into self-contained schemas
(``$defs`` copied in), so nothing is ever retrieved by URL. A record is checked with jsonschema-rs
first (about 100x faster, measured in docs/architecture.md); only a record that fails is checked
again with ``jsonschema`` to list every error with its JSON path and a readable message.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs

__all__ = ["RECORD_TYPES", "RecordIssue", "check_record", "record_schema"]

RECORD_TYPES = ("Person", "Publication", "Organization")
_FILES = {
    "Person": "person.schema.json",
    "Publication": "publication.schema.json",
    "Organization": "organization.schema.json",
}


@dataclass(frozen=True)
class RecordIssue:
    """One reason a record was rejected: where in the record (a JSON path) and what was expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _load(name: str) -> dict[str, Any]:
    text = resources.files("kg.records").joinpath("schemas", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace("common.schema.json#", "#")
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


@cache
def record_schema(record_type: str) -> dict[str, Any]:
    """The self-contained JSON Schema of one record type.

    >>> record_schema("Person")["title"]
    'kg Person record'
    """
    if record_type not in _FILES:
        raise KeyError(record_type)
    schema = _rewrite_refs(_load(_FILES[record_type]))
    schema.setdefault("$defs", {}).update(copy.deepcopy(_load("common.schema.json")["$defs"]))
    return dict(schema)


@cache
def _fast(record_type: str) -> Any:
    return jsonschema_rs.validator_for(record_schema(record_type))


@cache
def _slow(record_type: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(record_schema(record_type))


def _json_path(parts: Iterator[Any] | Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _explain(error: jsonschema.ValidationError) -> str:
    validator = error.validator
    if validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return f"required field '{missing}' is missing"
    if validator == "additionalProperties":
        return f"unknown field ({error.message.split('(')[-1].rstrip(')')})"
    if validator == "pattern" and isinstance(error.schema, dict):
        desc = error.schema.get("description")
        shown = repr(error.instance)[:80]
        return f"{shown} is not in the expected form" + (f" ({desc})" if desc else "")
    if validator == "enum" and isinstance(error.schema, dict):
        return f"{error.instance!r} is not one of {', '.join(map(str, error.schema['enum']))}"
    if validator == "const":
        return f"expected {error.validator_value!r}, got {error.instance!r}"
    if validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    if validator == "minLength" or validator == "minItems":
        return "must not be empty"
    return str(error.message)[:300]


def check_record(record: Any) -> list[RecordIssue]:
    """Check one record against the schema of its ``type``; an empty list means it is valid.

    >>> check_record({"type": "Person", "name": "Ada Lovelace"})
    []
    >>> [str(i) for i in check_record({"type": "Person", "name": "Ada", "orcid": "12"})]
    ["$.orcid: '12' is not in the expected form (An ORCID iD, ...)"]
    """
    if not isinstance(record, dict):
        return [RecordIssue("$", f"a record must be a JSON object, got {type(record).__name__}")]
    rtype = record.get("type")
    if not isinstance(rtype, str) or rtype not in _FILES:  # {"type": {}} is unhashable
        expected = ", ".join(RECORD_TYPES)
        return [RecordIssue("$.type", f"expected one of {expected}, got {rtype!r}")]
    if _fast(rtype).is_valid(record):
        return []
    errors = sorted(_slow(rtype).iter_errors(record), key=lambda e: list(e.absolute_path))
    return [RecordIssue(_json_path(e.absolute_path), _explain(e)) for e in errors] or [
        RecordIssue("$", "does not match the record schema")
    ]
