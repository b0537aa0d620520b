"""The Simba-like architecture of the VAESA study, parameterised by a design.

Numbers come from CoSA's legacy Timeloop v0.2 file ``configs/arch/simba_dse.yaml``
(ucb-bar/cosa) with the keep/bypass sets of its ``configs/mapspace/mapspace.yaml``:

=====================  =======  =========  =====  =====  =======  ===================
level                  entries  instances  bits   block  cluster  keeps
=====================  =======  =========  =====  =====  =======  ===================
Registers              1        = MACs     8      1      64       Weights
AccumulationBuffer     64       128        24     1      8        Outputs
WeightBuffer           16384    128        8      8      1        Weights
InputBuffer            1024     64         8      8      1        Inputs
GlobalBuffer           65536    1          8      8      1        Inputs, Outputs
DRAM                   inf      1          8      64     1        all (bandwidth 20)
=====================  =======  =========  =====  =====  =======  ===================

A design (``HardwareConfig``) sets the MAC count, which is also the number
of registers and fixes the accumulation-buffer fan-out, and the four buffer
sizes in entries. ``pes`` only sets ``meshX``, which changes no cost.
"""

from __future__ import annotations

from vaesa_core.arch.architecture import Architecture, StorageLevel
from vaesa_core.space.design_space import HardwareConfig

__all__ = ["simba_architecture", "SIMBA_BASE_CONFIG", "DRAM_BANDWIDTH"]

#: The base design of ``simba_dse.yaml``: 16 PEs, 1024 MACs, buffers 64, 16384, 1024, 65536 entries.
SIMBA_BASE_CONFIG = HardwareConfig(
    pes=16, macs=1024, accum_buffer=64, weight_buffer=16384, input_buffer=1024, global_buffer=65536
)

#: Timeloop ``bandwidth`` of the DRAM level; Timeloop 11920be splits it into
#: equal read and write bandwidths (10 words/cycle each).
DRAM_BANDWIDTH = 20.0


def simba_architecture(config: HardwareConfig = SIMBA_BASE_CONFIG) -> Architecture:
    """Build the Simba-like hierarchy for one design.

    Args:
        config: The design; ``macs`` must be a multiple of 128 (the
            accumulation-buffer instances) and of 64 (the register cluster).

    Returns:
        The architecture with six storage levels, Registers innermost.

    Raises:
        ValueError: ``macs`` is not a multiple of 128, or a buffer size is
            not positive.
    """
    if config.macs % 128:
        raise ValueError(
            f"HardwareConfig.macs must be a multiple of 128 (one register per MAC, 128 accumulation "
            f"buffers), but got {config.macs!r}."
        )
    mesh_x = int(config.pes)
    levels = (
        StorageLevel(
            "Registers", 1, config.macs, 8, 1, 64, frozenset({"Weights"}), mesh_x=mesh_x,
            extra_attributes=(("num-banks", 8), ("num-ports", 2)),
        ),
        StorageLevel(
            "AccumulationBuffer", config.accum_buffer, 128, 24, 1, 8, frozenset({"Outputs"}), mesh_x=mesh_x,
            extra_attributes=(("network-word-bits", 16), ("num-banks", 2), ("num-ports", 2)),
        ),
        StorageLevel(
            "WeightBuffer", config.weight_buffer, 128, 8, 8, 1, frozenset({"Weights"}), mesh_x=mesh_x,
            extra_attributes=(("num-banks", 8), ("num-ports", 1)),
        ),
        StorageLevel(
            "InputBuffer", config.input_buffer, 64, 8, 8, 1, frozenset({"Inputs"}), mesh_x=mesh_x,
            extra_attributes=(("num-banks", 1), ("num-ports", 2)),
        ),
        StorageLevel(
            "GlobalBuffer", config.global_buffer, 1, 8, 8, 1, frozenset({"Inputs", "Outputs"}),
            extra_attributes=(("num-banks", 256), ("num-ports", 2)),
        ),
        StorageLevel(
            "DRAM", None, 1, 8, 64, 1, frozenset({"Weights", "Inputs", "Outputs"}), technology="DRAM",
            read_bandwidth_words_per_cycle=DRAM_BANDWIDTH / 2,
            write_bandwidth_words_per_cycle=DRAM_BANDWIDTH / 2,
        ),
    )
    return Architecture(levels, config.macs, 8, mac_mesh_x=mesh_x, name=f"simba_{config.label()}")
