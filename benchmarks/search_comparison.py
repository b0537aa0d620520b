"""Suite 1: search methods compared on the four VAESA networks (the VAESA paper's table).

Methods: ``random`` (uniform over the legal lattice), ``bo``, ``tpe`` and
``cma`` on the original space, and ``vae_bo``, ``vae_tpe`` and ``vae_cma``:
the same optimizers on the latent space. Every run spends the same budget of
evaluator calls. Metrics (best EDP, search performance SP and sample
efficiency SE, paired by seed) are defined in ``benchmarks.common.metrics``.

Network costs are summed with ``--aggregation unique`` by default: each
unique layer once, as the published VAESA data and scripts sum them.

Usage::

    python benchmarks/search_comparison.py            # full: 4 networks x 7 methods x 5 seeds x 200
    python benchmarks/search_comparison.py --quick    # smoke run, about a minute

Runs are cached under ``benchmarks/runs/search_comparison``; rerunning skips
finished runs and resumes interrupted ones. Results go to
``benchmarks/results/search_comparison.json`` (+ ``.md``) and plots to
``docs/img/search_<network>.png``. Partial results are written after every
finished run, so an interrupted suite still leaves a usable record.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.cli import add_common_arguments, check_evaluator, configure_logging, resolve_paths
from benchmarks.common.environment import describe_environment, repo_relative
from benchmarks.common.metrics import compare_to_random, spread
from benchmarks.common.plots import plot_best_so_far
from benchmarks.common.records import markdown_table, write_json
from benchmarks.common.runs import (
    RunOutcome,
    RunSpec,
    component_available,
    read_finished_run,
    run_all_specs,
    space_fingerprint,
)

SUITE = "search_comparison"

#: Method label -> (search space, optimizer).
METHODS: dict[str, tuple[str, str]] = {
    "random": ("original", "random"),
    "bo": ("original", "bo"),
    "vae_bo": ("latent", "bo"),
    "tpe": ("original", "tpe"),
    "vae_tpe": ("latent", "tpe"),
    "cma": ("original", "cma"),
    "vae_cma": ("latent", "cma"),
}

NETWORKS = ("resnet50", "alexnet", "resnext50", "deepbench")

#: Methods compared in the VAESA paper (ISPASS 2022), run before the extensions.
PRIORITY_METHODS = ("random", "vae_bo", "bo")

#: Figures of the VAESA paper (ISPASS 2022, Table of vae_bo vs random search):
#: sample efficiency and search performance per network.
PAPER_VAE_BO = {
    "resnet50": {"se": 4.17, "sp": 1.01},
    "alexnet": {"se": 2.00, "sp": 1.00},
    "resnext50": {"se": 1.27, "sp": 1.01},
    "deepbench": {"se": 4.46, "sp": 1.01},
}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--networks", nargs="+", default=None, help=f"Networks (default: {' '.join(NETWORKS)}).")
    parser.add_argument("--methods", nargs="+", default=None, help=f"Methods (default: {' '.join(METHODS)}).")
    parser.add_argument("--seeds", type=int, default=None, help="Seeds 0..N-1 per method (default 5; 1 with --quick).")
    parser.add_argument("--budget", type=int, default=None, help="Evaluations per run (default 200; 12 with --quick).")
    parser.add_argument(
        "--aggregation", choices=("unique", "weighted"), default="unique",
        help="Network sums: each unique layer once (default, as the published VAESA numbers) or weighted by repeats.",
    )
    parser.add_argument(
        "--report-only", action="store_true",
        help="Write the record and plots from the finished runs only; start no run (use while a suite is running).",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.networks = args.networks or ["alexnet"]
        args.seeds = args.seeds or 1
        args.budget = args.budget or 12
    args.networks = args.networks or list(NETWORKS)
    args.methods = args.methods or list(METHODS)
    args.seeds = args.seeds or 5
    args.budget = args.budget or 200
    unknown = sorted(set(args.methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    if "random" not in args.methods:
        args.methods.insert(0, "random")
    return args


def _available_methods(methods: list[str]) -> tuple[list[str], dict[str, str]]:
    """Split methods into those whose space and optimizer are registered, and the rest with a reason."""
    available, skipped = [], {}
    for method in methods:
        space, optimizer = METHODS[method]
        if not component_available("search_space", space):
            skipped[method] = f"search space {space!r} is not registered"
        elif not component_available("optimizer", optimizer):
            skipped[method] = f"optimizer {optimizer!r} is not registered"
        else:
            available.append(method)
    return available, skipped


def summarise(
    outcomes: list[RunOutcome], args: argparse.Namespace, skipped: dict[str, str], planned: int
) -> dict[str, Any]:
    """Reduce run outcomes to the suite's record (finished runs only)."""
    by_network: dict[str, dict[str, dict[int, list[float]]]] = {}
    failures = []
    runtime = {"evaluation_s": 0.0, "optimizer_s": 0.0}
    for outcome in outcomes:
        if outcome.error:
            failures.append({"run": outcome.spec.identity(), "error": outcome.error})
            continue
        if not outcome.curve:
            continue
        spec = outcome.spec
        by_network.setdefault(spec.network, {}).setdefault(spec.method, {})[spec.seed] = outcome.curve
        runtime["evaluation_s"] += outcome.evaluation_s
        runtime["optimizer_s"] += outcome.optimizer_s

    networks: dict[str, Any] = {}
    for network in [name for name in NETWORKS if name in by_network] + sorted(set(by_network) - set(NETWORKS)):
        methods = {method: by_network[network][method] for method in METHODS if method in by_network[network]}
        random_curves = methods.get("random", {})
        entry: dict[str, Any] = {"methods": {}}
        for method, curves in methods.items():
            bests = [curve[-1] for curve in curves.values()]
            method_entry: dict[str, Any] = {
                "seeds": sorted(curves),
                "evaluations": {str(seed): len(curve) for seed, curve in curves.items()},
                "best_edp": spread(bests),
                "best_edp_per_seed": {str(seed): curve[-1] for seed, curve in curves.items()},
                "curves": {str(seed): curve for seed, curve in curves.items()},
            }
            if method != "random" and random_curves:
                method_entry["vs_random"] = compare_to_random(random_curves, curves, args.budget)
            entry["methods"][method] = method_entry
        networks[network] = entry

    finished = sum(1 for outcome in outcomes if outcome.curve and not outcome.error)
    return {
        "suite": SUITE,
        "environment": describe_environment(),
        "settings": {
            "networks": args.networks,
            "methods": {method: dict(zip(("space", "optimizer"), METHODS[method])) for method in args.methods},
            "seeds": list(range(args.seeds)),
            "budget_evaluations": args.budget,
            "aggregation": args.aggregation,
            "evaluator": args.evaluator,
            "quick": bool(args.quick),
            "latent_model_sha256": space_fingerprint("latent") if "latent" in {METHODS[m][0] for m in args.methods} else None,
        },
        "runs_planned": planned,
        "runs_finished": finished,
        "skipped_methods": skipped,
        "failures": failures,
        "search_time_s": runtime,
        "code_commits": sorted({outcome.code_commit for outcome in outcomes if outcome.code_commit}),
        "paper_vae_bo": PAPER_VAE_BO,
        "networks": networks,
    }


