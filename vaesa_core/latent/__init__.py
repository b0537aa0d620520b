"""The learned latent space: data sets, the VAE with its cost predictor, and search in latent coordinates."""

from vaesa_core.latent.checkpoint import FORMAT_VERSION, default_model_path, load_default_model, load_model, save_model
from vaesa_core.latent.dataset import DATASET_COLUMNS, LAYER_COLUMNS, read_dataset, write_dataset
from vaesa_core.latent.features import LayerFeatureEncoding, TargetScaling
from vaesa_core.latent.generation import GenerationResult, generate_dataset
from vaesa_core.latent.importer import import_published_dataset
from vaesa_core.latent.model import LatentModel
from vaesa_core.latent.network import LatentNetwork, NetworkShape
from vaesa_core.latent.training import TrainingConfig, TrainingReport, train_model

__all__ = [
    "DATASET_COLUMNS",
    "FORMAT_VERSION",
    "GenerationResult",
    "LAYER_COLUMNS",
    "LatentModel",
    "LatentNetwork",
    "LayerFeatureEncoding",
    "NetworkShape",
    "TargetScaling",
    "TrainingConfig",
    "TrainingReport",
    "default_model_path",
    "generate_dataset",
    "import_published_dataset",
    "load_default_model",
    "load_model",
    "read_dataset",
    "save_model",
    "train_model",
    "write_dataset",
]
