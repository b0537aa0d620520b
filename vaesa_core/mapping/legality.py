"""Legality checks of mappings against designs: dimensions, fan-out, capacity.

A mapping is legal on a design when three checks pass. The factors of
each dimension multiply back to the layer's bound. Every level's spatial
product fits that level's fan-out (instances of the child level over its
own instances). At every level below DRAM, the tiles of the kept data
types fit the level's entries. Tile sizes follow Timeloop's counting: the input tile is
the bounding box ``(E[P]-1)*stride + (E[R]-1)*dilation + 1`` per axis.

All checks are vectorised: tile sizes depend only on the mapping, so they
are computed once per batch of mappings and compared with the entries of
any number of designs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaesa_core.mapping.mapping import LEVELS, SPATIAL
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = [
    "DATATYPES",
    "KEEPS",
    "DesignLimits",
    "design_limits",
    "tile_sizes",
    "level_usage",
    "check_mappings",
    "describe_violation",
]

#: Data types in the order Timeloop and CoSA use: weights, inputs, outputs.
DATATYPES: tuple[str, ...] = ("Weights", "Inputs", "Outputs")

#: keeps[level, datatype]: whether the level stores the data type (the
#: bypass pattern of CoSA's ``configs/mapspace/mapspace.yaml``, ucb-bar/cosa
#: 00d3134): weights in Registers, WeightBuffer and DRAM; inputs in
#: InputBuffer, GlobalBuffer and DRAM; outputs in AccumulationBuffer,
#: GlobalBuffer and DRAM.
KEEPS: np.ndarray = np.array(
    [
        [1, 0, 0],
        [0, 0, 1],
        [1, 0, 0],
        [0, 1, 0],
        [0, 1, 1],
        [1, 1, 1],
    ],
    dtype=bool,
)

#: Instances of the accumulation, weight, input and global buffers in the
#: Simba-like design space; only the MAC count (and the registers, one per
#: MAC) varies between designs.
_FIXED_INSTANCES = (128, 128, 64, 1, 1)

_R, _S, _P, _Q, _C, _K, _N = range(7)


@dataclass(frozen=True)
class DesignLimits:
    """Capacity and instance limits of a batch of designs, per level.

    Attributes:
        entries: float64 array ``(D, 6)``: entries per instance of each level,
            innermost first; DRAM is ``inf``.
        instances: int64 array ``(D, 6)``: instances of each level.
        fanout: int64 array ``(D, 6)``: spatial fan-out of each level, the
            instances of the level below over its own (the MACs for
            Registers), so 1 where no spatial loop is possible.
    """

    entries: np.ndarray
    instances: np.ndarray
    fanout: np.ndarray

    @property
    def count(self) -> int:
        """Return the number of designs D."""
        return int(self.entries.shape[0])

    def macs(self) -> np.ndarray:
        """Return the MAC units of each design, int64 ``(D,)``."""
        return self.instances[:, 0]


def design_limits(configs: Sequence[HardwareConfig]) -> DesignLimits:
    """Return the per-level limits of each design of the Simba-like space.

    Args:
        configs: D designs. ``macs`` must be a multiple of 128 (the
            accumulation buffer's 128 instances share the MACs evenly).

    Returns:
        The designs' ``DesignLimits``.

    Raises:
        ValueError: A design's MAC count is not a positive multiple of 128.
    """
    entries = np.empty((len(configs), len(LEVELS)), dtype=float)
    instances = np.empty((len(configs), len(LEVELS)), dtype=np.int64)
    for row, config in enumerate(configs):
        if config.macs < 128 or config.macs % 128:
            raise ValueError(
                f"HardwareConfig.macs must be a positive multiple of 128 (128 accumulation-buffer "
                f"instances share the MACs), but got {config.macs!r} in {config.label()}."
            )
        entries[row] = (1, config.accum_buffer, config.weight_buffer, config.input_buffer, config.global_buffer, np.inf)
        instances[row] = (config.macs, *_FIXED_INSTANCES)
    children = np.concatenate([instances[:, :1], instances[:, :-1]], axis=1)
    fanout = children // instances
    return DesignLimits(entries=entries, instances=instances, fanout=fanout)


def tile_sizes(layer: Layer, factors: np.ndarray) -> np.ndarray:
    """Return the tile size of each data type at each level, in entries.

    Args:
        layer: The layer the mappings belong to (strides and dilations).
        factors: int64 ``(M, 6, 2, 7)`` loop bounds.

    Returns:
        int64 array ``(M, 6, 3)``: weights, inputs and outputs tiles at each
        level, whether or not the level keeps them. A level's tile includes
        its own spatial and temporal loops and every loop below it.
    """
    # (M, 6, 7): spatial x temporal bound per level. The product of the two
    # slices is faster than a reduction over an axis of length 2.
    per_level = factors[:, :, 0, :] * factors[:, :, 1, :]
    extent = np.cumprod(per_level, axis=1)  # (M, 6, 7): E_l[d]
    weights = extent[..., _R] * extent[..., _S] * extent[..., _C] * extent[..., _K]
    outputs = extent[..., _P] * extent[..., _Q] * extent[..., _K] * extent[..., _N]
    width = (extent[..., _P] - 1) * layer.stride_w + (extent[..., _R] - 1) * layer.dilation_w + 1
    height = (extent[..., _Q] - 1) * layer.stride_h + (extent[..., _S] - 1) * layer.dilation_h + 1
    inputs = extent[..., _N] * extent[..., _C] * width * height
    return np.stack([weights, inputs, outputs], axis=-1)


def level_usage(layer: Layer, factors: np.ndarray) -> np.ndarray:
    """Return the entries each level needs for its kept tiles, int64 ``(M, 6)``."""
    return (tile_sizes(layer, factors) * KEEPS).sum(axis=-1)


def check_mappings(layer: Layer, factors: np.ndarray, limits: DesignLimits) -> np.ndarray:
    """Return a violation code for every (mapping, design) pair.

    Args:
        layer: The mapped layer.
        factors: int64 ``(M, 6, 2, 7)`` loop bounds.
        limits: Limits of D designs.

    Returns:
        int64 array ``(M, D)``: 0 for a legal pair; ``1`` when the factors do
        not multiply back to the layer's dimensions; ``10 + level`` when the
        spatial product at ``level`` exceeds its fan-out; ``20 + level`` when
        the kept tiles at ``level`` exceed its entries. The innermost
        violation is reported; ``describe_violation`` turns a code into text.
    """
    factors = np.asarray(factors, dtype=np.int64)
    dims = np.array([layer.dims[dim] for dim in LAYER_DIMS], dtype=np.int64)
    codes = np.zeros((factors.shape[0], limits.count), dtype=np.int64)

    capacity_bad = level_usage(layer, factors)[:, None, :] > limits.entries[None, :, :]  # (M, D, 6)
    spatial = factors[:, :, SPATIAL, :].prod(axis=-1)  # (M, 6)
    fanout_bad = spatial[:, None, :] > limits.fanout[None, :, :]
    product_bad = (factors.prod(axis=(1, 2)) != dims).any(axis=-1)

    for level in reversed(range(len(LEVELS))):
        codes = np.where(capacity_bad[..., level], 20 + level, codes)
    for level in reversed(range(len(LEVELS))):
        codes = np.where(fanout_bad[..., level], 10 + level, codes)
    codes = np.where(product_bad[:, None], 1, codes)
    return codes


def describe_violation(code: int, layer: Layer, factors: np.ndarray, limits: DesignLimits, design: int) -> str:
    """Return a sentence that explains a violation code of ``check_mappings``.

    Args:
        code: The code of one (mapping, design) pair.
        layer: The mapped layer.
        factors: int64 ``(6, 2, 7)`` loop bounds of that mapping.
        limits: The designs' limits.
        design: Row of the design in ``limits``.
    """
    if code == 0:
        return ""
    if code == 1:
        products = factors.prod(axis=(0, 1)).tolist()
        return f"factor products {products} differ from the layer dimensions {list(layer.dims.values())}"
    level = code % 10
    if code < 20:
        spatial = int(factors[level, SPATIAL].prod())
        return (
            f"spatial product {spatial} at {LEVELS[level]} exceeds its fan-out "
            f"{int(limits.fanout[design, level])}"
        )
    usage = int(level_usage(layer, factors[None])[0, level])
    return f"tiles need {usage} entries at {LEVELS[level]}, which holds {int(limits.entries[design, level])}"

