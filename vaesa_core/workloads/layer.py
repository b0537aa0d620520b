"""A convolution or fully connected layer in Timeloop's cnn-layer notation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Layer", "LAYER_DIMS", "COUNT_KEYS"]

#: Loop dimensions of a layer, in the order Timeloop and CoSA use.
LAYER_DIMS: tuple[str, ...] = ("R", "S", "P", "Q", "C", "K", "N")

#: Spellings of a layer's repeat count in workload files (lower case).
COUNT_KEYS: tuple[str, ...] = ("count", "repeat", "repeats")

_FIELD_ALIASES = {
    "stride": ("stride_w", "stride_h"),
    "wstride": ("stride_w",),
    "hstride": ("stride_h",),
    "dilation": ("dilation_w", "dilation_h"),
    "wdilation": ("dilation_w",),
    "hdilation": ("dilation_h",),
}


@dataclass(frozen=True)
class Layer:
    """One layer; a fully connected layer is ``R = S = P = Q = 1``.

    Attributes:
        R: Filter width (Timeloop's R, paired with P and the W stride).
        S: Filter height (paired with Q and the H stride).
        P: Output width.
        Q: Output height.
        C: Input channels.
        K: Output channels.
        N: Batch size.
        stride_w: Stride along the P/R axis.
        stride_h: Stride along the Q/S axis.
        dilation_w: Dilation along the P/R axis.
        dilation_h: Dilation along the Q/S axis.
        name: Optional label; not part of equality, so two layers with the
            same shape are the same layer.
    """

    R: int
    S: int
    P: int
    Q: int
    C: int
    K: int
    N: int = 1
    stride_w: int = 1
    stride_h: int = 1
    dilation_w: int = 1
    dilation_h: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        for field_name in (*LAYER_DIMS, "stride_w", "stride_h", "dilation_w", "dilation_h"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"Layer {field_name} must be a positive integer, but got {value!r}"
                    f"{f' in layer {self.name!r}' if self.name else ''}."
                )
            object.__setattr__(self, field_name, int(value))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return self.shape_key() == other.shape_key()

    def __hash__(self) -> int:
        return hash(self.shape_key())

    @property
    def dims(self) -> dict[str, int]:
        """Return the seven loop bounds by name (R, S, P, Q, C, K, N)."""
        return {dim: getattr(self, dim) for dim in LAYER_DIMS}

    @property
    def macs(self) -> int:
        """Return the multiply-accumulate count R*S*P*Q*C*K*N."""
        total = 1
        for dim in LAYER_DIMS:
            total *= getattr(self, dim)
        return total

    @property
    def is_fc(self) -> bool:
        return self.R == self.S == self.P == self.Q == 1

    def shape_key(self) -> tuple[int, ...]:
        """Return the 11 integers that identify the layer's shape."""
        return (
            self.R, self.S, self.P, self.Q, self.C, self.K, self.N,
            self.stride_w, self.stride_h, self.dilation_w, self.dilation_h,
        )

    def key(self) -> str:
        """Return the data set's name for the layer: ``R_S_P_Q_C_K_N_Ws_Hs_Wd_Hd``."""
        return "_".join(str(value) for value in self.shape_key())

    def label(self) -> str:
        """Return the name if set, else the shape key."""
        return self.name or self.key()

    def input_width(self) -> int:
        """Return the input width W = (P - 1) * stride_w + (R - 1) * dilation_w + 1."""
        return (self.P - 1) * self.stride_w + (self.R - 1) * self.dilation_w + 1

    def input_height(self) -> int:
        """Return the input height H = (Q - 1) * stride_h + (S - 1) * dilation_h + 1."""
        return (self.Q - 1) * self.stride_h + (self.S - 1) * self.dilation_h + 1

    def features(self) -> np.ndarray:
        """Return the 9 numbers R, S, P, Q, C, K, N, stride_w, stride_h (float64)."""
        return np.array(self.shape_key()[:9], dtype=float)

    def to_dict(self) -> dict[str, object]:
        """Return the layer as plain data, readable back by ``Layer.from_mapping``."""
        data: dict[str, object] = {dim: getattr(self, dim) for dim in LAYER_DIMS}
        data.update(
            stride_w=self.stride_w, stride_h=self.stride_h,
            dilation_w=self.dilation_w, dilation_h=self.dilation_h,
        )
        if self.name:
            data["name"] = self.name
        return data

    @classmethod
    def from_key(cls, key: str, *, name: str = "") -> Layer:
        """Parse a data-set key ``R_S_P_Q_C_K_N_Ws_Hs[_Wd_Hd]``."""
        parts = key.split("_")
        if len(parts) not in (9, 11) or not all(part.isdigit() for part in parts):
            raise ValueError(
                f"Layer key {key!r} must be 9 or 11 integers joined by '_' "
                "(R_S_P_Q_C_K_N_Wstride_Hstride[_Wdilation_Hdilation])."
            )
        numbers = [int(part) for part in parts] + [1, 1][: 11 - len(parts)]
        return cls(*numbers, name=name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, where: str = "layer", with_count: bool = True) -> Layer:
        """Build a layer from a mapping with keys R..N and optional strides.

        Accepted spellings: ``stride`` (both axes), ``stride_w``/``Wstride``,
        ``stride_h``/``Hstride``, and likewise ``dilation``. Missing R, S,
        P, Q default to 1 (FC layers); C and K are required. With
        ``with_count`` (workload files), a repeat count (``count``,
        ``repeat``, ``repeats``) is accepted and left to the caller;
        without it, such a key is unknown.

        Raises:
            ValueError: A key is unknown, required keys are missing or a
                value is not a positive integer; ``where`` is named.
        """
        values: dict[str, object] = {}
        # The input keys that set each field, so that two spellings of one
        # field that disagree (``stride`` and ``stride_w``) can be reported.
        sources: dict[str, list[str]] = {}
        name = ""
        for raw_key, value in data.items():
            key = str(raw_key)
            if key == "name":
                name = str(value)
            elif key in LAYER_DIMS or key in ("stride_w", "stride_h", "dilation_w", "dilation_h"):
                values[key] = value
                sources.setdefault(key, []).append(key)
            elif key.lower() in _FIELD_ALIASES:
                for target in _FIELD_ALIASES[key.lower()]:
                    values.setdefault(target, value)
                    sources.setdefault(target, []).append(key)
            elif with_count and key.lower() in COUNT_KEYS:
                continue
            else:
                expected = "R, S, P, Q, C, K, N, stride, stride_w, stride_h, dilation, dilation_w, dilation_h, name"
                if with_count:
                    expected += ", count (or repeat)"
                raise ValueError(f"{where}: unknown layer field {key!r}; expected {expected}.")
        missing = [required for required in ("C", "K") if required not in values]
        if missing:
            raise ValueError(f"{where}: missing layer field(s) {', '.join(map(repr, missing))} (R, S, P, Q and N default to 1).")
        for dim in ("R", "S", "P", "Q", "N"):
            values.setdefault(dim, 1)
        converted: dict[str, int] = {}
        for key, value in values.items():
            # Name the field as the user spelled it (``stride``, not ``stride_w``).
            spelling = sources.get(key, [key])[0]
            invalid = f"{where}: field {spelling!r} must be a positive integer, but got {value!r}."
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(invalid)
            try:
                number = float(value)
            except ValueError:
                raise ValueError(invalid) from None
            if not number.is_integer() or number < 1:
                raise ValueError(invalid)
            converted[key] = int(number)
        _check_agreeing_spellings(data, sources, where)
        return cls(**converted, name=name)  # type: ignore[arg-type]


def _check_agreeing_spellings(data: Mapping[str, object], sources: dict[str, list[str]], where: str) -> None:
    """Raise ValueError when two spellings of one field give different values.

    ``stride=2, stride_w=3`` sets ``stride_w`` twice. Silently keeping one
    of them would score another layer than the user meant.
    """
    for field_name, keys in sources.items():
        if len(keys) < 2:
            continue
        values_by_key = {key: data[key] for key in keys}
        numbers = set()
        for value in values_by_key.values():
            try:
                numbers.add(float(value))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                numbers.add(float("nan"))
        if len(numbers) > 1 or any(number != number for number in numbers):
            listed = ", ".join(f"{key}={value}" for key, value in values_by_key.items())
            raise ValueError(f"{where}: {listed} set field {field_name!r} to different values; set it once.")

