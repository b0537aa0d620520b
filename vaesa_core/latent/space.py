"""Search in the latent coordinates of a trained model."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.latent.model import LatentModel
from vaesa_core.search.search_space import SearchSpace
from vaesa_core.space.design_space import DesignSpace, HardwareConfig

if TYPE_CHECKING:
    import torch

    from vaesa_core.evaluation.objective import Objective
    from vaesa_core.workloads.network import Network

__all__ = ["LatentSpace"]

_logger = logging.getLogger(__name__)


class LatentSpace(SearchSpace):
    """The latent space of a trained VAE, as a box optimizers search in.

    The box is the per-coordinate minimum and maximum of the encoder means
    of every design in the model's training table (validation designs
    included), so it covers all of them and little else. It is stored in
    the checkpoint. ``sample`` draws uniformly
    in the box. ``to_configs`` decodes a point with the decoder (no
    sampling) and snaps the result to the nearest legal design on the log2
    scale (``DesignSpace.snap``). Points outside the box are clipped first.

    Args:
        design_space: The space designs must be legal in; it must equal the
            model's training space.
        model: A loaded model, or the path of a checkpoint; None loads the
            shipped default model.

    Raises:
        ModelMismatchError: The model was trained on another design space.
        FileNotFoundError: The checkpoint does not exist.
    """

    name = "latent"

    def __init__(self, design_space: DesignSpace, model: LatentModel | str | Path | None = None) -> None:
        super().__init__(design_space)
        if isinstance(model, LatentModel):
            if model.design_space.to_dict()["parameters"] != design_space.to_dict()["parameters"]:
                from vaesa_core.errors import ModelMismatchError

                raise ModelMismatchError(
                    "The latent model was trained on another design space than the one searched; "
                    "use a model trained on this space, or train one with 'vaesa train'."
                )
            self.model = model
            self.model_path: str | None = None
        else:
            self.model = load_default_model(model, design_space=design_space)
            self.model_path = str(model) if model is not None else "default"
        _logger.info("Latent space of dimension %d from model %s", self.dimension, self.model_path or "(in memory)")

    @property
    def dimension(self) -> int:
        return self.model.latent_dim

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.model.latent_lower.copy(), self.model.latent_upper.copy()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lower, upper = self.bounds
        return rng.uniform(lower, upper, size=(n, self.dimension))

    def to_configs(self, points: np.ndarray) -> list[HardwareConfig]:
        points = self.clip(np.atleast_2d(np.asarray(points, dtype=float)))
        return self.model.decode_configs(points)

    def from_configs(self, configs: list[HardwareConfig]) -> np.ndarray:
        """Return the encoder means of ``configs``, clipped into the box."""
        return self.clip(self.model.encode_configs(configs))

    def differentiable_objective(
        self, workload: Network, objective: Objective
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """Return the predicted ln objective of ``workload`` as a torch function of latent points.

        The function maps latent points ``(n, dimension)`` to ``(n,)``. Network
        cycles and energy are sums over unique layers weighted by repeat
        counts, as the runner sums networks by default.
        """
        return self.model.latent_objective(workload, objective)

    def describe(self) -> dict[str, object]:
        data = super().describe()
        data["model"] = self.model_path or "(in memory)"
        data["latent_dim"] = self.dimension
        return data
