"""Behaviour of the first-party optimizers beyond the shared conformance suite."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from vaesa_core.errors import UnsupportedError
from vaesa_core.evaluation import INVALID_LOSS_MARGIN, Objective
from vaesa_core.search import OriginalSpace, SearchContext
from vaesa_core.space import simba_space
from vaesa_core.workloads import Layer, Network
from vaesa_plugins.bayes_opt import BayesianOptimization
from vaesa_plugins.cma_es import CovarianceMatrixAdaptation
from vaesa_plugins.gradient_descent import GradientDescent
from vaesa_plugins.random_search import RandomSearch
from vaesa_plugins.tpe import TreeParzenEstimator

from tests.plugins.test_optimizer_conformance import LatentLikeSpace

ALL_OPTIMIZERS = [RandomSearch, BayesianOptimization, GradientDescent, TreeParzenEstimator, CovarianceMatrixAdaptation]


def network() -> Network:
    return Network("one_layer", (Layer(R=3, S=3, P=14, Q=14, C=64, K=64),), (1,))


def context(space=None, *, budget=30, seed=0, batch_size=1, **options) -> SearchContext:
    return SearchContext(
        space=space or LatentLikeSpace(simba_space()),
        workload=network(),
        objective=Objective.EDP,
        budget=budget,
        seed=seed,
        batch_size=batch_size,
        options={key: str(value) for key, value in options.items()},
    )


def bowl_loss(points: np.ndarray) -> list[float]:
    """Return a smooth loss with its minimum at 0.5 in every coordinate of a [-3, 3] box."""
    return [float(40.0 + np.sum((point - 0.5) ** 2)) for point in np.atleast_2d(points)]


def drive(optimizer, evaluations: int, batch_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Run ask/tell on ``bowl_loss``; return all points and losses in order."""
    points, losses = [], []
    while len(losses) < evaluations:
        asked = optimizer.ask(min(batch_size, evaluations - len(losses)))
        told = bowl_loss(asked)
        optimizer.tell(asked, told)
        points.extend(asked)
        losses.extend(told)
    optimizer.close()
    return np.asarray(points), np.asarray(losses)


@pytest.mark.parametrize("optimizer_class", ALL_OPTIMIZERS)
def test_unknown_option_rejected(optimizer_class):
    with pytest.raises(ValueError, match=r"has no option 'no_such_option'"):
        optimizer_class(context(no_such_option=1))


@pytest.mark.parametrize(
    ("optimizer_class", "key", "value", "match"),
    [
        (BayesianOptimization, "n_initial_points", "0", r"must be an integer at least 1"),
        (BayesianOptimization, "acq_func", "UCB", r"must be one of EI, PI, LCB, gp_hedge"),
        (BayesianOptimization, "acq_points", "many", r"must be an integer"),
        (TreeParzenEstimator, "multivariate", "maybe", r"must be true or false"),
        (CovarianceMatrixAdaptation, "variant", "NGOpt", r"must be one of CMA, DiagonalCMA"),
        (CovarianceMatrixAdaptation, "sigma", "0", r"must be a finite number in \(0.0, 1.0\]"),
        (GradientDescent, "lr", "-1", r"greater than 0"),
        (GradientDescent, "snapshots", "500", r"at most steps \+ 1"),
    ],
)
def test_invalid_option_value_rejected(optimizer_class, key, value, match):
    with pytest.raises(ValueError, match=match):
        optimizer_class(context(**{key: value}))


def test_random_search_uniform_over_lattice():
    space = OriginalSpace(simba_space())
    optimizer = RandomSearch(context(space))

    configs = space.to_configs(optimizer.ask(4000))

    # macs takes 16 values 256..4096 in steps of 256; uniform over that
    # lattice has mean 2176, a uniform draw on the log scale about 1385.
    macs = np.array([config.macs for config in configs])
    assert abs(macs.mean() - 2176) < 80


def test_bo_minimises_not_maximises():
    optimizer = BayesianOptimization(context(budget=30, n_initial_points=8))

    _, losses = drive(optimizer, 30)

    initial, guided = losses[:8], losses[8:]
    assert guided.min() < initial.min()
    assert np.median(guided) < np.median(initial)


def test_bo_survives_duplicates_and_penalties():
    optimizer = BayesianOptimization(context(budget=20, n_initial_points=3))
    point = np.full((1, 3), 0.25)

    for _ in range(6):
        optimizer.tell(point, [100.0])
    optimizer.tell(point + 1e-12, [100.0])
    asked = optimizer.ask(1)
    optimizer.tell(asked, [100.0])
    batch = optimizer.ask(3)

    assert batch.shape == (3, 3)
    assert np.all(np.isfinite(batch))


def test_bo_batch_ask_returns_distinct_points():
    optimizer = BayesianOptimization(context(budget=20, n_initial_points=4, batch_size=4))
    drive(optimizer, 4, batch_size=4)

    batch = optimizer.ask(4)

    assert batch.shape == (4, 3)
    assert len({tuple(row) for row in batch}) == 4


def test_tpe_leaves_no_trial_pending():
    import optuna

    optimizer = TreeParzenEstimator(context(budget=12, batch_size=3))
    drive(optimizer, 9, batch_size=3)
    optimizer.ask(3)

    optimizer.close()

    states = [trial.state for trial in optimizer.study.trials]
    assert len(states) == 12
    assert states.count(optuna.trial.TrialState.COMPLETE) == 9
    assert states.count(optuna.trial.TrialState.FAIL) == 3


