"""Timeloop v0.2 YAML import and export (architecture, problem, mapping)."""

from vaesa_core.timeloop_io.yaml_io import (
    ImportedMapping,
    architecture_to_dict,
    export_timeloop,
    load_architecture,
    load_mapping,
    load_problem,
    mapping_to_dict,
    problem_to_dict,
)

__all__ = [
    "ImportedMapping",
    "architecture_to_dict",
    "export_timeloop",
    "load_architecture",
    "load_mapping",
    "load_problem",
    "mapping_to_dict",
    "problem_to_dict",
]
