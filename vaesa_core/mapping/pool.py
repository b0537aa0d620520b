"""A per-layer pool of scored candidate mappings shared by many designs.

Access counts depend only on the mapping, and in the Simba-like hierarchy a
design changes a mapping's cost only through buffer entries (legality and
energy per access), the MAC count (fan-out, register instances and
clusters) and energies per access. Cycles depend on the mapping alone
because only DRAM has a bandwidth limit and every design shares it. The
pool therefore stores design-independent numbers per mapping and scores
``M`` candidates on ``D`` designs with a few ``(M, D)`` array operations,
using the same formulas as ``vaesa_core.costmodel.combine``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaesa_core.costmodel import ArchBatch, MappingCounts, compute_counts
from vaesa_core.workloads.layer import Layer

__all__ = ["DesignArrays", "CandidatePool", "canonical_orders"]


@dataclass(frozen=True)
class DesignArrays:
    """Design-dependent numbers of D designs (from an ``ArchBatch``).

    Attributes:
        entries: float64 ``(D, L)`` entries per instance (``inf`` for DRAM).
        fanouts: int64 ``(D, L)`` spatial fan-out per level.
        instances: int64 ``(D, L)`` instances per level.
        clusters: int64 ``(D, L)`` clusters per level.
        vector_energy_pj: float64 ``(D, L)`` pJ per vector access.
        mac_energy_pj: float64 ``(D,)`` pJ per MAC.
        read_bandwidth: float64 ``(L,)`` words per cycle, shared by all designs.
        write_bandwidth: float64 ``(L,)`` likewise.
    """

    entries: np.ndarray
    fanouts: np.ndarray
    instances: np.ndarray
    clusters: np.ndarray
    vector_energy_pj: np.ndarray
    mac_energy_pj: np.ndarray
    read_bandwidth: np.ndarray
    write_bandwidth: np.ndarray
    keeps: np.ndarray
    block_sizes: np.ndarray

    @classmethod
    def from_batch(cls, batch: ArchBatch) -> DesignArrays:
        """Build the arrays from an ``ArchBatch`` of shape ``(D,)``.

        Raises:
            ValueError: The designs differ in bandwidth, which would make
                cycles design-dependent.
        """
        if not (np.all(batch.read_bandwidth == batch.read_bandwidth[:1])
                and np.all(batch.write_bandwidth == batch.write_bandwidth[:1])):
            raise ValueError(
                "CandidatePool needs designs that share every level's bandwidth; score designs with "
                "different bandwidths in separate calls."
            )
        return cls(
            entries=batch.entries,
            fanouts=batch.fanouts,
            instances=batch.instances,
            clusters=batch.clusters,
            vector_energy_pj=batch.vector_energy_pj,
            mac_energy_pj=batch.mac_energy_pj,
            read_bandwidth=batch.read_bandwidth[0],
            write_bandwidth=batch.write_bandwidth[0],
            keeps=batch.keeps,
            block_sizes=batch.block_sizes,
        )


def canonical_orders(factors: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Return orders with unit loops ranked outermost in dimension order.

    Two mappings that differ only in the ranks of unit loops cost the same;
    the canonical form lets the pool recognise them as one.

    Args:
        factors: int64 ``(M, L, 2, 7)``.
        orders: int64 ``(M, L, 7)``.
    """
    unit = factors[:, :, 1, :] == 1
    keys = np.where(unit, 100 + np.arange(7), orders)
    ranked = np.argsort(keys, axis=2, kind="stable")
    canonical = np.empty_like(orders)
    np.put_along_axis(canonical, ranked, np.broadcast_to(np.arange(7), ranked.shape), axis=2)
    return canonical


