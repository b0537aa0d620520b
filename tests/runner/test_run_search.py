"""Tests of the search loop: budget, cache policy, determinism, penalties and resume."""

from __future__ import annotations

import json
import logging
import math

import pytest

from vaesa_core.errors import RunDirectoryError
from vaesa_core.evaluation import INITIAL_INVALID_LOSS, INVALID_LOSS_MARGIN
from vaesa_core.runner import TIMING_FIELDS, RunInterrupted, read_trace, run_search
from vaesa_core.search import OriginalSpace
from vaesa_core.space import simba_space
from vaesa_core.workloads import BUILTIN_WORKLOADS
from vaesa_core.workloads.network import Network

from .conftest import MacsEvaluator


def _run(registry, tmp_path=None, *, optimizer="seeded_random", budget=12, seed=3, batch_size=1, evaluator=None, resume=False, name="run"):
    return run_search(
        space=OriginalSpace(simba_space()),
        optimizer=optimizer,
        evaluator=evaluator or MacsEvaluator(),
        workload=BUILTIN_WORKLOADS["alexnet"],
        budget=budget,
        seed=seed,
        batch_size=batch_size,
        out_dir=None if tmp_path is None else tmp_path / name,
        resume=resume,
        registry=registry,
    )


def _strip(records):
    return [{key: value for key, value in record.items() if key not in TIMING_FIELDS} for record in records]


def test_budget_counts_evaluations(registry):
    result = _run(registry, budget=9)
    assert result.evaluations == 9
    assert sum(1 for record in result.records if not record["cached"]) == 9
    assert result.complete


def test_run_directory_files(registry, tmp_path):
    result = _run(registry, tmp_path)
    run_dir = tmp_path / "run"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert set(summary["best_config"]) == {"pes", "macs", "accum_buffer", "weight_buffer", "input_buffer", "global_buffer"}
    assert {"cycles", "energy_pj", "edp"} <= set(summary["best_metrics"])
    assert summary["best_metrics"]["edp"] == pytest.approx(result.best_metrics["edp"])
    assert len(read_trace(run_dir / "trace.jsonl")) == len(result.records)
    assert json.loads((run_dir / "settings.json").read_text())["seed"] == 3
    assert (run_dir / "trace.csv").read_text().count("\n") == len(result.records) + 1


