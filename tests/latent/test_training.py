"""Joint training: loss goes down, the split holds out whole designs, settings are checked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaesa_core.latent.network import LatentNetwork, NetworkShape
from vaesa_core.latent.training import TrainingConfig, _loss_terms, _split_designs, prepare_data, train_model
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
     ("validation_fraction", 1.0, "validation_fraction must be in"),
     ("within_layer_weight", -0.5, "within_layer_weight must be a finite number"),
     ("decoder_output", "relu", "decoder_output must be one of")],
)
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**{field: value})


def _terms_for_errors(errors: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Return the loss terms of a network whose predictor output is zero, for targets ``-errors``."""
    network = LatentNetwork(NetworkShape(latent_dim=2, vae_hidden=(4,), predictor_hidden=(4,)))
    with torch.no_grad():
        network.predictor[-1].weight.zero_()
        network.predictor[-1].bias.zero_()
    n, layers = mask.shape
    return _loss_terms(
        network, torch.rand(n, 6), -errors, mask, torch.zeros(layers, 9), torch.ones(6), sample=False
    )


def test_within_term_ignores_layer_offsets():
    # Layer 0 is off by 2 for every design, layer 1 by -1: the ranking of
    # designs inside each layer is intact, so only the plain term measures it.
    errors = torch.tensor([[2.0, -1.0], [2.0, -1.0], [2.0, -1.0]])[..., None].expand(3, 2, 2)

    terms = _terms_for_errors(errors, torch.ones(3, 2, dtype=torch.bool))

    assert terms["pred"].item() == pytest.approx(2.5)
    assert terms["within"].item() == pytest.approx(0.0, abs=1e-7)


def test_within_term_skips_invalid_pairs():
    # Layer 0 errors 1 and 3 (mean 2, deviations +-1); the invalid third
    # pair (error 100) must enter neither term.
    errors = torch.tensor([[1.0], [3.0], [100.0]])[..., None].expand(3, 1, 2)
    mask = torch.tensor([[True], [True], [False]])

    terms = _terms_for_errors(errors, mask)

    assert terms["pred"].item() == pytest.approx(5.0)
    assert terms["within"].item() == pytest.approx(1.0)


def test_mean_reconstruction_reads_latent_mean():
    network = LatentNetwork(NetworkShape(latent_dim=2, vae_hidden=(8,), predictor_hidden=(4,)))
    units = torch.rand(5, 6)
    mask = torch.ones(5, 1, dtype=torch.bool)
    args = (network, units, torch.zeros(5, 1, 2), mask, torch.zeros(1, 9), torch.ones(6))

    sampled = _loss_terms(*args, sample=True, generator=torch.Generator().manual_seed(0))
    deterministic = _loss_terms(*args, sample=False)

    assert sampled["rec_mean"].item() == pytest.approx(deterministic["rec"].item())
    assert sampled["rec"].item() != pytest.approx(sampled["rec_mean"].item())
