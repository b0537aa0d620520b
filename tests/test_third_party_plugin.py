"""A separately installed plugin package registers an optimizer the CLI can run.

``tests/example_plugin`` is a complete third-party distribution
(``vaesa-example-plugin``). The test installs it into a temporary folder with
pip, puts that folder on PYTHONPATH of subprocesses only, and drives the
``vaesa`` CLI there, so the plugin is found through its entry point exactly
as after a ``pip install``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaesa_core.plugins import get_registry
from vaesa_core.space import simba_space

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PLUGIN = REPO_ROOT / "tests" / "example_plugin"

#: Seconds any one subprocess may take.
SUBPROCESS_TIMEOUT_S = 300


def _vaesa_command() -> list[str]:
    script = Path(sys.executable).with_name("vaesa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "vaesa_core.cli"]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """Install the example plugin into a fresh folder and return that folder."""
    pytest.importorskip("setuptools", reason="building the example plugin needs setuptools")
    work = tmp_path_factory.mktemp("third_party")
    source = work / "source"
    # Build from a copy so setuptools' build folders stay out of the checkout.
    shutil.copytree(EXAMPLE_PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(site), str(source)],
        check=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )
    return site


def _run(command: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), environment.get("PYTHONPATH", "")]))
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S
    )


def test_plugins_lists_example_optimizer(plugin_site, tmp_path):
    completed = _run([*_vaesa_command(), "plugins"], plugin_site, tmp_path)

    assert completed.returncode == 0, completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.strip().startswith("example_hillclimb")]
    assert len(lines) == 1, completed.stdout
    assert "vaesa-example-plugin 0.1.0" in lines[0]


def test_plugin_absent_without_install():
    assert "example_hillclimb" not in get_registry().registrations("optimizer")


@pytest.mark.parametrize("space", ["original", "latent"])
def test_run_with_example_optimizer(plugin_site, tmp_path, space):
    registry = get_registry()
    if space not in registry.registrations("search_space"):
        pytest.skip(f"search space {space!r} is not registered in this environment")
    try:
        registry.create("search_space", space, simba_space())
    except FileNotFoundError as error:
        pytest.skip(f"search space {space!r} cannot be built here: {error}")
    out_dir = tmp_path / "run"
    command = [
        *_vaesa_command(), "run", "--optimizer", "example_hillclimb", "--space", space,
        "--evaluator", "placeholder", "--workload", "alexnet", "--budget", "5", "--quiet", "--out", str(out_dir),
    ]

    completed = _run(command, plugin_site, tmp_path)

    assert completed.returncode == 0, completed.stderr
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["evaluations"] == 5
    assert summary["settings"]["optimizer"] == "example_hillclimb"
    assert summary["best_config"] is not None
    trace = (out_dir / "trace.jsonl").read_text().splitlines()
    assert len(trace) == summary["asked"]


def test_example_optimizer_rejects_bad_option(plugin_site, tmp_path):
    command = [
        *_vaesa_command(), "run", "--optimizer", "example_hillclimb", "--evaluator", "placeholder",
        "--budget", "3", "--quiet", "--option", "step=2", "--out", str(tmp_path / "run"),
    ]

    completed = _run(command, plugin_site, tmp_path)

    assert completed.returncode != 0
    assert "step" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_conformance_suite_covers_example_optimizer(plugin_site):
    # The suite enumerates the registry, so once the plugin is installed it
    # checks example_hillclimb like any built-in optimizer.
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        str(REPO_ROOT / "tests" / "plugins" / "test_optimizer_conformance.py"), "-k", "example_hillclimb",
    ]

    completed = _run(command, plugin_site, REPO_ROOT)

    assert completed.returncode == 0, completed.stdout[-4000:]
    assert " passed" in completed.stdout
