"""The gradient-descent suite reads a cached result back only for the same task and model."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from benchmarks.gd_unseen import LayerTask, run_task


def _task(model_sha256: str) -> LayerTask:
    return LayerTask(0, 0, 2, (0,), 0.05, "placeholder", ("original",), model_sha256)


def _write_cached(task: LayerTask, root) -> None:
    path = task.result_path(root)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"task": asdict(task), "marker": "cached"}))


def test_same_task_reads_cache(tmp_path):
    task = _task("a" * 64)
    _write_cached(task, tmp_path)

    assert run_task(task, tmp_path).get("marker") == "cached"


def test_other_model_runs_again(tmp_path):
    _write_cached(_task("a" * 64), tmp_path)

    result = run_task(replace(_task("a" * 64), latent_model_sha256="b" * 64), tmp_path)

    assert "marker" not in result
    assert result["task"]["latent_model_sha256"] == "b" * 64
    assert result["errors"] == {}
    assert "original" in result["spaces"]
