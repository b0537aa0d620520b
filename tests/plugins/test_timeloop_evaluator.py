"""The ``timeloop`` evaluator plugin: availability, stats parsing and the export path."""

from __future__ import annotations

import os
import stat
import sys
import textwrap

import numpy as np
import pytest

from vaesa_core.arch import simba_architecture
from vaesa_core.costmodel import score_mapping
from vaesa_core.errors import UnsupportedError
from vaesa_core.evaluation import Status
from vaesa_core.mapping import Mapper, MapperResult, Mapping
from vaesa_core.plugins import get_registry
from vaesa_core.space import HardwareConfig
from vaesa_core.workloads import Layer
from vaesa_plugins.timeloop_evaluator import TimeloopEvaluator, parse_timeloop_stats

STATS_11920BE = textwrap.dedent(
    """\
    Buffer and Arithmetic Levels
    ----------------------------
    Total topology energy: 229780933.47 pJ
    Total topology area: 0 um^2
    Max topology cycles: 97344

    Summary Stats
    -------------
    Utilization: 1.00
    Cycles: 97344
    Energy: 229.78 uJ
    """
)


def test_missing_binary_raises_unsupported():
    with pytest.raises(UnsupportedError, match="not on PATH"):
        TimeloopEvaluator(binary="timeloop-model-not-installed-here")


def test_registered_and_missing_binary_message():
    registry = get_registry()
    assert "timeloop" in registry.registrations("evaluator")
    with pytest.raises(UnsupportedError, match="--evaluator analytical"):
        registry.create("evaluator", "timeloop", design_space=None, mapper=None, binary="no-such-timeloop-model")


def test_unknown_option_rejected():
    with pytest.raises(ValueError, match="unknown option"):
        get_registry().create("evaluator", "timeloop", design_space=None, mapper=None, colour="blue")


def test_parse_topology_lines():
    assert parse_timeloop_stats(STATS_11920BE) == (97344, 229780933.47)


def test_parse_summary_lines_only():
    cycles, energy_pj = parse_timeloop_stats("Summary Stats\nCycles: 12\nEnergy: 1.5 uJ\n")
    assert cycles == 12
    assert energy_pj == pytest.approx(1.5e6)


def test_parse_rejects_other_text():
    with pytest.raises(ValueError, match="neither"):
        parse_timeloop_stats("Illegal mapping, evaluation failed.\n")


class _AllInDram(Mapper):
    """Put every loop at DRAM, a mapping legal on every design."""

    name = "all_in_dram"

    def map_layer(self, layer, configs):
        factors = np.ones((6, 2, 7), dtype=np.int64)
        factors[5, 1] = [layer.R, layer.S, layer.P, layer.Q, layer.C, layer.K, layer.N]
        mapping = Mapping(factors, np.tile(np.arange(7), (6, 1)))
        results = []
        for config in configs:
            cost = score_mapping(simba_architecture(config), layer, mapping)
            results.append(MapperResult(mapping, cost.cycles, cost.energy_pj))
        return results


def _fake_timeloop_model(folder):
    """Write an executable that scores the YAML files with vaesa's own importer and model."""
    script = folder / "timeloop-model"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys
            from vaesa_core.costmodel import score_mapping
            from vaesa_core.timeloop_io import load_architecture, load_mapping, load_problem
            arch_file, problem_file, mapping_file = sys.argv[1:4]
            architecture = load_architecture(arch_file)
            imported = load_mapping(mapping_file, architecture.level_names)
            cost = score_mapping(imported.apply_keeps(architecture), load_problem(problem_file), imported.mapping)
            with open("timeloop-model.stats.txt", "w") as handle:
                handle.write(f"Total topology energy: {{cost.energy_pj:.2f}} pJ\\n")
                handle.write(f"Max topology cycles: {{int(cost.cycles)}}\\n")
            """
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_fake_binary_round_trip(tmp_path):
    binary = _fake_timeloop_model(tmp_path)
    work_dir = tmp_path / "runs"
    evaluator = TimeloopEvaluator(_AllInDram(), binary=str(binary), work_dir=work_dir)
    design = HardwareConfig(16, 1024, 64, 16384, 1024, 65536)
    layer = Layer(3, 3, 7, 7, 16, 16)

    costs = evaluator.evaluate([(design, layer), (design, Layer(1, 1, 1, 1, 64, 10))])

    expected = _AllInDram().map_layer(layer, [design])[0]
    assert [cost.status for cost in costs] == [Status.OK, Status.OK]
    assert costs[0].cycles == expected.cycles
    assert costs[0].energy_pj == pytest.approx(expected.energy_pj, abs=0.01)
    assert costs[0].mapping is not None
    written = sorted(path.name for path in (work_dir / f"{design.label()}__{layer.key()}").iterdir())
    assert written == ["arch.yaml", "map.yaml", "prob.yaml", "timeloop-model.stats.txt"]


def test_failing_binary_gives_failed_status(tmp_path):
    script = tmp_path / "timeloop-model"
    script.write_text("#!/bin/sh\necho 'Illegal mapping, evaluation failed.'\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    evaluator = TimeloopEvaluator(_AllInDram(), binary=str(script))

    costs = evaluator.evaluate([(HardwareConfig(16, 1024, 64, 16384, 1024, 65536), Layer(1, 1, 1, 1, 8, 8))])

    assert costs[0].status is Status.FAILED
    assert "exited with 1" in costs[0].reason
    assert not costs[0].valid


@pytest.mark.skipif(
    not any(os.access(os.path.join(p, "timeloop-model"), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep)),
    reason="timeloop-model is not installed",
)
def test_real_binary_matches_cost_model(tmp_path):
    evaluator = TimeloopEvaluator(_AllInDram(), work_dir=tmp_path)
    design = HardwareConfig(16, 1024, 64, 16384, 1024, 65536)
    layer = Layer(3, 3, 7, 7, 16, 16)
    cost = evaluator.evaluate([(design, layer)])[0]
    expected = _AllInDram().map_layer(layer, [design])[0]
    assert cost.cycles == expected.cycles
    assert cost.energy_pj == pytest.approx(expected.energy_pj, rel=1e-6)
