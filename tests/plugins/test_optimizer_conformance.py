"""Conformance suite: every registered optimizer, on every search space, through the runner.

The optimizers come from the process-wide registry, so a third-party plugin
installed in the environment is checked the same way as the built-in ones.
Each optimizer runs on the original space, on a small latent-like test space
with a differentiable objective, and on the registered ``latent`` space when
one is installed. An optimizer that raises ``UnsupportedError`` for a space
(``gd`` needs a differentiable surrogate) is skipped for that space.

The evaluator is the placeholder roofline with about a quarter of the designs
marked INFEASIBLE, so every run also exercises the penalty for invalid
evaluations.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import zlib
from collections.abc import Iterator

import numpy as np
import pytest

from vaesa_core.errors import UnsupportedError
from vaesa_core.evaluation import INITIAL_INVALID_LOSS, Evaluator, LayerCost, Objective, Status
from vaesa_core.hookspecs import hookimpl
from vaesa_core.plugins import PluginRegistry, get_registry
from vaesa_core.runner import TIMING_FIELDS, run_search
from vaesa_core.search import Optimizer, SearchSpace
from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer, Network
from vaesa_plugins.placeholder_evaluator import PlaceholderEvaluator

#: Wall-clock limit of one search run, in seconds; a hung optimizer fails
#: the test instead of stalling the suite.
RUN_TIME_LIMIT_S = 120

BUDGET = 12

OPTIMIZER_NAMES = sorted(get_registry().registrations("optimizer"))


# -- test components ---------------------------------------------------------


class PartlyInfeasibleEvaluator(Evaluator):
    """Placeholder roofline costs, but a pseudo-random quarter of the designs is INFEASIBLE.

    A design is rejected when the CRC-32 of its six parameter values is a
    multiple of 4. The hash spreads the rejected designs over every region
    of the lattice, so any optimizer meets invalid evaluations early, and
    any run that evaluates a dozen distinct designs also meets valid ones.
    A rule on a few parameters (such as the MAC count and the PE count)
    would reject whole regions: a latent search that stays at the largest
    MAC count could then see no valid design at all.
    """

    name = "partly_infeasible"
    estimate = True

    def __init__(self) -> None:
        self.inner = PlaceholderEvaluator()

    @staticmethod
    def is_infeasible(config: HardwareConfig) -> bool:
        values = ",".join(str(value) for value in config.as_dict().values())
        return zlib.crc32(values.encode()) % 4 == 0

    def evaluate(self, pairs):
        costs = self.inner.evaluate(pairs)
        return [
            LayerCost.invalid(Status.INFEASIBLE, "rejected by the test rule") if self.is_infeasible(config) else cost
            for cost, (config, _) in zip(costs, pairs)
        ]


class AllInfeasibleEvaluator(Evaluator):
    """Reject every design, so every loss the optimizer receives is the initial penalty."""

    name = "all_infeasible"

    def evaluate(self, pairs):
        return [LayerCost.invalid(Status.INFEASIBLE, "rejected by the test rule") for _ in pairs]


class LatentLikeSpace(SearchSpace):
    """A 3-D box that decodes through a fixed random linear map and a sigmoid.

    It behaves like a learned latent space (a continuous box that is not the
    design encoding, a Gaussian prior, a torch objective) without needing a
    trained model. Its objective is a smooth bowl, not a cost predictor.
    """

    name = "latent_like"

    def __init__(self, design_space) -> None:
        super().__init__(design_space)
        self.weights = np.random.default_rng(1234).normal(size=(3, design_space.dimension))

    @property
    def dimension(self) -> int:
        return 3

    @property
    def bounds(self):
        return np.full(3, -3.0), np.full(3, 3.0)

    def sample(self, n, rng):
        return self.clip(rng.standard_normal((n, 3)))

    def _unit(self, points: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.clip(np.atleast_2d(points)) @ self.weights)))

    def to_configs(self, points):
        return self.design_space.from_unit(self._unit(points))

    def differentiable_objective(self, workload, objective):
        import torch

        weights = torch.as_tensor(self.weights, dtype=torch.get_default_dtype())

        def bowl(points):
            unit = torch.sigmoid(points @ weights)
            return 40.0 + 10.0 * ((unit - 0.3) ** 2).sum(dim=-1)

        return bowl


class SpyOptimizer(Optimizer):
    """Wrap an optimizer and record how the runner drives it.

    Raises ``AssertionError`` at once when the protocol is broken: a second
    ``ask`` before ``tell``, points told that differ from those asked, or
    non-finite losses.
    """

    name = "spy"

    def __init__(self, inner: Optimizer) -> None:
        super().__init__(inner.context)
        self.inner = inner
        self.asked_points: list[np.ndarray] = []
        self.ask_sizes: list[tuple[int, int]] = []
        self.told_losses: list[float] = []
        self.awaiting_tell: np.ndarray | None = None
        self.closed = False

    def ask(self, n):
        assert self.awaiting_tell is None, "ask() called before the previous points were told"
        points = np.asarray(self.inner.ask(n), dtype=float)
        if points.size == 0:
            self.ask_sizes.append((n, 0))
            return points
        points = np.atleast_2d(points)
        self.ask_sizes.append((n, len(points)))
        self.asked_points.extend(points.copy())
        self.awaiting_tell = points.copy()
        return points

    def tell(self, points, losses):
        assert self.awaiting_tell is not None, "tell() without a pending ask()"
        np.testing.assert_array_equal(np.asarray(points, dtype=float), self.awaiting_tell)
        assert all(math.isfinite(loss) for loss in losses), f"non-finite loss told: {losses}"
        self.told_losses.extend(float(loss) for loss in losses)
        self.awaiting_tell = None
        self.inner.tell(points, losses)

    def close(self):
        self.closed = True
        self.inner.close()

    def describe(self):
        return self.inner.describe()


# -- helpers -----------------------------------------------------------------


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise ``TimeoutError`` in the main thread if the block runs longer than ``seconds``.

    Without ``SIGALRM`` (Windows) the block runs unguarded.
    """
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"search run exceeded {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def tiny_network() -> Network:
    return Network(
        "tiny",
        (Layer(R=3, S=3, P=14, Q=14, C=64, K=64, name="conv"), Layer(R=1, S=1, P=1, Q=1, C=512, K=100, name="fc")),
        (2, 1),
    )


