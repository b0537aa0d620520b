"""The search runner: budgeted, cached, resumable search loops and run directories."""

from vaesa_core.runner.search import RunInterrupted, RunResult, run_search
from vaesa_core.runner.trace import TIMING_FIELDS, read_trace

__all__ = ["RunInterrupted", "RunResult", "TIMING_FIELDS", "read_trace", "run_search"]
