"""Vectorised ``ArchBatch`` construction for many Simba-like designs.

Building one ``Architecture`` per design costs about 0.1 ms; mappers that
score thousands of designs per layer build the batch arrays directly here.
The numbers equal ``stack_architectures([simba_architecture(c) for c in
configs])`` bit for bit (the same float operations, vectorised).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaesa_core.arch.architecture import mac_energy_pj
from vaesa_core.arch.simba import DRAM_BANDWIDTH, SIMBA_BASE_CONFIG, simba_architecture
from vaesa_core.costmodel.model import ArchBatch
from vaesa_core.space.design_space import HardwareConfig

__all__ = ["simba_arch_batch"]

# pat's linear SRAM fit through (0.5 KB, 1.0) and (100 KB, 6.0), as in vaesa_core.arch.
_PAT_SLOPE = (6.0 - 1.0) / (100.0 - 0.5)


def _sram_vector_energy_pj(entries: np.ndarray, word_bits: int, block_size: int, cluster_size: int) -> np.ndarray:
    width_bits = word_bits * block_size * cluster_size
    height_rows = -(-entries // block_size)
    capacity_kb = (width_bits * height_rows).astype(np.float64) / (8 * 1024)
    energy = (_PAT_SLOPE * (capacity_kb - 0.5) + 1.0) * width_bits / 16 / cluster_size
    return np.where(entries == 0, 0.0, energy)


def simba_arch_batch(configs: Sequence[HardwareConfig]) -> ArchBatch:
    """Return the ``ArchBatch`` of the Simba-like architecture for each design, shape ``(D,)``.

    Raises:
        ValueError: ``configs`` is empty or a MAC count is not a multiple of 128.
    """
    if not configs:
        raise ValueError("simba_arch_batch needs at least one design.")
    values = np.array([config.as_array() for config in configs], dtype=np.int64)
    macs, accum, weight, inputs, global_buffer = (values[:, column] for column in range(1, 6))
    bad = macs % 128 != 0
    if bad.any():
        raise ValueError(
            f"HardwareConfig.macs must be a multiple of 128, but got {int(macs[bad][0])!r}."
        )
    template = simba_architecture(SIMBA_BASE_CONFIG)
    n_designs = values.shape[0]
    ones = np.ones(n_designs, dtype=np.int64)

    instances = np.stack([macs, 128 * ones, 128 * ones, 64 * ones, ones, ones], axis=1)
    below = np.concatenate([macs[:, None], instances[:, :-1]], axis=1)
    clusters = np.stack([macs // 64, 16 * ones, 128 * ones, 64 * ones, ones, ones], axis=1)
    entries = np.stack([ones, accum, weight, inputs, global_buffer], axis=1).astype(np.float64)
    entries = np.concatenate([entries, np.full((n_designs, 1), np.inf)], axis=1)
    registers = template.levels[0].vector_energy_pj
    vector_energy = np.stack(
        [
            np.full(n_designs, registers),
            _sram_vector_energy_pj(accum, 24, 1, 8),
            _sram_vector_energy_pj(weight, 8, 8, 1),
            _sram_vector_energy_pj(inputs, 8, 8, 1),
            _sram_vector_energy_pj(global_buffer, 8, 8, 1),
            np.full(n_designs, template.levels[-1].vector_energy_pj),
        ],
        axis=1,
    )
    unlimited = np.full((n_designs, 6), np.inf)
    unlimited[:, -1] = DRAM_BANDWIDTH / 2
    return ArchBatch(
        level_names=template.level_names,
        keeps=template.keep_matrix(),
        block_sizes=np.array([level.block_size for level in template.levels], dtype=np.int64),
        entries=entries,
        instances=instances,
        fanouts=below // instances,
        clusters=clusters,
        vector_energy_pj=vector_energy,
        read_bandwidth=unlimited,
        write_bandwidth=unlimited.copy(),
        mac_instances=macs.copy(),
        mac_energy_pj=np.full(n_designs, mac_energy_pj(8)),
    )
