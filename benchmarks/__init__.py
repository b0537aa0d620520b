"""Benchmark suites of vaesa; each module is one command (see docs/benchmarks.md)."""
