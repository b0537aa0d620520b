"""Loop mappings of a layer onto the Simba-like hierarchy.

A mapping assigns every loop bound of the seven layer dimensions (R, S, P,
Q, C, K, N) to a level of the memory hierarchy, either as a temporal loop
(iterations over time at that level) or a spatial loop (distribution over the
level's child instances), and orders each level's temporal loops.

Array conventions, shared by the cost model and all mappers:

* ``factors``: int64, shape ``(n_levels, 2, 7)`` for one mapping or
  ``(M, n_levels, 2, 7)`` for a batch; axis 1 is ``SPATIAL = 0`` and
  ``TEMPORAL = 1``; the last axis follows ``LAYER_DIMS``. The product over
  levels and both kinds equals each layer dimension.
* ``orders``: int64, shape ``(n_levels, 7)`` or ``(M, n_levels, 7)``: the
  rank of each dimension in the level's temporal loop nest, 0 = innermost.
  Unit loops may have any rank. Timeloop YAML lists permutations innermost
  first too, so ``permutation_string`` reads ranks directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["Mapping", "LEVELS", "SPATIAL", "TEMPORAL", "DIM_INDEX", "permutation_string", "orders_from_strings"]

#: Storage levels of the Simba-like hierarchy, innermost first.
LEVELS: tuple[str, ...] = (
    "Registers",
    "AccumulationBuffer",
    "WeightBuffer",
    "InputBuffer",
    "GlobalBuffer",
    "DRAM",
)

SPATIAL = 0
TEMPORAL = 1

#: Position of each dimension name on the last axis of ``factors``.
DIM_INDEX: dict[str, int] = {dim: index for index, dim in enumerate(LAYER_DIMS)}


def orders_from_strings(permutations: list[str] | tuple[str, ...]) -> np.ndarray:
    """Convert per-level permutation strings (innermost first) to a rank array.

    Dimensions missing from a string are placed outermost in ``LAYER_DIMS``
    order, which cannot change costs because a missing dimension has a unit
    loop at that level.
    """
    orders = np.zeros((len(permutations), len(LAYER_DIMS)), dtype=np.int64)
    for level, text in enumerate(permutations):
        ranked = [dim for dim in text if dim in DIM_INDEX]
        if len(set(ranked)) != len(ranked):
            raise ValueError(f"Permutation {text!r} repeats a dimension.")
        ranked += [dim for dim in LAYER_DIMS if dim not in ranked]
        for rank, dim in enumerate(ranked):
            orders[level, DIM_INDEX[dim]] = rank
    return orders


def permutation_string(order_row: np.ndarray) -> str:
    """Return the dimension letters of one level, innermost first."""
    return "".join(LAYER_DIMS[index] for index in np.argsort(order_row, kind="stable"))


@dataclass(frozen=True)
class Mapping:
    """One mapping of a layer: loop factors per level and temporal loop orders.

    Attributes:
        factors: int64 array ``(n_levels, 2, 7)``; see the module docstring.
        orders: int64 array ``(n_levels, 7)`` of temporal loop ranks.
        spatial_orders: int64 array ``(n_levels, 7)`` of spatial loop ranks
            (only matters for Timeloop's irregular multicast count).
        levels: Level names, innermost first.
    """

    factors: np.ndarray
    orders: np.ndarray
    spatial_orders: np.ndarray | None = None
    levels: tuple[str, ...] = field(default=LEVELS)

    def __post_init__(self) -> None:
        factors = np.asarray(self.factors, dtype=np.int64)
        orders = np.asarray(self.orders, dtype=np.int64)
        n_levels = len(self.levels)
        if factors.shape != (n_levels, 2, len(LAYER_DIMS)):
            raise ValueError(f"Mapping.factors must have shape {(n_levels, 2, 7)}, but got {factors.shape}.")
        if orders.shape != (n_levels, len(LAYER_DIMS)):
            raise ValueError(f"Mapping.orders must have shape {(n_levels, 7)}, but got {orders.shape}.")
        if (factors < 1).any():
            raise ValueError("Mapping.factors must all be positive integers.")
        spatial = orders if self.spatial_orders is None else np.asarray(self.spatial_orders, dtype=np.int64)
        object.__setattr__(self, "factors", factors)
        object.__setattr__(self, "orders", orders)
        object.__setattr__(self, "spatial_orders", spatial)

    def products(self) -> np.ndarray:
        """Return the product of all factors of each dimension, shape ``(7,)``."""
        return self.factors.prod(axis=(0, 1))

    def matches(self, layer: Layer) -> bool:
        """Return whether the factors multiply back to every dimension of ``layer``."""
        return bool(np.array_equal(self.products(), [layer.dims[dim] for dim in LAYER_DIMS]))

    def permutations(self) -> list[str]:
        """Return each level's temporal permutation string, innermost first."""
        return [permutation_string(row) for row in self.orders]

    def describe(self) -> str:
        """Return a readable multi-line view, outermost level first."""
        lines = []
        for level in reversed(range(len(self.levels))):
            parts = []
            for kind, label in ((TEMPORAL, "t"), (SPATIAL, "s")):
                loops = [f"{dim}{self.factors[level, kind, i]}" for i, dim in enumerate(LAYER_DIMS) if self.factors[level, kind, i] > 1]
                if loops:
                    parts.append(f"{label}{{{','.join(loops)}}}")
            lines.append(f"{self.levels[level]:>18}: {' '.join(parts) or '-'}  order {permutation_string(self.orders[level])}")
        return "\n".join(lines)
