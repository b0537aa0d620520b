"""The CoSA mapper: MIP, decoding, greedy repair and statuses."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from vaesa_core.arch import SIMBA_BASE_CONFIG
from vaesa_core.evaluation import Status
from vaesa_core.mapping import cosa as cosa_module
from vaesa_core.mapping.cosa import CosaMapper
from vaesa_core.mapping import cosa_mip
from vaesa_core.mapping.cosa_mip import prime_factors
from vaesa_core.mapping.cosa_repair import CosaPlacement, RepairFailed, repair_placement
from vaesa_core.mapping.legality import check_mappings, design_limits
from vaesa_core.workloads import Layer

from tests.mapping.conftest import config_from_row

FC_4096_1000 = Layer(1, 1, 1, 1, 4096, 1000)
CONV_3X3_13 = Layer(3, 3, 13, 13, 256, 256)
BASE_FANOUT = np.array([1, 8, 1, 2, 64, 1])
BASE_INSTANCES = np.array([1024, 128, 128, 64, 1, 1])
BASE_ENTRIES = np.array([1, 64, 16384, 1024, 65536], dtype=float)


@pytest.fixture(scope="module")
def fc_result():
    """CoSA on FC 4096->1000, base design (solved once for the module)."""
    return CosaMapper().map_layer(FC_4096_1000, [SIMBA_BASE_CONFIG])[0]


def test_prime_factors():
    assert prime_factors(1) == [1]
    assert prime_factors(1000) == [2, 2, 2, 5, 5, 5]
    assert prime_factors(161) == [7, 23]
    assert prime_factors(13) == [13]


def _placement(layer: Layer, codes_by_dim: dict[int, list[int]]) -> CosaPlacement:
    dims, values, codes = [], [], []
    for dim_index, value in enumerate(layer.dims.values()):
        primes = prime_factors(value)
        placed = codes_by_dim.get(dim_index, [5] * len(primes))
        dims += [dim_index] * len(primes)
        values += primes
        codes += placed
    return CosaPlacement(
        dims=np.array(dims), values=np.array(values), codes=np.array(codes), spatial_levels=(1, 3, 4),
        fanout=BASE_FANOUT, instances=BASE_INSTANCES, entries=BASE_ENTRIES,
    )


def test_repair_moves_temporal_factor_outwards():
    # K = 256 = 2^8 all temporal at the AccumulationBuffer: 256 outputs > 64 entries.
    layer = Layer(1, 1, 1, 1, 2, 256)
    placement = _placement(layer, {5: [1] * 8})
    moves = repair_placement(placement, layer)

    assert moves == 2  # two factors of 2 leave: 64 outputs fit
    assert placement.violations(layer) == ([], [])
    assert placement.factors()[1, 1, 5] == 64
    assert placement.factors()[2, 1, 5] == 4


def test_repair_moves_spatial_factor_when_no_temporal_one():
    # K = 128 spatial over the GlobalBuffer's 64 lanes (code 8) overflows its instances.
    layer = Layer(1, 1, 1, 1, 2, 128)
    placement = _placement(layer, {5: [8] * 7})
    moves = repair_placement(placement, layer)

    assert moves >= 1
    assert placement.violations(layer) == ([], [])


def test_repair_without_candidates_raises():
    layer = Layer(1, 1, 1, 1, 2, 2)
    placement = _placement(layer, {4: [5], 5: [5]})
    placement.entries = np.array([1, 64, 16384, 1024, 1], dtype=float)  # global buffer too small for anything
    with pytest.raises(RepairFailed):
        repair_placement(placement, layer)


def test_timeout_without_solution_is_reported(monkeypatch):
    monkeypatch.setattr(cosa_module, "solve_cosa_mip", lambda *args, **kwargs: None)
    result = CosaMapper(time_limit_s=1).map_layer(FC_4096_1000, [SIMBA_BASE_CONFIG])[0]

    assert result.status is Status.TIMEOUT
    assert result.mapping is None
    assert "1 s" in result.reason
    assert not result.to_layer_cost().valid


def test_failed_repair_is_reported(monkeypatch):
    def fail(placement, layer):
        raise RepairFailed("no factor can leave level=4")

    monkeypatch.setattr(cosa_module, "repair_placement", fail)
    result = CosaMapper(time_limit_s=5).map_layer(Layer(1, 1, 1, 1, 8, 8), [SIMBA_BASE_CONFIG])[0]

    assert result.status is Status.FAILED
    assert "greedy repair" in result.reason


def test_short_time_limit_does_not_crash():
    result = CosaMapper(time_limit_s=0.05).map_layer(Layer(3, 3, 14, 14, 64, 64), [SIMBA_BASE_CONFIG])[0]

    assert result.status in (Status.OK, Status.TIMEOUT)
    if result.status is Status.OK:
        limits = design_limits([SIMBA_BASE_CONFIG])
        assert check_mappings(Layer(3, 3, 14, 14, 64, 64), result.mapping.factors[None], limits)[0, 0] == 0


def test_solver_output_goes_to_debug_log(monkeypatch, capfd, caplog):
    real_milp = cosa_mip.milp

    def noisy_milp(*args, **kwargs):
        # HiGHS writes its internal notes from C++ to descriptor 1 or 2, past Python's streams.
        os.write(1, b"solver note on stdout\n")
        os.write(2, b"solver note on stderr\n")
        return real_milp(*args, **kwargs)

    monkeypatch.setattr(cosa_mip, "milp", noisy_milp)
    with caplog.at_level(logging.DEBUG, logger=cosa_mip.__name__):
        result = CosaMapper(time_limit_s=10).map_layer(Layer(1, 1, 1, 1, 8, 8), [SIMBA_BASE_CONFIG])[0]
    print("after the solve")

    assert result.status is Status.OK
    captured = capfd.readouterr()
    assert "solver note" not in captured.out + captured.err
    assert "after the solve" in captured.out
    assert "solver note on stdout" in caplog.text
    assert "solver note on stderr" in caplog.text


def test_invalid_time_limit_is_rejected():
    with pytest.raises(ValueError, match="time_limit_s"):
        CosaMapper(time_limit_s=0)


@pytest.mark.parametrize("gap", [-0.1, 1.0])
def test_invalid_mip_gap_is_rejected(gap):
    with pytest.raises(ValueError, match="mip_gap"):
        CosaMapper(mip_gap=gap)


@pytest.mark.slow
def test_optimal_solve_matches_data_row(vaesa_data_dir):
    """AlexNet conv1 on 4096 MACs (grid design pe0.25_mac4_buf_2_1_1_1): the data's row exactly.

    With HiGHS's default gap of 1e-4 the solver stopped at a near-optimal
    placement with 13% more cycles; solving to optimality finds CoSA's.
    """
    key = "11_11_55_55_3_64_1_4_4_1_1"
    frame = pd.read_csv(vaesa_data_dir / "layers-grid" / f"dataset_{key}.csv.gz")
    row = frame[frame.name == "arch_pe0.25_mac4_buf_2_1_1_1"].iloc[0]
    result = CosaMapper().map_layer(Layer.from_key(key), [config_from_row(row)])[0]

    assert result.status is Status.OK
    assert result.cycles == row.unique_cycle_sum
    assert result.energy_pj == pytest.approx(row.unique_energy_sum, rel=1e-6)


@pytest.mark.slow
def test_fc_4096_1000_matches_timeloop(fc_result):
    """Worked example: 410,010 cycles and 420,826,297.65 pJ (Timeloop 11920be on CoSA's mapping)."""
    mapping = fc_result.mapping

    assert fc_result.status is Status.OK
    assert mapping.factors[1, 1, 4:6].tolist() == [8, 50]  # AccumulationBuffer t{C8,K50}
    assert mapping.factors[1, 0, 4] == 8  # AccumulationBuffer s{C8}
    assert mapping.factors[4, 0, 4:6].tolist() == [16, 4]  # GlobalBuffer s{C16,K4}
    assert fc_result.cycles == 410_010
    assert fc_result.energy_pj == pytest.approx(420_826_297.65, abs=0.01)


@pytest.mark.slow
def test_conv_3x3_13_matches_timeloop():
    """Worked example: 97,344 cycles and 229,780,933.47 pJ."""
    result = CosaMapper().map_layer(CONV_3X3_13, [SIMBA_BASE_CONFIG])[0]

    assert result.status is Status.OK
    assert result.mapping.factors[4, 0, 4] == 64  # GlobalBuffer s{C64}
    assert result.mapping.factors[5, 1, 4] == 4  # DRAM t{C4}
    assert result.cycles == 97_344
    assert result.energy_pj == pytest.approx(229_780_933.47, abs=0.01)


@pytest.mark.slow
def test_fc_matches_data_row(fc_result, vaesa_data_dir):
    frame = pd.read_csv(vaesa_data_dir / "layers-grid" / "dataset_1_1_1_1_4096_1000_1_1_1_1_1.csv.gz")
    row = frame[frame.name == "arch_pe1_mac1_buf_1_1_1_1"].iloc[0]

    assert fc_result.cycles == row.unique_cycle_sum
    assert fc_result.energy_pj == pytest.approx(row.unique_energy_sum, abs=0.01)
