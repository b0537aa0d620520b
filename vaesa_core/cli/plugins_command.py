"""``vaesa plugins``: list every registered component and where it comes from."""

from __future__ import annotations

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.plugins import KINDS, get_registry


@click.command("plugins")
def plugins_command() -> None:
    """List registered optimizers, search spaces, evaluators, mappers and executors, with each optimizer's --option settings."""
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
                # Optimizer classes declare their --option settings; other factories may be plain functions.
                for key, help_text in (getattr(registration.factory, "options", None) or {}).items():
                    click.echo(f"      --option {key}=...  {help_text}")
