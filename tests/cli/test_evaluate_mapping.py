"""``vaesa evaluate`` with an explicit Timeloop mapping, per-level detail and Timeloop export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from vaesa_core.arch import simba_architecture
from vaesa_core.cli.main import cli
from vaesa_core.cli.mapping_detail import layer_folder_names
from vaesa_core.costmodel import score_mapping
from vaesa_core.evaluation import Evaluator, LayerCost
from vaesa_core.hookspecs import hookimpl
from vaesa_core.mapping import Mapping
from vaesa_core.plugins import get_registry
from vaesa_core.space import HardwareConfig
from vaesa_core.timeloop_io import load_architecture, load_mapping, load_problem, mapping_to_dict
from vaesa_core.workloads import Layer

BASE = "pes=16,macs=1024,accum_buffer=64,weight_buffer=16384,input_buffer=1024,global_buffer=65536"
BASE_CONFIG = HardwareConfig(16, 1024, 64, 16384, 1024, 65536)


def _invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _all_in_dram(layer):
    factors = np.ones((6, 2, 7), dtype=np.int64)
    factors[5, 1] = [layer.R, layer.S, layer.P, layer.Q, layer.C, layer.K, layer.N]
    return Mapping(factors, np.tile(np.arange(7), (6, 1)))


def test_golden_mapping_scored_from_yaml(golden_dir):
    case = golden_dir / "case016"
    expected = json.loads((case / "expected.json").read_text())

    result = _invoke("evaluate", "--config", BASE, "--layer", "R=3,S=3,P=13,Q=13,C=256,K=256", "--mapping", case / "map.yaml", "--detail")

    assert result.exit_code == 0, result.output
    assert f"cycles {expected['cycles']}, energy {expected['energy_pj']:.2f} pJ (valid)" in result.output
    assert "InputBuffer   Inputs" in result.output


def test_mapping_export_round_trip(tmp_path):
    layer = Layer(3, 3, 7, 7, 16, 32)
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(yaml.safe_dump(mapping_to_dict(_all_in_dram(layer), simba_architecture(BASE_CONFIG))))

    result = _invoke(
        "evaluate", "--config", BASE, "--layer", "R=3,S=3,P=7,Q=7,C=16,K=32", "--mapping", mapping_file,
        "--export-timeloop", tmp_path / "out",
    )

    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / BASE_CONFIG.label() / layer.label()
    architecture = load_architecture(folder / "arch.yaml")
    imported = load_mapping(folder / "map.yaml", architecture.level_names)
    exported = score_mapping(imported.apply_keeps(architecture), load_problem(folder / "prob.yaml"), imported.mapping)
    direct = score_mapping(simba_architecture(BASE_CONFIG), layer, _all_in_dram(layer))
    assert (exported.cycles, exported.energy_pj) == (direct.cycles, direct.energy_pj)
    assert "Wrote Timeloop inputs of 1 design-layer pair(s)" in result.output


def test_mapping_for_other_layer_rejected(tmp_path):
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(yaml.safe_dump(mapping_to_dict(_all_in_dram(Layer(1, 1, 1, 1, 8, 8)), simba_architecture())))

    result = _invoke("evaluate", "--config", BASE, "--layer", "C=16,K=8", "--mapping", mapping_file)

    assert result.exit_code == 2
    assert "multiply to" in result.output


def test_mapping_needs_a_layer(tmp_path):
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text("mapping: []\n")
    result = _invoke("evaluate", "--config", BASE, "--workload", "alexnet", "--mapping", mapping_file)
    assert result.exit_code == 2
    assert "--mapping scores one layer" in result.output


class _DramEvaluator(Evaluator):
    """Return the all-in-DRAM mapping's cost with the mapping attached."""

    name = "dram_only_for_tests"

    def evaluate(self, pairs):
        costs = []
        for config, layer in pairs:
            mapping = _all_in_dram(layer)
            cost = score_mapping(simba_architecture(config), layer, mapping)
            costs.append(LayerCost(cost.cycles, cost.energy_pj, mapping=mapping))
        return costs


