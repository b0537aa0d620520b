"""Cost-model speed: microseconds per mapping of the vectorised Timeloop-exact model.

For each layer of the 57 training layers (6 with ``--quick``), the suite
draws a batch of random mappings (prime factors spread over the levels,
outer levels favoured) and times ``evaluate_mappings`` on the base design:

* ``exact``: the default path, with Timeloop's input loop walk;
* ``closed_form``: ``exact=False``, the sliding-window closed form;
* ``designs``: the exact path on the same mappings against several random
  designs at once (``factors[:, None]`` against ``D`` architectures), timed
  per (mapping, design) pair.

Each timing is the best of ``--repeats`` runs of this process's CPU time
(``time.process_time``), because other load on the machine inflates it less
than wall-clock time. Wall-clock times are recorded too. The summary is the
median over layers.

Usage::

    python benchmarks/costmodel_speed.py --out benchmarks/results/costmodel_speed.json
    python benchmarks/costmodel_speed.py --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks.common.environment import REPO_ROOT, describe_environment
from benchmarks.common.records import markdown_table, write_json
from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import evaluate_mappings, random_mappings, stack_architectures
from vaesa_core.space import simba_space
from vaesa_core.workloads import training_layers

SUITE = "costmodel_speed"
LEVEL_PROBABILITIES = [0.05, 0.1, 0.1, 0.1, 0.25, 0.4]


def _best_time(function, repeats: int) -> tuple[float, float]:
    """Return the best CPU seconds and the best wall seconds of ``repeats`` calls."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeats):
        wall_start = time.perf_counter()
        cpu_start = time.process_time()
        function()
        best_cpu = min(best_cpu, time.process_time() - cpu_start)
        best_wall = min(best_wall, time.perf_counter() - wall_start)
    return best_cpu, best_wall


def measure(*, layers, mappings: int, designs: int, repeats: int, seed: int) -> dict[str, Any]:
    """Time the three paths on every layer and return per-layer rows and medians."""
    rng = np.random.default_rng(seed)
    base = simba_architecture()
    design_batch = stack_architectures([simba_architecture(config) for config in simba_space().sample(designs, rng)])
    rows = []
    for layer in layers:
        factors, orders = random_mappings(
            layer, mappings, rng, architecture=base, level_probabilities=LEVEL_PROBABILITIES
        )
        # Warm-up call so imports and first-touch allocations are not timed.
        result = evaluate_mappings(base, layer, factors, orders)
        exact_cpu, exact_wall = _best_time(lambda: evaluate_mappings(base, layer, factors, orders), repeats)
        closed_cpu, closed_wall = _best_time(
            lambda: evaluate_mappings(base, layer, factors, orders, exact=False), repeats
        )
        grid_cpu, grid_wall = _best_time(
            lambda: evaluate_mappings(design_batch, layer, factors[:, None], orders[:, None]), repeats
        )
        rows.append(
            {
                "layer": layer.key(),
                "mappings": mappings,
                "valid_fraction": float(result.valid.mean()),
                "exact_us_per_mapping": exact_cpu / mappings * 1e6,
                "exact_wall_us_per_mapping": exact_wall / mappings * 1e6,
                "closed_form_us_per_mapping": closed_cpu / mappings * 1e6,
                "closed_form_wall_us_per_mapping": closed_wall / mappings * 1e6,
                "designs_us_per_pair": grid_cpu / (mappings * designs) * 1e6,
                "designs_wall_us_per_pair": grid_wall / (mappings * designs) * 1e6,
            }
        )

    def median(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    return {
        "layers": rows,
        "median_exact_us_per_mapping": median("exact_us_per_mapping"),
        "median_closed_form_us_per_mapping": median("closed_form_us_per_mapping"),
        "median_designs_us_per_pair": median("designs_us_per_pair"),
        "median_exact_wall_us_per_mapping": median("exact_wall_us_per_mapping"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the suite, write the JSON record and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 layers, 1000 mappings, 1 repeat (smoke test).")
    parser.add_argument("--out", type=Path, default=None,
                        help="Path of the JSON record (default: benchmarks/results/costmodel_speed.json, or "
                             "benchmarks/runs/quick/ with --quick).")
    parser.add_argument("--mappings", type=int, default=None, help="Mappings per batch (default 4000, quick 1000).")
    parser.add_argument("--designs", type=int, default=8, help="Designs in the broadcast timing (default 8).")
    parser.add_argument("--repeats", type=int, default=None, help="Timed runs per path, best kept (default 3, quick 1).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the random mappings and designs.")
    args = parser.parse_args(argv)
    layers = training_layers()
    if args.out is None:
        # A quick run never replaces the committed record.
        args.out = REPO_ROOT / "benchmarks" / ("runs/quick" if args.quick else "results") / f"{SUITE}.json"
    if args.quick:
        layers = layers[:: max(1, len(layers) // 6)][:6]
    mappings = args.mappings or (1000 if args.quick else 4000)
    repeats = args.repeats or (1 if args.quick else 3)

    load_before = os.getloadavg()[0]
    results = measure(layers=layers, mappings=mappings, designs=args.designs, repeats=repeats, seed=args.seed)
    # Other processes inflate even CPU time (shared caches, hyper-threads), so the load is recorded.
    load_average = {"before": load_before, "after": os.getloadavg()[0], "logical_cores": os.cpu_count()}
    record = {
        "suite": SUITE,
        "quick": args.quick,
        "environment": describe_environment(),
        "settings": {"layers": len(layers), "mappings": mappings, "designs": args.designs, "repeats": repeats,
                     "seed": args.seed, "timer": "process CPU time, best of repeats"},
        "load_average_1min": load_average,
        **results,
    }
    write_json(args.out, record)

    print(f"# Cost-model speed ({len(layers)} layers, {mappings} random mappings each)\n")
    print(markdown_table(
        ["path", "median us per mapping (CPU)"],
        [
            ["exact (Timeloop input walk)", results["median_exact_us_per_mapping"]],
            ["closed form", results["median_closed_form_us_per_mapping"]],
            [f"exact, {args.designs} designs per mapping (per pair)", results["median_designs_us_per_pair"]],
        ],
    ))
    print(f"\nWall-clock median, exact path: {results['median_exact_wall_us_per_mapping']:.3g} us per mapping.")
    print(f"1-minute load average {load_average['before']:.1f} before, {load_average['after']:.1f} after "
          f"({load_average['logical_cores']} logical cores).")
    print(f"Record written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
