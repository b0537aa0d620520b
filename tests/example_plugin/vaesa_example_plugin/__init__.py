"""An example third-party vaesa plugin: a seeded hill climber.

The package depends only on vaesa's public API (``vaesa_core.hookspecs``
and ``vaesa_core.search``) and registers itself through the ``vaesa``
entry-point group in its ``pyproject.toml``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext

__all__ = ["HillClimber"]

__version__ = "0.1.0"

_logger = logging.getLogger(__name__)


class HillClimber(Optimizer):
    """Move to the best of Gaussian neighbours whenever it beats the current point.

    The first ask draws from the space's prior. Each later ask proposes
    ``n`` neighbours of the current point with a per-coordinate standard
    deviation of ``step`` times the coordinate's range, clipped into the
    bounds. After ``tell`` the climber moves to the best neighbour if its
    loss is lower than the current loss. All randomness comes from one
    generator seeded with ``context.seed``.

    Options: ``step``, a float in (0, 1], default 0.1.

    Args:
        context: The run's search context.

    Raises:
        ValueError: An option is unknown or out of range.
    """

    name = "example_hillclimb"

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        unknown = sorted(set(context.options) - {"step"})
        if unknown:
            raise ValueError(
                f"Optimizer 'example_hillclimb' has no option {', '.join(map(repr, unknown))}; "
                "its only option is step (a float in (0, 1])."
            )
        raw_step = context.options.get("step", 0.1)
        try:
            self.step = float(raw_step)
        except (TypeError, ValueError):
            self.step = math.nan
        if not 0.0 < self.step <= 1.0:
            raise ValueError(
                f"Option 'step' of optimizer 'example_hillclimb' must be a float in (0, 1], "
                f"but got {raw_step!r}. Pass it as --option step=0.1."
            )

        self._rng = np.random.default_rng(context.seed)
        lower, upper = (np.asarray(bound, dtype=float) for bound in self.space.bounds)
        self._lower, self._upper = lower, upper
        self._current: np.ndarray | None = None
        self._current_loss = math.inf

    def ask(self, n: int) -> np.ndarray:
        if self._current is None:
            return self.space.clip(np.asarray(self.space.sample(n, self._rng), dtype=float).reshape(n, -1))
        noise = self._rng.normal(size=(n, self.space.dimension)) * self.step * (self._upper - self._lower)
        return np.clip(self._current + noise, self._lower, self._upper)

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        best = int(np.argmin(losses))
        if losses[best] < self._current_loss:
            self._current = np.asarray(points[best], dtype=float).copy()
            self._current_loss = float(losses[best])
            _logger.debug("example_hillclimb: moved to loss %.4f", self._current_loss)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "seed": self.context.seed, "step": self.step}


@hookimpl
def vaesa_register_optimizers():
    return {"example_hillclimb": HillClimber}
