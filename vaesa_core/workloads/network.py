"""Networks: ordered unique layers with repeat counts, and how costs add up."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vaesa_core.workloads.layer import Layer

__all__ = ["Network", "Aggregation"]


class Aggregation(str, enum.Enum):
    """How per-layer costs add up to a network cost.

    ``WEIGHTED`` multiplies each unique layer by its repeat count (the real
    network). ``UNIQUE`` sums each unique layer once, as the published VAESA
    data and scripts do; use it to compare with published numbers.
    """

    WEIGHTED = "weighted"
    UNIQUE = "unique"


@dataclass(frozen=True)
class Network:
    """A workload: unique layers in order, each with how often it occurs.

    Attributes:
        name: Identifier, e.g. ``"resnet50"``.
        layers: Unique layers in network order.
        counts: Repeat count of each layer (same length as ``layers``).
        description: One line shown by ``vaesa workloads``.
    """

    name: str
    layers: tuple[Layer, ...]
    counts: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError(f"Network {self.name!r} has no layers.")
        if len(self.layers) != len(self.counts):
            raise ValueError(
                f"Network {self.name!r} has {len(self.layers)} layers but {len(self.counts)} counts."
            )
        for layer, count in zip(self.layers, self.counts):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(
                    f"Network {self.name!r}: layer {layer.label()} needs a positive integer count, "
                    f"but got {count!r}."
                )
        if len(set(self.layers)) != len(self.layers):
            raise ValueError(
                f"Network {self.name!r} lists a layer shape twice; list each unique layer once "
                "and give it a repeat count."
            )

    @classmethod
    def from_layers(cls, name: str, layers: Iterable[Layer], *, description: str = "") -> Network:
        """Build a network from a layer sequence, merging repeated shapes into counts."""
        order: list[Layer] = []
        counts: dict[Layer, int] = {}
        for layer in layers:
            if layer not in counts:
                order.append(layer)
                counts[layer] = 0
            counts[layer] += 1
        return cls(name, tuple(order), tuple(counts[layer] for layer in order), description)

    @property
    def total_layers(self) -> int:
        """Return the layer count with repeats."""
        return sum(self.counts)

    def weights(self, aggregation: Aggregation | str = Aggregation.WEIGHTED) -> tuple[int, ...]:
        """Return the multiplier of each unique layer under ``aggregation``."""
        if Aggregation(aggregation) is Aggregation.UNIQUE:
            return tuple(1 for _ in self.layers)
        return self.counts

    def total_macs(self, aggregation: Aggregation | str = Aggregation.WEIGHTED) -> int:
        return sum(layer.macs * weight for layer, weight in zip(self.layers, self.weights(aggregation)))

    def subset(self, indices: Sequence[int]) -> Network:
        """Return a network of the chosen unique layers (keeping counts)."""
        return Network(
            self.name,
            tuple(self.layers[i] for i in indices),
            tuple(self.counts[i] for i in indices),
            self.description,
        )

    def to_dict(self) -> dict[str, object]:
        """Return plain data readable by ``vaesa_core.workloads.load_workload_file``."""
        layers = []
        for layer, count in zip(self.layers, self.counts):
            entry = layer.to_dict()
            entry["count"] = count
            layers.append(entry)
        return {"name": self.name, "description": self.description, "layers": layers}
