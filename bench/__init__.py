"""kg's benchmark harness: ``python -m bench --quick|--full`` (``make bench``, ``make bench-full``).

- :mod:`bench.generate` writes a deterministic synthetic data set shaped like a research
  institute's profiles and publications, in every record format kg reads.
- :mod:`bench.baseline` is what a user would write without kg: rdflib terms plus ``jsonschema``.
- :mod:`bench.workloads` holds one function per workload, for kg and for its baseline.
- :mod:`bench.__main__` runs every workload at every size, each run in a fresh subprocess (so
  peak RSS is per workload and size), and writes ``bench/results/latest.{md,json}``.

Never part of ``make test``: the harness only has a small test of the generator.
"""
