"""Timeloop-exact analytical cost model (vectorised over mappings and designs)."""

from vaesa_core.costmodel.counts import MappingCounts, compute_counts
from vaesa_core.costmodel.model import (
    ArchBatch,
    BatchCost,
    CostDetail,
    Violation,
    combine,
    evaluate_mappings,
    stack_architectures,
)
from vaesa_core.costmodel.sampling import prime_factors, random_mappings
from vaesa_core.costmodel.simba_batch import simba_arch_batch
from vaesa_core.costmodel.scalar import DatatypeAccess, MappingCost, score_mapping

__all__ = [
    "ArchBatch",
    "BatchCost",
    "CostDetail",
    "DatatypeAccess",
    "MappingCost",
    "MappingCounts",
    "Violation",
    "combine",
    "compute_counts",
    "evaluate_mappings",
    "prime_factors",
    "random_mappings",
    "score_mapping",
    "simba_arch_batch",
    "stack_architectures",
]
