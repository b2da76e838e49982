"""The benchmark harness: what `benchmarks/run.py` runs and BENCHMARKS.md reports (not part of the installed package)."""