def markdown(record: dict[str, Any]) -> str:
    """Render the suite's record as Markdown tables (one row per network and method)."""
    rows = []
    for network, entry in record["networks"].items():
        for method, data in entry["methods"].items():
            versus = data.get("vs_random") or {}
            sp = versus.get("sp") or {}
            se = versus.get("se") or {}
            rows.append([
                network, method, len(data["seeds"]),
                data["best_edp"]["mean"], data["best_edp"]["std"],
                sp.get("mean"), sp.get("std"),
                se.get("mean"), se.get("std"),
                f"{versus['se_censored']}/{len(versus['seeds'])}" if versus else "",
            ])
    table = markdown_table(
        ["network", "method", "seeds", "best EDP mean", "best EDP std", "SP mean", "SP std", "SE mean", "SE std", "SE censored"],
        rows,
    )
    settings = record["settings"]
    return (
        f"Budget {settings['budget_evaluations']} evaluations, aggregation {settings['aggregation']}, "
        f"evaluator {settings['evaluator']}; {record['runs_finished']} of {record['runs_planned']} runs finished.\n\n"
        + table + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the suite and write its JSON, Markdown and plots."""
    configure_logging()
    args = _parse_args(argv)
    check_evaluator(args.evaluator)
    json_path, plots_dir, runs_root = resolve_paths(args, SUITE)
    methods, skipped = _available_methods(args.methods)
    args.methods = methods
    fingerprints = {space: space_fingerprint(space) for space, _ in METHODS.values()}
    # The paper's comparison (random, vae_bo, bo) runs first, and the two
    # networks with the fewest layers get all their seeds before the next two,
    # so a suite stopped early has every seed for some networks.
    from vaesa_core.workloads import resolve_workload

    tiers = [[m for m in methods if m in PRIORITY_METHODS], [m for m in methods if m not in PRIORITY_METHODS]]
    by_cost = sorted(args.networks, key=lambda name: len(resolve_workload(name).layers))
    network_groups = [by_cost[index : index + 2] for index in range(0, len(by_cost), 2)]
    specs = [
        RunSpec(
            network, method, *METHODS[method], seed, args.budget, args.evaluator, args.aggregation,
            space_fingerprint=fingerprints[METHODS[method][0]],
        )
        for tier in tiers
        for group in network_groups
        for seed in range(args.seeds)
        for network in group
        for method in tier
    ]

    finished: list[RunOutcome] = []
    last_write = [0.0]

    def save(outcome: RunOutcome) -> None:
        # Partial results are written at most every 30 s, so an interrupted suite leaves a record.
        finished.append(outcome)
        if time.monotonic() - last_write[0] > 30:
            write_json(json_path, summarise(finished, args, skipped, len(specs)))
            last_write[0] = time.monotonic()

    if args.report_only:
        outcomes = [outcome for spec in specs if (outcome := read_finished_run(spec, runs_root)) is not None]
    else:
        outcomes = run_all_specs(
            specs, runs_root, workers=args.workers, progress=not args.no_progress, description=SUITE, on_outcome=save
        )
    record = summarise(outcomes, args, skipped, len(specs))
    if args.report_only:
        # The runs were made by the same command without --report-only.
        command = record["environment"]["command"]
        record["environment"]["command"] = command.replace(" --report-only", "")
        record["report_only"] = True
    record["plots"] = {}
    for network, entry in record["networks"].items():
        path = plots_dir / f"search_{network}.png"
        curves = {method: list(data["curves"].values()) for method, data in entry["methods"].items()}
        plot_best_so_far(path, f"{network}: best EDP so far (median, min-max over seeds)", curves)
        record["plots"][network] = repo_relative(path)
    write_json(json_path, record)
    json_path.with_suffix(".md").write_text(markdown(record))
    sys.stdout.write(markdown(record))
    if record["failures"]:
        sys.stderr.write(f"{len(record['failures'])} runs failed; see 'failures' in {json_path}\n")
    return 0 if record["runs_finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
