"""Plugin hook specifications: the API plugins implement.

Plugins are modules or objects with ``@hookimpl``-decorated functions, found
through the ``vaesa`` entry-point group (``[options.entry_points] vaesa =
NAME = module``). First-party plugins under ``plugins/`` register exactly
like third-party ones.

Every hook here is a *registration* hook: it fires once, when the plugin
registry is first built (at the start of each CLI command), takes no
arguments, and returns a mapping from a public name (``--optimizer bo``) to a
factory. Returning None or an empty mapping registers nothing. Two plugins
registering the same name is an error that names both plugins.

All hooks were added in vaesa 0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from vaesa_core.evaluation.evaluator import Evaluator
    from vaesa_core.search.optimizer import Optimizer, SearchContext
    from vaesa_core.search.search_space import SearchSpace
    from vaesa_core.space.design_space import DesignSpace

__all__ = ["hookspec", "hookimpl", "PROJECT_NAME"]

#: The pluggy project name and the entry-point group plugins register under.
PROJECT_NAME = "vaesa"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- search -------------------------------------------------------------------


@hookspec
def vaesa_register_optimizers() -> Mapping[str, Callable[[SearchContext], Optimizer]] | None:
    """Register optimizers by name.

    Fires once when the registry is built. A factory is called once per run
    with the run's ``SearchContext`` and returns an ``Optimizer``; an
    ``Optimizer`` subclass is itself a valid factory.

    Returns:
        ``{name: factory}``, or None to register nothing.
    """


@hookspec
def vaesa_register_search_spaces() -> Mapping[str, Callable[..., SearchSpace]] | None:
    """Register search spaces by name (``--space NAME``).

    A factory is called as ``factory(design_space, **options)``, where
    ``design_space`` is the ``DesignSpace`` being searched and ``options``
    are string settings from the CLI (for example ``model=PATH`` for the
    latent space). It returns a ``SearchSpace``.

    Returns:
        ``{name: factory}``, or None to register nothing.
    """


# -- evaluation ---------------------------------------------------------------


@hookspec
def vaesa_register_evaluators() -> Mapping[str, Callable[..., Evaluator]] | None:
    """Register evaluators by name (``--evaluator NAME``).

    A factory is called as ``factory(design_space=..., mapper=..., **options)``:
    ``design_space`` is the ``DesignSpace`` in use, ``mapper`` is the value
    of ``--mapper`` (None for the evaluator's default; evaluators without a
    mapper ignore it) and ``options`` are string settings. It returns an
    ``Evaluator`` whose costs are in cycles and pJ.

    Returns:
        ``{name: factory}``, or None to register nothing.
    """


@hookspec
def vaesa_register_mappers() -> Mapping[str, Callable[..., Any]] | None:
    """Register mappers by name (``--mapper NAME``).

    A mapper chooses, for a design and a layer, the loop mapping that the
    analytical cost model scores. A factory is called as
    ``factory(**options)`` and returns a ``vaesa_core.mapping.Mapper``.

    Returns:
        ``{name: factory}``, or None to register nothing.
    """


# -- execution ----------------------------------------------------------------


@hookspec
def vaesa_register_executors() -> Mapping[str, Callable[[int], Executor]] | None:
    """Register executors by name (``--executor NAME``) for parallel evaluation.

    A factory is called as ``factory(max_workers)`` and returns a
    ``concurrent.futures.Executor`` (for example a process pool, or a
    client of a cluster scheduler). The caller shuts it down.

    Returns:
        ``{name: factory}``, or None to register nothing.
    """


if TYPE_CHECKING:  # keep names used only in annotations importable for tools
    _ = (DesignSpace,)
