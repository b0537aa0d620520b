"""The fast mapper's result for a design depends on the design and the layer only."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from vaesa_core.mapping.fast import FastMapper
from vaesa_core.space import HardwareConfig, simba_space
from vaesa_core.workloads import Layer

#: Small search settings; determinism must hold for any effort.
SETTINGS = {"initial_samples": 300, "max_rounds": 4, "anchor_samples": 4, "fitted_seeds": 40, "refine_rounds": 3,
            "refine_seeds": 20}

#: A fully connected layer, a strided convolution and an odd, prime-sized shape.
LAYERS = (
    Layer(1, 1, 1, 1, 512, 1000, N=8),
    Layer(3, 3, 28, 28, 128, 128, stride_w=2, stride_h=2),
    Layer(5, 5, 161, 7, 1, 32, stride_w=2, stride_h=2),
)

TARGET = HardwareConfig(pes=1, macs=2048, accum_buffer=252, weight_buffer=8960, input_buffer=1572,
                        global_buffer=106496)


def _signature(result) -> tuple:
    """Return the bits of a result: cycles, energy and the mapping's arrays."""
    return (
        float(result.cycles).hex(),
        float(result.energy_pj).hex(),
        result.mapping.factors.tolist(),
        result.mapping.orders.tolist(),
    )


@pytest.fixture(scope="module")
def others() -> list[HardwareConfig]:
    return simba_space().sample(5, np.random.default_rng(21))


@pytest.fixture(scope="module")
def alone() -> list[tuple]:
    """Return the target's result per layer, each from a fresh mapper."""
    return [_signature(FastMapper(**SETTINGS).map_layer(layer, [TARGET])[0]) for layer in LAYERS]


def test_result_same_after_other_designs(alone, others):
    mapper = FastMapper(**SETTINGS)
    for layer, expected in zip(LAYERS, alone):
        for config in others:
            mapper.map_layer(layer, [config])
        mapper.map_layer(layer, others)
        assert _signature(mapper.map_layer(layer, [TARGET])[0]) == expected, layer.key()


@pytest.mark.parametrize("position", [0, 3, 5])
def test_result_same_inside_batch(alone, others, position):
    mapper = FastMapper(**SETTINGS)
    batch = list(others)
    batch.insert(position, TARGET)
    for layer, expected in zip(LAYERS, alone):
        results = mapper.map_layer(layer, batch)
        assert _signature(results[position]) == expected, layer.key()


def test_batch_results_equal_single_results(others):
    layer = LAYERS[1]
    batched = FastMapper(**SETTINGS).map_layer(layer, others)
    for config, result in zip(others, batched):
        assert _signature(FastMapper(**SETTINGS).map_layer(layer, [config])[0]) == _signature(result), config.label()


def test_result_same_in_new_process(alone):
    script = (
        "import json, sys\n"
        "from tests.mapping.test_fast_determinism import LAYERS, SETTINGS, TARGET, _signature\n"
        "from vaesa_core.mapping.fast import FastMapper\n"
        "mapper = FastMapper(**SETTINGS)\n"
        "json.dump([_signature(mapper.map_layer(layer, [TARGET])[0]) for layer in LAYERS], sys.stdout)\n"
    )
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                            env={"PYTHONHASHSEED": "12345", "PATH": ""}, cwd=_repository_root())
    assert json.loads(output.stdout) == json.loads(json.dumps(alone))


def test_pes_do_not_change_the_mapping(alone):
    other_pes = HardwareConfig(pes=16, macs=TARGET.macs, accum_buffer=TARGET.accum_buffer,
                               weight_buffer=TARGET.weight_buffer, input_buffer=TARGET.input_buffer,
                               global_buffer=TARGET.global_buffer)
    assert _signature(FastMapper(**SETTINGS).map_layer(LAYERS[0], [other_pes])[0]) == alone[0]


def test_bank_is_frozen():
    mapper = FastMapper(**SETTINGS)
    mapper.map_layer(LAYERS[0], [TARGET])
    bank = mapper.bank(LAYERS[0])
    size = bank.pool.size
    mapper.map_layer(LAYERS[0], simba_space().sample(3, np.random.default_rng(2)))

    assert mapper.bank(LAYERS[0]) is bank
    assert bank.pool.size == size
    with pytest.raises(RuntimeError, match="frozen"):
        bank.pool.add(bank.pool.factors[:1], bank.pool.orders[:1])


def _repository_root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])
