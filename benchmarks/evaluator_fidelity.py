"""Evaluator fidelity: the analytical evaluator against the published Timeloop+CoSA data.

Two checks, each on a fixed sample of rows of the VAESA data set (both
``layers-grid/`` and ``layers-random-s123456/``, every layer):

* ``cosa``: the CoSA mapper (HiGHS) plus the cost model should reproduce
  the data's numbers. Reported: the share of rows with cycles within 1% and
  energy within 5%, the median energy ratio, the distribution of the energy
  ratio, seconds per solve and the layers with misses.
* ``fast``: the default mapper should find mappings at least as good as
  CoSA's. Reported: the share of rows with EDP ratio (ours / data) <= 1.02,
  the median ratio, and per layer the Spearman rank correlation of our EDP
  with the data's EDP across designs (median over layers). Also per layer:
  the same correlation with each of our EDPs replaced by the data's where
  ours is higher (what the correlation would be if the mapper never lost to
  CoSA), and the correlation over the rows where the data's EDP is less
  than 1.5 times ours (without CoSA's poor solutions, which the default
  mapper is expected to beat).
* ``rank``: on a few layers (``--rank-layers``), the CoSA mapper on
  ``--rank-rows`` rows per folder, so that the per-layer Spearman of two
  solvers of the same CoSA MIP (ours on HiGHS against the data's) can be
  compared with the default mapper's. Reported per layer: the three
  pairwise correlations and the share of rows where our CoSA EDP is within
  1% of the data's.

Usage::

    python benchmarks/evaluator_fidelity.py --out fidelity.json
    python benchmarks/evaluator_fidelity.py --quick
    python benchmarks/evaluator_fidelity.py --skip-cosa --jobs 2
    python benchmarks/evaluator_fidelity.py --skip-cosa --skip-fast --rank-rows 20

The data folder defaults to ``../shared/data/vaesa-timeloop`` beside the
repository (``--data DIR`` to override).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from benchmarks.common.environment import REPO_ROOT, describe_environment
from benchmarks.common.records import markdown_table, write_json
from vaesa_core.mapping.cosa import CosaMapper
from vaesa_core.mapping.fast import FastMapper
from vaesa_core.space import HardwareConfig
from vaesa_core.workloads import Layer

SUITE = "evaluator_fidelity"
FOLDERS = ("layers-grid", "layers-random-s123456")
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "vaesa-timeloop"
QUICK_LAYERS = (
    "1_1_1_1_4096_1000_1_1_1_1_1",
    "3_3_13_13_256_256_1_1_1_1_1",
    "1_1_56_56_64_64_1_1_1_1_1",
    "11_11_55_55_3_64_1_4_4_1_1",
    "3_3_27_27_128_128_1_1_1_1_1",
    "3_3_7_7_32_1024_1_2_2_1_1",
)
#: A data row whose EDP is at least this many times the default mapper's
#: counts as a poor CoSA solution. The fast check also reports the
#: per-layer Spearman without those rows.
POOR_COSA_RATIO = 1.5
#: Layers of the ``rank`` check: those where the default mapper's Spearman
#: against the data was lowest.
RANK_LAYERS = (
    "1_1_56_56_256_64_1_1_1_1_1",
    "3_3_7_7_512_512_1_2_2_1_1",
    "11_11_55_55_3_64_1_4_4_1_1",
    "1_1_28_28_512_128_1_1_1_1_1",
)


def check_data_dir(path: Path) -> Path:
    """Return ``path`` if it contains both layer folders, else exit with a message."""
    missing = [folder for folder in FOLDERS if not (path / folder).is_dir()]
    if missing:
        sys.exit(
            f"VAESA data folder {path} is missing {', '.join(missing)}; pass --data DIR pointing at the "
            "folder that holds layers-grid/ and layers-random-s123456/."
        )
    return path


def layer_keys(data_dir: Path) -> list[str]:
    """Return the layer keys of every file in ``layers-grid/``, sorted."""
    names = sorted(path.name for path in (data_dir / FOLDERS[0]).glob("dataset_*.csv.gz"))
    return [name[len("dataset_") : -len(".csv.gz")] for name in names]


def config_of(row: Any) -> HardwareConfig:
    """Build the design of one data row (columns arith_*, mem*_ent)."""
    return HardwareConfig(
        pes=int(row.arith_meshX),
        macs=int(row.arith_ins),
        accum_buffer=int(row.mem1_ent),
        weight_buffer=int(row.mem2_ent),
        input_buffer=int(row.mem3_ent),
        global_buffer=int(row.mem4_ent),
    )


def sample_rows(data_dir: Path, key: str, per_folder: int, seed: int) -> pd.DataFrame:
    """Return ``per_folder`` rows of each folder's file for layer ``key`` (fixed by ``seed``)."""
    frames = []
    for folder in FOLDERS:
        frame = pd.read_csv(data_dir / folder / f"dataset_{key}.csv.gz")
        frame = frame.drop_duplicates(subset=["arith_ins", "mem1_ent", "mem2_ent", "mem3_ent", "mem4_ent"])
        count = min(per_folder, len(frame))
        picked = frame.sample(count, random_state=seed).copy()
        picked["folder"] = folder
        frames.append(picked)
    return pd.concat(frames, ignore_index=True)


