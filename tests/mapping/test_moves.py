"""One-step neighbourhoods of the fast mapper: which moves, in which order."""

from __future__ import annotations

import numpy as np

from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.mapping.moves import neighbours
from vaesa_core.workloads import Layer


def _one_loop_mapping(bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Three levels, a K loop of ``bound`` temporal at the outermost level, all else 1."""
    factors = np.ones((1, 3, 2, 7), dtype=np.int64)
    factors[0, 2, TEMPORAL, 5] = bound
    orders = np.tile(np.arange(7, dtype=np.int64), (1, 3, 1))
    return factors, orders


def _describe_move(row: np.ndarray, *, bound: int) -> tuple[int, int, int]:
    """Return (prime moved, target level, target kind) of a neighbour of ``_one_loop_mapping``."""
    prime = bound // int(row[2, TEMPORAL, 5])
    for level in range(2):
        for kind in (TEMPORAL, SPATIAL):
            if row[level, kind, 5] > 1:
                return prime, level, kind
    raise AssertionError("the neighbour moved nothing")


def test_prime_moves_follow_documented_order():
    factors, orders = _one_loop_mapping(6)
    moved, _, origin = neighbours(factors, orders, spatial_levels=(1,), with_origin=True)

    # Primes come in ascending order. Each prime goes to the temporal slots of
    # levels 0 and 1, outermost then innermost because each is a new loop there,
    # and then to the spatial slot of level 1.
    expected = []
    for prime in (2, 3):
        for level, kind in ((0, TEMPORAL), (0, TEMPORAL), (1, TEMPORAL), (1, TEMPORAL), (1, SPATIAL)):
            expected.append((prime, level, kind))
    found = [_describe_move(row, bound=6) for row in moved]

    assert found == expected
    assert np.all(origin == 0)


def test_new_loop_goes_outermost_then_innermost():
    factors, orders = _one_loop_mapping(2)
    _, moved_orders = neighbours(factors, orders, spatial_levels=())

    assert moved_orders[0, 0, 5] == 6
    assert moved_orders[1, 0, 5] == 0


def test_neighbours_keep_every_layer_dimension():
    layer = Layer(3, 3, 14, 14, 12, 10)
    factors = np.ones((1, 4, 2, 7), dtype=np.int64)
    factors[0, 3, TEMPORAL] = [3, 3, 14, 14, 12, 10, 1]
    orders = np.tile(np.arange(7, dtype=np.int64), (1, 4, 1))
    moved, _ = neighbours(factors, orders, spatial_levels=(1, 2))

    assert moved.shape[0] > 0
    dims = np.array([layer.dims[name] for name in ("R", "S", "P", "Q", "C", "K", "N")])
    np.testing.assert_array_equal(moved.prod(axis=(1, 2)), np.broadcast_to(dims, (moved.shape[0], 7)))
