"""Parameter domains: the legal values of one design parameter.

Every domain is a finite, sorted lattice of positive integers. Optimizers and
the VAE see each parameter on a log2 scale normalised to [0, 1]:

    u = (log2(v) - log2(low)) / (log2(high) - log2(low))

so ``low`` maps to 0 and ``high`` maps to 1. Snapping returns the legal value
nearest to a real number on that same log scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vaesa_core.errors import InvalidConfigError

__all__ = ["Parameter", "IntRange", "PowerOfTwo"]


@dataclass(frozen=True)
class Parameter:
    """A named design parameter with a finite lattice of legal values.

    Subclasses only define ``values``; snapping, encoding and validation are
    shared.

    Attributes:
        name: Parameter name, used in configurations, CSV columns and the CLI.
        unit: Unit of the value, e.g. ``"entries"`` or ``"MAC units"``.
        description: One line for ``vaesa workloads``-style listings and docs.
    """

    name: str
    unit: str
    description: str = ""
    _values: np.ndarray = field(init=False, repr=False, compare=False)

    def _lattice(self) -> np.ndarray:
        raise NotImplementedError

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values", self._lattice())

    @property
    def values(self) -> np.ndarray:
        """Return every legal value in ascending order (int64 array)."""
        return self._values

    @property
    def low(self) -> int:
        return int(self._values[0])

    @property
    def high(self) -> int:
        return int(self._values[-1])

    @property
    def size(self) -> int:
        """Return the number of legal values."""
        return int(self._values.size)

    def describe_range(self) -> str:
        """Return the legal range as text for error messages.

        Model checkpoints store this text with the design space and compare
        it on load, so changing it makes existing checkpoints unloadable.
        """
        raise NotImplementedError

    def validate(self, value: object) -> int:
        """Return ``value`` as an int if it is legal.

        Raises:
            InvalidConfigError: ``value`` is not an integer on the lattice.
        """
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
            raise InvalidConfigError(
                f"{self.name} must be an integer, one of {self.describe_range()}, but got {value!r}."
            )
        if isinstance(value, (float, np.floating)) and not float(value).is_integer():
            raise InvalidConfigError(
                f"{self.name} must be an integer, one of {self.describe_range()}, but got {value!r}. "
                "Use DesignSpace.snap() to round a real value to the nearest legal one."
            )
        as_int = int(value)
        index = int(np.searchsorted(self._values, as_int))
        if index >= self._values.size or self._values[index] != as_int:
            nearest = int(self.snap(float(max(as_int, 1))))
            raise InvalidConfigError(
                f"{self.name}={as_int} is not legal: {self.name} takes {self.describe_range()}. "
                f"The nearest legal value is {nearest}."
            )
        return as_int

    def encode(self, values: np.ndarray | float) -> np.ndarray:
        """Map raw values to the normalised log scale (0 at ``low``, 1 at ``high``)."""
        raw = np.asarray(values, dtype=float)
        span = math.log2(self.high) - math.log2(self.low)
        if span == 0:
            return np.zeros_like(raw)
        return (np.log2(raw) - math.log2(self.low)) / span

    def decode(self, units: np.ndarray | float) -> np.ndarray:
        """Map normalised log-scale values back to raw reals (not snapped)."""
        scaled = np.asarray(units, dtype=float)
        span = math.log2(self.high) - math.log2(self.low)
        return np.exp2(math.log2(self.low) + scaled * span)

    def snap(self, raw: np.ndarray | float) -> np.ndarray:
        """Return the legal values nearest to ``raw`` on the log2 scale.

        Values below ``low`` (including zero and negatives) snap to ``low``;
        values above ``high`` snap to ``high``; NaN raises.
        """
        raw = np.asarray(raw, dtype=float)
        if np.isnan(raw).any():
            raise InvalidConfigError(f"{self.name} cannot be snapped from NaN.")
        clipped = np.clip(raw, self.low, self.high)
        upper_index = np.clip(np.searchsorted(self._values, clipped, side="left"), 0, self.size - 1)
        lower_index = np.clip(upper_index - 1, 0, self.size - 1)
        upper = self._values[upper_index]
        lower = self._values[lower_index]
        log_raw = np.log2(clipped)
        pick_upper = np.abs(np.log2(upper) - log_raw) <= np.abs(log_raw - np.log2(lower))
        return np.where(pick_upper, upper, lower).astype(np.int64)


@dataclass(frozen=True)
class IntRange(Parameter):
    """Integers ``low, low + step, ..., high``."""

    start: int = 1
    stop: int = 1
    step: int = 1

    def _lattice(self) -> np.ndarray:
        if self.start <= 0 or self.stop < self.start or self.step <= 0:
            raise ValueError(
                f"IntRange {self.name!r} needs 0 < start <= stop and step > 0, but got "
                f"start={self.start}, stop={self.stop}, step={self.step}."
            )
        if (self.stop - self.start) % self.step:
            raise ValueError(
                f"IntRange {self.name!r}: stop - start must be a multiple of step, but got "
                f"start={self.start}, stop={self.stop}, step={self.step}."
            )
        return np.arange(self.start, self.stop + 1, self.step, dtype=np.int64)

    def describe_range(self) -> str:
        return f"{self.start}..{self.stop} in steps of {self.step} ({self.unit})"


@dataclass(frozen=True)
class PowerOfTwo(Parameter):
    """Powers of two ``start, 2 * start, ..., stop``."""

    start: int = 1
    stop: int = 1

    def _lattice(self) -> np.ndarray:
        for bound in (self.start, self.stop):
            if bound <= 0 or bound & (bound - 1):
                raise ValueError(
                    f"PowerOfTwo {self.name!r} bounds must be powers of two, but got {bound!r}."
                )
        if self.stop < self.start:
            raise ValueError(f"PowerOfTwo {self.name!r} needs start <= stop.")
        exponents = np.arange(int(math.log2(self.start)), int(math.log2(self.stop)) + 1)
        return (2**exponents).astype(np.int64)

    def describe_range(self) -> str:
        return f"powers of two {self.start}..{self.stop} ({self.unit})"
