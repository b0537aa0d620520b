"""Suite 4: where the time of the main job goes.

The main job is ``vaesa run --space latent --optimizer bo --workload resnet50
--budget 100``. It runs as a subprocess (one fresh run directory per
repetition), and its wall time is split with the run's own trace:

* evaluation: the summed ``wall_time_s`` of the trace records (evaluator calls);
* optimizer: the summed ``optimizer_time_s`` (ask and tell);
* start-up: from process launch until the first record's step began, that
  is the first record's timestamp minus its evaluation and optimizer time
  (imports, plugin loading, model loading, evaluator set-up);
* the rest: trace writing, decoding, summary files and interpreter exit.

It also times ``vaesa plugins`` alone, the cost of starting the interpreter,
importing vaesa and loading every plugin.

Usage::

    python benchmarks/main_job_profile.py            # budget 100, 2 repetitions
    python benchmarks/main_job_profile.py --quick    # alexnet, budget 3, 1 repetition
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.cli import add_common_arguments, check_evaluator, configure_logging, resolve_paths
from benchmarks.common.environment import describe_environment, repo_relative
from benchmarks.common.metrics import spread
from benchmarks.common.plots import plot_grouped_bars
from benchmarks.common.records import markdown_table, write_json
from benchmarks.common.runs import component_available

SUITE = "main_job_profile"


def _vaesa_executable() -> list[str]:
    """Return the command that starts the vaesa CLI with this interpreter."""
    return [sys.executable, "-m", "vaesa_core.cli"]


def profile_once(command: list[str], out_dir: Path) -> dict[str, Any]:
    """Run the main job once into ``out_dir`` and split its wall time using its trace.

    Raises:
        RuntimeError: The command failed; the message contains the end of its stderr.
    """
    launched = time.time()
    started = time.perf_counter()
    completed = subprocess.run([*command, "--out", str(out_dir), "--quiet"], capture_output=True, text=True)
    wall_s = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {completed.returncode}: {completed.stderr[-2000:]}")

    records = [json.loads(line) for line in (out_dir / "trace.jsonl").read_text().splitlines() if line.strip()]
    evaluation_s = sum(float(record.get("wall_time_s") or 0.0) for record in records)
    optimizer_s = sum(float(record.get("optimizer_time_s") or 0.0) for record in records)
    first = records[0]
    startup_s = first["timestamp"] - launched - float(first.get("wall_time_s") or 0.0) - float(first.get("optimizer_time_s") or 0.0)
    return {
        "wall_s": wall_s,
        "evaluation_s": evaluation_s,
        "optimizer_s": optimizer_s,
        "startup_s": startup_s,
        "other_s": wall_s - evaluation_s - optimizer_s - startup_s,
        "asked_points": len(records),
        "evaluations": sum(1 for record in records if record.get("evaluation") is not None),
    }


def time_plugins_command() -> float:
    """Return the wall time in seconds of ``vaesa plugins`` (interpreter, imports, plugin loading)."""
    started = time.perf_counter()
    subprocess.run([*_vaesa_executable(), "plugins"], capture_output=True, check=True)
    return time.perf_counter() - started


def markdown(record: dict[str, Any]) -> str:
    """Render the mean time split as a Markdown table."""
    parts = record["split_s"]
    wall = parts["wall_s"]["mean"] or 0.0
    rows = []
    for key, label in (("startup_s", "start-up"), ("evaluation_s", "evaluation"), ("optimizer_s", "optimizer (ask + tell)"), ("other_s", "other"), ("wall_s", "total")):
        mean = parts[key]["mean"]
        rows.append([label, mean, parts[key]["std"], (100.0 * mean / wall) if wall and mean is not None else None])
    return (
        f"`{record['settings']['command']}` ({record['settings']['repetitions']} repetitions; "
        f"`vaesa plugins` alone: {record['plugins_command_s']['mean']:.2f} s)\n\n"
        + markdown_table(["part", "mean s", "std s", "% of total"], rows) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Profile the main job and write its JSON, Markdown and a bar plot."""
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--budget", type=int, default=None, help="Evaluations (default 100; 3 with --quick).")
    parser.add_argument("--repetitions", type=int, default=None, help="Repetitions (default 2; 1 with --quick).")
    parser.add_argument("--space", default="latent", help="Search space (default: latent).")
    parser.add_argument("--workload", default=None, help="Workload (default resnet50; alexnet with --quick).")
    args = parser.parse_args(argv)
    args.budget = args.budget or (3 if args.quick else 100)
    args.repetitions = args.repetitions or (1 if args.quick else 2)
    args.workload = args.workload or ("alexnet" if args.quick else "resnet50")
    check_evaluator(args.evaluator)
    if not component_available("search_space", args.space):
        if not args.quick:
            sys.exit(f"Search space {args.space!r} is not registered; pass --space original to profile without it.")
        # The smoke run checks the profiling itself, which any space exercises.
        sys.stderr.write(f"Search space {args.space!r} is not registered; the quick run profiles the original space.\n")
        args.space = "original"
    json_path, plots_dir, _ = resolve_paths(args, SUITE)

    command = [
        *_vaesa_executable(), "run", "--space", args.space, "--optimizer", "bo", "--workload", args.workload,
        "--budget", str(args.budget), "--evaluator", args.evaluator, "--seed", "0",
    ]
    plugins_s = [time_plugins_command() for _ in range(1 if args.quick else 3)]
    runs = []
    scratch = Path(tempfile.mkdtemp(prefix="vaesa-profile-"))
    try:
        for repetition in range(args.repetitions):
            runs.append(profile_once(command, scratch / f"run{repetition}"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    shown = "vaesa " + " ".join(command[len(_vaesa_executable()):])
    record = {
        "suite": SUITE,
        "environment": describe_environment(),
        "settings": {"command": shown, "budget": args.budget, "repetitions": args.repetitions, "evaluator": args.evaluator,
                     "torch_threads_env": os.environ.get("OMP_NUM_THREADS")},
        "runs": runs,
        "split_s": {key: spread([run[key] for run in runs]) for key in ("wall_s", "startup_s", "evaluation_s", "optimizer_s", "other_s")},
        "plugins_command_s": spread(plugins_s),
    }
    path = plots_dir / "main_job_profile.png"
    labels = ["start-up", "evaluation", "optimizer", "other"]
    plot_grouped_bars(
        path, "Main job wall time split", labels,
        {"mean": [record["split_s"][key]["mean"] for key in ("startup_s", "evaluation_s", "optimizer_s", "other_s")]},
        ylabel="seconds",
    )
    record["plots"] = {"split": repo_relative(path)}
    write_json(json_path, record)
    json_path.with_suffix(".md").write_text(markdown(record))
    sys.stdout.write(markdown(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
