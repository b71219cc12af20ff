"""The one golden-file mechanism of the suite: expected results committed under tests/data,
compared as RDF graphs (isomorphism, never bytes) or as JSON values.

After an intended change, rewrite them with ``pytest --update-golden [tests…]`` and review the
diff before committing. The option is refused under ``CI=true``: CI only compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic

__all__ = ["check_graph", "check_json", "set_updating", "updating"]

_UPDATE = False


def set_updating(value: bool) -> None:
    """Called once by tests/conftest.py from the ``--update-golden`` option."""
    global _UPDATE
    _UPDATE = value


def updating() -> bool:
    """True when this run rewrites golden files (``pytest --update-golden``)."""
    return _UPDATE


def _missing(path: Path) -> str:
    return f"no golden file {path}; run pytest --update-golden and review it"


def check_graph(
    path: Path,
    got: Graph,
    *,
    stored: str | None = None,
    read: Callable[[Path], Graph] | None = None,
    label: str = "",
) -> None:
    """Assert ``got`` is isomorphic to the graph in ``path``.

    ``stored`` is the text written on update (default: ``got`` as Turtle); ``read`` loads the file
    as the graph to compare (default: rdflib's parser guessing from the suffix), so a golden
    JSON-LD document can be normalized exactly like the graph it is compared with.
    """
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = stored if stored is not None else got.serialize(format="turtle")
        path.write_text(text, encoding="utf-8")
    assert path.exists(), _missing(path)
    want = read(path) if read is not None else Graph().parse(path)
    a, b = to_isomorphic(got), to_isomorphic(want)
    if a != b:
        _, only_got, only_want = graph_diff(a, b)
        new = "\n+ ".join(sorted(only_got.serialize(format="nt").splitlines()))
        gone = "\n- ".join(sorted(only_want.serialize(format="nt").splitlines()))
        pytest.fail(f"{label or path.name}: graph differs from {path}\n+ {new}\n- {gone}")


def check_json(path: Path, got: Any) -> None:
    """Assert the JSON value ``got`` equals the one in ``path`` (rewritten on update)."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), _missing(path)
    assert got == json.loads(path.read_text(encoding="utf-8")), f"differs from {path}"
