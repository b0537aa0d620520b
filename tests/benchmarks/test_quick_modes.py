"""Run every benchmark suite's quick mode and check the records it writes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from vaesa_core.plugins import get_registry

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _evaluator() -> str:
    # The quick modes run on the real evaluator, and on the placeholder only
    # where no analytical evaluator is installed.
    return "analytical" if "analytical" in get_registry().registrations("evaluator") else "placeholder"


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory) -> Path:
    # The quick modes take a few minutes on an idle 2-core machine; the
    # timeout leaves room for a machine shared with other jobs.
    out_dir = tmp_path_factory.mktemp("quick")
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "run_all.py"), "--quick", "--out", str(out_dir),
         "--evaluator", _evaluator()],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return out_dir


def test_run_all_reports_every_suite(quick_results):
    summary = json.loads((quick_results / "run_all.json").read_text())
    statuses = {entry["suite"]: entry["status"] for entry in summary["suites"]}
    assert summary["quick"] is True
    for suite in ("search_comparison", "gd_unseen", "main_job_profile"):
        assert statuses[suite] == "ok"
    assert set(statuses.values()) <= {"ok", "missing"}


def test_search_comparison_record(quick_results):
    record = json.loads((quick_results / "search_comparison.json").read_text())
    assert record["runs_finished"] == record["runs_planned"]
    assert record["failures"] == []
    budget = record["settings"]["budget_evaluations"]
    for entry in record["networks"].values():
        assert "random" in entry["methods"]
        for method, data in entry["methods"].items():
            for curve in data["curves"].values():
                assert 0 < len(curve) <= budget
                finite = [value for value in curve if value is not None]
                assert finite == sorted(finite, reverse=True), f"{method}: best-so-far must not increase"
            if method != "random":
                for seed_entry in data["vs_random"]["per_seed"]:
                    assert seed_entry["se"] is None or 0 < seed_entry["se"] <= budget
    assert (quick_results / "search_comparison.md").exists()
    assert (quick_results / "img" / "search_alexnet.png").stat().st_size > 0


def test_gd_unseen_record(quick_results):
    record = json.loads((quick_results / "gd_unseen.json").read_text())
    assert record["layers"], record["errors"]
    for entry in record["layers"].values():
        for per_step in entry["improvement"].values():
            for values in per_step.values():
                assert all(value is None or (math.isfinite(value) and value > 0) for value in values)


def test_main_job_profile_record(quick_results):
    record = json.loads((quick_results / "main_job_profile.json").read_text())
    run = record["runs"][0]
    assert run["evaluations"] == record["settings"]["budget"]
    assert run["evaluation_s"] >= 0
    assert run["optimizer_s"] >= 0
    assert run["startup_s"] > 0
    assert math.isclose(run["startup_s"] + run["evaluation_s"] + run["optimizer_s"] + run["other_s"], run["wall_s"])


def _record_or_skip(quick_results: Path, suite: str) -> dict:
    path = quick_results / f"{suite}.json"
    if not path.exists():
        pytest.skip(f"{suite} did not run (it needs the VAESA data folder)")
    return json.loads(path.read_text())


def test_evaluator_fidelity_record(quick_results):
    record = _record_or_skip(quick_results, "evaluator_fidelity")

    assert -1.0 <= record["fast"]["median_spearman_if_never_worse"] <= 1.0
    assert 0.0 <= record["fast"]["poor_cosa_rows"] <= 1.0
    assert -1.0 <= record["fast"]["median_spearman_without_poor_cosa_rows"] <= 1.0
    assert len(record["rank"]) == 1
    assert record["rank"][0]["rows"] + record["rank"][0]["rows_not_ok"] == 4
    assert record["rank_summary"]["layers"] == 1


def test_evaluator_speed_record(quick_results):
    record = _record_or_skip(quick_results, "evaluator_speed")

    assert record["repeats"] == 1
    for row in record["fast"]:
        assert len(row["cold_pairs_per_s_each_repeat"]) == 1
        assert row["cold_pairs_per_s"] > 0


def test_make_docs_renders_quick_records(quick_results, tmp_path):
    from benchmarks.make_docs import main as make_docs

    page = tmp_path / "benchmarks.md"
    assert make_docs(["--results", str(quick_results), "--out", str(page)]) == 0
    text = page.read_text()
    assert "## 1. Search comparison" in text
    assert "Not run yet: `benchmarks/results/search_comparison.json`" not in text
    assert "Machine:" in text
