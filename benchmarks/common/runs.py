"""Cached, resumable search runs for the benchmarks, executed by a small process pool.

Each run lives in its own run directory written by
``vaesa_core.runner.run_search``. A run whose ``summary.json`` records it as
complete with at least the requested budget is read back without running;
a run with a partial trace is resumed with ``resume=True``, so a suite that
was interrupted continues where it stopped. The budget is not part of the
directory name: a larger budget extends a finished run, a smaller one reads
a prefix of its trace.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common.environment import git_commit

__all__ = [
    "RunOutcome",
    "RunSpec",
    "best_so_far",
    "component_available",
    "execute_run",
    "map_with_pool",
    "read_finished_run",
    "run_all_specs",
    "space_fingerprint",
]

_logger = logging.getLogger(__name__)

#: Search spaces and evaluators built in this process, by (kind, name).
_COMPONENTS: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class RunSpec:
    """One search run of a benchmark suite.

    Attributes:
        network: Built-in workload name, e.g. ``"resnet50"``.
        method: Label in the results, e.g. ``"vae_bo"``.
        space: Search space name (``original`` or ``latent``).
        optimizer: Optimizer name (``random``, ``bo``, ...).
        seed: Seed of the optimizer.
        budget: Evaluator calls (distinct designs) to spend.
        evaluator: Evaluator name, e.g. ``"analytical"``.
        aggregation: ``unique`` or ``weighted`` network sums.
        options: Optimizer settings (``--option KEY=VALUE``), as strings.
        space_fingerprint: SHA-256 of the latent model file for the latent
            space (see ``space_fingerprint``), empty for the original space.
    """

    network: str
    method: str
    space: str
    optimizer: str
    seed: int
    budget: int
    evaluator: str = "analytical"
    aggregation: str = "unique"
    options: tuple[tuple[str, str], ...] = ()
    space_fingerprint: str = ""

    def run_dir(self, root: Path) -> Path:
        """Return the run directory under ``root`` (independent of the budget).

        A space fingerprint (the latent model's hash) is part of the name, so
        runs on a retrained model never resume runs made with an older one.
        """
        model = f"-{self.space_fingerprint[:10]}" if self.space_fingerprint else ""
        return root / f"{self.evaluator}-{self.aggregation}" / self.network / f"{self.method}{model}-seed{self.seed}"

    def identity(self) -> dict[str, Any]:
        """Return the settings that must match for a run directory to be reused."""
        data = asdict(self)
        data.pop("budget")
        data["options"] = dict(self.options)
        return data


@dataclass
class RunOutcome:
    """Result of one run, reduced to what the suites need.

    Attributes:
        spec: The run.
        curve: Best valid EDP (cycles x pJ) after each evaluation, length
            ``evaluations``; ``inf`` until the first valid design.
        evaluations: Evaluations performed (at most ``spec.budget``).
        complete: True when the budget was spent or the optimizer stopped.
        cached: True when the run was read from disk without running.
        elapsed_s: Wall time of this call in seconds.
        evaluation_s: Summed evaluator wall time over the trace, seconds.
        optimizer_s: Summed optimizer (ask + tell) wall time over the trace, seconds.
        error: Error message when the run failed, else None.
        code_commit: Commit of the code that made the run (from its settings).
    """

    spec: RunSpec
    curve: list[float] = field(default_factory=list)
    evaluations: int = 0
    complete: bool = False
    cached: bool = False
    elapsed_s: float = 0.0
    evaluation_s: float = 0.0
    optimizer_s: float = 0.0
    error: str | None = None
    code_commit: str | None = None

    @property
    def best_edp(self) -> float:
        """Return the best EDP within the budget (``inf`` when nothing valid was found)."""
        return self.curve[-1] if self.curve else math.inf


def best_so_far(records: Iterable[Mapping[str, Any]], budget: int) -> tuple[list[float], float, float]:
    """Reduce a trace to the best-so-far EDP after each of its first ``budget`` evaluations.

    Args:
        records: Trace records of ``run_search`` in step order.
        budget: Evaluations to keep.

    Returns:
        ``(curve, evaluation_s, optimizer_s)``: the best valid EDP after
        evaluation 1, 2, ... (``inf`` before the first valid design), and the
        summed evaluator and optimizer wall times of the kept records.
    """
    curve: list[float] = []
    best = math.inf
    evaluation_s = 0.0
    optimizer_s = 0.0
    for record in records:
        number = record.get("evaluation")
        if number is not None and int(number) > budget:
            break
        optimizer_s += float(record.get("optimizer_time_s") or 0.0)
        if number is None:
            continue
        evaluation_s += float(record.get("wall_time_s") or 0.0)
        metrics = record.get("metrics") or {}
        edp = metrics.get("edp")
        if metrics.get("valid") and edp is not None and math.isfinite(edp) and edp > 0:
            best = min(best, float(edp))
        curve.append(best)
    return curve, evaluation_s, optimizer_s


def _read_finished(run_dir: Path, spec: RunSpec) -> RunOutcome | None:
    """Return the outcome stored in ``run_dir`` if it covers ``spec.budget``, else None."""
    from vaesa_core.runner import read_trace

    summary_path = run_dir / "summary.json"
    if not summary_path.exists():
        return None
    summary = json.loads(summary_path.read_text())
    recorded_budget = int(summary.get("settings", {}).get("budget", 0))
    if not summary.get("complete"):
        return None
    # A complete run with a smaller budget is extended by resuming it; one whose
    # optimizer stopped early (fewer evaluations than its budget) is final.
    if recorded_budget < spec.budget and int(summary.get("evaluations", 0)) >= recorded_budget:
        return None
    curve, evaluation_s, optimizer_s = best_so_far(read_trace(run_dir / "trace.jsonl"), spec.budget)
    commit = summary.get("settings", {}).get("code_commit")
    return RunOutcome(spec, curve, len(curve), True, True, 0.0, evaluation_s, optimizer_s, code_commit=commit)


def read_finished_run(spec: RunSpec, runs_root: Path) -> RunOutcome | None:
    """Return the outcome of ``spec`` if its run directory contains a finished run, else None (never runs anything)."""
    run_dir = spec.run_dir(Path(runs_root))
    identity_path = run_dir / "benchmark_run.json"
    if not identity_path.exists() or json.loads(identity_path.read_text()) != spec.identity():
        return None
    return _read_finished(run_dir, spec)


def _check_identity(run_dir: Path, spec: RunSpec) -> None:
    identity_path = run_dir / "benchmark_run.json"
    if identity_path.exists():
        recorded = json.loads(identity_path.read_text())
        if recorded != spec.identity():
            raise ValueError(
                f"Run directory {run_dir} was made for {recorded}, not {spec.identity()}. "
                "Delete it or pass another --runs-dir."
            )
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        identity_path.write_text(json.dumps(spec.identity(), indent=2, sort_keys=True) + "\n")


def execute_run(spec: RunSpec, runs_root: Path) -> RunOutcome:
    """Run (or resume, or read back) one search run; errors are returned, not raised.

    Args:
        spec: The run.
        runs_root: Root folder of the run directories.

    Returns:
        The run's outcome; ``error`` is set when it failed.
    """
    started = time.perf_counter()
    run_dir = spec.run_dir(Path(runs_root))
    try:
        _check_identity(run_dir, spec)
        finished = _read_finished(run_dir, spec)
        if finished is not None:
            return finished

        import torch

        from vaesa_core.cli.components import build_evaluator, build_space
        from vaesa_core.plugins import get_registry
        from vaesa_core.runner import run_search
        from vaesa_core.space import simba_space
        from vaesa_core.workloads import resolve_workload

        # Two worker processes share two cores; more torch threads only contend.
        torch.set_num_threads(1)
        registry = get_registry()
        design_space = simba_space()
        # Spaces and evaluators are reused by later runs in this worker, so a
        # model is loaded and per-layer mapper caches are built only once.
        space_key = ("space", spec.space)
        if space_key not in _COMPONENTS:
            _COMPONENTS[("fingerprint", spec.space)] = space_fingerprint(spec.space)
            _COMPONENTS[space_key] = build_space(registry, spec.space, design_space=design_space, options={})
        if _COMPONENTS[("fingerprint", spec.space)] != spec.space_fingerprint:
            raise RuntimeError(
                f"The {spec.space} space's model changed since the suite started (hash "
                f"{_COMPONENTS[('fingerprint', spec.space)][:10]}, expected {spec.space_fingerprint[:10]}). "
                "Rerun the suite; finished runs are kept."
            )
        evaluator_key = ("evaluator", spec.evaluator)
        if evaluator_key not in _COMPONENTS:
            _COMPONENTS[evaluator_key] = build_evaluator(
                registry, spec.evaluator, design_space=design_space, mapper=None, options={}
            )
        result = run_search(
            space=_COMPONENTS[space_key],
            optimizer=spec.optimizer,
            evaluator=_COMPONENTS[evaluator_key],
            workload=resolve_workload(spec.network),
            budget=spec.budget,
            seed=spec.seed,
            out_dir=run_dir,
            resume=(run_dir / "settings.json").exists(),
            aggregation=spec.aggregation,
            optimizer_options=dict(spec.options),
            registry=registry,
            extra_settings={
                "command": "benchmarks",
                "method": spec.method,
                "space_fingerprint": spec.space_fingerprint,
                "code_commit": git_commit(),
            },
        )
        curve, evaluation_s, optimizer_s = best_so_far(result.records, spec.budget)
        return RunOutcome(
            spec, curve, len(curve), result.complete, False, time.perf_counter() - started, evaluation_s, optimizer_s,
            code_commit=result.settings.get("code_commit"),
        )
    except Exception as error:  # one failed run must not end a suite of hundreds
        _logger.warning("Run %s failed: %s: %s", spec, type(error).__name__, error)
        return RunOutcome(spec, elapsed_s=time.perf_counter() - started, error=f"{type(error).__name__}: {error}")


def map_with_pool(
    function: Callable[[Any], Any],
    items: list[Any],
    *,
    workers: int = 2,
    progress: bool = True,
    description: str = "runs",
    on_result: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Apply a picklable ``function`` to independent ``items`` on at most two worker processes.

    Args:
        function: Module-level function of one item.
        items: Work items.
        workers: Worker processes; capped at 2 (and at the item count), and 1
            runs in this process.
        progress: Show a tqdm progress bar on stderr.
        description: Label of the progress bar.
        on_result: Called in this process with each result as it arrives
            (for example to save partial results).

    Returns:
        Results in the order of ``items``.
    """
    from tqdm import tqdm

    workers = max(1, min(2, int(workers), len(items)))
    results: dict[int, Any] = {}
    bar = tqdm(total=len(items), desc=description, unit="run", disable=not progress)
    try:
        if workers == 1:
            for index, item in enumerate(items):
                results[index] = function(item)
                bar.update(1)
                if on_result is not None:
                    on_result(results[index])
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(function, item): index for index, item in enumerate(items)}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update(1)
                    if on_result is not None:
                        on_result(results[futures[future]])
    finally:
        bar.close()
    return [results[index] for index in sorted(results)]


def run_all_specs(
    specs: list[RunSpec],
    runs_root: Path,
    *,
    workers: int = 2,
    progress: bool = True,
    description: str = "runs",
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Execute independent search runs with ``map_with_pool``; outcomes come back in the order of ``specs``."""
    return map_with_pool(
        functools.partial(execute_run, runs_root=runs_root),
        specs,
        workers=workers,
        progress=progress,
        description=description,
        on_result=on_outcome,
    )


def space_fingerprint(space: str) -> str:
    """Return the SHA-256 of the shipped latent model for ``latent``, or "" for other spaces."""
    if space != "latent":
        return ""
    import hashlib

    from vaesa_core.latent.checkpoint import default_model_path

    path = default_model_path()
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def component_available(kind: str, name: str) -> bool:
    """Return True if a plugin registered ``name`` as a ``kind`` (``optimizer``, ``search_space``, ...)."""
    from vaesa_core.plugins import get_registry

    return name in get_registry().registrations(kind)


def default_workers() -> int:
    """Return 2, or 1 on a single-core machine."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1
