"""Tests that setup.cfg lists every package folder and every plugin module."""

from __future__ import annotations

import configparser
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / "setup.cfg")
    return parser


def test_every_package_folder_is_listed():
    listed = set(_setup_cfg()["options"]["packages"].split())
    found = {
        ".".join(path.parent.relative_to(REPO_ROOT).parts)
        for path in (REPO_ROOT / "vaesa_core").rglob("__init__.py")
    }
    found.add("vaesa_plugins")
    assert found - listed == set(), "add these packages to setup.cfg [options] packages"


def test_every_plugin_module_has_an_entry_point():
    entry_points = _setup_cfg()["options.entry_points"]["vaesa"]
    targets = {line.split("=", 1)[1].strip() for line in entry_points.strip().splitlines()}
    modules = {f"vaesa_plugins.{path.stem}" for path in (REPO_ROOT / "plugins").glob("*.py") if not path.stem.startswith("_")}
    assert modules - targets == set(), "register these plugin modules under [options.entry_points] vaesa"
