"""Search metrics of the VAESA comparison: best EDP, search performance and sample efficiency.

Definitions (B is the budget in evaluations; curves are best-so-far EDP
after each evaluation, see ``runs.best_so_far``):

* best EDP: the curve's value after B evaluations (cycles x pJ).
* search performance, per seed s: SP_s = best_random(s) / best_method(s),
  pairing the method's seed-s run with random search's seed-s run. SP > 1
  means the method found a better design than random search with the same
  budget. ``sp_of_means`` is mean_s best_random(s) / mean_s best_method(s).
* sample efficiency, per seed s: n_r(s) is the number of evaluations random
  search needs to reach its own final best; n_m(s) is the number the
  method needs to reach a value <= that best. SE_s = n_r(s) / n_m(s). When
  the method never reaches it within B, n_m(s) is censored at B and SE_s =
  n_r(s) / B is an upper bound of the true value; such seeds are counted
  as censored.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

__all__ = ["compare_to_random", "evaluations_to_reach", "geometric_mean", "spread"]


def evaluations_to_reach(curve: Sequence[float], target: float) -> int | None:
    """Return the 1-based evaluation count at which ``curve`` first is <= ``target``, or None."""
    for index, value in enumerate(curve):
        if value <= target:
            return index + 1
    return None


def spread(values: Sequence[float]) -> dict[str, float | int | None]:
    """Return mean, sample standard deviation, median, min, max and count of the finite ``values``."""
    finite = [float(value) for value in values if value is not None and math.isfinite(value)]
    if not finite:
        return {"mean": None, "std": None, "median": None, "min": None, "max": None, "n": 0}
    return {
        "mean": statistics.fmean(finite),
        "std": statistics.stdev(finite) if len(finite) > 1 else 0.0,
        "median": statistics.median(finite),
        "min": min(finite),
        "max": max(finite),
        "n": len(finite),
    }


def geometric_mean(values: Sequence[float | None]) -> float | None:
    """Return the geometric mean of the finite positive ``values``, or None when there are none.

    Ratios such as SE are skewed (10 and 0.1 average to 5.05 but multiply to 1),
    so the geometric mean summarises them alongside the arithmetic mean.
    """
    finite = [float(value) for value in values if value is not None and math.isfinite(value) and value > 0]
    if not finite:
        return None
    return math.exp(sum(math.log(value) for value in finite) / len(finite))


def compare_to_random(
    random_curves: dict[int, Sequence[float]], method_curves: dict[int, Sequence[float]], budget: int
) -> dict[str, Any]:
    """Compute SP and SE of a method against random search, pairing runs by seed.

    Args:
        random_curves: Best-so-far curve of random search, by seed.
        method_curves: Best-so-far curve of the method, by seed.
        budget: Evaluations B at which both are compared.

    Returns:
        Per-seed values (``per_seed``) and their ``spread`` under ``sp``,
        ``se``, plus ``sp_of_means``, ``se_geomean``, ``se_censored`` (seeds
        where the method never reached random's best) and ``seeds`` (the
        paired seeds).
    """
    per_seed = []
    for seed in sorted(set(random_curves) & set(method_curves)):
        random_curve = list(random_curves[seed])[:budget]
        method_curve = list(method_curves[seed])[:budget]
        if not random_curve or not method_curve:
            continue
        random_best = random_curve[-1]
        method_best = method_curve[-1]
        entry: dict[str, Any] = {"seed": seed, "random_best_edp": random_best, "method_best_edp": method_best}
        if math.isfinite(random_best) and math.isfinite(method_best) and method_best > 0:
            entry["sp"] = random_best / method_best
        else:
            entry["sp"] = None
        if math.isfinite(random_best):
            random_reach = evaluations_to_reach(random_curve, random_best)
            method_reach = evaluations_to_reach(method_curve, random_best)
            entry["random_evaluations"] = random_reach
            entry["method_evaluations"] = method_reach if method_reach is not None else budget
            entry["censored"] = method_reach is None
            entry["se"] = random_reach / entry["method_evaluations"]
        else:
            entry.update(random_evaluations=None, method_evaluations=None, censored=None, se=None)
        per_seed.append(entry)

    random_bests = [entry["random_best_edp"] for entry in per_seed]
    method_bests = [entry["method_best_edp"] for entry in per_seed]
    mean_random = spread(random_bests)["mean"]
    mean_method = spread(method_bests)["mean"]
    return {
        "seeds": [entry["seed"] for entry in per_seed],
        "per_seed": per_seed,
        "sp": spread([entry["sp"] for entry in per_seed]),
        "se": spread([entry["se"] for entry in per_seed]),
        "sp_of_means": (mean_random / mean_method) if mean_random and mean_method else None,
        "se_geomean": geometric_mean([entry["se"] for entry in per_seed]),
        "se_censored": sum(1 for entry in per_seed if entry["censored"]),
    }
