"""Import the published VAESA data layout (Timeloop + CoSA results) as a data set.

The published layout (ucb-bar/vaesa, folder ``db/``) has one CSV per layer,
optionally gzip-compressed, named
``dataset_{R}_{S}_{P}_{Q}_{C}_{K}_{N}_{Wstride}_{Hstride}_{Wdil}_{Hdil}.csv``,
with columns ``unique_cycle_sum`` (cycles), ``unique_energy_sum`` (pJ),
``arith_meshX``, ``arith_ins`` (total MAC units) and ``mem1_ent`` ..
``mem4_ent`` (entries per instance of the accumulation, weight, input and
global buffers). Network-level files (``dataset_alexnet.csv`` and the like)
have no layer key in their name and are skipped.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from vaesa_core.evaluation.cost import Status
from vaesa_core.latent.dataset import DATASET_COLUMNS, LAYER_COLUMNS, write_dataset
from vaesa_core.space.design_space import PARAMETER_NAMES, DesignSpace
from vaesa_core.workloads.layer import Layer

__all__ = ["PUBLISHED_COLUMNS", "import_published_dataset", "read_published_file"]

_logger = logging.getLogger(__name__)

#: Published column behind each design parameter (``arith_meshX`` is the PE mesh).
PUBLISHED_COLUMNS: dict[str, str] = {
    "pes": "arith_meshX",
    "macs": "arith_ins",
    "accum_buffer": "mem1_ent",
    "weight_buffer": "mem2_ent",
    "input_buffer": "mem3_ent",
    "global_buffer": "mem4_ent",
}

_FILE_PATTERN = re.compile(r"^dataset_((?:\d+_){10}\d+)\.csv(?:\.gz)?$")


def read_published_file(path: str | Path) -> pd.DataFrame:
    """Convert one published per-layer file to data-set rows (no lattice check).

    Raises:
        ValueError: The file name carries no layer key, or a column is missing.
    """
    path = Path(path)
    match = _FILE_PATTERN.match(path.name)
    if match is None:
        raise ValueError(
            f"{path.name!r} is not a per-layer file; expected dataset_R_S_P_Q_C_K_N_Ws_Hs_Wd_Hd.csv[.gz]."
        )
    layer = Layer.from_key(match.group(1))
    raw = pd.read_csv(path)
    needed = ["unique_cycle_sum", "unique_energy_sum", *PUBLISHED_COLUMNS.values()]
    missing = [column for column in needed if column not in raw.columns]
    if missing:
        raise ValueError(f"{str(path)!r} lacks column(s) {', '.join(missing)}.")

    frame = pd.DataFrame({name: raw[column].astype(np.int64) for name, column in PUBLISHED_COLUMNS.items()})
    for column, value in zip(LAYER_COLUMNS, layer.shape_key()):
        frame[column] = value
    frame["cycles"] = raw["unique_cycle_sum"].astype(float)
    frame["energy_pj"] = raw["unique_energy_sum"].astype(float)
    valid = (frame["cycles"] > 0) & (frame["energy_pj"] > 0) & np.isfinite(frame["cycles"] * frame["energy_pj"])
    frame["valid"] = valid
    frame["status"] = np.where(valid, Status.OK.value, Status.FAILED.value)
    return frame[list(DATASET_COLUMNS)]


def import_published_dataset(
    source: str | Path, out: str | Path, *, design_space: DesignSpace
) -> pd.DataFrame:
    """Convert every per-layer file under ``source`` (searched recursively) into one table.

    Rows whose design is off the lattice of ``design_space`` are dropped with
    a warning, and so are exact duplicate (design, layer) rows, which occur
    when folders overlap.

    Args:
        source: Folder of published files (``layers-grid/``, ``layers-random-*/``).
        out: Output table (``.csv``, ``.csv.gz`` or ``.parquet``).
        design_space: Space the designs must be legal in.

    Returns:
        The written table.

    Raises:
        FileNotFoundError: ``source`` is not a folder or contains no per-layer file.
    """
    source = Path(source)
    if not source.is_dir():
        raise FileNotFoundError(f"Source folder {str(source)!r} not found.")
    files = sorted(path for path in source.rglob("dataset_*.csv*") if _FILE_PATTERN.match(path.name))
    if not files:
        raise FileNotFoundError(
            f"No per-layer files (dataset_R_S_P_Q_C_K_N_Ws_Hs_Wd_Hd.csv[.gz]) found under {str(source)!r}."
        )

    frames = []
    for path in files:
        _logger.debug("Reading %s", path)
        frames.append(read_published_file(path))
    frame = pd.concat(frames, ignore_index=True)

    designs = frame[list(PARAMETER_NAMES)].to_numpy()
    legal = (design_space.snap(designs) == designs).all(axis=1)
    if not legal.all():
        _logger.warning("Dropped %d of %d rows whose design is off the lattice", int((~legal).sum()), len(frame))
        frame = frame[legal]
    before = len(frame)
    frame = frame.drop_duplicates(subset=[*PARAMETER_NAMES, *LAYER_COLUMNS]).reset_index(drop=True)
    if len(frame) < before:
        _logger.warning("Dropped %d duplicate (design, layer) rows", before - len(frame))

    write_dataset(frame, out)
    _logger.info("Imported %d rows from %d files into %s", len(frame), len(files), out)
    return frame
