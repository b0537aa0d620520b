"""The training-data table: one row per (design, layer) pair and its cost.

Columns, in order:

* the design parameters ``PARAMETER_NAMES`` (raw values; buffers in entries
  per instance),
* the layer shape ``LAYER_COLUMNS`` (``Layer.shape_key`` order),
* ``cycles`` (latency in cycles), ``energy_pj`` (energy in pJ), ``valid``
  (bool) and ``status`` (``vaesa_core.evaluation.Status`` value).

Tables are stored as CSV (optionally gzip-compressed, ``.csv.gz``) or
Parquet (``.parquet``), chosen by the file suffix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaesa_core.space.design_space import PARAMETER_NAMES, DesignSpace, HardwareConfig
from vaesa_core.workloads.layer import Layer

_logger = logging.getLogger(__name__)

__all__ = [
    "LAYER_COLUMNS",
    "COST_COLUMNS",
    "DATASET_COLUMNS",
    "read_dataset",
    "write_dataset",
    "table_format",
    "layers_of",
    "configs_of",
]

#: Layer-shape columns (``Layer.shape_key`` order).
LAYER_COLUMNS: tuple[str, ...] = (
    "R", "S", "P", "Q", "C", "K", "N", "stride_w", "stride_h", "dilation_w", "dilation_h",
)

#: Cost columns: cycles, energy in pJ, validity and the evaluation status.
COST_COLUMNS: tuple[str, ...] = ("cycles", "energy_pj", "valid", "status")

#: Every column of a data set, in order.
DATASET_COLUMNS: tuple[str, ...] = (*PARAMETER_NAMES, *LAYER_COLUMNS, *COST_COLUMNS)

_SUFFIXES = {".csv": "csv", ".gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


def table_format(path: str | Path) -> str:
    """Return ``"csv"`` or ``"parquet"`` for a table path, judged by its suffix.

    Raises:
        ValueError: The suffix is not ``.csv``, ``.csv.gz``, ``.parquet`` or ``.pq``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gz" and not path.name.lower().endswith(".csv.gz"):
        suffix = ""
    if suffix not in _SUFFIXES:
        raise ValueError(
            f"Data set file {str(path)!r} has an unknown suffix; use .csv, .csv.gz or .parquet."
        )
    return _SUFFIXES[suffix]


def write_dataset(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a data-set table to ``path`` (format from the suffix), replacing it atomically."""
    path = Path(path)
    fmt = table_format(path)
    temporary = path.with_name(f".{path.name}.tmp")
    if fmt == "parquet":
        frame.to_parquet(temporary, index=False)
    else:
        frame.to_csv(temporary, index=False, compression="gzip" if path.name.lower().endswith(".gz") else None)
    temporary.replace(path)


def read_dataset(path: str | Path, *, design_space: DesignSpace | None = None) -> pd.DataFrame:
    """Read a data-set table and check its columns and (optionally) its designs.

    Args:
        path: A ``.csv``, ``.csv.gz`` or ``.parquet`` file written by
            ``vaesa dataset generate`` or ``vaesa dataset import``.
        design_space: If given, every design must be legal in it.

    Returns:
        The table with ``valid`` as bool and integer design and layer columns.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A column is missing or a design is off the lattice.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Data set file {str(path)!r} not found.")
    fmt = table_format(path)
    frame = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

    missing = [column for column in DATASET_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(
            f"Data set {str(path)!r} lacks column(s) {', '.join(missing)}; expected "
            f"{', '.join(DATASET_COLUMNS)}. Create it with 'vaesa dataset generate' or 'vaesa dataset import'."
        )
    frame = frame.copy()
    for column in (*PARAMETER_NAMES, *LAYER_COLUMNS):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = (numbers.isna() | (numbers % 1 != 0)).to_numpy()
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Data set {str(path)!r}, {_row_name(fmt, first)}: column {column!r} must be an integer, but got "
                f"{frame[column].iloc[first]!r} ({int(bad.sum())} such row(s)). Fix or remove those rows."
            )
        frame[column] = numbers.astype(np.int64)
    frame["valid"] = frame["valid"].astype(str).str.lower().isin(("true", "1"))
    frame["cycles"] = pd.to_numeric(frame["cycles"], errors="coerce").astype(float)
    frame["energy_pj"] = pd.to_numeric(frame["energy_pj"], errors="coerce").astype(float)

    usable = np.isfinite(frame["cycles"]) & (frame["cycles"] > 0) & np.isfinite(frame["energy_pj"]) & (frame["energy_pj"] > 0)
    unusable = (frame["valid"] & ~usable).to_numpy()
    if unusable.any():
        first = int(np.flatnonzero(unusable)[0])
        _logger.warning(
            "Data set %s: %d row(s) marked valid have missing, non-numeric or non-positive cycles or energy "
            "(first at %s); training treats them as invalid.", path, int(unusable.sum()), _row_name(fmt, first),
        )
        frame.loc[unusable, "valid"] = False

    if design_space is not None:
        designs = frame[list(PARAMETER_NAMES)].drop_duplicates().to_numpy()
        legal = np.array_equal(design_space.snap(designs), designs)
        if not legal:
            raise ValueError(
                f"Data set {str(path)!r} contains designs outside the design space {design_space.name!r}; "
                "regenerate it for this space."
            )
    return frame


def _row_name(fmt: str, index: int) -> str:
    """Name row ``index`` (0-based, after the header) as a reader of the file would find it."""
    return f"row {index}" if fmt == "parquet" else f"line {index + 2}"


def layers_of(frame: pd.DataFrame) -> list[Layer]:
    """Return the distinct layers of a table, in order of first appearance."""
    keys = frame[list(LAYER_COLUMNS)].drop_duplicates().to_numpy()
    return [Layer(*(int(value) for value in key)) for key in keys]


def configs_of(frame: pd.DataFrame) -> list[HardwareConfig]:
    """Return the distinct designs of a table, in order of first appearance."""
    rows = frame[list(PARAMETER_NAMES)].drop_duplicates().to_numpy()
    return [HardwareConfig(*(int(value) for value in row)) for row in rows]


def layer_columns(layers: Sequence[Layer]) -> np.ndarray:
    """Return the ``LAYER_COLUMNS`` values of ``layers``, shape ``(n, 11)``."""
    return np.array([layer.shape_key() for layer in layers], dtype=np.int64)
