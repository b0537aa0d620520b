"""The ``analytical`` evaluator and the ``fast`` and ``cosa`` mappers.

The evaluator scores (design, layer) pairs with the Timeloop-exact cost
model (``vaesa_core.costmodel``) on the mapping a mapper chooses. It groups
a batch by layer and hands each mapper call every design of that layer, and
it caches results per (design, layer).

Options (strings from the CLI are converted):

* ``time_limit_s``: CoSA solver limit per (layer, design), seconds, and
  ``mip_gap``: the relative MIP gap at which it may stop (``cosa``).
* ``seed``, ``objective``, ``initial_samples``, ``frontier_size``,
  ``max_rounds``, ``final_candidates``, ``kicks``, ``fitted_targets``,
  ``fitted_seeds``, ``max_pool_size``, ``exact_search``, ``anchor_samples``,
  ``keep``, ``refine_rounds``, ``refine_frontier``, ``refine_kicks``,
  ``refine_seeds``, ``cache_rows``: see ``FastMapper``
  (``fast``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from vaesa_core.evaluation import Evaluator, LayerCost, Status, group_pairs_by_layer
from vaesa_core.hookspecs import hookimpl
from vaesa_core.mapping.cosa import CosaMapper
from vaesa_core.mapping.fast import FastMapper
from vaesa_core.mapping.mapper import Mapper
from vaesa_core.plugins import get_registry
from vaesa_core.space import HardwareConfig
from vaesa_core.workloads import Layer

_logger = logging.getLogger(__name__)

#: Mapper used when the user names none.
DEFAULT_MAPPER = "fast"

def _boolean(value: object) -> bool:
    """Read a yes/no option; any other text is an error, so that a typo does not silently mean no."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, but got {value!r}")


#: Each mapper setting: its converter from CLI text and the one-line help
#: that ``vaesa plugins`` shows. ``FastMapper`` documents each in full.
_FAST_SETTINGS = {
    "objective": (str, "what the mapping minimises: edp, latency or energy (default edp)"),
    "seed": (int, "seed of the candidate bank and of each design's refinement (default 0)"),
    "refine_rounds": (int, "rounds of each design's own search (default 2; 0 with objective=latency)"),
    "exact_search": (_boolean, "exact input counts during the search too (default: true with objective=latency)"),
    "initial_samples": (int, "random mappings that seed each layer's bank (default 4000)"),
    "frontier_size": (int, "candidates expanded per round of the bank search (default 8)"),
    "max_rounds": (int, "rounds of the bank search (default 30)"),
    "kicks": (int, "random-walk restarts of the bank search once it stalls (default 3)"),
    "anchor_samples": (int, "random anchor designs of the bank search (default 96)"),
    "fitted_targets": (int, "anchor designs that get seeds repaired to fit them (default 16)"),
    "fitted_seeds": (int, "repaired seeds per fitted anchor (default 200)"),
    "max_pool_size": (int, "candidates kept in each layer's bank (default 2000)"),
    "final_candidates": (int, "best candidates per design scored again with exact counts (default 4)"),
    "keep": (int, "best candidates each design keeps during its own search (default 16)"),
    "refine_frontier": (int, "candidates expanded per design and round (default 2)"),
    "refine_kicks": (int, "random-walk restarts of each design's search (default 1)"),
    "refine_seeds": (int, "spatial-first seeds repaired to fit each design (default 0)"),
    "cache_rows": (int, "scored mappings kept between calls; bounds memory, never changes results (default 100000)"),
}
_COSA_SETTINGS = {
    "time_limit_s": (float, "solver time limit per layer and design, in seconds (default 60)"),
    "mip_gap": (float, "relative gap at which the solver may stop on CoSA's own objective (default 0: its proven optimum)"),
}
_FAST_OPTIONS = {name: convert for name, (convert, _) in _FAST_SETTINGS.items()}
_COSA_OPTIONS = {name: convert for name, (convert, _) in _COSA_SETTINGS.items()}


