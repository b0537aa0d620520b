"""Checkpoint round trip and the errors for models that do not fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaesa_core.errors import ModelMismatchError
from vaesa_core.latent.checkpoint import FORMAT_VERSION, load_model, save_model
from vaesa_core.space import DesignSpace, IntRange, PowerOfTwo, simba_space
from vaesa_core.workloads import builtin_workload


def _narrow_space() -> DesignSpace:
    # The Simba-like space with MAC units capped at 2048 instead of 4096.
    reference = simba_space()
    parameters = list(reference.parameters)
    parameters[1] = IntRange("macs", "MAC units", "total MAC units", start=256, stop=2048, step=256)
    assert isinstance(parameters[0], PowerOfTwo)
    return DesignSpace(parameters, name="narrow")


def test_round_trip_keeps_predictions_and_box(trained, model_path):
    model, _ = trained
    loaded = load_model(model_path)
    configs = simba_space().sample(5, np.random.default_rng(3))
    layers = builtin_workload("alexnet").layers

    expected = model.predict_costs(configs, layers)
    actual = loaded.predict_costs(configs, layers)

    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-6)
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-6)
    np.testing.assert_array_equal(loaded.latent_lower, model.latent_lower)
    np.testing.assert_array_equal(loaded.latent_upper, model.latent_upper)
    assert loaded.layer_encoding == model.layer_encoding
    assert loaded.target_scaling == model.target_scaling
    assert loaded.metadata["training"]["latent_dim"] == 3


def test_save_creates_parent_folders(trained, tmp_path):
    path = save_model(trained[0], tmp_path / "a" / "b" / "model.pt")

    assert path.is_file()


def test_other_design_space_raises_mismatch(model_path):
    with pytest.raises(ModelMismatchError, match="design space"):
        load_model(model_path, design_space=_narrow_space())


def test_other_format_version_raises_mismatch(model_path, tmp_path):
    checkpoint = torch.load(model_path, weights_only=True)
    checkpoint["format_version"] = FORMAT_VERSION + 1
    path = tmp_path / "future.pt"
    torch.save(checkpoint, path)

    with pytest.raises(ModelMismatchError, match="format version is 2, expected 1"):
        load_model(path)


def test_file_that_is_not_a_model_raises_mismatch(tmp_path):
    path = tmp_path / "text.pt"
    path.write_text("not a checkpoint")

    with pytest.raises(ModelMismatchError, match="not a readable latent model") as raised:
        load_model(path)

    assert "weights_only" not in str(raised.value)


def test_truncated_model_raises_mismatch(model_path, tmp_path):
    path = tmp_path / "truncated.pt"
    path.write_bytes(model_path.read_bytes()[:1000])

    with pytest.raises(ModelMismatchError, match="corrupt or truncated"):
        load_model(path)


@pytest.mark.parametrize("damage", ["missing_weight", "misshapen_weight", "missing_box"])
def test_damaged_contents_raise_mismatch(model_path, tmp_path, damage):
    checkpoint = torch.load(model_path, weights_only=True)
    if damage == "missing_weight":
        del checkpoint["state_dict"]["encoder.0.weight"]
    elif damage == "misshapen_weight":
        checkpoint["state_dict"]["encoder.0.weight"] = checkpoint["state_dict"]["encoder.0.weight"][:, :3]
    else:
        del checkpoint["latent_lower"]
    path = tmp_path / f"{damage}.pt"
    torch.save(checkpoint, path)

    with pytest.raises(ModelMismatchError, match="incomplete or damaged latent model"):
        load_model(path)


def test_other_torch_object_raises_mismatch(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(2)}, path)

    with pytest.raises(ModelMismatchError, match="the format is None, expected 'vaesa-latent-model'"):
        load_model(path)


def test_missing_file_raises_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_model(tmp_path / "absent.pt")
