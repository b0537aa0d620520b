"""Design spaces: parameter lattices, hardware configurations, encodings."""

from vaesa_core.space.design_space import (
    BYTES_PER_ENTRY,
    COST_PARAMETER_NAMES,
    PARAMETER_NAMES,
    DesignSpace,
    HardwareConfig,
    simba_space,
)
from vaesa_core.space.parameters import IntRange, Parameter, PowerOfTwo

__all__ = [
    "BYTES_PER_ENTRY",
    "COST_PARAMETER_NAMES",
    "PARAMETER_NAMES",
    "DesignSpace",
    "HardwareConfig",
    "IntRange",
    "Parameter",
    "PowerOfTwo",
    "simba_space",
]
