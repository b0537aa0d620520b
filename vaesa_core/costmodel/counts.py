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
  level's spatial instances; read-only data is read ``A`` times, outputs are
  updated ``A`` times and read ``A - partition`` times (the first update of
  each output needs no read).
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


def compute_counts(layer: Layer, factors: np.ndarray, orders: np.ndarray, keeps: np.ndarray, *, exact: bool = True) -> MappingCounts:
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
            sliding loop from the tile.

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
    factor_ok = (factors.prod(axis=(1, 2)) == dims).all(axis=1)
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
    tiles = _tile_sizes(layer, extents)  # (M, L, 3)

    # Temporal loop slots, innermost first: level-major, then rank.
    rank_dims = np.argsort(orders, axis=2, kind="stable")  # dimension at each rank
    slot_bounds = np.take_along_axis(temporal, rank_dims, axis=2).reshape(n_maps, n_levels * 7)
    slot_dims = rank_dims.reshape(n_maps, n_levels * 7)
    # A temporal loop's step in its own dimension: all loops of that dimension
    # inside it, i.e. every level below plus this level's spatial loop.
    step_per_dim = extents_below * spatial
    slot_steps = np.take_along_axis(step_per_dim, rank_dims, axis=2).reshape(n_maps, n_levels * 7)
    slot_levels = np.repeat(np.arange(n_levels), 7)
    # suffix_products[:, i] = product of slot bounds strictly outside slot i.
    reversed_cumprod = np.cumprod(slot_bounds[:, ::-1], axis=1)[:, ::-1]
    suffix_products = np.ones_like(slot_bounds)
    suffix_products[:, :-1] = reversed_cumprod[:, 1:]

    groups = _distinct_child_tiles(layer, spatial, extents_below)  # (M, L, 3)
    fill_multipliers = _fill_group_multipliers(layer, spatial, extents_below)  # (M, L)

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
                if datatype == INPUTS and child + 1 < n_levels:
                    fill_count = loads * fill_multipliers[:, child + 1]
                fills[:, child, datatype] = fill_count
            accesses = loads * groups[:, child + 1 : parent + 1, datatype].prod(axis=1)
            if datatype == OUTPUTS:
                partition = _output_partition(layer, spatial, parent)
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


def _tile_sizes(layer: Layer, extents: np.ndarray) -> np.ndarray:
    e = extents
    weights = e[..., _R] * e[..., _S] * e[..., _C] * e[..., _K]
    width = (e[..., _P] - 1) * layer.stride_w + (e[..., _R] - 1) * layer.dilation_w + 1
    height = (e[..., _Q] - 1) * layer.stride_h + (e[..., _S] - 1) * layer.dilation_h + 1
    inputs = e[..., _N] * e[..., _C] * width * height
    outputs = e[..., _P] * e[..., _Q] * e[..., _K] * e[..., _N]
    return np.stack([weights, inputs, outputs], axis=-1)


def _output_partition(layer: Layer, spatial: np.ndarray, parent: int) -> np.ndarray:
    """Return outputs held per instance of ``parent``: |O| over the relevant spatial fan-out above it."""
    total = layer.N * layer.K * layer.P * layer.Q
    relevant = np.where(RELEVANCE[OUTPUTS][None, None, :], spatial[:, parent + 1 :, :], 1)
    return total // relevant.prod(axis=(1, 2))


def _distinct_child_tiles(layer: Layer, spatial: np.ndarray, extents_below: np.ndarray) -> np.ndarray:
    """Return ``G[:, l, d]``: distinct child tiles among level ``l``'s spatial instances.

    Regularly it is the product of the datatype's relevant spatial factors;
    irrelevant ones multicast (weights, inputs) or reduce (outputs). Inputs
    with P and R (or Q and S) spatial at one level can share positions, so
    the distinct offsets are counted, as Timeloop 11920be does with exact set
    equality (``ComputeAccurateMulticastedAccesses``).
    """
    relevant = np.where(RELEVANCE[None, None, :, :], spatial[:, :, None, :], 1)
    groups = relevant.prod(axis=3)
    irregular_rows, irregular_levels = np.nonzero(_irregular_mask(spatial))
    for row, level in zip(irregular_rows, irregular_levels):
        s = spatial[row, level]
        below = extents_below[row, level]
        widths = _axis_offsets(s[_P], below[_P] * layer.stride_w, s[_R], below[_R] * layer.dilation_w)
        heights = _axis_offsets(s[_Q], below[_Q] * layer.stride_h, s[_S], below[_S] * layer.dilation_h)
        groups[row, level, INPUTS] = s[_N] * s[_C] * np.unique(widths).size * np.unique(heights).size
    return groups


