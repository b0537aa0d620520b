"""Resolve workload names and read user networks from YAML or JSON files.

File format (YAML or JSON)::

    name: mynet                # optional; defaults to the file stem
    layers:
      - {R: 3, S: 3, P: 56, Q: 56, C: 64, K: 64, stride: 1, count: 3}
      - {C: 2048, K: 1000}     # an FC layer: R, S, P, Q default to 1

A bare list of layers is accepted too. ``count`` (default 1; ``repeat`` and
``repeats`` are accepted spellings) is how often the layer occurs in the
network. Unknown keys are rejected, so a misspelled one cannot be ignored
silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from vaesa_core.errors import UnknownNameError, WorkloadFormatError
from vaesa_core.workloads.builtin import BUILTIN_WORKLOADS, builtin_names
from vaesa_core.workloads.layer import COUNT_KEYS, Layer
from vaesa_core.workloads.network import Network

__all__ = ["load_workload_file", "resolve_workload", "parse_layer_spec"]

#: Keys of a workload file's top-level mapping.
_FILE_KEYS = ("name", "description", "layers")


def load_workload_file(path: str | Path) -> Network:
    """Read a network from a YAML (.yaml, .yml) or JSON (.json) file.

    Raises:
        WorkloadFormatError: The file cannot be parsed or a field is invalid;
            the message names the file and the field.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise WorkloadFormatError(f"Cannot read workload file {str(path)!r}: {error.strerror}.") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise WorkloadFormatError(f"Workload file {str(path)!r} is not valid {path.suffix[1:].upper() or 'YAML'}: {error}") from None

    if isinstance(data, list):
        data = {"layers": data}
    if not isinstance(data, dict) or "layers" not in data:
        raise WorkloadFormatError(
            f"Workload file {str(path)!r} must hold a list of layers or a mapping with a 'layers' list."
        )
    unknown = sorted(str(key) for key in data if key not in _FILE_KEYS)
    if unknown:
        raise WorkloadFormatError(
            f"Workload file {str(path)!r}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(_FILE_KEYS)}."
        )
    entries = data["layers"]
    if not isinstance(entries, list) or not entries:
        raise WorkloadFormatError(f"Workload file {str(path)!r}: 'layers' must be a non-empty list.")

    layers: list[Layer] = []
    counts: list[int] = []
    for index, entry in enumerate(entries):
        where = f"{path}: layers[{index}]"
        if not isinstance(entry, dict):
            raise WorkloadFormatError(f"{where} must be a mapping of layer fields, but got {entry!r}.")
        count_keys = [key for key in entry if str(key).lower() in COUNT_KEYS]
        if len(count_keys) > 1:
            raise WorkloadFormatError(f"{where}: give the repeat count once, but got {', '.join(map(repr, count_keys))}.")
        count = entry[count_keys[0]] if count_keys else 1
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise WorkloadFormatError(
                f"{where}: field {count_keys[0] if count_keys else 'count'!r} must be a positive integer, but got {count!r}."
            )
        try:
            layer = Layer.from_mapping(entry, where=where)
        except ValueError as error:
            raise WorkloadFormatError(str(error)) from None
        if layer in layers:
            counts[layers.index(layer)] += count
            continue
        if not layer.name:
            layer = Layer(*layer.shape_key(), name=f"{data.get('name', path.stem)}_{index}")
        layers.append(layer)
        counts.append(count)

    name = str(data.get("name") or path.stem)
    return Network(name, tuple(layers), tuple(counts), str(data.get("description", f"from {path.name}")))


def resolve_workload(name_or_path: str) -> Network:
    """Return a built-in workload by name, or read one from a file path.

    Raises:
        UnknownNameError: Neither a built-in name nor an existing file; the
            message lists the built-in names.
        WorkloadFormatError: The file is malformed.
    """
    if name_or_path in BUILTIN_WORKLOADS:
        return BUILTIN_WORKLOADS[name_or_path]
    path = Path(name_or_path)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        if not path.exists():
            raise WorkloadFormatError(f"Workload file {name_or_path!r} not found.")
        return load_workload_file(path)
    raise UnknownNameError(
        f"Unknown workload {name_or_path!r}; built-in workloads: {', '.join(builtin_names())}, "
        "or give the path of a .yaml/.json network file."
    )


def parse_layer_spec(spec: str) -> Layer:
    """Parse ``R=3,S=3,P=56,Q=56,C=64,K=64,N=1,stride=1`` into a layer.

    Raises:
        ValueError: A pair is malformed, a field is invalid, or a repeat
            count is given.
    """
    fields: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"Layer spec {spec!r}: {part!r} is not a KEY=VALUE pair.")
        if "=" in value:
            raise ValueError(
                f"Layer spec {spec!r}: {part!r} contains more than one KEY=VALUE pair; separate fields with commas, "
                "as in R=3,S=3,C=64,K=64."
            )
        if key.strip() in fields:
            raise ValueError(f"Layer spec {spec!r}: field {key.strip()!r} is given twice; give each field once.")
        fields[key.strip()] = value.strip()
    # A single layer is scored once, so a repeat count would be silently ignored.
    counted = [key for key in fields if key.lower() in COUNT_KEYS]
    if counted:
        raise ValueError(
            f"Layer spec {spec!r}: {counted[0]!r} has no effect on a single layer; a repeat count weights "
            "layers only in a network. Remove it, or list the layer in a workload file with its count."
        )
    return Layer.from_mapping(fields, where=f"Layer spec {spec!r}", with_count=False)
