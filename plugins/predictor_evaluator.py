"""The ``predictor`` evaluator: costs estimated by a latent model's predictor.

Each design is encoded to its latent mean, and the predictor returns ln
cycles and ln pJ for each layer. No cost model or mapper runs, so every cost
is an estimate (``LayerCost.estimate`` is True). Options: ``model=PATH`` selects a
checkpoint written by ``vaesa train`` (default: the shipped model).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from vaesa_core.evaluation import Evaluator, LayerCost, group_pairs_by_layer
from vaesa_core.hookspecs import hookimpl
from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.latent.model import LatentModel
from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer

_logger = logging.getLogger(__name__)

_KNOWN_OPTIONS = ("model",)


class PredictorEvaluator(Evaluator):
    """Score (design, layer) pairs with a trained latent model's cost predictor.

    Args:
        model: The loaded latent model.
        model_path: Where the model came from, for ``describe``.
    """

    name = "predictor"
    estimate = True

    def __init__(self, model: LatentModel, *, model_path: str = "default") -> None:
        self.model = model
        self.model_path = model_path

    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        costs: list[LayerCost | None] = [None] * len(pairs)
        for layer, indices in group_pairs_by_layer(pairs).items():
            configs = [pairs[index][0] for index in indices]
            cycles, energy_pj = self.model.predict_costs(configs, [layer])
            for row, index in enumerate(indices):
                costs[index] = LayerCost(float(cycles[row, 0]), float(energy_pj[row, 0]), estimate=True)
                _logger.debug("%s on %s: %.0f cycles, %.4g pJ (predicted)", configs[row].label(), layer.label(), cycles[row, 0], energy_pj[row, 0])
        return costs  # type: ignore[return-value]

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "estimate": True, "model": self.model_path}


def make_predictor_evaluator(design_space=None, mapper=None, model=None, **options):
    """Build a ``PredictorEvaluator`` from ``model`` (a path; None for the shipped model).

    The predictor runs no mapper, so naming one is an error.

    Raises:
        ValueError: A mapper or an option other than ``model`` is given.
        ModelMismatchError: The model was trained on another design space.
        FileNotFoundError: The checkpoint does not exist.
    """
    if mapper is not None:
        raise ValueError(
            f"The predictor evaluator runs no mapper, so --mapper {mapper} does not apply; drop --mapper, or use "
            "--evaluator analytical to map with it."
        )
    if options:
        raise ValueError(
            f"Evaluator 'predictor' got unknown option(s) {', '.join(map(repr, sorted(options)))}; "
            f"known options: {', '.join(_KNOWN_OPTIONS)} (e.g. --evaluator-option model=PATH)."
        )
    loaded = load_default_model(model or None, design_space=design_space or simba_space())
    return PredictorEvaluator(loaded, model_path=str(model) if model else "default")


# One-line help of each setting, shown by ``vaesa plugins``.
make_predictor_evaluator.options = {  # type: ignore[attr-defined]
    "model": "latent model checkpoint whose predictor gives the costs (default: the shipped model)",
}


@hookimpl
def vaesa_register_evaluators():
    return {"predictor": make_predictor_evaluator}
