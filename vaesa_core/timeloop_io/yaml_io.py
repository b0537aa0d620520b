"""Read and write Timeloop v0.2 YAML: architecture, problem and mapping.

Formats (as read by Timeloop 11920be):

* architecture: ``arch: {arithmetic: {instances, word-bits, meshX},
  storage: [ {name, entries, instances, word-bits, block-size,
  cluster-size, technology, bandwidth, ...}, ... ]}``, innermost level
  first; ``bandwidth`` is split into equal read and write bandwidths.
* problem: ``problem: {shape: cnn-layer, R, S, P, Q, C, K, N, Wstride,
  Hstride, Wdilation, Hdilation}``.
* mapping: ``mapping: [ {target, type: temporal | spatial | bypass,
  factors: "R=1 S=3 ...", permutation: "RSPQCKN" (innermost first),
  keep: [...], bypass: [...]} ]``.

Keep/bypass sets travel with the mapping in Timeloop; here they belong to
the architecture (``StorageLevel.keeps``), so ``load_mapping`` returns them
for ``Architecture.with_keeps``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vaesa_core.arch.architecture import DATATYPES, Architecture, StorageLevel
from vaesa_core.mapping.mapping import SPATIAL, TEMPORAL, Mapping, permutation_string
from vaesa_core.workloads.layer import LAYER_DIMS, Layer

__all__ = [
    "ImportedMapping",
    "load_architecture",
    "load_problem",
    "load_mapping",
    "architecture_to_dict",
    "problem_to_dict",
    "mapping_to_dict",
    "export_timeloop",
]

_logger = logging.getLogger(__name__)

# Storage attributes this module interprets; any other attribute is kept
# verbatim in StorageLevel.extra_attributes.
_STORAGE_KEYS = {
    "name", "entries", "instances", "word-bits", "block-size", "cluster-size", "technology",
    "bandwidth", "read_bandwidth", "write_bandwidth", "meshX",
}


def _read_yaml(source: str | Path | MappingABC[str, Any], key: str) -> Any:
    """Return ``source[key]`` from a file path, YAML text or an already loaded mapping."""
    if isinstance(source, MappingABC):
        data = source
        where = "the given data"
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text()
        except OSError as error:
            raise ValueError(f"Cannot read Timeloop YAML file {where}: {error}") from error
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None)
            if mark is not None and problem:
                detail = f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
            else:
                detail = " ".join(str(error).split())
            raise ValueError(f"Timeloop YAML file {where} is not valid YAML: {detail}. Fix the file and retry.") from None
    if not isinstance(data, MappingABC) or key not in data:
        raise ValueError(f"{where}: expected a top-level '{key}:' section (Timeloop v0.2 format).")
    return data[key]


def load_architecture(source: str | Path | MappingABC[str, Any], *, name: str = "") -> Architecture:
    """Read a Timeloop v0.2 ``arch:`` description.

    Keep sets default to "every datatype" at every level; apply a mapping's
    bypass entries with ``Architecture.with_keeps``.

    Args:
        source: Path of the YAML file, or its loaded content.
        name: Label of the architecture; defaults to the file stem.

    Raises:
        ValueError: A section or a required attribute is missing or invalid.
    """
    arch = _read_yaml(source, "arch")
    if not isinstance(arch, MappingABC) or "storage" not in arch or "arithmetic" not in arch:
        raise ValueError("arch: needs both 'arithmetic' and 'storage' entries (Timeloop v0.2 format).")
    arithmetic = arch["arithmetic"]
    levels = []
    for index, spec in enumerate(arch["storage"]):
        if "name" not in spec:
            raise ValueError(f"arch.storage[{index}] has no 'name'.")
        technology = str(spec.get("technology", "SRAM"))
        entries = spec.get("entries")
        if technology == "DRAM":
            entries = None if entries is None else int(entries)
        elif entries is None:
            raise ValueError(f"arch.storage[{index}] ({spec['name']!r}) is SRAM but has no 'entries'.")
        read_bw = write_bw = None
        if "bandwidth" in spec:
            read_bw = write_bw = float(spec["bandwidth"]) / 2
        if "read_bandwidth" in spec:
            read_bw = float(spec["read_bandwidth"])
        if "write_bandwidth" in spec:
            write_bw = float(spec["write_bandwidth"])
        extra = tuple((key, value) for key, value in spec.items() if key not in _STORAGE_KEYS)
        levels.append(
            StorageLevel(
                name=str(spec["name"]),
                entries=None if entries is None else int(entries),
                instances=int(spec.get("instances", 1)),
                word_bits=int(spec.get("word-bits", 16)),
                block_size=int(spec.get("block-size", 1)),
                cluster_size=int(spec.get("cluster-size", 1)),
                keeps=frozenset(DATATYPES),
                technology=technology,
                read_bandwidth_words_per_cycle=read_bw,
                write_bandwidth_words_per_cycle=write_bw,
                mesh_x=None if "meshX" not in spec else int(spec["meshX"]),
                extra_attributes=extra,
            )
        )
    if not name and not isinstance(source, MappingABC):
        name = Path(source).stem
    return Architecture(
        levels=tuple(levels),
        mac_instances=int(arithmetic.get("instances", 1)),
        mac_word_bits=int(arithmetic.get("word-bits", 16)),
        mac_mesh_x=None if "meshX" not in arithmetic else int(arithmetic["meshX"]),
        name=name or "timeloop",
    )


def load_problem(source: str | Path | MappingABC[str, Any]) -> Layer:
    """Read a Timeloop ``problem:`` section of shape ``cnn-layer`` into a ``Layer``.

    Raises:
        ValueError: The shape is not ``cnn-layer`` or a dimension is invalid.
    """
    problem = dict(_read_yaml(source, "problem"))
    shape = problem.pop("shape", "cnn-layer")
    if shape != "cnn-layer":
        raise ValueError(f"problem.shape must be 'cnn-layer', but got {shape!r}.")
    renamed = {
        "Wstride": "stride_w", "Hstride": "stride_h", "Wdilation": "dilation_w", "Hdilation": "dilation_h",
    }
    fields = {renamed.get(key, key): value for key, value in problem.items()}
    return Layer.from_mapping(fields, where="problem")


@dataclass(frozen=True)
class ImportedMapping:
    """A mapping read from Timeloop YAML.

    Attributes:
        mapping: Factors and loop orders per level.
        keeps: Per level, the datatypes it keeps, or None where the YAML has
            no bypass entry for that level.
    """

    mapping: Mapping
    keeps: tuple[frozenset[str] | None, ...]

    def apply_keeps(self, architecture: Architecture) -> Architecture:
        """Return ``architecture`` with this mapping's keep sets (levels without an entry unchanged)."""
        keeps = [
            level.keeps if kept is None else kept for level, kept in zip(architecture.levels, self.keeps)
        ]
        return architecture.with_keeps(keeps)


