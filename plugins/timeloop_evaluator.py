"""The ``timeloop`` evaluator: score mapper-chosen mappings with a real ``timeloop-model``.

For each (design, layer) pair the registered mapper (``--mapper``, default
``fast``) chooses a mapping. The evaluator writes the Timeloop v0.2
architecture, problem and mapping YAML of the Simba-like design into a
scratch folder and runs ``timeloop-model arch.yaml prob.yaml map.yaml``
there. Cycles and energy come from ``timeloop-model.stats.txt``.

Timeloop 11920be (the version behind the published VAESA data) prints
``Total topology energy: X pJ`` and ``Max topology cycles: N``; later
versions print only the summary ``Cycles: N`` and ``Energy: X uJ``. Both
forms are read. Build Timeloop with its built-in pat energy model (no
Accelergy tables) to compare with the analytical evaluator.

Options (``--evaluator-option KEY=VALUE``): ``binary`` (default
``timeloop-model``, looked up on PATH), ``work_dir`` (keep the exported
files there instead of a temporary folder), ``timeout_s`` (seconds per
run, default 600).
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vaesa_core.arch import simba_architecture
from vaesa_core.errors import UnsupportedError
from vaesa_core.evaluation import Evaluator, LayerCost, Status, group_pairs_by_layer
from vaesa_core.hookspecs import hookimpl
from vaesa_core.mapping import Mapper
from vaesa_core.space import HardwareConfig
from vaesa_core.timeloop_io import export_timeloop
from vaesa_core.workloads import Layer

__all__ = ["TimeloopEvaluator", "parse_timeloop_stats", "DEFAULT_MAPPER"]

_logger = logging.getLogger(__name__)

#: Mapper used when ``--mapper`` is not given.
DEFAULT_MAPPER = "fast"

_STATS_FILE = "timeloop-model.stats.txt"
_TOTAL_ENERGY = re.compile(r"^Total topology energy:\s*([0-9.eE+-]+)\s*pJ", re.MULTILINE)
_MAX_CYCLES = re.compile(r"^Max topology cycles:\s*([0-9]+)", re.MULTILINE)
_SUMMARY_ENERGY = re.compile(r"^Energy:\s*([0-9.eE+-]+)\s*uJ", re.MULTILINE)
_SUMMARY_CYCLES = re.compile(r"^Cycles:\s*([0-9]+)", re.MULTILINE)


def parse_timeloop_stats(text: str) -> tuple[int, float]:
    """Return (cycles, energy in pJ) from the text of ``timeloop-model.stats.txt``.

    Raises:
        ValueError: Neither the 11920be topology lines nor the summary lines
            are present.
    """
    energy = _TOTAL_ENERGY.search(text)
    cycles = _MAX_CYCLES.search(text)
    if energy and cycles:
        return int(cycles.group(1)), float(energy.group(1))
    energy = _SUMMARY_ENERGY.search(text)
    cycles = _SUMMARY_CYCLES.search(text)
    if energy and cycles:
        return int(cycles.group(1)), float(energy.group(1)) * 1e6
    raise ValueError(
        "timeloop-model stats contain neither 'Total topology energy'/'Max topology cycles' nor the "
        "summary 'Cycles'/'Energy' lines; is this the output of timeloop-model?"
    )


class TimeloopEvaluator(Evaluator):
    """Score each pair with ``timeloop-model`` on the mapping a mapper chose.

    Args:
        mapper: A ``Mapper``, or the registered name of one (None for
            ``fast``).
        binary: Name or path of the ``timeloop-model`` executable.
        work_dir: Folder that keeps one subfolder of YAML and stats per
            pair; None uses a temporary folder per run.
        timeout_s: Seconds allowed per ``timeloop-model`` run.

    Raises:
        UnsupportedError: ``binary`` is not an executable on PATH.
    """

    name = "timeloop"
    estimate = False

    def __init__(
        self,
        mapper: Mapper | str | None = None,
        *,
        binary: str = "timeloop-model",
        work_dir: str | Path | None = None,
        timeout_s: float = 600.0,
    ) -> None:
        executable = shutil.which(binary)
        if executable is None:
            raise UnsupportedError(
                f"The timeloop evaluator needs the {binary!r} executable, which is not on PATH. Build "
                "timeloop-model from NVlabs/timeloop (commit 11920be reproduces the published VAESA data) "
                "and add it to PATH, pass --evaluator-option binary=/path/to/timeloop-model, or use "
                "--evaluator analytical, which reproduces timeloop-model's counts without it."
            )
        self.binary = executable
        self.work_dir = None if work_dir is None else Path(work_dir)
        self.timeout_s = float(timeout_s)
        self.mapper = _resolve_mapper(mapper)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "estimate": False,
            "binary": self.binary,
            "mapper": self.mapper.describe(),
            "timeout_s": self.timeout_s,
        }

    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        costs: list[LayerCost | None] = [None] * len(pairs)
        for layer, indices in group_pairs_by_layer(pairs).items():
            configs = [pairs[index][0] for index in indices]
            results = self.mapper.map_layer(layer, configs)
            for index, config, result in zip(indices, configs, results):
                if not result.valid or result.mapping is None:
                    costs[index] = LayerCost.invalid(result.status, result.reason or "the mapper found no mapping")
                    continue
                costs[index] = self._run(config, layer, result.mapping)
        return [cost for cost in costs if cost is not None]

    def _run(self, config: HardwareConfig, layer: Layer, mapping) -> LayerCost:
        if self.work_dir is not None:
            folder = self.work_dir / f"{config.label()}__{layer.key()}"
            return self._run_in(folder, config, layer, mapping)
        with tempfile.TemporaryDirectory(prefix="vaesa-timeloop-") as scratch:
            return self._run_in(Path(scratch), config, layer, mapping)

    def _run_in(self, folder: Path, config: HardwareConfig, layer: Layer, mapping) -> LayerCost:
        paths = export_timeloop(folder, simba_architecture(config), layer, mapping)
        command = [self.binary, paths["arch"].name, paths["problem"].name, paths["mapping"].name]
        try:
            completed = subprocess.run(
                command, cwd=folder, capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            _logger.warning("timeloop-model timed out after %.0f s on %s, %s", self.timeout_s, config.label(), layer.key())
            return LayerCost.invalid(Status.TIMEOUT, f"timeloop-model timed out after {self.timeout_s:g} s")
        stats_path = folder / _STATS_FILE
        if completed.returncode != 0 or not stats_path.exists():
            tail = (completed.stdout + completed.stderr).strip().splitlines()[-3:]
            _logger.warning(
                "timeloop-model failed (exit %d) on %s, %s: %s",
                completed.returncode, config.label(), layer.key(), " | ".join(tail),
            )
            return LayerCost.invalid(
                Status.FAILED, f"timeloop-model exited with {completed.returncode}: {' | '.join(tail)}"
            )
        try:
            cycles, energy_pj = parse_timeloop_stats(stats_path.read_text())
        except ValueError as error:
            _logger.warning("Unreadable timeloop-model stats for %s, %s: %s", config.label(), layer.key(), error)
            return LayerCost.invalid(Status.FAILED, str(error))
        _logger.debug("timeloop-model on %s, %s: %d cycles, %.1f pJ", config.label(), layer.key(), cycles, energy_pj)
        if not math.isfinite(energy_pj):
            return LayerCost.invalid(Status.FAILED, f"timeloop-model reported energy {energy_pj!r}")
        return LayerCost(float(cycles), float(energy_pj), Status.OK, "", mapping=mapping)


def _resolve_mapper(mapper: Mapper | str | None) -> Mapper:
    if isinstance(mapper, Mapper):
        return mapper
    from vaesa_core.plugins import get_registry

    return get_registry().create("mapper", mapper or DEFAULT_MAPPER)


def _make(design_space=None, mapper=None, **options):
    unknown = sorted(set(options) - set(_make.options))
    if unknown:
        raise ValueError(
            f"The timeloop evaluator got unknown option(s) {', '.join(map(repr, unknown))}; known options: "
            f"{', '.join(sorted(_make.options))}."
        )
    settings = dict(options)
    if "timeout_s" in settings:
        try:
            settings["timeout_s"] = float(settings["timeout_s"])
        except ValueError:
            raise ValueError(
                f"The timeloop evaluator option timeout_s must be a number of seconds, but got {options['timeout_s']!r}."
            ) from None
    return TimeloopEvaluator(mapper, **settings)


# One-line help of each setting, shown by ``vaesa plugins``.
_make.options = {  # type: ignore[attr-defined]
    "binary": "timeloop-model executable, a name on PATH or a path (default timeloop-model)",
    "work_dir": "folder that keeps the YAML files and statistics of each pair (default: a temporary folder)",
    "timeout_s": "limit per timeloop-model run, in seconds (default 600)",
}


@hookimpl
def vaesa_register_evaluators():
    return {"timeloop": _make}
