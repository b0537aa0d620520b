"""Suite 2: gradient descent on the 12 unseen layers, in the latent and the original space.

Each unseen test layer of ``builtin_workload("unseen")`` is its own
one-layer workload. For each layer, seed and space, ``--starts`` start
points are drawn with the space's own ``sample``. Adam descends them on the
space's differentiable surrogate (``SearchSpace.differentiable_objective``,
the model the ``gd`` optimizer descends). After 0, 100 and 200 steps the
points are decoded and evaluated with the real evaluator. Random search
evaluates the same number of designs (``--starts``), drawn uniformly over
the legal lattice. The improvement at a step count is

    improvement = best EDP of the random designs / best EDP of the descended designs,

so 1.0 means no better than random search with as many evaluated designs and
2.0 means half the EDP. Step 0 measures the start distribution alone.

The descent here runs one trajectory per start with a constant Adam learning
rate (``--lr``, a fraction of each coordinate's range) and no restarts, so
that the designs at each step count are the same trajectories; the ``gd``
optimizer adds snapshots, a cosine schedule and restarts on top.

Usage::

    python benchmarks/gd_unseen.py            # 12 layers x 3 seeds x 10 starts
    python benchmarks/gd_unseen.py --quick    # 2 layers, 1 seed, 4 starts
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks.common.cli import add_common_arguments, check_evaluator, configure_logging, resolve_paths
from benchmarks.common.environment import describe_environment, repo_relative
from benchmarks.common.metrics import spread
from benchmarks.common.plots import plot_grouped_bars
from benchmarks.common.records import markdown_table, write_json
from benchmarks.common.runs import component_available, map_with_pool, space_fingerprint

SUITE = "gd_unseen"
SPACES = ("latent", "original")


@dataclass(frozen=True)
class LayerTask:
    """Descents of one unseen layer with one seed, in every space.

    Attributes:
        layer_index: Index into ``builtin_workload("unseen").layers``.
        seed: Seed of the start points and the random designs.
        starts: Start points per space, and random designs.
        steps: Step counts at which the descended points are evaluated.
        lr: Adam learning rate as a fraction of each coordinate's range.
        evaluator: Evaluator name.
        spaces: Search spaces to descend in.
        latent_model_sha256: SHA-256 of the shipped latent model ("" without
            the latent space), so a cached result of another model is run
            again instead of being read back.
    """

    layer_index: int
    seed: int
    starts: int
    steps: tuple[int, ...]
    lr: float
    evaluator: str
    spaces: tuple[str, ...]
    latent_model_sha256: str = ""

    def result_path(self, root: Path) -> Path:
        """Return the cache file of this task under ``root``."""
        return root / self.evaluator / f"layer{self.layer_index:02d}-seed{self.seed}.json"


def _shape_label(layer) -> str:
    """Return ``RxS PxQ C->K`` with ``/stride`` when the stride is not 1."""
    stride = f" /{layer.stride_w}" if layer.stride_w != 1 else ""
    return f"{layer.R}x{layer.S} {layer.P}x{layer.Q} {layer.C}->{layer.K}{stride}"


def _best_edp(evaluator, configs, network) -> tuple[float, int]:
    """Return the best valid EDP of ``configs`` on ``network`` and the count of valid designs."""
    from vaesa_core.evaluation import evaluate_network

    costs = evaluate_network(evaluator, configs, network, aggregation="unique")
    values = [cost.edp for cost in costs if cost.valid and math.isfinite(cost.edp)]
    return (min(values) if values else math.inf), len(values)


def _descend(space, network, starts: np.ndarray, steps: tuple[int, ...], lr: float) -> dict[int, np.ndarray]:
    """Run Adam from ``starts``, shape ``(n, d)``, and return the points at each step count in ``steps``."""
    import torch

    from vaesa_core.evaluation import Objective

    surrogate = space.differentiable_objective(network, Objective.EDP)
    lower, upper = (np.asarray(bound, dtype=float) for bound in space.bounds)
    span = np.where(upper > lower, upper - lower, 1.0)
    dtype = torch.get_default_dtype()
    lower_t = torch.as_tensor(lower, dtype=dtype)
    span_t = torch.as_tensor(span, dtype=dtype)

    # Unit coordinates make ``lr`` a fraction of each coordinate's range in any space.
    unit = torch.tensor(np.clip((starts - lower) / span, 0.0, 1.0), dtype=dtype, requires_grad=True)
    adam = torch.optim.Adam([unit], lr=lr)
    snapshots: dict[int, np.ndarray] = {}
    for step in range(max(steps) + 1):
        if step in steps:
            snapshots[step] = lower + unit.detach().numpy().astype(float) * span
        if step == max(steps):
            break
        adam.zero_grad()
        losses = surrogate(lower_t + unit * span_t).reshape(-1)
        finite = torch.isfinite(losses)
        if not bool(finite.any()):
            break
        losses[finite].sum().backward()
        adam.step()
        with torch.no_grad():
            unit.clamp_(0.0, 1.0)
    for step in steps:
        snapshots.setdefault(step, lower + unit.detach().numpy().astype(float) * span)
    return snapshots


def run_task(task: LayerTask, runs_root: Path) -> dict[str, Any]:
    """Run (or read back from its cache file) one layer and seed; errors are returned in the result."""
    path = task.result_path(runs_root)
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("task") == json.loads(json.dumps(asdict(task))):
            return cached

    started = time.perf_counter()
    result: dict[str, Any] = {"task": asdict(task), "spaces": {}, "errors": {}}
    try:
        import torch

        from vaesa_core.cli.components import build_evaluator, build_space
        from vaesa_core.plugins import get_registry
        from vaesa_core.space import simba_space
        from vaesa_core.workloads import Network, builtin_workload

        torch.set_num_threads(1)
        registry = get_registry()
        design_space = simba_space()
        layer = builtin_workload("unseen").layers[task.layer_index]
        network = Network(f"unseen_{task.layer_index}", (layer,), (1,))
        result["layer"] = _shape_label(layer)
        evaluator = build_evaluator(registry, task.evaluator, design_space=design_space, mapper=None, options={})
        try:
            # Random search: uniform over the legal lattice, as the ``random`` optimizer draws.
            random_rng = np.random.default_rng([task.seed, task.layer_index, 0])
            random_configs = design_space.sample(task.starts, random_rng)
            result["random_best_edp"], _ = _best_edp(evaluator, random_configs, network)

            for space_index, space_name in enumerate(task.spaces, start=1):
                try:
                    space = build_space(registry, space_name, design_space=design_space, options={})
                    rng = np.random.default_rng([task.seed, task.layer_index, space_index])
                    starts = np.asarray(space.sample(task.starts, rng), dtype=float).reshape(task.starts, -1)
                    snapshots = _descend(space, network, space.clip(starts), task.steps, task.lr)
                    per_step = {}
                    for step, points in snapshots.items():
                        best, valid = _best_edp(evaluator, space.to_configs(space.clip(points)), network)
                        per_step[str(step)] = {"best_edp": best, "valid_designs": valid}
                    result["spaces"][space_name] = per_step
                except Exception as error:  # one space failing must not hide the other
                    result["errors"][space_name] = f"{type(error).__name__}: {error}"
        finally:
            evaluator.close()
    except Exception as error:  # reported in the suite's record
        result["errors"]["task"] = f"{type(error).__name__}: {error}"
    result["elapsed_s"] = time.perf_counter() - started

    if not result["errors"]:
        write_json(path, result)
    return result


def _run_task_in(item: tuple[LayerTask, Path]) -> dict[str, Any]:
    return run_task(*item)


def summarise(results: list[dict[str, Any]], args: argparse.Namespace, skipped: dict[str, str]) -> dict[str, Any]:
    """Reduce per-task results to improvements over random search per layer, space and step count."""
    layers: dict[str, Any] = {}
    errors = []
    for result in results:
        for where, message in result.get("errors", {}).items():
            errors.append({"layer_index": result["task"]["layer_index"], "seed": result["task"]["seed"], "where": where, "error": message})
        random_best = result.get("random_best_edp")
        if random_best is None or not math.isfinite(random_best):
            continue
        entry = layers.setdefault(
            str(result["task"]["layer_index"]),
            {"layer": result.get("layer"), "random_best_edp": {}, "improvement": {}},
        )
        entry["random_best_edp"][str(result["task"]["seed"])] = random_best
        for space_name, per_step in result["spaces"].items():
            for step, data in per_step.items():
                ratio = random_best / data["best_edp"] if math.isfinite(data["best_edp"]) and data["best_edp"] > 0 else None
                entry["improvement"].setdefault(space_name, {}).setdefault(step, []).append(ratio)

    overall: dict[str, Any] = {}
    for entry in layers.values():
        entry["improvement_spread"] = {
            space_name: {step: spread(values) for step, values in per_step.items()}
            for space_name, per_step in entry["improvement"].items()
        }
        for space_name, per_step in entry["improvement"].items():
            for step, values in per_step.items():
                finite = [value for value in values if value is not None]
                if finite:
                    overall.setdefault(space_name, {}).setdefault(step, []).append(
                        math.exp(sum(math.log(value) for value in finite) / len(finite))
                    )
    geometric = {
        space_name: {
            step: {
                "geomean_over_layers": math.exp(sum(math.log(v) for v in values) / len(values)),
                "layers_better_than_random": sum(1 for v in values if v > 1.0),
                "layers": len(values),
            }
            for step, values in per_step.items()
        }
        for space_name, per_step in overall.items()
    }
    return {
        "suite": SUITE,
        "environment": describe_environment(),
        "settings": {
            "layers": args.layers,
            "seeds": list(range(args.seeds)),
            "starts": args.starts,
            "steps": list(args.steps),
            "lr": args.lr,
            "evaluator": args.evaluator,
            "spaces": list(args.spaces),
            "latent_model_sha256": space_fingerprint("latent") if "latent" in args.spaces else None,
            "quick": bool(args.quick),
            "improvement": "best EDP of random designs / best EDP of descended designs, same number of designs",
        },
        "skipped_spaces": skipped,
        "errors": errors,
        "layers": layers,
        "summary": geometric,
    }


def markdown(record: dict[str, Any]) -> str:
    """Render per-layer mean improvements and the geometric mean over layers."""
    steps = [str(step) for step in record["settings"]["steps"]]
    spaces = record["settings"]["spaces"]
    header = ["layer", "shape"] + [f"{space} @{step}" for space in spaces for step in steps]
    rows = []
    for index, entry in sorted(record["layers"].items(), key=lambda item: int(item[0])):
        row: list[Any] = [index, entry["layer"] or ""]
        for space in spaces:
            for step in steps:
                row.append(entry["improvement_spread"].get(space, {}).get(step, {}).get("mean"))
        rows.append(row)
    summary_row: list[Any] = ["all", "geomean"]
    for space in spaces:
        for step in steps:
            summary_row.append(record["summary"].get(space, {}).get(step, {}).get("geomean_over_layers"))
    rows.append(summary_row)
    settings = record["settings"]
    return (
        f"EDP improvement over random search with {settings['starts']} designs each "
        f"(mean over {len(settings['seeds'])} seeds; >1 is better than random).\n\n"
        + markdown_table(header, rows) + "\n"
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--layers", type=int, nargs="+", default=None, help="Unseen layer indices 0-11 (default: all).")
    parser.add_argument("--seeds", type=int, default=None, help="Seeds 0..N-1 (default 3; 1 with --quick).")
    parser.add_argument("--starts", type=int, default=None, help="Start points per space and random designs (default 10; 4 with --quick).")
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 100, 200], help="Step counts to evaluate (default: 0 100 200).")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam learning rate, fraction of each coordinate's range (default 0.05).")
    args = parser.parse_args(argv)
    if args.quick:
        args.layers = args.layers or [1, 3]
        args.seeds = args.seeds or 1
        args.starts = args.starts or 4
    args.layers = args.layers or list(range(12))
    args.seeds = args.seeds or 3
    args.starts = args.starts or 10
    args.steps = tuple(sorted(set(args.steps)))
    if any(index < 0 or index > 11 for index in args.layers):
        parser.error(f"--layers must be indices in 0-11, but got {args.layers}")
    if min(args.steps) < 0:
        parser.error(f"--steps must be non-negative, but got {list(args.steps)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the suite and write its JSON, Markdown and one bar plot per space."""
    configure_logging()
    args = _parse_args(argv)
    check_evaluator(args.evaluator)
    json_path, plots_dir, runs_root = resolve_paths(args, SUITE)
    args.spaces = [space for space in SPACES if component_available("search_space", space)]
    skipped = {space: f"search space {space!r} is not registered" for space in SPACES if space not in args.spaces}
    model_sha256 = space_fingerprint("latent") if "latent" in args.spaces else ""
    tasks = [
        (LayerTask(layer, seed, args.starts, args.steps, args.lr, args.evaluator, tuple(args.spaces), model_sha256), runs_root)
        for seed in range(args.seeds)
        for layer in args.layers
    ]
    results = map_with_pool(_run_task_in, tasks, workers=args.workers, progress=not args.no_progress, description=SUITE)
    record = summarise(results, args, skipped)

    record["plots"] = {}
    groups = [f"{index}: {entry['layer']}" for index, entry in sorted(record["layers"].items(), key=lambda item: int(item[0]))]
    ordered = [entry for _, entry in sorted(record["layers"].items(), key=lambda item: int(item[0]))]
    for space in args.spaces:
        series = {
            f"{step} steps": [entry["improvement_spread"].get(space, {}).get(str(step), {}).get("mean") for entry in ordered]
            for step in args.steps
        }
        errors = {
            f"{step} steps": [entry["improvement_spread"].get(space, {}).get(str(step), {}).get("std") for entry in ordered]
            for step in args.steps
        }
        path = plots_dir / f"gd_unseen_{space}.png"
        plot_grouped_bars(
            path, f"Gradient descent, {space} space, vs random search", groups, series, errors,
            ylabel="EDP improvement over random (x)", baseline=1.0,
        )
        record["plots"][space] = repo_relative(path)
    write_json(json_path, record)
    json_path.with_suffix(".md").write_text(markdown(record))
    sys.stdout.write(markdown(record))
    if record["errors"]:
        sys.stderr.write(f"{len(record['errors'])} errors; see 'errors' in {json_path}\n")
    return 0 if record["layers"] else 1


if __name__ == "__main__":
    sys.exit(main())
