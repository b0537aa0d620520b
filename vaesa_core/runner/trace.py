"""Durable run records: the append-only trace and atomic JSON files.

``trace.jsonl`` holds one JSON object per asked point, written and flushed
(and fsynced) as soon as its evaluation finishes, so a killed run loses at
most the batch in flight. A partially written last line (the process died
mid-write) is dropped when the trace is read back.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from vaesa_core.errors import RunDirectoryError

__all__ = ["TraceWriter", "read_trace", "write_json_atomic", "TIMING_FIELDS"]

_logger = logging.getLogger(__name__)

#: Record fields that hold wall-clock measurements; two runs with the same
#: seed produce identical traces apart from these.
TIMING_FIELDS: tuple[str, ...] = ("wall_time_s", "optimizer_time_s", "timestamp")


def read_trace(path: Path) -> list[dict[str, Any]]:
    """Read a trace, dropping a truncated final line.

    Raises:
        RunDirectoryError: A line other than the last is not valid JSON.
    """
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                _logger.warning("Dropping a truncated last line of %s (the run was killed mid-write)", path)
                break
            raise RunDirectoryError(f"Trace {path} line {number} is not valid JSON; the file is corrupt.") from None
    return records


class TraceWriter:
    """Append records to ``trace.jsonl`` and make each one durable before returning."""

    def __init__(self, path: Path, *, records: Sequence[dict[str, Any]] | None = None) -> None:
        """Open ``path`` for appending.

        Args:
            path: The trace file.
            records: If given, first rewrite the file with exactly these
                records, as read by ``read_trace`` and maybe shortened (drops
                a torn line or a stale tail without reading the file again).
        """
        self.path = path
        if records is not None:
            self._rewrite(records)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def _rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".jsonl.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._file.write(json.dumps(record, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
