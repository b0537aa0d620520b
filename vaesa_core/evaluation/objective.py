"""Objectives: which cost a search minimises, and the loss optimizers see."""

from __future__ import annotations

import enum
import math

from vaesa_core.evaluation.cost import NetworkCost

__all__ = ["Objective", "INVALID_LOSS_MARGIN", "INITIAL_INVALID_LOSS", "invalid_loss"]

#: Penalty rule for invalid evaluations: the loss of an invalid design is the
#: worst valid loss seen so far in the run plus this margin (natural-log
#: units, so e times worse than the worst valid design).
INVALID_LOSS_MARGIN = 1.0

#: Loss of an invalid design when no valid one has been seen yet. It lies above
#: ln(EDP) of any design in the default space (about 60 for the largest
#: networks).
INITIAL_INVALID_LOSS = 100.0


def invalid_loss(worst_valid_loss: float) -> float:
    """Return the loss of an invalid design, given the worst valid loss of the run so far.

    Pass ``-math.inf`` (or any non-finite value) when no valid design has been seen.
    """
    if math.isfinite(worst_valid_loss):
        return worst_valid_loss + INVALID_LOSS_MARGIN
    return INITIAL_INVALID_LOSS


class Objective(str, enum.Enum):
    """The metric to minimise: ``edp`` (cycles x pJ), ``latency`` (cycles) or ``energy`` (pJ)."""

    EDP = "edp"
    LATENCY = "latency"
    ENERGY = "energy"

    def measure(self, cost: NetworkCost) -> float:
        """Return the raw objective value of ``cost`` (``inf`` when invalid)."""
        if not cost.valid:
            return math.inf
        if self is Objective.LATENCY:
            return float(cost.cycles)
        if self is Objective.ENERGY:
            return float(cost.energy_pj)
        return float(cost.edp)

    def loss(self, cost: NetworkCost) -> float:
        """Return ln(objective value), the quantity optimizers minimise; ``nan`` when invalid.

        For EDP this is ln(cycles) + ln(energy_pj), so a sum of log latency and
        log energy is the same number.
        """
        value = self.measure(cost)
        if not math.isfinite(value) or value <= 0:
            return math.nan
        return math.log(value)
