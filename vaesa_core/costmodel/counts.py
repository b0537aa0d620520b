"""Per-instance access counts of a batch of mappings (design independent).

Everything here depends only on the layer, the mapping and which level keeps
which datatype; buffer sizes, MAC counts and energies enter later
(``vaesa_core.costmodel.model``). The rules reproduce Timeloop 11920be
(``src/loop-analysis/nest-analysis.cpp``, ``tiling.cpp``,
``src/model/buffer.cpp``) for a dense convolution with perfect factors:

* Loop nest, innermost first: for each level, its spatial loops, then its
  temporal loops in permutation order. The tile of datatype ``d`` at level
  ``l`` spans every loop at levels ``<= l``; the input tile is the bounding
  box ``N * C * ((E_P - 1) Wstr + (E_R - 1) Wdil + 1) * ((E_Q - 1) Hstr +
  (E_S - 1) Hdil + 1)``.
* Child loads ``L(c)`` per instance of the kept level ``c``: Timeloop walks
  the temporal loops above ``c`` running iteration 0 (weight 1) and
  iteration 1 (weight ``b - 1``) of each, and charges the difference between
  consecutive tile boxes. Weight and output boxes are either equal or
  disjoint, which gives ``L = T * prod(b_i, i >= j)`` with ``j`` the innermost
  non-unit temporal loop relevant to the datatype. Input boxes slide, so
  they are walked exactly (see ``_input_walk_loads``).
* Parent accesses ``A(p) = L(c) * prod G_l`` over the spatial levels between
  child and parent, with ``G_l`` the number of distinct child tiles among a
  level's spatial instances. Read-only data is read ``A`` times. Outputs are
  updated ``A`` times and read ``A - partition`` times, because the first
  update of each output needs no read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.workloads.layer import Layer

__all__ = ["MappingCounts", "compute_counts", "RELEVANCE", "WEIGHTS", "INPUTS", "OUTPUTS"]

WEIGHTS, INPUTS, OUTPUTS = 0, 1, 2

# Dimension indices in LAYER_DIMS order.
_R, _S, _P, _Q, _C, _K, _N = range(7)

#: Whether each dimension (R, S, P, Q, C, K, N) indexes each datatype.
RELEVANCE = np.array(
    [
        [1, 1, 0, 0, 1, 1, 0],  # Weights[C, K, R, S]
        [1, 1, 1, 1, 1, 0, 1],  # Inputs[N, C, W, H]
        [0, 0, 1, 1, 0, 1, 1],  # Outputs[N, K, Q, P]
    ],
    dtype=bool,
)

# Gradient states of Timeloop's box subtraction (point-set-aahr.hpp): none,
# or the sliding axis (W or H) with its direction.
_G_NONE, _G_W_POS, _G_W_NEG, _G_H_POS, _G_H_NEG = range(5)
_N_STATES = 5

# Largest offset grid (rows x grid cells) built at once for irregular multicast counts.
_CHUNK_CELLS = 1 << 22

_MOVES_NC = np.zeros(7, dtype=bool)
_MOVES_NC[[_N, _C]] = True


@dataclass(frozen=True)
class MappingCounts:
    """Design-independent counts of a flat batch of ``M`` mappings.

    Attributes:
        factor_ok: bool ``(M,)``, factors multiply back to the layer.
        spatial_products: int64 ``(M, L)``, product of spatial factors per level.
        replication: int64 ``(M, L)``, instances of each level in use
            (product of spatial factors at the levels above).
        tile_entries: int64 ``(M, L, 3)``, tile of each datatype at each
            level in words (0 where the level does not keep it).
        reads, fills, updates: int64 ``(M, L, 3)``, per-instance counts.
        compute_cycles: int64 ``(M,)``, product of all temporal factors.
        macs: Total multiply-accumulates of the layer.
    """

    factor_ok: np.ndarray
    spatial_products: np.ndarray
    replication: np.ndarray
    tile_entries: np.ndarray
    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    compute_cycles: np.ndarray
    macs: int


def compute_counts(
    layer: Layer,
    factors: np.ndarray,
    orders: np.ndarray,
    keeps: np.ndarray,
    *,
    exact: bool = True,
    max_fanouts: np.ndarray | None = None,
) -> MappingCounts:
    """Count per-instance reads, fills and updates of each level and datatype.

    Args:
        layer: The layer all mappings belong to.
        factors: int64 ``(M, L, 2, 7)``; axis 2 is spatial, temporal.
        orders: int64 ``(M, L, 7)``, temporal rank of each dimension (0 =
            innermost).
        keeps: bool ``(L, 3)``, whether each level keeps each datatype; the
            outermost level must keep all three.
        exact: Walk the input boxes as Timeloop does (True), or use the
            sliding-window closed form, which can overestimate input
            loads when irrelevant or out-of-order loops separate the first
            sliding loop from the tile. On 35,000 random legal mappings of
            the 57 training layers (base design) the closed form was never
            lower and at most 17% higher in total energy; 8% of the
            mappings differed.
        max_fanouts: int ``(L,)``, the largest fan-out of each level over
            the designs to be scored. Rows whose spatial factors exceed it
            are invalid on every design, so their irregular multicast
            counts are skipped (left at the regular product); None counts
            every row.

    Returns:
        The counts; rows whose factors do not multiply back to the layer
        are computed anyway and flagged in ``factor_ok``.
    """
    factors = np.asarray(factors, dtype=np.int64)
    orders = np.asarray(orders, dtype=np.int64)
    n_maps, n_levels = factors.shape[0], factors.shape[1]
    dims = np.array([layer.dims[d] for d in ("R", "S", "P", "Q", "C", "K", "N")], dtype=np.int64)

    spatial = factors[:, :, SPATIAL, :]
    temporal = factors[:, :, TEMPORAL, :]
    spatial_products = spatial.prod(axis=2)
    # replication[l] = product of spatial products at levels > l.
    suffix = np.cumprod(spatial_products[:, ::-1], axis=1)[:, ::-1]
    replication = np.ones_like(spatial_products)
    replication[:, :-1] = suffix[:, 1:]
    compute_cycles = temporal.prod(axis=(1, 2))

    # extents[:, l, d]: product of all factors of dimension d at levels <= l.
    extents = np.cumprod(spatial * temporal, axis=1)
    extents_below = np.ones_like(extents)
    extents_below[:, 1:] = extents[:, :-1]
    factor_ok = (extents[:, -1, :] == dims).all(axis=1)
    tiles = _tile_sizes(layer, extents)  # (M, L, 3)

    # Temporal loop slots, innermost first: level-major, then rank.
    rank_dims = _dimension_at_rank(orders)
    slot_dims = rank_dims.reshape(n_maps, n_levels * 7)
    flat_slots = (np.arange(n_maps * n_levels, dtype=np.int64) * 7)[:, None] + rank_dims.reshape(-1, 7)
    slot_bounds = np.ascontiguousarray(temporal).reshape(-1)[flat_slots].reshape(n_maps, n_levels * 7)
    # A temporal loop's step in its own dimension: all loops of that dimension
    # inside it, i.e. every level below plus this level's spatial loop.
    step_per_dim = extents_below * spatial
    slot_steps = step_per_dim.reshape(-1)[flat_slots].reshape(n_maps, n_levels * 7)
    slot_levels = np.repeat(np.arange(n_levels), 7)
    # suffix_products[:, i] = product of slot bounds strictly outside slot i.
    reversed_cumprod = np.cumprod(slot_bounds[:, ::-1], axis=1)[:, ::-1]
    suffix_products = np.ones_like(slot_bounds)
    suffix_products[:, :-1] = reversed_cumprod[:, 1:]

    countable = None if max_fanouts is None else spatial_products <= np.asarray(max_fanouts)[None, :]
    groups, fill_multipliers = _distinct_child_tiles(layer, spatial, extents_below, countable)  # (M, L, 3), (M, L)
    # Products of distinct child tiles over levels <= l; a range is a quotient.
    groups_through = np.cumprod(groups, axis=1)
    output_total = layer.N * layer.K * layer.P * layer.Q

    reads = np.zeros((n_maps, n_levels, 3), dtype=np.int64)
    fills = np.zeros_like(reads)
    updates = np.zeros_like(reads)
    tile_entries = np.where(keeps[None, :, :], tiles, 0)

    walk = _SlotWalk(layer, slot_bounds, slot_dims, slot_steps, slot_levels, suffix_products, extents)
    for datatype in range(3):
        chain = [level for level in range(n_levels) if keeps[level, datatype]]
        child = -1
        for parent in chain:
            if child < 0:
                loads = compute_cycles
            else:
                loads = walk.loads(datatype, child, tiles[:, child, datatype], exact=exact)
                fill_count = loads
                if datatype == INPUTS:
                    # NOTE: only the parent level's own spatial loops are checked for
                    # irregular multicast groups; in the Simba-like hierarchy every
                    # input parent is the level right above its child.
                    fill_count = loads * fill_multipliers[:, parent]
                fills[:, child, datatype] = fill_count
            spread = groups_through[:, parent, datatype]
            if child >= 0:
                spread = spread // groups_through[:, child, datatype]
            accesses = loads * spread
            if datatype == OUTPUTS:
                # Outputs held per parent instance: |O| over the output-relevant fan-out above it.
                partition = output_total // (groups_through[:, -1, datatype] // groups_through[:, parent, datatype])
                updates[:, parent, datatype] = accesses
                reads[:, parent, datatype] = accesses - partition
            else:
                reads[:, parent, datatype] = accesses
            child = parent

    return MappingCounts(
        factor_ok=factor_ok,
        spatial_products=spatial_products,
        replication=replication,
        tile_entries=tile_entries,
        reads=reads,
        fills=fills,
        updates=updates,
        compute_cycles=compute_cycles,
        macs=layer.macs,
    )


def _dimension_at_rank(orders: np.ndarray) -> np.ndarray:
    """Return the dimension at each temporal rank, ``(M, L, 7)``; ties keep dimension order."""
    if orders.size and orders.min() >= 0 and orders.max() < 7:
        # Permutations (the usual case) invert without a sort.
        rows = orders.reshape(-1, 7)
        inverse = np.full(rows.shape, -1, dtype=np.int64)
        inverse[np.arange(rows.shape[0])[:, None], rows] = np.arange(7, dtype=np.int64)
        if (inverse >= 0).all():
            return inverse.reshape(orders.shape)
    return np.argsort(orders, axis=2, kind="stable")


def _tile_sizes(layer: Layer, extents: np.ndarray) -> np.ndarray:
    e = extents
    weights = e[..., _R] * e[..., _S] * e[..., _C] * e[..., _K]
    width = (e[..., _P] - 1) * layer.stride_w + (e[..., _R] - 1) * layer.dilation_w + 1
    height = (e[..., _Q] - 1) * layer.stride_h + (e[..., _S] - 1) * layer.dilation_h + 1
    inputs = e[..., _N] * e[..., _C] * width * height
    outputs = e[..., _P] * e[..., _Q] * e[..., _K] * e[..., _N]
    return np.stack([weights, inputs, outputs], axis=-1)


def _distinct_child_tiles(
    layer: Layer, spatial: np.ndarray, extents_below: np.ndarray, countable: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return distinct child tiles per level and the input fill multipliers.

    ``groups[:, l, d]`` counts the distinct child tiles among level ``l``'s
    spatial instances. Regularly it is the product of the datatype's
    relevant spatial factors; irrelevant ones multicast (weights, inputs) or
    reduce (outputs). Inputs with P and R (or Q and S) spatial at one level
    can share positions, so the distinct offsets are counted, as Timeloop
    11920be does with exact set equality
    (``ComputeAccurateMulticastedAccesses``).

    ``multipliers[:, l]`` is the number of distinct multicast-group sizes of
    level ``l``'s fan-out for inputs; Timeloop 11920be multiplies the fills
    of the level below by it (one set of fills per group size). It is 1
    unless the input tiles coincide irregularly.
    """
    s_all = spatial
    groups = np.stack(
        [
            s_all[..., _R] * s_all[..., _S] * s_all[..., _C] * s_all[..., _K],
            s_all[..., _R] * s_all[..., _S] * s_all[..., _P] * s_all[..., _Q] * s_all[..., _C] * s_all[..., _N],
            s_all[..., _P] * s_all[..., _Q] * s_all[..., _K] * s_all[..., _N],
        ],
        axis=-1,
    )
    multipliers = np.ones(spatial.shape[:2], dtype=np.int64)
    irregular = _irregular_mask(spatial)
    if countable is not None:
        irregular &= countable
    if not irregular.any():
        return groups, multipliers

    all_rows, all_levels = np.nonzero(irregular)
    # Offset grids grow with the fan-out, so huge spatial products (possible
    # when no fan-out bound is given) are processed in memory-bounded chunks.
    spread = spatial[all_rows, all_levels]
    cells = np.maximum(spread[:, _P] * spread[:, _R], spread[:, _Q] * spread[:, _S])
    by_size = np.argsort(cells, kind="stable")
    start = 0
    while start < by_size.size:
        stop = start + 1
        while stop < by_size.size and (stop - start + 1) * cells[by_size[stop]] <= _CHUNK_CELLS:
            stop += 1
        chunk = by_size[start:stop]
        _count_irregular(layer, spatial, extents_below, all_rows[chunk], all_levels[chunk], groups, multipliers)
        start = stop
    return groups, multipliers