class CandidatePool:
    """Candidate mappings of one layer with their design-independent numbers.

    Args:
        layer: The layer.
        keeps: bool ``(L, 3)`` keep matrix of the hierarchy.
        block_sizes: int64 ``(L,)`` words per vector access.
        read_bandwidth: float64 ``(L,)`` words per cycle.
        write_bandwidth: float64 ``(L,)`` words per cycle.
        exact: Passed to ``compute_counts``.
    """

    def __init__(self, layer: Layer, keeps: np.ndarray, block_sizes: np.ndarray,
                 read_bandwidth: np.ndarray, write_bandwidth: np.ndarray, *, exact: bool = False) -> None:
        self.layer = layer
        self.keeps = keeps
        self.block_sizes = block_sizes
        self.read_bandwidth = read_bandwidth
        self.write_bandwidth = write_bandwidth
        self.exact = exact
        n_levels = keeps.shape[0]
        self._size = 0
        self._columns = {
            "factors": np.zeros((0, n_levels, 2, 7), dtype=np.int64),
            "orders": np.zeros((0, n_levels, 7), dtype=np.int64),
            "vectors": np.zeros((0, n_levels), dtype=np.float64),
            "replication": np.zeros((0, n_levels), dtype=np.int64),
            "spatial_products": np.zeros((0, n_levels), dtype=np.int64),
            "usage": np.zeros((0, n_levels), dtype=np.int64),
            "cycles": np.zeros(0, dtype=np.float64),
        }
        self.macs = layer.macs
        self._seen: set[bytes] = set()
        #: Indices of candidates whose neighbourhood has been generated.
        self.expanded: set[int] = set()

    def _column(self, name: str) -> np.ndarray:
        return self._columns[name][: self._size]

    factors = property(lambda self: self._column("factors"), doc="int64 ``(M, L, 2, 7)`` loop bounds.")
    orders = property(lambda self: self._column("orders"), doc="int64 ``(M, L, 7)`` canonical temporal ranks.")
    vectors = property(lambda self: self._column("vectors"), doc="float64 ``(M, L)`` vector accesses per instance.")
    replication = property(lambda self: self._column("replication"), doc="int64 ``(M, L)`` instances in use.")
    spatial_products = property(lambda self: self._column("spatial_products"), doc="int64 ``(M, L)`` spatial fan-out used.")
    usage = property(lambda self: self._column("usage"), doc="int64 ``(M, L)`` entries of the kept tiles.")
    cycles = property(lambda self: self._column("cycles"), doc="float64 ``(M,)`` latency in cycles.")

    @property
    def size(self) -> int:
        return self._size

    def add(self, factors: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Add new, distinct, factor-correct mappings; return the indices of those added."""
        if factors.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        orders = canonical_orders(factors, orders)
        keep = []
        for row in range(factors.shape[0]):
            key = factors[row].tobytes() + orders[row].tobytes()
            if key not in self._seen:
                self._seen.add(key)
                keep.append(row)
        if not keep:
            return np.zeros(0, dtype=np.int64)
        factors = factors[keep]
        orders = orders[keep]
        counts = compute_counts(self.layer, factors, orders, self.keeps, exact=self.exact)
        ok = counts.factor_ok
        factors, orders = factors[ok], orders[ok]
        start = self.size
        self._append(factors, orders, _select(counts, ok))
        return np.arange(start, self.size)

    def keep_only(self, rows: np.ndarray) -> None:
        """Drop every candidate except ``rows`` (bounds memory in long runs).

        Dropped mappings are forgotten, so they can be added again later;
        the expanded marks are cleared.
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        for name, storage in self._columns.items():
            self._columns[name] = storage[: self._size][rows].copy()
        self._size = int(rows.size)
        self._seen = {
            factors.tobytes() + orders.tobytes() for factors, orders in zip(self.factors, self.orders)
        }
        self.expanded = set()

    def _append(self, factors: np.ndarray, orders: np.ndarray, counts: MappingCounts) -> None:
        accesses = counts.reads + counts.fills + counts.updates  # (M, L, 3)
        block = self.block_sizes[None, :, None]
        vectors = ((accesses + block - 1) // block).sum(axis=2).astype(np.float64)
        compute = counts.compute_cycles.astype(np.float64)
        read_demand = counts.reads.sum(axis=2) / compute[:, None]
        write_demand = (counts.updates + counts.fills).sum(axis=2) / compute[:, None]
        slowdown = np.ones_like(read_demand)
        slowdown = np.where(self.read_bandwidth < read_demand, self.read_bandwidth / read_demand, slowdown)
        slowdown = np.minimum(
            slowdown, np.where(self.write_bandwidth < write_demand, self.write_bandwidth / write_demand, 1.0)
        )
        cycles = np.maximum(np.ceil(compute[:, None] / slowdown).max(axis=1), compute)

        added = {
            "factors": factors,
            "orders": orders,
            "vectors": vectors,
            "replication": counts.replication,
            "spatial_products": counts.spatial_products,
            "usage": counts.tile_entries.sum(axis=2),
            "cycles": cycles,
        }
        needed = self._size + factors.shape[0]
        for name, values in added.items():
            storage = self._columns[name]
            if storage.shape[0] < needed:
                # Grow geometrically so that many small additions stay linear in time.
                grown = np.zeros((max(needed, 2 * storage.shape[0], 1024),) + storage.shape[1:], dtype=storage.dtype)
                grown[: self._size] = storage[: self._size]
                self._columns[name] = storage = grown
            storage[self._size : needed] = values
        self._size = needed

    def score(self, designs: DesignArrays, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return cycles ``(M,)`` and energies in pJ ``(M, D)`` of candidates ``rows``.

        Energies of pairs that are not legal are ``inf``.
        """
        rows = np.arange(self.size) if rows is None else rows
        usage = self.usage[rows]
        spatial = self.spatial_products[rows]
        replication = self.replication[rows]
        vectors = self.vectors[rows]

        # Limits shared by every design are checked once per row.
        valid = np.ones((rows.size, designs.entries.shape[0]), dtype=bool)
        row_ok = np.ones(rows.size, dtype=bool)
        for values, limits in ((usage, designs.entries), (spatial, designs.fanouts), (replication, designs.instances)):
            for level in range(values.shape[1]):
                column = limits[:, level]
                if np.all(column == column[0]):
                    row_ok &= values[:, level] <= column[0]
                else:
                    valid &= values[:, level, None] <= column[None, :]
        valid &= row_ok[:, None]

        energy = np.zeros(valid.shape, dtype=np.float64)
        shared = np.all(designs.clusters == designs.clusters[:1], axis=0)
        if shared.any():
            used = np.minimum(replication[:, shared], designs.clusters[0, shared])
            energy += (vectors[:, shared] * used) @ designs.vector_energy_pj[:, shared].T
        for level in np.flatnonzero(~shared):
            used = np.minimum(replication[:, level, None], designs.clusters[None, :, level])
            energy += vectors[:, level, None] * used * designs.vector_energy_pj[None, :, level]
        energy += self.macs * designs.mac_energy_pj[None, :]
        return self.cycles[rows], np.where(valid, energy, np.inf)


def _select(counts: MappingCounts, rows: np.ndarray) -> MappingCounts:
    return MappingCounts(
        factor_ok=counts.factor_ok[rows],
        spatial_products=counts.spatial_products[rows],
        replication=counts.replication[rows],
        tile_entries=counts.tile_entries[rows],
        reads=counts.reads[rows],
        fills=counts.fills[rows],
        updates=counts.updates[rows],
        compute_cycles=counts.compute_cycles[rows],
        macs=counts.macs,
    )
