"""Parsing helpers shared by CLI commands."""

from __future__ import annotations

import click

__all__ = ["parse_key_values"]


def parse_key_values(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """Parse repeated ``KEY=VALUE`` option values into a dict.

    Raises:
        click.BadParameter: A value has no ``=`` or an empty key.
    """
    parsed: dict[str, str] = {}
    for pair in pairs:
        for piece in filter(None, (part.strip() for part in pair.split(","))):
            key, sep, value = piece.partition("=")
            if not sep or not key.strip():
                raise click.BadParameter(f"{piece!r} is not KEY=VALUE.", param_hint=option)
            parsed[key.strip()] = value.strip()
    return parsed
