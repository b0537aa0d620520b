"""The cost model against real timeloop-model output (Timeloop 11920be, pat energies).

Each golden case is read through the Timeloop YAML importer, so these tests
also cover ``vaesa_core.timeloop_io``. Energies are in pJ, printed by
Timeloop with two decimals; cycles and per-instance counts are exact.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaesa_core.arch import DATATYPES, simba_architecture
from vaesa_core.costmodel import evaluate_mappings, score_mapping
from vaesa_core.mapping import Mapping, orders_from_strings
from vaesa_core.timeloop_io import load_architecture, load_mapping, load_problem
from vaesa_core.workloads import Layer

GOLDEN_CASES = [f"case{index:03d}" for index in range(40)]

# Timeloop prints energies rounded to 0.01 pJ.
ENERGY_REL = 1e-6
ENERGY_ABS_PJ = 0.006


def _load_case(golden_dir, name):
    folder = golden_dir / name
    if not folder.is_dir():
        pytest.skip(f"golden case {folder} not found")
    architecture = load_architecture(folder / "arch.yaml")
    layer = load_problem(folder / "prob.yaml")
    imported = load_mapping(folder / "map.yaml", architecture.level_names)
    expected = json.loads((folder / "expected.json").read_text())
    return imported.apply_keeps(architecture), layer, imported.mapping, expected


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_case_totals(golden_dir, name):
    architecture, layer, mapping, expected = _load_case(golden_dir, name)

    cost = score_mapping(architecture, layer, mapping)

    assert cost.valid, cost.reason
    assert cost.cycles == expected["cycles"]
    assert cost.energy_pj == pytest.approx(expected["energy_pj"], rel=ENERGY_REL)
    assert cost.mac_energy_pj == pytest.approx(expected["mac_energy_pj"], rel=ENERGY_REL)
    assert layer.key().startswith(expected["layer"])


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_case_per_level_counts(golden_dir, name):
    architecture, layer, mapping, expected = _load_case(golden_dir, name)

    cost = score_mapping(architecture, layer, mapping)

    for key, counts in expected["counts_per_instance"].items():
        level, datatype = key.split("/")
        record = cost.access(level, datatype)
        assert record.reads == counts["reads"], key
        assert record.fills == counts["fills"], key
        assert record.updates == counts["updates"], key
        assert record.utilized_capacity == counts["utilized_capacity"], key
        assert record.utilized_instances == counts["utilized_instances"], key
        assert record.utilized_clusters == counts["utilized_clusters"], key
        assert record.energy_pj == pytest.approx(counts["energy_total_pj"], rel=ENERGY_REL, abs=ENERGY_ABS_PJ), key


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_case_vectorised_path(golden_dir, name):
    architecture, layer, mapping, expected = _load_case(golden_dir, name)

    result = evaluate_mappings(architecture, layer, mapping.factors[None], mapping.orders[None])

    assert result.valid[0]
    assert result.cycles[0] == expected["cycles"]
    assert result.energy_pj[0] == pytest.approx(expected["energy_pj"], rel=ENERGY_REL)


def test_golden_cases_all_present(golden_dir):
    present = sorted(path.name for path in golden_dir.glob("case*"))
    assert present == GOLDEN_CASES


def _worked_mapping(spatial, temporal):
    """Build a mapping from ``{level: {dim: factor}}`` dicts, all orders RSPQCKN."""
    factors = np.ones((6, 2, 7), dtype=np.int64)
    dims = "RSPQCKN"
    for kind, table in ((0, spatial), (1, temporal)):
        for level, loops in table.items():
            for dim, value in loops.items():
                factors[level, kind, dims.index(dim)] = value
    return Mapping(factors, orders_from_strings(["RSPQCKN"] * 6))


def test_worked_example_fc_4096_to_1000():
    # AB t{C8,K50} s{C8}; WB t{K5}; IB t{C2} s{C2}; GB s{C16,K4} on the base design.
    mapping = _worked_mapping(
        spatial={1: {"C": 8}, 3: {"C": 2}, 4: {"C": 16, "K": 4}},
        temporal={1: {"C": 8, "K": 50}, 2: {"K": 5}, 3: {"C": 2}},
    )

    cost = score_mapping(simba_architecture(), Layer(1, 1, 1, 1, 4096, 1000), mapping)

    assert cost.cycles == 410_010
    assert cost.energy_pj == pytest.approx(420_826_297.65, abs=0.01)
    assert cost.compute_cycles == 4000
    by_level = {(r.level, r.datatype): r for r in cost.accesses}
    assert by_level["DRAM", "Weights"].energy_pj == pytest.approx(409_600_000.0)
    assert by_level["WeightBuffer", "Weights"].energy_pj == pytest.approx(7_286_351.76, abs=0.01)
    assert by_level["InputBuffer", "Inputs"].energy_pj == pytest.approx(2_107_855.12, abs=0.01)
    assert by_level["AccumulationBuffer", "Outputs"].energy_pj == pytest.approx(207_949.75, abs=0.01)
    assert (by_level["Registers", "Weights"].reads, by_level["Registers", "Weights"].fills) == (4000, 4000)
    outputs_ab = by_level["AccumulationBuffer", "Outputs"]
    assert (outputs_ab.updates, outputs_ab.reads, outputs_ab.fills) == (4000, 3750, 500)
    assert (by_level["WeightBuffer", "Weights"].reads, by_level["WeightBuffer", "Weights"].fills) == (32000, 32000)
    assert (by_level["InputBuffer", "Inputs"].reads, by_level["InputBuffer", "Inputs"].fills) == (64000, 256)
    assert (by_level["GlobalBuffer", "Inputs"].reads, by_level["GlobalBuffer", "Inputs"].fills) == (4096, 4096)
    outputs_gb = by_level["GlobalBuffer", "Outputs"]
    assert (outputs_gb.updates, outputs_gb.reads, outputs_gb.fills) == (2000, 1000, 1000)
    assert cost.mac_energy_pj == pytest.approx(1_024_000.0)


def test_worked_example_conv_3x3_13x13_256():
    # AB t{R3,S3,K8} s{K8}; WB t{P13,Q13,K2}; IB s{K2}; GB s{C64}; DRAM t{C4}.
    mapping = _worked_mapping(
        spatial={1: {"K": 8}, 3: {"K": 2}, 4: {"C": 64}},
        temporal={1: {"R": 3, "S": 3, "K": 8}, 2: {"P": 13, "Q": 13, "K": 2}, 5: {"C": 4}},
    )
    layer = Layer(3, 3, 13, 13, 256, 256)

    cost = score_mapping(simba_architecture(), layer, mapping)

    assert cost.valid
    assert cost.cycles == 97_344 == layer.macs // 1024
    assert cost.energy_pj == pytest.approx(229_780_933.47, abs=0.01)


def test_datatypes_cover_every_golden_key(golden_dir):
    _, _, _, expected = _load_case(golden_dir, GOLDEN_CASES[0])
    assert {key.split("/")[1] for key in expected["counts_per_instance"]} == set(DATATYPES)
