"""The one place that knows where ``../shared`` (fixtures and seeds beside the project) lives.

The path defaults to ``../shared`` relative to the project root and can be overridden with the
``KG_SHARED`` environment variable. Only tests, the demo and benchmarks use it; kg itself never
needs it at run time.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "shared_dir"]


def project_root() -> Path:
    """The directory holding ``pyproject.toml`` (the repository root)."""
    return Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """``$KG_SHARED`` if set, else ``<project root>/../shared``.

    >>> shared_dir().name in {"shared", os.environ.get("KG_SHARED", "shared").rstrip("/").split("/")[-1]}
    True
    """
    override = os.environ.get("KG_SHARED")
    if override:
        return Path(override).resolve()
    return (project_root().parent / "shared").resolve()