def _fill_group_multipliers(layer: Layer, spatial: np.ndarray, extents_below: np.ndarray) -> np.ndarray:
    """Return, per level, the number of distinct input multicast-group sizes of its spatial fan-out.

    Timeloop 11920be multiplies a child's input fills by this number (one set
    of fills per distinct group size); it is 1 unless the level's spatial
    loops make input tiles coincide irregularly.
    """
    multipliers = np.ones(spatial.shape[:2], dtype=np.int64)
    irregular_rows, irregular_levels = np.nonzero(_irregular_mask(spatial))
    for row, level in zip(irregular_rows, irregular_levels):
        s = spatial[row, level]
        below = extents_below[row, level]
        widths = _axis_offsets(s[_P], below[_P] * layer.stride_w, s[_R], below[_R] * layer.dilation_w)
        heights = _axis_offsets(s[_Q], below[_Q] * layer.stride_h, s[_S], below[_S] * layer.dilation_h)
        _, width_counts = np.unique(widths, return_counts=True)
        _, height_counts = np.unique(heights, return_counts=True)
        sizes = np.unique(np.outer(width_counts, height_counts))
        multipliers[row, level] = sizes.size
    return multipliers


def _irregular_mask(spatial: np.ndarray) -> np.ndarray:
    return ((spatial[..., _P] > 1) & (spatial[..., _R] > 1)) | ((spatial[..., _Q] > 1) & (spatial[..., _S] > 1))


def _axis_offsets(count_a: int, step_a: int, count_b: int, step_b: int) -> np.ndarray:
    a = np.arange(count_a, dtype=np.int64)[:, None] * step_a
    b = np.arange(count_b, dtype=np.int64)[None, :] * step_b
    return (a + b).ravel()


class _SlotWalk:
    """Child loads over the flattened temporal loop slots of a batch."""

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
        self.steps = slot_steps
        self.levels = slot_levels
        self.suffix_products = suffix_products
        self.extents = extents

    def loads(self, datatype: int, child: int, tile: np.ndarray, *, exact: bool) -> np.ndarray:
        """Return ``L(child)`` for one datatype, shape ``(M,)``."""
        above = self.levels > child
        if datatype == INPUTS and exact:
            return _input_walk_loads(self, child, tile)
        real = above[None, :] & (self.bounds > 1)
        relevant = real & RELEVANCE[datatype][self.dims]
        has_relevant = relevant.any(axis=1)
        first = np.argmax(relevant, axis=1)
        rows = np.arange(tile.shape[0])
        outer = self.suffix_products[rows, first]
        bound = self.bounds[rows, first]
        if datatype != INPUTS:
            per_tile = outer * bound
            return np.where(has_relevant, tile * per_tile, tile)
        new_part = _sliding_new_part(self, child, tile, first)
        total = outer * (tile + (bound - 1) * new_part)
        return np.where(has_relevant, total, tile)


