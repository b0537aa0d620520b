"""LatentSpace, the original-space surrogate and the two latent plugins."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaesa_core.errors import ModelMismatchError
from vaesa_core.evaluation import Objective, evaluate_network
from vaesa_core.latent.space import LatentSpace
from vaesa_core.latent.surrogate import original_space_surrogate
from vaesa_core.plugins import get_registry
from vaesa_core.space import simba_space
from vaesa_core.workloads import builtin_workload


@pytest.fixture()
def space(model_path):
    return LatentSpace(simba_space(), model_path)


def test_every_sampled_point_decodes_to_legal_design(space):
    points = space.sample(200, np.random.default_rng(0))
    lower, upper = space.bounds

    configs = space.to_configs(points)

    assert points.shape == (200, space.dimension)
    assert bool(((points >= lower) & (points <= upper)).all())
    assert len(configs) == 200
    assert all(space.design_space.contains(config) for config in configs)


def test_points_outside_box_are_clipped_to_legal_designs(space):
    far = np.full((3, space.dimension), 1e6)
    far[1] *= -1

    assert all(space.design_space.contains(config) for config in space.to_configs(far))


def test_box_covers_training_designs(space, small_table):
    designs = small_table[["pes", "macs", "accum_buffer", "weight_buffer", "input_buffer", "global_buffer"]].drop_duplicates()
    lower, upper = space.bounds

    latent = space.model.encode_configs(designs.to_numpy())

    assert bool((latent >= lower - 1e-9).all())
    assert bool((latent <= upper + 1e-9).all())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("objective", list(Objective))
def test_differentiable_objective_has_gradients(space, dtype, objective):
    function = space.differentiable_objective(builtin_workload("resnet50"), objective)
    points = torch.as_tensor(space.sample(4, np.random.default_rng(1)), dtype=dtype).requires_grad_(True)

    values = function(points)
    values.sum().backward()

    assert values.shape == (4,)
    assert values.dtype == dtype
    assert bool(torch.isfinite(values).all())
    assert points.grad is not None
    assert float(points.grad.abs().sum()) > 0


def test_objective_matches_predictor_evaluator_sums(space, model_path):
    workload = builtin_workload("resnet50")
    evaluator = get_registry().create("evaluator", "predictor", design_space=simba_space(), mapper=None, model=str(model_path))
    points = space.sample(3, np.random.default_rng(2))
    configs = space.to_configs(points)

    # Score the decoded designs' own latent means, so both paths see the same point.
    latent = torch.as_tensor(space.model.encode_configs(configs))
    predicted = space.differentiable_objective(workload, Objective.EDP)(latent).detach().numpy()
    costs = evaluate_network(evaluator, configs, workload)

    np.testing.assert_allclose(predicted, [np.log(cost.edp) for cost in costs], rtol=1e-5)
    assert all(cost.estimate for cost in costs)
    assert all(layer.estimate for cost in costs for layer in cost.layer_costs)


def test_original_space_surrogate_has_gradients(model_path):
    function = original_space_surrogate(simba_space(), builtin_workload("alexnet"), Objective.EDP, model_path=model_path)
    units = torch.rand(5, 6, dtype=torch.float64, requires_grad=True)

    values = function(units)
    values.sum().backward()

    assert values.shape == (5,)
    assert float(units.grad.abs().sum()) > 0


def test_latent_plugin_builds_space_from_model_option(model_path):
    space = get_registry().create("search_space", "latent", simba_space(), model=str(model_path))

    assert isinstance(space, LatentSpace)
    assert space.describe()["model"] == str(model_path)


def test_latent_plugin_rejects_unknown_option(model_path):
    with pytest.raises(ValueError, match="unknown option"):
        get_registry().create("search_space", "latent", simba_space(), model=str(model_path), depth="3")


def test_in_memory_model_of_other_space_raises(trained):
    from tests.latent.test_checkpoint import _narrow_space

    with pytest.raises(ModelMismatchError, match="another design space"):
        LatentSpace(_narrow_space(), trained[0])
