"""The ``tpe`` optimizer: Optuna's Tree-structured Parzen Estimator through ask/tell.

TPE: Bergstra et al., "Algorithms for Hyper-Parameter Optimization",
NeurIPS 2011; the multivariate variant: Falkner et al., "BOHB", ICML 2018.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from vaesa_core.evaluation.objective import invalid_loss
from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext
from vaesa_plugins._options import OptionReader, warn_if_budget_is_initial_points

__all__ = ["TreeParzenEstimator"]

_logger = logging.getLogger(__name__)

#: Options of ``tpe`` with their help text.
OPTIONS: dict[str, str] = {
    "n_startup_trials": "points drawn from the space's prior before TPE takes over "
    "(default: 10, at most the budget)",
    "multivariate": "model the coordinates jointly instead of one by one (default true)",
    "constant_liar": "treat pending points of a batch as bad so a batch spreads out "
    "(default: true when the batch size is above 1)",
    "n_ei_candidates": "candidates scored by expected improvement per point (default 24)",
}


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Silence Optuna's INFO lines and experimental-feature warnings in the block.

    Optuna logs through its own stderr handler; a library call must not
    print, so the verbosity is lowered for the call and then restored.
    """
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(previous)


class TreeParzenEstimator(Optimizer):
    """Minimise the loss with Optuna's ``TPESampler`` in an in-memory study.

    Each coordinate of the search space is a ``FloatDistribution`` over its
    bounds. The first ``n_startup_trials`` points are drawn with
    ``context.space.sample`` and enqueued, so TPE starts from the same prior
    as random search (uniform over the legal lattice on the original space).
    Every asked trial is told: a loss at ``tell``, and ``close`` marks any
    trial still pending as FAIL.

    Reproducibility: the sampler is seeded with ``context.seed``, and the
    study lives in memory, so one seed and batch size give the same points.

    Options (``--option KEY=VALUE``): see ``OPTIONS``.

    Args:
        context: The run's search context.
    """

    name = "tpe"
    options = OPTIONS

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        reader = OptionReader(self.name, context.options, OPTIONS)
        self.n_startup_trials = reader.integer(
            "n_startup_trials", min(10, max(1, context.budget)), minimum=0
        )
        warn_if_budget_is_initial_points(self.name, context.budget, self.n_startup_trials, "n_startup_trials", "TPE")
        self.multivariate = reader.boolean("multivariate", True)
        self.constant_liar = reader.boolean("constant_liar", context.batch_size > 1)
        self.n_ei_candidates = reader.integer("n_ei_candidates", 24, minimum=1)
        reader.check_unused()

        import optuna
        from optuna.distributions import FloatDistribution

        lower, upper = (np.asarray(bound, dtype=float) for bound in self.space.bounds)
        self._lower, self._upper = lower, upper
        self._keys = [f"x{index}" for index in range(self.space.dimension)]
        self._distributions = {
            key: FloatDistribution(float(low), float(high)) for key, low, high in zip(self._keys, lower, upper)
        }
        with _quiet_optuna():
            sampler = optuna.samplers.TPESampler(
                seed=context.seed,
                n_startup_trials=self.n_startup_trials,
                multivariate=self.multivariate,
                constant_liar=self.constant_liar,
                n_ei_candidates=self.n_ei_candidates,
            )
            self.study = optuna.create_study(direction="minimize", sampler=sampler)

        rng = np.random.default_rng(context.seed)
        if self.n_startup_trials:
            startup = np.clip(
                np.asarray(self.space.sample(self.n_startup_trials, rng), dtype=float), lower, upper
            )
            for row in startup.reshape(self.n_startup_trials, -1):
                self.study.enqueue_trial({key: float(value) for key, value in zip(self._keys, row)})
        self._pending: list = []
        self._worst_finite_loss = -math.inf

    def ask(self, n: int) -> np.ndarray:
        if self._pending:
            raise RuntimeError(
                f"Optimizer 'tpe' was asked for points while {len(self._pending)} trial(s) await tell(); "
                "call tell() after each ask()."
            )
        with _quiet_optuna():
            self._pending = [self.study.ask(self._distributions) for _ in range(n)]
        points = np.array([[trial.params[key] for key in self._keys] for trial in self._pending], dtype=float)
        return np.clip(points.reshape(n, -1), self._lower, self._upper)

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        if len(losses) != len(self._pending):
            raise ValueError(
                f"Optimizer 'tpe' expected {len(self._pending)} losses for the points of the last ask(), "
                f"but got {len(losses)}."
            )
        values = [float(loss) for loss in losses]
        finite = [value for value in values if math.isfinite(value)]
        if finite:
            self._worst_finite_loss = max(self._worst_finite_loss, max(finite))

        with _quiet_optuna():
            for trial, value in zip(self._pending, values):
                if not math.isfinite(value):
                    # The runner sends finite penalties; a non-finite loss
                    # would be rejected by Optuna, so map it to a penalty too.
                    value = self._penalty()
                    _logger.warning("tpe: non-finite loss for trial %d replaced by %.3f", trial.number, value)
                self.study.tell(trial, value)
        self._pending = []

    def close(self) -> None:
        import optuna

        with _quiet_optuna():
            for trial in self._pending:
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        if self._pending:
            _logger.info("tpe: marked %d pending trial(s) as failed at close", len(self._pending))
        self._pending = []

    def _penalty(self) -> float:
        """Return the runner's penalty for an invalid evaluation, given the losses seen so far."""
        return invalid_loss(self._worst_finite_loss)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "seed": self.context.seed,
            "n_startup_trials": self.n_startup_trials,
            "multivariate": self.multivariate,
            "constant_liar": self.constant_liar,
            "n_ei_candidates": self.n_ei_candidates,
        }


@hookimpl
def vaesa_register_optimizers():
    return {"tpe": TreeParzenEstimator}