def _axis_geometry(walk: _SlotWalk, child: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the input box extents along W and H at level ``child``, shape ``(M,)`` each."""
    layer = walk.layer
    e = walk.extents[:, child, :]
    width = (e[:, _P] - 1) * layer.stride_w + (e[:, _R] - 1) * layer.dilation_w + 1
    height = (e[:, _Q] - 1) * layer.stride_h + (e[:, _S] - 1) * layer.dilation_h + 1
    return width, height


def _slot_axis_steps(walk: _SlotWalk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each slot's offset per iteration along W, H and the N/C axes, shape ``(M, slots)``."""
    layer = walk.layer
    d = walk.dims
    step_w = np.where(d == _P, walk.steps * layer.stride_w, np.where(d == _R, walk.steps * layer.dilation_w, 0))
    step_h = np.where(d == _Q, walk.steps * layer.stride_h, np.where(d == _S, walk.steps * layer.dilation_h, 0))
    # N and C offsets are multiples of the tile extent, so any move is disjoint.
    moves_nc = (d == _N) | (d == _C)
    return step_w, step_h, moves_nc


def _sliding_new_part(walk: _SlotWalk, child: int, tile: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Return the words a step of loop ``first`` brings in: the whole tile, or the new strip of a window."""
    rows = np.arange(tile.shape[0])
    width, height = _axis_geometry(walk, child)
    step_w, step_h, _ = _slot_axis_steps(walk)
    sw = step_w[rows, first]
    sh = step_h[rows, first]
    strip_w = np.where(sw > 0, tile // width * np.minimum(width, sw), tile)
    strip_h = np.where(sh > 0, tile // height * np.minimum(height, sh), tile)
    return np.where(sw > 0, strip_w, np.where(sh > 0, strip_h, tile))


def _input_walk_loads(walk: _SlotWalk, child: int, tile: np.ndarray) -> np.ndarray:
    """Return ``L(child)`` for inputs by emulating Timeloop's binary loop walk.

    Timeloop 11920be (nest-analysis.cpp, ``gExtrapolateUniformTemporal``)
    evaluates iteration 0 and iteration 1 of every temporal loop, the latter
    weighted by ``b - 1``, so the child tile visits the 2^m corners of a
    binary counter over the ``m`` non-unit loops above it (outermost bit most
    significant). Each visit is charged the new box minus the previous one
    (point-set-aahr.hpp): nothing if equal; a strip if it moved along one
    sliding axis, overlapping, and in the direction of the last move (or
    after a reset); otherwise the whole tile, which resets the direction.

    The counter is folded loop by loop: for the sub-walk over the inner
    ``i`` loops and each entry direction ``g``, ``charged[g]`` is its weighted
    delta total and ``leaving[g]`` the direction it ends with. Adding loop
    ``i`` repeats the sub-walk after one carry transition into bit ``i``,
    whose box move is ``step_i - sum(step_k, k < i)``.
    """
    n_maps = tile.shape[0]
    width, height = _axis_geometry(walk, child)
    step_w, step_h, moves_nc = _slot_axis_steps(walk)
    above = walk.levels > child
    real = above[None, :] & (walk.bounds > 1)

    charged = np.zeros((n_maps, _N_STATES), dtype=np.int64)
    leaving = np.tile(np.arange(_N_STATES, dtype=np.int64), (n_maps, 1))
    rows = np.arange(n_maps)[:, None]
    inner_w = np.zeros(n_maps, dtype=np.int64)
    inner_h = np.zeros(n_maps, dtype=np.int64)
    inner_nc = np.zeros(n_maps, dtype=bool)
    strip_w = tile // width
    strip_h = tile // height

    for slot in np.nonzero(real.any(axis=0))[0]:
        active = real[:, slot]
        move_w = step_w[:, slot] - inner_w
        move_h = step_h[:, slot] - inner_h
        move_nc = moves_nc[:, slot] | inner_nc

        identical = (move_w == 0) & (move_h == 0) & ~move_nc
        axes_moved = (move_w != 0).astype(np.int64) + (move_h != 0) + move_nc
        disjoint = (np.abs(move_w) >= width) | (np.abs(move_h) >= height)
        slides = (axes_moved == 1) & ~move_nc & ~disjoint
        along_w = slides & (move_w != 0)
        direction = np.where(
            along_w,
            np.where(move_w > 0, _G_W_POS, _G_W_NEG),
            np.where(move_h > 0, _G_H_POS, _G_H_NEG),
        )
        strip = np.where(along_w, strip_w * np.abs(move_w), strip_h * np.abs(move_h))

        # Transition into bit `slot`, from each state the sub-walk ends in.
        entry = leaving  # (M, 5) state before the carry transition
        accepted = slides[:, None] & ((entry == _G_NONE) | (entry == direction[:, None]))
        delta = np.where(
            identical[:, None], 0, np.where(accepted, strip[:, None], tile[:, None])
        )
        after = np.where(accepted, direction[:, None], _G_NONE)
        weight = (walk.bounds[:, slot] - 1)[:, None]
        new_charged = charged + weight * (delta + charged[rows, after])
        new_leaving = leaving[rows, after]

        charged = np.where(active[:, None], new_charged, charged)
        leaving = np.where(active[:, None], new_leaving, leaving)
        inner_w = inner_w + np.where(active, step_w[:, slot], 0)
        inner_h = inner_h + np.where(active, step_h[:, slot], 0)
        inner_nc = inner_nc | (active & moves_nc[:, slot])
    return tile + charged[:, _G_NONE]
