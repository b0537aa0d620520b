"""Invariants of the cost model over random designs, layers and legal mappings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import (
    Violation,
    compute_counts,
    evaluate_mappings,
    random_mappings,
    score_mapping,
    stack_architectures,
)
from vaesa_core.costmodel.counts import INPUTS, OUTPUTS, WEIGHTS
from vaesa_core.mapping import Mapping
from vaesa_core.space import simba_space
from vaesa_core.workloads import Layer, training_layers

# Odd shapes: prime and non-dividing sizes, strides 2 and 4, dilation, 1x1, FC, batch > 1.
ODD_LAYERS = [
    Layer(3, 3, 13, 13, 7, 161),
    Layer(5, 5, 700, 161, 1, 64, stride_w=2, stride_h=2),
    Layer(11, 11, 55, 55, 3, 64, stride_w=4, stride_h=4),
    Layer(1, 1, 7, 7, 1000, 13),
    Layer(1, 1, 1, 1, 2208, 1000),
    Layer(3, 3, 14, 14, 16, 32, N=2),
    Layer(3, 3, 7, 7, 8, 8, dilation_w=2, dilation_h=2),
    Layer(1, 1, 56, 56, 64, 64, N=4, stride_w=2, stride_h=2),
]
ALL_LAYERS = training_layers() + ODD_LAYERS

# Outer levels get more factors so that more random mappings fit the buffers.
LEVEL_PROBABILITIES = [0.05, 0.1, 0.1, 0.1, 0.25, 0.4]
SAMPLES_PER_LAYER = 600


def _legal_batch(layer, design, rng, count=SAMPLES_PER_LAYER):
    architecture = simba_architecture(design)
    factors, orders = random_mappings(
        layer, count, rng, architecture=architecture, level_probabilities=LEVEL_PROBABILITIES
    )
    result = evaluate_mappings(architecture, layer, factors, orders, detail=True)
    return architecture, factors, orders, result


@pytest.fixture(scope="module")
def batches():
    rng = np.random.default_rng(2022)
    designs = simba_space().sample(len(ALL_LAYERS), rng)
    return [(layer, design, *_legal_batch(layer, design, rng)) for layer, design in zip(ALL_LAYERS, designs)]


def test_random_batches_contain_legal_mappings(batches):
    legal_per_layer = [int(result.valid.sum()) for *_, result in batches]
    assert sum(legal_per_layer) > 10 * len(batches)


def test_mac_count_equals_layer_macs(batches):
    for layer, _design, _arch, factors, _orders, result in batches:
        valid = result.valid
        temporal = factors[valid, :, 1, :].prod(axis=(1, 2))
        spatial = factors[valid, :, 0, :].prod(axis=(1, 2))
        assert (temporal * spatial == layer.macs).all(), layer.key()
        assert (result.detail.compute_cycles[valid] == temporal).all(), layer.key()
        assert result.macs == layer.R * layer.S * layer.P * layer.Q * layer.C * layer.K * layer.N


def test_counts_finite_and_non_negative(batches):
    for layer, _design, _arch, _factors, _orders, result in batches:
        detail = result.detail
        for name in ("reads", "fills", "updates", "utilized_capacity"):
            assert (getattr(detail, name) >= 0).all(), (layer.key(), name)
        valid = result.valid
        assert np.isfinite(result.cycles[valid]).all()
        assert np.isfinite(result.energy_pj[valid]).all()
        assert (result.energy_pj[valid] > 0).all()
        assert (result.cycles[valid] >= detail.compute_cycles[valid]).all()
        assert np.isinf(result.cycles[~valid]).all()


def test_mac_energy_independent_of_mac_units(batches):
    layer, _design, _arch, factors, orders, result = batches[0]
    small = simba_architecture(simba_space().config_from_array([16, 256, 64, 16384, 1024, 65536]))
    large = simba_architecture(simba_space().config_from_array([16, 4096, 64, 16384, 1024, 65536]))
    on_small = evaluate_mappings(small, layer, factors, orders, detail=True)
    on_large = evaluate_mappings(large, layer, factors, orders, detail=True)
    assert np.all(on_small.detail.mac_energy_pj == layer.macs * 0.25)
    assert np.all(on_large.detail.mac_energy_pj == layer.macs * 0.25)


def test_vectorised_equals_scalar_path(batches):
    for layer, _design, architecture, factors, orders, result in batches:
        for index in np.flatnonzero(result.valid)[:3]:
            cost = score_mapping(architecture, layer, Mapping(factors[index], orders[index]))
            assert cost.cycles == result.cycles[index], layer.key()
            assert cost.energy_pj == result.energy_pj[index], layer.key()
            assert sum(cost.energy_by_level().values()) + cost.mac_energy_pj == pytest.approx(cost.energy_pj)


def test_design_broadcast_equals_separate_calls():
    rng = np.random.default_rng(7)
    layer = Layer(3, 3, 28, 28, 128, 128)
    designs = simba_space().sample(5, rng)
    architectures = [simba_architecture(design) for design in designs]
    factors, orders = random_mappings(
        layer, 300, rng, architecture=architectures[0], level_probabilities=LEVEL_PROBABILITIES
    )

    grid = evaluate_mappings(stack_architectures(architectures), layer, factors[:, None], orders[:, None])

    assert grid.cycles.shape == (300, 5)
    for column, architecture in enumerate(architectures):
        single = evaluate_mappings(architecture, layer, factors, orders)
        np.testing.assert_array_equal(grid.valid[:, column], single.valid)
        np.testing.assert_array_equal(grid.violation[:, column], single.violation)
        np.testing.assert_array_equal(grid.cycles[:, column], single.cycles)
        np.testing.assert_array_equal(grid.energy_pj[:, column], single.energy_pj)


def test_closed_form_differs_only_for_inputs(batches):
    for layer, _design, architecture, factors, orders, _result in batches:
        keeps = architecture.keep_matrix()
        exact = compute_counts(layer, factors, orders, keeps, exact=True)
        closed = compute_counts(layer, factors, orders, keeps, exact=False)
        for datatype in (WEIGHTS, OUTPUTS):
            np.testing.assert_array_equal(exact.reads[..., datatype], closed.reads[..., datatype])
            np.testing.assert_array_equal(exact.fills[..., datatype], closed.fills[..., datatype])
            np.testing.assert_array_equal(exact.updates[..., datatype], closed.updates[..., datatype])


# -- literal emulation of Timeloop's input walk -----------------------------


def _subtract(new, old, old_gradient):
    """Return (delta size, new gradient) of ``new - old`` as point-set-aahr.hpp computes it."""

    def size(box):
        total = 1
        for low, high in box:
            total *= high - low
        return total

    gradient = (0, 0)
    delta = size(new)
    if new == old:
        delta = 0
    elif all(old_high > low and old_low < high for (low, high), (old_low, old_high) in zip(new, old)):
        differing = [axis for axis in range(len(new)) if new[axis] != old[axis]]
        if len(differing) == 1:
            axis = differing[0]
            (low, high), (old_low, old_high) = new[axis], old[axis]
            updated = list(new)
            if old_low <= low:
                assert old_high <= high  # equal sizes: never contained strictly
                gradient = (axis, old_high - low)
                updated[axis] = (old_high, high)
            else:
                gradient = (axis, old_low - high)
                updated[axis] = (low, old_low)
            delta = size(updated)
    if old_gradient[1] == 0 or (gradient[1] == 0 and delta == 0):
        return delta, gradient
    if old_gradient[0] == gradient[0] and np.sign(old_gradient[1]) == np.sign(gradient[1]):
        return delta, gradient
    return size(new), (0, 0)


def _reference_input_loads(layer, factors, orders, child):
    """Walk all 2^m corners of the temporal loops above ``child`` and sum the input deltas."""
    dims = "RSPQCKN"
    spatial, temporal = factors[:, 0, :], factors[:, 1, :]
    extents = (spatial * temporal)[: child + 1].prod(axis=0)
    loops = []  # (dim, bound, step), innermost first
    for level in range(child + 1, factors.shape[0]):
        below = (spatial * temporal)[:level].prod(axis=0)
        for dim in np.argsort(orders[level], kind="stable"):
            if temporal[level, dim] > 1:
                loops.append((dims[dim], int(temporal[level, dim]), int(below[dim] * spatial[level, dim])))

    def box(offsets):
        w0 = offsets["P"] * layer.stride_w + offsets["R"] * layer.dilation_w
        h0 = offsets["Q"] * layer.stride_h + offsets["S"] * layer.dilation_h
        width = (extents[2] - 1) * layer.stride_w + (extents[0] - 1) * layer.dilation_w + 1
        height = (extents[3] - 1) * layer.stride_h + (extents[1] - 1) * layer.dilation_h + 1
        return (
            (offsets["N"], offsets["N"] + extents[6]),
            (offsets["C"], offsets["C"] + extents[4]),
            (w0, w0 + width),
            (h0, h0 + height),
        )

    total = 0
    previous, gradient = None, (0, 0)
    for corner in itertools.product((0, 1), repeat=len(loops)):
        bits = corner[::-1]  # bits[i] belongs to loops[i]; the outermost loop is most significant
        offsets = dict.fromkeys(dims, 0)
        weight = 1
        for bit, (dim, bound, step) in zip(bits, loops):
            if bit:
                offsets[dim] += step
                weight *= bound - 1
        current = box(offsets)
        if previous is None:
            delta = 1
            for low, high in current:
                delta *= high - low
        else:
            delta, gradient = _subtract(current, previous, gradient)
        total += weight * delta
        previous = current
    return total


@pytest.mark.parametrize(
    "layer",
    [
        Layer(3, 3, 13, 13, 8, 4),
        Layer(5, 5, 12, 12, 4, 2, stride_w=2, stride_h=2),
        Layer(3, 3, 8, 8, 2, 2, N=2, dilation_w=2),
        Layer(7, 1, 9, 4, 2, 3, stride_w=3),
        Layer(1, 1, 12, 10, 4, 4, stride_w=2, stride_h=3),
        Layer(1, 1, 9, 9, 2, 3, N=2),
    ],
    ids=lambda layer: layer.key(),
)
def test_input_walk_matches_literal_emulation(layer):
    rng = np.random.default_rng(11)
    architecture = simba_architecture()
    factors, orders = random_mappings(layer, 400, rng, architecture=architecture, spatial_probability=0.2)
    counts = compute_counts(layer, factors, orders, architecture.keep_matrix(), exact=True)
    input_buffer = architecture.level_index("InputBuffer")
    global_buffer = architecture.level_index("GlobalBuffer")
    checked = 0
    for index in range(len(factors)):
        loops_above = (factors[index, input_buffer + 1 :, 1, :] > 1).sum()
        if loops_above > 11:
            continue
        expected_gb = _reference_input_loads(layer, factors[index], orders[index], global_buffer)
        assert counts.fills[index, global_buffer, INPUTS] == expected_gb, index
        spatial_gb = factors[index, global_buffer, 0]
        irregular = (spatial_gb[2] > 1 and spatial_gb[0] > 1) or (spatial_gb[3] > 1 and spatial_gb[1] > 1)
        if not irregular:
            expected_ib = _reference_input_loads(layer, factors[index], orders[index], input_buffer)
            assert counts.fills[index, input_buffer, INPUTS] == expected_ib, index
        checked += 1
    assert checked > 200


def _base_mapping(layer):
    factors = np.ones((6, 2, 7), dtype=np.int64)
    factors[5, 1] = [layer.R, layer.S, layer.P, layer.Q, layer.C, layer.K, layer.N]
    return factors, np.tile(np.arange(7), (6, 1))


def test_violation_codes():
    layer = Layer(3, 3, 8, 8, 64, 64)
    architecture = simba_architecture()
    factors, orders = _base_mapping(layer)
    legal = evaluate_mappings(architecture, layer, factors[None], orders[None])
    assert legal.valid[0]

    wrong_product = factors.copy()
    wrong_product[5, 1, 4] = 32
    too_wide = factors.copy()
    too_wide[5, 1, 4] = 1
    too_wide[1, 0, 4] = 64  # 64 > fan-out 8 of the accumulation buffer
    too_big = factors.copy()
    too_big[5, 1, 5] = 1
    too_big[1, 1, 5] = 64  # K64 x P8 = 512 outputs in a 64-entry accumulation buffer
    too_big[5, 1, 2] = 1
    too_big[1, 1, 2] = 8
    batch = np.stack([wrong_product, too_wide, too_big])
    result = evaluate_mappings(architecture, layer, batch, np.stack([orders] * 3))

    assert list(result.violation) == [Violation.FACTOR_PRODUCT, Violation.SPATIAL_FANOUT, Violation.CAPACITY]
    assert result.reason(1) == "spatial factors exceed the fan-out at AccumulationBuffer"
    assert result.reason(2) == "tiles exceed the buffer capacity at AccumulationBuffer"
    assert not result.valid.any()
    assert np.isinf(result.energy_pj).all()


def test_tied_ranks_follow_dimension_order():
    rng = np.random.default_rng(19)
    layer = Layer(3, 3, 14, 14, 16, 32)
    architecture = simba_architecture()
    factors, _ = random_mappings(layer, 200, rng, architecture=architecture, level_probabilities=LEVEL_PROBABILITIES)
    in_dimension_order = np.tile(np.arange(7), (200, 6, 1))
    all_tied = np.zeros((200, 6, 7), dtype=np.int64)

    ordered = evaluate_mappings(architecture, layer, factors, in_dimension_order)
    tied = evaluate_mappings(architecture, layer, factors, all_tied)

    np.testing.assert_array_equal(tied.valid, ordered.valid)
    np.testing.assert_array_equal(tied.cycles, ordered.cycles)
    np.testing.assert_array_equal(tied.energy_pj, ordered.energy_pj)


def test_irregular_multicast_matches_enumeration():
    from vaesa_core.costmodel.counts import _distinct_child_tiles

    rng = np.random.default_rng(23)
    layer = Layer(3, 5, 28, 28, 8, 8, stride_w=2, stride_h=1, dilation_w=1, dilation_h=3)
    n = 300
    spatial = np.ones((n, 6, 7), dtype=np.int64)
    spatial[:, 4, :4] = rng.integers(1, 6, size=(n, 4))  # R, S, P, Q spread at the global buffer
    spatial[:, 4, 4] = rng.integers(1, 3, size=n)  # C
    spatial[:, 4, 5] = rng.integers(1, 3, size=n)  # K
    below = np.ones((n, 6, 7), dtype=np.int64)
    below[:, 4, :] = rng.integers(1, 4, size=(n, 7))

    groups, multipliers = _distinct_child_tiles(layer, spatial, below, None)

    for row in range(n):
        r, s, p, q, c, k, n_batch = spatial[row, 4]
        step = below[row, 4]
        tiles: dict[tuple[int, ...], int] = {}
        for index in itertools.product(range(r), range(s), range(p), range(q), range(c), range(k), range(n_batch)):
            ri, si, pi, qi, ci, _ki, ni = index
            width = pi * step[2] * layer.stride_w + ri * step[0] * layer.dilation_w
            height = qi * step[3] * layer.stride_h + si * step[1] * layer.dilation_h
            key = (ni, ci, width, height)
            tiles[key] = tiles.get(key, 0) + 1
        assert groups[row, 4, INPUTS] == len(tiles), row
        assert multipliers[row, 4] == len(set(tiles.values())), row


def test_simba_batch_equals_stacked_architectures():
    from vaesa_core.costmodel import simba_arch_batch

    designs = simba_space().sample(200, np.random.default_rng(29))
    fast = simba_arch_batch(designs)
    slow = stack_architectures([simba_architecture(design) for design in designs])
    assert fast.level_names == slow.level_names
    for name in (
        "keeps", "block_sizes", "entries", "instances", "fanouts", "clusters", "vector_energy_pj",
        "read_bandwidth", "write_bandwidth", "mac_instances", "mac_energy_pj",
    ):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)


def test_mismatched_batches_raise_with_fix():
    layer = Layer(3, 3, 8, 8, 4, 4)
    factors, orders = _base_mapping(layer)
    designs = stack_architectures([simba_architecture(), simba_architecture()])
    with pytest.raises(ValueError, match=r"pass factors\[:, None\]"):
        evaluate_mappings(designs, layer, np.stack([factors] * 3), np.stack([orders] * 3))