def _parse_factors(text: str, where: str) -> dict[str, int]:
    factors: dict[str, int] = {}
    for token in str(text).split():
        dim, sep, value = token.partition("=")
        if not sep or dim not in LAYER_DIMS or not value.isdigit() or int(value) < 1:
            raise ValueError(
                f"{where}: bad factor {token!r}; expected 'DIM=VALUE' with DIM in {''.join(LAYER_DIMS)} "
                "and VALUE a positive integer."
            )
        factors[dim] = int(value)
    return factors


def load_mapping(
    source: str | Path | MappingABC[str, Any] | list,
    level_names: tuple[str, ...] | list[str],
) -> ImportedMapping:
    """Read a Timeloop ``mapping:`` list.

    Args:
        source: Path of the YAML file, its loaded content, or the list itself.
        level_names: Storage level names of the architecture, innermost first.

    Returns:
        The mapping (unit factors where a level has no entry) and the keep
        sets from ``bypass`` entries.

    Raises:
        ValueError: An entry targets an unknown level, has an unknown type
            or a malformed factor or permutation.
    """
    entries = source if isinstance(source, list) else _read_yaml(source, "mapping")
    if not isinstance(entries, list):
        raise ValueError(f"The 'mapping:' section must be a list of entries (Timeloop v0.2 format), but got {entries!r}.")
    level_names = tuple(level_names)
    n_levels = len(level_names)
    factors = np.ones((n_levels, 2, len(LAYER_DIMS)), dtype=np.int64)
    orders = np.tile(np.arange(len(LAYER_DIMS), dtype=np.int64), (n_levels, 1))
    spatial_orders = orders.copy()
    keeps: list[frozenset[str] | None] = [None] * n_levels
    for index, entry in enumerate(entries):
        where = f"mapping[{index}]"
        if not isinstance(entry, MappingABC):
            raise ValueError(f"{where}: expected an entry with 'target' and 'type' keys, but got {entry!r}.")
        target = entry.get("target")
        if target not in level_names:
            raise ValueError(f"{where}: unknown target {target!r}; levels: {', '.join(level_names)}.")
        level = level_names.index(target)
        kind = entry.get("type", "temporal")
        if kind == "bypass":
            kept = set(entry.get("keep", []) or [])
            bypassed = set(entry.get("bypass", []) or [])
            unknown = sorted((kept | bypassed) - set(DATATYPES))
            if unknown:
                raise ValueError(f"{where}: unknown datatype(s) {unknown}; allowed: {', '.join(DATATYPES)}.")
            if "keep" not in entry:
                kept = set(DATATYPES) - bypassed
            keeps[level] = frozenset(kept)
            continue
        if kind not in ("temporal", "spatial"):
            raise ValueError(f"{where}: type must be temporal, spatial or bypass, but got {kind!r}.")
        axis = TEMPORAL if kind == "temporal" else SPATIAL
        for dim, value in _parse_factors(entry.get("factors", ""), where).items():
            factors[level, axis, LAYER_DIMS.index(dim)] = value
        permutation = str(entry.get("permutation", ""))
        ranked = [dim for dim in permutation if dim in LAYER_DIMS]
        if len(set(ranked)) != len(ranked) or len(ranked) != len(permutation):
            raise ValueError(
                f"{where}: permutation {permutation!r} must list distinct letters of {''.join(LAYER_DIMS)}."
            )
        ranked += [dim for dim in LAYER_DIMS if dim not in ranked]
        target_orders = orders if axis == TEMPORAL else spatial_orders
        for rank, dim in enumerate(ranked):
            target_orders[level, LAYER_DIMS.index(dim)] = rank
    mapping = Mapping(factors=factors, orders=orders, spatial_orders=spatial_orders, levels=level_names)
    return ImportedMapping(mapping=mapping, keeps=tuple(keeps))


