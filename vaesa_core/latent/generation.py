"""Generate a training data set: random designs scored on a set of layers.

Designs are drawn uniformly over the legal lattice with a seeded generator
and deduplicated, then every design is evaluated on every layer in parallel
through a registered executor. Work is split into chunks of designs; each
finished chunk is written to ``<out>.parts/chunk-NNNNN.csv`` together with a
``manifest.json`` of the settings. A killed run restarts with ``resume=True``:
the same seed redraws the same designs, finished chunks are skipped, and the
final table is assembled only when every chunk exists.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from vaesa_core.errors import VaesaError
from vaesa_core.evaluation.cost import LayerCost
from vaesa_core.latent.dataset import DATASET_COLUMNS, LAYER_COLUMNS, read_dataset, table_format, write_dataset
from vaesa_core.plugins import get_registry
from vaesa_core.space.design_space import PARAMETER_NAMES, DesignSpace, HardwareConfig
from vaesa_core.workloads.layer import Layer

__all__ = ["GenerationResult", "generate_dataset", "sample_unique_designs", "parts_directory"]

_logger = logging.getLogger(__name__)

_MANIFEST_VERSION = 1

#: Designs per independently seeded block of the design stream.
SAMPLE_BLOCK = 256



@dataclass(frozen=True)
class GenerationResult:
    """Outcome of ``generate_dataset``.

    Attributes:
        path: The output table (written only when ``complete``).
        complete: Whether every chunk is done and the table is assembled.
        chunks_done: Chunks finished so far, including earlier runs.
        chunks_total: Chunks in the whole data set.
        rows: Rows in the assembled table (0 when not complete).
    """

    path: Path
    complete: bool
    chunks_done: int
    chunks_total: int
    rows: int


def parts_directory(out: str | Path) -> Path:
    """Return the folder that contains the finished chunks of ``out`` while it is generated."""
    out = Path(out)
    return out.with_name(f"{out.name}.parts")


def sample_unique_designs(design_space: DesignSpace, n: int, seed: int) -> np.ndarray:
    """Draw ``n`` distinct designs uniformly over the legal lattice.

    Designs come from a stream of blocks of ``SAMPLE_BLOCK`` designs, block
    ``b`` drawn with ``numpy.random.default_rng([seed, b])``, and the first
    ``n`` distinct ones are kept. So the designs of a smaller ``n`` are a
    prefix of those of a larger ``n`` with the same seed.

    Returns:
        int64 array, shape ``(n, dimension)``, in draw order.

    Raises:
        ValueError: ``n`` exceeds the number of legal designs.
    """
    if n > design_space.size():
        raise ValueError(f"Cannot draw {n} distinct designs from a space of {design_space.size()}.")
    chosen: dict[tuple[int, ...], None] = {}
    block = 0
    while len(chosen) < n:
        configs = design_space.sample(SAMPLE_BLOCK, np.random.default_rng([seed, block]))
        for config in configs:
            chosen.setdefault(tuple(int(v) for v in config.as_array()), None)
            if len(chosen) == n:
                break
        block += 1
    return np.array(list(chosen), dtype=np.int64).reshape(n, design_space.dimension)


def _worker_evaluate(
    evaluator_name: str,
    mapper: str | None,
    evaluator_options: dict[str, str],
    design_space: DesignSpace,
    designs: np.ndarray,
    layer: Layer,
) -> list[tuple[float, float, bool, str]]:
    # A fresh evaluator per task: evaluators may cache every result, and one
    # kept for a whole run would grow without bound in a long generation.
    evaluator = get_registry().create(
        "evaluator", evaluator_name, design_space=design_space, mapper=mapper, **evaluator_options
    )
    try:
        pairs = [(HardwareConfig(*(int(v) for v in row)), layer) for row in designs]
        costs: list[LayerCost] = evaluator.evaluate(pairs)
    finally:
        evaluator.close()
    return [(float(c.cycles), float(c.energy_pj), bool(c.valid), c.status.value) for c in costs]


def _manifest(
    design_space: DesignSpace,
    layers: Sequence[Layer],
    evaluator: str,
    mapper: str | None,
    evaluator_options: Mapping[str, str],
    samples: int,
    seed: int,
    chunk_designs: int,
) -> dict[str, object]:
    return {
        "format_version": _MANIFEST_VERSION,
        "design_space": design_space.to_dict(),
        "layers": [layer.key() for layer in layers],
        "evaluator": evaluator,
        "mapper": mapper,
        "evaluator_options": dict(sorted(evaluator_options.items())),
        "samples": samples,
        "seed": seed,
        "chunk_designs": chunk_designs,
    }


def _prepare_parts(out: Path, manifest: dict[str, object], *, resume: bool) -> Path:
    parts = parts_directory(out)
    manifest_path = parts / "manifest.json"
    if parts.exists():
        if not resume:
            raise VaesaError(
                f"An unfinished generation of {str(out)!r} exists in {str(parts)!r}. "
                "Continue it with --resume (resume=True in Python), or delete that folder to start over."
            )
        try:
            previous = json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise VaesaError(
                f"Cannot read {str(manifest_path)!r} to resume ({error}); delete {str(parts)!r} to start over."
            ) from None
        if previous != manifest:
            changed = sorted(key for key in manifest if previous.get(key) != manifest[key])
            raise VaesaError(
                f"Cannot resume {str(out)!r}: the settings differ from the unfinished run in "
                f"{', '.join(changed)}. Use the same settings, or delete {str(parts)!r} to start over."
            )
        return parts
    if out.exists():
        raise VaesaError(f"Output {str(out)!r} already exists; delete it or choose another path.")
    parts.mkdir(parents=True)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return parts


def _chunk_path(parts: Path, index: int) -> Path:
    return parts / f"chunk-{index:05d}.csv"


def _chunk_frame(designs: np.ndarray, layers: Sequence[Layer], results: list[list[tuple]]) -> pd.DataFrame:
    # Rows are ordered design-major, then layer, as the designs were drawn.
    n_designs = designs.shape[0]
    layer_keys = np.array([layer.shape_key() for layer in layers], dtype=np.int64)
    design_block = np.repeat(designs, len(layers), axis=0)
    layer_block = np.tile(layer_keys, (n_designs, 1))
    costs = [results[layer_index][design_index] for design_index in range(n_designs) for layer_index in range(len(layers))]
    frame = pd.DataFrame(design_block, columns=list(PARAMETER_NAMES))
    frame[list(LAYER_COLUMNS)] = layer_block
    frame["cycles"] = [cost[0] for cost in costs]
    frame["energy_pj"] = [cost[1] for cost in costs]
    frame["valid"] = [cost[2] for cost in costs]
    frame["status"] = [cost[3] for cost in costs]
    return frame[list(DATASET_COLUMNS)]


def _write_chunk(path: Path, frame: pd.DataFrame) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_csv(temporary, index=False)
    temporary.replace(path)


def generate_dataset(
    out: str | Path,
    *,
    design_space: DesignSpace,
    layers: Sequence[Layer],
    evaluator: str,
    samples: int,
    seed: int,
    workers: int = 1,
    executor: str = "process",
    mapper: str | None = None,
    evaluator_options: Mapping[str, str] | None = None,
    chunk_designs: int = 256,
    resume: bool = False,
    progress: bool = False,
    stop_after_chunks: int | None = None,
) -> GenerationResult:
    """Evaluate ``samples`` random designs on every layer and write the table to ``out``.

    Args:
        out: Output table (``.csv``, ``.csv.gz`` or ``.parquet``).
        design_space: Space to draw designs from.
        layers: Layers to evaluate each design on.
        evaluator: Registered evaluator name, e.g. ``"analytical"``.
        samples: Number of distinct designs.
        seed: Seed of the design draw.
        workers: Worker processes (or threads) of the executor.
        executor: Registered executor name (``process``, ``thread``, ``serial``).
        mapper: Mapper name passed to the evaluator factory (None for its default).
        evaluator_options: String options passed to the evaluator factory.
        chunk_designs: Designs per chunk, the unit that is saved and resumed.
        resume: Continue an unfinished generation of ``out``.
        progress: Show a tqdm progress bar of evaluated pairs.
        stop_after_chunks: Stop after this many new chunks, leaving the run
            resumable (for tests and time-boxed runs); None runs to the end.

    Returns:
        A ``GenerationResult``; ``complete`` is False only when
        ``stop_after_chunks`` stopped the run early.

    Raises:
        ValueError: A count is not positive or the suffix is unknown.
        VaesaError: The output exists, or an unfinished run conflicts.
        UnknownNameError: The evaluator or executor is not registered.
    """
    out = Path(out)
    table_format(out)
    for name, value in (("samples", samples), ("workers", workers), ("chunk_designs", chunk_designs)):
        if value < 1:
            raise ValueError(f"generate_dataset {name} must be a positive integer, but got {value!r}.")
    if not layers:
        raise ValueError("generate_dataset needs at least one layer.")
    options = {str(key): str(value) for key, value in (evaluator_options or {}).items()}
    registry = get_registry()
    registry.get("evaluator", evaluator)
    if mapper is not None:
        registry.get("mapper", mapper)

    designs = sample_unique_designs(design_space, samples, seed)
    manifest = _manifest(design_space, layers, evaluator, mapper, options, samples, seed, chunk_designs)
    chunk_starts = list(range(0, samples, chunk_designs))
    if resume and out.exists() and not parts_directory(out).exists():
        _logger.info("%s is already complete; nothing to resume", out)
        return GenerationResult(out, True, len(chunk_starts), len(chunk_starts), len(read_dataset(out)))
    parts = _prepare_parts(out, manifest, resume=resume)

    pending = [index for index in range(len(chunk_starts)) if not _chunk_path(parts, index).exists()]
    done_before = len(chunk_starts) - len(pending)
    if stop_after_chunks is not None:
        pending = pending[:stop_after_chunks]
    _logger.info(
        "Generating %d designs x %d layers with %r: %d of %d chunks already done",
        samples, len(layers), evaluator, done_before, len(chunk_starts),
    )

    pairs_done = sum(min(chunk_designs, samples - chunk_starts[i]) for i in range(len(chunk_starts))
                     if _chunk_path(parts, i).exists()) * len(layers)
    bar = tqdm(total=samples * len(layers), initial=pairs_done, unit="pair", disable=not progress,
               desc="dataset")
    pool = registry.create("executor", executor, workers)
    in_flight: deque[tuple[int, np.ndarray, list[Future]]] = deque()
    max_in_flight = max(2, workers)
    try:
        for index in pending:
            chunk = designs[chunk_starts[index] : chunk_starts[index] + chunk_designs]
            futures = [
                pool.submit(_worker_evaluate, evaluator, mapper, options, design_space, chunk, layer) for layer in layers
            ]
            in_flight.append((index, chunk, futures))
            while len(in_flight) >= max_in_flight:
                _finish_chunk(parts, layers, in_flight.popleft(), bar)
        while in_flight:
            _finish_chunk(parts, layers, in_flight.popleft(), bar)
    finally:
        for _, _, futures in in_flight:
            for future in futures:
                future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()

    chunks_done = sum(1 for i in range(len(chunk_starts)) if _chunk_path(parts, i).exists())
    if chunks_done < len(chunk_starts):
        _logger.info("Stopped after %d of %d chunks; resume to finish", chunks_done, len(chunk_starts))
        return GenerationResult(out, False, chunks_done, len(chunk_starts), 0)

    frame = pd.concat([pd.read_csv(_chunk_path(parts, i)) for i in range(len(chunk_starts))], ignore_index=True)
    write_dataset(frame, out)
    shutil.rmtree(parts)
    _logger.info("Wrote %d rows (%d valid) to %s", len(frame), int(frame["valid"].sum()), out)
    return GenerationResult(out, True, chunks_done, len(chunk_starts), len(frame))


def _finish_chunk(parts: Path, layers: Sequence[Layer], entry: tuple[int, np.ndarray, list[Future]], bar: tqdm) -> None:
    index, chunk, futures = entry
    results = []
    for future in futures:
        results.append(future.result())
        bar.update(len(chunk))
    _write_chunk(_chunk_path(parts, index), _chunk_frame(chunk, layers, results))
    _logger.debug("Chunk %d done (%d designs)", index, len(chunk))
