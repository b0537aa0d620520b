"""Build plugin components from CLI option values."""

from __future__ import annotations

from vaesa_core.evaluation.evaluator import Evaluator
from vaesa_core.plugins import PluginRegistry
from vaesa_core.search.search_space import SearchSpace
from vaesa_core.space.design_space import DesignSpace

__all__ = ["build_evaluator", "build_space"]


def build_evaluator(
    registry: PluginRegistry,
    name: str,
    *,
    design_space: DesignSpace,
    mapper: str | None,
    options: dict[str, str],
) -> Evaluator:
    """Build the evaluator registered as ``name``; a mapper name is checked first."""
    if mapper is not None:
        registry.get("mapper", mapper)
    return registry.create("evaluator", name, design_space=design_space, mapper=mapper, **options)


def build_space(registry: PluginRegistry, name: str, *, design_space: DesignSpace, options: dict[str, str]) -> SearchSpace:
    """Build the search space registered as ``name``."""
    return registry.create("search_space", name, design_space, **options)
