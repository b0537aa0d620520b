"""Shared machinery of the benchmark suites: cached runs, metrics, records and plots."""
