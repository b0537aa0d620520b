"""``vaesa plugins``: list every registered component and where it comes from."""

from __future__ import annotations

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.plugins import KINDS, get_registry


@click.command("plugins")
def plugins_command() -> None:
    """List registered optimizers, search spaces, evaluators, mappers and executors."""
    with user_errors():
        registry = get_registry()
        for kind in KINDS:
            registrations = registry.registrations(kind)
            click.echo(f"{kind.replace('_', ' ')}s:")
            if not registrations:
                click.echo("  (none)")
            for name in sorted(registrations):
                registration = registrations[name]
                click.echo(f"  {name:<20} plugin {registration.plugin:<28} from {registration.distribution}")
