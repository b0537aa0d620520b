"""Random mappings of a layer, for tests, benchmarks and search baselines."""

from __future__ import annotations

import numpy as np

from vaesa_core.arch.architecture import Architecture
from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["prime_factors", "random_mappings"]


def prime_factors(value: int) -> list[int]:
    """Return the prime factors of ``value`` in ascending order, with repeats (empty for 1)."""
    factors = []
    remaining = int(value)
    divisor = 2
    while divisor * divisor <= remaining:
        while remaining % divisor == 0:
            factors.append(divisor)
            remaining //= divisor
        divisor += 1
    if remaining > 1:
        factors.append(remaining)
    return factors


def random_mappings(
    layer: Layer,
    count: int,
    rng: np.random.Generator,
    *,
    architecture: Architecture,
    spatial_probability: float = 0.3,
    level_probabilities: np.ndarray | list[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw mappings whose factors multiply back to ``layer``.

    Each prime factor of each dimension goes to a randomly drawn level. If
    that level has a fan-out above 1, the factor is spatial with probability
    ``spatial_probability`` and temporal otherwise. Temporal orders are uniform random
    permutations. The mappings may still exceed fan-outs or capacities; the
    cost model flags those as invalid.

    Args:
        layer: The layer to map.
        count: Number of mappings.
        rng: Random source.
        architecture: Supplies the level count and the fan-outs.
        spatial_probability: Chance that a factor at a level with a fan-out
            is spatial.
        level_probabilities: Chance of each level, innermost first;
            uniform when None. Favouring outer levels yields more mappings
            that fit the buffers.

    Returns:
        ``factors`` int64 ``(count, L, 2, 7)`` and ``orders`` int64
        ``(count, L, 7)``.
    """
    n_levels = len(architecture.levels)
    if level_probabilities is None:
        probabilities = np.full(n_levels, 1.0 / n_levels)
    else:
        probabilities = np.asarray(level_probabilities, dtype=float)
        if probabilities.shape != (n_levels,) or (probabilities < 0).any() or probabilities.sum() <= 0:
            raise ValueError(
                f"level_probabilities must hold {n_levels} non-negative weights, one per level, "
                f"but got {level_probabilities!r}."
            )
        probabilities = probabilities / probabilities.sum()
    can_spread = np.array([fanout > 1 for fanout in architecture.fanouts()])
    factors = np.ones((count, n_levels, 2, len(LAYER_DIMS)), dtype=np.int64)
    rows = np.arange(count)
    for dim_index, dim in enumerate(LAYER_DIMS):
        for prime in prime_factors(layer.dims[dim]):
            levels = rng.choice(n_levels, size=count, p=probabilities)
            spatial = can_spread[levels] & (rng.random(count) < spatial_probability)
            kinds = np.where(spatial, SPATIAL, TEMPORAL)
            factors[rows, levels, kinds, dim_index] *= prime
    orders = np.argsort(rng.random((count, n_levels, len(LAYER_DIMS))), axis=2).astype(np.int64)
    return factors, orders