def _count_irregular(
    layer: Layer,
    spatial: np.ndarray,
    extents_below: np.ndarray,
    rows: np.ndarray,
    levels: np.ndarray,
    groups: np.ndarray,
    multipliers: np.ndarray,
) -> None:
    """Fill ``groups`` and ``multipliers`` in place for the irregular (row, level) pairs given."""
    s = spatial[rows, levels]  # (n, 7)
    below = extents_below[rows, levels]
    width_count, width_runs = _offset_statistics(
        s[:, _P], below[:, _P] * layer.stride_w, s[:, _R], below[:, _R] * layer.dilation_w
    )
    height_count, height_runs = _offset_statistics(
        s[:, _Q], below[:, _Q] * layer.stride_h, s[:, _S], below[:, _S] * layer.dilation_h
    )
    groups[rows, levels, INPUTS] = s[:, _N] * s[:, _C] * width_count * height_count
    # Group size of a tile = (instances sharing its W offset) x (sharing its H offset).
    width_sizes = _distinct_positive(width_runs)
    height_sizes = _distinct_positive(height_runs)
    products = (width_sizes[:, :, None] * height_sizes[:, None, :]).reshape(len(rows), -1)
    multipliers[rows, levels] = _count_distinct_positive(products)


def _irregular_mask(spatial: np.ndarray) -> np.ndarray:
    return ((spatial[..., _P] > 1) & (spatial[..., _R] > 1)) | ((spatial[..., _Q] > 1) & (spatial[..., _S] > 1))