def _cosa_row(task: tuple[str, HardwareConfig, float]) -> dict[str, Any]:
    key, config, time_limit_s = task
    start = time.perf_counter()
    result = CosaMapper(time_limit_s=time_limit_s).map_layer(Layer.from_key(key), [config])[0]
    return {
        "cycles": result.cycles,
        "energy_pj": result.energy_pj,
        "status": result.status.value,
        "reason": result.reason,
        "seconds": time.perf_counter() - start,
    }


def run_cosa(
    data_dir: Path, keys: list[str], *, rows: int, time_limit_s: float, jobs: int, seed: int, progress: Path | None = None
) -> dict[str, Any]:
    """Score the CoSA mapper on ``rows`` rows per layer and folder.

    With ``progress``, each finished row is appended to that file as one
    JSON line, so a long run can be followed or salvaged.
    """
    samples = [sample_rows(data_dir, key, rows, seed).assign(layer=key) for key in keys]
    # Round-robin over layers, so that a run cut short still spans every layer.
    frame = pd.concat([sample.assign(round=range(len(sample))) for sample in samples], ignore_index=True)
    frame = frame.sort_values(["round", "layer"], kind="stable").reset_index(drop=True)
    tasks = [(row.layer, config_of(row), time_limit_s) for row in frame.itertuples()]
    outputs = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for task, output in zip(tasks, pool.map(_cosa_row, tasks)):
            outputs.append(output)
            if progress is not None:
                with progress.open("a") as stream:
                    stream.write(json.dumps({"layer": task[0], "config": task[1].label(), **output}) + "\n")
    frame = pd.concat([frame.reset_index(drop=True), pd.DataFrame(outputs)], axis=1)

    ok = frame.status == "ok"
    cycle_ratio = frame.cycles / frame.unique_cycle_sum
    energy_ratio = frame.energy_pj / frame.unique_energy_sum
    cycles_ok = ok & ((cycle_ratio - 1).abs() <= 0.01)
    energy_ok = ok & ((energy_ratio - 1).abs() <= 0.05)
    misses = frame.assign(cycles_ok=cycles_ok, energy_ok=energy_ok).groupby("layer")[["cycles_ok", "energy_ok"]].mean()
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    return {
        "rows": int(len(frame)),
        "layers": int(frame.layer.nunique()),
        "time_limit_s": time_limit_s,
        "not_ok": int((~ok).sum()),
        "cycles_within_1pct": float(cycles_ok.mean()),
        "energy_within_5pct": float(energy_ok.mean()),
        "median_energy_ratio": float(energy_ratio[ok].median()),
        "energy_ratio_quantiles": {str(q): float(energy_ratio[ok].quantile(q)) for q in quantiles},
        "cycle_ratio_quantiles": {str(q): float(cycle_ratio[ok].quantile(q)) for q in quantiles},
        "median_seconds_per_solve": float(frame.seconds.median()),
        "median_seconds_per_layer": float(frame.groupby("layer").seconds.median().median()),
        "layers_missing_cycles": sorted(misses.index[misses.cycles_ok < 1].tolist()),
        "layers_missing_energy": sorted(misses.index[misses.energy_ok < 1].tolist()),
        "per_row": frame[["layer", "folder", "name", "unique_cycle_sum", "unique_energy_sum", "cycles",
                          "energy_pj", "status", "seconds"]].to_dict(orient="records"),
    }


