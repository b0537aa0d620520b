"""Hand-registered plugins for runner tests: a seeded random optimizer and fake evaluators."""

from __future__ import annotations

import numpy as np
import pytest

from vaesa_core.evaluation import Evaluator, LayerCost, Status
from vaesa_core.hookspecs import hookimpl
from vaesa_core.plugins import PluginRegistry
from vaesa_core.search import Optimizer


class SeededRandom(Optimizer):
    """Uniform points from the space's sampler, seeded by the context."""

    name = "seeded_random"

    def __init__(self, context):
        super().__init__(context)
        self.rng = np.random.default_rng(context.seed)
        self.told: list[float] = []

    def ask(self, n):
        return self.space.sample(n, self.rng)

    def tell(self, points, losses):
        self.told.extend(losses)


class RepeatingOptimizer(Optimizer):
    """Cycles through three fixed points, to exercise the cache."""

    name = "repeating"

    def __init__(self, context):
        super().__init__(context)
        self.points = context.space.sample(3, np.random.default_rng(0))
        self.count = 0

    def ask(self, n):
        chosen = [self.points[(self.count + i) % 3] for i in range(n)]
        self.count += n
        return np.array(chosen)

    def tell(self, points, losses):
        pass


class MacsEvaluator(Evaluator):
    """Cycles = MACs of the layer / macs; energy grows with buffers; designs with pes=1 are infeasible."""

    name = "macs_model"

    def __init__(self):
        self.calls = 0

    def evaluate(self, pairs):
        self.calls += 1
        costs = []
        for config, layer in pairs:
            if config.pes == 1:
                costs.append(LayerCost.invalid(Status.INFEASIBLE, "pes=1 is rejected by the fake model"))
                continue
            cycles = layer.macs / config.macs + config.accum_buffer
            energy = layer.macs * (1.0 + 1e-5 * (config.weight_buffer + config.global_buffer / 16))
            costs.append(LayerCost(float(cycles), float(energy)))
        return costs


class _Plugin:
    @hookimpl
    def vaesa_register_optimizers(self):
        return {"seeded_random": SeededRandom, "repeating": RepeatingOptimizer}

    @hookimpl
    def vaesa_register_evaluators(self):
        return {"macs_model": lambda **_: MacsEvaluator()}


@pytest.fixture
def registry():
    registry = PluginRegistry(load_entry_points=False)
    registry.register(_Plugin(), name="test_runner_plugin")
    return registry
