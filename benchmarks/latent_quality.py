"""Quality of the latent model: reconstruction, decoded optima, predictor ranks, smoothness.

Four measurements, on designs the model was not trained on unless stated:

1. Reconstruction for latent sizes 2, 4 and 6, with one model per size
   trained with the default settings on ``--data``, and for the shipped
   model. It reports the share of held-out designs that decode (encoder
   mean, decoder, snap) back to exactly the same legal design, and the
   per-parameter median and 95th percentile of
   ``|log2(decoded) - log2(original)|``. Target: median at most 0.25 log2
   units for every parameter that changes cost (all but pes).
2. Decoded optima: the best 1% of designs of alexnet, resnet50, resnext50
   and deepbench are taken by network EDP (layers weighted by repeat
   count). It reports the share whose decoded design has an EDP at most 5%
   above the original, both scored by the evaluator in this run. Target:
   at least 90%. It is measured twice: on the
   held-out designs and on the designs of the training table, because the
   best 1% of a small held-out set is only a few designs.
3. Predictor ranks: Spearman correlation of predicted and evaluated EDP per
   layer over held-out designs. It reports the median over the 57 training
   layers and, separately, over the 12 unseen layers. Target: median at
   least 0.95.
4. Smoothness: along straight latent paths between random pairs of
   held-out designs, the share of steps between consecutive distinct decoded
   designs that are lattice neighbours (every parameter's lattice index
   changes by at most one), against the same walk in the normalised
   original space; also the median per-step change in log2 units.

Held-out designs are drawn with a seed the training data does not use and
are evaluated once; the tables are cached (and resumable) under
``--cache-dir``.

Usage::

    python benchmarks/latent_quality.py --data train.csv      # full run
    python benchmarks/latent_quality.py --quick               # CI smoke run (small sets, short training)
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from benchmarks.common.environment import REPO_ROOT, describe_environment, repo_relative
from benchmarks.common.records import markdown_table, write_json
from vaesa_core.evaluation import evaluate_network
from vaesa_core.latent.checkpoint import default_model_path, load_model, save_model
from vaesa_core.latent.dataset import LAYER_COLUMNS, read_dataset
from vaesa_core.latent.generation import generate_dataset, parts_directory
from vaesa_core.latent.model import LatentModel
from vaesa_core.latent.training import TrainingConfig, train_model
from vaesa_core.plugins import get_registry
from vaesa_core.space import COST_PARAMETER_NAMES, PARAMETER_NAMES, DesignSpace, simba_space
from vaesa_core.workloads import Layer, builtin_workload, training_layers

SUITE = "latent_quality"
NETWORKS = ("alexnet", "resnet50", "resnext50", "deepbench")

#: Targets of the four measurements.
TARGET_MEDIAN_ERROR_LOG2 = 0.25
TARGET_DECODED_SHARE = 0.90
TARGET_DECODED_RATIO = 1.05
TARGET_SPEARMAN = 0.95

#: Training settings of the latent-size sweep: those of the shipped model
#: (``vaesa train --epochs 600 --patience 25 --max-time 330
#: --predictor-max-time 240``), so a cached sweep model of the shipped size
#: is the shipped model's run.
SWEEP_CONFIG = TrainingConfig(epochs=600, patience=25, max_time_s=330.0, predictor_max_time_s=240.0)
QUICK_SWEEP_CONFIG = TrainingConfig(epochs=3, vae_hidden=(32, 32), predictor_hidden=(32, 32), predictor_steps=200)

#: Points per straight path of the smoothness walk.
PATH_POINTS = 256


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sets and short training (CI smoke run).")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default: benchmarks/results/latent_quality.json).")
    parser.add_argument("--data", type=Path, default=None, help="Training table for the latent-size sweep (default: generated into --cache-dir).")
    parser.add_argument("--model", type=Path, default=None, help="Model to measure (default: the shipped model).")
    parser.add_argument("--evaluator", default="analytical", help="Evaluator of held-out designs (default: %(default)s).")
    parser.add_argument("--workers", type=int, default=2, help="Evaluation worker processes (default: %(default)s).")
    parser.add_argument("--cache-dir", type=Path, default=None, help="Folder of cached held-out tables and sweep models.")
    parser.add_argument("--latent-sizes", default="2,4,6", help="Latent sizes of the sweep (default: %(default)s).")
    parser.add_argument("--heldout-designs", type=int, default=400, help="Held-out designs on the 57 training layers (default: %(default)s).")
    parser.add_argument("--unseen-designs", type=int, default=200, help="Held-out designs on the 12 unseen layers (default: %(default)s).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of held-out designs and paths (default: %(default)s).")
    parser.add_argument("--threads", type=int, default=None, help="Torch CPU threads for the sweep training (default: torch's choice).")
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    return parser.parse_args(argv)


# -- data ---------------------------------------------------------------------


def _evaluated_table(
    cache: Path, stem: str, layers: list[Layer], samples: int, seed: int, args: argparse.Namespace
) -> pd.DataFrame:
    # The file name carries the evaluator name, size and seed, so a table made
    # with other settings is not read back in its place.
    # NOTE: it does not carry the evaluator's code version; delete the cache
    # folder after changing the evaluator.
    path = cache / f"{stem}-{args.evaluator}-n{samples}-s{seed}.csv"
    if not path.exists() or parts_directory(path).exists():
        generate_dataset(
            path, design_space=simba_space(), layers=layers, evaluator=args.evaluator, samples=samples, seed=seed,
            workers=args.workers, resume=parts_directory(path).exists(), progress=not args.no_progress,
        )
    return read_dataset(path)


def _designs(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(PARAMETER_NAMES)].drop_duplicates().to_numpy()


def _without(frame: pd.DataFrame, excluded: np.ndarray) -> pd.DataFrame:
    if len(excluded) == 0:
        return frame
    excluded_keys = pd.MultiIndex.from_arrays(excluded.T)
    keys = pd.MultiIndex.from_frame(frame[list(PARAMETER_NAMES)])
    return frame[~keys.isin(excluded_keys)]


def _cost_matrix(frame: pd.DataFrame, designs: np.ndarray, layers: list[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """Return cycles and pJ, each ``(n_designs, n_layers)``, NaN where missing or invalid."""
    design_index = pd.MultiIndex.from_arrays(designs.T)
    layer_index = pd.MultiIndex.from_tuples([layer.shape_key() for layer in layers])
    rows = design_index.get_indexer(pd.MultiIndex.from_frame(frame[list(PARAMETER_NAMES)]))
    columns = layer_index.get_indexer(pd.MultiIndex.from_frame(frame[list(LAYER_COLUMNS)]))
    keep = (rows >= 0) & (columns >= 0) & frame["valid"].to_numpy(dtype=bool)
    cycles = np.full((len(designs), len(layers)), np.nan)
    energy = np.full((len(designs), len(layers)), np.nan)
    cycles[rows[keep], columns[keep]] = frame["cycles"].to_numpy()[keep]
    energy[rows[keep], columns[keep]] = frame["energy_pj"].to_numpy()[keep]
    return cycles, energy


# -- measurements -------------------------------------------------------------


def reconstruction(model: LatentModel, designs: np.ndarray) -> dict[str, Any]:
    """Measure decode(encode(x)) against ``x`` for raw designs ``(n, 6)``."""
    decoded = model.decode_raw(model.encode_configs(designs))
    errors = np.abs(np.log2(decoded) - np.log2(designs))
    median = {name: float(np.median(errors[:, i])) for i, name in enumerate(PARAMETER_NAMES)}
    return {
        "designs": int(len(designs)),
        "exact_share": float(np.mean((decoded == designs).all(axis=1))),
        "median_error_log2": median,
        "p95_error_log2": {name: float(np.percentile(errors[:, i], 95)) for i, name in enumerate(PARAMETER_NAMES)},
        "meets_target": bool(all(median[name] <= TARGET_MEDIAN_ERROR_LOG2 for name in COST_PARAMETER_NAMES)),
    }


def decoded_optima(model: LatentModel, frame: pd.DataFrame, designs: np.ndarray, evaluator: Any) -> dict[str, Any]:
    """Decode the best 1% of ``designs`` per network and compare evaluated EDPs."""
    results: dict[str, Any] = {}
    space = model.design_space
    for name in NETWORKS:
        network = builtin_workload(name)
        cycles, energy = _cost_matrix(frame, designs, list(network.layers))
        weights = np.asarray(network.weights(), dtype=float)
        complete = np.isfinite(cycles).all(axis=1) & np.isfinite(energy).all(axis=1)
        edp = np.where(complete, (np.nan_to_num(cycles) @ weights) * (np.nan_to_num(energy) @ weights), np.inf)
        count = max(1, math.ceil(0.01 * int(complete.sum())))
        best = np.argsort(edp)[:count]
        decoded = model.decode_raw(model.encode_configs(designs[best]))
        costs = evaluate_network(evaluator, [space.config_from_array(row) for row in decoded], network)
        # Originals are scored again by the same evaluator, so a table made
        # with another version of the evaluator cannot bias the ratio.
        originals = evaluate_network(evaluator, [space.config_from_array(row) for row in designs[best]], network)
        ratios = np.array([
            cost.edp / original.edp if cost.valid and original.valid else math.inf
            for cost, original in zip(costs, originals)
        ])
        table_ratios = np.array([original.edp / edp[index] for original, index in zip(originals, best)])
        results[name] = {
            "designs": int(count),
            "share_within_5pct": float(np.mean(ratios <= TARGET_DECODED_RATIO)),
            "share_identical": float(np.mean((decoded == designs[best]).all(axis=1))),
            "median_ratio": float(np.median(ratios)),
            "max_ratio": float(np.max(ratios)),
            "median_rescored_over_table": float(np.median(table_ratios)),
        }
    shares = [entry["share_within_5pct"] * entry["designs"] for entry in results.values()]
    total = sum(entry["designs"] for entry in results.values())
    results["all"] = {"designs": total, "share_within_5pct": float(sum(shares) / total)}
    results["all"]["meets_target"] = bool(results["all"]["share_within_5pct"] >= TARGET_DECODED_SHARE)
    return results


def predictor_ranks(model: LatentModel, frame: pd.DataFrame, layers: list[Layer]) -> dict[str, Any]:
    """Return the per-layer Spearman correlation of predicted and evaluated EDP."""
    designs = _designs(frame)
    cycles, energy = _cost_matrix(frame, designs, layers)
    predicted_cycles, predicted_energy = model.predict_costs(designs, layers)
    correlations = {}
    for index, layer in enumerate(layers):
        valid = np.isfinite(cycles[:, index]) & np.isfinite(energy[:, index])
        if valid.sum() < 5:
            continue
        truth = np.log(cycles[valid, index]) + np.log(energy[valid, index])
        guess = np.log(predicted_cycles[valid, index]) + np.log(predicted_energy[valid, index])
        correlations[layer.key()] = float(spearmanr(guess, truth).statistic)
    values = np.array(list(correlations.values()), dtype=float)
    median = float(np.nanmedian(values)) if values.size else math.nan
    return {
        "designs": int(len(designs)),
        "layers": int(len(correlations)),
        "median": median,
        "minimum": float(np.nanmin(values)) if values.size else math.nan,
        "per_layer": correlations,
        "meets_target": bool(median >= TARGET_SPEARMAN),
    }


def _lattice_indices(space: DesignSpace, raw: np.ndarray) -> np.ndarray:
    return np.stack([np.searchsorted(p.values, raw[..., i]) for i, p in enumerate(space.parameters)], axis=-1)


def _path_statistics(space: DesignSpace, paths: np.ndarray) -> dict[str, float]:
    """Summarise decoded paths, int64 ``(pairs, steps, 6)``."""
    indices = _lattice_indices(space, paths)
    steps = np.abs(np.diff(indices, axis=1)).max(axis=2)
    moved = steps > 0
    log_steps = np.abs(np.diff(np.log2(paths), axis=1)).max(axis=2)
    distinct = [len({tuple(row) for row in path}) for path in paths]
    return {
        "neighbour_share": float((steps[moved] <= 1).mean()) if moved.any() else math.nan,
        "median_step_log2": float(np.median(log_steps[moved])) if moved.any() else math.nan,
        "p95_step_log2": float(np.percentile(log_steps[moved], 95)) if moved.any() else math.nan,
        "mean_distinct_designs": float(np.mean(distinct)),
    }


def smoothness(model: LatentModel, designs: np.ndarray, pairs: int, steps: int, rng: np.random.Generator) -> dict[str, Any]:
    """Walk straight lines between random design pairs in both spaces and compare the decoded steps."""
    space = model.design_space
    chosen = rng.choice(len(designs), size=(pairs, 2), replace=len(designs) < 2 * pairs)
    weights = np.linspace(0.0, 1.0, steps)[None, :, None]

    latent = model.encode_configs(designs)
    start, end = latent[chosen[:, 0]][:, None, :], latent[chosen[:, 1]][:, None, :]
    latent_paths = (1 - weights) * start + weights * end
    decoded = model.decode_raw(latent_paths.reshape(-1, latent.shape[1])).reshape(pairs, steps, -1)

    units = space.encode(designs)
    start, end = units[chosen[:, 0]][:, None, :], units[chosen[:, 1]][:, None, :]
    unit_paths = (1 - weights) * start + weights * end
    snapped = space.snap(space.decode(unit_paths.reshape(-1, units.shape[1]))).reshape(pairs, steps, -1)
    return {
        "pairs": pairs,
        "steps": steps,
        "latent": _path_statistics(space, decoded),
        "original": _path_statistics(space, snapped),
    }


# -- driver -------------------------------------------------------------------


def table_fingerprint(frame: pd.DataFrame) -> str:
    """Return a hex digest of a table's content (values and column names, not the index)."""
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(values.tobytes() + "\0".join(frame.columns).encode()).hexdigest()


