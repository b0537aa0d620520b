"""A placeholder evaluator: a crude roofline, NOT a faithful cost model.

It exists so the search pipeline can run end to end before a real cost model
is chosen; its numbers are rough estimates with no mapping search. Use
``--evaluator analytical`` for Timeloop-grade numbers.

Model (per layer): cycles = max(MACs / macs, DRAM words / 10), where DRAM
words = weights + inputs + outputs, each re-read once per global-buffer
overflow; energy = 0.25 pJ per MAC + 100 pJ per DRAM word + 2 pJ per MAC for
on-chip traffic scaled by the log of buffer sizes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from vaesa_core.evaluation import Evaluator, LayerCost
from vaesa_core.hookspecs import hookimpl
from vaesa_core.space import HardwareConfig
from vaesa_core.workloads import Layer


class PlaceholderEvaluator(Evaluator):
    """Roofline estimate of cycles and energy (placeholder; see the module docstring)."""

    name = "placeholder"
    estimate = True

    def evaluate(self, pairs: Sequence[tuple[HardwareConfig, Layer]]) -> list[LayerCost]:
        return [self._one(config, layer) for config, layer in pairs]

    @staticmethod
    def _one(config: HardwareConfig, layer: Layer) -> LayerCost:
        weights = layer.R * layer.S * layer.C * layer.K
        inputs = layer.N * layer.C * layer.input_width() * layer.input_height()
        outputs = layer.N * layer.K * layer.P * layer.Q
        on_chip = config.global_buffer + config.weight_buffer * 128 + config.input_buffer * 64
        refetch = max(1.0, (weights + inputs + outputs) / on_chip)
        dram_words = (weights + inputs) * math.sqrt(refetch) + outputs
        cycles = max(layer.macs / config.macs, dram_words / 10.0)
        buffer_factor = 1.0 + 0.05 * math.log2(on_chip)
        energy = layer.macs * (0.25 + 2.0 * buffer_factor / math.sqrt(config.accum_buffer)) + 100.0 * dram_words
        return LayerCost(float(math.ceil(cycles)), float(energy), estimate=True)


def _make(design_space=None, mapper=None, **options):
    if options:
        raise ValueError(f"The placeholder evaluator takes no options, but got {sorted(options)}.")
    return PlaceholderEvaluator()


@hookimpl
def vaesa_register_evaluators():
    return {"placeholder": _make}
