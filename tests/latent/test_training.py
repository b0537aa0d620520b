"""Joint training: loss goes down, the split holds out whole designs, settings are checked."""

from __future__ import annotations

import numpy as np
import pytest

from vaesa_core.latent.training import TrainingConfig, _split_designs, prepare_data, train_model
from vaesa_core.space import simba_space


def test_training_reduces_every_loss_term(trained):
    _, report = trained
    first, last = report.history[0], report.history[-1]

    assert last["train_total"] < first["train_total"]
    assert last["train_rec"] < first["train_rec"]
    assert last["train_pred"] < first["train_pred"]
    assert report.best_epoch >= 1


def test_report_measures_heldout_designs(trained, small_table):
    _, report = trained
    n_designs = len(small_table.drop_duplicates(subset=["pes", "macs", "accum_buffer", "weight_buffer", "input_buffer", "global_buffer"]))

    assert report.train_designs + report.validation_designs == n_designs
    assert 0.0 <= report.exact_reconstruction <= 1.0
    assert set(report.median_error_log2) == {"pes", "macs", "accum_buffer", "weight_buffer", "input_buffer", "global_buffer"}
    assert report.predictor_mae_ln["cycles"] < 1.0
    assert -1.0 <= report.spearman_edp_median <= 1.0


def test_training_is_seeded(small_table, tiny_config):
    config = TrainingConfig(**{**tiny_config.to_dict(), "epochs": 2, "vae_hidden": (16,), "predictor_hidden": (16,)})

    first, _ = train_model(small_table, simba_space(), config)
    second, _ = train_model(small_table, simba_space(), config)

    for name, tensor in first.network.state_dict().items():
        assert np.array_equal(tensor.numpy(), second.network.state_dict()[name].numpy()), name


def test_split_holds_out_whole_designs():
    train, validation = _split_designs(50, 0.2, np.random.default_rng(1))

    assert len(validation) == 10
    assert not set(train) & set(validation)
    assert sorted([*train, *validation]) == list(range(50))


def test_prepare_data_builds_dense_targets(small_table):
    data, layer_encoding, target_scaling = prepare_data(small_table, simba_space())

    assert data.units.shape == (300, 6)
    assert data.targets.shape == (300, 8, 2)
    assert bool(data.mask.all())
    assert abs(float(data.targets[..., 0].mean())) < 1e-3
    assert len(layer_encoding.mean) == 9
    assert len(target_scaling.mean) == 2


def test_prepare_data_rejects_table_without_valid_rows(small_table):
    frame = small_table.assign(valid=False)

    with pytest.raises(ValueError, match="no valid"):
        prepare_data(frame, simba_space())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("latent_dim", 0, "latent_dim must be a positive integer"), ("beta", -1.0, "beta must be a finite number"),
     ("validation_fraction", 1.0, "validation_fraction must be in")],
)
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**{field: value})
