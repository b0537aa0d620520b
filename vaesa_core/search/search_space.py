"""Search spaces: the coordinates an optimizer moves in."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from vaesa_core.errors import UnsupportedError
from vaesa_core.space.design_space import DesignSpace, HardwareConfig

if TYPE_CHECKING:
    import torch

    from vaesa_core.evaluation.objective import Objective
    from vaesa_core.workloads.network import Network

__all__ = ["SearchSpace", "OriginalSpace"]


class SearchSpace(abc.ABC):
    """A box of real coordinates that maps onto legal hardware designs.

    Optimizers only see points: float vectors of length ``dimension`` inside
    ``bounds``. ``to_config`` turns any point in the box into a legal
    ``HardwareConfig`` (decoding and snapping), so every suggestion can be
    evaluated.

    Attributes:
        name: Registered name, e.g. ``"original"`` or ``"latent"``.
        design_space: The design space that points decode into.
    """

    name: str = "space"

    def __init__(self, design_space: DesignSpace) -> None:
        self.design_space = design_space

    @property
    @abc.abstractmethod
    def dimension(self) -> int:
        """Return the number of coordinates of a point."""

    @property
    @abc.abstractmethod
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (lower, upper) float arrays of shape ``(dimension,)``."""

    @abc.abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points, shape ``(n, dimension)``, with the space's own prior."""

    @abc.abstractmethod
    def to_configs(self, points: np.ndarray) -> list[HardwareConfig]:
        """Map points, shape ``(n, dimension)``, to legal configurations."""

    def to_config(self, point: np.ndarray) -> HardwareConfig:
        """Map one point to a legal configuration."""
        return self.to_configs(np.asarray(point, dtype=float)[None, :])[0]

    def from_configs(self, configs: list[HardwareConfig]) -> np.ndarray:
        """Return points that map to (or near) ``configs``; optional.

        Raises:
            UnsupportedError: The space has no inverse map.
        """
        raise UnsupportedError(f"Search space {self.name!r} cannot map configurations back to points.")

    def clip(self, points: np.ndarray) -> np.ndarray:
        """Clip points into ``bounds``."""
        lower, upper = self.bounds
        return np.clip(np.asarray(points, dtype=float), lower, upper)

    def differentiable_objective(
        self, workload: Network, objective: Objective
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """Return a torch function from points, shape ``(n, dimension)``, to a surrogate loss, shape ``(n,)``.

        The surrogate estimates ``objective.loss`` (ln of the objective) of
        the workload; gradient-based optimizers descend it.

        Raises:
            UnsupportedError: The space has no differentiable surrogate.
        """
        raise UnsupportedError(f"Search space {self.name!r} has no differentiable surrogate.")

    def describe(self) -> dict[str, object]:
        """Return settings worth recording in a run directory (JSON-ready)."""
        lower, upper = self.bounds
        return {"name": self.name, "dimension": self.dimension, "lower": lower.tolist(), "upper": upper.tolist()}


class OriginalSpace(SearchSpace):
    """The design space itself, in its normalised log2 encoding [0, 1]^6.

    ``sample`` draws uniformly over the legal lattice (the VAESA baseline), so
    small parameters are not over-represented; ``to_configs`` decodes and
    snaps to the nearest legal value on the log scale.
    """

    name = "original"

    @property
    def dimension(self) -> int:
        return self.design_space.dimension

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.dimension), np.ones(self.dimension)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        configs = self.design_space.sample(n, rng)
        return self.from_configs(configs)

    def to_configs(self, points: np.ndarray) -> list[HardwareConfig]:
        points = self.clip(np.atleast_2d(points))
        return self.design_space.from_unit(points)

    def from_configs(self, configs: list[HardwareConfig]) -> np.ndarray:
        raw = np.stack([config.as_array() for config in configs]).astype(float)
        return self.design_space.encode(raw)

    def differentiable_objective(self, workload: Network, objective: Objective):  # type: ignore[override]
        # The surrogate of the original space is the latent model's predictor
        # applied to a relaxed (continuous) encoded design; it lives with the
        # latent model so both spaces share one trained predictor.
        try:
            from vaesa_core.latent.surrogate import original_space_surrogate
        except ImportError as error:
            raise UnsupportedError(
                f"The original space's differentiable surrogate needs the latent model package: {error}"
            ) from None
        return original_space_surrogate(self.design_space, workload, objective)
