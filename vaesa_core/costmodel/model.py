"""Vectorised Timeloop-exact scoring of many mappings of one layer on many designs.

``evaluate_mappings`` takes a batch of mappings (``factors`` of shape
``(*mapping_batch, L, 2, 7)``) and one architecture or a batch of them
(``(*design_batch,)``), and broadcasts the two batch shapes with numpy's
rules. For ``D`` designs and ``M`` candidate mappings, pass ``factors[:,
None]`` (shape ``(M, 1, L, 2, 7)``) with ``D`` architectures to score every
pair (result shape ``(M, D)``). Access counts depend only on the mapping, so
they are computed once per mapping and reused for every design.

Costs follow Timeloop 11920be with its built-in pat energy model
(``src/model/buffer.cpp``, ``src/model/topology.cpp``):

* energy = sum over levels and kept datatypes of
  ``ceil((reads + updates + fills) / block) * E_vec * min(replication,
  instances / cluster)`` (per-instance vector accesses, charged once per
  utilised cluster) plus ``MACs * E_mac``;
* cycles = ``max(C, ceil(C / slowdown))`` over levels with a bandwidth,
  ``slowdown = min(1, bw_read / (sum_d reads_d / C), bw_write / (sum_d
  (updates_d + fills_d) / C))`` and ``C`` the product of all temporal
  factors.

Mappings are rejected, in this order, when their factors do not multiply to
the layer dimensions, a level's spatial factors exceed its fan-out, a level
would need more instances than it has, or a level's kept tiles exceed its
entries.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaesa_core.arch.architecture import DATATYPES, Architecture
from vaesa_core.costmodel.counts import MappingCounts, compute_counts
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["Violation", "ArchBatch", "BatchCost", "CostDetail", "evaluate_mappings", "stack_architectures"]

_logger = logging.getLogger(__name__)


class Violation(enum.IntEnum):
    """Reason code of an illegal mapping, ``NONE`` for a legal one.

    The level of the first failing check is reported alongside (``-1`` for
    ``NONE`` and ``FACTOR_PRODUCT``).
    """

    NONE = 0
    FACTOR_PRODUCT = 1
    SPATIAL_FANOUT = 2
    INSTANCES = 3
    CAPACITY = 4


@dataclass(frozen=True)
class ArchBatch:
    """Design-dependent numbers of a batch of architectures with one level structure.

    All designs share level names, block sizes, word widths and keep sets;
    they may differ in entries, instances, cluster sizes, energies and
    bandwidths. Arrays have shape ``(*batch, L)`` or ``(*batch,)``.

    Attributes:
        level_names: Level names, innermost first.
        keeps: bool ``(L, 3)``, the datatypes each level keeps.
        block_sizes: int64 ``(L,)``, words per vector access.
        entries: float64, words per instance (``inf`` when unbounded).
        instances: int64, instances per level.
        fanouts: int64, children per instance (MACs below level 0).
        clusters: int64, ``instances / cluster_size``.
        vector_energy_pj: float64, energy of one vector access in pJ.
        read_bandwidth: float64, words per cycle per instance (``inf`` if
            unlimited).
        write_bandwidth: float64, likewise.
        mac_instances: int64 ``(*batch,)``.
        mac_energy_pj: float64 ``(*batch,)``, pJ per MAC.
    """

    level_names: tuple[str, ...]
    keeps: np.ndarray
    block_sizes: np.ndarray
    entries: np.ndarray
    instances: np.ndarray
    fanouts: np.ndarray
    clusters: np.ndarray
    vector_energy_pj: np.ndarray
    read_bandwidth: np.ndarray
    write_bandwidth: np.ndarray
    mac_instances: np.ndarray
    mac_energy_pj: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """Batch shape of the designs (``()`` for one design)."""
        return self.mac_instances.shape


def stack_architectures(architectures: Architecture | Sequence[Architecture]) -> ArchBatch:
    """Stack one architecture (batch shape ``()``) or a sequence (shape ``(D,)``).

    Raises:
        ValueError: The architectures differ in level names, block sizes,
            word widths or keep sets.
    """
    single = isinstance(architectures, Architecture)
    archs = [architectures] if single else list(architectures)
    if not archs:
        raise ValueError("stack_architectures needs at least one architecture.")
    first = archs[0]
    for arch in archs[1:]:
        same = (
            arch.level_names == first.level_names
            and all(
                (a.block_size, a.word_bits, a.keeps) == (b.block_size, b.word_bits, b.keeps)
                for a, b in zip(arch.levels, first.levels)
            )
        )
        if not same:
            raise ValueError(
                f"Architectures {first.name!r} and {arch.name!r} differ in level names, block sizes, word widths "
                "or keep sets; score them in separate calls."
            )

    def column(getter, dtype) -> np.ndarray:
        return np.array([[getter(level) for level in arch.levels] for arch in archs], dtype=dtype)

    instances = column(lambda level: level.instances, np.int64)
    mac_instances = np.array([arch.mac_instances for arch in archs], dtype=np.int64)
    below = np.concatenate([mac_instances[:, None], instances[:, :-1]], axis=1)
    batch = ArchBatch(
        level_names=first.level_names,
        keeps=first.keep_matrix(),
        block_sizes=np.array([level.block_size for level in first.levels], dtype=np.int64),
        entries=column(lambda level: np.inf if level.entries is None else level.entries, np.float64),
        instances=instances,
        fanouts=below // instances,
        clusters=column(lambda level: level.clusters, np.int64),
        vector_energy_pj=column(lambda level: level.vector_energy_pj, np.float64),
        read_bandwidth=column(
            lambda level: np.inf if level.read_bandwidth_words_per_cycle is None else level.read_bandwidth_words_per_cycle,
            np.float64,
        ),
        write_bandwidth=column(
            lambda level: np.inf if level.write_bandwidth_words_per_cycle is None else level.write_bandwidth_words_per_cycle,
            np.float64,
        ),
        mac_instances=mac_instances,
        mac_energy_pj=np.array([arch.mac_energy_pj for arch in archs], dtype=np.float64),
    )
    if single:
        batch = ArchBatch(
            level_names=batch.level_names,
            keeps=batch.keeps,
            block_sizes=batch.block_sizes,
            **{
                name: getattr(batch, name)[0]
                for name in (
                    "entries", "instances", "fanouts", "clusters", "vector_energy_pj", "read_bandwidth",
                    "write_bandwidth", "mac_instances", "mac_energy_pj",
                )
            },
        )
    return batch


@dataclass(frozen=True)
class CostDetail:
    """Per-level, per-datatype numbers of a batch (shape ``(*batch, L, 3)`` unless noted).

    Attributes:
        reads, fills, updates: Per-instance counts in words.
        utilized_capacity: Words of each datatype's tile at each level.
        utilized_instances: Instances in use per level (shape ``(*batch, L)``).
        utilized_clusters: ``min(utilized_instances, instances / cluster)``,
            shape ``(*batch, L)``.
        energy_pj: Energy per level and datatype in pJ, all instances.
        mac_energy_pj: Energy of the MACs in pJ, shape ``(*batch,)``.
        compute_cycles: Product of all temporal factors, shape ``(*batch,)``.
    """

    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    utilized_capacity: np.ndarray
    utilized_instances: np.ndarray
    utilized_clusters: np.ndarray
    energy_pj: np.ndarray
    mac_energy_pj: np.ndarray
    compute_cycles: np.ndarray


@dataclass(frozen=True)
class BatchCost:
    """Costs of a batch of (mapping, design) pairs, shape ``batch`` each.

    Attributes:
        valid: bool, the mapping is legal on the design.
        violation: int8 ``Violation`` code of the first failed check.
        violation_level: int8, level index of that check (``-1`` if none).
        cycles: float64 latency in cycles (``inf`` when not valid).
        energy_pj: float64 energy in pJ (``inf`` when not valid).
        macs: The layer's multiply-accumulate count.
        level_names: Level names, innermost first.
        detail: Per-level numbers when requested, else None. They are
            filled for invalid pairs too, for diagnosis.
    """

    valid: np.ndarray
    violation: np.ndarray
    violation_level: np.ndarray
    cycles: np.ndarray
    energy_pj: np.ndarray
    macs: int
    level_names: tuple[str, ...]
    detail: CostDetail | None = None

    @property
    def edp(self) -> np.ndarray:
        """Energy-delay product in cycles x pJ (``inf`` when not valid)."""
        return self.cycles * self.energy_pj

    def reason(self, index: int | tuple[int, ...] = ()) -> str:
        """Describe why the pair at ``index`` is invalid (empty when it is valid)."""
        code = Violation(int(self.violation[index]))
        if code is Violation.NONE:
            return ""
        level = int(self.violation_level[index])
        where = f" at {self.level_names[level]}" if level >= 0 else ""
        text = {
            Violation.FACTOR_PRODUCT: "factors do not multiply back to the layer dimensions",
            Violation.SPATIAL_FANOUT: "spatial factors exceed the fan-out",
            Violation.INSTANCES: "mapping needs more instances than exist",
            Violation.CAPACITY: "tiles exceed the buffer capacity",
        }[code]
        return f"{text}{where}"


def evaluate_mappings(
    architecture: Architecture | Sequence[Architecture] | ArchBatch,
    layer: Layer,
    factors: np.ndarray,
    orders: np.ndarray,
    *,
    exact: bool = True,
    detail: bool = False,
) -> BatchCost:
    """Score a batch of mappings of ``layer`` on one or many designs.

    Args:
        architecture: One architecture, a sequence (design batch ``(D,)``)
            or a prepared ``ArchBatch``.
        layer: The layer every mapping maps.
        factors: int ``(*mapping_batch, L, 2, 7)``: loop bounds per level,
            spatial (index 0) then temporal (index 1), dimensions in
            ``LAYER_DIMS`` order.
        orders: int ``(*mapping_batch, L, 7)``: temporal rank of each
            dimension per level, 0 = innermost.
        exact: Emulate Timeloop's loop walk for input loads (bit-exact); the
            closed form (False) is slightly faster and can overestimate input
            traffic of some loop orders.
        detail: Also return per-level, per-datatype numbers.

    Returns:
        Costs with shape ``np.broadcast_shapes(mapping_batch, design_batch)``.

    Raises:
        ValueError: Shapes do not fit the architecture or each other.
    """
    batch = architecture if isinstance(architecture, ArchBatch) else stack_architectures(architecture)
    factors = np.asarray(factors, dtype=np.int64)
    orders = np.asarray(orders, dtype=np.int64)
    n_levels = len(batch.level_names)
    if factors.shape[-3:] != (n_levels, 2, len(LAYER_DIMS)):
        raise ValueError(
            f"factors must have shape (..., {n_levels}, 2, 7) for levels {batch.level_names}, "
            f"but got {factors.shape}."
        )
    if orders.shape[-2:] != (n_levels, len(LAYER_DIMS)) or orders.shape[:-2] != factors.shape[:-3]:
        raise ValueError(
            f"orders must have shape {factors.shape[:-3] + (n_levels, 7)} to match factors, but got {orders.shape}."
        )
    if (factors < 1).any():
        raise ValueError("factors must all be positive integers; use 1 for a dimension a level does not split.")

    mapping_shape = factors.shape[:-3]
    try:
        np.broadcast_shapes(mapping_shape, batch.shape)
    except ValueError:
        raise ValueError(
            f"The mapping batch shape {mapping_shape} does not broadcast against the design batch shape "
            f"{batch.shape}; pass factors[:, None] and orders[:, None] to score every mapping on every design."
        ) from None
    counts = compute_counts(
        layer,
        factors.reshape(-1, n_levels, 2, 7),
        orders.reshape(-1, n_levels, 7),
        batch.keeps,
        exact=exact,
        max_fanouts=batch.fanouts.reshape(-1, n_levels).max(axis=0),
    )
    return combine(counts, batch, mapping_shape, detail=detail)


def combine(counts: MappingCounts, batch: ArchBatch, mapping_shape: tuple[int, ...], *, detail: bool = False) -> BatchCost:
    """Turn design-independent counts into costs on each design of ``batch``.

    Args:
        counts: Counts of ``prod(mapping_shape)`` mappings.
        batch: Designs; their batch shape broadcasts against
            ``mapping_shape``.
        mapping_shape: Batch shape of the mappings behind ``counts``.
        detail: Also return per-level numbers.
    """
    n_levels = len(batch.level_names)

    def per_mapping(array: np.ndarray) -> np.ndarray:
        return array.reshape(mapping_shape + array.shape[1:])

    spatial_products = per_mapping(counts.spatial_products)  # (*m, L)
    replication = per_mapping(counts.replication)
    tile_entries = per_mapping(counts.tile_entries)  # (*m, L, 3)
    reads = per_mapping(counts.reads)
    fills = per_mapping(counts.fills)
    updates = per_mapping(counts.updates)
    compute_cycles = per_mapping(counts.compute_cycles)
    factor_ok = per_mapping(counts.factor_ok)
    shape = np.broadcast_shapes(mapping_shape, batch.shape)

    # Validity, first failure wins in the documented order.
    fanout_bad = spatial_products > batch.fanouts  # (*shape, L)
    instances_bad = replication > batch.instances
    capacity_bad = tile_entries.sum(axis=-1) > batch.entries
    violation = np.zeros(shape, dtype=np.int8)
    violation_level = np.full(shape, -1, dtype=np.int8)
    for code, bad in (
        (Violation.CAPACITY, capacity_bad),
        (Violation.INSTANCES, instances_bad),
        (Violation.SPATIAL_FANOUT, fanout_bad),
    ):
        bad = np.broadcast_to(bad, shape + (n_levels,))
        hit = bad.any(axis=-1)
        violation = np.where(hit, np.int8(code), violation)
        violation_level = np.where(hit, np.argmax(bad, axis=-1).astype(np.int8), violation_level)
    factors_bad = np.broadcast_to(~factor_ok, shape)
    violation = np.where(factors_bad, np.int8(Violation.FACTOR_PRODUCT), violation)
    violation_level = np.where(factors_bad, np.int8(-1), violation_level)
    valid = violation == Violation.NONE

    # Energy: per-instance vector accesses, charged once per utilised cluster.
    accesses = reads + updates + fills  # (*m, L, 3)
    block = batch.block_sizes[:, None]
    vectors = (accesses + block - 1) // block
    clusters_used = np.minimum(replication, batch.clusters)  # (*shape, L)
    level_energy = vectors * (batch.vector_energy_pj * clusters_used)[..., None]  # (*shape, L, 3)
    mac_energy = counts.macs * batch.mac_energy_pj
    energy = level_energy.sum(axis=(-2, -1)) + mac_energy

    # Cycles: bandwidth throttling per level, worst level wins.
    cycles_float = compute_cycles.astype(np.float64)
    read_demand = np.zeros(np.broadcast_shapes(mapping_shape + (n_levels,)), dtype=np.float64)
    write_demand = np.zeros_like(read_demand)
    for datatype in range(len(DATATYPES)):
        read_demand = read_demand + reads[..., datatype] / cycles_float[..., None]
        write_demand = write_demand + (updates[..., datatype] + fills[..., datatype]) / cycles_float[..., None]
    slowdown = np.ones(np.broadcast_shapes(shape + (n_levels,)), dtype=np.float64)
    slowdown = np.where(batch.read_bandwidth < read_demand, batch.read_bandwidth / read_demand, slowdown)
    slowdown = np.minimum(
        slowdown, np.where(batch.write_bandwidth < write_demand, batch.write_bandwidth / write_demand, 1.0)
    )
    level_cycles = np.ceil(cycles_float[..., None] / slowdown)
    cycles = np.maximum(level_cycles.max(axis=-1), cycles_float)

    cycles = np.where(valid, cycles, np.inf)
    energy_out = np.where(valid, energy, np.inf)

    cost_detail = None
    if detail:
        cost_detail = CostDetail(
            reads=np.broadcast_to(reads, shape + reads.shape[-2:]),
            fills=np.broadcast_to(fills, shape + fills.shape[-2:]),
            updates=np.broadcast_to(updates, shape + updates.shape[-2:]),
            utilized_capacity=np.broadcast_to(tile_entries, shape + tile_entries.shape[-2:]),
            utilized_instances=np.broadcast_to(replication, shape + (n_levels,)),
            utilized_clusters=np.broadcast_to(clusters_used, shape + (n_levels,)),
            energy_pj=np.broadcast_to(level_energy, shape + (n_levels, 3)),
            mac_energy_pj=np.broadcast_to(mac_energy, shape),
            compute_cycles=np.broadcast_to(compute_cycles, shape),
        )
    _logger.debug("Scored %d mapping-design pairs of a layer with %d MACs", int(np.prod(shape)), counts.macs)
    return BatchCost(
        valid=valid,
        violation=violation,
        violation_level=violation_level,
        cycles=cycles,
        energy_pj=energy_out,
        macs=counts.macs,
        level_names=batch.level_names,
        detail=cost_detail,
    )