def architecture_to_dict(architecture: Architecture) -> dict[str, Any]:
    """Return the Timeloop v0.2 ``arch:`` document of ``architecture``."""
    arithmetic: dict[str, Any] = {"instances": architecture.mac_instances, "word-bits": architecture.mac_word_bits}
    if architecture.mac_mesh_x is not None:
        arithmetic["meshX"] = architecture.mac_mesh_x
    storage = []
    for level in architecture.levels:
        spec: dict[str, Any] = {"name": level.name}
        if level.entries is not None:
            spec["entries"] = level.entries
        spec["instances"] = level.instances
        spec["word-bits"] = level.word_bits
        if level.block_size != 1:
            spec["block-size"] = level.block_size
        if level.cluster_size != 1:
            spec["cluster-size"] = level.cluster_size
        if level.technology == "DRAM":
            spec["technology"] = "DRAM"
        if level.mesh_x is not None:
            spec["meshX"] = level.mesh_x
        read_bw, write_bw = level.read_bandwidth_words_per_cycle, level.write_bandwidth_words_per_cycle
        if read_bw is not None and read_bw == write_bw:
            spec["bandwidth"] = read_bw * 2
        else:
            if read_bw is not None:
                spec["read_bandwidth"] = read_bw
            if write_bw is not None:
                spec["write_bandwidth"] = write_bw
        spec.update(dict(level.extra_attributes))
        storage.append(spec)
    return {"arch": {"arithmetic": arithmetic, "storage": storage}}


def problem_to_dict(layer: Layer) -> dict[str, Any]:
    """Return the Timeloop ``problem:`` document of ``layer`` (shape ``cnn-layer``)."""
    problem: dict[str, Any] = {"shape": "cnn-layer"}
    problem.update({dim: layer.dims[dim] for dim in LAYER_DIMS})
    problem.update(
        Wstride=layer.stride_w, Hstride=layer.stride_h, Wdilation=layer.dilation_w, Hdilation=layer.dilation_h
    )
    return {"problem": problem}


def _factor_text(row: np.ndarray) -> str:
    return " ".join(f"{dim}={int(value)}" for dim, value in zip(LAYER_DIMS, row))


def mapping_to_dict(mapping: Mapping, architecture: Architecture) -> dict[str, Any]:
    """Return the Timeloop ``mapping:`` document of ``mapping`` on ``architecture``.

    Each level gets a temporal entry. A spatial entry precedes it where the
    level has a fan-out above 1 or non-unit spatial factors. A bypass entry
    per level lists its keep set.

    Raises:
        ValueError: The mapping has a different number of levels.
    """
    if len(mapping.levels) != len(architecture.levels):
        raise ValueError(
            f"The mapping has {len(mapping.levels)} levels but architecture {architecture.name!r} has "
            f"{len(architecture.levels)}."
        )
    fanouts = architecture.fanouts()
    entries: list[dict[str, Any]] = []
    for level, spec in enumerate(architecture.levels):
        spatial_row = mapping.factors[level, SPATIAL]
        if fanouts[level] > 1 or (spatial_row > 1).any():
            entries.append(
                {
                    "target": spec.name,
                    "type": "spatial",
                    "factors": _factor_text(spatial_row),
                    "permutation": permutation_string(mapping.spatial_orders[level]),
                }
            )
        entries.append(
            {
                "target": spec.name,
                "type": "temporal",
                "factors": _factor_text(mapping.factors[level, TEMPORAL]),
                "permutation": permutation_string(mapping.orders[level]),
            }
        )
    for spec in architecture.levels:
        entries.append(
            {
                "target": spec.name,
                "type": "bypass",
                "keep": [dt for dt in DATATYPES if dt in spec.keeps],
                "bypass": [dt for dt in DATATYPES if dt not in spec.keeps],
            }
        )
    return {"mapping": entries}


def export_timeloop(directory: str | Path, architecture: Architecture, layer: Layer, mapping: Mapping) -> dict[str, Path]:
    """Write ``arch.yaml``, ``prob.yaml`` and ``map.yaml`` for ``timeloop-model`` into ``directory``.

    Returns:
        The written paths by role (``arch``, ``problem``, ``mapping``).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "arch": (folder / "arch.yaml", architecture_to_dict(architecture)),
        "problem": (folder / "prob.yaml", problem_to_dict(layer)),
        "mapping": (folder / "map.yaml", mapping_to_dict(mapping, architecture)),
    }
    for path, document in documents.values():
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    _logger.debug("Wrote Timeloop inputs for %s to %s", layer.label(), folder)
    return {role: path for role, (path, _) in documents.items()}
