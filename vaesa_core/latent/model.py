"""A trained latent model: networks plus every encoding needed to use them.

``LatentModel`` bundles the torch networks with the design space they were
trained on, the layer-feature encoding, the target scaling and the latent box,
so encoding, decoding and cost prediction need nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from vaesa_core.evaluation.objective import Objective
from vaesa_core.latent.features import LayerFeatureEncoding, TargetScaling
from vaesa_core.latent.network import LatentNetwork
from vaesa_core.space.design_space import DesignSpace, HardwareConfig
from vaesa_core.workloads.layer import Layer
from vaesa_core.workloads.network import Aggregation, Network

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LatentModel", "network_log_objective"]


def network_log_objective(
    log_cycles: torch.Tensor, log_energy_pj: torch.Tensor, weights: torch.Tensor, objective: Objective
) -> torch.Tensor:
    """Return ln of a network objective from per-layer log costs.

    Network cycles and energy are weighted sums over unique layers,
    ``C = sum_l w_l exp(c_l)`` and ``E = sum_l w_l exp(e_l)``, where ``c_l``
    and ``e_l`` are ln cycles and ln pJ of layer ``l`` and ``w_l`` its repeat
    count. The result is ``ln C`` (latency), ``ln E`` (energy) or
    ``ln C + ln E`` (EDP), computed with log-sum-exp for stability.

    Args:
        log_cycles: ln cycles per layer, shape ``(n, L)``.
        log_energy_pj: ln pJ per layer, shape ``(n, L)``.
        weights: Positive layer weights, shape ``(L,)``.
        objective: Which objective.

    Returns:
        Shape ``(n,)``.
    """
    log_weights = torch.log(weights.to(log_cycles.dtype))
    network_cycles = torch.logsumexp(log_cycles + log_weights, dim=-1)
    network_energy = torch.logsumexp(log_energy_pj + log_weights, dim=-1)
    if objective is Objective.LATENCY:
        return network_cycles
    if objective is Objective.ENERGY:
        return network_energy
    return network_cycles + network_energy


@dataclass
class LatentModel:
    """A trained VAE with its cost predictor.

    Attributes:
        network: The torch modules (kept in eval mode).
        design_space: Space the model was trained on.
        layer_encoding: How layers become predictor inputs.
        target_scaling: How predictor outputs map back to ln cycles and ln pJ.
        latent_lower: Lower corner of the latent box, shape ``(latent_dim,)``.
        latent_upper: Upper corner of the latent box, shape ``(latent_dim,)``.
        metadata: Training settings and measured quality (JSON-ready).
    """

    network: LatentNetwork
    design_space: DesignSpace
    layer_encoding: LayerFeatureEncoding
    target_scaling: TargetScaling
    latent_lower: np.ndarray
    latent_upper: np.ndarray
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.network.eval()

    @property
    def latent_dim(self) -> int:
        return self.network.shape.latent_dim

    # -- design <-> latent ----------------------------------------------------

    def encode_units(self, units: torch.Tensor) -> torch.Tensor:
        """Return latent means, shape ``(n, latent_dim)``, of encoded designs ``(n, 6)`` in [0, 1] (differentiable)."""
        mean, _ = self.network.encode(units.to(torch.float32))
        return mean.to(units.dtype)

    def encode_configs(self, configs: Sequence[HardwareConfig] | np.ndarray) -> np.ndarray:
        """Return latent means, shape ``(n, latent_dim)``, of raw designs (configs or an ``(n, 6)`` array)."""
        raw = np.stack([c.as_array() for c in configs]) if not isinstance(configs, np.ndarray) else configs
        units = torch.as_tensor(self.design_space.encode(raw), dtype=torch.float32)
        with torch.no_grad():
            return self.encode_units(units).numpy().astype(float)

    def decode_units(self, latent: np.ndarray) -> np.ndarray:
        """Return encoded designs in [0, 1], shape ``(n, 6)``, for latent points ``(n, latent_dim)``."""
        tensor = torch.as_tensor(np.atleast_2d(latent), dtype=torch.float32)
        with torch.no_grad():
            return self.network.decode(tensor).numpy().astype(float)

    def decode_raw(self, latent: np.ndarray) -> np.ndarray:
        """Return legal raw designs, int64 ``(n, 6)``, for latent points: decode, then ``DesignSpace.snap``."""
        return self.design_space.snap(self.design_space.decode(self.decode_units(latent)))

    def decode_configs(self, latent: np.ndarray) -> list[HardwareConfig]:
        """Return legal configurations for latent points ``(n, latent_dim)``."""
        return [self.design_space.config_from_array(row) for row in self.decode_raw(latent)]

    # -- cost prediction --------------------------------------------------------

    def layer_features(self, layers: Sequence[Layer], *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Return encoded layers, shape ``(L, 9)``."""
        return torch.as_tensor(self.layer_encoding.encode_layers(layers), dtype=dtype)

    def predict_log_costs(self, latent: torch.Tensor, layer_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return predicted ln cycles and ln pJ, each ``(n, L)``, for latent means ``(n, d)`` and layers ``(L, 9)`` (differentiable)."""
        scaled = self.network.predict(latent.to(torch.float32)[:, None, :], layer_features.to(torch.float32)[None, :, :])
        mean = torch.as_tensor(self.target_scaling.mean, dtype=scaled.dtype)
        std = torch.as_tensor(self.target_scaling.std, dtype=scaled.dtype)
        logs = (scaled * std + mean).to(latent.dtype)
        return logs[..., 0], logs[..., 1]

    def predict_costs(self, configs: Sequence[HardwareConfig] | np.ndarray, layers: Sequence[Layer]) -> tuple[np.ndarray, np.ndarray]:
        """Return predicted cycles and pJ, each ``(n_designs, n_layers)``, of raw designs on layers."""
        latent = torch.as_tensor(self.encode_configs(configs), dtype=torch.float32)
        with torch.no_grad():
            log_cycles, log_energy = self.predict_log_costs(latent, self.layer_features(layers))
        return np.exp(log_cycles.numpy().astype(float)), np.exp(log_energy.numpy().astype(float))

    def latent_objective(
        self, workload: Network, objective: Objective, *, aggregation: Aggregation | str = Aggregation.WEIGHTED
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """Return a torch function from latent points ``(n, d)`` to predicted ln objective ``(n,)``.

        Layers are weighted by repeat count (``aggregation="weighted"``, as
        the runner sums networks) or counted once (``"unique"``).
        """
        features = self.layer_features(workload.layers)
        weights = torch.as_tensor(workload.weights(aggregation), dtype=torch.float64)
        objective = Objective(objective)

        def predicted_log_objective(latent: torch.Tensor) -> torch.Tensor:
            log_cycles, log_energy = self.predict_log_costs(latent, features)
            return network_log_objective(log_cycles, log_energy, weights, objective)

        return predicted_log_objective
