"""Benchmarks run outside the test suite: ``benchmarks/run`` reproduces every figure in
docs/benchmarks.md (surge, scale, memory)."""
