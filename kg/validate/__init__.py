"""SHACL validation of the graph: shapes in ``shapes/``, a typed report, and the ingest gate.

- :func:`validate` checks a store or graph against every ``*.ttl`` in the shapes directory and
  returns a :class:`ValidationReport` (text, JSON and standard Turtle renderings).
- :func:`gate` checks a batch of mapped records before ``kg ingest`` commits it, and says which
  records to hold back.

Two engines give the same results: SHACL translated to SPARQL and run on Oxigraph (fast, the
default) and pySHACL (the reference, and the fallback for anything the translation does not
cover). See docs/validation.md.
"""

from kg.validate.core import ENGINES, PURPOSES, default_shapes_dir, load_shapes, validate
from kg.validate.gate import GateResult, gate
from kg.validate.report import Severity, ValidationError, ValidationReport, ValidationResult

__all__ = [
    "ENGINES",
    "PURPOSES",
    "GateResult",
    "Severity",
    "ValidationError",
    "ValidationReport",
    "ValidationResult",
    "default_shapes_dir",
    "gate",
    "load_shapes",
    "validate",
]