def test_trace_csv_matches_trace(registry, tmp_path):
    import csv

    result = _run(registry, tmp_path, budget=6)
    with (tmp_path / "run" / "trace.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert len(rows) == len(result.records)
    for row, record in zip(rows, result.records):
        assert int(row["step"]) == record["step"]
        assert int(row["macs"]) == record["config"]["macs"]
        assert row["objective"] == record["objective"]
        assert float(row["loss"]) == pytest.approx(record["loss"])
        assert float(row["wall_time_s"]) == pytest.approx(record["wall_time_s"])
        assert float(row["timestamp"]) == pytest.approx(record["timestamp"])
        point = [float(row[f"point_{index}"]) for index in range(len(record["point"]))]
        assert point == pytest.approx(record["point"])


def test_best_equals_minimum_of_trace(registry):
    result = _run(registry, budget=15)
    valid = [record["metrics"]["edp"] for record in result.records if record["metrics"]["valid"]]
    assert result.best_metrics["edp"] == min(valid)


def test_same_seed_same_trace(registry):
    first = _run(registry, seed=11)
    second = _run(registry, seed=11)
    other = _run(registry, seed=12)
    assert _strip(first.records) == _strip(second.records)
    assert _strip(first.records) != _strip(other.records)


def test_cached_repeats_do_not_consume_budget(registry):
    evaluator = MacsEvaluator()
    result = _run(registry, optimizer="repeating", budget=3, evaluator=evaluator)
    assert result.evaluations == 3
    assert len(result.records) == 3
    # The fourth ask would be a repeat, but the budget of 3 distinct designs is spent.
    cached = _run(registry, optimizer="repeating", budget=5, evaluator=MacsEvaluator())
    assert cached.evaluations == 3
    assert any(record["cached"] for record in cached.records)
    assert len(cached.records) == 10 * 5 + 100
    assert not cached.complete


def test_invalid_designs_get_documented_penalty(registry):
    result = _run(registry, budget=40, seed=5)
    worst_valid = -math.inf
    saw_invalid = False
    for record in result.records:
        if record["metrics"]["valid"]:
            assert record["loss"] == pytest.approx(math.log(record["metrics"]["edp"]))
            worst_valid = max(worst_valid, record["loss"])
        else:
            saw_invalid = True
            expected = INITIAL_INVALID_LOSS if worst_valid == -math.inf else worst_valid + INVALID_LOSS_MARGIN
            assert record["loss"] == pytest.approx(expected)
            assert record["metrics"]["status"] == "infeasible"
    assert saw_invalid, "seed 5 should draw at least one pes=1 design in 40 samples"


def test_batches_are_evaluated_together(registry):
    evaluator = MacsEvaluator()
    result = _run(registry, budget=12, batch_size=4, evaluator=evaluator)
    assert result.evaluations == 12
    assert evaluator.calls == 3


def test_existing_trace_needs_resume(registry, tmp_path):
    _run(registry, tmp_path)
    with pytest.raises(RunDirectoryError, match="--resume"):
        _run(registry, tmp_path)


def test_resume_rejects_changed_settings(registry, tmp_path):
    _run(registry, tmp_path, seed=3)
    with pytest.raises(RunDirectoryError, match="seed: recorded 3, now 4"):
        _run(registry, tmp_path, seed=4, resume=True)


def test_resume_rejects_changed_workload_layers(registry, tmp_path):
    # A workload file edited under the same name changes the layers or counts, not the name.
    alexnet = BUILTIN_WORKLOADS["alexnet"]
    edited = Network(alexnet.name, alexnet.layers, tuple(count + 1 for count in alexnet.counts))
    common = dict(
        space=OriginalSpace(simba_space()), optimizer="seeded_random", evaluator=MacsEvaluator(),
        budget=4, seed=3, out_dir=tmp_path / "run", registry=registry,
    )
    run_search(workload=alexnet, **common)

    with pytest.raises(RunDirectoryError, match="workload_counts: recorded"):
        run_search(workload=edited, resume=True, **common)


def test_resume_rejects_smaller_budget(registry, tmp_path):
    _run(registry, tmp_path, budget=12)

    with pytest.raises(RunDirectoryError, match="already made 12 evaluations"):
        _run(registry, tmp_path, budget=8, resume=True)

    assert len(read_trace(tmp_path / "run" / "trace.jsonl")) >= 12
    assert json.loads((tmp_path / "run" / "settings.json").read_text())["budget"] == 12


def test_resume_accepts_settings_without_layer_list(registry, tmp_path):
    _run(registry, tmp_path, budget=4)
    settings_path = tmp_path / "run" / "settings.json"
    older = {key: value for key, value in json.loads(settings_path.read_text()).items()
             if key not in ("workload_layers", "workload_counts")}
    settings_path.write_text(json.dumps(older))

    result = _run(registry, tmp_path, budget=6, resume=True)

    assert result.evaluations == 6


def test_resume_rejects_changed_options(registry, tmp_path):
    run_dir = tmp_path / "run"
    common = dict(
        space=OriginalSpace(simba_space()), optimizer="seeded_random", evaluator=MacsEvaluator(),
        workload=BUILTIN_WORKLOADS["alexnet"], budget=4, seed=3, out_dir=run_dir, registry=registry,
    )
    run_search(**common, optimizer_options={"step": "0.1"})

    with pytest.raises(RunDirectoryError, match=r"optimizer_options.step: recorded '0.1', now '0.2'"):
        run_search(**common, optimizer_options={"step": "0.2"}, resume=True)


class _ScaledSpace(OriginalSpace):
    """The original space with a recorded setting, like a latent space's box."""

    def __init__(self, design_space, scale):
        super().__init__(design_space)
        self.scale = scale

    def describe(self):
        return {**super().describe(), "box": {"upper": [self.scale]}}


def test_resume_rejects_changed_space_settings(registry, tmp_path):
    # A latent model retrained under the same path changes the recorded box.
    first = dict(
        optimizer="seeded_random", evaluator=MacsEvaluator(), workload=BUILTIN_WORKLOADS["alexnet"],
        budget=4, seed=3, out_dir=tmp_path / "run", registry=registry,
    )
    run_search(space=_ScaledSpace(simba_space(), 1.5), **first)

    with pytest.raises(RunDirectoryError, match=r"space_settings.box.upper: recorded \[1.5\], now \[2.5\]"):
        run_search(space=_ScaledSpace(simba_space(), 2.5), resume=True, **first)

    run_search(space=_ScaledSpace(simba_space(), 1.5), resume=True, **{**first, "budget": 6})


class _LatentLikeSpace(OriginalSpace):
    """The original space describing a box the way the latent space does."""

    def __init__(self, design_space, upper):
        super().__init__(design_space)
        self.upper = upper

    def describe(self):
        return {**super().describe(), "lower": [0.0], "upper": [self.upper]}


def test_resume_refusal_names_changed_model(registry, tmp_path):
    first = dict(
        optimizer="seeded_random", evaluator=MacsEvaluator(), workload=BUILTIN_WORKLOADS["alexnet"],
        budget=4, seed=3, out_dir=tmp_path / "run", registry=registry,
    )
    run_search(space=_LatentLikeSpace(simba_space(), 1.5), **first)

    with pytest.raises(RunDirectoryError, match="its model file has changed since the run started"):
        run_search(space=_LatentLikeSpace(simba_space(), 2.5), resume=True, **first)


class _Interrupting(MacsEvaluator):
    """Raise KeyboardInterrupt on the given call, like a user pressing Ctrl-C."""

    def __init__(self, stop_at):
        super().__init__()
        self.stop_at = stop_at

    def evaluate(self, pairs):
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        return super().evaluate(pairs)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_resume_after_interrupt_matches_uninterrupted(registry, tmp_path, batch_size):
    reference = _run(registry, tmp_path, budget=15, batch_size=batch_size, name="reference")
    with pytest.raises(RunInterrupted) as info:
        _run(registry, tmp_path, budget=15, batch_size=batch_size, evaluator=_Interrupting(stop_at=4), name="killed")
    partial = read_trace(tmp_path / "killed" / "trace.jsonl")
    assert 0 < len(partial) < len(reference.records)

    # The interrupted directory is readable: summary and CSV match the trace.
    summary = json.loads((tmp_path / "killed" / "summary.json").read_text())
    csv_lines = (tmp_path / "killed" / "trace.csv").read_text().strip().splitlines()
    assert summary["complete"] is False
    assert summary["evaluations"] == info.value.result.evaluations == sum(1 for r in partial if r["evaluation"])
    assert len(csv_lines) - 1 == len(partial)

    evaluator = MacsEvaluator()
    resumed = _run(registry, tmp_path, budget=15, batch_size=batch_size, evaluator=evaluator, resume=True, name="killed")
    assert _strip(read_trace(tmp_path / "killed" / "trace.jsonl")) == _strip(reference.records)
    assert _strip(resumed.records) == _strip(reference.records)
    # Only the evaluations lost with the interrupt are made again.
    assert evaluator.calls == math.ceil((15 - len(partial)) / batch_size)


def test_resume_drops_torn_last_line(registry, tmp_path, caplog):
    reference = _run(registry, tmp_path, budget=8, name="reference")
    _run(registry, tmp_path, budget=8, name="torn")
    trace = tmp_path / "torn" / "trace.jsonl"
    lines = trace.read_text().splitlines()
    trace.write_text("\n".join(lines[:5]) + "\n" + lines[5][: len(lines[5]) // 2])
    with caplog.at_level(logging.WARNING, logger="vaesa_core.runner.trace"):
        _run(registry, tmp_path, budget=8, resume=True, name="torn")

    assert _strip(read_trace(trace)) == _strip(reference.records)
    torn_warnings = [record for record in caplog.records if "truncated last line" in record.getMessage()]
    assert len(torn_warnings) == 1


def test_invalid_budget_rejected(registry):
    with pytest.raises(ValueError, match="budget must be a positive"):
        _run(registry, budget=0)


def test_settings_record_optimizer_settings(registry, tmp_path):
    _run(registry, tmp_path)
    settings = json.loads((tmp_path / "run" / "settings.json").read_text())
    assert settings["optimizer_settings"] == {"name": "seeded_random"}


def test_failed_start_leaves_no_files(tmp_path):
    from vaesa_core.plugins import get_registry

    with pytest.raises(ValueError, match="no_such_option"):
        run_search(
            space=OriginalSpace(simba_space()),
            optimizer="random",
            evaluator=MacsEvaluator(),
            workload=BUILTIN_WORKLOADS["alexnet"],
            budget=4,
            seed=0,
            out_dir=tmp_path / "run",
            optimizer_options={"no_such_option": "1"},
            registry=get_registry(),
        )

    assert not (tmp_path / "run").exists()
