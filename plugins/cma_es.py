"""The ``cma`` optimizer: CMA-ES from Nevergrad, chosen by name.

CMA-ES: Hansen and Ostermeier, "Completely Derandomized Self-Adaptation in
Evolution Strategies", Evolutionary Computation 9(2), 2001.

The optimizer is looked up as ``nevergrad.optimizers.registry["CMA"]`` (or
``"DiagonalCMA"``), never ``NGOpt``: in nevergrad 1.0.12 with numpy 2.4,
NGOpt may pick a meta-model optimizer that raises and then leaves a
non-daemon thread that keeps the interpreter from exiting.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from vaesa_core.evaluation.objective import invalid_loss
from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext
from vaesa_plugins._options import OptionReader

__all__ = ["CovarianceMatrixAdaptation"]

_logger = logging.getLogger(__name__)

#: Nevergrad registry names this plugin accepts for ``variant``.
VARIANTS: tuple[str, ...] = ("CMA", "DiagonalCMA")

#: Options of ``cma`` with their help text.
OPTIONS: dict[str, str] = {
    "variant": f"Nevergrad optimizer name: {' or '.join(VARIANTS)} (default CMA)",
    "sigma": "initial step size as a fraction of each coordinate's range (default 1/6)",
    "start": "initial mean: center of the box, or sample (one draw from the space's prior) (default center)",
}


class CovarianceMatrixAdaptation(Optimizer):
    """Minimise the loss with Nevergrad's CMA-ES over the space's box.

    The parametrization is a bounded ``nevergrad.p.Array``; Nevergrad keeps
    every candidate inside the bounds. ``num_workers`` is the run's batch
    size, so a batch ask returns that many candidates of one generation.
    Candidates are told in the order they were asked.

    Reproducibility: the parametrization's random state is seeded with
    ``context.seed`` before the optimizer is built, which fixes every draw
    of nevergrad 1.0.12 and its ``cma`` backend; one seed and batch size give
    the same points.

    Options (``--option KEY=VALUE``): see ``OPTIONS``.

    Args:
        context: The run's search context.
    """

    name = "cma"
    options = OPTIONS

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        reader = OptionReader(self.name, context.options, OPTIONS)
        self.variant = reader.choice("variant", "CMA", VARIANTS)
        self.sigma_fraction = reader.real("sigma", 1.0 / 6.0, minimum=0.0, maximum=1.0, exclusive_minimum=True)
        self.start = reader.choice("start", "center", ("center", "sample"))
        reader.check_unused()

        import nevergrad as ng

        lower, upper = (np.asarray(bound, dtype=float) for bound in self.space.bounds)
        self._lower, self._upper = lower, upper
        rng = np.random.default_rng(context.seed)
        if self.start == "sample":
            initial = np.clip(np.asarray(self.space.sample(1, rng), dtype=float).reshape(-1), lower, upper)
        else:
            initial = (lower + upper) / 2.0

        parametrization = ng.p.Array(init=initial, lower=lower, upper=upper)
        parametrization.set_mutation(sigma=self.sigma_fraction * (upper - lower))
        parametrization.random_state = np.random.RandomState(context.seed)
        self._optimizer = ng.optimizers.registry[self.variant](
            parametrization=parametrization,
            budget=None,
            num_workers=max(1, context.batch_size),
        )
        self._pending: list = []
        self._worst_finite_loss = -math.inf

    def ask(self, n: int) -> np.ndarray:
        if self._pending:
            raise RuntimeError(
                f"Optimizer 'cma' was asked for points while {len(self._pending)} candidate(s) await tell(); "
                "call tell() after each ask()."
            )
        self._pending = [self._optimizer.ask() for _ in range(n)]
        points = np.array([candidate.value for candidate in self._pending], dtype=float)
        return np.clip(points.reshape(n, -1), self._lower, self._upper)

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        if len(losses) != len(self._pending):
            raise ValueError(
                f"Optimizer 'cma' expected {len(self._pending)} losses for the points of the last ask(), "
                f"but got {len(losses)}."
            )
        values = [float(loss) for loss in losses]
        finite = [value for value in values if math.isfinite(value)]
        if finite:
            self._worst_finite_loss = max(self._worst_finite_loss, max(finite))

        for candidate, value in zip(self._pending, values):
            if not math.isfinite(value):
                # The runner sends finite penalties; map a stray non-finite
                # loss to one as well so CMA's ranking stays defined.
                value = self._penalty()
                _logger.warning("cma: non-finite loss replaced by %.3f", value)
            self._optimizer.tell(candidate, value)
        self._pending = []

    def close(self) -> None:
        self._pending = []

    def _penalty(self) -> float:
        """Return the runner's penalty for an invalid evaluation, given the losses seen so far."""
        return invalid_loss(self._worst_finite_loss)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "seed": self.context.seed,
            "variant": self.variant,
            "sigma": self.sigma_fraction,
            "start": self.start,
            "num_workers": max(1, self.context.batch_size),
        }


@hookimpl
def vaesa_register_optimizers():
    return {"cma": CovarianceMatrixAdaptation}
