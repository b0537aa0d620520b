"""Random mappings and one-step neighbourhoods for the fast mapper.

A mapping is changed one step at a time: one prime factor of one loop moves
to another (level, spatial or temporal) slot, or one temporal loop moves to
the innermost or outermost position of its level. Spatial slots exist only
at levels with a fan-out above 1.
"""

from __future__ import annotations

import numpy as np

from vaesa_core.costmodel.sampling import prime_factors
from vaesa_core.mapping.legality import level_usage
from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["all_at_dram", "random_mappings", "spatial_first_mappings", "fit_to_entries", "neighbours", "random_walks"]


def all_at_dram(n_levels: int, layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """Return the mapping with every loop temporal at the outermost level.

    Every tile below it has size 1, so it is legal on every design whose
    buffers hold one entry per kept data type.
    """
    factors = np.ones((1, n_levels, 2, len(LAYER_DIMS)), dtype=np.int64)
    factors[0, -1, TEMPORAL] = [layer.dims[dim] for dim in LAYER_DIMS]
    orders = np.tile(np.arange(len(LAYER_DIMS), dtype=np.int64), (1, n_levels, 1))
    return factors, orders


def random_mappings(
    layer: Layer,
    count: int,
    rng: np.random.Generator,
    *,
    n_levels: int,
    spatial_levels: tuple[int, ...],
    level_weights: np.ndarray,
    spatial_probability: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw mappings whose factors multiply back to ``layer``.

    Each prime factor goes to a level drawn with ``level_weights``; at a
    level in ``spatial_levels`` it is spatial with ``spatial_probability``.
    Loop orders are uniform. Fan-out and capacity are not checked here.

    Returns:
        ``factors`` int64 ``(count, L, 2, 7)`` and ``orders`` int64 ``(count, L, 7)``.
    """
    probabilities = np.asarray(level_weights, dtype=float) / np.sum(level_weights)
    can_spread = np.zeros(n_levels, dtype=bool)
    can_spread[list(spatial_levels)] = True
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


def spatial_first_mappings(
    layer: Layer,
    count: int,
    rng: np.random.Generator,
    *,
    n_levels: int,
    fanout_choices: list[np.ndarray],
    level_weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw mappings that fill the spatial fan-outs first, outermost level first.

    For each mapping the prime factors are shuffled and assigned greedily
    to spatial loops while they fit the fan-out, which is one of
    ``fanout_choices`` drawn per mapping. The rest become temporal loops
    at levels drawn with ``level_weights``. Such mappings use most MACs, which one-step
    moves from a poorly parallel mapping rarely reach when buffers are tight.

    Returns:
        ``factors`` int64 ``(count, L, 2, 7)`` and ``orders`` int64 ``(count, L, 7)``.
    """
    primes = [(dim_index, prime) for dim_index, dim in enumerate(LAYER_DIMS) for prime in prime_factors(layer.dims[dim])]
    prime_dims = np.array([dim for dim, _ in primes], dtype=np.int64)
    prime_values = np.array([value for _, value in primes], dtype=np.int64)
    probabilities = np.asarray(level_weights, dtype=float) / np.sum(level_weights)
    factors = np.ones((count, n_levels, 2, len(LAYER_DIMS)), dtype=np.int64)
    rows = np.arange(count)
    choices = np.stack([np.asarray(choice, dtype=np.int64) for choice in fanout_choices])
    room = choices[rng.integers(len(choices), size=count)].copy()  # (count, L) fan-out left
    spatial_levels = [level for level in reversed(range(n_levels)) if (choices[:, level] > 1).any()]
    shuffled = np.argsort(rng.random((count, len(primes))), axis=1)
    for position in range(len(primes)):
        dims = prime_dims[shuffled[:, position]]
        values = prime_values[shuffled[:, position]]
        placed = np.zeros(count, dtype=bool)
        for level in spatial_levels:
            fits = ~placed & (values <= room[:, level])
            room[fits, level] //= values[fits]
            factors[rows[fits], level, SPATIAL, dims[fits]] *= values[fits]
            placed |= fits
        levels = rng.choice(n_levels, size=count, p=probabilities)
        rest = ~placed
        factors[rows[rest], levels[rest], TEMPORAL, dims[rest]] *= values[rest]
    orders = np.argsort(rng.random((count, n_levels, len(LAYER_DIMS))), axis=2).astype(np.int64)
    return factors, orders


def _smallest_prime(values: np.ndarray) -> np.ndarray:
    """Return the smallest prime factor of each value (1 for 1)."""
    result = values.copy()
    remaining = values > 1
    divisor = 2
    while remaining.any() and divisor * divisor <= int(values.max()):
        hit = remaining & (values % divisor == 0)
        result[hit] = divisor
        remaining &= ~hit
        divisor += 1
    return result


def fit_to_entries(
    layer: Layer,
    factors: np.ndarray,
    orders: np.ndarray,
    entries: np.ndarray,
    rng: np.random.Generator,
    *,
    max_moves: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """Move factors outwards until every level's tiles fit ``entries``.

    Like CoSA's greedy repair, each step takes the innermost overflowing
    level and moves one prime of a loop at or below it (a random temporal
    loop, else a random spatial one) to a temporal loop one level up.
    Mappings that still overflow after ``max_moves`` steps are dropped.

    Args:
        layer: The layer.
        factors: int64 ``(M, L, 2, 7)`` mappings, modified in a copy.
        orders: int64 ``(M, L, 7)``.
        entries: float64 ``(L,)`` entries of one design (``inf`` for DRAM).
        rng: Random source for the choice of loop.

    Returns:
        The fitting mappings, ``factors`` and ``orders``.
    """
    factors = factors.copy()
    n_maps, n_levels = factors.shape[:2]
    level_index = np.arange(n_levels)[None, :, None]
    # Usage is recomputed only for the rows a step changed.
    usage = level_usage(layer, factors)
    for _ in range(max_moves):
        over = usage > entries[None, :]
        bad = over.any(axis=1)
        if not bad.any():
            break
        rows = np.flatnonzero(bad)
        level = np.argmax(over[rows], axis=1)
        below = level_index <= level[:, None, None]
        scores = rng.random((rows.size, n_levels, 2, 7))
        temporal = (factors[rows, :, TEMPORAL, :] > 1) & below[:, :, :]
        spatial = (factors[rows, :, SPATIAL, :] > 1) & below[:, :, :]
        use_temporal = temporal.any(axis=(1, 2))
        choice = np.where(use_temporal[:, None, None], temporal, spatial)
        movable = choice.any(axis=(1, 2))
        kinds = np.where(use_temporal, TEMPORAL, SPATIAL)
        flat = np.where(choice, scores[:, :, 0, :], -1.0).reshape(rows.size, -1)
        pick = np.argmax(flat, axis=1)
        source_level, dim = np.divmod(pick, 7)
        rows, level, kinds = rows[movable], level[movable], kinds[movable]
        source_level, dim = source_level[movable], dim[movable]
        prime = _smallest_prime(factors[rows, source_level, kinds, dim])
        factors[rows, source_level, kinds, dim] //= prime
        factors[rows, level + 1, TEMPORAL, dim] *= prime
        usage[rows] = level_usage(layer, factors[rows])
    fits = (usage <= entries[None, :]).all(axis=1)
    return factors[fits], orders[fits]


def _rank(keys: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(keys, axis=-1, kind="stable"), axis=-1, kind="stable").astype(np.int64)


def _positions_in_runs(counts: np.ndarray) -> np.ndarray:
    """Return 0, 1, ..., counts[i] - 1 for each run i, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _prime_moves(factors: np.ndarray, spatial_levels: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Enumerate the prime moves of ``neighbours`` as int64 columns.

    Order: base, then each loop above 1 (level, kind, dimension), then its
    distinct primes ascending, then each target slot (temporal levels, then
    spatial levels) other than the loop's own. A temporal target where the
    dimension is a unit loop gets two moves in a row: the new loop
    outermost, then innermost (``innermost`` True).

    Returns:
        ``base, level, kind, dim, prime, target_level, target_kind`` int64
        and ``innermost`` bool, each of shape ``(K,)``.
    """
    n_levels = factors.shape[1]
    slot_level = np.array(list(range(n_levels)) + list(spatial_levels), dtype=np.int64)
    slot_kind = np.array([TEMPORAL] * n_levels + [SPATIAL] * len(spatial_levels), dtype=np.int64)

    # One row per (loop above 1, distinct prime of its bound).
    base, level, kind, dim = np.nonzero(factors > 1)
    values, inverse = np.unique(factors[base, level, kind, dim], return_inverse=True)
    primes_of = [sorted(set(prime_factors(int(value)))) for value in values]
    flat_primes = np.array([prime for primes in primes_of for prime in primes], dtype=np.int64)
    lengths = np.array([len(primes) for primes in primes_of], dtype=np.int64)
    counts = lengths[inverse]
    starts = (np.cumsum(lengths) - lengths)[inverse]
    loop = np.repeat(np.arange(base.size), counts)
    prime = flat_primes[np.repeat(starts, counts) + _positions_in_runs(counts)]
    base, level, kind, dim = base[loop], level[loop], kind[loop], dim[loop]

    # (rows, slots): how many moves each target slot gives, 0 for the loop's own slot.
    own = (slot_level[None, :] == level[:, None]) & (slot_kind[None, :] == kind[:, None])
    unit = (slot_kind[None, :] == TEMPORAL) & (factors[base[:, None], slot_level[None, :], TEMPORAL, dim[:, None]] == 1)
    per_cell = np.where(own, 0, 1 + unit).ravel()
    cell = np.repeat(np.arange(per_cell.size), per_cell)
    innermost = _positions_in_runs(per_cell) == 1
    move_row, slot = np.divmod(cell, slot_level.size)
    return (base[move_row], level[move_row], kind[move_row], dim[move_row], prime[move_row],
            slot_level[slot], slot_kind[slot], innermost)


def neighbours(
    factors: np.ndarray,
    orders: np.ndarray,
    *,
    spatial_levels: tuple[int, ...],
    with_origin: bool = False,
) -> tuple[np.ndarray, ...]:
    """Return every one-step neighbour of each base mapping.

    Args:
        factors: int64 ``(B, L, 2, 7)`` base mappings.
        orders: int64 ``(B, L, 7)`` their temporal ranks.
        spatial_levels: Levels that may hold spatial loops.

    Returns:
        Neighbour ``factors`` ``(K, L, 2, 7)`` and ``orders`` ``(K, L, 7)``,
        duplicates possible; with ``with_origin`` also the index of each
        neighbour's base mapping, ``(K,)``.
    """
    factor_parts = []
    order_parts = []
    origin_parts = []
    base, level, kind, dim, prime, target_level, target_kind, innermost = _prime_moves(factors, spatial_levels)
    if base.size:
        moved = factors[base].copy()
        row = np.arange(base.size)
        moved[row, level, kind, dim] //= prime
        moved[row, target_level, target_kind, dim] *= prime
        keys = orders[base].astype(np.float64)
        # A loop that was a unit loop at its new level goes innermost or outermost.
        new_loop = (target_kind == TEMPORAL) & (factors[base, target_level, TEMPORAL, dim] == 1)
        keys[row, target_level, dim] = np.where(
            new_loop, np.where(innermost, -1.0, 99.0), keys[row, target_level, dim]
        )
        factor_parts.append(moved)
        order_parts.append(_rank(keys))
        origin_parts.append(base)

    # Order moves: one non-unit temporal loop to the innermost or outermost position.
    base_index, level_index, dim_index = np.nonzero(factors[:, :, TEMPORAL, :] > 1)
    busy = (factors[:, :, TEMPORAL, :] > 1).sum(axis=2)
    keep = busy[base_index, level_index] >= 2
    base_index, level_index, dim_index = base_index[keep], level_index[keep], dim_index[keep]
    for position in (-1.0, 99.0):
        keys = orders[base_index].astype(np.float64)
        keys[np.arange(base_index.size), level_index, dim_index] = position
        factor_parts.append(factors[base_index].copy())
        order_parts.append(_rank(keys))
        origin_parts.append(base_index)

    if not factor_parts:
        result = (factors[:0].copy(), orders[:0].copy(), np.zeros(0, dtype=np.int64))
    else:
        result = (np.concatenate(factor_parts), np.concatenate(order_parts), np.concatenate(origin_parts))
    return result if with_origin else result[:2]


def random_walks(
    factors: np.ndarray,
    orders: np.ndarray,
    rng: np.random.Generator,
    *,
    spatial_levels: tuple[int, ...],
    walks: int,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``walks`` random ``steps``-move walks from each base mapping.

    Multi-step kicks let the local search leave a local optimum whose
    one-step neighbours are all worse or illegal.
    """
    current_factors = np.repeat(factors, walks, axis=0)
    current_orders = np.repeat(orders, walks, axis=0)
    for _ in range(steps):
        options_f, options_o, origin = neighbours(
            current_factors, current_orders, spatial_levels=spatial_levels, with_origin=True
        )
        if origin.size == 0:
            break
        # One uniformly drawn neighbour per walk: sort by (origin, random key).
        order = np.lexsort((rng.random(origin.size), origin))
        first = np.searchsorted(origin[order], np.arange(current_factors.shape[0]))
        has = np.isin(np.arange(current_factors.shape[0]), origin)
        picks = order[first[has]]
        current_factors = current_factors.copy()
        current_orders = current_orders.copy()
        current_factors[has] = options_f[picks]
        current_orders[has] = options_o[picks]
    return current_factors, current_orders
