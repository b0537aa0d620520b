"""The torch modules of the latent model: VAE encoder, decoder and cost predictor.

Spaces:

* design space ``x``: the normalised log2 encoding ``DesignSpace.encode``,
  shape ``(n, 6)``, in [0, 1];
* latent space ``z``: shape ``(n, latent_dim)``; the prior is N(0, I);
* layer features ``f``: ``LayerFeatureEncoding`` output, shape ``(n, 9)``;
* predictions: z-scored (ln cycles, ln pJ), shape ``(n, 2)``
  (``TargetScaling``).

The predictor reads the encoder mean, not a sampled point, as in VAESA
(Huang et al., ISPASS 2022), so a design always gets one prediction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn

__all__ = ["DECODER_OUTPUTS", "NetworkShape", "LatentNetwork", "check_decoder_output"]

#: Ways the decoder bounds its output to the [0, 1] design encoding.
DECODER_OUTPUTS = ("clipped", "sigmoid")


def check_decoder_output(value: str, owner: str) -> None:
    """Raise ValueError, with ``owner`` naming the setting's class, unless ``value`` is one of ``DECODER_OUTPUTS``."""
    if value not in DECODER_OUTPUTS:
        raise ValueError(f"{owner}.decoder_output must be one of {', '.join(DECODER_OUTPUTS)}, but got {value!r}.")


@dataclass(frozen=True)
class NetworkShape:
    """Sizes of the latent model's networks.

    Attributes:
        design_dim: Design parameters (6 for the Simba-like space).
        layer_dim: Layer features (9).
        latent_dim: Latent coordinates.
        vae_hidden: Hidden widths of the encoder; the decoder mirrors them.
        predictor_hidden: Hidden widths of the cost predictor.
        decoder_output: How the decoder bounds designs to [0, 1]. With
            ``"clipped"`` its last layer is linear and the output is
            clipped. With ``"sigmoid"`` a sigmoid bounds it, which reaches
            the edges of the box only for very large inputs, so designs on
            the lattice boundary (the largest MAC count, where the best
            designs sit) decode one step inside. Checkpoints written before
            this field existed used the sigmoid.
    """

    design_dim: int = 6
    layer_dim: int = 9
    latent_dim: int = 6
    vae_hidden: tuple[int, ...] = (256, 256, 256)
    predictor_hidden: tuple[int, ...] = (256, 256, 256)
    decoder_output: str = "clipped"

    def __post_init__(self) -> None:
        if self.latent_dim < 1:
            raise ValueError(f"NetworkShape.latent_dim must be at least 1, but got {self.latent_dim!r}.")
        for name in ("vae_hidden", "predictor_hidden"):
            widths = tuple(int(width) for width in getattr(self, name))
            if not widths or min(widths) < 1:
                raise ValueError(f"NetworkShape.{name} must list positive widths, but got {widths!r}.")
            object.__setattr__(self, name, widths)
        check_decoder_output(self.decoder_output, "NetworkShape")

    def to_dict(self) -> dict[str, object]:
        """Describe the shape as plain data for the checkpoint."""
        data = asdict(self)
        data["vae_hidden"] = list(self.vae_hidden)
        data["predictor_hidden"] = list(self.predictor_hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NetworkShape:
        """Rebuild the shape from ``to_dict`` output."""
        values = dict(data)
        values["vae_hidden"] = tuple(values["vae_hidden"])  # type: ignore[arg-type]
        values["predictor_hidden"] = tuple(values["predictor_hidden"])  # type: ignore[arg-type]
        values.setdefault("decoder_output", "sigmoid")
        return cls(**values)  # type: ignore[arg-type]


def _mlp(widths: Sequence[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index in range(len(widths) - 1):
        layers.append(nn.Linear(widths[index], widths[index + 1]))
        if index < len(widths) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class LatentNetwork(nn.Module):
    """Encoder, decoder and cost predictor, trained jointly.

    Args:
        shape: Network sizes.
    """

    def __init__(self, shape: NetworkShape) -> None:
        super().__init__()
        self.shape = shape
        self.encoder = _mlp((shape.design_dim, *shape.vae_hidden, 2 * shape.latent_dim))
        self.decoder = _mlp((shape.latent_dim, *reversed(shape.vae_hidden), shape.design_dim))
        self.predictor = _mlp((shape.latent_dim + shape.layer_dim, *shape.predictor_hidden, 2))

    def encode(self, designs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the posterior mean and log-variance, each ``(n, latent_dim)``, of encoded designs ``(n, 6)``."""
        output = self.encoder(designs)
        mean, log_variance = output.chunk(2, dim=-1)
        return mean, log_variance.clamp(-12.0, 6.0)

    def reconstruct(self, latent: torch.Tensor) -> torch.Tensor:
        """Return the decoder output the reconstruction loss reads, shape ``(n, 6)``.

        With the clipped output this is not yet bounded, so the loss keeps
        its gradient for points decoded past an edge of the box.
        """
        output = self.decoder(latent)
        return torch.sigmoid(output) if self.shape.decoder_output == "sigmoid" else output

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """Return encoded designs in [0, 1], shape ``(n, 6)``, for latent points ``(n, latent_dim)``."""
        return self.reconstruct(latent).clamp(0.0, 1.0)

    def predict(self, latent: torch.Tensor, layer_features: torch.Tensor) -> torch.Tensor:
        """Return z-scored (ln cycles, ln pJ), shape ``(..., 2)``.

        Args:
            latent: Latent means, shape ``(..., latent_dim)``.
            layer_features: Encoded layers, shape ``(..., 9)``, broadcast
                against ``latent`` on the leading axes.
        """
        leading = torch.broadcast_shapes(latent.shape[:-1], layer_features.shape[:-1])
        stacked = torch.cat(
            [latent.expand(*leading, latent.shape[-1]), layer_features.expand(*leading, layer_features.shape[-1])],
            dim=-1,
        )
        return self.predictor(stacked)
