"""Write a suite's results: the JSON record and a Markdown table."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_json", "markdown_table", "format_number", "json_ready"]


def json_ready(value: Any) -> Any:
    """Return ``value`` with non-finite floats replaced by None (strict JSON has no inf or NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented, strict JSON through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(json_ready(data), indent=1, sort_keys=True, allow_nan=False) + "\n")
    temporary.replace(path)


def format_number(value: Any, digits: int = 3) -> str:
    """Format a number for a table: ``n/a`` for None or non-finite, engineering style for large values."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.{digits}e}"
        return f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return a GitHub Markdown table; numbers go through ``format_number``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell if isinstance(cell, str) else format_number(cell) for cell in row) + " |")
    return "\n".join(lines)
