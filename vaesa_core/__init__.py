"""vaesa: design-space exploration of DNN accelerators on a learned latent space."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vaesa")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = ["__version__"]
