"""CoSA's mixed-integer program for one layer on one design, solved with HiGHS.

The formulation follows ``mip_solver`` in ucb-bar/cosa 00d3134
(``src/cosa.py``), the scheduler behind the published VAESA data
(Huang et al., "CoSA: Scheduling by Constrained Optimization for Spatial
Accelerators", ISCA 2021). Every dimension is split into its prime factors
f_jn (``[1]`` for a unit dimension). Binary x(i, n, k) places factor n at
level i, spatially (k = 0) or temporally (k = 1). Levels 0-3 are Registers,
AccumulationBuffer, WeightBuffer and InputBuffer; then come F global-buffer
"slots" (F = number of factors), one factor each, whose order is the
global buffer's loop order (innermost slot first); the last level is DRAM.

Constraints, all in the log2 domain:

* each factor sits at exactly one (level, kind), and a slot takes at most one;
* spatial: sum of log2 f at level i <= log2 S_i, with S the fan-out
  ``[1, MACs/128, 1, 2, 64, 1]`` (all slots together share S_4);
* capacity: U(i, v) <= log2 M(i, v) for levels i < 5 and data types v,
  where U(i, v) sums log2(g f) over factors at levels <= i that are
  relevant to v (g is the stride for (inputs, P/Q), else 1), M(i, v) is
  the level's entries times its partition ratio (global buffer: inputs
  0.25, outputs 0.75; 0 becomes 1 before the log). The input buffer's input
  tile adds, per R/S factor not at DRAM, one bit if a P/Q factor sits at or
  below the input buffer (zz = 1), else log2 f.

Objective: minimise -0.1 Util + 10 Comp + Traf, with Util the summed U over
levels 0-3 (x1.01 at the weight buffer), Comp the summed log2 f of temporal
factors, and Traf = sum_v [0.99 D_v + 0.99 Sp + G_v + (1.01 if v = W else
1) Dr]; D_v weighs relevant factors at levels 0-3 by 0.8 + 0.04 i, Sp sums
spatial slot factors, G_v sums temporal slot factors times y(v, slot) (a
relevant temporal loop at or below that slot) and Dr sums DRAM factors.
The two bilinear families (x * y in G_v, x * zz in the R/S term) are
linearised with auxiliary variables.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = ["RELEVANCE", "PARTITION_RATIOS", "MipSolution", "prime_factors", "solve_cosa_mip"]

_logger = logging.getLogger(__name__)

#: Relevance of each dimension (R..N) to weights, inputs, outputs as CoSA
#: encodes it; R and S count 0 for inputs because the input buffer's halo
#: has its own term.
RELEVANCE = np.array(
    [
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 1],
        [0, 1, 1],
        [1, 1, 0],
        [1, 0, 1],
        [0, 1, 1],
    ],
    dtype=float,
)

#: Levels that keep each data type (rows W, I, O; columns Registers..DRAM).
_KEEPS = np.array(
    [
        [1, 0, 1, 0, 0, 1],
        [0, 0, 0, 1, 1, 1],
        [0, 1, 0, 0, 1, 1],
    ],
    dtype=bool,
)

#: Share of each level's entries given to weights, inputs and outputs in
#: the MIP's capacity constraints (Registers..GlobalBuffer).
PARTITION_RATIOS = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.25, 0.75],
    ]
)

_UTIL_WEIGHT = -0.1
_COMPUTE_WEIGHT = 10.0
_TRAFFIC_WEIGHT = 1.0
_INNER_LEVELS = 4
_TIE_BREAK = 1e-4
_P, _Q = 2, 3


def prime_factors(value: int) -> list[int]:
    """Return the prime factors of ``value`` in ascending order, ``[1]`` for 1."""
    if value == 1:
        return [1]
    factors = []
    divisor = 2
    while divisor * divisor <= value:
        while value % divisor == 0:
            factors.append(divisor)
            value //= divisor
        divisor += 1
    if value > 1:
        factors.append(value)
    return factors


@dataclass(frozen=True)
class MipSolution:
    """Placement of every prime factor chosen by the MIP.

    Attributes:
        dims: Dimension index (0..6 for R..N) of each factor, shape ``(F,)``.
        values: The prime factor values, shape ``(F,)``.
        levels: Level of each factor: 0..3 inner levels, 4 global buffer, 5
            DRAM; unit factors are placed at DRAM.
        spatial: Whether each factor is a spatial loop.
        gb_order: Rank of each dimension in the global buffer's loop nest
            (0 innermost), shape ``(7,)``.
        objective: Objective value of the solution.
        optimal: False when the time limit stopped the solver first.
        seconds: Wall time spent in the solver.
    """

    dims: np.ndarray
    values: np.ndarray
    levels: np.ndarray
    spatial: np.ndarray
    gb_order: np.ndarray
    objective: float
    optimal: bool
    seconds: float


class _Indexer:
    """Column positions of the MIP's variables.

    Equal prime factors of one dimension form one factor *type*; x(level,
    type, kind) counts the copies of the type placed there (0 or 1 in a
    slot), which removes the symmetry between interchangeable copies.
    """

    def __init__(self, n_types: int, n_slots: int, n_rs: int) -> None:
        self.n_types = n_types
        self.n_slots = n_slots
        self.n_levels = _INNER_LEVELS + n_slots + 1
        self.x_count = self.n_levels * n_types * 2
        self.y_start = self.x_count
        self.zz_start = self.y_start + 3 * n_slots
        self.u_start = self.zz_start + 2
        self.w_start = self.u_start + n_rs
        self.total = self.w_start + 3 * n_slots * n_types

    def x(self, level: int, factor: int, kind: int) -> int:
        return (level * self.n_types + factor) * 2 + kind

    def y(self, datatype: int, slot: int) -> int:
        return self.y_start + datatype * self.n_slots + slot

    def zz(self, dim: int) -> int:
        return self.zz_start + (dim - _P)

    def u(self, position: int) -> int:
        return self.u_start + position

    def w(self, datatype: int, slot: int, factor: int) -> int:
        return self.w_start + (datatype * self.n_slots + slot) * self.n_types + factor


class _Rows:
    """Accumulates sparse constraint rows ``lower <= a @ z <= upper``."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.data: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, terms: dict[int, float], lower: float, upper: float) -> None:
        row = len(self.lower)
        for column, coefficient in terms.items():
            if coefficient != 0.0:
                self.rows.append(row)
                self.cols.append(column)
                self.data.append(coefficient)
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, n_columns: int) -> LinearConstraint:
        matrix = sparse.csr_array(
            (self.data, (self.rows, self.cols)), shape=(len(self.lower), n_columns)
        )
        return LinearConstraint(matrix, np.array(self.lower), np.array(self.upper))


