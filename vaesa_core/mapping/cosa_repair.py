"""CoSA's capacity check and greedy repair of a decoded MIP solution.

The MIP's log-domain capacities are approximations: the global buffer's
input tile, for instance, ignores the R/S halo. CoSA therefore checks the
decoded mapping with exact tile sizes, and while some level overflows it
moves one factor outwards and checks again (``run_config.py:update_greedy_factor_config``
and ``cosa_input_objs.py:Mapspace.valid_check`` in ucb-bar/cosa 00d3134).

A placement is coded as in CoSA: values 0..5 are temporal loops at
Registers..DRAM; value ``6 + s`` is a spatial loop at the s-th level that
has a fan-out above 1 (AccumulationBuffer, InputBuffer, GlobalBuffer in the
Simba-like hierarchy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["RepairFailed", "CosaPlacement", "repair_placement"]

_N_LEVELS = 6

#: Levels that keep weights, inputs and outputs (bypass pattern of CoSA's mapspace).
_KEPT_LEVELS = ((0, 2, 5), (3, 4, 5), (1, 4, 5))

#: Data types each dimension (R..N) touches in CoSA's bookkeeping.
_DIM_DATATYPES = ((0,), (0,), (1, 2), (1, 2), (1, 0), (2, 0), (1, 2))

_MAX_MOVES = 1000


class RepairFailed(RuntimeError):
    """CoSA's greedy repair found no factor to move; CoSA raises here too."""


@dataclass
class CosaPlacement:
    """Prime factors of a layer and where each one sits (CoSA's factor config).

    Attributes:
        dims: Dimension index of each factor.
        values: Prime factor values.
        codes: Placement code of each factor (see the module docstring).
        spatial_levels: Level index of each spatial code ``6 + s``.
        fanout: Fan-out of each level, shape ``(6,)``.
        instances: Instances of each level, shape ``(6,)``.
        entries: Entries of Registers..GlobalBuffer, shape ``(5,)``.
    """

    dims: np.ndarray
    values: np.ndarray
    codes: np.ndarray
    spatial_levels: tuple[int, ...]
    fanout: np.ndarray
    instances: np.ndarray
    entries: np.ndarray

    def factors(self) -> np.ndarray:
        """Return the loop bounds, int64 ``(6, 2, 7)``."""
        factors = np.ones((_N_LEVELS, 2, len(LAYER_DIMS)), dtype=np.int64)
        for dim, value, code in zip(self.dims, self.values, self.codes):
            if code < _N_LEVELS:
                factors[code, TEMPORAL, dim] *= value
            else:
                factors[self.spatial_levels[code - _N_LEVELS], SPATIAL, dim] *= value
        return factors

    def violations(self, layer: Layer) -> tuple[list[int], list[int]]:
        """Return the levels with too many entries and with too many instances.

        Tile sizes follow CoSA: input tiles use ``(E[P] - 1) * stride +
        E[R]`` per axis (dilation ignored); a level counts every factor at
        itself or below.
        """
        factors = self.factors()
        extent = np.cumprod(factors.prod(axis=1), axis=0)  # (6, 7)
        r, s, p, q, c, k, n = (extent[:, index] for index in range(7))
        width = (p - 1) * layer.stride_w + r
        height = (q - 1) * layer.stride_h + s
        tiles = np.stack([r * s * c * k, n * c * width * height, p * q * k * n], axis=1)
        over_entries = []
        for level in range(_N_LEVELS - 1):
            used = sum(int(tiles[level, datatype]) for datatype in range(3) if level in _KEPT_LEVELS[datatype])
            if used > self.entries[level]:
                over_entries.append(level)

        spatial = factors[:, SPATIAL].prod(axis=1)
        over_instances = []
        outer = 1
        for level in reversed(range(_N_LEVELS)):
            if outer > self.instances[level] or spatial[level] > self.fanout[level]:
                over_instances.append(level)
            outer *= int(spatial[level])
        return over_entries, sorted(over_instances)

    def _is_related(self, level: int, dim: int) -> bool:
        return any(level in _KEPT_LEVELS[datatype] for datatype in _DIM_DATATYPES[dim])

    def _move_once(self, over_entries: list[int], over_instances: list[int], layer: Layer) -> None:
        n_dims = len(LAYER_DIMS)
        unit_dims = {dim for dim in range(n_dims) if layer.dims[LAYER_DIMS[dim]] == 1}
        order = [index for dim in range(n_dims) for index in np.flatnonzero(self.dims == dim)]

        for level in over_instances:
            for index in order:
                if int(self.dims[index]) in unit_dims or self.codes[index] < _N_LEVELS:
                    continue
                spatial_level = self.spatial_levels[self.codes[index] - _N_LEVELS]
                if level <= spatial_level:
                    # The next lower spatial level, or a temporal loop at the
                    # accumulation buffer below the innermost one.
                    self.codes[index] = self.codes[index] - 1 if self.codes[index] - 1 >= _N_LEVELS else 1
                    return

        for level in over_entries:
            temporal: list[tuple[int, int]] = []
            spatial: list[tuple[int, int]] = []
            for dim in reversed(range(n_dims)):
                if dim in unit_dims or not self._is_related(level, dim):
                    continue
                for index in np.flatnonzero(self.dims == dim):
                    code = int(self.codes[index])
                    if code < _N_LEVELS:
                        if code <= level:
                            temporal.append((code, int(index)))
                    elif code - _N_LEVELS <= level:
                        spatial.append((code, int(index)))
            if temporal:
                best = max(temporal, key=lambda item: item[0])  # first of the highest level
                self.codes[best[1]] = level + 1
            elif spatial:
                best = max(spatial, key=lambda item: item[0])
                self.codes[best[1]] = self.spatial_levels[best[0] - _N_LEVELS] + 1
            else:
                raise RepairFailed(f"no factor can leave {level=} to relieve its capacity")
            return


def repair_placement(placement: CosaPlacement, layer: Layer) -> int:
    """Apply CoSA's greedy repair until its check passes; return the moves made.

    Raises:
        RepairFailed: No move is possible, or more than 1000 moves were needed.
    """
    for moves in range(_MAX_MOVES + 1):
        over_entries, over_instances = placement.violations(layer)
        if not over_entries and not over_instances:
            return moves
        placement._move_once(over_entries, over_instances, layer)
    raise RepairFailed(f"greedy repair did not converge within {_MAX_MOVES} moves")
