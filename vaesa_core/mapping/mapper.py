"""The Mapper interface: choose and score one mapping per (design, layer) pair."""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from vaesa_core.evaluation.cost import LayerCost, Status
from vaesa_core.mapping.mapping import Mapping
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import Layer

__all__ = ["Mapper", "MapperResult"]


@dataclass(frozen=True)
class MapperResult:
    """The mapping a mapper chose for one design and its cost.

    Attributes:
        mapping: The chosen mapping, or None when no legal mapping was found.
        cycles: Latency in cycles (``inf`` unless ``status`` is ``OK``).
        energy_pj: Energy in pJ (``inf`` unless ``status`` is ``OK``).
        status: ``OK``, or ``INFEASIBLE`` when no legal mapping exists (the
            reason names the level that overflows), ``TIMEOUT`` when the
            search timed out before finding one, ``FAILED`` otherwise.
        reason: Why the result is not ``OK``, or a remark such as a time
            limit hit after a mapping was found.
    """

    mapping: Mapping | None = field(compare=False)
    cycles: float
    energy_pj: float
    status: Status = Status.OK
    reason: str = ""

    @property
    def valid(self) -> bool:
        return self.status is Status.OK and math.isfinite(self.cycles) and math.isfinite(self.energy_pj)

    @property
    def edp(self) -> float:
        """Return the energy-delay product in cycles x pJ."""
        return self.cycles * self.energy_pj

    @classmethod
    def invalid(cls, status: Status, reason: str) -> MapperResult:
        """Build a result that carries no mapping."""
        return cls(None, math.inf, math.inf, Status(status), reason)

    def to_layer_cost(self) -> LayerCost:
        """Return the result as a ``LayerCost`` that carries the mapping."""
        reason = "" if self.status is Status.OK else self.reason
        return LayerCost(
            float(self.cycles), float(self.energy_pj), self.status, reason, mapping=self.mapping
        )


class Mapper(abc.ABC):
    """Choose a mapping of a layer for each of a batch of designs and score it.

    The analytical evaluator calls ``map_layer`` once per distinct layer with
    every design that needs it, so implementations can share work across
    designs. Every returned mapping must be legal on its design: factors
    multiply back to the layer's dimensions, spatial products fit each
    level's fan-out and the kept tiles fit each level's entries
    (``vaesa_core.mapping.legality.check_mappings``). A design that no
    mapping fits gets ``Status.INFEASIBLE``; ``map_layer`` raises only for
    invalid arguments.

    Attributes:
        name: Registered name, e.g. ``"fast"``.
    """

    name: str = "mapper"

    @abc.abstractmethod
    def map_layer(self, layer: Layer, configs: Sequence[HardwareConfig]) -> list[MapperResult]:
        """Return one result per design, in order.

        Args:
            layer: The layer to map.
            configs: Designs of the Simba-like space.

        Returns:
            One ``MapperResult`` per design with the mapping, cycles and
            energy in pJ.
        """

    def describe(self) -> dict[str, object]:
        """Return settings worth recording in a run directory (JSON-ready)."""
        return {"name": self.name}
