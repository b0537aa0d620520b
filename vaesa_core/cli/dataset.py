"""``vaesa dataset``: generate or import the training data of the latent model."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.cli.options import parse_key_values
from vaesa_core.cli.signals import terminate_as_interrupt
from vaesa_core.latent.generation import generate_dataset
from vaesa_core.latent.importer import import_published_dataset
from vaesa_core.space import simba_space
from vaesa_core.workloads import Layer, resolve_workload, training_layers

__all__ = ["dataset_command"]

_TRAINING_LAYER_NAMES = ("57", "training")


def _resolve_layers(spec: str) -> list[Layer]:
    if spec in _TRAINING_LAYER_NAMES:
        return training_layers()
    return list(resolve_workload(spec).layers)


@click.group("dataset")
def dataset_command() -> None:
    """Build data sets of (design, layer, cost) rows for training a latent model."""


@dataset_command.command("generate")
@click.option("--evaluator", "evaluator_name", default="analytical", show_default=True, help="Evaluator plugin that scores each pair.")
@click.option("--mapper", default=None, help="Mapper for the evaluator (default: the evaluator's own).")
@click.option("--evaluator-option", "evaluator_options", multiple=True, metavar="KEY=VALUE", help="Evaluator setting; repeatable.")
@click.option("--samples", type=click.IntRange(min=1), default=3072, show_default=True, help="Distinct designs, drawn uniformly over the legal lattice.")
@click.option("--layers", "layers_spec", default="57", show_default=True, help="'57' (the training layers of AlexNet, ResNet-50, ResNeXt-50, DeepBench), a built-in workload name or a workload file.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the design draw.")
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="CPU count", help="Parallel evaluation workers.")
@click.option("--executor", default="process", show_default=True, help="Executor plugin that runs the workers.")
@click.option("--chunk-designs", type=click.IntRange(min=1), default=256, show_default=True, help="Designs per saved chunk (the unit of resumption).")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Output table: .csv, .csv.gz or .parquet.")
@click.option("--resume", is_flag=True, help="Continue an unfinished generation of --out with the same settings.")
def generate_command(
    evaluator_name: str,
    mapper: str | None,
    evaluator_options: tuple[str, ...],
    samples: int,
    layers_spec: str,
    seed: int,
    workers: int,
    executor: str,
    chunk_designs: int,
    out_file: Path,
    resume: bool,
) -> None:
    """Evaluate random designs on a set of layers and write the table (resumable)."""
    with user_errors():
        layers = _resolve_layers(layers_spec)
        try:
            with terminate_as_interrupt():
                result = generate_dataset(
                    out_file,
                    design_space=simba_space(),
                    layers=layers,
                    evaluator=evaluator_name,
                    mapper=mapper,
                    evaluator_options=parse_key_values(evaluator_options, "--evaluator-option"),
                    samples=samples,
                    seed=seed,
                    workers=workers,
                    executor=executor,
                    chunk_designs=chunk_designs,
                    resume=resume,
                    progress=True,
                )
        except KeyboardInterrupt:
            # Finished chunks are already on disk in the parts folder.
            click.echo(
                f"\nInterrupted; the finished part of {out_file} is kept. "
                "Run the same command with --resume to continue it.",
                err=True,
            )
            raise SystemExit(130) from None
    click.echo(f"Wrote {result.rows} rows ({samples} designs x {len(layers)} layers) to {result.path}")


@dataset_command.command("import")
@click.option("--source", "source_dir", required=True, type=click.Path(path_type=Path, file_okay=False), help="Folder of published VAESA per-layer CSV files (searched recursively).")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Output table: .csv, .csv.gz or .parquet.")
def import_command(source_dir: Path, out_file: Path) -> None:
    """Convert the published VAESA data layout (one CSV per layer) into a data set."""
    with user_errors():
        try:
            frame = import_published_dataset(source_dir, out_file, design_space=simba_space())
        except FileNotFoundError as error:
            raise click.UsageError(str(error)) from None
    click.echo(f"Wrote {len(frame)} rows to {out_file}")
