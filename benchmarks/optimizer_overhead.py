"""Optimizer overhead: seconds per ask and tell of each optimizer, and the main job's time split.

Part 1 runs every registered optimizer through ``run_search`` on each
available search space (original, and latent when registered) with budget
100 on resnet50, and times each ``ask`` and ``tell`` call separately.

Part 2 splits the main job, ``bo`` on the latent space for resnet50 with
budget 100, into evaluation time (evaluator calls), optimizer time (ask and
tell) and the rest (decoding, caching, trace writing), from the run's own
trace records.

Part 3 (``--cli``) times whole ``vaesa run`` commands as subprocesses, which
includes interpreter start-up and imports: the main job, and with
``--cli-all`` each optimizer on each space with budget 50.

Usage::

    python benchmarks/optimizer_overhead.py --out benchmarks/results/optimizer_overhead.json --cli --cli-all
    python benchmarks/optimizer_overhead.py --quick     # alexnet, budget 10, no subprocesses

The evaluator is ``analytical`` when registered, else ``placeholder``;
``--evaluator`` overrides it. Wall-clock numbers depend on the machine and
its load; the JSON records both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from benchmarks.common.environment import describe_environment
from benchmarks.common.records import markdown_table, write_json
from vaesa_core.hookspecs import hookimpl
from vaesa_core.plugins import PluginRegistry, get_registry
from vaesa_core.runner import run_search
from vaesa_core.search import Optimizer
from vaesa_core.space import simba_space
from vaesa_core.workloads import resolve_workload

SUITE = "optimizer_overhead"


class _TimedOptimizer(Optimizer):
    """Forward to an optimizer and record the wall and CPU seconds of each ``ask`` and ``tell``.

    CPU seconds (``time.process_time``, all threads of the process) are
    much less sensitive than wall time to other processes on the machine.
    """

    name = "timed"

    def __init__(self, inner: Optimizer) -> None:
        super().__init__(inner.context)
        self.inner = inner
        self.ask_seconds: list[float] = []
        self.tell_seconds: list[float] = []
        self.cpu_seconds = 0.0

    def ask(self, n):
        started, started_cpu = time.perf_counter(), time.process_time()
        points = self.inner.ask(n)
        self.ask_seconds.append(time.perf_counter() - started)
        self.cpu_seconds += time.process_time() - started_cpu
        return points

    def tell(self, points, losses):
        started, started_cpu = time.perf_counter(), time.process_time()
        self.inner.tell(points, losses)
        self.tell_seconds.append(time.perf_counter() - started)
        self.cpu_seconds += time.process_time() - started_cpu

    def close(self):
        self.inner.close()


def _timed_registry(optimizer: str, built: list[_TimedOptimizer]) -> PluginRegistry:
    factory = get_registry().get("optimizer", optimizer).factory

    def make(context):
        timed = _TimedOptimizer(factory(context))
        built.append(timed)
        return timed

    class TimedPlugin:
        @hookimpl
        def vaesa_register_optimizers(self):
            return {"timed": make}

    registry = PluginRegistry(load_entry_points=False)
    registry.register(TimedPlugin(), name="optimizer_overhead_timer")
    return registry


def _build(kind: str, name: str, **kwargs: Any):
    return get_registry().create(kind, name, **kwargs)


def time_optimizer(optimizer: str, space_name: str, *, evaluator_name: str, workload: str, budget: int, seed: int) -> dict[str, Any]:
    """Run one search and return its ask/tell timings and time split (seconds)."""
    design_space = simba_space()
    space = get_registry().create("search_space", space_name, design_space)
    evaluator = _build("evaluator", evaluator_name, design_space=design_space, mapper=None)
    built: list[_TimedOptimizer] = []
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        result = run_search(
            space=space, optimizer="timed", evaluator=evaluator, workload=resolve_workload(workload),
            budget=budget, seed=seed, registry=_timed_registry(optimizer, built),
        )
    finally:
        evaluator.close()
    total_s = time.perf_counter() - started
    total_cpu_s = time.process_time() - started_cpu

    timed = built[0]
    evaluation_s = sum(record["wall_time_s"] for record in result.records)
    optimizer_s = sum(timed.ask_seconds) + sum(timed.tell_seconds)
    return {
        "optimizer": optimizer,
        "space": space_name,
        "budget": budget,
        "evaluations": result.evaluations,
        "asked": len(result.records),
        "best_edp": (result.best_metrics or {}).get("edp"),
        "ask_calls": len(timed.ask_seconds),
        "ask_mean_ms": 1e3 * statistics.fmean(timed.ask_seconds) if timed.ask_seconds else None,
        "ask_max_ms": 1e3 * max(timed.ask_seconds, default=0.0),
        "tell_mean_ms": 1e3 * statistics.fmean(timed.tell_seconds) if timed.tell_seconds else None,
        "tell_max_ms": 1e3 * max(timed.tell_seconds, default=0.0),
        "tell_last_ms": 1e3 * timed.tell_seconds[-1] if timed.tell_seconds else None,
        "optimizer_s": optimizer_s,
        "optimizer_cpu_s": timed.cpu_seconds,
        "total_cpu_s": total_cpu_s,
        "evaluation_s": evaluation_s,
        "other_s": total_s - optimizer_s - evaluation_s,
        "total_s": total_s,
    }


def time_cli(space: str, optimizer: str, *, evaluator_name: str, workload: str, budget: int, seed: int) -> dict[str, Any]:
    """Time ``vaesa run`` as a subprocess (interpreter start-up and imports included)."""
    script = Path(sys.executable).with_name("vaesa")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "vaesa_core.cli"]
    with tempfile.TemporaryDirectory() as folder:
        command = [
            *base, "run", "--space", space, "--optimizer", optimizer, "--workload", workload,
            "--budget", str(budget), "--seed", str(seed), "--evaluator", evaluator_name, "--quiet",
            "--out", str(Path(folder) / "run"),
        ]
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - started
    return {
        "command": " ".join(["vaesa", *command[len(base):-2]]),
        "space": space,
        "optimizer": optimizer,
        "budget": budget,
        "returncode": completed.returncode,
        "seconds": seconds,
        "stderr_tail": completed.stderr[-500:] if completed.returncode else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="alexnet, budget 10 and no subprocess timings (CI smoke run).")
    parser.add_argument("--out", type=Path, default=None, help="JSON result file (default: benchmarks/results/optimizer_overhead.json, or benchmarks/runs/quick/ with --quick).")
    parser.add_argument("--evaluator", default=None, help="Evaluator plugin (default: analytical if registered, else placeholder).")
    parser.add_argument("--workload", default=None, help="Workload (default: resnet50, or alexnet with --quick).")
    parser.add_argument("--budget", type=int, default=None, help="Evaluations per timed run (default: 100, or 10 with --quick).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of every run (default: %(default)s).")
    parser.add_argument("--optimizers", default=None, help="Comma-separated optimizer names (default: every registered one).")
    parser.add_argument("--cli", action="store_true", help="Also time the main job as a 'vaesa run' subprocess.")
    parser.add_argument("--cli-all", action="store_true", help="Also time every optimizer on every space with 'vaesa run' at budget 50.")
    args = parser.parse_args(argv)

    registry = get_registry()
    evaluators = registry.registrations("evaluator")
    evaluator_name = args.evaluator or ("analytical" if "analytical" in evaluators else "placeholder")
    if evaluator_name not in evaluators:
        parser.error(f"evaluator {evaluator_name!r} is not registered; registered: {', '.join(sorted(evaluators))}")
    budget = args.budget or (10 if args.quick else 100)
    args.workload = args.workload or ("alexnet" if args.quick else "resnet50")
    optimizers = args.optimizers.split(",") if args.optimizers else sorted(registry.registrations("optimizer"))
    spaces = [name for name in ("original", "latent") if name in registry.registrations("search_space")]
    # A quick run never replaces the committed record.
    out = args.out or Path(__file__).resolve().parent / ("runs/quick" if args.quick else "results") / f"{SUITE}.json"

    rows = []
    for space in spaces:
        for optimizer in optimizers:
            try:
                rows.append(time_optimizer(optimizer, space, evaluator_name=evaluator_name, workload=args.workload, budget=budget, seed=args.seed))
            except Exception as error:  # one optimizer failing must not hide the others' numbers
                rows.append({"optimizer": optimizer, "space": space, "error": f"{type(error).__name__}: {error}"})
            print(f"timed {optimizer} on {space}", file=sys.stderr, flush=True)

    main_job = next((row for row in rows if row.get("optimizer") == "bo" and row.get("space") == "latent"), None)
    cli_runs = []
    if args.cli and not args.quick and "latent" in spaces:
        cli_runs.append(time_cli("latent", "bo", evaluator_name=evaluator_name, workload=args.workload, budget=100, seed=args.seed))
    if args.cli_all and not args.quick:
        for space in spaces:
            for optimizer in optimizers:
                cli_runs.append(time_cli(space, optimizer, evaluator_name=evaluator_name, workload=args.workload, budget=50, seed=0))
                print(f"timed vaesa run {optimizer} on {space}", file=sys.stderr, flush=True)

    environment = describe_environment()
    environment.setdefault("load_average_1_5_15_min", [round(value, 2) for value in os.getloadavg()])
    main_cli = next((run for run in cli_runs if run["budget"] == 100), None)
    record = {
        "suite": SUITE,
        "environment": environment,
        "summary": {
            f"{row['space']}.{row['optimizer']}": {
                "ask_mean_ms": row["ask_mean_ms"], "tell_mean_ms": row["tell_mean_ms"], "optimizer_s": row["optimizer_s"],
                "optimizer_cpu_s": row["optimizer_cpu_s"],
            }
            for row in rows
            if "error" not in row
        },
        "main_job_split_s": None if main_job is None or "error" in main_job else {
            "evaluation": main_job["evaluation_s"],
            "optimizer": main_job["optimizer_s"],
            "other": main_job["other_s"],
            "total_in_process": main_job["total_s"],
            "optimizer_cpu": main_job["optimizer_cpu_s"],
            "total_in_process_cpu": main_job["total_cpu_s"],
            "vaesa_run_subprocess": main_cli["seconds"] if main_cli else None,
        },
        "evaluator": evaluator_name,
        "workload": args.workload,
        "budget": budget,
        "seed": args.seed,
        "runs": rows,
        "cli_runs": cli_runs,
    }
    write_json(out, record)

    header = [
        "space", "optimizer", "evals", "ask mean ms", "tell mean ms", "tell last ms", "optimizer s", "optimizer CPU s",
        "evaluation s", "other s", "total s", "total CPU s",
    ]
    table_rows = [
        [row["space"], row["optimizer"], row.get("evaluations"), row.get("ask_mean_ms"), row.get("tell_mean_ms"),
         row.get("tell_last_ms"), row.get("optimizer_s"), row.get("optimizer_cpu_s"), row.get("evaluation_s"),
         row.get("other_s"), row.get("total_s"), row.get("total_cpu_s")]
        if "error" not in row else [row["space"], row["optimizer"], "error: " + row["error"][:60]] + [""] * 9
        for row in rows
    ]
    lines = [f"## Optimizer overhead ({evaluator_name} evaluator, {args.workload}, budget {budget})", "", markdown_table(header, table_rows)]
    if cli_runs:
        lines += ["", "## vaesa run wall time (subprocess)", "",
                  markdown_table(["command", "exit", "seconds"], [[run["command"], run["returncode"], run["seconds"]] for run in cli_runs])]
    markdown = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    return 0 if all("error" not in row for row in rows) else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