def _sweep_model(size: int, data: pd.DataFrame, cache: Path, config: TrainingConfig) -> tuple[LatentModel, float]:
    # A cached model is reused only if it was trained with the same settings
    # on the same table.
    path = cache / f"sweep-latent{size}.pt"
    size_config = TrainingConfig(**{**config.to_dict(), "latent_dim": size})
    data_sha256 = table_fingerprint(data)
    if path.exists():
        model = load_model(path)
        if model.metadata.get("training") == size_config.to_dict() and model.metadata.get("data_sha256") == data_sha256:
            return model, float(model.metadata["report"]["wall_time_s"])
    started = time.perf_counter()
    model, _ = train_model(data, simba_space(), size_config)
    model.metadata["data_sha256"] = data_sha256
    save_model(model, path)
    return model, time.perf_counter() - started


def _markdown(record: dict[str, Any]) -> str:
    lines = [f"# Latent model quality ({'quick' if record['quick'] else 'full'})", ""]
    lines.append(f"Model: `{record['model']}`; evaluator `{record['evaluator']}`.")
    lines.append("")

    lines.append("## 1. Reconstruction of held-out designs (median / 95th percentile error, log2 units)")
    header = ["model", "designs", "exact", *PARAMETER_NAMES, "target met"]
    rows = []
    for label, entry in record["reconstruction"].items():
        cells = [f"{entry['median_error_log2'][n]:.3f} / {entry['p95_error_log2'][n]:.2f}" for n in PARAMETER_NAMES]
        rows.append([label, entry["designs"], f"{entry['exact_share']:.1%}", *cells, str(entry["meets_target"])])
    lines += [markdown_table(header, rows), ""]

    lines.append("## 2. Best 1% of designs per network, decoded (EDP ratio decoded / original)")
    rows = []
    for source, entries in record["decoded_optima"].items():
        for name, entry in entries.items():
            if name == "all":
                continue
            rows.append([source, name, entry["designs"], f"{entry['share_within_5pct']:.0%}",
                         f"{entry['share_identical']:.0%}", entry["median_ratio"], entry["max_ratio"]])
        total = entries["all"]
        rows.append([source, "all", total["designs"], f"{total['share_within_5pct']:.0%}", "", "", ""])
    header = ["designs from", "network", "designs", "EDP <= 1.05x", "identical", "median ratio", "max ratio"]
    lines += [markdown_table(header, rows), ""]

    lines.append("## 3. Predictor: Spearman of predicted vs evaluated EDP per layer")
    rows = [[label, entry["layers"], entry["designs"], entry["median"], entry["minimum"], str(entry["meets_target"])]
            for label, entry in record["predictor"].items()]
    lines += [markdown_table(["layers", "count", "designs", "median", "minimum", "target met"], rows), ""]

    lines.append("## 4. Smoothness of straight paths (steps between consecutive distinct decoded designs)")
    smooth = record["smoothness"]
    rows = [[space, smooth[space]["neighbour_share"], smooth[space]["median_step_log2"], smooth[space]["p95_step_log2"],
             smooth[space]["mean_distinct_designs"]] for space in ("latent", "original")]
    lines += [markdown_table(["space", "neighbour share", "median step (log2)", "p95 step (log2)", "distinct designs per path"], rows)]
    lines.append(f"\n{smooth['pairs']} pairs, {smooth['steps']} points per path.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the suite and return the exit status."""
    args = _parse_arguments(argv)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    registry = get_registry()
    if args.evaluator not in registry.registrations("evaluator"):
        if not args.quick:
            sys.exit(f"Evaluator {args.evaluator!r} is not registered; pass --evaluator NAME.")
        print(f"WARNING: evaluator {args.evaluator!r} is not registered; the quick run uses 'placeholder'.", file=sys.stderr)
        args.evaluator = "placeholder"
    cache = args.cache_dir or REPO_ROOT / "benchmarks" / "runs" / ("quick" if args.quick else "") / SUITE
    cache.mkdir(parents=True, exist_ok=True)
    out = args.out or (cache / f"{SUITE}.json" if args.quick else REPO_ROOT / "benchmarks" / "results" / f"{SUITE}.json")
    sizes = [int(part) for part in args.latent_sizes.split(",")]
    heldout_samples, unseen_samples, pairs = (120, 60, 30) if args.quick else (args.heldout_designs, args.unseen_designs, 300)
    started = time.perf_counter()

    if args.data is not None:
        train_frame = read_dataset(args.data)
    else:
        train_frame = _evaluated_table(cache, "train", training_layers(), 300 if args.quick else 3072, 0, args)
    heldout_frame = _evaluated_table(cache, "heldout", training_layers(), heldout_samples, args.seed + 1000, args)
    heldout = _without(heldout_frame, _designs(train_frame))
    unseen_network = builtin_workload("unseen")
    unseen = _evaluated_table(cache, "unseen", list(unseen_network.layers), unseen_samples, args.seed + 2000, args)
    heldout_designs = _designs(heldout)

    model_path = args.model or default_model_path()
    model = load_model(model_path)
    sweep_config = QUICK_SWEEP_CONFIG if args.quick else SWEEP_CONFIG

    record: dict[str, Any] = {
        "environment": describe_environment(argv and [sys.argv[0], *argv]),
        "quick": args.quick,
        "model": repo_relative(Path(model_path)),
        "evaluator": args.evaluator,
        "reconstruction": {},
        "sweep_training_s": {},
    }
    for size in sizes:
        sweep_model, seconds = _sweep_model(size, train_frame, cache, sweep_config)
        record["reconstruction"][f"latent {size} (sweep)"] = reconstruction(sweep_model, heldout_designs)
        record["sweep_training_s"][str(size)] = seconds
    record["reconstruction"][f"shipped (latent {model.latent_dim})"] = reconstruction(model, heldout_designs)

    evaluator = registry.create("evaluator", args.evaluator, design_space=simba_space(), mapper=None)
    try:
        record["decoded_optima"] = {
            "held-out designs": decoded_optima(model, heldout, heldout_designs, evaluator),
            "training designs": decoded_optima(model, train_frame, _designs(train_frame), evaluator),
        }
    finally:
        evaluator.close()
    record["predictor"] = {
        "57 training layers": predictor_ranks(model, heldout, training_layers()),
        "12 unseen layers": predictor_ranks(model, unseen, list(unseen_network.layers)),
    }
    record["smoothness"] = smoothness(model, heldout_designs, pairs, PATH_POINTS, np.random.default_rng(args.seed))
    record["wall_s"] = time.perf_counter() - started

    write_json(out, record)
    print(_markdown(record))
    print(f"\nWrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