def run_fast(data_dir: Path, keys: list[str], *, rows: int, seed: int) -> dict[str, Any]:
    """Score the default mapper on ``rows`` rows per layer and folder."""
    per_layer = []
    ratios = []
    for key in keys:
        frame = sample_rows(data_dir, key, rows, seed)
        configs = [config_of(row) for row in frame.itertuples()]
        mapper = FastMapper(seed=seed)
        start = time.perf_counter()
        results = mapper.map_layer(Layer.from_key(key), configs)
        seconds = time.perf_counter() - start
        edp = np.array([result.edp for result in results])
        reference = frame.unique_cycle_sum.to_numpy() * frame.unique_energy_sum.to_numpy()
        ratio = edp / reference
        ratios.append(ratio)
        rho = _spearman(edp, reference)
        never_worse = _spearman(np.minimum(edp, reference), reference)
        poor = reference >= POOR_COSA_RATIO * edp
        per_layer.append({
            "layer": key,
            "rows": int(len(frame)),
            "edp_ratio_le_1_02": float(np.mean(ratio <= 1.02)),
            "median_edp_ratio": float(np.median(ratio)),
            "max_edp_ratio": float(np.max(ratio)),
            "spearman": rho,
            "spearman_if_never_worse": never_worse,
            "poor_cosa_rows": float(np.mean(poor)),
            "spearman_without_poor_cosa_rows": _spearman(edp[~poor], reference[~poor]),
            "pairs_per_s": len(frame) / seconds,
        })
    all_ratios = np.concatenate(ratios)
    return {
        "rows": int(all_ratios.size),
        "layers": len(keys),
        "edp_ratio_le_1_02": float(np.mean(all_ratios <= 1.02)),
        "median_edp_ratio": float(np.median(all_ratios)),
        "edp_ratio_quantiles": {str(q): float(np.quantile(all_ratios, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
        "median_spearman": float(statistics.median(row["spearman"] for row in per_layer)),
        "median_spearman_if_never_worse": float(statistics.median(row["spearman_if_never_worse"] for row in per_layer)),
        "poor_cosa_rows": float(np.mean([row["poor_cosa_rows"] for row in per_layer])),
        "median_spearman_without_poor_cosa_rows": float(
            np.nanmedian([row["spearman_without_poor_cosa_rows"] for row in per_layer])
        ),
        "per_layer": per_layer,
    }


def _spearman(first: np.ndarray, second: np.ndarray) -> float:
    """Return the Spearman rank correlation, or NaN for fewer than three rows."""
    return float(spearmanr(first, second).statistic) if len(first) > 2 else float("nan")


def run_rank(
    data_dir: Path, keys: list[str], *, rows: int, time_limit_s: float, jobs: int, seed: int
) -> list[dict[str, Any]]:
    """Rank designs with the default mapper and with the CoSA mapper on ``rows`` rows per folder of each layer."""
    per_layer = []
    for key in keys:
        frame = sample_rows(data_dir, key, rows, seed)
        configs = [config_of(row) for row in frame.itertuples()]
        fast = FastMapper(seed=seed).map_layer(Layer.from_key(key), configs)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            cosa = list(pool.map(_cosa_row, [(key, config, time_limit_s) for config in configs]))

        ok = np.array([row["status"] == "ok" for row in cosa])
        reference = (frame.unique_cycle_sum.to_numpy() * frame.unique_energy_sum.to_numpy())[ok]
        fast_edp = np.array([result.edp for result in fast])[ok]
        cosa_edp = np.array([row["cycles"] * row["energy_pj"] for row in cosa])[ok]
        per_layer.append({
            "layer": key,
            "rows": int(ok.sum()),
            "rows_not_ok": int((~ok).sum()),
            "spearman_fast_vs_data": _spearman(fast_edp, reference),
            "spearman_cosa_vs_data": _spearman(cosa_edp, reference),
            "spearman_fast_vs_cosa": _spearman(fast_edp, cosa_edp),
            "cosa_edp_within_1pct": float(np.mean(np.abs(cosa_edp / reference - 1) <= 0.01)) if ok.any() else float("nan"),
            "median_edp_ratio_fast_vs_cosa": float(np.median(fast_edp / cosa_edp)) if ok.any() else float("nan"),
        })
    return per_layer


def rank_summary(per_layer: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the medians over layers of the rank check's three correlations."""
    return {
        "layers": len(per_layer),
        **{
            f"median_{name}": float(np.nanmedian([row[name] for row in per_layer]))
            for name in ("spearman_fast_vs_data", "spearman_cosa_vs_data", "spearman_fast_vs_cosa")
        },
    }


def summary(results: dict[str, Any]) -> str:
    """Return the Markdown summary printed on stdout."""
    lines = [f"# {SUITE}", ""]
    cosa = results.get("cosa")
    if cosa:
        lines += [
            f"## cosa mapper ({cosa['rows']} rows, {cosa['layers']} layers, time limit {cosa['time_limit_s']:g} s)",
            "",
            markdown_table(
                ["metric", "value", "target"],
                [
                    ["cycles within 1%", f"{cosa['cycles_within_1pct']:.3f}", ">= 0.95"],
                    ["energy within 5%", f"{cosa['energy_within_5pct']:.3f}", ">= 0.65"],
                    ["median energy ratio", f"{cosa['median_energy_ratio']:.4f}", "[0.98, 1.02]"],
                    ["rows not ok", cosa["not_ok"], "0"],
                    ["median s per layer", f"{cosa['median_seconds_per_layer']:.1f}", ""],
                ],
            ),
            "",
            "Energy ratio quantiles: " + ", ".join(f"p{float(q) * 100:g} {v:.3f}" for q, v in cosa["energy_ratio_quantiles"].items()),
            "",
            f"Layers with a cycles miss: {', '.join(cosa['layers_missing_cycles']) or 'none'}",
            "",
            f"Layers with an energy miss: {', '.join(cosa['layers_missing_energy']) or 'none'}",
            "",
        ]
    fast = results.get("fast")
    if fast:
        worst = sorted(fast["per_layer"], key=lambda row: row["edp_ratio_le_1_02"])[:8]
        lines += [
            f"## fast mapper ({fast['rows']} rows, {fast['layers']} layers)",
            "",
            markdown_table(
                ["metric", "value", "target"],
                [
                    ["EDP ratio <= 1.02", f"{fast['edp_ratio_le_1_02']:.3f}", ">= 0.90"],
                    ["median EDP ratio", f"{fast['median_edp_ratio']:.4f}", "<= 1.0"],
                    ["median per-layer Spearman", f"{fast['median_spearman']:.4f}", ">= 0.95"],
                    ["same, had it never lost to CoSA", f"{fast['median_spearman_if_never_worse']:.4f}", ""],
                    [f"rows where CoSA's EDP is >= {POOR_COSA_RATIO:g}x ours", f"{fast['poor_cosa_rows']:.3f}", ""],
                    ["median per-layer Spearman without those rows",
                     f"{fast['median_spearman_without_poor_cosa_rows']:.4f}", ""],
                ],
            ),
            "",
            "Layers with the fewest rows at parity:",
            "",
            markdown_table(
                ["layer", "share <= 1.02", "median ratio", "max ratio", "Spearman"],
                [[row["layer"], f"{row['edp_ratio_le_1_02']:.2f}", f"{row['median_edp_ratio']:.3f}",
                  f"{row['max_edp_ratio']:.2f}", f"{row['spearman']:.3f}"] for row in worst],
            ),
            "",
        ]
    rank = results.get("rank")
    if rank:
        lines += [
            "## Per-layer Spearman of two CoSA solvers and of the default mapper",
            "",
            markdown_table(
                ["layer", "rows", "fast vs data", "our cosa vs data", "fast vs our cosa", "cosa EDP within 1%"],
                [[row["layer"], row["rows"], f"{row['spearman_fast_vs_data']:.3f}",
                  f"{row['spearman_cosa_vs_data']:.3f}", f"{row['spearman_fast_vs_cosa']:.3f}",
                  f"{row['cosa_edp_within_1pct']:.2f}"] for row in rank],
            ),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="VAESA data folder (layers-grid/, layers-random-s123456/).")
    parser.add_argument("--quick", action="store_true",
                        help="6 layers, few rows, a 2-row rank check on one layer, 10 s CoSA time limit (CI).")
    parser.add_argument("--out", type=Path, help="Write the results as JSON to this file.")
    parser.add_argument("--cosa-rows", type=int, default=3, help="CoSA rows per layer and folder (default 3: 342 rows).")
    parser.add_argument("--cosa-time-limit", type=float, default=60.0, help="CoSA solver limit per row in seconds.")
    parser.add_argument("--fast-rows", type=int, default=50, help="Default-mapper rows per layer and folder.")
    parser.add_argument("--jobs", type=int, default=1, help="Worker processes for the CoSA rows.")
    parser.add_argument("--skip-cosa", action="store_true", help="Skip the CoSA check.")
    parser.add_argument("--skip-fast", action="store_true", help="Skip the default-mapper check.")
    parser.add_argument("--rank-rows", type=int, default=0,
                        help="Rows per folder of the rank check on its layers (0, the default, skips it).")
    parser.add_argument("--rank-layers", default=",".join(RANK_LAYERS),
                        help="Comma-separated layer keys of the rank check.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the row sample and the fast mapper.")
    parser.add_argument("--progress", type=Path, help="Append each finished CoSA row to this JSON-lines file.")
    args = parser.parse_args(argv)

    data_dir = check_data_dir(args.data.resolve())
    keys = layer_keys(data_dir)
    if args.quick:
        keys = [key for key in QUICK_LAYERS if key in keys]
        args.cosa_rows, args.fast_rows, args.cosa_time_limit = 1, 10, min(args.cosa_time_limit, 10.0)
        args.rank_rows, args.rank_layers = 2, RANK_LAYERS[0]

    results: dict[str, Any] = {"suite": SUITE, "environment": describe_environment(argv), "quick": args.quick}
    if not args.skip_fast:
        results["fast"] = run_fast(data_dir, keys, rows=args.fast_rows, seed=args.seed)
    if not args.skip_cosa:
        results["cosa"] = run_cosa(
            data_dir, keys, rows=args.cosa_rows, time_limit_s=args.cosa_time_limit, jobs=args.jobs, seed=args.seed,
            progress=args.progress,
        )
    if args.rank_rows:
        rank_keys = [key.strip() for key in args.rank_layers.split(",") if key.strip()]
        unknown = sorted(set(rank_keys) - set(layer_keys(data_dir)))
        if unknown:
            sys.exit(f"--rank-layers names layers without a data file: {', '.join(unknown)}; "
                     f"use keys such as {RANK_LAYERS[0]}.")
        results["rank"] = run_rank(
            data_dir, rank_keys, rows=args.rank_rows, time_limit_s=args.cosa_time_limit, jobs=args.jobs, seed=args.seed
        )
        results["rank_summary"] = rank_summary(results["rank"])
    print(summary(results))
    if args.out:
        write_json(args.out, results)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    raise SystemExit(main())
