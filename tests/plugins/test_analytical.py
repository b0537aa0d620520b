"""The ``analytical`` evaluator plugin and its mappers."""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import pytest

from vaesa_core.arch import SIMBA_BASE_CONFIG
from vaesa_core.evaluation import LayerCost, Status, evaluate_network
from vaesa_core.mapping import Mapper, MapperResult, Mapping
from vaesa_core.mapping import cosa as cosa_module
from vaesa_core.mapping import cosa_mip
from vaesa_core.mapping.cosa import CosaMapper
from vaesa_core.mapping.fast import FastMapper
from vaesa_core.plugins import get_registry
from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer, builtin_workload
from vaesa_plugins.analytical_evaluator import AnalyticalEvaluator

LAYER_A = Layer(3, 3, 14, 14, 32, 64)
LAYER_B = Layer(1, 1, 1, 1, 256, 100)
SMALL = {"initial_samples": "200", "max_rounds": "3", "kicks": "0"}


class CountingMapper(Mapper):
    """Return the all-DRAM cost of 1 cycle per MAC and record every call."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[tuple[Layer, list[HardwareConfig]]] = []

    def map_layer(self, layer, configs):
        self.calls.append((layer, list(configs)))
        return [MapperResult(None, float(layer.macs), float(config.macs), Status.OK) for config in configs]


def test_registry_lists_evaluator_and_mappers():
    registry = get_registry()

    assert "analytical" in registry.registrations("evaluator")
    assert {"fast", "cosa"} <= set(registry.registrations("mapper"))


def test_default_mapper_is_fast():
    evaluator = get_registry().create("evaluator", "analytical", design_space=simba_space(), mapper=None)

    assert isinstance(evaluator.mapper, FastMapper)
    assert evaluator.describe()["mapper"]["name"] == "fast"


def test_cosa_mapper_takes_time_limit():
    evaluator = get_registry().create("evaluator", "analytical", design_space=None, mapper="cosa", time_limit_s="5")

    assert isinstance(evaluator.mapper, CosaMapper)
    assert evaluator.mapper.time_limit_s == 5.0


def test_unknown_option_is_rejected():
    with pytest.raises(ValueError, match="colour"):
        get_registry().create("evaluator", "analytical", design_space=None, mapper=None, colour="blue")


def test_invalid_option_value_is_rejected():
    with pytest.raises(ValueError, match="max_rounds"):
        get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", max_rounds="many")


@pytest.mark.parametrize("text", ["maybe", ""])
def test_unclear_yes_no_option_is_rejected(text):
    with pytest.raises(ValueError, match="exact_search"):
        get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", exact_search=text)


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("Yes", True), ("0", False), ("off", False)])
def test_yes_no_option_reads_common_spellings(text, expected):
    evaluator = get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", exact_search=text)

    assert evaluator.mapper.exact_search is expected


def test_predictor_rejects_a_mapper():
    with pytest.raises(ValueError, match="runs no mapper"):
        get_registry().create("evaluator", "predictor", design_space=None, mapper="cosa")


def test_cosa_time_limit_is_reported_as_warning(caplog, monkeypatch):
    # A real solve marked as stopped by the time limit, so the check does not
    # depend on how fast this machine solves.
    def stopped_early(*args, **kwargs):
        return dataclasses.replace(cosa_mip.solve_cosa_mip(*args, **kwargs), optimal=False)

    monkeypatch.setattr(cosa_module, "solve_cosa_mip", stopped_early)
    with caplog.at_level(logging.WARNING, logger="vaesa_core.mapping.cosa"):
        results = CosaMapper().map_layer(Layer(1, 1, 1, 1, 64, 64), [SIMBA_BASE_CONFIG])

    assert results[0].status is Status.OK
    assert any("time limit" in record.getMessage() for record in caplog.records)


def test_pairs_are_grouped_by_layer_and_cached():
    mapper = CountingMapper()
    evaluator = AnalyticalEvaluator(mapper)
    designs = simba_space().sample(3, np.random.default_rng(0))
    pairs = [(config, layer) for config in designs for layer in (LAYER_A, LAYER_B)]

    costs = evaluator.evaluate(pairs)
    again = evaluator.evaluate(pairs[::-1])

    assert [call[0] for call in mapper.calls] == [LAYER_A, LAYER_B]
    assert all(call[1] == designs for call in mapper.calls)
    assert [cost.cycles for cost in costs] == [layer.macs for _, layer in pairs]
    assert [cost.energy_pj for cost in costs] == [config.macs for config, _ in pairs]
    assert again == costs[::-1]
    assert len(mapper.calls) == 2


def test_mapper_error_becomes_failed_cost():
    class BrokenMapper(Mapper):
        name = "broken"

        def map_layer(self, layer, configs):
            raise RuntimeError("solver crashed")

    costs = AnalyticalEvaluator(BrokenMapper()).evaluate([(SIMBA_BASE_CONFIG, LAYER_A)])

    assert costs[0].status is Status.FAILED
    assert "solver crashed" in costs[0].reason
    assert math.isinf(costs[0].cycles)


def test_fast_costs_carry_legal_mappings():
    evaluator = get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", **SMALL)
    costs = evaluator.evaluate([(SIMBA_BASE_CONFIG, LAYER_A), (SIMBA_BASE_CONFIG, LAYER_B)])

    for cost, layer in zip(costs, (LAYER_A, LAYER_B)):
        assert isinstance(cost, LayerCost)
        assert cost.valid
        assert isinstance(cost.mapping, Mapping)
        assert cost.mapping.matches(layer)
        assert cost.cycles >= layer.macs / SIMBA_BASE_CONFIG.macs


def test_infeasible_design_does_not_raise():
    evaluator = get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", **SMALL)
    tiny = HardwareConfig(16, 1024, 64, 16384, 1024, 1)
    cost = evaluator.evaluate([(tiny, LAYER_A)])[0]

    assert cost.status is Status.INFEASIBLE
    assert "GlobalBuffer" in cost.reason


def test_network_evaluation_sums_layers():
    evaluator = get_registry().create("evaluator", "analytical", design_space=None, mapper="fast", **SMALL)
    network = builtin_workload("alexnet")
    result = evaluate_network(evaluator, [SIMBA_BASE_CONFIG], network, aggregation="unique")[0]

    assert result.valid
    assert result.cycles == sum(cost.cycles for cost in result.layer_costs)
    assert len(result.layer_costs) == len(network.layers)
