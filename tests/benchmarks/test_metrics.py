"""Check the search metrics (SP, SE, censoring) and best-so-far curves on hand-made traces."""

from __future__ import annotations

import math

import pytest

from benchmarks.common.metrics import compare_to_random, evaluations_to_reach, geometric_mean, spread
from benchmarks.common.runs import best_so_far


def _record(evaluation, edp, *, valid=True):
    return {"evaluation": evaluation, "metrics": {"edp": edp, "valid": valid}, "wall_time_s": 0.5, "optimizer_time_s": 0.1}


def test_best_so_far_skips_invalid_and_cached():
    records = [
        _record(1, None, valid=False),
        _record(2, 50.0),
        {"evaluation": None, "metrics": {"edp": 10.0, "valid": True}, "optimizer_time_s": 0.1},  # cached repeat
        _record(3, 70.0),
        _record(4, 20.0),
    ]
    curve, evaluation_s, optimizer_s = best_so_far(records, budget=10)
    assert curve == [math.inf, 50.0, 50.0, 20.0]
    assert evaluation_s == pytest.approx(2.0)
    assert optimizer_s == pytest.approx(0.5)


def test_best_so_far_truncates_at_budget():
    records = [_record(1, 5.0), _record(2, 4.0), _record(3, 1.0)]
    curve, _, _ = best_so_far(records, budget=2)
    assert curve == [5.0, 4.0]


def test_evaluations_to_reach():
    assert evaluations_to_reach([9.0, 5.0, 5.0, 2.0], 5.0) == 2
    assert evaluations_to_reach([9.0, 5.0], 1.0) is None


def test_compare_to_random_pairs_seeds():
    random_curves = {0: [10.0, 8.0, 8.0, 6.0], 1: [9.0, 9.0, 9.0, 9.0]}
    method_curves = {0: [7.0, 5.0, 5.0, 3.0], 1: [12.0, 12.0, 10.0, 10.0], 2: [1.0, 1.0, 1.0, 1.0]}
    result = compare_to_random(random_curves, method_curves, budget=4)
    assert result["seeds"] == [0, 1]

    seed0, seed1 = result["per_seed"]
    assert seed0["sp"] == pytest.approx(6.0 / 3.0)
    assert seed0["random_evaluations"] == 4
    assert seed0["method_evaluations"] == 2
    assert seed0["se"] == pytest.approx(2.0)
    assert seed0["censored"] is False

    # Seed 1: the method never reaches random's best (9.0), so n_m is censored at the budget.
    assert seed1["sp"] == pytest.approx(0.9)
    assert seed1["censored"] is True
    assert seed1["method_evaluations"] == 4
    assert seed1["se"] == pytest.approx(1 / 4)
    assert result["se_censored"] == 1
    assert result["sp_of_means"] == pytest.approx(7.5 / 6.5)


def test_compare_to_random_without_valid_random_design():
    result = compare_to_random({0: [math.inf, math.inf]}, {0: [3.0, 2.0]}, budget=2)
    assert result["per_seed"][0]["sp"] is None
    assert result["per_seed"][0]["se"] is None
    assert result["sp"]["n"] == 0


def test_spread_ignores_missing_values():
    summary = spread([1.0, None, 3.0, math.inf])
    assert summary["mean"] == pytest.approx(2.0)
    assert summary["n"] == 2
    assert summary["std"] == pytest.approx(math.sqrt(2.0))


def test_geometric_mean_of_skewed_ratios():
    assert geometric_mean([10.0, 0.1]) == pytest.approx(1.0)
    assert geometric_mean([None, math.inf]) is None