def _add(terms: dict[int, float], column: int, coefficient: float) -> None:
    terms[column] = terms.get(column, 0.0) + coefficient


def solve_cosa_mip(
    layer: Layer,
    entries: np.ndarray,
    fanout: np.ndarray,
    *,
    time_limit_s: float = 60.0,
    mip_gap: float = 0.0,
) -> MipSolution | None:
    """Build and solve CoSA's MIP for one layer and one design.

    Args:
        layer: The layer; CoSA reads its strides and ignores dilation.
        entries: Entries per instance of Registers..GlobalBuffer, shape ``(5,)``.
        fanout: Spatial fan-out of Registers..DRAM, shape ``(6,)``
            (``[1, MACs/128, 1, 2, 64, 1]`` in the Simba-like space).
        time_limit_s: Wall-clock limit of the solver in seconds.
        mip_gap: Relative gap at which the solver may stop. The default 0
            solves to proven optimality: with HiGHS's own default (1e-4),
            some solves stopped at a near-optimal placement that decodes to
            another mapping than CoSA's. On the fidelity benchmark's 342
            rows, 0 raised the rows with cycles within 1% of the data from
            319 to 321 (three misses became exact matches, one match became
            a miss).

    Returns:
        The solution, or None when the time limit passed before the solver
        found any feasible placement.

    Raises:
        RuntimeError: HiGHS reported the model infeasible or failed, which
            the formulation rules out (DRAM can absorb every factor).
    """
    dims_of_factor: list[int] = []
    values: list[int] = []
    copies: list[int] = []
    for dim_index, dim in enumerate(LAYER_DIMS):
        primes = prime_factors(layer.dims[dim])
        for value in sorted(set(primes)):
            dims_of_factor.append(dim_index)
            values.append(value)
            copies.append(primes.count(value))
    n_factors = len(values)
    n_slots = sum(copies)
    log_f = np.log2(np.array(values, dtype=float))
    rs_factors = [n for n in range(n_factors) if dims_of_factor[n] in (0, 1)]
    index = _Indexer(n_factors, n_slots, len(rs_factors))
    slots = range(_INNER_LEVELS, _INNER_LEVELS + n_slots)
    dram = _INNER_LEVELS + n_slots
    strides = (layer.stride_w, layer.stride_h)
    capacity_log = np.log2(np.maximum(np.asarray(entries, dtype=float)[:, None] * PARTITION_RATIOS, 1.0))
    fanout_log = np.log2(np.asarray(fanout, dtype=float))

    def capacity_log_factor(n: int, datatype: int) -> float:
        dim = dims_of_factor[n]
        scale = strides[dim - _P] if datatype == 1 and dim in (_P, _Q) else 1
        return math.log2(scale * values[n])

    cost = np.zeros(index.total)
    rows = _Rows()

    # Placement: one factor per slot, every copy of every type exactly once.
    for slot in slots:
        rows.add({index.x(slot, n, k): 1.0 for n in range(n_factors) for k in range(2)}, -np.inf, 1.0)
    for n in range(n_factors):
        terms = {index.x(level, n, k): 1.0 for level in range(index.n_levels) for k in range(2)}
        rows.add(terms, float(copies[n]), float(copies[n]))

    # y(v, slot): a temporal factor relevant to v sits at or below the slot.
    for v in range(3):
        for position, slot in enumerate(slots):
            terms = {index.y(v, position): 1.0}
            for n in range(n_factors):
                _add(terms, index.x(slot, n, 1), -RELEVANCE[dims_of_factor[n], v])
            if position == 0:
                rows.add(terms, 0.0, 0.0)
            else:
                rows.add({index.y(v, position): 1.0, index.y(v, position - 1): -1.0}, 0.0, np.inf)
                rows.add(terms, 0.0, np.inf)

    # zz(P), zz(Q): some factor of that dimension sits at or below the input buffer.
    for dim in (_P, _Q):
        inner = [(index.x(level, n, k), copies[n]) for n in range(n_factors) if dims_of_factor[n] == dim
                 for level in range(_INNER_LEVELS) for k in range(2)]
        for column, count in inner:
            rows.add({index.zz(dim): float(count), column: -1.0}, 0.0, np.inf)
        inner = [column for column, _ in inner]
        terms = {index.zz(dim): 1.0}
        for column in inner:
            _add(terms, column, -1.0)
        rows.add(terms, -np.inf, 0.0)

    # u_n = (copies_n - x_DRAM(n)) * zz(P or Q) for each R/S factor type n.
    for position, n in enumerate(rs_factors):
        at_dram = (index.x(dram, n, 0), index.x(dram, n, 1))
        zz_column = index.zz(dims_of_factor[n] + 2)
        count = float(copies[n])
        rows.add({index.u(position): 1.0, at_dram[0]: 1.0, at_dram[1]: 1.0}, -np.inf, count)
        rows.add({index.u(position): 1.0, zz_column: -count}, -np.inf, 0.0)
        rows.add({index.u(position): 1.0, zz_column: -count, at_dram[0]: 1.0, at_dram[1]: 1.0}, 0.0, np.inf)

    # Spatial fan-out per inner level, over all slots together, and at DRAM.
    rows.add({index.x(slot, n, 0): log_f[n] for slot in slots for n in range(n_factors)}, -np.inf, fanout_log[4])
    for level in range(_INNER_LEVELS):
        rows.add({index.x(level, n, 0): log_f[n] for n in range(n_factors)}, -np.inf, fanout_log[level])
    rows.add({index.x(dram, n, 0): log_f[n] for n in range(n_factors)}, -np.inf, fanout_log[5])

    # Capacity U(i, v) <= log2 M(i, v); the utilisation term of the objective
    # reuses U(i, v) for the inner levels.
    for v in range(3):
        for level in range(_INNER_LEVELS + 1):
            if not _KEEPS[v, level]:
                continue
            terms: dict[int, float] = {}
            constant = 0.0
            placed_levels = list(range(min(level, _INNER_LEVELS - 1) + 1))
            if level == _INNER_LEVELS:
                placed_levels += list(slots)
            for placed in placed_levels:
                for n in range(n_factors):
                    if RELEVANCE[dims_of_factor[n], v]:
                        coefficient = capacity_log_factor(n, v)
                        _add(terms, index.x(placed, n, 0), coefficient)
                        _add(terms, index.x(placed, n, 1), coefficient)
            if level == 3 and v == 1:
                for position, n in enumerate(rs_factors):
                    # (copies - x_DRAM) log2 f + u (1 - log2 f)
                    constant += copies[n] * log_f[n]
                    _add(terms, index.x(dram, n, 0), -log_f[n])
                    _add(terms, index.x(dram, n, 1), -log_f[n])
                    _add(terms, index.u(position), 1.0 - log_f[n])
            rows.add(terms, -np.inf, capacity_log[level, v] - constant)
            if level < _INNER_LEVELS:
                weight = _UTIL_WEIGHT * (1.01 if level == 2 else 1.0)
                for column, coefficient in terms.items():
                    cost[column] += weight * coefficient

    # Compute: every temporal factor.
    for level in range(index.n_levels):
        for n in range(n_factors):
            cost[index.x(level, n, 1)] += _COMPUTE_WEIGHT * log_f[n]

    # Traffic: D_v, Sp, G_v and Dr.
    for level in range(_INNER_LEVELS):
        for n in range(n_factors):
            relevant = RELEVANCE[dims_of_factor[n]].sum()
            weight = _TRAFFIC_WEIGHT * 0.99 * (0.8 + 0.04 * level) * log_f[n] * relevant
            cost[index.x(level, n, 0)] += weight
            cost[index.x(level, n, 1)] += weight
    for slot in slots:
        for n in range(n_factors):
            cost[index.x(slot, n, 0)] += _TRAFFIC_WEIGHT * 0.99 * 3 * log_f[n]
    for v in range(3):
        for position, slot in enumerate(slots):
            for n in range(n_factors):
                if log_f[n] == 0.0:
                    continue
                column = index.w(v, position, n)
                cost[column] += _TRAFFIC_WEIGHT * log_f[n]
                rows.add({column: 1.0, index.x(slot, n, 1): -1.0, index.y(v, position): -1.0}, -1.0, np.inf)
    for n in range(n_factors):
        cost[index.x(dram, n, 1)] += _TRAFFIC_WEIGHT * (1.01 + 1.0 + 1.0) * log_f[n]

    # NOTE: Gurobi and HiGHS pick different optima among ties. A tiny
    # preference for spatial loops on earlier dimensions (R..N order)
    # reproduces CoSA's choice on the worked examples (e.g. C before K
    # across the accumulation buffer's lanes for FC 4096->1000).
    for level in (*range(_INNER_LEVELS), *slots):
        for n in range(n_factors):
            cost[index.x(level, n, 0)] += _TIE_BREAK * dims_of_factor[n] * log_f[n]

    integrality = np.zeros(index.total)
    integrality[: index.u_start] = 1
    upper = np.ones(index.total)
    for level in (*range(_INNER_LEVELS), dram):
        for n in range(n_factors):
            upper[[index.x(level, n, 0), index.x(level, n, 1)]] = copies[n]
    for position, n in enumerate(rs_factors):
        upper[index.u(position)] = copies[n]
    bounds = Bounds(np.zeros(index.total), upper)

    start = time.perf_counter()
    with _solver_output_to_debug_log():
        result = milp(
            cost,
            integrality=integrality,
            bounds=bounds,
            constraints=rows.constraint(index.total),
            options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_gap), "disp": False},
        )
    seconds = time.perf_counter() - start
    _logger.debug("CoSA MIP %s: status %d (%s) in %.2f s", layer.label(), result.status, result.message, seconds)
    if result.x is None:
        if result.status == 1:
            return None
        raise RuntimeError(
            f"HiGHS failed on CoSA's MIP for layer {layer.label()}: status {result.status}, {result.message}"
        )
    return _decode(result.x, index, np.array(dims_of_factor), np.array(values), slots, dram,
                   float(result.fun), result.status == 0, seconds)