class _DramPlugin:
    @hookimpl
    def vaesa_register_evaluators(self):
        return {"dram_only_for_tests": lambda design_space=None, mapper=None, **options: _DramEvaluator()}


@pytest.fixture()
def dram_evaluator():
    registry = get_registry()
    plugin = _DramPlugin()
    registry.register(plugin, name="dram-only-test-plugin")
    yield "dram_only_for_tests"
    registry.manager.unregister(plugin)
    registry._index = None


def test_detail_and_export_use_evaluator_mapping(tmp_path, dram_evaluator):
    result = _invoke(
        "evaluate", "--config", BASE, "--workload", "alexnet", "--evaluator", dram_evaluator, "--detail",
        "--export-timeloop", tmp_path / "out",
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("MACs") == 8
    assert "Wrote Timeloop inputs of 8 design-layer pair(s)" in result.output
    assert len(list((tmp_path / "out" / BASE_CONFIG.label()).iterdir())) == 8


def test_mapping_bypass_entries_apply_to_detail_and_export(tmp_path):
    layer = Layer(3, 3, 7, 7, 16, 32)
    architecture = simba_architecture(BASE_CONFIG)
    document = mapping_to_dict(_all_in_dram(layer), architecture)
    for entry in document["mapping"]:
        if entry["type"] == "bypass" and entry["target"] == "GlobalBuffer":
            entry["keep"], entry["bypass"] = ["Inputs"], ["Weights", "Outputs"]
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(yaml.safe_dump(document))

    result = _invoke(
        "evaluate", "--config", BASE, "--layer", "R=3,S=3,P=7,Q=7,C=16,K=32", "--mapping", mapping_file,
        "--detail", "--export-timeloop", tmp_path / "out",
    )

    assert result.exit_code == 0, result.output
    assert "GlobalBuffer  Outputs" not in result.output
    assert "GlobalBuffer   Inputs" in result.output
    exported = yaml.safe_load((tmp_path / "out" / BASE_CONFIG.label() / layer.label() / "map.yaml").read_text())
    global_buffer = [e for e in exported["mapping"] if e["type"] == "bypass" and e["target"] == "GlobalBuffer"]
    assert global_buffer[0]["keep"] == ["Inputs"]


def test_layer_folder_names_are_safe_and_distinct():
    layers = [Layer(1, 1, 1, 1, 8, 8, name="a"), Layer(1, 1, 1, 1, 8, 16, name="a"),
              Layer(1, 1, 1, 1, 8, 32, name="conv/1"), Layer(1, 1, 1, 1, 8, 64, name="../up"), Layer(1, 1, 1, 1, 8, 128)]

    names = layer_folder_names(layers)

    assert names[layers[0]] == "a_1_1_1_1_8_8_1_1_1_1_1"
    assert names[layers[1]] == "a_1_1_1_1_8_16_1_1_1_1_1"
    assert names[layers[2]] == "conv_1"
    assert names[layers[3]] == "_up"
    assert names[layers[4]] == layers[4].key()


def test_export_keeps_layers_with_one_name_apart(tmp_path):
    workload = tmp_path / "net.yaml"
    workload.write_text("layers:\n  - {name: a, C: 8, K: 8}\n  - {name: a, C: 8, K: 16}\n")

    result = _invoke("evaluate", "--config", BASE, "--workload", workload, "--export-timeloop", tmp_path / "out")

    assert result.exit_code == 0, result.output
    design_folder = tmp_path / "out" / BASE_CONFIG.label()
    assert sorted(path.name for path in design_folder.iterdir()) == ["a_1_1_1_1_8_16_1_1_1_1_1", "a_1_1_1_1_8_8_1_1_1_1_1"]
