"""``vaesa run``: search a space with an optimizer and write a run directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from vaesa_core.cli.components import build_evaluator, build_space
from vaesa_core.cli.errors import user_errors
from vaesa_core.cli.options import absolute_model_paths, parse_key_values
from vaesa_core.cli.signals import terminate_as_interrupt
from vaesa_core.plugins import get_registry
from vaesa_core.runner import RunInterrupted, run_search
from vaesa_core.space import simba_space
from vaesa_core.workloads import Layer, Network, resolve_workload

_logger = logging.getLogger(__name__)


def _default_out_dir(space: str, optimizer: str, workload: str, seed: int) -> Path:
    """Return ``runs/<space>-<optimizer>-<workload>-seed<seed>``, numbered if it holds a run."""
    stem = Path(workload).stem if Path(workload).suffix else workload
    base = Path("runs") / f"{space}-{optimizer}-{stem}-seed{seed}"
    candidate = base
    number = 1
    while (candidate / "trace.jsonl").exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


#: ``vaesa run`` parameters restored from a run directory's settings.json on
#: ``--resume`` when the command line leaves them at their defaults, with the
#: settings key each one was recorded under.
_RESUMED_PARAMETERS = {
    "space_name": "space",
    "optimizer_name": "optimizer",
    "budget": "budget",
    "seed": "seed",
    "objective": "objective",
    "evaluator_name": "evaluator",
    "mapper": "mapper",
    "aggregation": "aggregation",
    "batch_size": "batch_size",
    "optimizer_options": "optimizer_options",
    "space_options": "space_options",
    "evaluator_options": "evaluator_options",
}


def _note_mapper_objective(evaluator: object, objective: str, *, quiet: bool) -> None:
    """Print a note when the mapper chooses each layer's mapping by another objective than the search's."""
    mapper = getattr(evaluator, "mapper", None)
    mapper_objective = getattr(mapper, "objective", None)
    if quiet or mapper_objective is None:
        return
    name = getattr(mapper_objective, "value", str(mapper_objective))
    if name == objective:
        return
    click.echo(
        f"Note: the search minimises {objective}, but the mapper picks each layer's mapping by {name}; "
        f"add --evaluator-option objective={objective} to map for it too.",
        err=True,
    )


def _recorded_settings(out_dir: Path) -> dict:
    """Return the settings.json of a run directory, or {} when there is none (run_search then reports it)."""
    path = out_dir / "settings.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise click.UsageError(f"Cannot resume {out_dir}: settings.json is unreadable ({error}).") from None


def _recorded_network(recorded: dict) -> Network:
    """Rebuild the workload of a recorded run from its layer keys and counts, so file workloads resume too."""
    layers = tuple(Layer.from_key(key) for key in recorded["workload_layers"])
    return Network(recorded["workload"], layers, tuple(int(count) for count in recorded["workload_counts"]))


def _as_option_pairs(value: object) -> tuple[str, ...]:
    """Turn a recorded option mapping back into ``KEY=VALUE`` strings."""
    if isinstance(value, dict):
        return tuple(f"{key}={item}" for key, item in value.items())
    return tuple(value or ())


@click.command("run")
@click.option("--space", "space_name", default="original", show_default=True, help="Search space: original or latent (or a plugin's).")
@click.option("--optimizer", "optimizer_name", default="random", show_default=True, help="Optimizer plugin name (see 'vaesa plugins').")
@click.option("--workload", default="resnet50", show_default=True, help="Built-in workload name or a .yaml/.json network file.")
@click.option("--budget", type=click.IntRange(min=1), default=100, show_default=True, help="Evaluator calls (distinct designs) to spend.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed; the same seed gives the same trace.")
@click.option("--objective", type=click.Choice(["edp", "latency", "energy"]), default="edp", show_default=True, help="Metric to minimise (EDP in cycles x pJ).")
@click.option("--evaluator", "evaluator_name", default="analytical", show_default=True, help="Evaluator plugin name.")
@click.option("--mapper", default=None, help="Mapper for the analytical evaluator (default: its fast mapper).")
@click.option("--aggregation", type=click.Choice(["weighted", "unique"]), default="weighted", show_default=True, help="Network sums: weighted by layer repeat counts, or each unique layer once (published VAESA numbers).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True, help="Points asked and evaluated together.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None, help="Run directory (default: runs/<space>-<optimizer>-<workload>-seed<seed>).")
@click.option("--resume", is_flag=True, help="Continue the run in --out without repeating finished evaluations; options left out are read from its settings.json.")
@click.option("--option", "--optimizer-option", "optimizer_options", multiple=True, metavar="KEY=VALUE", help="Optimizer setting; repeatable.")
@click.option("--space-option", "space_options", multiple=True, metavar="KEY=VALUE", help="Search-space setting, e.g. model=PATH for the latent space; repeatable.")
@click.option("--evaluator-option", "evaluator_options", multiple=True, metavar="KEY=VALUE", help="Evaluator setting; repeatable.")
@click.option("--quiet", is_flag=True, help="No progress bar and no start-up notes (warnings and results still print).")
def run_command(
    space_name: str,
    optimizer_name: str,
    workload: str,
    budget: int,
    seed: int,
    objective: str,
    evaluator_name: str,
    mapper: str | None,
    aggregation: str,
    batch_size: int,
    out_dir: Path | None,
    resume: bool,
    optimizer_options: tuple[str, ...],
    space_options: tuple[str, ...],
    evaluator_options: tuple[str, ...],
    quiet: bool,
) -> None:
    """Search for the best accelerator design for a workload.

    Writes settings.json, trace.jsonl (one JSON object per asked point),
    trace.csv and summary.json into the run directory, and prints the best
    design with its metrics.
    """
    context = click.get_current_context()
    # Options read back from a run's settings.json below are used as recorded.
    space_options = absolute_model_paths(space_options, "--space-option")
    evaluator_options = absolute_model_paths(evaluator_options, "--evaluator-option")
    recorded = _recorded_settings(out_dir) if resume and out_dir is not None else {}
    if recorded:
        values = {**context.params, "space_options": space_options, "evaluator_options": evaluator_options}
        for parameter, key in _RESUMED_PARAMETERS.items():
            if key in recorded and context.get_parameter_source(parameter) == click.core.ParameterSource.DEFAULT:
                values[parameter] = recorded[key]
        space_name, optimizer_name, budget, seed = values["space_name"], values["optimizer_name"], values["budget"], values["seed"]
        objective, evaluator_name, mapper = values["objective"], values["evaluator_name"], values["mapper"]
        aggregation, batch_size = values["aggregation"], values["batch_size"]
        optimizer_options = _as_option_pairs(values["optimizer_options"])
        space_options = _as_option_pairs(values["space_options"])
        evaluator_options = _as_option_pairs(values["evaluator_options"])

    with user_errors():
        registry = get_registry()
        if recorded and context.get_parameter_source("workload") == click.core.ParameterSource.DEFAULT:
            network = _recorded_network(recorded)
        else:
            network = resolve_workload(workload)
        registry.get("optimizer", optimizer_name)
        design_space = simba_space()
        space = build_space(registry, space_name, design_space=design_space, options=parse_key_values(space_options, "--space-option"))
        evaluator = build_evaluator(
            registry, evaluator_name, design_space=design_space, mapper=mapper,
            options=parse_key_values(evaluator_options, "--evaluator-option"),
        )
        _note_mapper_objective(evaluator, objective, quiet=quiet)
        if out_dir is None:
            if resume:
                raise click.UsageError("--resume needs --out DIR, the run directory to continue.")
            out_dir = _default_out_dir(space_name, optimizer_name, workload, seed)
        try:
            with terminate_as_interrupt():
                result = run_search(
                    space=space,
                    optimizer=optimizer_name,
                    evaluator=evaluator,
                    workload=network,
                    objective=objective,
                    budget=budget,
                    seed=seed,
                    batch_size=batch_size,
                    out_dir=out_dir,
                    resume=resume,
                    aggregation=aggregation,
                    optimizer_options=parse_key_values(optimizer_options, "--option"),
                    progress=not quiet,
                    registry=registry,
                    extra_settings={
                        "mapper": mapper,
                        "space_options": list(space_options),
                        "evaluator_options": list(evaluator_options),
                        "command": "vaesa run",
                    },
                )
        except RunInterrupted as interrupted:
            click.echo(
                f"Interrupted after {interrupted.result.evaluations} evaluations; the trace, trace.csv and "
                f"summary.json in {out_dir} are up to date. Continue with: vaesa run --resume --out {out_dir}",
                err=True,
            )
            raise SystemExit(130) from None
        finally:
            evaluator.close()

    click.echo(f"Run directory: {out_dir}")
    click.echo(f"Evaluations: {result.evaluations} of a budget of {budget} (asked {len(result.records)} points)")
    if result.best_config is None:
        click.echo("No valid design was found.")
        raise SystemExit(1)
    click.echo("Best configuration:")
    for name, value in result.best_config.as_dict().items():
        click.echo(f"  {name:>14} = {value}")
    metrics = result.best_metrics or {}
    estimate = " (estimate)" if metrics.get("estimate") else ""
    click.echo(f"Best metrics{estimate}: cycles = {metrics['cycles']:.6g}, energy = {metrics['energy_pj']:.6g} pJ, EDP = {metrics['edp']:.6g} cycles*pJ")
    _logger.debug("summary: %s", json.dumps(result.summary()["best_metrics"]))
