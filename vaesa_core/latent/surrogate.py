"""The differentiable surrogate of the original (encoded) design space.

The latent model's predictor only reads latent means, so a relaxed design
``x`` in [0, 1]^6 (the normalised log2 encoding, not snapped) is first mapped
to its encoder mean and then scored by the predictor. Both spaces therefore
share one trained predictor, and gradient descent in the original space
differentiates through the encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from vaesa_core.evaluation.objective import Objective
from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.space.design_space import DesignSpace
from vaesa_core.workloads.network import Network

__all__ = ["original_space_surrogate"]


def original_space_surrogate(
    design_space: DesignSpace,
    workload: Network,
    objective: Objective,
    *,
    model_path: str | Path | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return a torch function from encoded designs ``(n, 6)`` to predicted ln objective ``(n,)``.

    Points are clamped to [0, 1] before encoding, because the encoder was
    only trained on that box. Network costs are summed over unique layers
    weighted by repeat counts.

    Args:
        design_space: The searched space; it must equal the model's.
        workload: Network to score.
        objective: Objective whose ln the function returns.
        model_path: Checkpoint to use; None uses the shipped default model.

    Raises:
        ModelMismatchError: The model was trained on another design space.
        FileNotFoundError: The checkpoint does not exist.
    """
    model = load_default_model(model_path, design_space=design_space)
    latent_objective = model.latent_objective(workload, Objective(objective))

    def predicted_log_objective(units: torch.Tensor) -> torch.Tensor:
        return latent_objective(model.encode_units(units.clamp(0.0, 1.0)))

    return predicted_log_objective
