"""Fixtures of the latent-model tests: a small data set and a model trained on it in seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vaesa_core.latent.dataset import DATASET_COLUMNS, LAYER_COLUMNS
from vaesa_core.latent.generation import sample_unique_designs
from vaesa_core.latent.training import TrainingConfig, train_model
from vaesa_core.space import PARAMETER_NAMES, simba_space
from vaesa_core.workloads import builtin_workload
from vaesa_plugins.placeholder_evaluator import PlaceholderEvaluator


def placeholder_table(n_designs: int, layers, seed: int = 0) -> pd.DataFrame:
    """Return a data-set table of placeholder costs for random designs."""
    space = simba_space()
    raw = sample_unique_designs(space, n_designs, seed)
    evaluator = PlaceholderEvaluator()
    rows = []
    for design in raw:
        config = space.config_from_array(design)
        for layer, cost in zip(layers, evaluator.evaluate([(config, layer) for layer in layers])):
            rows.append([*design, *layer.shape_key(), cost.cycles, cost.energy_pj, cost.valid, cost.status.value])
    frame = pd.DataFrame(rows, columns=list(DATASET_COLUMNS))
    for column in (*PARAMETER_NAMES, *LAYER_COLUMNS):
        frame[column] = frame[column].astype(np.int64)
    return frame


@pytest.fixture(scope="session")
def small_table() -> pd.DataFrame:
    """Return 300 random designs on the AlexNet layers, scored by the placeholder evaluator."""
    return placeholder_table(300, builtin_workload("alexnet").layers)


@pytest.fixture(scope="session")
def tiny_config() -> TrainingConfig:
    return TrainingConfig(
        latent_dim=3, vae_hidden=(32, 32), predictor_hidden=(32, 32), epochs=25, batch_designs=32, patience=25,
        predictor_steps=300, seed=0,
    )


@pytest.fixture(scope="session")
def trained(small_table, tiny_config):
    """Return (model, report) of a model trained on ``small_table``."""
    return train_model(small_table, simba_space(), tiny_config)


@pytest.fixture(scope="session")
def model_path(trained, tmp_path_factory):
    """Return the path of ``trained``'s model saved as a checkpoint."""
    from vaesa_core.latent.checkpoint import save_model

    return save_model(trained[0], tmp_path_factory.mktemp("model") / "tiny.pt")
