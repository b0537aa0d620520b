"""The predictor evaluator's warning for layers outside its model's training layers."""

from __future__ import annotations

import copy
import logging

import pytest

from vaesa_core.arch import SIMBA_BASE_CONFIG
from vaesa_core.latent.checkpoint import load_default_model
from vaesa_core.workloads import Layer
from vaesa_plugins.predictor_evaluator import PredictorEvaluator, TrainingLayerRange

LOGGER = "vaesa_plugins.predictor_evaluator"


@pytest.fixture(scope="module")
def default_model():
    return load_default_model(None)


def _warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


def test_small_fc_layer_warns_once(default_model, caplog):
    evaluator = PredictorEvaluator(default_model)
    tiny_fc = Layer(1, 1, 1, 1, 64, 64)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        evaluator.evaluate([(SIMBA_BASE_CONFIG, tiny_fc)])
        evaluator.evaluate([(SIMBA_BASE_CONFIG, tiny_fc)])

    messages = _warnings(caplog)
    assert len(messages) == 1
    assert "MACs 4,096" in messages[0]
    assert "--evaluator analytical" in messages[0]


def test_training_layer_does_not_warn(default_model, caplog):
    evaluator = PredictorEvaluator(default_model)
    trained_layer = Layer.from_key(default_model.metadata["layers"][0])

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        costs = evaluator.evaluate([(SIMBA_BASE_CONFIG, trained_layer)])

    assert costs[0].valid
    assert _warnings(caplog) == []


def test_model_without_layer_list_checks_nothing(default_model, caplog):
    model = copy.copy(default_model)
    model.metadata = {key: value for key, value in default_model.metadata.items() if key != "layers"}
    evaluator = PredictorEvaluator(model)

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        evaluator.evaluate([(SIMBA_BASE_CONFIG, Layer(1, 1, 1, 1, 64, 64))])

    assert evaluator.training_range is None
    assert _warnings(caplog) == []


def test_range_names_each_number_outside():
    training = TrainingLayerRange(["3_3_56_56_64_64_1_1_1_1_1", "1_1_7_7_512_2048_1_1_1_1_1"])

    phrases = training.outside(Layer(3, 3, 56, 56, 64, 64, N=4))

    assert phrases == [
        "N 4 (trained on 1..1)",
        "MACs 462,422,016 (trained on 51,380,224..115,605,504)",
    ]
    assert training.outside(Layer(1, 1, 28, 28, 256, 512)) == []
