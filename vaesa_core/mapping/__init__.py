"""Loop mappings and mappers."""

from vaesa_core.mapping.mapper import Mapper, MapperResult
from vaesa_core.mapping.mapping import DIM_INDEX, LEVELS, SPATIAL, TEMPORAL, Mapping, orders_from_strings, permutation_string

__all__ = [
    "DIM_INDEX",
    "LEVELS",
    "Mapper",
    "MapperResult",
    "Mapping",
    "SPATIAL",
    "TEMPORAL",
    "orders_from_strings",
    "permutation_string",
]
