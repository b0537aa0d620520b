"""The ``vaesa`` command-line interface: one click group, one module per command."""

from __future__ import annotations

import logging

import click

from vaesa_core import __version__
from vaesa_core.cli.dataset import dataset_command
from vaesa_core.cli.evaluate import evaluate_command
from vaesa_core.cli.latent_map import latent_map_command
from vaesa_core.cli.plugins_command import plugins_command
from vaesa_core.cli.run import run_command
from vaesa_core.cli.train import train_command
from vaesa_core.cli.workloads_command import workloads_command


@click.group()
@click.version_option(__version__, prog_name="vaesa")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Design-space exploration of DNN accelerators on a learned latent space."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


cli.add_command(run_command)
cli.add_command(evaluate_command)
cli.add_command(workloads_command)
cli.add_command(plugins_command)
cli.add_command(dataset_command)
cli.add_command(train_command)
cli.add_command(latent_map_command)


def main() -> None:
    """Entry point of the ``vaesa`` console script."""
    cli(prog_name="vaesa")
