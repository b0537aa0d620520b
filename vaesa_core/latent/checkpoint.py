"""Save and load latent models as versioned ``.pt`` checkpoints.

A checkpoint is a plain dict (loadable with ``torch.load(weights_only=True)``):
``format`` and ``format_version``, the network shape and weights, the design
space (``DesignSpace.to_dict``), the layer-feature encoding, the target
scaling, the latent box and training metadata.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from pathlib import Path

import numpy as np
import torch

from vaesa_core.errors import ModelMismatchError
from vaesa_core.latent.features import LAYER_FEATURE_NAMES, LayerFeatureEncoding, TargetScaling
from vaesa_core.latent.model import LatentModel
from vaesa_core.latent.network import LatentNetwork, NetworkShape
from vaesa_core.space.design_space import DesignSpace, simba_space

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "default_model_path", "save_model", "load_model", "load_default_model"]

_logger = logging.getLogger(__name__)

#: Value of the checkpoint's ``format`` key.
FORMAT_NAME = "vaesa-latent-model"

#: Version of the checkpoint layout; loading another version raises ``ModelMismatchError``.
FORMAT_VERSION = 1


def default_model_path() -> Path:
    """Return the path of the model shipped with the package."""
    return Path(__file__).resolve().parent / "models" / "default.pt"


def save_model(model: LatentModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.network.state_dict().items()}
    checkpoint = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "network_shape": model.network.shape.to_dict(),
        "state_dict": state,
        "design_space": model.design_space.to_dict(),
        "layer_features": model.layer_encoding.to_dict(),
        "targets": model.target_scaling.to_dict(),
        "latent_lower": [float(v) for v in model.latent_lower],
        "latent_upper": [float(v) for v in model.latent_upper],
        # JSON text keeps arbitrary metadata loadable with weights_only=True.
        "metadata_json": json.dumps(model.metadata, sort_keys=True),
    }
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    path.write_bytes(buffer.getvalue())
    _logger.info("Saved latent model to %s (%d bytes)", path, path.stat().st_size)
    return path


def _mismatch(path: Path, what: str, found: object, expected: object, fix: str) -> ModelMismatchError:
    return ModelMismatchError(f"Latent model {str(path)!r} does not fit: {what} is {found!r}, expected {expected!r}. {fix}")


def load_model(path: str | Path, *, design_space: DesignSpace | None = None) -> LatentModel:
    """Read a checkpoint written by ``save_model``.

    Args:
        path: The ``.pt`` file.
        design_space: The space the caller searches; the model's space must
            equal it (same parameters, same ranges). None means the built-in
            ``simba_space()``.

    Returns:
        The model, in eval mode, with the design space it was trained on.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ModelMismatchError: The file is not a latent model, has another
            format version, or was trained on another design space or
            layer-feature encoding.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Latent model {str(path)!r} not found.")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a file that is not a checkpoint
        # Only the error type is quoted: torch's own message for a file that is
        # not a checkpoint suggests an unsafe load, which is the wrong advice here.
        raise ModelMismatchError(
            f"{str(path)!r} is not a readable latent model: it is another kind of file, or a model file "
            f"that is corrupt or truncated ({type(error).__name__}). Train one with 'vaesa train'."
        ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT_NAME:
        found = checkpoint.get("format") if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise _mismatch(path, "the format", found, FORMAT_NAME, "Train a model with 'vaesa train'.")
    if checkpoint.get("format_version") != FORMAT_VERSION:
        raise _mismatch(
            path, "the format version", checkpoint.get("format_version"), FORMAT_VERSION,
            "Retrain it with this version of vaesa ('vaesa train').",
        )

    try:
        return _build_model(path, checkpoint, design_space)
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as error:
        # A file with the right header but missing or misshapen contents.
        detail = " ".join(str(error).split()) or type(error).__name__
        if len(detail) > 240:
            detail = detail[:237] + "..."
        raise ModelMismatchError(
            f"{str(path)!r} is an incomplete or damaged latent model ({detail}). "
            "Train a new one with 'vaesa train'."
        ) from None


def _build_model(path: Path, checkpoint: dict, design_space: DesignSpace | None) -> LatentModel:
    stored_parameters = checkpoint["design_space"].get("parameters")
    space = design_space if design_space is not None else simba_space()
    if stored_parameters != space.to_dict()["parameters"]:
        raise _mismatch(
            path, "the design space", _describe_parameters(stored_parameters), _describe_parameters(space.to_dict()["parameters"]),
            "Use a model trained on this design space, or train one with 'vaesa train'.",
        )
    names = tuple(checkpoint["layer_features"].get("names", ()))
    if names != LAYER_FEATURE_NAMES:
        raise _mismatch(
            path, "the layer-feature list", names, LAYER_FEATURE_NAMES, "Retrain it with this version of vaesa."
        )

    shape = NetworkShape.from_dict(checkpoint["network_shape"])
    if shape.design_dim != space.dimension:
        raise _mismatch(path, "the design width", shape.design_dim, space.dimension, "Retrain it for this space.")
    network = LatentNetwork(shape)
    network.load_state_dict(checkpoint["state_dict"])
    return LatentModel(
        network=network,
        design_space=space,
        layer_encoding=LayerFeatureEncoding.from_dict(checkpoint["layer_features"]),
        target_scaling=TargetScaling.from_dict(checkpoint["targets"]),
        latent_lower=np.asarray(checkpoint["latent_lower"], dtype=float),
        latent_upper=np.asarray(checkpoint["latent_upper"], dtype=float),
        metadata=json.loads(checkpoint.get("metadata_json", "{}")),
    )


@functools.lru_cache(maxsize=4)
def _cached_load(path: str, modified_ns: int, design_space: DesignSpace | None) -> LatentModel:
    return load_model(path, design_space=design_space)


def load_default_model(path: str | Path | None = None, *, design_space: DesignSpace | None = None) -> LatentModel:
    """Load ``path`` (default: the shipped model), caching by path and modification time.

    Raises:
        FileNotFoundError: The file does not exist.
        ModelMismatchError: As ``load_model``.
    """
    resolved = Path(path) if path is not None else default_model_path()
    if not resolved.is_file():
        hint = " The shipped model is missing; reinstall vaesa or train one with 'vaesa train'." if path is None else ""
        raise FileNotFoundError(f"Latent model {str(resolved)!r} not found.{hint}")
    model = _cached_load(str(resolved.resolve()), resolved.stat().st_mtime_ns, design_space)
    return model


def _describe_parameters(parameters: object) -> str:
    if not isinstance(parameters, list):
        return repr(parameters)
    return "; ".join(f"{entry.get('name')} {entry.get('range')}" for entry in parameters)
