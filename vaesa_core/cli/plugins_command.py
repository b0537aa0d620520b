"""``vaesa plugins``: list every registered component and where it comes from."""

from __future__ import annotations

import click

from vaesa_core.cli.errors import user_errors
from vaesa_core.plugins import KINDS, get_registry


#: The command-line flag that passes settings to each kind of component.
_OPTION_FLAGS = {"optimizer": "--option", "search_space": "--space-option", "evaluator": "--evaluator-option",
                 "mapper": "--evaluator-option"}


@click.command("plugins")
def plugins_command() -> None:
    """List registered optimizers, search spaces, evaluators, mappers and executors, with the settings each declares."""
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
                # A factory may declare its settings in an ``options`` attribute (name to one-line help).
                flag = _OPTION_FLAGS.get(kind, "--option")
                for key, help_text in (getattr(registration.factory, "options", None) or {}).items():
                    click.echo(f"      {flag} {key}=...  {help_text}")
