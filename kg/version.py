"""kg's version, from the installed package metadata (PEP 566), in a module of its own so that
any module can read it without importing the ``kg`` package's facade (no import cycle)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "__version__"]

#: the name kg is published under (``pip install kg-research``; PyPI's ``kg`` is another
#: project); the import package and the command stay ``kg``
DISTRIBUTION = "kg-research"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
