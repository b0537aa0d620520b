"""``vaesa latent-map``: plot designs in latent coordinates, coloured by EDP."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from vaesa_core.cli.components import build_evaluator
from vaesa_core.cli.errors import user_errors
from vaesa_core.cli.options import parse_key_values
from vaesa_core.evaluation import evaluate_network
from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.latent.generation import sample_unique_designs
from vaesa_core.plugins import get_registry
from vaesa_core.space import simba_space
from vaesa_core.workloads import resolve_workload

__all__ = ["latent_map_command", "project_latent"]


def project_latent(latent: np.ndarray) -> tuple[np.ndarray, tuple[str, str]]:
    """Return 2-D coordinates of latent points ``(n, d)`` and the axis labels.

    Two or fewer latent dimensions are shown as they are (one is paired with
    zeros); more are projected on their first two principal components.
    """
    if latent.shape[1] == 1:
        return np.column_stack([latent[:, 0], np.zeros(len(latent))]), ("z1", "(none)")
    if latent.shape[1] == 2:
        return latent, ("z1", "z2")
    centred = latent - latent.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T, ("principal component 1", "principal component 2")


@click.command("latent-map")
@click.option("--model", "model_file", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Checkpoint from 'vaesa train' (default: the shipped model).")
@click.option("--workload", required=True, help="Built-in workload name or a .yaml/.json network file.")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="PNG file to write.")
@click.option("--samples", type=click.IntRange(min=2), default=400, show_default=True, help="Random designs to encode and plot.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the design draw.")
@click.option("--evaluator", "evaluator_name", default="analytical", show_default=True, help="Evaluator for the true EDP panel.")
@click.option("--mapper", default=None, help="Mapper for the evaluator (default: the evaluator's own).")
@click.option("--evaluator-option", "evaluator_options", multiple=True, metavar="KEY=VALUE", help="Evaluator setting; repeatable.")
def latent_map_command(
    model_file: Path | None,
    workload: str,
    out_file: Path,
    samples: int,
    seed: int,
    evaluator_name: str,
    mapper: str | None,
    evaluator_options: tuple[str, ...],
) -> None:
    """Plot random designs at their latent means: predicted EDP and evaluated EDP side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with user_errors():
        design_space = simba_space()
        try:
            model = load_default_model(model_file, design_space=design_space)
        except FileNotFoundError as error:
            raise click.UsageError(str(error)) from None
        network = resolve_workload(workload)
        evaluator = build_evaluator(
            get_registry(), evaluator_name, design_space=design_space, mapper=mapper,
            options=parse_key_values(evaluator_options, "--evaluator-option"),
        )
        raw = sample_unique_designs(design_space, samples, seed)
        configs = [design_space.config_from_array(row) for row in raw]
        latent = model.encode_configs(raw)

        cycles, energy_pj = model.predict_costs(raw, network.layers)
        weights = np.asarray(network.weights(), dtype=float)
        predicted = np.log(cycles @ weights) + np.log(energy_pj @ weights)
        try:
            costs = evaluate_network(evaluator, configs, network)
        finally:
            evaluator.close()
        evaluated = np.array([np.log(cost.edp) if cost.valid else np.nan for cost in costs])

    points, labels = project_latent(latent)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True, constrained_layout=True)
    finite = evaluated[np.isfinite(evaluated)]
    low = float(min(predicted.min(), finite.min() if finite.size else predicted.min()))
    high = float(max(predicted.max(), finite.max() if finite.size else predicted.max()))
    panels = ((axes[0], predicted, "predicted"), (axes[1], evaluated, f"evaluated ({evaluator_name})"))
    for axis, values, title in panels:
        finite_values = np.isfinite(values)
        scatter = axis.scatter(
            points[finite_values, 0], points[finite_values, 1], c=values[finite_values], s=12, cmap="viridis",
            vmin=low, vmax=high,
        )
        if (~finite_values).any():
            axis.scatter(points[~finite_values, 0], points[~finite_values, 1], marker="x", s=14, c="red", label="invalid")
            axis.legend(loc="best")
        axis.set_title(f"{network.name}: {title} ln EDP")
        axis.set_xlabel(labels[0])
    axes[0].set_ylabel(labels[1])
    figure.colorbar(scatter, ax=axes, label="ln(EDP / (cycles x pJ))")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out_file, dpi=120)
    plt.close(figure)
    click.echo(f"Wrote {out_file} ({samples} designs, {model.latent_dim}-D latent space)")
