"""The CoSA mapper: CoSA's MIP on HiGHS, its decoding and its greedy repair.

The mapper follows how the published VAESA data chose mappings
(ucb-bar/cosa 00d3134, ``src/cosa.py``). It solves the MIP of ``cosa_mip``
for the layer and design and decodes it: factors per level, spatial or
temporal, and the global buffer's loop order from the slot order. Every
other level uses the order R, S, P, Q, C, K, N with R innermost. Capacity
overflows are then repaired greedily (``cosa_repair``), and the cost model
scores the result.

HiGHS breaks ties between equal-objective placements differently from
Gurobi, which CoSA used, so some layers get a different near-optimal
mapping than the data set's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import evaluate_mappings
from vaesa_core.evaluation.cost import Status
from vaesa_core.mapping.cosa_mip import MipSolution, solve_cosa_mip
from vaesa_core.mapping.cosa_repair import CosaPlacement, RepairFailed, repair_placement
from vaesa_core.mapping.legality import check_mappings, describe_violation, design_limits
from vaesa_core.mapping.mapper import Mapper, MapperResult
from vaesa_core.mapping.mapping import Mapping
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["CosaMapper", "cosa_mapping"]

_logger = logging.getLogger(__name__)

_GLOBAL_BUFFER = 4
_N_SPATIAL_CODE_START = 6


def cosa_mapping(
    layer: Layer,
    entries: np.ndarray,
    instances: np.ndarray,
    fanout: np.ndarray,
    *,
    time_limit_s: float = 60.0,
    mip_gap: float = 0.0,
) -> tuple[Mapping | None, Status, str]:
    """Run CoSA's MIP, decoding and greedy repair for one layer and design.

    Args:
        layer: The layer.
        entries: Entries per instance of Registers..GlobalBuffer, ``(5,)``.
        instances: Instances of Registers..DRAM, ``(6,)``.
        fanout: Spatial fan-out of Registers..DRAM, ``(6,)``.
        time_limit_s: Solver time limit in seconds.
        mip_gap: Relative MIP gap at which the solver may stop.

    Returns:
        ``(mapping, status, reason)``: the repaired mapping with ``OK``;
        None with ``TIMEOUT`` when the solver found no placement in time;
        None with ``FAILED`` when the greedy repair gives up. A placement
        found before the time limit stopped the solver is returned as
        ``OK``, and the reason notes the time limit.
    """
    solution = solve_cosa_mip(layer, entries, fanout, time_limit_s=time_limit_s, mip_gap=mip_gap)
    if solution is None:
        return None, Status.TIMEOUT, f"CoSA MIP found no solution within {time_limit_s:g} s"

    placement = _placement(solution, entries, instances, fanout)
    try:
        moves = repair_placement(placement, layer)
    except RepairFailed as error:
        return None, Status.FAILED, f"CoSA greedy repair failed: {error}"

    orders = np.tile(np.arange(len(LAYER_DIMS), dtype=np.int64), (6, 1))
    orders[_GLOBAL_BUFFER] = solution.gb_order
    mapping = Mapping(placement.factors(), orders, spatial_orders=orders.copy())
    notes = []
    if moves:
        notes.append(f"greedy repair moved {moves} factor(s)")
    if not solution.optimal:
        notes.append(f"solver stopped at the {time_limit_s:g} s time limit")
        # The mapping may be far from CoSA's optimum, so this is a warning, shown without -v.
        _logger.warning(
            "CoSA MIP for %s stopped at the %g s time limit; its best placement so far is used and may be far "
            "from the optimum (raise --evaluator-option time_limit_s).", layer.label(), time_limit_s,
        )
    return mapping, Status.OK, "; ".join(notes)


def _placement(solution: MipSolution, entries: np.ndarray, instances: np.ndarray, fanout: np.ndarray) -> CosaPlacement:
    spatial_levels = tuple(level for level in range(1, 6) if fanout[level] != 1)
    codes = solution.levels.copy()
    for index in np.flatnonzero(solution.spatial):
        codes[index] = _N_SPATIAL_CODE_START + spatial_levels.index(int(solution.levels[index]))
    return CosaPlacement(
        dims=solution.dims,
        values=solution.values,
        codes=codes,
        spatial_levels=spatial_levels,
        fanout=np.asarray(fanout),
        instances=np.asarray(instances),
        entries=np.asarray(entries, dtype=float),
    )


class CosaMapper(Mapper):
    """Choose mappings with CoSA's MIP (HiGHS) and score them with the cost model.

    Solutions are cached per (layer, entries, fan-out): designs that differ
    only in ``pes`` share one solve.

    Args:
        time_limit_s: Solver time limit per (layer, design) in seconds; CoSA
            used 60 s.
        exact: Use the cost model's exact input-walk emulation.
        mip_gap: Relative MIP gap at which HiGHS may stop; 0 (default)
            solves to proven optimality (see ``solve_cosa_mip``).
    """

    name = "cosa"

    def __init__(self, *, time_limit_s: float = 60.0, exact: bool = True, mip_gap: float = 0.0) -> None:
        if not time_limit_s > 0:
            raise ValueError(f"CosaMapper time_limit_s must be positive seconds, but got {time_limit_s!r}.")
        if not 0 <= mip_gap < 1:
            raise ValueError(f"CosaMapper mip_gap must be a relative gap in [0, 1), but got {mip_gap!r}.")
        self.time_limit_s = float(time_limit_s)
        self.mip_gap = float(mip_gap)
        self.exact = exact
        self._cache: dict[tuple, tuple[Mapping | None, Status, str]] = {}

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "time_limit_s": self.time_limit_s, "mip_gap": self.mip_gap,
                "solver": "HiGHS (scipy.optimize.milp)"}

    def map_layer(self, layer: Layer, configs: Sequence[HardwareConfig]) -> list[MapperResult]:
        limits = design_limits(configs)
        results = []
        for row, config in enumerate(configs):
            entries = limits.entries[row, :5]
            key = (layer.shape_key(), tuple(entries.tolist()), tuple(limits.fanout[row].tolist()))
            if key not in self._cache:
                self._cache[key] = cosa_mapping(
                    layer, entries, limits.instances[row], limits.fanout[row], time_limit_s=self.time_limit_s,
                    mip_gap=self.mip_gap,
                )
            mapping, status, reason = self._cache[key]
            if mapping is None:
                results.append(MapperResult.invalid(status, reason))
                continue

            code = int(check_mappings(layer, mapping.factors[None], limits)[0, row])
            if code:
                # Timeloop rejects what CoSA's check accepted, e.g. a dilated layer.
                detail = describe_violation(code, layer, mapping.factors, limits, row)
                results.append(MapperResult.invalid(Status.FAILED, f"CoSA mapping rejected: {detail}"))
                continue
            cost = evaluate_mappings(simba_architecture(config), layer, mapping.factors, mapping.orders, exact=self.exact)
            if not bool(cost.valid):
                results.append(MapperResult.invalid(Status.FAILED, f"CoSA mapping rejected: {cost.reason()}"))
                continue
            results.append(MapperResult(mapping, float(cost.cycles), float(cost.energy_pj), Status.OK, reason))
            _logger.debug("cosa %s on %s: %d cycles, %.1f pJ", layer.label(), config.label(),
                          cost.cycles, cost.energy_pj)
        return results
