"""Declarative description of a spatial accelerator's storage hierarchy.

An ``Architecture`` lists its storage levels innermost first, as Timeloop's
v0.2 ``arch: {arithmetic, storage}`` layout does, plus the MAC array. Each
level states its entries per instance, its instance count, the word width,
the block size (words per vector access) and the cluster size (instances
that share one SRAM row). It also lists the datatypes it keeps, and the
other datatypes bypass it.

Energy per access follows the built-in "pat" model of Timeloop 11920be
(``pat-public/src/pat/pat.cpp``, used by ``src/model/buffer.cpp``):

* SRAM, per vector access of one instance:
  ``E_vec = (1 + m (x - 0.5)) w / 16 / cluster`` pJ, with the row width
  ``w = word_bits * block * cluster`` bits, the height
  ``h = ceil(entries / block)`` rows, the capacity ``x = w h / 8192`` KB and
  the slope ``m = 5 / 99.5`` (0.5 KB -> 1 unit, 100 KB -> 6 units). A level
  with zero entries costs nothing.
* DRAM: ``E_vec = 200 * word_bits * block / 16`` pJ (100 pJ per 8-bit word).
* MAC: ``1.0 * (bits / 16) ** 2`` pJ per operation (0.25 pJ at 8 bits).

Units: entries are words of ``word_bits`` bits (not bytes), energy is pJ,
bandwidth is words per cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = [
    "DATATYPES",
    "StorageLevel",
    "Architecture",
    "sram_vector_energy_pj",
    "dram_vector_energy_pj",
    "mac_energy_pj",
]

#: Datatypes of a convolution, in Timeloop's ``cnn-layer`` order.
DATATYPES: tuple[str, ...] = ("Weights", "Inputs", "Outputs")

_TECHNOLOGIES = ("SRAM", "DRAM")

# pat's linear SRAM fit through (0.5 KB, 1.0) and (100 KB, 6.0).
_PAT_X0_KB = 0.5
_PAT_Y0 = 1.0
_PAT_SLOPE = (6.0 - 1.0) / (100.0 - 0.5)


def sram_vector_energy_pj(*, entries: int, word_bits: int, block_size: int, cluster_size: int) -> float:
    """Return pat's SRAM energy of one vector access of one instance, in pJ.

    Args:
        entries: Words one instance holds.
        word_bits: Bits per word.
        block_size: Words per vector access.
        cluster_size: Instances that share one physical row.
    """
    if entries == 0:
        return 0.0
    width_bits = word_bits * block_size * cluster_size
    height_rows = -(-entries // block_size)
    capacity_kb = float(width_bits * height_rows) / (8 * 1024)
    row_energy_pj = (_PAT_SLOPE * (capacity_kb - _PAT_X0_KB) + _PAT_Y0) * width_bits / 16
    return row_energy_pj / cluster_size


def dram_vector_energy_pj(*, word_bits: int, block_size: int) -> float:
    """Return pat's DRAM energy of one vector access (``block_size`` words), in pJ."""
    return (200.0 * (word_bits * block_size)) / 16


def mac_energy_pj(word_bits: int) -> float:
    """Return pat's energy of one multiply-accumulate on ``word_bits`` operands, in pJ."""
    return 1.0 * (word_bits / 16.0) * (word_bits / 16.0)


@dataclass(frozen=True)
class StorageLevel:
    """One level of the storage hierarchy.

    Attributes:
        name: Level name, e.g. ``"GlobalBuffer"``.
        entries: Words one instance holds; None means unbounded (DRAM).
        instances: Number of instances of the level.
        word_bits: Bits per word.
        block_size: Words moved per vector access.
        cluster_size: Instances sharing one SRAM row (pat divides the row
            energy among them).
        keeps: Datatypes stored here; the others bypass the level.
        technology: ``"SRAM"`` or ``"DRAM"``.
        read_bandwidth_words_per_cycle: Read bandwidth of one instance, or
            None for unlimited.
        write_bandwidth_words_per_cycle: Write bandwidth, or None.
        mesh_x: Timeloop ``meshX``; it changes no cost (pat charges no
            network energy) and is kept only for YAML export.
        extra_attributes: Other Timeloop attributes kept for export
            (``num-ports``, ``num-banks``, ``network-word-bits``), as sorted
            ``(key, value)`` pairs; they change no cost under pat.
    """

    name: str
    entries: int | None
    instances: int
    word_bits: int
    block_size: int = 1
    cluster_size: int = 1
    keeps: frozenset[str] = field(default_factory=lambda: frozenset(DATATYPES))
    technology: str = "SRAM"
    read_bandwidth_words_per_cycle: float | None = None
    write_bandwidth_words_per_cycle: float | None = None
    mesh_x: int | None = None
    extra_attributes: tuple[tuple[str, object], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "keeps", frozenset(self.keeps))
        unknown = sorted(self.keeps - set(DATATYPES))
        if unknown:
            raise ValueError(
                f"StorageLevel {self.name!r}: keeps contains unknown datatype(s) {unknown}; "
                f"allowed: {', '.join(DATATYPES)}."
            )
        if self.technology not in _TECHNOLOGIES:
            raise ValueError(
                f"StorageLevel {self.name!r}: technology must be one of {_TECHNOLOGIES}, but got {self.technology!r}."
            )
        for attribute in ("instances", "word_bits", "block_size", "cluster_size"):
            value = getattr(self, attribute)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"StorageLevel {self.name!r}: {attribute} must be a positive integer, but got {value!r}."
                )
            object.__setattr__(self, attribute, int(value))
        if self.entries is not None:
            if isinstance(self.entries, bool) or not isinstance(self.entries, (int, np.integer)) or self.entries < 0:
                raise ValueError(
                    f"StorageLevel {self.name!r}: entries must be a non-negative integer or None (unbounded), "
                    f"but got {self.entries!r}."
                )
            object.__setattr__(self, "entries", int(self.entries))
        if self.instances % self.cluster_size:
            raise ValueError(
                f"StorageLevel {self.name!r}: instances ({self.instances}) must be a multiple of "
                f"cluster_size ({self.cluster_size})."
            )
        if self.technology == "DRAM" and self.cluster_size != 1:
            raise ValueError(f"StorageLevel {self.name!r}: a DRAM level must have cluster_size 1.")
        if self.technology == "SRAM" and self.entries is None:
            raise ValueError(f"StorageLevel {self.name!r}: an SRAM level needs a finite number of entries.")
        object.__setattr__(self, "extra_attributes", tuple(sorted(self.extra_attributes)))

    @property
    def vector_energy_pj(self) -> float:
        """Energy of one vector access (``block_size`` words) of one instance, in pJ."""
        if self.technology == "DRAM":
            return dram_vector_energy_pj(word_bits=self.word_bits, block_size=self.block_size)
        assert self.entries is not None
        return sram_vector_energy_pj(
            entries=self.entries,
            word_bits=self.word_bits,
            block_size=self.block_size,
            cluster_size=self.cluster_size,
        )

    @property
    def clusters(self) -> int:
        """Number of clusters, ``instances / cluster_size``."""
        return self.instances // self.cluster_size


