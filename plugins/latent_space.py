"""The ``latent`` search space: the coordinates of a trained VAESA latent model.

Options: ``model=PATH`` selects a checkpoint written by ``vaesa train``; the
default is the model shipped in ``vaesa_core/latent/models/default.pt``.
"""

from __future__ import annotations

from vaesa_core.hookspecs import hookimpl
from vaesa_core.latent.space import LatentSpace

_KNOWN_OPTIONS = ("model",)


def make_latent_space(design_space, model=None, **options):
    """Build a ``LatentSpace`` on ``design_space`` from ``model`` (a path; None for the shipped model).

    Raises:
        ValueError: An option other than ``model`` is given.
        ModelMismatchError: The model was trained on another design space.
        FileNotFoundError: The checkpoint does not exist.
    """
    if options:
        raise ValueError(
            f"Search space 'latent' got unknown option(s) {', '.join(map(repr, sorted(options)))}; "
            f"known options: {', '.join(_KNOWN_OPTIONS)} (e.g. --space-option model=PATH)."
        )
    return LatentSpace(design_space, model or None)


# One-line help of each setting, shown by ``vaesa plugins``.
make_latent_space.options = {  # type: ignore[attr-defined]
    "model": "latent model checkpoint whose encoder and decoder define the space (default: the shipped model)",
}


@hookimpl
def vaesa_register_search_spaces():
    return {"latent": make_latent_space}
