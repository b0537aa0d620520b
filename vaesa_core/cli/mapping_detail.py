"""Helpers of ``vaesa evaluate`` for explicit mappings, per-level detail and Timeloop export."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from vaesa_core.arch import Architecture, simba_architecture
from vaesa_core.costmodel import MappingCost, score_mapping
from vaesa_core.evaluation import LayerCost, NetworkCost, Status
from vaesa_core.space import HardwareConfig
from vaesa_core.timeloop_io import ImportedMapping, export_timeloop, load_mapping
from vaesa_core.workloads import Layer, Network

__all__ = ["architecture_builder", "score_mapping_file", "print_detail", "export_points", "layer_folder_names"]


def score_mapping_file(
    path: Path, configs: Sequence[HardwareConfig], layer: Layer
) -> tuple[list[NetworkCost], ImportedMapping]:
    """Score the Timeloop v0.2 mapping in ``path`` for ``layer`` on each design.

    The file's bypass entries override the Simba-like keep sets. An illegal
    mapping yields an ``INFEASIBLE`` cost that names the failed check.

    Raises:
        ValueError: The file is unreadable or malformed, or its factors do
            not multiply back to the layer's dimensions.
    """
    base = simba_architecture(configs[0])
    imported = load_mapping(path, base.level_names)
    if not imported.mapping.matches(layer):
        products = dict(zip("RSPQCKN", (int(value) for value in imported.mapping.products())))
        raise ValueError(
            f"{path}: the mapping's factors multiply to {products}, but the layer is {layer.dims}; "
            "give the --layer the mapping was made for."
        )
    costs = []
    for config in configs:
        architecture = imported.apply_keeps(simba_architecture(config))
        cost = score_mapping(architecture, layer, imported.mapping)
        if cost.valid:
            layer_cost = LayerCost(cost.cycles, cost.energy_pj, Status.OK, "", mapping=imported.mapping)
            costs.append(NetworkCost(cost.cycles, cost.energy_pj, (layer_cost,)))
        else:
            layer_cost = LayerCost.invalid(Status.INFEASIBLE, cost.reason)
            costs.append(NetworkCost(float("inf"), float("inf"), (layer_cost,), Status.INFEASIBLE, cost.reason))
    return costs, imported


def _points(configs: Sequence[HardwareConfig], network: Network, costs: Sequence[NetworkCost]):
    for config, cost in zip(configs, costs):
        for layer, layer_cost in zip(network.layers, cost.layer_costs):
            yield config, layer, layer_cost


def architecture_builder(imported: ImportedMapping | None = None) -> Callable[[HardwareConfig], Architecture]:
    """Return a function that builds a design's architecture, with ``imported``'s keep sets if given."""
    if imported is None:
        return simba_architecture
    return lambda config: imported.apply_keeps(simba_architecture(config))


def print_detail(
    configs: Sequence[HardwareConfig],
    network: Network,
    costs: Sequence[NetworkCost],
    *,
    architecture_of: Callable[[HardwareConfig], Architecture] = simba_architecture,
) -> None:
    """Print each (design, layer) pair's per-level, per-datatype reads, fills, updates and energy."""
    for config, layer, layer_cost in _points(configs, network, costs):
        click.echo(f"\n{config.label()} / {layer.label()}")
        mapping = getattr(layer_cost, "mapping", None)
        if mapping is None:
            click.echo(f"  no mapping to detail ({layer_cost.status.value}: {layer_cost.reason or 'none returned'})")
            continue
        detail: MappingCost = score_mapping(architecture_of(config), layer, mapping)
        click.echo(mapping.describe())
        click.echo(detail.table())


def export_points(
    directory: Path,
    configs: Sequence[HardwareConfig],
    network: Network,
    costs: Sequence[NetworkCost],
    *,
    architecture_of: Callable[[HardwareConfig], Architecture] = simba_architecture,
) -> int:
    """Write Timeloop arch/problem/mapping YAML for every pair that has a mapping.

    Each pair goes to ``directory/<design label>/<layer folder>/``, where
    the layer folder is ``layer_folder_names``'s name for the layer.

    Returns:
        The number of pairs written.
    """
    folders = layer_folder_names(network.layers)
    written = 0
    for config, layer, layer_cost in _points(configs, network, costs):
        mapping = getattr(layer_cost, "mapping", None)
        if mapping is None:
            click.echo(f"No mapping to export for {config.label()} / {layer.label()} ({layer_cost.status.value})")
            continue
        export_timeloop(directory / config.label() / folders[layer], architecture_of(config), layer, mapping)
        written += 1
    return written


def layer_folder_names(layers: Sequence[Layer]) -> dict[Layer, str]:
    """Return one distinct folder name per layer, safe as a single path component.

    A layer's label (its name, else its shape key) has every character
    other than letters, digits, ``.``, ``_`` and ``-`` replaced by ``_`` and
    leading dots removed, so that ``conv/1`` or ``../x`` cannot leave the
    design's folder. Layers whose cleaned labels collide get their shape key
    appended (shapes are unique within a network).
    """
    cleaned = {layer: re.sub(r"[^A-Za-z0-9._-]", "_", layer.label()).lstrip(".") or layer.key() for layer in layers}
    repeats = Counter(cleaned.values())
    names = {}
    for layer, name in cleaned.items():
        names[layer] = name if repeats[name] == 1 else f"{name}_{layer.key()}"
    return names