@dataclass(frozen=True)
class Architecture:
    """A storage hierarchy above a MAC array.

    Attributes:
        levels: Storage levels, innermost first; the last one is the backing
            store (usually DRAM).
        mac_instances: Number of MAC units.
        mac_word_bits: Operand width of a MAC in bits.
        mac_mesh_x: Timeloop ``meshX`` of the MAC array (export only).
        name: Label for logs and exports.
    """

    levels: tuple[StorageLevel, ...]
    mac_instances: int
    mac_word_bits: int = 8
    mac_mesh_x: int | None = None
    name: str = "architecture"

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        if not self.levels:
            raise ValueError("Architecture.levels must contain at least one storage level.")
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"Architecture level names must be unique, but got {names}.")
        if self.mac_instances < 1:
            raise ValueError(f"Architecture.mac_instances must be positive, but got {self.mac_instances!r}.")
        object.__setattr__(self, "mac_instances", int(self.mac_instances))
        outermost = self.levels[-1]
        missing = sorted(set(DATATYPES) - outermost.keeps)
        if missing:
            raise ValueError(
                f"The outermost level {outermost.name!r} must keep every datatype, but it bypasses {missing}."
            )
        previous = self.mac_instances
        for level in self.levels:
            if previous % level.instances:
                raise ValueError(
                    f"Level {level.name!r} has {level.instances} instances, which does not divide the "
                    f"{previous} instances of the level below; fan-outs must be integers."
                )
            previous = level.instances

    @property
    def level_names(self) -> tuple[str, ...]:
        """Level names, innermost first."""
        return tuple(level.name for level in self.levels)

    @property
    def mac_energy_pj(self) -> float:
        """Energy of one MAC operation in pJ."""
        return mac_energy_pj(self.mac_word_bits)

    def level_index(self, name: str) -> int:
        """Return the position of the level called ``name`` (0 = innermost)."""
        try:
            return self.level_names.index(name)
        except ValueError:
            raise ValueError(
                f"Architecture {self.name!r} has no level {name!r}; levels: {', '.join(self.level_names)}."
            ) from None

    def keep_matrix(self) -> np.ndarray:
        """Return a bool array ``(n_levels, 3)``: whether each level keeps each datatype."""
        return np.array([[dt in level.keeps for dt in DATATYPES] for level in self.levels], dtype=bool)

    def fanouts(self) -> tuple[int, ...]:
        """Return each level's fan-out: instances of the level below divided by its own.

        The level below level 0 is the MAC array.
        """
        below = [self.mac_instances] + [level.instances for level in self.levels[:-1]]
        return tuple(lower // level.instances for lower, level in zip(below, self.levels))

    def with_keeps(self, keeps: Sequence[Iterable[str]]) -> Architecture:
        """Return a copy whose levels keep the given datatypes, one set per level."""
        if len(keeps) != len(self.levels):
            raise ValueError(
                f"with_keeps needs one datatype set per level ({len(self.levels)}), but got {len(keeps)}."
            )
        levels = tuple(replace(level, keeps=frozenset(kept)) for level, kept in zip(self.levels, keeps))
        return replace(self, levels=levels)

    def describe(self) -> str:
        """Return a readable table of the levels, innermost first."""
        lines = [f"{self.name}: {self.mac_instances} MACs ({self.mac_energy_pj:g} pJ/op)"]
        for level in self.levels:
            entries = "inf" if level.entries is None else str(level.entries)
            lines.append(
                f"  {level.name:>18}: {entries:>7} entries x {level.instances:>4} instances, "
                f"{level.word_bits}b words, block {level.block_size}, cluster {level.cluster_size}, "
                f"{level.vector_energy_pj:.5g} pJ/vector, keeps {', '.join(dt for dt in DATATYPES if dt in level.keeps)}"
            )
        return "\n".join(lines)
