"""The ``bo`` optimizer: Gaussian-process Bayesian optimisation with scikit-optimize.

It drives ``skopt.Optimizer`` (scikit-optimize 0.10) through ask/tell and
minimises the loss it receives, which is ln(objective). Lower is better and
nothing is negated; a test checks that the GP-guided points beat the
initial random ones.

Cost: skopt refits the GP at every ``tell`` once the initial points are in,
then scores the acquisition function on ``acq_points`` random candidates
instead of running L-BFGS on it. Fitting the kernel hyperparameters is most
of a refit, so it runs only at every ``refit_every``-th fit, and the fits in
between keep the last fitted kernel. Measured on 100 tells of a toy 6-D
problem (scikit-optimize 0.10.2, 2-core AMD EPYC shared with other jobs):
skopt's defaults (L-BFGS acquisition search, two GP restarts) spent about
45 s in ``tell``, sampling without restarts about 6 s, and ``refit_every=5``
needed 710 log-likelihood evaluations instead of 2,078.
``benchmarks/optimizer_overhead.py`` measures the optimizer in real runs.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence

import numpy as np

from vaesa_core.evaluation.objective import invalid_loss
from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext
from vaesa_plugins._options import OptionReader, warn_if_budget_is_initial_points

__all__ = ["BayesianOptimization"]

_logger = logging.getLogger(__name__)

#: Options of ``bo`` with their help text.
OPTIONS: dict[str, str] = {
    "n_initial_points": "points drawn from the space's prior before the first GP fit "
    "(default: 10, at most the budget)",
    "acq_func": "acquisition function: EI, PI, LCB or gp_hedge (default EI)",
    "acq_points": "random candidates scored by the acquisition function per fit (default 2000)",
    "gp_restarts": "extra random restarts of the GP hyperparameter fit (default 0)",
    "refit_every": "fit the GP hyperparameters at every k-th GP fit and keep them fixed in between (default 5)",
    "xi": "exploration margin of EI and PI, in loss units (default 0.01)",
    "kappa": "exploration weight of LCB (default 1.96)",
    "batch_strategy": "constant-liar value for batch asks: cl_min, cl_mean or cl_max (default cl_min)",
}


class BayesianOptimization(Optimizer):
    """Minimise the loss with a GP surrogate and an acquisition function.

    The first ``n_initial_points`` points come from ``context.space.sample``
    (uniform over the legal lattice on the original space), so the GP starts
    from the same prior as random search. After that each point maximises the
    acquisition function over ``acq_points`` random candidates of the box.
    A batch ask of ``n > 1`` points uses skopt's constant-liar strategy,
    which refits the GP once per point of the batch.

    Robustness: points are clipped into the bounds before they reach skopt.
    Duplicate or near-duplicate points are accepted, because the GP has a
    white-noise kernel, and skopt replaces a repeated suggestion with a
    random point. A non-finite loss, which the runner never sends, is
    replaced by the runner's invalid-evaluation penalty with a warning.

    Reproducibility: one seed gives the same points on the same machine.
    The GP fit uses floating-point linear algebra whose last bits depend on
    the BLAS library and CPU, so runs on different machines may diverge once
    the GP takes over.

    Options (``--option KEY=VALUE``): see ``OPTIONS``.

    Args:
        context: The run's search context.
    """

    name = "bo"
    options = OPTIONS

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        reader = OptionReader(self.name, context.options, OPTIONS)
        self.n_initial_points = reader.integer(
            "n_initial_points", min(10, max(1, context.budget)), minimum=1
        )
        warn_if_budget_is_initial_points(self.name, context.budget, self.n_initial_points, "n_initial_points", "the Gaussian process")
        self.acq_func = reader.choice("acq_func", "EI", ("EI", "PI", "LCB", "gp_hedge"))
        self.acq_points = reader.integer("acq_points", 2000, minimum=1)
        self.gp_restarts = reader.integer("gp_restarts", 0, minimum=0)
        self.refit_every = reader.integer("refit_every", 5, minimum=1)
        self.xi = reader.real("xi", 0.01, minimum=0.0)
        self.kappa = reader.real("kappa", 1.96, minimum=0.0)
        self.batch_strategy = reader.choice("batch_strategy", "cl_min", ("cl_min", "cl_mean", "cl_max"))
        reader.check_unused()

        self._rng = np.random.default_rng(context.seed)
        self._lower, self._upper = (np.asarray(bound, dtype=float) for bound in self.space.bounds)
        self._optimizer = self._build_skopt_optimizer()
        self._fitted_kernel = None
        self._fits_since_hyperparameters = 0
        self._told = 0
        self._worst_finite_loss = -math.inf

    def _build_skopt_optimizer(self):
        # skopt imports scikit-learn, which takes about a second; import it
        # only when a run uses this optimizer.
        from skopt import Optimizer as SkoptOptimizer
        from skopt.learning import GaussianProcessRegressor
        from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        from skopt.space import Real

        dimension = self.space.dimension
        dimensions = [Real(float(low), float(high)) for low, high in zip(self._lower, self._upper)]

        # The kernel of skopt's own "GP" estimator, built here so the number
        # of hyperparameter restarts can be set. skopt normalises the inputs
        # of any GaussianProcessRegressor to [0, 1], so the length-scale
        # bounds apply in unit coordinates.
        kernel = ConstantKernel(1.0, (0.01, 1000.0)) * Matern(
            length_scale=np.ones(dimension), length_scale_bounds=[(0.01, 100.0)] * dimension, nu=2.5
        ) + WhiteKernel()
        self._regressor = GaussianProcessRegressor(
            kernel=kernel,
            normalize_y=True,
            noise="gaussian",
            n_restarts_optimizer=self.gp_restarts,
            random_state=self.context.seed,
        )
        return SkoptOptimizer(
            dimensions,
            base_estimator=self._regressor,
            n_initial_points=self.n_initial_points,
            acq_func=self.acq_func,
            acq_optimizer="sampling",
            acq_optimizer_kwargs={"n_points": self.acq_points},
            acq_func_kwargs={"xi": self.xi, "kappa": self.kappa},
            random_state=self.context.seed,
            model_queue_size=1,
            avoid_duplicates=True,
        )

    def ask(self, n: int) -> np.ndarray:
        if self._told < self.n_initial_points:
            points = np.asarray(self.space.sample(n, self._rng), dtype=float).reshape(n, -1)
            return self._clip(points)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if n == 1:
                suggested = [self._optimizer.ask()]
            else:
                suggested = self._optimizer.ask(n_points=n, strategy=self.batch_strategy)
        for warning in caught:
            # skopt warns when the acquisition optimum was evaluated before;
            # it then returns a random point instead, which is what we want.
            _logger.debug("bo: skopt: %s", warning.message)
        return self._clip(np.asarray(suggested, dtype=float).reshape(len(suggested), -1))

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        points = self._clip(np.asarray(points, dtype=float).reshape(len(losses), -1))
        values = self._finite_losses(losses)
        if not values:
            return

        fit_hyperparameters = self._choose_estimator()
        previous_model = self._optimizer.models[-1] if self._optimizer.models else None
        self._optimizer.tell([[float(x) for x in row] for row in points], values)
        self._told += len(values)
        model = self._optimizer.models[-1] if self._optimizer.models else None
        if model is not None and model is not previous_model:
            self._fitted_kernel = _kernel_with_noise(model)
            self._fits_since_hyperparameters = 0 if fit_hyperparameters else self._fits_since_hyperparameters + 1
        _logger.debug("bo: recorded %d losses, %d in total", len(values), self._told)

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "seed": self.context.seed,
            "n_initial_points": self.n_initial_points,
            "acq_func": self.acq_func,
            "acq_optimizer": "sampling",
            "acq_points": self.acq_points,
            "gp_restarts": self.gp_restarts,
            "refit_every": self.refit_every,
            "xi": self.xi,
            "kappa": self.kappa,
            "batch_strategy": self.batch_strategy,
        }

    def _choose_estimator(self) -> bool:
        """Set the GP that skopt clones for its next fit; return whether it fits hyperparameters.

        Fitting the kernel hyperparameters (L-BFGS on the log marginal
        likelihood) is most of the cost of a tell. Between those fits the GP
        keeps the last fitted kernel and only conditions on the new data,
        one Cholesky factorisation. Each hyperparameter fit starts from the
        last fitted values.
        """
        from sklearn.base import clone

        fit_hyperparameters = (
            self._fitted_kernel is None or self._fits_since_hyperparameters + 1 >= self.refit_every
        )
        if fit_hyperparameters:
            # Start from the initial kernel: warm starts from the last fit
            # took more L-BFGS iterations in measurements, not fewer.
            estimator = self._regressor
        else:
            estimator = clone(self._regressor).set_params(kernel=self._fitted_kernel, optimizer=None)
        # NOTE: skopt 0.10 clones ``base_estimator_`` at every fit, including
        # the constant-liar fits of a batch ask, so replacing it configures
        # the next fit. It is a private attribute of skopt.Optimizer.
        self._optimizer.base_estimator_ = estimator
        return fit_hyperparameters

    def _clip(self, points: np.ndarray) -> np.ndarray:
        return np.clip(points, self._lower, self._upper)

    def _finite_losses(self, losses: Sequence[float]) -> list[float]:
        values = [float(loss) for loss in losses]
        finite = [value for value in values if math.isfinite(value)]
        if finite:
            self._worst_finite_loss = max(self._worst_finite_loss, max(finite))
        if len(finite) == len(values):
            return values

        # The runner's own penalty rule, so a stray non-finite loss never
        # looks better than a valid design.
        fallback = invalid_loss(self._worst_finite_loss)
        warnings.warn(
            f"Optimizer 'bo' was told {len(values) - len(finite)} non-finite loss(es); using {fallback:.3f} "
            "(the invalid-evaluation penalty). The runner should send finite penalties.",
            RuntimeWarning,
            stacklevel=2,
        )
        return [value if math.isfinite(value) else fallback for value in values]


def _kernel_with_noise(model):
    """Return the fitted kernel of a skopt GP with its white-noise level restored.

    skopt zeroes the WhiteKernel of ``kernel_`` after fitting (the noise is
    kept in ``noise_``), so the kernel is rebuilt to fit the next GP with.
    """
    from skopt.learning.gaussian_process.kernels import Sum, WhiteKernel

    kernel = model.kernel_
    if not (isinstance(kernel, Sum) and isinstance(kernel.k2, WhiteKernel)):
        return kernel
    low, high = kernel.k2.noise_level_bounds
    noise_level = float(np.clip(model.noise_ if model.noise_ is not None else low, low, high))
    return kernel.k1 + WhiteKernel(noise_level=noise_level, noise_level_bounds=(low, high))


@hookimpl
def vaesa_register_optimizers():
    return {"bo": BayesianOptimization}