def build_space(space_name: str) -> SearchSpace:
    design_space = simba_space()
    if space_name == "latent_like":
        return LatentLikeSpace(design_space)
    registry = get_registry()
    if space_name not in registry.registrations("search_space"):
        pytest.skip(f"search space {space_name!r} is not registered in this environment")
    try:
        return registry.create("search_space", space_name, design_space)
    except FileNotFoundError as error:
        # A registered latent space without its model checkpoint (a source
        # checkout before the model is trained) cannot be searched.
        pytest.skip(f"search space {space_name!r} cannot be built here: {error}")


def spy_registry(optimizer_name: str, spies: list[SpyOptimizer]) -> PluginRegistry:
    """Return a registry whose optimizer ``spy`` wraps ``optimizer_name`` from the global registry."""
    factory = get_registry().get("optimizer", optimizer_name).factory

    def make(context):
        spy = SpyOptimizer(factory(context))
        spies.append(spy)
        return spy

    class SpyPlugin:
        @hookimpl
        def vaesa_register_optimizers(self):
            return {"spy": make}

    registry = PluginRegistry(load_entry_points=False)
    registry.register(SpyPlugin(), name="conformance_spy")
    return registry


def run_spied(
    optimizer_name: str,
    space: SearchSpace,
    *,
    seed: int,
    batch_size: int = 1,
    budget: int = BUDGET,
    evaluator: Evaluator | None = None,
):
    """Run one search through the spy and return ``(result, spy)``; skip if the space is unsupported."""
    spies: list[SpyOptimizer] = []
    registry = spy_registry(optimizer_name, spies)
    try:
        with time_limit(RUN_TIME_LIMIT_S):
            result = run_search(
                space=space,
                optimizer="spy",
                evaluator=evaluator or PartlyInfeasibleEvaluator(),
                workload=tiny_network(),
                objective=Objective.EDP,
                budget=budget,
                seed=seed,
                batch_size=batch_size,
                registry=registry,
            )
    except UnsupportedError as error:
        pytest.skip(f"optimizer {optimizer_name!r} does not support space {space.name!r}: {error}")
    except FileNotFoundError as error:
        # The original space's surrogate needs the latent model checkpoint.
        pytest.skip(f"optimizer {optimizer_name!r} on space {space.name!r} needs a missing file: {error}")
    return result, spies[0]


_RUN_CACHE: dict[tuple, tuple] = {}


def cached_run(optimizer_name: str, space: SearchSpace, *, seed: int, batch_size: int = 1, budget: int = BUDGET):
    """Return ``run_spied`` results, running each setting once per test session.

    Several checks read the same run; the reproducibility check calls
    ``run_spied`` itself to get independent runs.
    """
    key = (optimizer_name, space.name, seed, batch_size, budget)
    if key not in _RUN_CACHE:
        _RUN_CACHE[key] = run_spied(optimizer_name, space, seed=seed, batch_size=batch_size, budget=budget)
    return _RUN_CACHE[key]


