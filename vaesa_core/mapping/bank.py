"""Per-layer candidate banks of the fast mapper, built once on fixed anchor designs.

A bank is a ``CandidatePool`` of mappings found by a local search shared by
a fixed set of anchor designs (``anchor_designs``): the extremes of the
Simba-like space and a seeded sample of it. The bank depends only on the
layer, the settings and the seed, never on the designs a caller asks about,
and it is not changed after it is built.

The shared search:

1. seeds the pool with the all-DRAM mapping (legal on every design),
   random mappings and spatial-first mappings;
2. adds spatial-first seeds repaired to fit a few anchors chosen by
   farthest-point sampling;
3. runs rounds that expand up to ``frontier_size`` best candidates not yet
   expanded into their one-step neighbours (``moves.neighbours``). Half of
   the frontier goes to the bests of the most anchors and half to randomly
   drawn other bests. When every best is expanded, random multi-move walks
   restart the search, at most ``kicks`` times;
4. keeps the union of each anchor's best candidates, up to ``bank_size``
   rows, and the all-DRAM mapping.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import stack_architectures
from vaesa_core.mapping.legality import level_usage
from vaesa_core.mapping.moves import (
    all_at_dram,
    fit_to_entries,
    neighbours,
    random_mappings,
    random_walks,
    spatial_first_mappings,
)
from vaesa_core.mapping.pool import CandidatePool, DesignArrays
from vaesa_core.space.design_space import HardwareConfig, simba_space
from vaesa_core.workloads.layer import Layer

__all__ = ["Bank", "BankSettings", "anchor_designs", "build_bank", "objective_keys", "rank_order"]

_logger = logging.getLogger(__name__)

#: Level weights of the random initial mappings, Registers..DRAM: outer
#: levels are favoured so that more samples fit small buffers.
LEVEL_WEIGHTS = (
    np.array([0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
    np.array([0.2, 1.0, 1.0, 1.0, 1.5, 3.0]),
)


@dataclass(frozen=True)
class BankSettings:
    """Search effort of a bank build; see ``FastMapper`` for each field."""

    seed: int
    objective: str
    initial_samples: int
    frontier_size: int
    max_rounds: int
    kicks: int
    fitted_targets: int
    fitted_seeds: int
    anchor_samples: int
    bank_size: int


@dataclass(frozen=True)
class Bank:
    """A layer's frozen candidates and the anchors' limits.

    Attributes:
        pool: The frozen candidates, row 0 the all-DRAM mapping.
        spatial_levels: Levels where some anchor has a fan-out above 1.
        max_entries: float64 ``(L,)`` largest entries per level over the anchors.
        max_fanouts: int64 ``(L,)`` largest fan-out per level over the anchors.
    """

    pool: CandidatePool
    spatial_levels: tuple[int, ...]
    max_entries: np.ndarray
    max_fanouts: np.ndarray


def anchor_designs(samples: int, seed: int) -> list[HardwareConfig]:
    """Return the designs a bank is built for.

    These are the 32 corners of the Simba-like space (smallest and largest
    MACs and buffers, one PE), its centre in log scale, and ``samples``
    designs drawn uniformly with ``seed``.

    Args:
        samples: Number of random designs.
        seed: Seed of the random designs.
    """
    space = simba_space()
    names = ("macs", "accum_buffer", "weight_buffer", "input_buffer", "global_buffer")
    bounds = [(space.parameter(name).low, space.parameter(name).high) for name in names]
    anchors = [HardwareConfig(1, *corner) for corner in itertools.product(*bounds)]
    centre = space.snap(np.array([[1.0] + [float(np.sqrt(low * high)) for low, high in bounds]]))[0]
    anchors.append(space.config_from_array(centre))
    anchors.extend(space.sample(samples, np.random.default_rng([seed, 0x616E63686F72])))
    return list(dict.fromkeys(anchors))


def objective_keys(objective: str, cycles: np.ndarray, energy_pj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the primary and secondary sort keys of candidates, lower is better.

    EDP ranks by cycles x pJ, then energy; ``latency`` by cycles, then
    energy; ``energy`` by energy, then cycles. Illegal pairs (``inf``
    energy) get ``inf`` keys. All operations are elementwise, so a pair's
    keys do not depend on the other pairs of the arrays.

    Args:
        objective: ``"edp"``, ``"latency"`` or ``"energy"``.
        cycles: float64 cycles, broadcastable against ``energy_pj``.
        energy_pj: float64 energies in pJ.
    """
    cycles = np.broadcast_to(cycles, energy_pj.shape)
    finite = np.isfinite(energy_pj)
    if objective == "edp":
        return np.where(finite, cycles * energy_pj, np.inf), energy_pj
    if objective == "latency":
        return np.where(finite, cycles, np.inf), energy_pj
    return energy_pj, np.where(finite, cycles, np.inf)


def rank_order(primary: np.ndarray, secondary: np.ndarray, tiebreaks: np.ndarray) -> np.ndarray:
    """Return the indices that sort candidates by primary, secondary and tiebreak keys."""
    return np.lexsort((tiebreaks, secondary, primary))


