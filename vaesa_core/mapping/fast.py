"""The fast mapper: a shared-pool local search over mappings, vectorised over designs.

For each layer the mapper keeps a pool of candidate mappings with their
design-independent counts (``CandidatePool``). A call with D designs:

1. scores the whole pool on every design at once (``(M, D)`` array
   operations) and takes each design's best candidate;
2. runs a local search shared by all designs. Each round expands up to
   ``frontier_size`` best candidates not yet expanded (those that are best
   for the most designs first) into their one-step neighbours
   (``moves.neighbours``). Neighbours that fit no design are dropped, the
   rest are scored on every design, and each design's best is updated.
   When no best is left to expand, up to ``kicks`` random multi-move walks
   restart the search; it stops after ``max_rounds`` rounds;
3. re-scores the ``final_candidates`` best candidates of every design with
   the exact input-walk counts on all designs and returns each design's
   best, scored by ``vaesa_core.costmodel.combine``.

The pool starts with the mapping that keeps every loop at DRAM (legal on
every design of the space) and ``initial_samples`` random mappings, and it
persists across calls, so later calls for a layer start from every mapping
found so far. Results are deterministic for a seed and a sequence of calls;
a design's mapping can depend on the other designs of its batch and on
earlier calls, because they shape the pool.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import compute_counts, combine, stack_architectures
from vaesa_core.evaluation.cost import Status
from vaesa_core.evaluation.objective import Objective
from vaesa_core.mapping.legality import check_mappings, describe_violation, design_limits, level_usage
from vaesa_core.mapping.mapper import Mapper, MapperResult
from vaesa_core.mapping.mapping import Mapping
from vaesa_core.mapping.moves import (
    all_at_dram,
    fit_to_entries,
    neighbours,
    random_mappings,
    random_walks,
    spatial_first_mappings,
)
from vaesa_core.mapping.pool import CandidatePool, DesignArrays
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import Layer

__all__ = ["FastMapper"]

_logger = logging.getLogger(__name__)

#: Level weights of the random initial mappings, Registers..DRAM: outer
#: levels are favoured so that more samples fit small buffers.
_LEVEL_WEIGHTS = (
    np.array([0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
    np.array([0.2, 1.0, 1.0, 1.0, 1.5, 3.0]),
)


class FastMapper(Mapper):
    """Search mappings with a local search shared by all designs of a batch.

    Args:
        seed: Seed of the random initial mappings (combined with the layer
            shape, so each layer has its own stream).
        objective: ``"edp"`` (default), ``"latency"`` (fewest cycles, then
            least energy) or ``"energy"`` (least energy, then fewest cycles).
        initial_samples: Random mappings added to a new layer's pool.
        frontier_size: Candidates expanded per local-search round.
        max_rounds: Local-search rounds per call.
        final_candidates: Best candidates per design re-scored exactly.
        kicks: Restarts from random three-move walks once the local search
            stalls, per call.
        fitted_targets: Designs per call for which seeds are repaired to
            fit (see ``_add_fitted_seeds``).
        fitted_seeds: Seeds per target design.
        max_pool_size: Candidates kept per layer between calls; above it the
            pool shrinks to the last batch's best candidates, which bounds
            memory in long searches.
        exact_search: Use the exact input-walk counts during the search too
            (slower); the final choice always uses them.
    """

    name = "fast"

    def __init__(
        self,
        *,
        seed: int = 0,
        objective: str | Objective = Objective.EDP,
        initial_samples: int = 4000,
        frontier_size: int = 8,
        max_rounds: int = 30,
        final_candidates: int = 4,
        kicks: int = 3,
        fitted_targets: int = 6,
        fitted_seeds: int = 200,
        max_pool_size: int = 200_000,
        exact_search: bool = False,
    ) -> None:
        for name, value, low in (
            ("initial_samples", initial_samples, 0),
            ("frontier_size", frontier_size, 1),
            ("max_rounds", max_rounds, 0),
            ("final_candidates", final_candidates, 1),
            ("kicks", kicks, 0),
            ("fitted_targets", fitted_targets, 0),
            ("fitted_seeds", fitted_seeds, 0),
            ("max_pool_size", max_pool_size, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"FastMapper {name} must be an integer >= {low}, but got {value!r}.")
        try:
            self.objective = Objective(objective)
        except ValueError:
            raise ValueError(
                f"FastMapper objective must be one of {[item.value for item in Objective]}, but got {objective!r}."
            ) from None
        self.seed = int(seed)
        self.initial_samples = int(initial_samples)
        self.frontier_size = int(frontier_size)
        self.max_rounds = int(max_rounds)
        self.final_candidates = int(final_candidates)
        self.kicks = int(kicks)
        self.fitted_targets = int(fitted_targets)
        self.fitted_seeds = int(fitted_seeds)
        self.max_pool_size = int(max_pool_size)
        self.exact_search = bool(exact_search)
        self._search_pools: dict[Layer, CandidatePool] = {}
        self._exact_pools: dict[Layer, CandidatePool] = {}
        self._rngs: dict[Layer, np.random.Generator] = {}

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "seed": self.seed,
            "objective": self.objective.value,
            "initial_samples": self.initial_samples,
            "frontier_size": self.frontier_size,
            "max_rounds": self.max_rounds,
            "final_candidates": self.final_candidates,
            "kicks": self.kicks,
            "fitted_targets": self.fitted_targets,
            "fitted_seeds": self.fitted_seeds,
            "max_pool_size": self.max_pool_size,
            "exact_search": self.exact_search,
        }

    # -- public entry --------------------------------------------------------

    def map_layer(self, layer: Layer, configs: Sequence[HardwareConfig]) -> list[MapperResult]:
        if not configs:
            return []
        limits = design_limits(configs)
        batch = stack_architectures([simba_architecture(config) for config in configs])
        designs = DesignArrays.from_batch(batch)
        spatial_levels = tuple(int(level) for level in np.flatnonzero(designs.fanouts.max(axis=0) > 1))

        pool = self._search_pool(layer, designs, spatial_levels)
        self._add_fitted_seeds(pool, designs)
        self._local_search(pool, designs, spatial_levels)
        shortlist = self._shortlist(pool, designs)
        exact_pool = self._exact_pool(layer, designs)
        exact_pool.add(pool.factors[shortlist], pool.orders[shortlist])
        if pool.size > self.max_pool_size:
            # Keep the all-DRAM mapping (row 0) and this batch's best candidates.
            pool.keep_only(np.concatenate([[0], shortlist]))
        if exact_pool.size > self.max_pool_size:
            exact_pool.keep_only(np.arange(exact_pool.size - self.max_pool_size // 2, exact_pool.size))

        if exact_pool.size == 0:
            chosen = np.zeros(len(configs), dtype=np.int64)
            feasible = np.zeros(len(configs), dtype=bool)
        else:
            cycles, energy = exact_pool.score(designs)
            keys = self._keys(cycles, energy)
            chosen = np.argmin(keys, axis=0)
            feasible = np.isfinite(keys[chosen, np.arange(len(configs))])
        return self._package(layer, configs, limits, batch, exact_pool, chosen, feasible)

    # -- pools -----------------------------------------------------------------

    def _rng(self, layer: Layer) -> np.random.Generator:
        if layer not in self._rngs:
            self._rngs[layer] = np.random.default_rng([self.seed, *layer.shape_key()])
        return self._rngs[layer]

    def _search_pool(self, layer: Layer, designs: DesignArrays, spatial_levels: tuple[int, ...]) -> CandidatePool:
        pool = self._search_pools.get(layer)
        if pool is None:
            pool = CandidatePool(layer, designs.keeps, designs.block_sizes, designs.read_bandwidth,
                                 designs.write_bandwidth, exact=self.exact_search)
            self._search_pools[layer] = pool
            pool.add(*all_at_dram(designs.keeps.shape[0], layer))
            rng = self._rng(layer)
            per_kind = max(self.initial_samples // (8 * len(_LEVEL_WEIGHTS)), 1) if self.initial_samples else 0
            for weights in _LEVEL_WEIGHTS:
                for spatial_probability in (0.3, 0.6):
                    if not per_kind:
                        continue
                    factors, orders = random_mappings(
                        layer, per_kind, rng, n_levels=designs.keeps.shape[0], spatial_levels=spatial_levels,
                        level_weights=weights, spatial_probability=spatial_probability,
                    )
                    pool.add(*self._fitting(layer, factors, orders, designs))
            if self.initial_samples:
                fanout_choices = list(np.unique(designs.fanouts, axis=0))
                factors, orders = spatial_first_mappings(
                    layer, self.initial_samples // 2, rng, n_levels=designs.keeps.shape[0],
                    fanout_choices=fanout_choices, level_weights=_LEVEL_WEIGHTS[1],
                )
                pool.add(*self._fitting(layer, factors, orders, designs))
        return pool

    def _add_fitted_seeds(self, pool: CandidatePool, designs: DesignArrays) -> None:
        """Add spatial-first seeds repaired to fit a few diverse designs of the batch.

        Designs with small buffers admit few of the random seeds; seeds
        repaired for their entries start the local search near good
        mappings for them. Targets are picked by farthest-point sampling in
        log2 entries and MACs, starting from the design with the least storage.
        """
        if not self.fitted_seeds or not self.fitted_targets:
            return
        features = np.log2(np.concatenate([designs.entries[:, 1:5], designs.instances[:, :1]], axis=1))
        targets = [int(np.argmin(features[:, :4].sum(axis=1)))]
        distance = np.linalg.norm(features - features[targets[0]], axis=1)
        while len(targets) < min(self.fitted_targets, len(features)) and distance.max() > 0:
            targets.append(int(np.argmax(distance)))
            distance = np.minimum(distance, np.linalg.norm(features - features[targets[-1]], axis=1))

        rng = self._rng(pool.layer)
        n_levels = designs.keeps.shape[0]
        for target in targets:
            factors, orders = spatial_first_mappings(
                pool.layer, self.fitted_seeds, rng, n_levels=n_levels,
                fanout_choices=[designs.fanouts[target]], level_weights=_LEVEL_WEIGHTS[0],
            )
            pool.add(*fit_to_entries(pool.layer, factors, orders, designs.entries[target], rng))

    def _exact_pool(self, layer: Layer, designs: DesignArrays) -> CandidatePool:
        pool = self._exact_pools.get(layer)
        if pool is None:
            pool = CandidatePool(layer, designs.keeps, designs.block_sizes, designs.read_bandwidth,
                                 designs.write_bandwidth, exact=True)
            self._exact_pools[layer] = pool
        return pool

    @staticmethod
    def _fitting(layer: Layer, factors: np.ndarray, orders: np.ndarray, designs: DesignArrays) -> tuple[np.ndarray, np.ndarray]:
        """Keep mappings that fit the loosest design of the batch (fan-out and capacity)."""
        if factors.shape[0] == 0:
            return factors, orders
        spatial = factors[:, :, 0, :].prod(axis=2)
        fits = (spatial <= designs.fanouts.max(axis=0)).all(axis=1)
        fits &= (level_usage(layer, factors) <= designs.entries.max(axis=0)).all(axis=1)
        return factors[fits], orders[fits]

    # -- search ----------------------------------------------------------------

    def _keys(self, cycles: np.ndarray, energy: np.ndarray) -> np.ndarray:
        """Return the objective of each (candidate, design) pair, lower is better."""
        cycles = np.broadcast_to(cycles[:, None], energy.shape)
        finite = np.isfinite(energy)
        if self.objective is Objective.EDP:
            return np.where(finite, cycles * energy, np.inf)
        # Lexicographic: the secondary metric, scaled into [0, 0.5), breaks ties.
        if self.objective is Objective.LATENCY:
            primary, secondary = cycles, energy
        else:
            primary, secondary = energy, cycles
        scale = np.max(np.where(finite, secondary, 0.0), initial=1.0) * 2.0
        return np.where(finite, primary + secondary / scale, np.inf)

    def _local_search(self, pool: CandidatePool, designs: DesignArrays, spatial_levels: tuple[int, ...]) -> None:
        cycles, energy = pool.score(designs)
        keys = self._keys(cycles, energy)
        best = np.argmin(keys, axis=0)
        best_keys = keys[best, np.arange(best.size)]

        kicks = 0
        rng = self._rng(pool.layer)
        for round_index in range(self.max_rounds):
            served = np.bincount(best[np.isfinite(best_keys)], minlength=pool.size)
            used = np.flatnonzero(served)
            order = used[np.argsort(-served[used], kind="stable")]
            waiting = [int(row) for row in order if int(row) not in pool.expanded]
            # Half the frontier goes to the bests of the most designs, half to
            # randomly drawn other bests, so that designs with a rare best
            # are not starved.
            popular = waiting[: (self.frontier_size + 1) // 2]
            rest = waiting[len(popular):]
            drawn = rng.permutation(len(rest))[: self.frontier_size - len(popular)] if rest else []
            frontier = popular + [rest[int(index)] for index in drawn]
            if frontier:
                pool.expanded.update(frontier)
                factors, orders = neighbours(pool.factors[frontier], pool.orders[frontier], spatial_levels=spatial_levels)
            elif kicks < self.kicks:
                # Every best is a local optimum: restart from random multi-move
                # walks around the most-served ones.
                kicks += 1
                bases = [int(row) for row in order[: self.frontier_size]]
                factors, orders = random_walks(pool.factors[bases], pool.orders[bases], rng,
                                               spatial_levels=spatial_levels, walks=4, steps=3)
            else:
                break
            added = pool.add(*self._fitting(pool.layer, factors, orders, designs))
            if added.size == 0:
                continue
            new_cycles, new_energy = pool.score(designs, added)
            new_keys = self._keys(new_cycles, new_energy)
            candidate = np.argmin(new_keys, axis=0)
            candidate_keys = new_keys[candidate, np.arange(best.size)]
            better = candidate_keys < best_keys
            best = np.where(better, added[candidate], best)
            best_keys = np.where(better, candidate_keys, best_keys)
            _logger.debug("fast mapper %s round %d: %d new candidates, %d designs improved",
                          pool.layer.label(), round_index, added.size, int(better.sum()))

    def _shortlist(self, pool: CandidatePool, designs: DesignArrays) -> np.ndarray:
        """Return the pool rows of the best ``final_candidates`` candidates of every design."""
        cycles, energy = pool.score(designs)
        keys = self._keys(cycles, energy)
        count = min(self.final_candidates, pool.size)
        top = np.argpartition(keys, count - 1, axis=0)[:count] if count < pool.size else np.arange(pool.size)[:, None]
        rows = np.unique(top)
        return rows[np.isfinite(keys[rows]).any(axis=1)]

    # -- results ---------------------------------------------------------------

    def _package(
        self,
        layer: Layer,
        configs: Sequence[HardwareConfig],
        limits,
        batch,
        exact_pool: CandidatePool,
        chosen: np.ndarray,
        feasible: np.ndarray,
    ) -> list[MapperResult]:
        results: list[MapperResult | None] = [None] * len(configs)
        rows = np.flatnonzero(feasible)
        if rows.size:
            factors = exact_pool.factors[chosen[rows]]
            orders = exact_pool.orders[chosen[rows]]
            codes = check_mappings(layer, factors, limits)[np.arange(rows.size), rows]
            counts = compute_counts(layer, factors, orders, batch.keeps, exact=True)
            sub_batch = stack_architectures([simba_architecture(configs[row]) for row in rows])
            cost = combine(counts, sub_batch, (rows.size,))
            for position, row in enumerate(rows):
                if codes[position] or not cost.valid[position]:
                    reason = describe_violation(int(codes[position]), layer, factors[position], limits, int(row))
                    results[row] = MapperResult.invalid(
                        Status.FAILED, f"fast mapper chose an illegal mapping: {reason or cost.reason(position)}"
                    )
                    continue
                mapping = Mapping(factors[position], orders[position])
                results[row] = MapperResult(mapping, float(cost.cycles[position]), float(cost.energy_pj[position]))

        if (~feasible).any():
            dram_factors, _ = all_at_dram(len(limits.entries[0]), layer)
            codes = check_mappings(layer, dram_factors, limits)[0]
            for row in np.flatnonzero(~feasible):
                reason = describe_violation(int(codes[row]), layer, dram_factors[0], limits, int(row))
                results[row] = MapperResult.invalid(
                    Status.INFEASIBLE, f"no mapping fits {configs[row].label()}: even all-DRAM tiles fail ({reason})"
                )
        return [result for result in results if result is not None]