def without_timing(records):
    return [{key: value for key, value in record.items() if key not in TIMING_FIELDS} for record in records]


# -- the suite ---------------------------------------------------------------

SPACES = ["original", "latent_like", "latent"]


@pytest.fixture(params=OPTIMIZER_NAMES)
def optimizer_name(request) -> str:
    return request.param


@pytest.fixture(params=SPACES)
def space(request) -> SearchSpace:
    return build_space(request.param)


def test_suggestions_legal_after_decoding(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=0)

    lower, upper = space.bounds
    design_space = space.design_space
    for record in result.records:
        point = np.asarray(record["point"])
        assert point.shape == (space.dimension,)
        assert np.all(point >= lower - 1e-9), f"point {point} below the lower bounds {lower}"
        assert np.all(point <= upper + 1e-9), f"point {point} above the upper bounds {upper}"
        config = HardwareConfig.from_mapping(record["config"])
        assert design_space.contains(config), f"illegal design {config}"
        assert space.to_config(point) == config


def test_budget_respected(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=0)

    assert result.evaluations <= BUDGET
    numbers = sorted(record["evaluation"] for record in result.records if record["evaluation"] is not None)
    assert numbers == list(range(1, result.evaluations + 1))
    distinct = {tuple(sorted(record["config"].items())) for record in result.records}
    assert len(distinct) == result.evaluations
    for requested, returned in spy.ask_sizes:
        assert 0 <= returned <= requested


def test_trace_complete(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=0)

    assert len(result.records) == len(spy.asked_points)
    assert [record["step"] for record in result.records] == list(range(len(result.records)))
    for record, point, loss in zip(result.records, spy.asked_points, spy.told_losses):
        np.testing.assert_allclose(record["point"], point)
        assert record["loss"] == loss
    assert len(spy.told_losses) == len(spy.asked_points)
    assert spy.awaiting_tell is None
    assert spy.closed
    json.dumps(spy.describe())


def test_best_matches_trace(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=0)

    valid = [record for record in result.records if record["metrics"]["valid"]]
    assert valid, "no valid design in the trace"
    best = min(valid, key=lambda record: record["metrics"]["edp"])
    assert result.best_metrics["edp"] == best["metrics"]["edp"]
    assert result.best_config == HardwareConfig.from_mapping(best["config"])
    assert result.best_metrics["edp"] == pytest.approx(math.exp(min(record["loss"] for record in valid)), rel=1e-9)


def test_seed_reproduces_trace(optimizer_name, space):
    first, _ = cached_run(optimizer_name, space, seed=0)
    second, _ = run_spied(optimizer_name, space, seed=0)

    assert without_timing(first.records) == without_timing(second.records)


def test_invalid_evaluations_get_penalty(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=3)

    invalid = [record for record in result.records if not record["metrics"]["valid"]]
    valid_losses = [record["loss"] for record in result.records if record["metrics"]["valid"]]
    assert result.complete or result.evaluations == BUDGET
    for record in invalid:
        assert record["metrics"]["status"] == Status.INFEASIBLE.value
        assert math.isfinite(record["loss"])
        if valid_losses:
            assert record["loss"] > min(valid_losses)


def test_all_invalid_does_not_crash(optimizer_name, space):
    result, spy = run_spied(optimizer_name, space, seed=0, budget=6, evaluator=AllInfeasibleEvaluator())

    assert result.best_config is None
    assert result.evaluations <= 6
    assert spy.told_losses, "the optimizer was never told a loss"
    assert all(loss == INITIAL_INVALID_LOSS for loss in spy.told_losses)


def test_batch_asks(optimizer_name, space):
    result, spy = cached_run(optimizer_name, space, seed=1, batch_size=3, budget=9)

    assert result.evaluations <= 9
    assert len(result.records) == len(spy.asked_points)
    for requested, returned in spy.ask_sizes:
        assert requested <= 3
        assert returned <= requested
    for record in result.records:
        assert space.design_space.contains(HardwareConfig.from_mapping(record["config"]))


def test_partly_infeasible_rule_hits_designs():
    # The invalid-evaluation checks above are only meaningful if the test
    # evaluator rejects a real share of the lattice.
    configs = simba_space().sample(400, np.random.default_rng(0))
    share = np.mean([PartlyInfeasibleEvaluator.is_infeasible(config) for config in configs])
    assert 0.15 < share < 0.35
