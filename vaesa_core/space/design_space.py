"""The design space of a Simba-like accelerator and its hardware configurations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from vaesa_core.errors import InvalidConfigError, UnknownNameError
from vaesa_core.space.parameters import IntRange, Parameter, PowerOfTwo

__all__ = ["HardwareConfig", "DesignSpace", "simba_space", "PARAMETER_NAMES", "COST_PARAMETER_NAMES", "BYTES_PER_ENTRY"]

#: Design parameter names in their canonical order (columns, vectors, CLI).
PARAMETER_NAMES: tuple[str, ...] = (
    "pes",
    "macs",
    "accum_buffer",
    "weight_buffer",
    "input_buffer",
    "global_buffer",
)

#: The parameters that change a design's cost: all but ``pes``, which only
#: sets Timeloop's meshX in the Simba-like architecture.
COST_PARAMETER_NAMES: tuple[str, ...] = tuple(name for name in PARAMETER_NAMES if name != "pes")

#: Bytes that one entry of each buffer parameter adds across all its instances:
#: accumulation 128 instances x 24-bit words, weight 128 x 8-bit, input 64 x
#: 8-bit, global 1 x 8-bit (the reference Simba-like architecture).
BYTES_PER_ENTRY: Mapping[str, int] = {
    "accum_buffer": 128 * 3,
    "weight_buffer": 128,
    "input_buffer": 64,
    "global_buffer": 1,
}


@dataclass(frozen=True, order=True)
class HardwareConfig:
    """One accelerator design; hashable, so it keys caches.

    Attributes:
        pes: PE mesh size (meshX); it changes no cost in the reference
            architecture but is part of the design.
        macs: Total MAC units (also the number of weight registers).
        accum_buffer: Accumulation-buffer entries per instance (24-bit words,
            128 instances).
        weight_buffer: Weight-buffer entries per instance (8-bit words, 128
            instances).
        input_buffer: Input-buffer entries per instance (8-bit words, 64
            instances).
        global_buffer: Global-buffer entries (8-bit words, one instance).
    """

    pes: int
    macs: int
    accum_buffer: int
    weight_buffer: int
    input_buffer: int
    global_buffer: int

    def as_dict(self) -> dict[str, int]:
        """Return the parameters as a name-to-value dict in canonical order."""
        return {key: int(value) for key, value in asdict(self).items()}

    def as_array(self) -> np.ndarray:
        """Return the parameters as an int64 vector in canonical order."""
        return np.array([getattr(self, name) for name in PARAMETER_NAMES], dtype=np.int64)

    def buffer_bytes(self) -> dict[str, int]:
        """Return each buffer's total capacity in bytes over all its instances."""
        return {name: int(getattr(self, name)) * per_entry for name, per_entry in BYTES_PER_ENTRY.items()}

    def label(self) -> str:
        """Return a compact identifier such as ``pes16_macs1024_ab64_wb16384_ib1024_gb65536``."""
        return (
            f"pes{self.pes}_macs{self.macs}_ab{self.accum_buffer}_wb{self.weight_buffer}"
            f"_ib{self.input_buffer}_gb{self.global_buffer}"
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> HardwareConfig:
        """Build a configuration from a name-to-value mapping (not validated).

        Raises:
            UnknownNameError: A key is not a design parameter.
            InvalidConfigError: A parameter is missing or not an integer.
        """
        unknown = sorted(set(values) - set(PARAMETER_NAMES))
        if unknown:
            raise UnknownNameError(
                f"Unknown design parameter(s) {', '.join(map(repr, unknown))}; "
                f"known parameters: {', '.join(PARAMETER_NAMES)}."
            )
        missing = [name for name in PARAMETER_NAMES if name not in values]
        if missing:
            raise InvalidConfigError(
                f"Missing design parameter(s) {', '.join(missing)}; a configuration needs all of "
                f"{', '.join(PARAMETER_NAMES)}."
            )
        converted = {}
        for name in PARAMETER_NAMES:
            raw = values[name]
            try:
                number = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InvalidConfigError(f"{name} must be an integer, but got {raw!r}.") from None
            if not number.is_integer():
                raise InvalidConfigError(f"{name} must be an integer, but got {raw!r}.")
            converted[name] = int(number)
        return cls(**converted)


class DesignSpace:
    """An ordered set of design parameters with lattice domains.

    Points move between three forms: raw values (``HardwareConfig`` or an
    int vector), the normalised log2 encoding in [0, 1]^d used by optimizers
    and the VAE, and real vectors that ``snap`` rounds to the nearest legal
    configuration.

    Args:
        parameters: One domain per name of ``PARAMETER_NAMES``, in that order.
        name: Identifier stored in run directories and model checkpoints.
    """

    def __init__(self, parameters: Sequence[Parameter], *, name: str = "custom") -> None:
        names = tuple(parameter.name for parameter in parameters)
        if names != PARAMETER_NAMES:
            raise ValueError(
                f"DesignSpace parameters must be {PARAMETER_NAMES} in that order, but got {names}."
            )
        self.parameters: tuple[Parameter, ...] = tuple(parameters)
        self.name = name

    @property
    def dimension(self) -> int:
        return len(self.parameters)

    @property
    def names(self) -> tuple[str, ...]:
        return PARAMETER_NAMES

    def parameter(self, name: str) -> Parameter:
        """Return the domain of ``name``."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise UnknownNameError(f"Unknown design parameter {name!r}; known: {', '.join(self.names)}.")

    def size(self) -> int:
        """Return the number of legal configurations."""
        total = 1
        for parameter in self.parameters:
            total *= parameter.size
        return total

    # -- validation -------------------------------------------------------

    def validate(self, config: HardwareConfig | Mapping[str, object]) -> HardwareConfig:
        """Return ``config`` as a ``HardwareConfig`` after checking every value.

        Raises:
            InvalidConfigError: A value is off its parameter's lattice; the
                message names the parameter, the value and the legal range.
        """
        if not isinstance(config, HardwareConfig):
            config = HardwareConfig.from_mapping(config)
        # Every illegal value is reported at once, so one fix-and-retry cycle suffices.
        problems = []
        for parameter in self.parameters:
            try:
                parameter.validate(getattr(config, parameter.name))
            except InvalidConfigError as error:
                problems.append(str(error))
        if problems:
            raise InvalidConfigError(" ".join(problems))
        return config

    def contains(self, config: HardwareConfig) -> bool:
        """Return whether ``config`` is legal in this space."""
        try:
            self.validate(config)
        except InvalidConfigError:
            return False
        return True

    # -- conversions ------------------------------------------------------

    def snap(self, raw: np.ndarray) -> np.ndarray:
        """Round raw values to the nearest legal ones, parameter by parameter.

        Args:
            raw: Raw (not normalised) values, shape ``(d,)`` or ``(n, d)``.

        Returns:
            int64 array of the same shape, every row legal.
        """
        raw = np.asarray(raw, dtype=float)
        self._check_width(raw)
        snapped = np.empty(raw.shape, dtype=np.int64)
        for column, parameter in enumerate(self.parameters):
            snapped[..., column] = parameter.snap(raw[..., column])
        return snapped

    def encode(self, values: np.ndarray | HardwareConfig) -> np.ndarray:
        """Map raw values, shape ``(d,)`` or ``(n, d)``, to the [0, 1] log2 encoding."""
        if isinstance(values, HardwareConfig):
            values = values.as_array()
        raw = np.asarray(values, dtype=float)
        self._check_width(raw)
        encoded = np.empty(raw.shape, dtype=float)
        for column, parameter in enumerate(self.parameters):
            encoded[..., column] = parameter.encode(raw[..., column])
        return encoded

    def decode(self, units: np.ndarray) -> np.ndarray:
        """Map encoded points to raw reals (not snapped), same shape."""
        units = np.asarray(units, dtype=float)
        self._check_width(units)
        decoded = np.empty(units.shape, dtype=float)
        for column, parameter in enumerate(self.parameters):
            decoded[..., column] = parameter.decode(units[..., column])
        return decoded

    def from_unit(self, units: np.ndarray) -> list[HardwareConfig]:
        """Decode and snap encoded points, shape ``(n, d)``, to legal configurations."""
        snapped = self.snap(self.decode(np.atleast_2d(units)))
        return [self.config_from_array(row) for row in snapped]

    def config_from_array(self, row: np.ndarray) -> HardwareConfig:
        """Build a configuration from one raw int vector in canonical order."""
        return HardwareConfig(*(int(value) for value in row))

    def sample(self, n: int, rng: np.random.Generator) -> list[HardwareConfig]:
        """Draw ``n`` configurations uniformly over the legal lattice."""
        columns = [rng.choice(parameter.values, size=n) for parameter in self.parameters]
        stacked = np.stack(columns, axis=1)
        return [self.config_from_array(row) for row in stacked]

    def _check_width(self, array: np.ndarray) -> None:
        if array.shape[-1:] != (self.dimension,):
            raise ValueError(
                f"Expected the last axis to hold {self.dimension} design parameters "
                f"({', '.join(self.names)}), but got shape {array.shape}."
            )

    def to_dict(self) -> dict[str, object]:
        """Describe the space as plain data (stored in runs and model checkpoints)."""
        return {
            "name": self.name,
            "parameters": [
                {"name": p.name, "values_low": p.low, "values_high": p.high, "size": p.size, "range": p.describe_range()}
                for p in self.parameters
            ],
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DesignSpace):
            return NotImplemented
        return all(
            np.array_equal(mine.values, theirs.values)
            for mine, theirs in zip(self.parameters, other.parameters)
        )

    def __hash__(self) -> int:
        return hash(tuple((p.name, p.low, p.high, p.size) for p in self.parameters))

    def __repr__(self) -> str:
        return f"DesignSpace(name={self.name!r}, size={self.size():.3g})"


def simba_space() -> DesignSpace:
    """Return the six-parameter Simba-like space of the VAESA paper (ISPASS 2022).

    Ranges: ``pes`` powers of two 1..64; ``macs`` 256..4096 in steps of 256;
    ``accum_buffer`` 2..256 even; ``weight_buffer`` 256..65536 in steps of
    256; ``input_buffer`` 2..4096 even; ``global_buffer`` 1024..262144 in
    steps of 1024. Buffer values are entries per instance.
    """
    return DesignSpace(
        [
            PowerOfTwo("pes", "PEs (mesh X)", "PE mesh size; no cost effect in this architecture", start=1, stop=64),
            IntRange("macs", "MAC units", "total MAC units", start=256, stop=4096, step=256),
            IntRange("accum_buffer", "entries", "accumulation-buffer entries per instance (24-bit, 128 instances)", start=2, stop=256, step=2),
            IntRange("weight_buffer", "entries", "weight-buffer entries per instance (8-bit, 128 instances)", start=256, stop=65536, step=256),
            IntRange("input_buffer", "entries", "input-buffer entries per instance (8-bit, 64 instances)", start=2, stop=4096, step=2),
            IntRange("global_buffer", "entries", "global-buffer entries (8-bit, 1 instance)", start=1024, stop=262144, step=1024),
        ],
        name="simba",
    )
