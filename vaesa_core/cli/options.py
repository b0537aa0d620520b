"""Parsing helpers shared by CLI commands."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["parse_key_values", "absolute_model_paths"]


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


def absolute_model_paths(pairs: tuple[str, ...], option: str) -> tuple[str, ...]:
    """Return ``pairs`` with every ``model=PATH`` made absolute, one output pair per input pair.

    A run records its options in settings.json, and ``--resume`` reuses
    them, so a relative model path would only resolve from the folder the
    run started in.

    Raises:
        click.BadParameter: A value has no ``=`` or an empty key.
    """
    converted = []
    for pair in pairs:
        parsed = parse_key_values((pair,), option)
        if parsed.get("model"):
            parsed["model"] = str(Path(parsed["model"]).expanduser().absolute())
        converted.append(",".join(f"{key}={value}" for key, value in parsed.items()))
    return tuple(converted)
