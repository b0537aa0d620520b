"""Predictor-only phase: only the predictor changes, the kept weights are the best checked ones."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from vaesa_core.latent.network import LatentNetwork, NetworkShape
from vaesa_core.latent.predictor_fit import PredictorPhaseConfig, _masked_mse, fit_predictor
from vaesa_core.latent.training import prepare_data
from vaesa_core.space import simba_space


@pytest.fixture(scope="module")
def setting(small_table):
    data, _, _ = prepare_data(small_table, simba_space())
    torch.manual_seed(0)
    network = LatentNetwork(NetworkShape(design_dim=6, latent_dim=3, vae_hidden=(16,), predictor_hidden=(16,)))
    index = np.arange(len(data.designs_raw))
    return network, data, index[:240], index[240:]


def _run(setting, **changes):
    network, data, train_index, validation_index = setting
    network = copy.deepcopy(network)
    config = PredictorPhaseConfig(**{"steps": 400, "check_every": 100, "batch_designs": 16, **changes})
    # The re-initialisation draws from torch's global generator.
    torch.manual_seed(1)
    result = fit_predictor(
        network, data.units, data.layer_features, data.targets, data.mask, train_index, validation_index,
        config, torch.Generator().manual_seed(0),
    )
    return network, result


def test_only_the_predictor_changes(setting):
    before = setting[0].state_dict()
    network, result = _run(setting)

    after = network.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and all(name.startswith("predictor.") for name in changed)
    assert result.steps_run == 400
    assert len(result.history) == 4


def test_kept_weights_have_the_reported_validation_error(setting):
    network, result = _run(setting)
    _, data, _, validation_index = setting

    with torch.no_grad():
        latent, _ = network.encode(data.units[validation_index])
        measured = float(
            _masked_mse(network.predictor, latent, data.layer_features, data.targets[validation_index], data.mask[validation_index])
        )
    assert measured == pytest.approx(result.validation_mse, rel=1e-5)
    assert result.validation_mse <= result.joint_validation_mse
    assert result.validation_mse == min([result.joint_validation_mse] + [entry["validation_mse"] for entry in result.history])


def test_refit_beats_an_untrained_predictor(setting):
    # The fixture's predictor was never trained, so 400 steps must lower the error.
    _, result = _run(setting)

    assert result.best_step > 0
    assert result.validation_mse < 0.5 * result.joint_validation_mse


def test_zero_steps_keeps_the_predictor(setting):
    network, result = _run(setting, steps=0)

    assert result.steps_run == 0
    assert result.best_step == 0
    for name, value in setting[0].state_dict().items():
        assert torch.equal(value, network.state_dict()[name])


def test_phase_is_seeded(setting):
    first, _ = _run(setting)
    second, _ = _run(setting)

    for name, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[name])


@pytest.mark.parametrize(
    ("field", "value"),
    [("steps", -1), ("batch_designs", 0), ("learning_rate", 0.0), ("layer_noise", -0.1), ("patience", 0), ("max_time_s", 0.0)],
)
def test_bad_settings_are_rejected(field, value):
    with pytest.raises(ValueError, match=field):
        PredictorPhaseConfig(**{field: value})
