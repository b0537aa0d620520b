"""``vaesa workloads``: list built-in workloads or show one's layers."""

from __future__ import annotations

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.workloads import BUILTIN_WORKLOADS, resolve_workload


def _print_builtin() -> None:
    for name, network in sorted(BUILTIN_WORKLOADS.items()):
        click.echo(f"{name:<10} {len(network.layers):>3} unique layers, {network.total_layers:>3} total  {network.description}")


@click.group("workloads", invoke_without_command=True)
@click.pass_context
def workloads_command(context: click.Context) -> None:
    """List built-in workloads (or use 'show NAME|FILE')."""
    if context.invoked_subcommand is None:
        _print_builtin()


@workloads_command.command("list")
def list_command() -> None:
    """List built-in workloads."""
    _print_builtin()


@workloads_command.command("show")
@click.argument("workload")
def show_command(workload: str) -> None:
    """Show the layers of a built-in workload or a network file."""
    with user_errors():
        network = resolve_workload(workload)
    click.echo(f"{network.name}: {network.description}")
    click.echo(
        f"{'#':>3} {'R':>3} {'S':>3} {'P':>4} {'Q':>4} {'C':>5} {'K':>5} {'N':>3} {'stride':>6} {'dil':>4} "
        f"{'count':>5}  {'MACs':>13}  name"
    )
    for index, (layer, count) in enumerate(zip(network.layers, network.counts)):
        click.echo(
            f"{index:>3} {layer.R:>3} {layer.S:>3} {layer.P:>4} {layer.Q:>4} {layer.C:>5} {layer.K:>5} {layer.N:>3} "
            f"{_pair(layer.stride_w, layer.stride_h):>6} {_pair(layer.dilation_w, layer.dilation_h):>4} {count:>5}  "
            f"{layer.macs:>13,}  {layer.name}"
        )
    click.echo(f"Total MACs (weighted by counts): {network.total_macs():,}")


def _pair(along_w: int, along_h: int) -> str:
    """Return ``"2"`` when both axes agree, else ``"2x1"`` (W axis first)."""
    return str(along_w) if along_w == along_h else f"{along_w}x{along_h}"

