"""Run every benchmark suite, or with ``--quick`` every suite's smoke mode.

The suites are run one after another as subprocesses, so each starts with a
clean interpreter and its own worker pool. Scripts that do not exist yet
are reported as missing, not as failures.

Usage::

    python benchmarks/run_all.py --quick     # smoke runs into a scratch folder (a few minutes on 2 cores)
    python benchmarks/run_all.py             # full suites into benchmarks/results, then docs/benchmarks.md

With ``--quick`` the results go to ``--out`` (default
``benchmarks/runs/quick``), never to the committed ``benchmarks/results``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.environment import REPO_ROOT

#: Every suite's script, in run order; the first three are this folder's own suites.
SUITES: tuple[str, ...] = (
    "search_comparison",
    "gd_unseen",
    "main_job_profile",
    "costmodel_speed",
    "evaluator_speed",
    "evaluator_fidelity",
    "latent_quality",
    "optimizer_overhead",
)

#: Suites that take ``--evaluator`` and ``--runs-dir``.
OWN_SUITES = frozenset({"search_comparison", "gd_unseen", "main_job_profile"})


def run_suite(name: str, *, quick: bool, out_dir: Path | None, evaluator: str | None, timeout_s: float) -> dict:
    """Run one suite's script and return its name, status, exit code, wall seconds and output tail."""
    script = REPO_ROOT / "benchmarks" / f"{name}.py"
    if not script.exists():
        return {"suite": name, "status": "missing", "returncode": None, "wall_s": 0.0, "output_tail": ""}
    command = [sys.executable, str(script)]
    if quick:
        command.append("--quick")
    if out_dir is not None:
        command += ["--out", str(out_dir / f"{name}.json")]
    if name in OWN_SUITES:
        command.append("--no-progress")
        if evaluator:
            command += ["--evaluator", evaluator]
        if out_dir is not None:
            command += ["--runs-dir", str(out_dir / "runs" / name), "--plots-dir", str(out_dir / "img")]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"suite": name, "status": "timed out", "returncode": None, "wall_s": time.perf_counter() - started,
                "command": " ".join(command), "output_tail": ""}
    wall_s = time.perf_counter() - started
    return {
        "suite": name,
        "status": "ok" if completed.returncode == 0 else "failed",
        "returncode": completed.returncode,
        "wall_s": wall_s,
        "command": " ".join(command),
        "output_tail": (completed.stdout[-1500:] + "\n" + completed.stderr[-3000:]).strip(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the suites; exit 1 if any existing suite failed or timed out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Run each suite's smoke mode.")
    parser.add_argument("--out", type=Path, default=None, help="Folder for the results (default: benchmarks/runs/quick with --quick, else each suite's default).")
    parser.add_argument("--evaluator", default=None, help="Evaluator for this folder's own suites (default: theirs, analytical).")
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=SUITES, help="Suites to run (default: all).")
    parser.add_argument("--timeout", type=float, default=None, help="Seconds per suite (default: 600 with --quick, none otherwise).")
    args = parser.parse_args(argv)
    out_dir = args.out or (REPO_ROOT / "benchmarks" / "runs" / "quick" if args.quick else None)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    timeout_s = args.timeout or (600.0 if args.quick else None)

    results = []
    for name in args.suites:
        result = run_suite(name, quick=args.quick, out_dir=out_dir, evaluator=args.evaluator, timeout_s=timeout_s)
        results.append(result)
        sys.stdout.write(f"{name:<20} {result['status']:<10} {result['wall_s']:7.1f} s\n")
        sys.stdout.flush()
        if result["status"] in ("failed", "timed out"):
            sys.stdout.write(result["output_tail"][-2000:] + "\n")

    total_s = sum(result["wall_s"] for result in results)
    sys.stdout.write(f"{'total':<20} {'':<10} {total_s:7.1f} s\n")
    if out_dir is not None:
        (out_dir / "run_all.json").write_text(json.dumps({"quick": args.quick, "total_s": total_s, "suites": results}, indent=1) + "\n")
    if not args.quick and out_dir is None:
        from benchmarks.make_docs import main as make_docs

        make_docs([])
    return 1 if any(result["status"] in ("failed", "timed out") for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
