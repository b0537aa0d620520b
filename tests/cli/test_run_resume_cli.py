"""End-to-end tests of ``vaesa run``: reproducible traces and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vaesa_core.runner import TIMING_FIELDS, read_trace

COMMAND = [
    sys.executable, "-m", "vaesa_core.cli", "run",
    "--space", "original", "--optimizer", "random", "--workload", "resnet50",
    "--budget", "20", "--seed", "1", "--evaluator", "analytical", "--quiet",
]


def _strip(records):
    return [{key: value for key, value in record.items() if key not in TIMING_FIELDS} for record in records]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "--out", str(out), *extra], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "r1"
    completed = _run(out)
    assert completed.returncode == 0, completed.stderr
    return out


def test_run_writes_trace_and_summary(reference_run):
    records = read_trace(reference_run / "trace.jsonl")
    summary = json.loads((reference_run / "summary.json").read_text())
    assert sum(1 for record in records if record["evaluation"]) == 20
    assert summary["evaluations"] == 20
    assert {"cycles", "energy_pj", "edp"} <= set(summary["best_metrics"])


def test_same_seed_gives_identical_trace(reference_run, tmp_path):
    completed = _run(tmp_path / "again")
    assert completed.returncode == 0, completed.stderr
    assert _strip(read_trace(tmp_path / "again" / "trace.jsonl")) == _strip(read_trace(reference_run / "trace.jsonl"))


def _start_and_signal(out: Path, signal_number: int) -> subprocess.Popen:
    """Start the reference command, send ``signal_number`` once 5 steps are in the trace, and wait for it to exit."""
    # A shell without job control starts background jobs with SIGINT ignored,
    # and Python keeps it ignored; restore the default so Ctrl-C reaches the run.
    process = subprocess.Popen(
        [*COMMAND, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    trace = out / "trace.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if trace.exists() and trace.read_text().count("\n") >= 5:
            os.kill(process.pid, signal_number)
            break
        time.sleep(0.005)
    process.communicate(timeout=120)
    return process


def test_kill_and_resume_loses_and_repeats_nothing(reference_run, tmp_path):
    out = tmp_path / "killed"
    trace = out / "trace.jsonl"
    process = _start_and_signal(out, signal.SIGKILL)
    if process.returncode == 0:
        pytest.skip("the run finished before it could be killed; nothing to resume")
    killed_lines = len(read_trace(trace))
    assert 5 <= killed_lines < 20

    completed = _run(out, "--resume")
    assert completed.returncode == 0, completed.stderr
    resumed = read_trace(trace)
    assert _strip(resumed) == _strip(read_trace(reference_run / "trace.jsonl"))
    steps = [record["step"] for record in resumed]
    assert steps == sorted(set(steps))


def test_interrupt_then_bare_resume(reference_run, tmp_path):
    out = tmp_path / "interrupted"
    process = _start_and_signal(out, signal.SIGINT)
    if process.returncode == 0:
        pytest.skip("the run finished before it could be interrupted; nothing to resume")

    summary = json.loads((out / "summary.json").read_text())
    csv_rows = (out / "trace.csv").read_text().strip().splitlines()
    assert process.returncode == 130
    assert summary["complete"] is False
    assert len(csv_rows) - 1 == len(read_trace(out / "trace.jsonl"))

    # Only --out is given: workload, seed, budget and the rest come from settings.json.
    completed = subprocess.run(
        [sys.executable, "-m", "vaesa_core.cli", "run", "--resume", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert _strip(read_trace(out / "trace.jsonl")) == _strip(read_trace(reference_run / "trace.jsonl"))
    assert json.loads((out / "summary.json").read_text())["complete"] is True


def test_terminate_writes_summary_like_interrupt(tmp_path):
    out = tmp_path / "terminated"
    process = _start_and_signal(out, signal.SIGTERM)
    if process.returncode == 0:
        pytest.skip("the run finished before it could be stopped; nothing to check")

    summary = json.loads((out / "summary.json").read_text())
    assert process.returncode == 130
    assert summary["complete"] is False
    assert len((out / "trace.csv").read_text().strip().splitlines()) - 1 == len(read_trace(out / "trace.jsonl"))
