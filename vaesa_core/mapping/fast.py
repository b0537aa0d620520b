"""The fast mapper: a frozen candidate bank per layer plus a local search per design.

The mapping chosen for a (design, layer) pair is a function of the design's
cost-relevant values (MACs and buffer entries), the layer, the settings and
the seed only. It does not depend on earlier calls, on the other designs of
a batch or on the process. A call with D designs:

1. builds the layer's bank once (``vaesa_core.mapping.bank``): mappings
   found by a local search shared by fixed anchor designs, never changed
   afterwards;
2. scores the bank on every design at once (``(M, D)`` elementwise array
   operations) and keeps each design's ``keep`` best candidates;
3. refines each design on its own. Each of ``refine_rounds`` rounds expands
   up to ``refine_frontier`` of the design's best candidates not yet
   expanded into their one-step neighbours. When none is left, random
   multi-move walks from the design's best restart the search, at most
   ``refine_kicks`` times. The walks come from a random stream seeded by
   the seed, the layer and the design. Each design sees only the
   neighbourhoods of its own frontier, which are generated once per
   mapping and cached across calls;
4. re-scores each design's ``final_candidates`` best candidates with the
   exact input-walk counts and returns the best, scored by
   ``vaesa_core.costmodel.combine`` on that design alone.

Candidates of equal cost are ordered by a hash of the mapping, and every
score is computed with elementwise operations in a fixed order, so results
are bit-identical whatever the batch.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import combine, compute_counts, stack_architectures
from vaesa_core.evaluation.cost import Status
from vaesa_core.evaluation.objective import Objective
from vaesa_core.mapping.bank import (
    LEVEL_WEIGHTS,
    Bank,
    BankSettings,
    build_bank,
    merge_banks,
    objective_keys,
    rank_order,
)
from vaesa_core.mapping.legality import check_mappings, describe_violation, design_limits, level_usage
from vaesa_core.mapping.mapper import Mapper, MapperResult
from vaesa_core.mapping.mapping import Mapping
from vaesa_core.mapping.moves import all_at_dram, fit_to_entries, neighbours, random_walks, spatial_first_mappings
from vaesa_core.mapping.pool import CandidatePool, DesignArrays
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import Layer

__all__ = ["FastMapper"]

_logger = logging.getLogger(__name__)


class FastMapper(Mapper):
    """Search mappings from a frozen per-layer bank, refined for each design.

    Args:
        seed: Seed of the bank build and of each design's refinement
            (combined with the layer shape and the design values).
        objective: ``"edp"`` (default), ``"latency"`` (fewest cycles, then
            least energy) or ``"energy"`` (least energy, then fewest cycles).
        initial_samples: Random mappings that seed a bank.
        frontier_size: Candidates expanded per round of the bank search.
        max_rounds: Rounds of the bank search.
        final_candidates: Best candidates per design re-scored exactly.
        kicks: Random-walk restarts of the bank search once it stalls.
        fitted_targets: Anchor designs for which bank seeds are repaired to
            fit.
        fitted_seeds: Bank seeds per fitted anchor.
        max_pool_size: Candidates kept in each layer's bank. With the
            ``latency`` and ``energy`` objectives the bank also holds the
            EDP bank's candidates, so up to twice as many.
        exact_search: Use the exact input-walk counts during the searches
            too (slower); the final choice always uses them. Default
            (None): True for the ``latency`` objective, else False.
        anchor_samples: Random anchor designs of the bank search, on top of
            the 32 corners and the centre of the space.
        keep: Best candidates each design keeps during its refinement.
        refine_rounds: Rounds of each design's refinement. Default (None):
            0 for the ``latency`` objective, else 2. With no refinement and
            exact search, the latency found never grows with the MAC count
            (see below).
        refine_frontier: Candidates expanded per design and round.
        refine_kicks: Random-walk restarts of each design's refinement.
        refine_seeds: Spatial-first seeds repaired to fit each design.
        cache_rows: Scored mappings kept between calls, over all layers, so
            that they are not counted again. It bounds memory (about 1.3 kB
            per mapping, an estimate) and does not change results.
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
        fitted_targets: int = 16,
        fitted_seeds: int = 200,
        max_pool_size: int = 2000,
        exact_search: bool | None = None,
        anchor_samples: int = 96,
        keep: int = 16,
        refine_rounds: int | None = None,
        refine_frontier: int = 2,
        refine_kicks: int = 1,
        refine_seeds: int = 0,
        cache_rows: int = 100_000,
    ) -> None:
        for name, value, low in (
            # numpy seeds must be non-negative integers.
            ("seed", seed, 0),
            ("initial_samples", initial_samples, 0),
            ("frontier_size", frontier_size, 1),
            ("max_rounds", max_rounds, 0),
            ("final_candidates", final_candidates, 1),
            ("kicks", kicks, 0),
            ("fitted_targets", fitted_targets, 0),
            ("fitted_seeds", fitted_seeds, 0),
            ("max_pool_size", max_pool_size, 1),
            ("anchor_samples", anchor_samples, 0),
            ("keep", keep, 1),
            ("refine_rounds", 0 if refine_rounds is None else refine_rounds, 0),
            ("refine_frontier", refine_frontier, 1),
            ("refine_kicks", refine_kicks, 0),
            ("refine_seeds", refine_seeds, 0),
            ("cache_rows", cache_rows, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"FastMapper {name} must be an integer >= {low}, but got {value!r}.")
        try:
            # Spelling is not case-sensitive: objective=LATENCY works too.
            self.objective = Objective(objective.lower() if isinstance(objective, str) else objective)
        except ValueError:
            raise ValueError(
                f"The fast mapper's objective must be one of {', '.join(item.value for item in Objective)}, but got {objective!r}."
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
        # Latency: cycles depend on the mapping alone and more MACs only
        # admit more bank candidates, so the bank's exact choice is
        # monotone in MACs. Each design's refinement walks its own path,
        # which can find a shorter latency for fewer MACs, so it is off by
        # default for this objective. On 600 pairs of 15 data-set layers
        # the bank's choice matched the refined one on 99.5 % of pairs
        # (worst 1.33x the cycles, on one layer).
        latency = self.objective is Objective.LATENCY
        self.exact_search = latency if exact_search is None else bool(exact_search)
        self.anchor_samples = int(anchor_samples)
        self.keep = int(keep)
        if refine_rounds is None:
            refine_rounds = 0 if latency else 2
        self.refine_rounds = int(refine_rounds)
        self.refine_frontier = int(refine_frontier)
        self.refine_kicks = int(refine_kicks)
        self.refine_seeds = int(refine_seeds)
        self.cache_rows = int(cache_rows)
        self._banks: dict[Layer, Bank] = {}
        self._cache_pools: dict[Layer, tuple[CandidatePool, CandidatePool]] = {}
        self._neighbour_rows: dict[Layer, dict[int, np.ndarray]] = {}

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
            "anchor_samples": self.anchor_samples,
            "keep": self.keep,
            "refine_rounds": self.refine_rounds,
            "refine_frontier": self.refine_frontier,
            "refine_kicks": self.refine_kicks,
            "refine_seeds": self.refine_seeds,
        }

    # -- public entry --------------------------------------------------------

    def map_layer(self, layer: Layer, configs: Sequence[HardwareConfig]) -> list[MapperResult]:
        if not configs:
            return []
        limits = design_limits(configs)
        architectures = [simba_architecture(config) for config in configs]
        designs = DesignArrays.from_batch(stack_architectures(architectures))
        bank = self.bank(layer)
        _check_compatible(bank.pool, designs)

        work, exact = self._caches(layer)
        searches = self._starts(bank.pool, work, designs)
        rngs = [self._design_rng(layer, config) for config in configs]
        if self.refine_seeds:
            self._add_design_seeds(work, designs, searches, rngs)
        self._refine(work, designs, searches, rngs, bank)
        chosen_factors, chosen_orders, feasible = self._choose(work, exact, designs, searches)
        return self._package(layer, configs, architectures, limits, chosen_factors, chosen_orders, feasible)

    def bank(self, layer: Layer) -> Bank:
        """Return the frozen candidate bank of ``layer``, building it on first use."""
        bank = self._banks.get(layer)
        if bank is None:
            settings = BankSettings(
                seed=self.seed, objective=self.objective.value, initial_samples=self.initial_samples,
                frontier_size=self.frontier_size, max_rounds=self.max_rounds, kicks=self.kicks,
                fitted_targets=self.fitted_targets, fitted_seeds=self.fitted_seeds,
                anchor_samples=self.anchor_samples, bank_size=self.max_pool_size,
            )
            bank = build_bank(layer, settings, exact=self.exact_search)
            if self.objective is not Objective.EDP:
                # The EDP search also reaches low-energy and short-latency
                # mappings that the objective's own bank search can miss. On
                # AlexNet's 8 layers x 16 designs, the energy objective with
                # its own bank alone ended above the EDP objective's energy
                # on 34 of 128 pairs. With both banks it did so on 1 pair.
                # The merged bank is the same for every design, so latency
                # stays monotone in MACs.
                edp_bank = build_bank(layer, dataclasses.replace(settings, objective=Objective.EDP.value),
                                      exact=self.exact_search)
                bank = merge_banks(bank, edp_bank)
            self._banks[layer] = bank
        return bank

    def _caches(self, layer: Layer) -> tuple[CandidatePool, CandidatePool]:
        """Return the layer's pools of scored mappings, approximate and exact.

        The pools only cache counts, which depend on the mapping alone, so
        what they contain changes speed, never results. When all layers
        together hold more than ``cache_rows`` mappings, the other layers'
        pools are dropped, and this layer's too if they hold more than half
        the limit.
        """
        total = sum(work.size + exact.size for work, exact in self._cache_pools.values())
        if total > self.cache_rows:
            kept = self._cache_pools.get(layer)
            self._cache_pools = {} if kept is None or kept[0].size + kept[1].size > self.cache_rows // 2 else {layer: kept}
            self._neighbour_rows = {key: value for key, value in self._neighbour_rows.items() if key in self._cache_pools}
        if layer not in self._cache_pools:
            bank = self._banks[layer].pool
            self._neighbour_rows[layer] = {}
            self._cache_pools[layer] = tuple(
                CandidatePool(layer, bank.keeps, bank.block_sizes, bank.read_bandwidth, bank.write_bandwidth,
                              exact=exact)
                for exact in (self.exact_search, True)
            )
        return self._cache_pools[layer]

    # -- per-design search -----------------------------------------------------

    def _design_rng(self, layer: Layer, config: HardwareConfig) -> np.random.Generator:
        # Only cost-relevant values seed the stream: designs that differ in
        # PEs alone get the same mappings.
        values = (config.macs, config.accum_buffer, config.weight_buffer, config.input_buffer, config.global_buffer)
        return np.random.default_rng([self.seed, *layer.shape_key(), *values])

    def _starts(self, bank: CandidatePool, work: CandidatePool, designs: DesignArrays) -> list[_DesignSearch]:
        """Start each design's search from its ``keep`` best bank candidates."""
        cycles, energy = bank.score(designs)
        primary, secondary = objective_keys(self.objective.value, cycles[:, None], energy)
        tops = []
        for column in range(primary.shape[1]):
            order = rank_order(primary[:, column], secondary[:, column], bank.tiebreaks)[: self.keep]
            tops.append(order[np.isfinite(primary[order, column])])
        union = np.unique(np.concatenate(tops))
        rows = work.locate(bank.factors[union], bank.orders[union])
        lookup = dict(zip(union.tolist(), rows.tolist()))
        searches = [_DesignSearch(column) for column in range(len(tops))]
        starts = [np.array([lookup[row] for row in top.tolist()], dtype=np.int64) for top in tops]
        _merge(work, designs, searches, starts, self.objective.value, self.keep)
        return searches

    def _add_design_seeds(self, work: CandidatePool, designs: DesignArrays, searches: list[_DesignSearch],
                          rngs: list[np.random.Generator]) -> None:
        """Add spatial-first seeds repaired to fit each design, from the design's own stream."""
        n_levels = designs.keeps.shape[0]
        for search, rng in zip(searches, rngs):
            column = search.column
            factors, orders = spatial_first_mappings(
                work.layer, self.refine_seeds, rng, n_levels=n_levels,
                fanout_choices=[designs.fanouts[column]], level_weights=LEVEL_WEIGHTS[0],
            )
            factors, orders = fit_to_entries(work.layer, factors, orders, designs.entries[column], rng)
            rows = work.locate(factors, orders)
            _merge(work, designs, [search], [rows[rows >= 0]], self.objective.value, self.keep)

    def _refine(self, work: CandidatePool, designs: DesignArrays, searches: list[_DesignSearch],
                rngs: list[np.random.Generator], bank: Bank) -> None:
        active = list(searches)
        for round_index in range(self.refine_rounds):
            frontiers: dict[int, list[int]] = {}
            kicked: dict[int, np.ndarray] = {}
            still_active = []
            for search in active:
                frontier = search.frontier(self.refine_frontier)
                if frontier:
                    frontiers[search.column] = frontier
                elif search.kicks < self.refine_kicks and search.rows.size:
                    search.kicks += 1
                    base = search.rows[:1]
                    factors, orders = random_walks(work.factors[base], work.orders[base], rngs[search.column],
                                                   spatial_levels=bank.spatial_levels, walks=4, steps=3)
                    kicked[search.column] = work.locate(factors, orders)
                else:
                    continue
                still_active.append(search)
            active = still_active
            if not active:
                break

            by_base = self._neighbours(work, bank, sorted({row for rows in frontiers.values() for row in rows}))
            additions = []
            for search in active:
                if search.column in frontiers:
                    search.expanded.update(frontiers[search.column])
                    new_rows = np.concatenate([by_base[base] for base in frontiers[search.column]])
                else:
                    new_rows = kicked[search.column]
                    new_rows = new_rows[new_rows >= 0]
                additions.append(new_rows)
            _merge(work, designs, active, additions, self.objective.value, self.keep)
            _logger.debug("fast mapper %s refinement round %d: %d designs active, %d candidates",
                          work.layer.label(), round_index, len(active), work.size)

    def _neighbours(self, work: CandidatePool, bank: Bank, bases: list[int]) -> dict[int, np.ndarray]:
        """Return the work-pool rows of the one-step neighbours of each base row.

        Neighbours that fit no anchor's fan-outs and entries are dropped: a
        fixed filter, so the rows of a base are the same for every batch and
        can be reused by later calls.
        """
        memo = self._neighbour_rows[work.layer]
        missing = [base for base in bases if base not in memo]
        if missing:
            factors, orders, origin = neighbours(work.factors[missing], work.orders[missing],
                                                 spatial_levels=bank.spatial_levels, with_origin=True)
            spatial = factors[:, :, 0, :].prod(axis=2)
            fits = (spatial <= bank.max_fanouts).all(axis=1)
            fits &= (level_usage(work.layer, factors) <= bank.max_entries).all(axis=1)
            rows = np.full(origin.size, -1, dtype=np.int64)
            rows[fits] = work.locate(factors[fits], orders[fits])
            for position, base in enumerate(missing):
                found = rows[origin == position]
                memo[base] = np.unique(found[found >= 0])
        return {base: memo[base] for base in bases}

    def _choose(self, work: CandidatePool, exact: CandidatePool, designs: DesignArrays,
                searches: list[_DesignSearch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Re-score each design's best candidates exactly and return the best of each."""
        n_designs = len(searches)
        finals = [search.rows[: self.final_candidates] for search in searches]
        union = np.unique(np.concatenate(finals)) if n_designs else np.zeros(0, dtype=np.int64)
        exact_rows = exact.locate(work.factors[union], work.orders[union]) if union.size else union
        lookup = dict(zip(union.tolist(), exact_rows.tolist()))

        n_levels = work.keeps.shape[0]
        chosen_factors = np.ones((n_designs, n_levels, 2, 7), dtype=np.int64)
        chosen_orders = np.zeros((n_designs, n_levels, 7), dtype=np.int64)
        feasible = np.zeros(n_designs, dtype=bool)
        for search, final in zip(searches, finals):
            rows = np.array([lookup[row] for row in final.tolist()], dtype=np.int64)
            if rows.size == 0:
                continue
            columns = np.full(rows.size, search.column, dtype=np.int64)
            cycles, energy = exact.score_pairs(designs, rows, columns)
            primary, secondary = objective_keys(self.objective.value, cycles, energy)
            best = rank_order(primary, secondary, exact.tiebreaks[rows])[0]
            if np.isfinite(primary[best]):
                feasible[search.column] = True
                chosen_factors[search.column] = exact.factors[rows[best]]
                chosen_orders[search.column] = exact.orders[rows[best]]
        return chosen_factors, chosen_orders, feasible

    # -- results ---------------------------------------------------------------

    def _package(
        self,
        layer: Layer,
        configs: Sequence[HardwareConfig],
        architectures: list,
        limits,
        factors: np.ndarray,
        orders: np.ndarray,
        feasible: np.ndarray,
    ) -> list[MapperResult]:
        results: list[MapperResult | None] = [None] * len(configs)
        rows = np.flatnonzero(feasible)
        if rows.size:
            codes = check_mappings(layer, factors[rows], limits)[np.arange(rows.size), rows]
            # Mapping k is scored on design k only. Counts are integers and
            # ``combine`` reduces each pair on its own, so a design's floats
            # are the same in any batch.
            chosen = stack_architectures([architectures[row] for row in rows])
            counts = compute_counts(layer, factors[rows], orders[rows], chosen.keeps, exact=True)
            cost = combine(counts, chosen, (rows.size,))
            for position, row in enumerate(rows):
                if codes[position] or not cost.valid[position]:
                    reason = describe_violation(int(codes[position]), layer, factors[row], limits, int(row))
                    results[row] = MapperResult.invalid(
                        Status.FAILED, f"fast mapper chose an illegal mapping: {reason or cost.reason(position)}"
                    )
                    continue
                mapping = Mapping(factors[row], orders[row])
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


class _DesignSearch:
    """One design's candidates during a call: the ``keep`` best rows of the work pool, best first."""

    def __init__(self, column: int) -> None:
        self.column = column
        self.rows = np.zeros(0, dtype=np.int64)
        self.expanded: set[int] = set()
        self.kicks = 0

    def frontier(self, size: int) -> list[int]:
        return [row for row in self.rows.tolist() if row not in self.expanded][:size]


def _merge(work: CandidatePool, designs: DesignArrays, searches: Sequence[_DesignSearch],
           additions: Sequence[np.ndarray], objective: str, keep: int) -> None:
    """Add rows to each search and keep its ``keep`` best legal rows, best first.

    All searches are scored in one ``score_pairs`` call. Each pair's score
    is elementwise, and the sort keys put the design first. So every search
    ends with the rows it would get if merged alone: its distinct rows in
    row order, ranked by ``rank_order``'s keys with ties kept in row order.
    The searches must be in ascending column order.
    """
    if not searches:
        return
    if any(first.column >= second.column for first, second in zip(searches, searches[1:])):
        raise ValueError("_merge needs searches in ascending column order.")
    stride = np.int64(work.size + 1)
    keys = np.concatenate([
        np.int64(search.column) * stride + np.concatenate([search.rows, new_rows])
        for search, new_rows in zip(searches, additions)
    ])
    keys = np.unique(keys)
    columns, rows = np.divmod(keys, stride)
    cycles, energy = work.score_pairs(designs, rows, columns)
    primary, secondary = objective_keys(objective, cycles, energy)
    order = np.lexsort((work.tiebreaks[rows], secondary, primary, columns))
    bounds = np.searchsorted(columns[order], [search.column for search in searches] + [np.iinfo(np.int64).max])
    for position, search in enumerate(searches):
        # Columns of ``searches`` ascend, so each one's rows are one contiguous run of ``order``.
        segment = order[bounds[position]:bounds[position + 1]]
        segment = segment[np.isfinite(primary[segment])][:keep]
        search.rows = rows[segment]


def _check_compatible(bank: CandidatePool, designs: DesignArrays) -> None:
    if not (np.array_equal(bank.keeps, designs.keeps) and np.array_equal(bank.block_sizes, designs.block_sizes)
            and np.array_equal(bank.read_bandwidth, designs.read_bandwidth)
            and np.array_equal(bank.write_bandwidth, designs.write_bandwidth)):
        raise ValueError(
            "FastMapper needs designs with the keep pattern, block sizes and bandwidths of the Simba-like "
            "hierarchy its banks are built for; map other hierarchies with another mapper."
        )
