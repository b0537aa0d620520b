"""Score one mapping and report every level's traffic and energy."""

from __future__ import annotations

import math
from dataclasses import dataclass

from vaesa_core.arch.architecture import DATATYPES, Architecture
from vaesa_core.costmodel.model import Violation, evaluate_mappings
from vaesa_core.mapping.mapping import Mapping
from vaesa_core.workloads.layer import Layer

__all__ = ["DatatypeAccess", "MappingCost", "score_mapping"]


@dataclass(frozen=True)
class DatatypeAccess:
    """Traffic and energy of one datatype at one level (counts per instance).

    Attributes:
        level: Level name.
        datatype: ``"Weights"``, ``"Inputs"`` or ``"Outputs"``.
        reads, fills, updates: Words per instance.
        utilized_capacity: Tile size in words.
        utilized_instances: Instances in use.
        utilized_clusters: Clusters charged for energy.
        energy_pj: Energy over all instances in pJ.
    """

    level: str
    datatype: str
    reads: int
    fills: int
    updates: int
    utilized_capacity: int
    utilized_instances: int
    utilized_clusters: int
    energy_pj: float


@dataclass(frozen=True)
class MappingCost:
    """Cost of one mapping on one design.

    Attributes:
        valid: Whether the mapping is legal on the design.
        violation: The first failed check (``Violation.NONE`` if valid).
        reason: Readable form of ``violation`` (empty if valid).
        cycles: Latency in cycles (``inf`` when not valid).
        energy_pj: Total energy in pJ (``inf`` when not valid).
        compute_cycles: Product of the temporal factors (cycles without
            bandwidth stalls).
        macs: Multiply-accumulates of the layer.
        mac_energy_pj: Energy of the MACs in pJ.
        accesses: One record per level and kept datatype, innermost first.
    """

    valid: bool
    violation: Violation
    reason: str
    cycles: float
    energy_pj: float
    compute_cycles: int
    macs: int
    mac_energy_pj: float
    accesses: tuple[DatatypeAccess, ...]

    @property
    def edp(self) -> float:
        """Energy-delay product in cycles x pJ."""
        return self.cycles * self.energy_pj

    def energy_by_level(self) -> dict[str, float]:
        """Return the energy of each level in pJ, summed over datatypes."""
        totals: dict[str, float] = {}
        for record in self.accesses:
            totals[record.level] = totals.get(record.level, 0.0) + record.energy_pj
        return totals

    def access(self, level: str, datatype: str) -> DatatypeAccess:
        """Return the record of ``datatype`` at ``level``.

        Raises:
            KeyError: The level does not keep that datatype.
        """
        for record in self.accesses:
            if record.level == level and record.datatype == datatype:
                return record
        raise KeyError(f"Level {level!r} does not keep {datatype!r} in this architecture.")

    def table(self) -> str:
        """Return a fixed-width table of the per-level, per-datatype numbers."""
        header = (
            f"{'level':>18} {'datatype':>8} {'reads':>13} {'fills':>13} {'updates':>13} "
            f"{'instances':>9} {'clusters':>8} {'energy_pj':>16}"
        )
        lines = [header]
        for r in self.accesses:
            lines.append(
                f"{r.level:>18} {r.datatype:>8} {r.reads:>13} {r.fills:>13} {r.updates:>13} "
                f"{r.utilized_instances:>9} {r.utilized_clusters:>8} {r.energy_pj:>16.2f}"
            )
        lines.append(f"{'MACs':>18} {'':>8} {self.macs:>13} {'':>13} {'':>13} {'':>9} {'':>8} {self.mac_energy_pj:>16.2f}")
        status = "valid" if self.valid else f"invalid: {self.reason}"
        lines.append(f"cycles {self.cycles:.0f}, energy {self.energy_pj:.2f} pJ ({status})")
        return "\n".join(lines)


def score_mapping(architecture: Architecture, layer: Layer, mapping: Mapping, *, exact: bool = True) -> MappingCost:
    """Score one mapping with full per-level detail.

    Args:
        architecture: The design, with the keep sets the mapping assumes.
        layer: The layer.
        mapping: Factors and orders with one row per architecture level.
        exact: Emulate Timeloop's loop walk for input loads.

    Raises:
        ValueError: The mapping's level count differs from the architecture's.
    """
    if len(mapping.levels) != len(architecture.levels):
        raise ValueError(
            f"The mapping has {len(mapping.levels)} levels but architecture {architecture.name!r} has "
            f"{len(architecture.levels)}; build the mapping for this architecture."
        )
    result = evaluate_mappings(architecture, layer, mapping.factors[None], mapping.orders[None], exact=exact, detail=True)
    detail = result.detail
    assert detail is not None
    records = []
    for level_index, level in enumerate(architecture.levels):
        for datatype_index, datatype in enumerate(DATATYPES):
            if datatype not in level.keeps:
                continue
            records.append(
                DatatypeAccess(
                    level=level.name,
                    datatype=datatype,
                    reads=int(detail.reads[0, level_index, datatype_index]),
                    fills=int(detail.fills[0, level_index, datatype_index]),
                    updates=int(detail.updates[0, level_index, datatype_index]),
                    utilized_capacity=int(detail.utilized_capacity[0, level_index, datatype_index]),
                    utilized_instances=int(detail.utilized_instances[0, level_index]),
                    utilized_clusters=int(detail.utilized_clusters[0, level_index]),
                    energy_pj=float(detail.energy_pj[0, level_index, datatype_index]),
                )
            )
    valid = bool(result.valid[0])
    return MappingCost(
        valid=valid,
        violation=Violation(int(result.violation[0])),
        reason=result.reason(0),
        cycles=float(result.cycles[0]) if valid else math.inf,
        energy_pj=float(result.energy_pj[0]) if valid else math.inf,
        compute_cycles=int(detail.compute_cycles[0]),
        macs=result.macs,
        mac_energy_pj=float(detail.mac_energy_pj[0]),
        accesses=tuple(records),
    )
