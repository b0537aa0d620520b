"""Tests of the design-space lattice, snapping and encoding."""

from __future__ import annotations

import numpy as np
import pytest

from vaesa_core.errors import InvalidConfigError, UnknownNameError
from vaesa_core.space import PARAMETER_NAMES, HardwareConfig, IntRange, PowerOfTwo, simba_space

BASE = HardwareConfig(16, 1024, 64, 16384, 1024, 65536)

EXPECTED_BOUNDS = {
    "pes": (1, 64, 7),
    "macs": (256, 4096, 16),
    "accum_buffer": (2, 256, 128),
    "weight_buffer": (256, 65536, 256),
    "input_buffer": (2, 4096, 2048),
    "global_buffer": (1024, 262144, 256),
}


@pytest.fixture(scope="module")
def space():
    return simba_space()


@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_parameter_bounds_and_size(space, name):
    parameter = space.parameter(name)
    low, high, size = EXPECTED_BOUNDS[name]
    assert parameter.low == low
    assert parameter.high == high
    assert parameter.size == size


def test_space_size_is_product(space):
    assert space.size() == 7 * 16 * 128 * 256 * 2048 * 256


@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_every_bound_is_legal_and_beyond_is_not(space, name):
    parameter = space.parameter(name)
    assert parameter.validate(parameter.low) == parameter.low
    assert parameter.validate(parameter.high) == parameter.high
    with pytest.raises(InvalidConfigError, match=name):
        parameter.validate(parameter.high + parameter.values[-1] - parameter.values[-2])
    with pytest.raises(InvalidConfigError, match=name):
        parameter.validate(parameter.low - 1 if parameter.low > 1 else 0)


def test_illegal_value_names_parameter_value_and_range(space):
    bad = {**BASE.as_dict(), "macs": 1000}
    with pytest.raises(InvalidConfigError, match=r"macs=1000 is not legal.*256\.\.4096 in steps of 256.*nearest legal value is 1024"):
        space.validate(bad)


def test_every_illegal_value_is_reported(space):
    bad = {**BASE.as_dict(), "pes": 12, "accum_buffer": 65}

    with pytest.raises(InvalidConfigError) as info:
        space.validate(bad)

    assert "pes=12 is not legal" in str(info.value)
    assert "The nearest legal value is 16." in str(info.value)
    assert "accum_buffer=65 is not legal" in str(info.value)


def test_non_integer_value_rejected(space):
    with pytest.raises(InvalidConfigError, match="accum_buffer must be an integer"):
        space.validate({**BASE.as_dict(), "accum_buffer": 64.5})


def test_unknown_and_missing_parameters(space):
    with pytest.raises(UnknownNameError, match="'glb'"):
        space.validate({**BASE.as_dict(), "glb": 4})
    partial = BASE.as_dict()
    del partial["pes"]
    with pytest.raises(InvalidConfigError, match="Missing design parameter"):
        space.validate(partial)


def test_snap_returns_nearest_on_log_scale(space):
    raw = np.array([[3.0, 300.0, 3.0, 300.0, 2.5, 1400.0]])
    snapped = space.snap(raw)[0]
    # On log2: 3 is nearer 4 than 2; 300 is nearer 256 than 512; 1400 is nearer 1024 than 2048.
    assert snapped.tolist() == [4, 256, 4, 256, 2, 1024]


def test_snap_clips_out_of_range_and_nonpositive(space):
    raw = np.array([[0.0, -5.0, 1e9, 1e9, -1.0, 1e12]])
    snapped = space.snap(raw)[0]
    assert snapped.tolist() == [1, 256, 256, 65536, 2, 262144]


def test_snap_rejects_nan(space):
    with pytest.raises(InvalidConfigError, match="NaN"):
        space.snap(np.full((1, 6), np.nan))


def test_snapped_values_are_always_legal(space):
    rng = np.random.default_rng(0)
    raw = np.exp(rng.uniform(-2, 14, size=(500, 6)))
    for row in space.snap(raw):
        space.validate(space.config_from_array(row))


def test_encoding_round_trip_is_exact_on_lattice(space):
    rng = np.random.default_rng(1)
    configs = space.sample(300, rng)
    raw = np.stack([config.as_array() for config in configs])
    units = space.encode(raw)
    assert units.min() >= 0.0
    assert units.max() <= 1.0
    assert [config.as_array().tolist() for config in space.from_unit(units)] == raw.tolist()


def test_encoding_maps_bounds_to_zero_and_one(space):
    low = np.array([p.low for p in space.parameters])
    high = np.array([p.high for p in space.parameters])
    assert np.allclose(space.encode(low), 0.0)
    assert np.allclose(space.encode(high), 1.0)


def test_sample_is_seeded_and_uniform_over_lattice(space):
    first = space.sample(2000, np.random.default_rng(7))
    second = space.sample(2000, np.random.default_rng(7))
    assert first == second
    pes = np.array([config.pes for config in first])
    # Uniform over 7 values: each about 1/7 of 2000 (286); allow wide noise.
    counts = np.array([(pes == value).sum() for value in (1, 2, 4, 8, 16, 32, 64)])
    assert counts.min() > 200


def test_buffer_bytes_use_instances_and_word_width():
    assert BASE.buffer_bytes() == {
        "accum_buffer": 64 * 128 * 3,
        "weight_buffer": 16384 * 128,
        "input_buffer": 1024 * 64,
        "global_buffer": 65536,
    }


def test_wrong_vector_width_raises(space):
    with pytest.raises(ValueError, match="6 design parameters"):
        space.encode(np.zeros(5))


def test_domain_constructors_validate():
    with pytest.raises(ValueError, match="multiple of step"):
        IntRange("x", "entries", start=2, stop=9, step=2)
    with pytest.raises(ValueError, match="powers of two"):
        PowerOfTwo("y", "PEs", start=3, stop=64)
