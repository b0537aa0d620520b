"""Shared layers and designs for the mapper tests."""

from __future__ import annotations

import numpy as np
import pytest

from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer

#: Shapes the data set lacks: prime and non-dividing sizes, large strides,
#: 1x1, fully connected and batched layers.
ODD_LAYERS = (
    Layer(7, 7, 13, 13, 3, 64, stride_w=2, stride_h=2),
    Layer(5, 5, 161, 7, 1, 32, stride_w=2, stride_h=2),
    Layer(3, 3, 700, 13, 1, 16),
    Layer(1, 1, 13, 13, 1000, 7),
    Layer(11, 11, 7, 7, 3, 13, stride_w=4, stride_h=4),
    Layer(1, 1, 1, 1, 1000, 161),
    Layer(3, 3, 14, 14, 64, 64, N=4),
    Layer(1, 1, 1, 1, 512, 1000, N=8),
)


def config_from_row(row) -> HardwareConfig:
    """Build the design of one VAESA data row."""
    return HardwareConfig(
        int(row.arith_meshX), int(row.arith_ins), int(row.mem1_ent), int(row.mem2_ent), int(row.mem3_ent),
        int(row.mem4_ent),
    )


@pytest.fixture
def random_designs() -> list[HardwareConfig]:
    """Return 12 fixed random designs of the Simba-like space."""
    return simba_space().sample(12, np.random.default_rng(7))
