"""The search loop: ask, decode, evaluate (with a cache), tell, record.

Budget policy: the budget counts evaluator calls, one per distinct design.
A design that was already evaluated in this run is served from the cache,
told to the optimizer again and recorded with ``cached: true``, but it does
not consume budget. So that an optimizer stuck on known designs cannot loop
forever, the run also stops after ``max_asks`` asked points (default
``10 * budget + 100``).

Resume: a run is replayed from its trace. The optimizer is rebuilt with the
same seed and asked again; while its points decode to the designs recorded in
the trace, the recorded metrics are told back without evaluating anything.
If a library is not deterministic and the replay diverges, the stale tail of
the trace is dropped (its metrics stay in the cache, so those designs are not
evaluated again) and the run continues from there.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaesa_core.errors import RunDirectoryError
from vaesa_core.evaluation.cost import NetworkCost, Status
from vaesa_core.evaluation.evaluator import Evaluator, evaluate_network
from vaesa_core.evaluation.objective import Objective, invalid_loss
from vaesa_core.plugins import PluginRegistry, get_registry
from vaesa_core.runner.trace import TIMING_FIELDS, TraceWriter, read_trace, write_json_atomic
from vaesa_core.search.optimizer import SearchContext
from vaesa_core.search.search_space import SearchSpace
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.network import Aggregation, Network

__all__ = ["RunInterrupted", "RunResult", "run_search"]

_logger = logging.getLogger(__name__)

class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT) after its run directory was brought up to date.

    A ``KeyboardInterrupt``, so callers that do not know it stop as before.

    Attributes:
        result: The partial result; ``complete`` is False.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"run interrupted after {result.evaluations} evaluations")
        self.result = result


#: Settings that must match for ``resume`` to continue a run directory. The
#: space's settings include the latent box, so a model file replaced under the
#: same path is caught too. The budget may change (a run can be extended).
_RESUME_KEYS = (
    "optimizer", "space", "workload", "workload_layers", "workload_counts", "objective", "seed", "batch_size",
    "aggregation", "evaluator", "optimizer_options", "space_settings", "evaluator_settings",
)


@dataclass
class RunResult:
    """Outcome of ``run_search``.

    Attributes:
        best_config: Best valid design found, or None if none was valid.
        best_metrics: Its metrics (``cycles``, ``energy_pj``, ``edp``, ...).
        best_step: Trace step of the best design.
        records: Every trace record, one per asked point.
        evaluations: Evaluator calls made (cached repeats excluded).
        complete: True when the budget was spent or the optimizer finished.
        out_dir: The run directory, if one was written.
    """

    best_config: HardwareConfig | None
    best_metrics: dict[str, Any] | None
    best_step: int | None
    records: list[dict[str, Any]]
    evaluations: int
    complete: bool
    out_dir: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Return the contents of ``summary.json``."""
        return {
            "best_config": self.best_config.as_dict() if self.best_config else None,
            "best_metrics": self.best_metrics,
            "best_step": self.best_step,
            "evaluations": self.evaluations,
            "asked": len(self.records),
            "complete": self.complete,
            "settings": self.settings,
        }


