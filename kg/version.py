"""kg's version, from the installed package metadata (PEP 566), in a module of its own so that
any module can read it without importing the ``kg`` package's facade (no import cycle)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("kg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