def test_tpe_constant_liar_follows_batch_size():
    assert TreeParzenEstimator(context(batch_size=4)).constant_liar is True
    assert TreeParzenEstimator(context(batch_size=1)).constant_liar is False


def test_cma_workers_follow_batch_size():
    optimizer = CovarianceMatrixAdaptation(context(batch_size=5))

    assert optimizer._optimizer.num_workers == 5
    assert optimizer.ask(5).shape == (5, 3)


@pytest.mark.parametrize("optimizer_class", [BayesianOptimization, TreeParzenEstimator, CovarianceMatrixAdaptation])
def test_model_based_optimizers_improve_on_bowl(optimizer_class):
    optimizer = optimizer_class(context(budget=40, seed=2))

    _, losses = drive(optimizer, 40)

    # The first ten points are the prior draws; later ones must be better
    # on the whole, which a sign error (maximising) would reverse.
    assert np.median(losses[20:]) < np.median(losses[:10])


def test_gd_snapshots_descend_surrogate():
    import torch

    space = LatentLikeSpace(simba_space())
    optimizer = GradientDescent(context(space, starts=1, steps=60, snapshots=7, start_pool=1))
    surrogate = space.differentiable_objective(network(), Objective.EDP)

    points = optimizer.ask(len(optimizer._queue) or 7)
    with torch.no_grad():
        values = surrogate(torch.as_tensor(points, dtype=torch.get_default_dtype())).numpy()

    assert len(points) >= 2
    assert values[-1] < values[0]


def test_gd_never_repeats_a_design():
    space = LatentLikeSpace(simba_space())
    optimizer = GradientDescent(context(space, budget=40))

    points, _ = drive(optimizer, 40, batch_size=4)

    keys = {tuple(config.as_array()) for config in space.to_configs(points)}
    assert len(keys) == len(points)


def test_gd_without_surrogate_raises_unsupported():
    class NoSurrogateSpace(LatentLikeSpace):
        def differentiable_objective(self, workload, objective):
            raise UnsupportedError("no surrogate here")

    with pytest.raises(UnsupportedError, match=r"Optimizer 'gd' needs a differentiable surrogate"):
        GradientDescent(context(NoSurrogateSpace(simba_space())))


@pytest.mark.parametrize("optimizer_class", ALL_OPTIMIZERS)
def test_describe_records_settings(optimizer_class):
    import json

    description = optimizer_class(context()).describe()

    assert description["name"] == optimizer_class.name
    json.dumps(description)


@pytest.mark.parametrize("optimizer_class", [BayesianOptimization, TreeParzenEstimator, CovarianceMatrixAdaptation])
def test_non_finite_loss_becomes_penalty(optimizer_class):
    optimizer = optimizer_class(context(budget=10, batch_size=2))

    first = optimizer.ask(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        optimizer.tell(first, [math.nan, math.inf])
        second = optimizer.ask(2)
        optimizer.tell(second, [41.0, math.nan])
    third = optimizer.ask(2)

    assert third.shape == (2, 3)
    assert np.all(np.isfinite(third))


def test_tpe_non_finite_loss_ranks_worst():
    optimizer = TreeParzenEstimator(context(budget=10, batch_size=2))

    optimizer.tell(optimizer.ask(2), [41.0, 40.0])
    optimizer.tell(optimizer.ask(2), [math.inf, 39.0])

    values = [trial.value for trial in optimizer.study.trials]
    assert values[2] == pytest.approx(41.0 + INVALID_LOSS_MARGIN)
    assert values[3] == 39.0


@pytest.mark.parametrize(
    ("optimizer_class", "name", "budget", "options"),
    [(BayesianOptimization, "bo", 8, {}), (TreeParzenEstimator, "tpe", 8, {}),
     (BayesianOptimization, "bo", 30, {"n_initial_points": "30"}), (TreeParzenEstimator, "tpe", 5, {"n_startup_trials": "6"})],
)
def test_budget_of_only_initial_points_warns(optimizer_class, name, budget, options, caplog):
    with caplog.at_level("WARNING"):
        optimizer_class(context(budget=budget, **options))

    assert f"{name}: all" in caplog.text
    assert "equals random sampling" in caplog.text


@pytest.mark.parametrize("optimizer_class", [BayesianOptimization, TreeParzenEstimator])
def test_budget_beyond_initial_points_is_quiet(optimizer_class, caplog):
    with caplog.at_level("WARNING"):
        optimizer_class(context(budget=30))

    assert "equals random sampling" not in caplog.text


@pytest.mark.parametrize(
    "optimizer_class", [BayesianOptimization, TreeParzenEstimator, CovarianceMatrixAdaptation, GradientDescent]
)
def test_declared_options_are_the_accepted_ones(optimizer_class):
    # Every declared option is accepted, and an undeclared one is rejected
    # with the declared names listed, so 'vaesa plugins' shows the truth.
    for key in optimizer_class.options:
        with pytest.raises(ValueError) as info:
            optimizer_class(context(**{key: "not-a-value"}))
        assert "not declared" not in str(info.value)

    with pytest.raises(ValueError, match=next(iter(optimizer_class.options))):
        optimizer_class(context(no_such_option="1"))


def test_gd_records_which_model_it_descends():
    from vaesa_core.search import OriginalSpace

    on_original = GradientDescent(context(OriginalSpace(simba_space())))

    assert on_original.describe()["surrogate"] == "shipped latent model's predictor"