class _PenaltyState:
    """Turn costs into finite losses; invalid ones get the documented penalty."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective
        self.worst_valid = -math.inf

    def loss(self, metrics: Mapping[str, Any]) -> float:
        value = _objective_value(self.objective, metrics)
        if value is None:
            return invalid_loss(self.worst_valid)
        loss = math.log(value)
        self.worst_valid = max(self.worst_valid, loss)
        return loss


def _objective_value(objective: Objective, metrics: Mapping[str, Any]) -> float | None:
    if not metrics.get("valid"):
        return None
    key = {"edp": "edp", "latency": "cycles", "energy": "energy_pj"}[objective.value]
    value = metrics.get(key)
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    return float(value)


def _config_key(config: HardwareConfig) -> tuple[int, ...]:
    return tuple(int(value) for value in config.as_array())


def run_search(
    *,
    space: SearchSpace,
    optimizer: str,
    evaluator: Evaluator,
    workload: Network,
    objective: Objective | str = Objective.EDP,
    budget: int,
    seed: int,
    batch_size: int = 1,
    out_dir: Path | str | None = None,
    resume: bool = False,
    aggregation: Aggregation | str = Aggregation.WEIGHTED,
    optimizer_options: Mapping[str, str] | None = None,
    progress: bool = False,
    registry: PluginRegistry | None = None,
    max_asks: int | None = None,
    extra_settings: Mapping[str, Any] | None = None,
) -> RunResult:
    """Search ``space`` with the optimizer registered as ``optimizer``.

    Args:
        space: Where the optimizer moves; points decode to legal designs.
        optimizer: Registered optimizer name, e.g. ``"bo"``.
        evaluator: Scores (design, layer) pairs.
        workload: Network whose summed cost is the objective.
        objective: ``edp``, ``latency`` or ``energy``; optimizers see ln of it.
        budget: Evaluator calls (distinct designs) to spend; must be >= 1.
        seed: Seeds the optimizer; the same seed gives the same trace.
        batch_size: Points asked and evaluated together.
        out_dir: Run directory for ``settings.json``, ``trace.jsonl``,
            ``trace.csv`` and ``summary.json``; None keeps everything in
            memory.
        resume: Continue the run in ``out_dir`` (see the module docstring).
        aggregation: ``weighted`` (repeat counts) or ``unique`` network sums.
        optimizer_options: String settings passed to the optimizer.
        progress: Show a progress bar on stderr.
        registry: Plugin registry (default: the process-wide one).
        max_asks: Stop after this many asked points (default ``10 * budget + 100``).
        extra_settings: More settings to record in ``settings.json``.

    Returns:
        A ``RunResult`` with the best design and the full trace.

    Raises:
        ValueError: ``budget`` or ``batch_size`` is not positive.
        RunDirectoryError: ``out_dir`` holds a trace and ``resume`` is off,
            or ``resume`` is on and the recorded settings differ.
        RunInterrupted: Ctrl-C stopped the run. ``out_dir`` contains the
            trace, trace.csv and summary.json of the evaluations so far.
    """
    if isinstance(budget, bool) or int(budget) < 1:
        raise ValueError(f"budget must be a positive number of evaluations, but got {budget!r}.")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, but got {batch_size!r}.")
    objective = Objective(objective)
    aggregation = Aggregation(aggregation)
    registry = registry or get_registry()
    max_asks = max_asks if max_asks is not None else 10 * budget + 100

    settings: dict[str, Any] = {
        "optimizer": optimizer,
        "space": space.name,
        "workload": workload.name,
        "workload_layers": [layer.key() for layer in workload.layers],
        "workload_counts": list(workload.counts),
        "objective": objective.value,
        "aggregation": aggregation.value,
        "budget": int(budget),
        "seed": int(seed),
        "batch_size": int(batch_size),
        "evaluator": evaluator.name,
        "evaluator_settings": evaluator.describe(),
        "space_settings": space.describe(),
        "optimizer_options": dict(optimizer_options or {}),
        "budget_policy": "evaluator calls; cached repeats do not count",
    }
    settings.update(extra_settings or {})

    # The optimizer is built before the run directory is touched, so a run
    # that cannot start (an unknown option, say) leaves no settings.json.
    context = SearchContext(
        space=space,
        workload=workload,
        objective=objective,
        budget=int(budget),
        seed=int(seed),
        batch_size=int(batch_size),
        options=dict(optimizer_options or {}),
    )
    search = registry.create("optimizer", optimizer, context)
    settings["optimizer_settings"] = search.describe()

    previous: list[dict[str, Any]] = []
    writer: TraceWriter | None = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        previous = _prepare_run_dir(out_dir, settings, resume=resume)
    _logger.info(
        "Run %s on %s space, workload %s, budget %d, seed %d%s",
        optimizer, space.name, workload.name, budget, seed, f" (resuming {len(previous)} records)" if previous else "",
    )

    cache: dict[tuple[int, ...], dict[str, Any]] = {}
    for record in previous:
        cache.setdefault(_config_key(HardwareConfig.from_mapping(record["config"])), record["metrics"])

    records: list[dict[str, Any]] = []
    penalties = _PenaltyState(objective)
    evaluations = 0
    replaying = bool(previous)
    complete = False

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=int(budget), desc=f"{optimizer}/{space.name}", unit="eval", leave=False)

    interrupted = False
    try:
        if out_dir is not None:
            writer = TraceWriter(out_dir / "trace.jsonl", records=previous)
        while True:
            if evaluations >= budget:
                complete = True
                break
            if len(records) >= max_asks:
                _logger.warning(
                    "Stopping after %d asked points with %d of %d evaluations: the optimizer keeps "
                    "proposing designs already evaluated.", len(records), evaluations, budget,
                )
                break

            started = time.perf_counter()
            points = np.atleast_2d(np.asarray(search.ask(min(batch_size, budget - evaluations)), dtype=float))
            ask_seconds = time.perf_counter() - started
            if points.size == 0:
                complete = True
                break
            configs = space.to_configs(points)
            step = len(records)

            # Leading points that decode to the recorded designs are replayed:
            # their recorded metrics are told back without evaluating.
            replayed = 0
            if replaying:
                while (
                    replayed < len(configs)
                    and step + replayed < len(previous)
                    and HardwareConfig.from_mapping(previous[step + replayed]["config"]) == configs[replayed]
                ):
                    replayed += 1
                if replayed < len(configs):
                    replaying = False
                    if step + replayed < len(previous):
                        _logger.warning(
                            "Resume diverged from the recorded trace at step %d; dropping %d stale "
                            "records (their designs stay cached).",
                            step + replayed, len(previous) - step - replayed,
                        )
                        previous = previous[: step + replayed]
                        if writer is not None:
                            writer.close()
                            writer = TraceWriter(out_dir / "trace.jsonl", records=previous)  # type: ignore[operator]

            batch_metrics: list[dict[str, Any] | None] = [None] * len(configs)
            cached_flags = [True] * len(configs)
            for index in range(replayed):
                record = previous[step + index]
                batch_metrics[index] = record["metrics"]
                evaluations = max(evaluations, int(record.get("evaluation") or 0))

            # Serve cached designs; evaluate the rest in one batch.
            pending: dict[tuple[int, ...], list[int]] = {}
            for index in range(replayed, len(configs)):
                key = _config_key(configs[index])
                if key in cache:
                    batch_metrics[index] = cache[key]
                else:
                    pending.setdefault(key, []).append(index)

            evaluation_seconds = 0.0
            evaluation_numbers: dict[int, int] = {}
            if pending:
                unique_configs = [configs[indices[0]] for indices in pending.values()]
                started = time.perf_counter()
                costs = _safe_evaluate(evaluator, unique_configs, workload, aggregation)
                evaluation_seconds = time.perf_counter() - started
                for (key, indices), cost in zip(pending.items(), costs):
                    metrics = cost.metrics()
                    cache[key] = metrics
                    evaluations += 1
                    evaluation_numbers[indices[0]] = evaluations
                    for position, index in enumerate(indices):
                        batch_metrics[index] = metrics
                        cached_flags[index] = position > 0

            losses = [penalties.loss(metrics) for metrics in batch_metrics]  # type: ignore[arg-type]
            started = time.perf_counter()
            search.tell(points, losses)
            tell_seconds = time.perf_counter() - started

            new_records = [previous[step + index] for index in range(replayed)]
            for index in range(replayed, len(configs)):
                new_records.append(
                    {
                        "step": step + index,
                        "evaluation": evaluation_numbers.get(index),
                        "cached": cached_flags[index],
                        "point": [float(value) for value in points[index]],
                        "config": configs[index].as_dict(),
                        "metrics": batch_metrics[index],
                        "objective": objective.value,
                        "loss": losses[index],
                        "wall_time_s": evaluation_seconds / len(pending) if index in evaluation_numbers else 0.0,
                        "optimizer_time_s": (ask_seconds + tell_seconds) / len(configs),
                        "timestamp": time.time(),
                    }
                )
            if writer is not None and len(new_records) > replayed:
                writer.append(new_records[replayed:])
            records.extend(new_records)
            if bar is not None:
                bar.n = evaluations
                bar.refresh()
    except KeyboardInterrupt:
        # Every finished batch is already in trace.jsonl. The summary and the
        # CSV are written below, so the directory is readable before a resume.
        interrupted = True
        _logger.warning("Run interrupted after %d evaluations", evaluations)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
        search.close()

    if interrupted and out_dir is not None:
        # Ctrl-C can land between appending a batch to trace.jsonl and
        # recording it here, so the file, which resume reads, is the truth.
        records = read_trace(out_dir / "trace.jsonl")
        evaluations = sum(1 for record in records if record.get("evaluation"))
    result = _summarise(records, evaluations, complete, settings, out_dir)
    if out_dir is not None:
        write_json_atomic(out_dir / "summary.json", result.summary())
        _write_trace_csv(out_dir / "trace.csv", records)
    if interrupted:
        raise RunInterrupted(result)
    _logger.info("Run finished: %d evaluations, best %s", evaluations, result.best_metrics)
    return result


def _safe_evaluate(
    evaluator: Evaluator, configs: list[HardwareConfig], workload: Network, aggregation: Aggregation
) -> list[NetworkCost]:
    """Evaluate, turning an unexpected evaluator error into FAILED costs so the run goes on."""
    try:
        return evaluate_network(evaluator, configs, workload, aggregation=aggregation)
    except Exception as error:  # one bad design must not end a long search
        _logger.warning("Evaluator %r failed on a batch of %d designs: %s", evaluator.name, len(configs), error)
        reason = f"evaluator error: {type(error).__name__}: {error}"
        return [NetworkCost(math.inf, math.inf, (), Status.FAILED, reason) for _ in configs]


def _summarise(
    records: list[dict[str, Any]], evaluations: int, complete: bool, settings: dict[str, Any], out_dir: Path | None
) -> RunResult:
    objective = Objective(settings["objective"])
    best_index = None
    best_value = math.inf
    for index, record in enumerate(records):
        value = _objective_value(objective, record["metrics"])
        if value is not None and value < best_value:
            best_index, best_value = index, value
    best = records[best_index] if best_index is not None else None
    return RunResult(
        best_config=HardwareConfig.from_mapping(best["config"]) if best else None,
        best_metrics=dict(best["metrics"]) if best else None,
        best_step=best["step"] if best else None,
        records=records,
        evaluations=evaluations,
        complete=complete,
        out_dir=out_dir,
        settings=settings,
    )


def _differences(name: str, recorded: Any, now: Any) -> list[str]:
    """Describe where ``recorded`` and ``now`` differ, naming the keys of nested mappings."""
    if recorded == now:
        return []
    if isinstance(recorded, dict) and isinstance(now, dict):
        found: list[str] = []
        for key in sorted(set(recorded) | set(now)):
            found.extend(_differences(f"{name}.{key}", recorded.get(key), now.get(key)))
        return found
    return [f"{name}: recorded {recorded!r}, now {now!r}"]


def _prepare_run_dir(out_dir: Path, settings: dict[str, Any], *, resume: bool) -> list[dict[str, Any]]:
    trace_path = out_dir / "trace.jsonl"
    settings_path = out_dir / "settings.json"
    if resume:
        if not settings_path.exists():
            raise RunDirectoryError(
                f"Cannot resume: {out_dir} has no settings.json. Start a new run without --resume."
            )
        import json

        recorded = json.loads(settings_path.read_text())
        differences = []
        for key in _RESUME_KEYS:
            if key.startswith("workload_") and key not in recorded:
                # Run directories written before the layer list was compared lack it.
                continue
            # Compare as stored: JSON turns tuples into lists.
            now = json.loads(json.dumps(settings.get(key), default=str))
            differences.extend(_differences(key, recorded.get(key), now))
        if differences:
            hint = ""
            if any(difference.startswith(("space_settings.lower", "space_settings.upper")) for difference in differences):
                hint = " The latent space's box differs, so its model file has changed since the run started."
            raise RunDirectoryError(
                f"Cannot resume {out_dir}: the settings differ ({'; '.join(differences)}).{hint} "
                "Resume with the original settings or choose another --out."
            )
        previous = read_trace(trace_path)
        done = max((int(record.get("evaluation") or 0) for record in previous), default=0)
        if settings["budget"] < done:
            # A smaller budget would cut the summary and trace.csv but not trace.jsonl.
            raise RunDirectoryError(
                f"Cannot resume {out_dir} with budget {settings['budget']}: the run already made {done} "
                f"evaluations. Pass a budget of at least {done} to extend it, or choose another --out."
            )
    else:
        if trace_path.exists() and trace_path.stat().st_size > 0:
            raise RunDirectoryError(
                f"Run directory {out_dir} already contains a trace. Pass --resume to continue it, "
                "or choose another --out."
            )
        previous = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirectoryError(f"Cannot create run directory {out_dir}: {error.strerror}.") from None
    write_json_atomic(settings_path, settings)
    return previous


def _write_trace_csv(path: Path, records: list[dict[str, Any]]) -> None:
    """Write a flat CSV of the trace (one row per asked point) for spreadsheet and pandas users.

    Columns: step, evaluation, cached, the six design parameters, the
    metrics, loss, objective, wall_time_s and optimizer_time_s (seconds),
    timestamp (Unix seconds), then one ``point_i`` column per coordinate of
    the search space's point (latent or normalised original coordinates).
    """
    import csv

    from vaesa_core.space.design_space import PARAMETER_NAMES

    metric_columns = ["cycles", "energy_pj", "edp", "valid", "status", "reason"]
    width = max((len(record.get("point") or ()) for record in records), default=0)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["step", "evaluation", "cached", *PARAMETER_NAMES, *metric_columns, "loss", "objective", *TIMING_FIELDS]
            + [f"point_{index}" for index in range(width)]
        )
        for record in records:
            metrics = record["metrics"]
            point = list(record.get("point") or ())
            writer.writerow(
                [record["step"], record.get("evaluation") or "", record["cached"]]
                + [record["config"][name] for name in PARAMETER_NAMES]
                + [metrics.get(column) for column in metric_columns]
                + [record["loss"], record.get("objective", "")]
                + [record.get(column, "") for column in TIMING_FIELDS]
                + point
                + [""] * (width - len(point))
            )
