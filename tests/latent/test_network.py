"""Shapes and ranges of the encoder, decoder and predictor."""

from __future__ import annotations

import pytest
import torch

from vaesa_core.latent.network import LatentNetwork, NetworkShape


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_encode_decode_shapes(dtype):
    network = LatentNetwork(NetworkShape(latent_dim=4, vae_hidden=(16,), predictor_hidden=(16,))).to(dtype)
    designs = torch.rand(7, 6, dtype=dtype)

    mean, log_variance = network.encode(designs)
    decoded = network.decode(mean)

    assert mean.shape == (7, 4)
    assert log_variance.shape == (7, 4)
    assert decoded.shape == (7, 6)
    assert decoded.dtype == dtype
    assert bool(((decoded >= 0) & (decoded <= 1)).all())


@pytest.mark.parametrize("output", ["clipped", "sigmoid"])
def test_decode_stays_in_box(output):
    network = LatentNetwork(NetworkShape(latent_dim=3, vae_hidden=(16,), predictor_hidden=(16,), decoder_output=output))
    latent = 1e3 * torch.randn(50, 3)

    decoded = network.decode(latent)

    assert bool(((decoded >= 0) & (decoded <= 1)).all())
    if output == "sigmoid":
        assert torch.equal(decoded, network.reconstruct(latent))


def test_clipped_decoder_reaches_box_edges():
    # A linear last layer with a large bias must decode exactly to 1 and 0,
    # which a sigmoid never returns.
    network = LatentNetwork(NetworkShape(latent_dim=2, vae_hidden=(4,), predictor_hidden=(4,)))
    last = network.decoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([5.0, -5.0, 0.5, 1.0, 0.0, 2.0]))

    decoded = network.decode(torch.zeros(1, 2))

    assert decoded.tolist() == [[1.0, 0.0, 0.5, 1.0, 0.0, 1.0]]
    assert network.reconstruct(torch.zeros(1, 2))[0, 0].item() == 5.0


def test_older_shape_defaults_to_sigmoid():
    data = NetworkShape(latent_dim=2).to_dict()
    del data["decoder_output"]

    assert NetworkShape.from_dict(data).decoder_output == "sigmoid"


def test_predict_broadcasts_designs_and_layers():
    network = LatentNetwork(NetworkShape(latent_dim=2, vae_hidden=(8,), predictor_hidden=(8,)))
    latent = torch.randn(5, 1, 2)
    layers = torch.randn(1, 3, 9)

    assert network.predict(latent, layers).shape == (5, 3, 2)


def test_shape_rejects_bad_sizes():
    with pytest.raises(ValueError, match="latent_dim must be at least 1"):
        NetworkShape(latent_dim=0)
    with pytest.raises(ValueError, match="vae_hidden must list positive widths"):
        NetworkShape(vae_hidden=())
    with pytest.raises(ValueError, match="decoder_output must be one of clipped, sigmoid"):
        NetworkShape(decoder_output="tanh")


def test_shape_round_trips_through_dict():
    shape = NetworkShape(latent_dim=5, vae_hidden=(10, 20), predictor_hidden=(30,))

    assert NetworkShape.from_dict(shape.to_dict()) == shape
