"""The Simba-like architecture and pat energies per access."""

from __future__ import annotations

import pytest

from vaesa_core.arch import (
    SIMBA_BASE_CONFIG,
    Architecture,
    StorageLevel,
    simba_architecture,
    sram_vector_energy_pj,
)
from vaesa_core.space import HardwareConfig

# pat energies of the base design in pJ per vector access (Timeloop 11920be
# prints them as "Energy (per-scalar-access)" times the block size).
BASE_VECTOR_ENERGY_PJ = {
    "Registers": 0.48901,
    "AccumulationBuffer": 1.57538,
    "WeightBuffer": 7.11558,
    "InputBuffer": 4.10050,
    "GlobalBuffer": 16.76382,
    "DRAM": 6400.0,
}


def test_base_design_vector_energies():
    architecture = simba_architecture(SIMBA_BASE_CONFIG)
    for level in architecture.levels:
        assert level.vector_energy_pj == pytest.approx(BASE_VECTOR_ENERGY_PJ[level.name], abs=5e-6), level.name
    assert architecture.mac_energy_pj == 0.25


def test_design_sets_macs_and_entries():
    design = HardwareConfig(pes=4, macs=2048, accum_buffer=130, weight_buffer=512, input_buffer=6, global_buffer=2048)
    architecture = simba_architecture(design)

    entries = [level.entries for level in architecture.levels]
    assert entries == [1, 130, 512, 6, 2048, None]
    assert architecture.mac_instances == 2048
    assert architecture.levels[0].instances == 2048
    assert architecture.fanouts() == (1, 16, 1, 2, 64, 1)


def test_pes_change_no_energy():
    one = simba_architecture(HardwareConfig(1, 1024, 64, 16384, 1024, 65536))
    many = simba_architecture(HardwareConfig(64, 1024, 64, 16384, 1024, 65536))
    assert [level.vector_energy_pj for level in one.levels] == [level.vector_energy_pj for level in many.levels]


def test_sram_energy_of_empty_level_is_zero():
    assert sram_vector_energy_pj(entries=0, word_bits=8, block_size=8, cluster_size=1) == 0.0


def test_keep_sets_follow_the_mapspace():
    keeps = {level.name: set(level.keeps) for level in simba_architecture().levels}
    assert keeps["Registers"] == {"Weights"}
    assert keeps["AccumulationBuffer"] == {"Outputs"}
    assert keeps["WeightBuffer"] == {"Weights"}
    assert keeps["InputBuffer"] == {"Inputs"}
    assert keeps["GlobalBuffer"] == {"Inputs", "Outputs"}
    assert keeps["DRAM"] == {"Weights", "Inputs", "Outputs"}


def test_invalid_descriptions_raise():
    with pytest.raises(ValueError, match="multiple of 128"):
        simba_architecture(HardwareConfig(16, 200, 64, 16384, 1024, 65536))
    with pytest.raises(ValueError, match="unknown datatype"):
        StorageLevel("L", 4, 1, 8, keeps=frozenset({"Psums"}))
    with pytest.raises(ValueError, match="must keep every datatype"):
        Architecture((StorageLevel("L", 4, 1, 8, keeps=frozenset({"Weights"})),), mac_instances=1)
    with pytest.raises(ValueError, match="does not divide"):
        Architecture((StorageLevel("L", 4, 3, 8),), mac_instances=4)
