"""Command-line options shared by the benchmark suites."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from benchmarks.common.environment import REPO_ROOT
from benchmarks.common.runs import default_workers

__all__ = ["add_common_arguments", "check_evaluator", "configure_logging", "resolve_paths"]

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
RUNS_DIR = REPO_ROOT / "benchmarks" / "runs"
IMAGES_DIR = REPO_ROOT / "docs" / "img"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--quick``, ``--out``, ``--plots-dir``, ``--runs-dir``, ``--workers``, ``--evaluator`` and ``--no-progress``."""
    parser.add_argument("--quick", action="store_true", help="Tiny budgets, one seed, few networks (CI smoke run).")
    parser.add_argument(
        "--out", type=Path, default=None,
        help="JSON result file; a Markdown table is written beside it (.md). Default: "
        "benchmarks/results/<suite>.json, or benchmarks/runs/quick/<suite>.json with --quick.",
    )
    parser.add_argument(
        "--plots-dir", type=Path, default=None,
        help="Folder for PNG plots. Default: docs/img, or the folder of --out with --quick.",
    )
    parser.add_argument(
        "--runs-dir", type=Path, default=None,
        help="Root of the cached run directories. Default: benchmarks/runs/<suite> (benchmarks/runs/quick/<suite> with --quick).",
    )
    parser.add_argument("--workers", type=int, default=default_workers(), help="Worker processes, at most 2 (default: %(default)s).")
    parser.add_argument("--evaluator", default="analytical", help="Evaluator plugin name (default: %(default)s).")
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")


def resolve_paths(args: argparse.Namespace, suite: str) -> tuple[Path, Path, Path]:
    """Return ``(json_path, plots_dir, runs_root)`` for ``suite`` from the parsed options."""
    quick_root = RUNS_DIR / "quick"
    out = args.out or ((quick_root / f"{suite}.json") if args.quick else (RESULTS_DIR / f"{suite}.json"))
    plots_dir = args.plots_dir or (out.parent if args.quick else IMAGES_DIR)
    runs_root = args.runs_dir or ((quick_root / suite) if args.quick else (RUNS_DIR / suite))
    return out, plots_dir, runs_root


def configure_logging() -> None:
    """Send WARNING and above to stderr."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def check_evaluator(name: str) -> None:
    """Exit with a clear message when no plugin registered the evaluator ``name``."""
    from vaesa_core.plugins import get_registry

    known = get_registry().registrations("evaluator")
    if name not in known:
        sys.exit(
            f"Evaluator {name!r} is not registered (registered: {', '.join(sorted(known)) or 'none'}). "
            "Install the plugin that provides it or pass --evaluator NAME."
        )
