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

import functools
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
            "tiebreaks": np.zeros(0, dtype=np.uint64),
        }
        self.macs = layer.macs
        #: Row of every stored mapping, keyed by its digest.
        self._rows: dict[bytes, int] = {}
        #: Indices of candidates whose neighbourhood has been generated.
        self.expanded: set[int] = set()
        #: Whether ``freeze`` has made the pool read-only.
        self.frozen = False

    def freeze(self) -> None:
        """Make the pool read-only and drop its lookup table, which is most of its memory."""
        self.frozen = True
        self._rows = {}
        self.expanded = set()
        for name, storage in self._columns.items():
            self._columns[name] = storage[: self._size].copy()
            self._columns[name].flags.writeable = False

    def _column(self, name: str) -> np.ndarray:
        return self._columns[name][: self._size]

    factors = property(lambda self: self._column("factors"), doc="int64 ``(M, L, 2, 7)`` loop bounds.")
    orders = property(lambda self: self._column("orders"), doc="int64 ``(M, L, 7)`` canonical temporal ranks.")
    vectors = property(lambda self: self._column("vectors"), doc="float64 ``(M, L)`` vector accesses per instance.")
    replication = property(lambda self: self._column("replication"), doc="int64 ``(M, L)`` instances in use.")
    spatial_products = property(lambda self: self._column("spatial_products"), doc="int64 ``(M, L)`` spatial fan-out used.")
    usage = property(lambda self: self._column("usage"), doc="int64 ``(M, L)`` entries of the kept tiles.")
    cycles = property(lambda self: self._column("cycles"), doc="float64 ``(M,)`` latency in cycles.")
    tiebreaks = property(
        lambda self: self._column("tiebreaks"),
        doc="uint64 ``(M,)`` hash of each mapping; it orders candidates of equal cost the same way in every process.",
    )

    @property
    def size(self) -> int:
        return self._size

    def add(self, factors: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Add new, distinct, factor-correct mappings; return the indices of those added."""
        start = self._size
        self.locate(factors, orders)
        return np.arange(start, self._size)

    def locate(self, factors: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Return the row of each mapping, adding the ones not stored yet.

        Args:
            factors: int64 ``(K, L, 2, 7)``.
            orders: int64 ``(K, L, 7)``; stored in canonical form.

        Returns:
            int64 ``(K,)`` rows, -1 for mappings whose factors do not
            multiply back to the layer (they are not stored).
        """
        if self.frozen:
            raise RuntimeError(f"The candidate pool of {self.layer.label()} is frozen; build a new pool to add mappings.")
        if factors.shape[0] == 0:
            return np.full(0, -1, dtype=np.int64)
        factors = np.asarray(factors, dtype=np.int64)
        orders = canonical_orders(factors, np.asarray(orders, dtype=np.int64))
        digests = _digests(factors, orders)
        keys = digests.view(np.dtype((np.void, 16))).ravel().tolist()
        get = self._rows.get
        rows = np.array([get(key, -1) for key in keys], dtype=np.int64)
        missing = np.flatnonzero(rows < 0).tolist()
        # First position of each new mapping, in order of appearance.
        fresh: dict[bytes, int] = {}
        for position in missing:
            fresh.setdefault(keys[position], position)
        if fresh:
            positions = np.fromiter(fresh.values(), dtype=np.int64, count=len(fresh))
            counts = compute_counts(self.layer, factors[positions], orders[positions], self.keeps, exact=self.exact)
            ok = counts.factor_ok
            start = self._size
            tiebreaks = digests[positions[ok], 0]
            self._append(factors[positions[ok]], orders[positions[ok]], _select(counts, ok), tiebreaks)
            for offset, position in enumerate(positions[ok].tolist()):
                self._rows[keys[position]] = start + offset
            rows[missing] = [get(keys[position], -1) for position in missing]
        return rows

    def keep_only(self, rows: np.ndarray) -> None:
        """Drop every candidate except ``rows`` (bounds memory in long runs).

        Dropped mappings are forgotten, so they can be added again later;
        the expanded marks are cleared.
        """
        if self.frozen:
            raise RuntimeError(f"The candidate pool of {self.layer.label()} is frozen; build a new pool to drop mappings.")
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        for name, storage in self._columns.items():
            self._columns[name] = storage[: self._size][rows].copy()
        self._size = int(rows.size)
        keys = _digests(self.factors, self.orders).view(np.dtype((np.void, 16))).ravel().tolist()
        self._rows = {key: row for row, key in enumerate(keys)}
        self.expanded = set()

    def _append(self, factors: np.ndarray, orders: np.ndarray, counts: MappingCounts, tiebreaks: np.ndarray) -> None:
        accesses = counts.reads + counts.fills + counts.updates  # (M, L, 3)
        block = self.block_sizes[None, :, None]
        vectors = ((accesses + block - 1) // block).sum(axis=2).astype(np.float64)
        compute = counts.compute_cycles.astype(np.float64)
        # Per-datatype quotients summed in datatype order, as ``combine`` does,
        # so that the ceiling below gives the cost model's cycles bit for bit.
        read_demand = np.zeros(counts.reads.shape[:2], dtype=np.float64)
        write_demand = np.zeros_like(read_demand)
        for datatype in range(counts.reads.shape[2]):
            read_demand = read_demand + counts.reads[:, :, datatype] / compute[:, None]
            write_demand = write_demand + (counts.updates[:, :, datatype] + counts.fills[:, :, datatype]) / compute[:, None]
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
            "tiebreaks": tiebreaks,
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

        # Limits shared by every design are checked once per row. The
        # (M, D) work below runs in place in two preallocated buffers, because
        # fresh temporaries of this size cost more in page faults than in
        # arithmetic.
        shape = (rows.size, designs.entries.shape[0])
        valid = np.ones(shape, dtype=bool)
        hit = np.empty(shape, dtype=bool)
        row_ok = np.ones(rows.size, dtype=bool)
        for values, limits in ((usage, designs.entries), (spatial, designs.fanouts), (replication, designs.instances)):
            for level in range(values.shape[1]):
                column = limits[:, level]
                if np.all(column == column[0]):
                    row_ok &= values[:, level] <= column[0]
                else:
                    np.less_equal(values[:, level, None], column[None, :], out=hit)
                    valid &= hit
        valid &= row_ok[:, None]

        # NOTE: the sum runs level by level with elementwise operations, so
        # a pair's energy is bit-identical whatever the other rows and
        # designs of the call (a matrix product could change the order).
        # The first level's term is the running sum itself (0 + x == x).
        energy = np.empty(shape, dtype=np.float64)
        term = np.empty(shape, dtype=np.float64)
        for level in range(vectors.shape[1]):
            target = energy if level == 0 else term
            clusters = designs.clusters[:, level]
            if np.all(clusters == clusters[0]):
                # Same products as the general branch, computed once per row.
                charged = vectors[:, level] * np.minimum(replication[:, level], clusters[0])
                np.multiply(charged[:, None], designs.vector_energy_pj[None, :, level], out=target)
            else:
                used = np.minimum(replication[:, level, None], clusters[None, :])
                np.multiply(vectors[:, level, None], used, out=target)
                np.multiply(target, designs.vector_energy_pj[None, :, level], out=target)
            if level:
                np.add(energy, term, out=energy)
        np.add(energy, self.macs * designs.mac_energy_pj[None, :], out=energy)
        np.copyto(energy, np.inf, where=~valid)
        return self.cycles[rows], energy

    def score_pairs(self, designs: DesignArrays, rows: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return cycles and energies in pJ of candidate ``rows[k]`` on design ``columns[k]``.

        Uses the operations of ``score`` in the same order, so a pair gets
        the same bits from both. Energies of illegal pairs are ``inf``.

        Args:
            designs: D designs.
            rows: int64 ``(P,)`` candidate rows.
            columns: int64 ``(P,)`` design indices.

        Returns:
            float64 ``(P,)`` cycles and float64 ``(P,)`` energies in pJ.
        """
        usage = self.usage[rows]
        spatial = self.spatial_products[rows]
        replication = self.replication[rows]
        vectors = self.vectors[rows]
        valid = (usage <= designs.entries[columns]).all(axis=1)
        valid &= (spatial <= designs.fanouts[columns]).all(axis=1)
        valid &= (replication <= designs.instances[columns]).all(axis=1)

        energy = np.zeros(rows.size, dtype=np.float64)
        for level in range(vectors.shape[1]):
            used = np.minimum(replication[:, level], designs.clusters[columns, level])
            energy = energy + vectors[:, level] * used * designs.vector_energy_pj[columns, level]
        energy = energy + self.macs * designs.mac_energy_pj[columns]
        return self.cycles[rows], np.where(valid, energy, np.inf)


@functools.lru_cache(maxsize=None)
def _digest_weights(width: int) -> np.ndarray:
    weights = np.random.default_rng([0x6D6170, width]).integers(0, 2**63, size=(width, 2), dtype=np.uint64)
    return weights * np.uint64(2) + np.uint64(1)


def _digests(factors: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Return a 128-bit digest of each mapping (canonical orders), its key in a pool.

    Each half is a dot product of the mapping's integers with fixed random
    odd 64-bit weights, modulo 2**64: exact integer arithmetic, so the
    same in every process and for any batch. Two distinct mappings share
    a digest with probability about 2**-120.

    Returns:
        uint64 ``(M, 2)``.
    """
    # The int64 arrays are read as uint64 in place (the same bits), and the
    # dot product is split between factors and orders: sums modulo 2**64
    # do not depend on the grouping, and no (M, width) copy is made.
    flat_factors = np.ascontiguousarray(factors, dtype=np.int64).reshape(factors.shape[0], -1).view(np.uint64)
    flat_orders = np.ascontiguousarray(orders, dtype=np.int64).reshape(orders.shape[0], -1).view(np.uint64)
    weights = _digest_weights(flat_factors.shape[1] + flat_orders.shape[1])
    digests = flat_factors @ weights[: flat_factors.shape[1]]
    digests += flat_orders @ weights[flat_factors.shape[1]:]
    # Mix the bits so that the low bits also depend on every input.
    digests ^= digests >> np.uint64(29)
    digests *= np.uint64(0xBF58476D1CE4E5B9)
    digests ^= digests >> np.uint64(32)
    return np.ascontiguousarray(digests)


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