@contextlib.contextmanager
def _solver_output_to_debug_log() -> Iterator[None]:
    """Send what the solver writes to file descriptors 1 and 2 to the debug log.

    HiGHS prints some internal notes (for example
    ``HighsMipSolverData::transformNewIntegerFeasibleSolution``) from C++
    straight to the process's stdout, even with ``disp=False``. They mean
    nothing to a user, so they go to the debug log instead of breaking up
    the CLI's output and progress bar. Where the descriptors cannot be
    redirected, the output is left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    try:
        sink = tempfile.TemporaryFile()
        saved = [os.dup(1), os.dup(2)]
    except OSError:
        yield
        return

    try:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)
        sink.seek(0)
        text = sink.read().decode(errors="replace").strip()
        sink.close()
        if text:
            _logger.debug("HiGHS output: %s", text)


def _decode(
    solution: np.ndarray,
    index: _Indexer,
    dims_of_factor: np.ndarray,
    values: np.ndarray,
    slots: range,
    dram: int,
    objective: float,
    optimal: bool,
    seconds: float,
) -> MipSolution:
    """Turn x into per-factor levels and the global buffer's loop order.

    CoSA's rules: a factor in any slot goes to the global buffer, a unit
    factor goes to DRAM, and the global buffer orders dimensions by the
    first slot holding one of their temporal factors, followed by the
    dimensions that hold none in R, S, P, Q, C, K, N order.
    """
    # One entry per copy, dimension by dimension, primes ascending, as CoSA
    # lists them; copies of one type take the inner levels first.
    out_dims: list[int] = []
    out_values: list[int] = []
    out_levels: list[int] = []
    out_spatial: list[bool] = []
    for n in range(index.n_types):
        for level in range(index.n_levels):
            for kind in range(2):
                count = int(round(solution[index.x(level, n, kind)]))
                if count <= 0:
                    continue
                if level == dram or values[n] == 1 and level < _INNER_LEVELS:
                    placed, spatial = 5, kind == 0 and values[n] > 1
                elif level < _INNER_LEVELS:
                    placed, spatial = level, kind == 0
                else:
                    placed, spatial = 4, kind == 0
                out_dims += [int(dims_of_factor[n])] * count
                out_values += [int(values[n])] * count
                out_levels += [placed] * count
                out_spatial += [bool(spatial)] * count

    first_seen: list[int] = []
    for slot in slots:
        for n in range(index.n_types):
            if solution[index.x(slot, n, 1)] >= 0.5 and int(dims_of_factor[n]) not in first_seen:
                first_seen.append(int(dims_of_factor[n]))
    first_seen += [dim for dim in range(len(LAYER_DIMS)) if dim not in first_seen]
    gb_order = np.empty(len(LAYER_DIMS), dtype=np.int64)
    for rank, dim in enumerate(first_seen):
        gb_order[dim] = rank
    order = np.argsort(np.array(out_dims) * 10**6 + np.array(out_values), kind="stable")
    return MipSolution(
        np.array(out_dims)[order], np.array(out_values)[order], np.array(out_levels, dtype=np.int64)[order],
        np.array(out_spatial, dtype=bool)[order], gb_order, objective, optimal, seconds,
    )
