"""Tests of the hook specifications and the plugin registry."""

from __future__ import annotations

import inspect

import pytest

from vaesa_core import hookspecs
from vaesa_core.errors import UnknownNameError, VaesaError
from vaesa_core.hookspecs import hookimpl
from vaesa_core.plugins import KINDS, PluginRegistry


def test_every_kind_has_a_documented_hookspec():
    for hook_name in KINDS.values():
        spec = getattr(hookspecs, hook_name)
        assert inspect.signature(spec).parameters == {}, hook_name
        assert "Returns:" in (spec.__doc__ or ""), hook_name


def test_core_registers_original_space_and_executors():
    registry = PluginRegistry(load_entry_points=False)
    assert "original" in registry.registrations("search_space")
    assert {"process", "thread", "serial"} <= set(registry.registrations("executor"))


def test_serial_executor_runs_and_carries_errors():
    registry = PluginRegistry(load_entry_points=False)
    executor = registry.create("executor", "serial", 1)
    assert executor.submit(pow, 2, 5).result() == 32
    with pytest.raises(ZeroDivisionError):
        executor.submit(lambda: 1 / 0).result()


class _Optimizers:
    @hookimpl
    def vaesa_register_optimizers(self):
        return {"mine": lambda context: None}


def test_hand_registered_plugin_is_listed():
    registry = PluginRegistry(load_entry_points=False)
    registry.register(_Optimizers(), name="mine_plugin")
    registration = registry.get("optimizer", "mine")
    assert registration.plugin == "mine_plugin"
    assert registration.distribution == "(registered by hand)"


def test_duplicate_names_name_both_plugins():
    registry = PluginRegistry(load_entry_points=False)
    registry.register(_Optimizers(), name="first")
    registry.register(_Optimizers(), name="second")
    with pytest.raises(VaesaError, match="registered twice") as info:
        registry.registrations("optimizer")
    assert "plugin 'first'" in str(info.value)
    assert "plugin 'second'" in str(info.value)


def test_unknown_name_lists_known_names():
    registry = PluginRegistry(load_entry_points=False)
    with pytest.raises(UnknownNameError, match="Unknown search space 'nope'; registered search spaces: original"):
        registry.get("search_space", "nope")


def test_broken_plugin_error_names_plugin_and_hook():
    class Broken:
        @hookimpl
        def vaesa_register_evaluators(self):
            raise RuntimeError("boom")

    registry = PluginRegistry(load_entry_points=False)
    registry.register(Broken(), name="broken")
    with pytest.raises(VaesaError, match="Plugin 'broken' failed in hook vaesa_register_evaluators: RuntimeError: boom"):
        registry.registrations("evaluator")


def test_entry_point_plugins_come_from_the_installed_distribution():
    registry = PluginRegistry()
    placeholder = registry.get("evaluator", "placeholder")
    assert placeholder.distribution.startswith("vaesa ")
