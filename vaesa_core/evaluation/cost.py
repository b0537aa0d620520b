"""Cost records returned by evaluators."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

__all__ = ["Status", "LayerCost", "NetworkCost"]


class Status(str, enum.Enum):
    """Outcome of one evaluation.

    ``OK`` has finite cycles and energy. ``INFEASIBLE`` means no mapping of the
    layer fits the design (the reason names the level). ``TIMEOUT`` means the
    mapper ran out of time. ``FAILED`` covers any other error (including a
    NaN from a model). Only ``OK`` costs are valid.
    """

    OK = "ok"
    INFEASIBLE = "infeasible"
    TIMEOUT = "timeout"
    FAILED = "failed"


@dataclass(frozen=True)
class LayerCost:
    """Cost of one layer on one design.

    Attributes:
        cycles: Latency in cycles (``inf`` when not valid).
        energy_pj: Energy in picojoules (``inf`` when not valid).
        status: Outcome; see ``Status``.
        reason: Why the evaluation is not valid (empty when ``OK``).
        estimate: True when the numbers come from a learned predictor rather
            than a cost model or simulator.
        mapping: The ``vaesa_core.mapping.Mapping`` that produced the numbers,
            when the evaluator chose one (for Timeloop export); not part of
            equality.
    """

    cycles: float
    energy_pj: float
    status: Status = Status.OK
    reason: str = ""
    estimate: bool = False
    mapping: object = field(default=None, compare=False)

    @property
    def valid(self) -> bool:
        return self.status is Status.OK and math.isfinite(self.cycles) and math.isfinite(self.energy_pj)

    @property
    def edp(self) -> float:
        """Return energy-delay product in cycles x pJ."""
        return self.cycles * self.energy_pj

    @classmethod
    def invalid(cls, status: Status, reason: str) -> LayerCost:
        """Build a cost record for an evaluation that produced no numbers."""
        return cls(math.inf, math.inf, Status(status), reason)


@dataclass(frozen=True)
class NetworkCost:
    """Cost of a network on one design, summed over its layers.

    Network EDP is (sum of cycles) x (sum of energy), not a sum of per-layer
    EDPs, as in the VAESA scripts.

    Attributes:
        cycles: Summed latency in cycles.
        energy_pj: Summed energy in pJ.
        layer_costs: Per unique layer, in network order (not multiplied by
            repeat counts).
        status: ``OK`` only if every layer is ``OK``; otherwise the first
            failing layer's status.
        reason: The first failing layer's label and reason.
        estimate: True if any layer cost is an estimate.
    """

    cycles: float
    energy_pj: float
    layer_costs: tuple[LayerCost, ...]
    status: Status = Status.OK
    reason: str = ""
    estimate: bool = False

    @property
    def valid(self) -> bool:
        return self.status is Status.OK

    @property
    def edp(self) -> float:
        """Return energy-delay product in cycles x pJ."""
        return self.cycles * self.energy_pj

    def metrics(self) -> dict[str, object]:
        """Return the record as JSON-ready data (``cycles``, ``energy_pj``, ``edp``, ...)."""
        def finite_or_none(value: float) -> float | None:
            return float(value) if math.isfinite(value) else None

        return {
            "cycles": finite_or_none(self.cycles),
            "energy_pj": finite_or_none(self.energy_pj),
            "edp": finite_or_none(self.edp),
            "valid": self.valid,
            "status": self.status.value,
            "reason": self.reason,
            "estimate": self.estimate,
        }
