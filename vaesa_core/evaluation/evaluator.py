"""The Evaluator interface and network-level evaluation on top of it."""

from __future__ import annotations

import abc
import logging
from collections import defaultdict
from collections.abc import Sequence

from vaesa_core.evaluation.cost import LayerCost, NetworkCost, Status
from vaesa_core.space.design_space import HardwareConfig
from vaesa_core.workloads.layer import Layer
from vaesa_core.workloads.network import Aggregation, Network

__all__ = ["Evaluator", "evaluate_network", "group_pairs_by_layer"]

_logger = logging.getLogger(__name__)


class Evaluator(abc.ABC):
    """Score (hardware configuration, layer) pairs.

    An evaluator is built once per run by the factory registered under its
    name (see ``vaesa_register_evaluators``) and then called with batches.
    Implementations may group the batch by layer to vectorise over designs;
    they must return one ``LayerCost`` per pair, in order, and must not raise
    for a design that no mapping fits: that pair gets ``Status.INFEASIBLE``
    with a reason.

    Attributes:
        name: Registered name, e.g. ``"analytical"``.
        estimate: True for learned predictors, whose numbers are estimates.
    """

    name: str = "evaluator"
    estimate: bool = False

    @abc.abstractmethod
    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        """Return the cost of each (configuration, layer) pair, in order.

        Args:
            pairs: Legal configurations of the design space with layers.

        Returns:
            One ``LayerCost`` per pair: cycles, energy in pJ, validity and
            the reason when not valid.
        """

    def describe(self) -> dict[str, object]:
        """Return settings worth recording in a run directory (JSON-ready)."""
        return {"name": self.name, "estimate": self.estimate}

    def close(self) -> None:
        """Release worker pools or files; a no-op by default."""


def group_pairs_by_layer(
    pairs: Sequence[tuple[HardwareConfig, Layer]],
) -> dict[Layer, list[int]]:
    """Return, for each distinct layer, the indices of its pairs (batching helper)."""
    groups: dict[Layer, list[int]] = defaultdict(list)
    for index, (_, layer) in enumerate(pairs):
        groups[layer].append(index)
    return dict(groups)


def evaluate_network(
    evaluator: Evaluator,
    configs: Sequence[HardwareConfig],
    network: Network,
    *,
    aggregation: Aggregation | str = Aggregation.WEIGHTED,
) -> list[NetworkCost]:
    """Evaluate every configuration on every unique layer of ``network`` in one batch.

    Args:
        evaluator: The evaluator to call once with all pairs.
        configs: Designs to score.
        network: The workload.
        aggregation: ``weighted`` multiplies each unique layer by its repeat
            count; ``unique`` counts each unique layer once (the published
            VAESA sums).

    Returns:
        One ``NetworkCost`` per configuration; it is valid only if every
        layer is valid.
    """
    weights = network.weights(aggregation)
    pairs = [(config, layer) for config in configs for layer in network.layers]
    costs = evaluator.evaluate(pairs) if pairs else []
    if len(costs) != len(pairs):
        raise RuntimeError(
            f"Evaluator {evaluator.name!r} returned {len(costs)} costs for {len(pairs)} pairs."
        )

    results = []
    per_design = len(network.layers)
    for design_index in range(len(configs)):
        layer_costs = tuple(costs[design_index * per_design : (design_index + 1) * per_design])
        results.append(_sum_layers(network, layer_costs, weights))
    return results


def _sum_layers(network: Network, layer_costs: tuple[LayerCost, ...], weights: tuple[int, ...]) -> NetworkCost:
    estimate = any(cost.estimate for cost in layer_costs)
    for layer, cost in zip(network.layers, layer_costs):
        if not cost.valid:
            status = cost.status if cost.status is not Status.OK else Status.FAILED
            reason = f"layer {layer.label()}: {cost.reason or 'non-finite cost'}"
            return NetworkCost(float("inf"), float("inf"), layer_costs, status, reason, estimate)
    cycles = sum(cost.cycles * weight for cost, weight in zip(layer_costs, weights))
    energy = sum(cost.energy_pj * weight for cost, weight in zip(layer_costs, weights))
    return NetworkCost(float(cycles), float(energy), layer_costs, Status.OK, "", estimate)
