"""The ``predictor`` evaluator: costs estimated by a latent model's predictor.

Each design is encoded to its latent mean, and the predictor returns ln
cycles and ln pJ for each layer. No cost model or mapper runs, so every cost
is an estimate (``LayerCost.estimate`` is True). Options: ``model=PATH`` selects a
checkpoint written by ``vaesa train`` (default: the shipped model).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaesa_core.evaluation import Evaluator, LayerCost, group_pairs_by_layer
from vaesa_core.hookspecs import hookimpl
from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.latent.model import LatentModel
from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer

_logger = logging.getLogger(__name__)

_KNOWN_OPTIONS = ("model",)

#: Names of the numbers compared with the training layers' range: the nine
#: layer features (R..N and the strides) and the MAC count.
_RANGE_NAMES = ("R", "S", "P", "Q", "C", "K", "N", "stride_w", "stride_h", "MACs")


def _range_numbers(layer: Layer) -> np.ndarray:
    return np.append(layer.features(), float(layer.macs))


class TrainingLayerRange:
    """The smallest and largest value of each layer number over a model's training layers.

    Built from the layer keys that ``vaesa train`` records in the model's
    metadata. A model without them has no range, so nothing is checked.

    Args:
        keys: Training layer keys (``R_S_P_Q_C_K_N_Ws_Hs[_Wd_Hd]``).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        numbers = np.stack([_range_numbers(Layer.from_key(key)) for key in keys])
        self.low = numbers.min(axis=0)
        self.high = numbers.max(axis=0)

    @classmethod
    def of_model(cls, model: LatentModel) -> TrainingLayerRange | None:
        """Return the range of ``model``'s training layers, or None when its metadata lacks them."""
        keys = model.metadata.get("layers") if isinstance(model.metadata, dict) else None
        if not isinstance(keys, list) or not keys:
            return None
        try:
            return cls([str(key) for key in keys])
        except ValueError as error:
            _logger.debug("Model metadata lists unreadable training layers (%s), so layers are not range-checked", error)
            return None

    def outside(self, layer: Layer) -> list[str]:
        """Return one phrase per number of ``layer`` outside the range, e.g. ``"MACs 4,096 (trained on 2,048,000..223,948,800)"``."""
        numbers = _range_numbers(layer)
        phrases = []
        for name, value, low, high in zip(_RANGE_NAMES, numbers, self.low, self.high):
            if not low <= value <= high:
                phrases.append(f"{name} {int(value):,} (trained on {int(low):,}..{int(high):,})")
        return phrases


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
        self.training_range = TrainingLayerRange.of_model(model)
        self._checked: set[tuple] = set()

    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        costs: list[LayerCost | None] = [None] * len(pairs)
        for layer, indices in group_pairs_by_layer(pairs).items():
            self._warn_outside_training(layer)
            configs = [pairs[index][0] for index in indices]
            cycles, energy_pj = self.model.predict_costs(configs, [layer])
            for row, index in enumerate(indices):
                costs[index] = LayerCost(float(cycles[row, 0]), float(energy_pj[row, 0]), estimate=True)
                _logger.debug("%s on %s: %.0f cycles, %.4g pJ (predicted)", configs[row].label(), layer.label(), cycles[row, 0], energy_pj[row, 0])
        return costs  # type: ignore[return-value]

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "estimate": True, "model": self.model_path}

    def _warn_outside_training(self, layer: Layer) -> None:
        """Warn once per layer shape when the layer lies outside the model's training layers."""
        key = layer.shape_key()
        if self.training_range is None or key in self._checked:
            return
        self._checked.add(key)
        phrases = self.training_range.outside(layer)
        if phrases:
            # A network predicts poorly far from its training data: FC 64->64 (4,096 MACs) got
            # 73,815 predicted cycles from the shipped model against 416 from the analytical evaluator.
            _logger.warning(
                "Layer %s lies outside the layers the predictor was trained on: %s. Its predicted costs are "
                "extrapolations and may be far off; score it with --evaluator analytical.",
                layer.label(), "; ".join(phrases),
            )


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
