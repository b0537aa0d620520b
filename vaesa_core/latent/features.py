"""Input and target encodings of the latent model: layer features and log costs.

Both are z-scores of natural logs, with the mean and standard deviation of
the training data stored in the checkpoint, so training and inference always
normalise the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaesa_core.workloads.layer import Layer

__all__ = ["LAYER_FEATURE_NAMES", "LayerFeatureEncoding", "TargetScaling"]

#: Layer numbers fed to the predictor, in order (``Layer.features``).
LAYER_FEATURE_NAMES: tuple[str, ...] = ("R", "S", "P", "Q", "C", "K", "N", "stride_w", "stride_h")


def _safe_std(values: np.ndarray) -> np.ndarray:
    # A feature that never varies in the training layers (N is always 1)
    # keeps scale 1, so its z-score is just the offset from the mean.
    std = values.std(axis=0)
    return np.where(std > 1e-12, std, 1.0)


@dataclass(frozen=True)
class LayerFeatureEncoding:
    """The z-scored natural log of each layer dimension.

    ``f_i = (ln(x_i) - mean_i) / std_i`` for the nine numbers of
    ``LAYER_FEATURE_NAMES``.

    Attributes:
        mean: Mean of ln(x_i) over the training layers, length 9.
        std: Standard deviation of ln(x_i) over the training layers (1 where
            constant), length 9.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __post_init__(self) -> None:
        width = len(LAYER_FEATURE_NAMES)
        if len(self.mean) != width or len(self.std) != width:
            raise ValueError(
                f"LayerFeatureEncoding needs {width} means and standard deviations "
                f"({', '.join(LAYER_FEATURE_NAMES)}), but got {len(self.mean)} and {len(self.std)}."
            )

    @classmethod
    def fit(cls, raw: np.ndarray) -> LayerFeatureEncoding:
        """Fit the encoding to raw layer numbers, shape ``(n, 9)``."""
        logs = np.log(np.asarray(raw, dtype=float))
        return cls(tuple(logs.mean(axis=0).tolist()), tuple(_safe_std(logs).tolist()))

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Encode raw layer numbers, shape ``(n, 9)``, to float32 features of the same shape."""
        logs = np.log(np.asarray(raw, dtype=float))
        return ((logs - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)

    def encode_layers(self, layers: Sequence[Layer]) -> np.ndarray:
        """Encode layers to features, shape ``(len(layers), 9)``."""
        return self.transform(np.stack([layer.features() for layer in layers]))

    def to_dict(self) -> dict[str, object]:
        """Describe the encoding as plain data for the checkpoint."""
        return {"names": list(LAYER_FEATURE_NAMES), "transform": "ln-zscore", "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LayerFeatureEncoding:
        """Rebuild the encoding from ``to_dict`` output."""
        return cls(tuple(data["mean"]), tuple(data["std"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class TargetScaling:
    """The z-score of ln(cycles) and ln(energy in pJ) the predictor outputs.

    Attributes:
        mean: Mean of (ln cycles, ln pJ) over the valid training rows.
        std: Standard deviation of (ln cycles, ln pJ) over the same rows.
    """

    mean: tuple[float, float]
    std: tuple[float, float]

    @classmethod
    def fit(cls, cycles: np.ndarray, energy_pj: np.ndarray) -> TargetScaling:
        """Fit the scaling to valid costs (positive and finite)."""
        logs = np.stack([np.log(cycles), np.log(energy_pj)], axis=1)
        mean = logs.mean(axis=0)
        std = _safe_std(logs)
        return cls((float(mean[0]), float(mean[1])), (float(std[0]), float(std[1])))

    def transform(self, cycles: np.ndarray, energy_pj: np.ndarray) -> np.ndarray:
        """Return z-scored (ln cycles, ln pJ), shape ``(n, 2)``, float32."""
        logs = np.stack([np.log(cycles), np.log(energy_pj)], axis=1)
        return ((logs - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)

    def to_dict(self) -> dict[str, object]:
        """Describe the scaling as plain data for the checkpoint."""
        return {"targets": ["ln_cycles", "ln_energy_pj"], "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TargetScaling:
        """Rebuild the scaling from ``to_dict`` output."""
        mean = data["mean"]
        std = data["std"]
        return cls((float(mean[0]), float(mean[1])), (float(std[0]), float(std[1])))  # type: ignore[index]