def build_bank(layer: Layer, settings: BankSettings, *, exact: bool = False) -> Bank:
    """Build the frozen candidate bank of ``layer``.

    Args:
        layer: The layer.
        settings: Search effort and seed.
        exact: Passed to ``compute_counts``: exact input-walk counts instead
            of the sliding-window closed form.

    Returns:
        The bank, at most ``bank_size + 1`` candidates, frozen.
    """
    anchors = anchor_designs(settings.anchor_samples, settings.seed)
    batch = stack_architectures([simba_architecture(config) for config in anchors])
    designs = DesignArrays.from_batch(batch)
    spatial_levels = tuple(int(level) for level in np.flatnonzero(designs.fanouts.max(axis=0) > 1))
    rng = np.random.default_rng([settings.seed, *layer.shape_key()])

    pool = CandidatePool(layer, designs.keeps, designs.block_sizes, designs.read_bandwidth, designs.write_bandwidth,
                         exact=exact)
    _seed_pool(pool, designs, spatial_levels, rng, settings)
    _add_fitted_seeds(pool, designs, rng, settings)
    cycles, energy_chunks = _local_search(pool, designs, spatial_levels, rng, settings)
    # Each anchor ranks only its `depth` best rows; the bank takes rows by
    # their best rank over the anchors, a round-robin over the rankings.
    # Keys are built one anchor at a time from the scored chunks: the full
    # (M, D) key arrays would cost more in fresh memory than in arithmetic.
    n_anchors = energy_chunks[0].shape[1]
    depth = min(pool.size, 2 * (settings.bank_size // n_anchors + 1))
    best_rank = np.full(pool.size, pool.size, dtype=np.int64)
    for column in range(n_anchors):
        energy = np.concatenate([chunk[:, column] for chunk in energy_chunks])
        primary, secondary = objective_keys(settings.objective, cycles, energy)
        top = np.argpartition(primary, depth - 1)[:depth] if depth < pool.size else np.arange(pool.size)
        top = top[rank_order(primary[top], secondary[top], pool.tiebreaks[top])]
        top = top[np.isfinite(primary[top])]
        best_rank[top] = np.minimum(best_rank[top], np.arange(top.size))
    best_rank[0] = -1
    keep = np.argsort(best_rank, kind="stable")[: settings.bank_size + 1]
    keep = keep[best_rank[keep] < pool.size]
    pool.keep_only(keep)
    _logger.debug("fast mapper bank of %s: %d candidates from %d anchors", layer.label(), pool.size, len(anchors))
    pool.freeze()
    return Bank(pool, spatial_levels, designs.entries.max(axis=0), designs.fanouts.max(axis=0))


def merge_banks(first: Bank, second: Bank) -> Bank:
    """Return one frozen bank with the candidates of both (``first``'s rows first).

    Both banks must belong to the same layer and anchors, and count inputs
    the same way.
    """
    source = first.pool
    pool = CandidatePool(source.layer, source.keeps, source.block_sizes, source.read_bandwidth,
                         source.write_bandwidth, exact=source.exact)
    pool.add(source.factors, source.orders)
    pool.add(second.pool.factors, second.pool.orders)
    pool.freeze()
    return Bank(pool, first.spatial_levels, first.max_entries, first.max_fanouts)


def _fitting(layer: Layer, factors: np.ndarray, orders: np.ndarray, designs: DesignArrays) -> tuple[np.ndarray, np.ndarray]:
    """Keep mappings that fit the loosest design (fan-out and capacity)."""
    if factors.shape[0] == 0:
        return factors, orders
    spatial = factors[:, :, 0, :].prod(axis=2)
    fits = (spatial <= designs.fanouts.max(axis=0)).all(axis=1)
    fits &= (level_usage(layer, factors) <= designs.entries.max(axis=0)).all(axis=1)
    return factors[fits], orders[fits]


def _seed_pool(pool: CandidatePool, designs: DesignArrays, spatial_levels: tuple[int, ...],
               rng: np.random.Generator, settings: BankSettings) -> None:
    layer = pool.layer
    n_levels = designs.keeps.shape[0]
    pool.add(*all_at_dram(n_levels, layer))
    if not settings.initial_samples:
        return
    per_kind = max(settings.initial_samples // (8 * len(LEVEL_WEIGHTS)), 1)
    for weights in LEVEL_WEIGHTS:
        for spatial_probability in (0.3, 0.6):
            factors, orders = random_mappings(
                layer, per_kind, rng, n_levels=n_levels, spatial_levels=spatial_levels,
                level_weights=weights, spatial_probability=spatial_probability,
            )
            pool.add(*_fitting(layer, factors, orders, designs))
    fanout_choices = list(np.unique(designs.fanouts, axis=0))
    factors, orders = spatial_first_mappings(
        layer, settings.initial_samples // 2, rng, n_levels=n_levels,
        fanout_choices=fanout_choices, level_weights=LEVEL_WEIGHTS[1],
    )
    pool.add(*_fitting(layer, factors, orders, designs))


def _add_fitted_seeds(pool: CandidatePool, designs: DesignArrays, rng: np.random.Generator,
                      settings: BankSettings) -> None:
    """Add spatial-first seeds repaired to fit a few diverse anchors.

    Designs with small buffers admit few of the random seeds; seeds
    repaired for their entries start the local search near good mappings
    for them. Targets are picked by farthest-point sampling in log2
    entries and MACs, starting from the design with the least storage.
    """
    if not settings.fitted_seeds or not settings.fitted_targets:
        return
    features = np.log2(np.concatenate([designs.entries[:, 1:5], designs.instances[:, :1]], axis=1))
    targets = [int(np.argmin(features[:, :4].sum(axis=1)))]
    distance = np.linalg.norm(features - features[targets[0]], axis=1)
    while len(targets) < min(settings.fitted_targets, len(features)) and distance.max() > 0:
        targets.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(features - features[targets[-1]], axis=1))

    n_levels = designs.keeps.shape[0]
    for target in targets:
        factors, orders = spatial_first_mappings(
            pool.layer, settings.fitted_seeds, rng, n_levels=n_levels,
            fanout_choices=[designs.fanouts[target]], level_weights=LEVEL_WEIGHTS[0],
        )
        pool.add(*fit_to_entries(pool.layer, factors, orders, designs.entries[target], rng))


def _search_keys(objective: str, cycles: np.ndarray, energy_pj: np.ndarray) -> np.ndarray:
    """Return one key per (candidate, design) pair for the shared search, lower is better."""
    cycles = np.broadcast_to(cycles[:, None], energy_pj.shape)
    finite = np.isfinite(energy_pj)
    if objective == "edp":
        return np.where(finite, cycles * energy_pj, np.inf)
    # Lexicographic: the secondary metric, scaled into [0, 0.5), breaks ties.
    primary, secondary = (cycles, energy_pj) if objective == "latency" else (energy_pj, cycles)
    scale = np.max(np.where(finite, secondary, 0.0), initial=1.0) * 2.0
    return np.where(finite, primary + secondary / scale, np.inf)


def _local_search(pool: CandidatePool, designs: DesignArrays, spatial_levels: tuple[int, ...],
                  rng: np.random.Generator, settings: BankSettings) -> tuple[np.ndarray, list[np.ndarray]]:
    """Improve the anchors' bests by a shared local search.

    Returns:
        Cycles ``(M,)`` of every pool row, and their energies on the
        anchors as consecutive ``(rows, D)`` chunks: what
        ``pool.score(designs)`` would return, kept from when each row was
        added instead of scored again.
    """
    cycles, energy = pool.score(designs)
    scored_cycles, scored_energy = [cycles], [energy]
    keys = _search_keys(settings.objective, cycles, energy)
    best = np.argmin(keys, axis=0)
    best_keys = keys[best, np.arange(best.size)]

    kicks = 0
    for round_index in range(settings.max_rounds):
        served = np.bincount(best[np.isfinite(best_keys)], minlength=pool.size)
        used = np.flatnonzero(served)
        order = used[np.argsort(-served[used], kind="stable")]
        waiting = [int(row) for row in order if int(row) not in pool.expanded]
        # Half the frontier goes to the bests of the most anchors, half to
        # randomly drawn other bests, so that anchors with a rare best are
        # not starved.
        popular = waiting[: (settings.frontier_size + 1) // 2]
        rest = waiting[len(popular):]
        drawn = rng.permutation(len(rest))[: settings.frontier_size - len(popular)] if rest else []
        frontier = popular + [rest[int(index)] for index in drawn]
        if frontier:
            pool.expanded.update(frontier)
            factors, orders = neighbours(pool.factors[frontier], pool.orders[frontier], spatial_levels=spatial_levels)
        elif kicks < settings.kicks:
            # Every best is a local optimum: restart from random multi-move
            # walks around the most-served ones.
            kicks += 1
            bases = [int(row) for row in order[: settings.frontier_size]]
            factors, orders = random_walks(pool.factors[bases], pool.orders[bases], rng,
                                           spatial_levels=spatial_levels, walks=4, steps=3)
        else:
            break
        added = pool.add(*_fitting(pool.layer, factors, orders, designs))
        if added.size == 0:
            continue
        new_cycles, new_energy = pool.score(designs, added)
        scored_cycles.append(new_cycles)
        scored_energy.append(new_energy)
        new_keys = _search_keys(settings.objective, new_cycles, new_energy)
        candidate = np.argmin(new_keys, axis=0)
        candidate_keys = new_keys[candidate, np.arange(best.size)]
        better = candidate_keys < best_keys
        best = np.where(better, added[candidate], best)
        best_keys = np.where(better, candidate_keys, best_keys)
        _logger.debug("fast mapper bank %s round %d: %d new candidates, %d anchors improved",
                      pool.layer.label(), round_index, added.size, int(better.sum()))
    return np.concatenate(scored_cycles), scored_energy
