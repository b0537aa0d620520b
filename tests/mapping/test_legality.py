"""Legality checks of mappings against designs."""

from __future__ import annotations

import numpy as np
import pytest

from vaesa_core.arch import SIMBA_BASE_CONFIG
from vaesa_core.mapping.legality import check_mappings, describe_violation, design_limits, level_usage
from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL
from vaesa_core.mapping.moves import all_at_dram
from vaesa_core.space import HardwareConfig
from vaesa_core.workloads import Layer

LAYER = Layer(3, 3, 13, 13, 256, 256)


def test_design_limits_of_base_design():
    limits = design_limits([SIMBA_BASE_CONFIG])
    assert limits.fanout[0].tolist() == [1, 8, 1, 2, 64, 1]
    assert limits.instances[0].tolist() == [1024, 128, 128, 64, 1, 1]
    assert limits.entries[0, :5].tolist() == [1, 64, 16384, 1024, 65536]
    assert np.isinf(limits.entries[0, 5])


def test_all_at_dram_is_legal_on_every_design(random_designs):
    factors, _ = all_at_dram(6, LAYER)
    codes = check_mappings(LAYER, factors, design_limits(random_designs))
    assert (codes == 0).all()


def test_wrong_factor_product_is_flagged():
    factors, _ = all_at_dram(6, LAYER)
    factors[0, 5, TEMPORAL, 4] = 128
    limits = design_limits([SIMBA_BASE_CONFIG])
    code = int(check_mappings(LAYER, factors, limits)[0, 0])
    assert code == 1
    assert "differ from the layer dimensions" in describe_violation(code, LAYER, factors[0], limits, 0)


def test_spatial_overflow_names_the_level():
    factors, _ = all_at_dram(6, LAYER)
    factors[0, 5, TEMPORAL, 4] = 2
    factors[0, 1, SPATIAL, 4] = 128  # AccumulationBuffer fan-out is 8 on the base design
    limits = design_limits([SIMBA_BASE_CONFIG])
    code = int(check_mappings(LAYER, factors, limits)[0, 0])
    assert code == 11
    assert "AccumulationBuffer" in describe_violation(code, LAYER, factors[0], limits, 0)


def test_capacity_overflow_names_the_level():
    factors, _ = all_at_dram(6, LAYER)
    factors[0, 5, TEMPORAL, 5] = 1
    factors[0, 1, TEMPORAL, 5] = 256  # 256 outputs at the 64-entry AccumulationBuffer
    limits = design_limits([SIMBA_BASE_CONFIG])
    code = int(check_mappings(LAYER, factors, limits)[0, 0])
    assert code == 21
    assert "AccumulationBuffer" in describe_violation(code, LAYER, factors[0], limits, 0)


def test_input_tile_counts_the_halo():
    layer = Layer(3, 3, 13, 13, 1, 1, stride_w=2, stride_h=2)
    factors, _ = all_at_dram(6, layer)
    factors[0, 5, TEMPORAL] = 1
    factors[0, 3, TEMPORAL, :4] = [3, 3, 13, 13]
    usage = level_usage(layer, factors)[0]
    assert usage[3] == ((13 - 1) * 2 + 3) ** 2  # inputs 27 x 27 at the InputBuffer


def test_macs_not_multiple_of_128_is_rejected():
    with pytest.raises(ValueError, match="multiple of 128"):
        design_limits([HardwareConfig(16, 100, 64, 16384, 1024, 65536)])