def _offset_statistics(
    count_a: np.ndarray, step_a: np.ndarray, count_b: np.ndarray, step_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return distinct values of ``i * step_a + k * step_b`` and their multiplicities.

    For each row, ``i < count_a`` and ``k < count_b``. Returns the number of
    distinct offsets ``(n,)`` and, per row, the multiplicity of each distinct
    offset padded with zeros ``(n, max(count_a * count_b))``.
    """
    n = count_a.shape[0]
    width = int((count_a * count_b).max())
    index = np.arange(width)[None, :]
    i = index % count_a[:, None]
    k = index // count_a[:, None]
    in_range = index < (count_a * count_b)[:, None]
    sentinel = np.iinfo(np.int64).max
    values = np.where(in_range, i * step_a[:, None] + k * step_b[:, None], sentinel)
    values.sort(axis=1)
    starts = np.ones((n, width), dtype=bool)
    starts[:, 1:] = values[:, 1:] != values[:, :-1]
    starts &= values != sentinel
    distinct = starts.sum(axis=1)
    # Multiplicity of each run: distance from its start to the next start.
    positions = np.where(starts, index, width)
    next_start = np.minimum.accumulate(np.where(starts, index, width)[:, ::-1], axis=1)[:, ::-1]
    following = np.full((n, width), width)
    following[:, :-1] = next_start[:, 1:]
    end = np.minimum(following, (count_a * count_b)[:, None])
    runs = np.where(starts, end - positions, 0)
    return distinct, runs


def _distinct_positive(values: np.ndarray) -> np.ndarray:
    """Return each row's distinct positive values, left-aligned and padded with zeros."""
    ordered = -np.sort(-values, axis=1)  # descending, zeros last
    first = np.ones(ordered.shape, dtype=bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first &= ordered > 0
    width = max(int(first.sum(axis=1).max()), 1)
    slots = np.cumsum(first, axis=1) - 1
    compact = np.zeros((values.shape[0], width), dtype=values.dtype)
    rows, columns = np.nonzero(first)
    compact[rows, slots[rows, columns]] = ordered[rows, columns]
    return compact


def _count_distinct_positive(values: np.ndarray) -> np.ndarray:
    """Return the number of distinct positive values in each row."""
    ordered = np.sort(values, axis=1)
    changes = np.ones(ordered.shape, dtype=bool)
    changes[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    return (changes & (ordered > 0)).sum(axis=1)


class _SlotWalk:
    """Child loads over the flattened temporal loop slots of a batch.

    Slots run innermost first, level by level and then by rank. Each slot is
    one temporal loop with its dimension, bound and step (the product of all
    loops of its dimension inside it).
    """

    def __init__(
        self,
        layer: Layer,
        slot_bounds: np.ndarray,
        slot_dims: np.ndarray,
        slot_steps: np.ndarray,
        slot_levels: np.ndarray,
        suffix_products: np.ndarray,
        extents: np.ndarray,
    ) -> None:
        self.layer = layer
        self.bounds = slot_bounds
        self.dims = slot_dims
        self.levels = slot_levels
        self.suffix_products = suffix_products
        self.extents = extents
        self._relevant_cache: dict[int, np.ndarray] = {}
        # Offset of one iteration along the input's W and H axes; N and C
        # moves are multiples of the tile extent, so any of them is disjoint.
        scale_w = np.zeros(7, dtype=np.int64)
        scale_w[[_P, _R]] = layer.stride_w, layer.dilation_w
        scale_h = np.zeros(7, dtype=np.int64)
        scale_h[[_Q, _S]] = layer.stride_h, layer.dilation_h
        self.step_w = slot_steps * scale_w[slot_dims]
        self.step_h = slot_steps * scale_h[slot_dims]
        self.moves_nc = _MOVES_NC[slot_dims]

    def _first_relevant(self, datatype: int, start: int) -> np.ndarray:
        """Return, per mapping, the first non-unit slot at or after ``start`` whose dimension is relevant.

        Shape ``(M,)``; the value ``slots`` means none.
        """
        relevant = self._relevant_cache.get(datatype)
        if relevant is None:
            relevant = (self.bounds > 1) & RELEVANCE[datatype][self.dims]
            self._relevant_cache[datatype] = relevant
        n_maps, n_slots = relevant.shape
        if start >= n_slots:
            return np.full(n_maps, n_slots, dtype=np.int64)
        window = relevant[:, start:]
        # argmax finds the first True; rows without one are set to ``slots``.
        first = window.argmax(axis=1).astype(np.int64) + start
        return np.where(window.any(axis=1), first, n_slots)

    def window(self, child: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the input box extents along W and H at level ``child``, shape ``(M,)`` each."""
        layer = self.layer
        e = self.extents[:, child, :]
        width = (e[:, _P] - 1) * layer.stride_w + (e[:, _R] - 1) * layer.dilation_w + 1
        height = (e[:, _Q] - 1) * layer.stride_h + (e[:, _S] - 1) * layer.dilation_h + 1
        return width, height

    def loads(self, datatype: int, child: int, tile: np.ndarray, *, exact: bool) -> np.ndarray:
        """Return ``L(child)`` for one datatype, shape ``(M,)``."""
        if datatype == INPUTS and exact and (self.layer.R > 1 or self.layer.S > 1):
            return _input_walk_loads(self, child, tile)
        # With R = S = 1 a P or Q step is at least the window, so input boxes
        # never overlap partially and the closed form below is exact.
        n_slots = self.bounds.shape[1]
        first = self._first_relevant(datatype, (child + 1) * 7)
        has_relevant = first < n_slots
        first = np.minimum(first, n_slots - 1)
        rows = np.arange(tile.shape[0])
        outer = self.suffix_products[rows, first]
        bound = self.bounds[rows, first]
        if datatype != INPUTS:
            return np.where(has_relevant, tile * outer * bound, tile)
        # Closed form: a sliding loop brings in only the new strip of the window.
        width, height = self.window(child)
        sw = self.step_w[rows, first]
        sh = self.step_h[rows, first]
        new_part = np.where(
            sw > 0,
            tile // width * np.minimum(width, sw),
            np.where(sh > 0, tile // height * np.minimum(height, sh), tile),
        )
        return np.where(has_relevant, outer * (tile + (bound - 1) * new_part), tile)


def _input_walk_loads(walk: _SlotWalk, child: int, tile: np.ndarray) -> np.ndarray:
    """Return ``L(child)`` for inputs by emulating Timeloop's binary loop walk.

    Timeloop 11920be (nest-analysis.cpp, ``gExtrapolateUniformTemporal``)
    evaluates iteration 0 and iteration 1 of every temporal loop and weights
    iteration 1 by ``b - 1``. The child tile therefore visits the 2^m corners
    of a binary counter over the ``m`` non-unit loops above it, with the
    outermost loop as the most significant bit. Each visit is charged the new box minus the previous one
    (point-set-aahr.hpp): nothing if equal; a strip if it moved along one
    sliding axis, overlapping, and in the direction of the last move (or
    after a reset); otherwise the whole tile, which resets the direction.

    The counter is folded loop by loop: for the sub-walk over the inner
    loops and each entry direction ``g``, ``charged[g]`` is its weighted
    delta total and ``leaving[g]`` the direction it ends with. Adding loop
    ``i`` repeats the sub-walk after one carry transition into bit ``i``,
    whose box move is ``step_i - sum(step_k, k < i)``.
    """
    n_maps = tile.shape[0]
    width, height = walk.window(child)
    above = walk.levels > child
    real = above[None, :] & (walk.bounds > 1)
    slots = np.nonzero(real.any(axis=0))[0]
    if slots.size == 0:
        return tile.copy()

    # Box move of the carry transition into each slot's bit, for all slots at
    # once: this loop's step minus the steps of the inner loops it resets.
    # Arrays are (slots, M) so that each slot's row is contiguous.
    real_slots = real[:, slots].T
    step_w = np.where(real_slots, walk.step_w[:, slots].T, 0)
    step_h = np.where(real_slots, walk.step_h[:, slots].T, 0)
    nc = real_slots & walk.moves_nc[:, slots].T
    move_w = step_w - (np.cumsum(step_w, axis=0) - step_w)
    move_h = step_h - (np.cumsum(step_h, axis=0) - step_h)
    move_nc = np.cumsum(nc, axis=0) > 0
    moved_w = move_w != 0
    moved_h = move_h != 0
    identical = ~moved_w & ~moved_h & ~move_nc
    slides = (moved_w ^ moved_h) & ~move_nc & (np.abs(move_w) < width) & (np.abs(move_h) < height)
    direction = np.where(
        moved_w,
        np.where(move_w > 0, _G_W_POS, _G_W_NEG),
        np.where(move_h > 0, _G_H_POS, _G_H_NEG),
    )
    strip = np.where(moved_w, (tile // width) * np.abs(move_w), (tile // height) * np.abs(move_h))
    # Charge of a transition that is not accepted as a slide.
    other_charge = np.where(identical, 0, tile)
    bounds = walk.bounds[:, slots].T
    weights = bounds - 1
    loads = tile.copy()

    # Rows without a possible slide never depend on the direction state:
    # each carry costs the whole tile (or nothing if the box did not move),
    # so the fold reduces to sum_i (b_i - 1) h_i prod_{k > i} b_k.
    needs_states = (slides & real_slots).any(axis=0)
    plain = np.flatnonzero(~needs_states)
    if plain.size:
        outer = np.ones_like(bounds[:, plain])
        outer[:-1] = np.cumprod(bounds[:0:-1, plain], axis=0)[::-1]
        loads[plain] += (weights[:, plain] * other_charge[:, plain] * outer).sum(axis=0)

    rows = np.flatnonzero(needs_states)
    if rows.size == 0:
        return loads
    real_slots, slides, direction, strip, other_charge, weights = (
        array[:, rows] for array in (real_slots, slides, direction, strip, other_charge, weights)
    )
    n_rows = rows.size
    charged = np.zeros((n_rows, _N_STATES), dtype=np.int64)
    leaving = np.tile(np.arange(_N_STATES, dtype=np.int64), (n_rows, 1))
    for column in range(slots.size):
        # Only rows with a non-unit loop in this slot change.
        idx = np.flatnonzero(real_slots[column])
        sub_charged = charged[idx]
        sub_leaving = leaving[idx]
        local = np.arange(idx.size)
        slide_direction = direction[column, idx]
        # Carry transition from the state each sub-walk ends in: it lands in
        # `slide_direction` when accepted as a slide, in no direction otherwise.
        accepted = slides[column, idx][:, None] & (
            (sub_leaving == _G_NONE) | (sub_leaving == slide_direction[:, None])
        )
        tail_charge = np.where(
            accepted,
            (strip[column, idx] + sub_charged[local, slide_direction])[:, None],
            (other_charge[column, idx] + sub_charged[:, _G_NONE])[:, None],
        )
        tail_leaving = np.where(
            accepted, sub_leaving[local, slide_direction][:, None], sub_leaving[:, _G_NONE][:, None]
        )
        charged[idx] = sub_charged + weights[column, idx][:, None] * tail_charge
        leaving[idx] = tail_leaving
    loads[rows] += charged[:, _G_NONE]
    return loads
