"""Evaluator speed: (design, layer) pairs per second of the default mapper plus the cost model.

For each layer (all 57, or 6 with ``--quick``) the suite maps ``--designs``
designs of the VAESA data, drawn from both folders, in one batch call of a
fresh ``FastMapper``. That call is cold because it builds the layer's pool.
It is repeated ``--repeats`` times (3 by default, each with a new mapper)
and the fastest counts, so that other work on a shared machine inflates
the figure less; every repeat's rate is recorded. A second batch of as
many other designs with the last mapper is warm, because the pool
persists. The headline numbers are pairs per CPU second of this process
(``time.process_time``, BLAS threads pinned to 1, so one core), median
over layers; wall-clock rates are recorded too and drop when other work
shares the machine. With ``--cosa-layers N``
it also times the CoSA mapper on the base-like first grid design of the
first N layers (seconds per layer, median).

Usage::

    python benchmarks/evaluator_speed.py --out speed.json
    python benchmarks/evaluator_speed.py --quick
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.environment import describe_environment
from benchmarks.common.records import markdown_table, write_json
from benchmarks.evaluator_fidelity import DEFAULT_DATA, QUICK_LAYERS, check_data_dir, config_of, layer_keys, sample_rows
from vaesa_core.mapping.cosa import CosaMapper
from vaesa_core.mapping.fast import FastMapper
from vaesa_core.workloads import Layer

SUITE = "evaluator_speed"


def _timed(function) -> tuple[float, float]:
    """Return the CPU seconds of this process and the wall seconds of one call."""
    wall_start = time.perf_counter()
    cpu_start = time.process_time()
    function()
    return time.process_time() - cpu_start, time.perf_counter() - wall_start


def measure_fast(data_dir: Path, keys: list[str], *, designs: int, seed: int, repeats: int) -> list[dict[str, Any]]:
    """Time cold batch calls (best of ``repeats``, each with a fresh mapper) and one warm call per layer."""
    rows = []
    for key in keys:
        frame = sample_rows(data_dir, key, designs, seed)
        configs = [config_of(row) for row in frame.itertuples()]
        half = len(configs) // 2
        cold_configs = configs[0::2][:half] or configs
        warm_configs = configs[1::2][:half] or configs
        layer = Layer.from_key(key)
        cold_times = []
        for _ in range(repeats):
            mapper = FastMapper(seed=seed)
            cold_times.append(_timed(lambda: mapper.map_layer(layer, cold_configs)))
        cold_cpu = min(cpu for cpu, _ in cold_times)
        cold_wall = min(wall for _, wall in cold_times)
        warm_cpu, warm_wall = _timed(lambda: mapper.map_layer(layer, warm_configs))
        rows.append({
            "layer": key,
            "cold_pairs": len(cold_configs),
            "cold_pairs_per_s": len(cold_configs) / cold_cpu,
            "cold_pairs_per_s_each_repeat": [len(cold_configs) / cpu for cpu, _ in cold_times],
            "cold_pairs_per_wall_s": len(cold_configs) / cold_wall,
            "warm_pairs": len(warm_configs),
            "warm_pairs_per_s": len(warm_configs) / warm_cpu,
            "warm_pairs_per_wall_s": len(warm_configs) / warm_wall,
        })
    return rows


def measure_cosa(data_dir: Path, keys: list[str], *, time_limit_s: float) -> list[dict[str, Any]]:
    """Time the CoSA mapper on the first grid design of each layer."""
    rows = []
    for key in keys:
        frame = sample_rows(data_dir, key, 1, 0)
        config = config_of(next(frame.itertuples()))
        mapper = CosaMapper(time_limit_s=time_limit_s)
        results = []
        cpu_s, wall_s = _timed(lambda: results.extend(mapper.map_layer(Layer.from_key(key), [config])))
        rows.append({"layer": key, "seconds": wall_s, "cpu_seconds": cpu_s, "status": results[0].status.value})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="VAESA data folder (layers-grid/, layers-random-s123456/).")
    parser.add_argument("--quick", action="store_true", help="6 layers, 100 designs per call, 2 CoSA layers (CI).")
    parser.add_argument("--out", type=Path, help="Write the results as JSON to this file.")
    parser.add_argument("--designs", type=int, default=200, help="Designs per batch call (from both data folders).")
    parser.add_argument("--cosa-layers", type=int, default=6, help="Layers to time the CoSA mapper on (0 to skip).")
    parser.add_argument("--cosa-time-limit", type=float, default=60.0, help="CoSA solver limit in seconds.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the design sample and the mapper.")
    parser.add_argument("--repeats", type=int, default=3,
                        help="Cold calls per layer, each with a fresh mapper; the fastest counts.")
    args = parser.parse_args(argv)

    data_dir = check_data_dir(args.data.resolve())
    keys = layer_keys(data_dir)
    if args.quick:
        keys = [key for key in QUICK_LAYERS if key in keys]
        args.designs, args.cosa_layers, args.repeats = min(args.designs, 100), min(args.cosa_layers, 2), 1

    # sample_rows draws `designs` rows per folder: one cold and one warm call of `designs` each.
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, but got {args.repeats}.")
    fast_rows = measure_fast(data_dir, keys, designs=args.designs, seed=args.seed, repeats=args.repeats)
    cosa_rows = measure_cosa(data_dir, keys[: args.cosa_layers], time_limit_s=args.cosa_time_limit)
    results: dict[str, Any] = {
        "suite": SUITE,
        "environment": describe_environment(argv),
        "quick": args.quick,
        "median_cold_pairs_per_s": statistics.median(row["cold_pairs_per_s"] for row in fast_rows),
        "median_cold_pairs_per_s_first_repeat": statistics.median(
            row["cold_pairs_per_s_each_repeat"][0] for row in fast_rows
        ),
        "repeats": args.repeats,
        "median_warm_pairs_per_s": statistics.median(row["warm_pairs_per_s"] for row in fast_rows),
        "median_cold_pairs_per_wall_s": statistics.median(row["cold_pairs_per_wall_s"] for row in fast_rows),
        "min_cold_pairs_per_s": min(row["cold_pairs_per_s"] for row in fast_rows),
        "cosa_median_seconds_per_layer": statistics.median(row["seconds"] for row in cosa_rows) if cosa_rows else None,
        "fast": fast_rows,
        "cosa": cosa_rows,
    }

    print(f"# {SUITE}\n")
    print(markdown_table(
        ["metric", "value"],
        [
            ["layers", len(fast_rows)],
            ["designs per call", fast_rows[0]["cold_pairs"] if fast_rows else 0],
            ["median pairs per CPU s, cold pool (fastest repeat)", f"{results['median_cold_pairs_per_s']:.0f}"],
            ["median pairs per CPU s, cold pool (first repeat)",
             f"{results['median_cold_pairs_per_s_first_repeat']:.0f}"],
            ["median pairs per CPU s, warm pool", f"{results['median_warm_pairs_per_s']:.0f}"],
            ["slowest layer pairs per CPU s, cold", f"{results['min_cold_pairs_per_s']:.0f}"],
            ["median pairs per wall s, cold pool", f"{results['median_cold_pairs_per_wall_s']:.0f}"],
            ["cosa median s per layer", "-" if not cosa_rows else f"{results['cosa_median_seconds_per_layer']:.1f}"],
        ],
    ))
    if args.out:
        write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
