"""Architecture descriptions: storage levels, instances, energies per access."""

from vaesa_core.arch.architecture import (
    DATATYPES,
    Architecture,
    StorageLevel,
    dram_vector_energy_pj,
    mac_energy_pj,
    sram_vector_energy_pj,
)
from vaesa_core.arch.simba import DRAM_BANDWIDTH, SIMBA_BASE_CONFIG, simba_architecture

__all__ = [
    "DATATYPES",
    "DRAM_BANDWIDTH",
    "SIMBA_BASE_CONFIG",
    "Architecture",
    "StorageLevel",
    "dram_vector_energy_pj",
    "mac_energy_pj",
    "simba_architecture",
    "sram_vector_energy_pj",
]
