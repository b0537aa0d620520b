"""Evaluators, cost records and objectives."""

from vaesa_core.evaluation.cost import LayerCost, NetworkCost, Status
from vaesa_core.evaluation.evaluator import Evaluator, evaluate_network, group_pairs_by_layer
from vaesa_core.evaluation.objective import INITIAL_INVALID_LOSS, INVALID_LOSS_MARGIN, Objective, invalid_loss

__all__ = [
    "Evaluator",
    "INITIAL_INVALID_LOSS",
    "INVALID_LOSS_MARGIN",
    "LayerCost",
    "NetworkCost",
    "Objective",
    "Status",
    "evaluate_network",
    "invalid_loss",
    "group_pairs_by_layer",
]