def _convert(options: dict[str, object], accepted: dict[str, object], owner: str) -> dict[str, object]:
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"The {owner} mapper does not accept option(s) {', '.join(map(repr, unknown))}; "
            f"accepted options: {', '.join(sorted(accepted)) or '(none)'}."
        )
    converted = {}
    for key, value in options.items():
        try:
            converted[key] = accepted[key](value)  # type: ignore[operator]
        except (TypeError, ValueError):
            raise ValueError(
                f"Option {key!r} of the {owner} mapper got an invalid value {value!r}; "
                "`vaesa plugins` lists what each option takes."
            ) from None
    return converted


def make_fast_mapper(**options: object) -> FastMapper:
    """Build the fast mapper from string or typed options."""
    return FastMapper(**_convert(options, _FAST_OPTIONS, "fast"))  # type: ignore[arg-type]


def make_cosa_mapper(**options: object) -> CosaMapper:
    """Build the CoSA mapper from string or typed options."""
    return CosaMapper(**_convert(options, _COSA_OPTIONS, "cosa"))  # type: ignore[arg-type]


make_fast_mapper.options = {name: text for name, (_, text) in _FAST_SETTINGS.items()}  # type: ignore[attr-defined]
make_cosa_mapper.options = {name: text for name, (_, text) in _COSA_SETTINGS.items()}  # type: ignore[attr-defined]


class AnalyticalEvaluator(Evaluator):
    """Score pairs with the Timeloop-exact cost model on the mapper's mappings.

    Args:
        mapper: The mapper that chooses and scores each mapping.
    """

    name = "analytical"
    estimate = False

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper
        self._cache: dict[tuple[HardwareConfig, Layer], LayerCost] = {}

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "estimate": self.estimate, "mapper": self.mapper.describe()}

    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        costs: list[LayerCost | None] = [self._cache.get((config, layer)) for config, layer in pairs]
        missing = [(index, pair) for index, pair in enumerate(pairs) if costs[index] is None]
        groups = group_pairs_by_layer([pair for _, pair in missing])
        for layer, positions in groups.items():
            configs = list(dict.fromkeys(missing[position][1][0] for position in positions))
            try:
                results = self.mapper.map_layer(layer, configs)
            except (ValueError, RuntimeError) as error:
                _logger.warning("Mapper %s failed on layer %s: %s", self.mapper.name, layer.label(), error)
                failed = LayerCost.invalid(Status.FAILED, f"mapper {self.mapper.name} failed: {error}")
                results_by_config = {config: failed for config in configs}
            else:
                results_by_config = {config: result.to_layer_cost() for config, result in zip(configs, results)}
            for config, cost in results_by_config.items():
                self._cache[(config, layer)] = cost
                _logger.debug("%s on %s: %s cycles, %.1f pJ (%s)", layer.label(), config.label(),
                              cost.cycles, cost.energy_pj, cost.status.value)
            for position in positions:
                index, (config, _) = missing[position]
                costs[index] = results_by_config[config]
        return [cost for cost in costs if cost is not None]


def make_analytical_evaluator(design_space=None, mapper: str | None = None, **options: object) -> AnalyticalEvaluator:
    """Build the ``analytical`` evaluator; ``mapper`` names a registered mapper (default ``fast``)."""
    name = mapper or DEFAULT_MAPPER
    if name == "fast":
        built: Mapper = make_fast_mapper(**options)
    elif name == "cosa":
        built = make_cosa_mapper(**options)
    else:
        built = get_registry().create("mapper", name, **options)
        if not isinstance(built, Mapper):
            raise TypeError(
                f"Mapper {name!r} built a {type(built).__name__}, but the analytical evaluator needs a "
                "vaesa_core.mapping.Mapper."
            )
    return AnalyticalEvaluator(built)


@hookimpl
def vaesa_register_evaluators():
    return {"analytical": make_analytical_evaluator}


@hookimpl
def vaesa_register_mappers():
    return {"fast": make_fast_mapper, "cosa": make_cosa_mapper}
