"""The search runner: budgeted, cached, resumable search loops and run directories."""

from vaesa_core.runner.search import RunResult, run_search
from vaesa_core.runner.trace import TIMING_FIELDS, read_trace

__all__ = ["RunResult", "TIMING_FIELDS", "read_trace", "run_search"]
