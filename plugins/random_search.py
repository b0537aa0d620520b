"""The ``random`` optimizer: independent draws from the search space's own prior.

On the original space ``OriginalSpace.sample`` draws uniformly over the legal
lattice, which is the random-search baseline of the VAESA paper (ISPASS 2022).
Every legal design is equally likely, so small parameter values are not
over-represented as they would be under a uniform draw on the log scale.
On the latent space the prior is the latent space's own ``sample``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext
from vaesa_plugins._options import OptionReader

__all__ = ["RandomSearch"]

_logger = logging.getLogger(__name__)


class RandomSearch(Optimizer):
    """Draw every point independently with ``context.space.sample``.

    The losses it is told are ignored. All draws come from one
    ``numpy.random.Generator`` seeded with ``context.seed``, so a seed and
    a batch size fix the whole sequence of points.

    Options: none.

    Args:
        context: The run's search context.
    """

    name = "random"

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        OptionReader(self.name, context.options, {}).check_unused()
        self._rng = np.random.default_rng(context.seed)

    def ask(self, n: int) -> np.ndarray:
        points = np.asarray(self.space.sample(n, self._rng), dtype=float)
        return self.space.clip(points.reshape(n, self.space.dimension))

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        _logger.debug("random: ignoring %d losses", len(losses))

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "seed": self.context.seed}


@hookimpl
def vaesa_register_optimizers():
    return {"random": RandomSearch}
