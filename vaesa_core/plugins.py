"""The plugin registry: loads entry points and indexes what plugins register."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy

from vaesa_core import hookspecs
from vaesa_core.errors import UnknownNameError, VaesaError

__all__ = ["Registration", "PluginRegistry", "get_registry", "KINDS"]

_logger = logging.getLogger(__name__)

#: Registration kinds and the hook behind each.
KINDS: dict[str, str] = {
    "optimizer": "vaesa_register_optimizers",
    "search_space": "vaesa_register_search_spaces",
    "evaluator": "vaesa_register_evaluators",
    "mapper": "vaesa_register_mappers",
    "executor": "vaesa_register_executors",
}


@dataclass(frozen=True)
class Registration:
    """One named component a plugin registered.

    Attributes:
        kind: One of ``KINDS``.
        name: Public name, e.g. ``"bo"``.
        factory: Callable that builds the component.
        plugin: Name of the plugin (entry-point name or module name).
        distribution: ``name version`` of the installed package that provides
            the plugin, or ``"vaesa (core)"`` for plugins inside vaesa_core.
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    plugin: str
    distribution: str


class PluginRegistry:
    """Load plugins and look up their registrations by kind and name.

    Args:
        load_entry_points: Load the ``vaesa`` entry-point group (turn off in
            tests that register plugins by hand).
    """

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        from vaesa_core import builtin_plugin

        self.manager.register(builtin_plugin, name="vaesa_core.builtin")
        if load_entry_points:
            loaded = self.manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
            _logger.debug("Loaded %d plugin(s) from entry points", loaded)
        self._index: dict[str, dict[str, Registration]] | None = None

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object or module by hand (tests, notebooks)."""
        self.manager.register(plugin, name=name)
        self._index = None

    def _distribution_of(self, plugin: object) -> str:
        for loaded, dist in self.manager.list_plugin_distinfo():
            if loaded is plugin:
                return f"{dist.metadata['name']} {dist.version}"
        return "vaesa (core)" if getattr(plugin, "__name__", "").startswith("vaesa_core") else "(registered by hand)"

    def _build_index(self) -> dict[str, dict[str, Registration]]:
        index: dict[str, dict[str, Registration]] = {kind: {} for kind in KINDS}
        for plugin in self.manager.get_plugins():
            plugin_name = self.manager.get_name(plugin) or repr(plugin)
            distribution = self._distribution_of(plugin)
            for kind, hook_name in KINDS.items():
                implementation = getattr(plugin, hook_name, None)
                if implementation is None:
                    continue
                try:
                    registered = implementation() or {}
                except Exception as error:  # a broken plugin must not hide the others
                    raise VaesaError(
                        f"Plugin {plugin_name!r} failed in hook {hook_name}: {type(error).__name__}: {error}"
                    ) from error
                for name, factory in registered.items():
                    if not callable(factory):
                        raise VaesaError(
                            f"Plugin {plugin_name!r}, hook {hook_name}: the factory for {name!r} is not callable "
                            f"(got {factory!r})."
                        )
                    previous = index[kind].get(name)
                    if previous is not None:
                        raise VaesaError(
                            f"{kind} {name!r} is registered twice: by plugin {previous.plugin!r} "
                            f"({previous.distribution}) and by plugin {plugin_name!r} ({distribution}). "
                            "Uninstall one of them."
                        )
                    index[kind][name] = Registration(kind, name, factory, plugin_name, distribution)
        return index

    def registrations(self, kind: str) -> dict[str, Registration]:
        """Return every registration of ``kind``, by name."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, but got {kind!r}.")
        if self._index is None:
            self._index = self._build_index()
        return dict(self._index[kind])

    def get(self, kind: str, name: str) -> Registration:
        """Return the registration of ``name``.

        Raises:
            UnknownNameError: No plugin registered ``name``; the message lists
                the known names of that kind.
        """
        known = self.registrations(kind)
        if name not in known:
            label = kind.replace("_", " ")
            raise UnknownNameError(
                f"Unknown {label} {name!r}; registered {label}s: {', '.join(sorted(known)) or '(none)'}. "
                "Run 'vaesa plugins' to see where each comes from."
            )
        return known[name]

    def create(self, kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component registered as ``name`` by calling its factory."""
        return self.get(kind, name).factory(*args, **kwargs)


_REGISTRY: PluginRegistry | None = None


def get_registry(*, reload: bool = False) -> PluginRegistry:
    """Return the process-wide registry, building it on first use."""
    global _REGISTRY
    if _REGISTRY is None or reload:
        _REGISTRY = PluginRegistry()
    return _REGISTRY
