"""Workloads: layers, networks, built-in networks and user files."""

from vaesa_core.workloads.builtin import BUILTIN_WORKLOADS, builtin_names, builtin_workload, training_layers
from vaesa_core.workloads.layer import LAYER_DIMS, Layer
from vaesa_core.workloads.loader import load_workload_file, parse_layer_spec, resolve_workload
from vaesa_core.workloads.network import Aggregation, Network

__all__ = [
    "Aggregation",
    "BUILTIN_WORKLOADS",
    "LAYER_DIMS",
    "Layer",
    "Network",
    "builtin_names",
    "builtin_workload",
    "load_workload_file",
    "parse_layer_spec",
    "resolve_workload",
    "training_layers",
]
