"""Data-set generation: content, parallel executors, and kill-and-resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaesa_core.errors import VaesaError
from vaesa_core.latent.dataset import read_dataset
from vaesa_core.latent.generation import generate_dataset, parts_directory, sample_unique_designs
from vaesa_core.space import PARAMETER_NAMES, simba_space
from vaesa_core.workloads import builtin_workload

LAYERS = builtin_workload("alexnet").layers[:3]


def _generate(out, **overrides):
    settings = dict(
        design_space=simba_space(), layers=LAYERS, evaluator="placeholder", samples=50, seed=7,
        workers=1, executor="serial", chunk_designs=8,
    )
    settings.update(overrides)
    return generate_dataset(out, **settings)


def test_generation_writes_every_pair(tmp_path):
    result = _generate(tmp_path / "data.csv")
    frame = read_dataset(result.path, design_space=simba_space())

    assert result.complete
    assert result.rows == 150
    assert len(frame) == 150
    assert len(frame[list(PARAMETER_NAMES)].drop_duplicates()) == 50
    assert bool(frame["valid"].all())
    assert not parts_directory(result.path).exists()


def test_resume_after_stop_matches_uninterrupted_run(tmp_path):
    reference = read_dataset(_generate(tmp_path / "reference.csv").path)
    out = tmp_path / "resumed.csv"

    stopped = _generate(out, stop_after_chunks=3)
    partial_chunks = sorted(path.name for path in parts_directory(out).glob("chunk-*.csv"))
    resumed = _generate(out, resume=True)
    frame = read_dataset(out)

    assert not stopped.complete
    assert stopped.chunks_done == 3
    assert partial_chunks == ["chunk-00000.csv", "chunk-00001.csv", "chunk-00002.csv"]
    assert resumed.complete
    assert resumed.chunks_total == 7
    assert not frame.duplicated(subset=[*PARAMETER_NAMES, "R", "S", "P", "Q", "C", "K"]).any()
    assert frame.equals(reference)


def test_resume_with_other_settings_is_rejected(tmp_path):
    out = tmp_path / "data.csv"
    _generate(out, stop_after_chunks=1)

    with pytest.raises(VaesaError, match="settings differ from the unfinished run in seed"):
        _generate(out, seed=8, resume=True)


def test_unfinished_run_needs_resume_flag(tmp_path):
    out = tmp_path / "data.csv"
    _generate(out, stop_after_chunks=1)

    with pytest.raises(VaesaError, match=r"Continue it with --resume \(resume=True in Python\)"):
        _generate(out)


def test_existing_output_is_not_overwritten(tmp_path):
    out = tmp_path / "data.csv"
    out.write_text("x\n")

    with pytest.raises(VaesaError, match="already exists"):
        _generate(out)


def test_process_executor_matches_serial(tmp_path):
    serial = read_dataset(_generate(tmp_path / "serial.csv", samples=20).path)
    parallel = read_dataset(_generate(tmp_path / "parallel.parquet", samples=20, executor="process", workers=2).path)

    assert parallel.equals(serial)


def test_manifest_records_settings(tmp_path):
    out = tmp_path / "data.csv"
    _generate(out, stop_after_chunks=1)

    manifest = json.loads((parts_directory(out) / "manifest.json").read_text())

    assert manifest["evaluator"] == "placeholder"
    assert manifest["seed"] == 7
    assert manifest["layers"] == [layer.key() for layer in LAYERS]


def test_unknown_suffix_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown suffix"):
        _generate(tmp_path / "data.txt")


def test_sampled_designs_are_distinct_and_legal():
    space = simba_space()
    raw = sample_unique_designs(space, 500, 0)

    assert len({tuple(row) for row in raw}) == 500
    assert np.array_equal(space.snap(raw), raw)
