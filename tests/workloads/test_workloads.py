"""Tests of layers, built-in networks and workload files."""

from __future__ import annotations

import json

import pytest

from vaesa_core.errors import UnknownNameError, WorkloadFormatError
from vaesa_core.workloads import (
    BUILTIN_WORKLOADS,
    Aggregation,
    Layer,
    parse_layer_spec,
    resolve_workload,
    training_layers,
)

EXPECTED = {"alexnet": (8, 8), "resnet50": (24, 54), "resnext50": (25, 54), "deepbench": (9, 9), "unseen": (12, 12)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_layer_counts(name):
    network = BUILTIN_WORKLOADS[name]
    assert (len(network.layers), network.total_layers) == EXPECTED[name]


def test_training_layers_are_the_57_data_set_layers(vaesa_data_dir):
    keys = {path.name[len("dataset_") : -len(".csv.gz")] for path in (vaesa_data_dir / "layers-grid").glob("*.csv.gz")}
    assert {layer.key() for layer in training_layers()} == keys
    assert len(training_layers()) == 57


def test_resnet50_repeat_counts():
    assert BUILTIN_WORKLOADS["resnet50"].counts == (1, 1, 3, 4, 2, 1, 1, 4, 1, 3, 3, 1, 1, 6, 1, 5, 5, 1, 1, 3, 1, 2, 2, 1)


def test_layer_key_round_trip_and_macs():
    layer = Layer.from_key("11_11_55_55_3_64_1_4_4_1_1")
    assert layer.key() == "11_11_55_55_3_64_1_4_4_1_1"
    assert layer.macs == 11 * 11 * 55 * 55 * 3 * 64
    assert layer.input_width() == 54 * 4 + 11


def test_layer_rejects_nonpositive_dims():
    with pytest.raises(ValueError, match="Layer C must be a positive integer"):
        Layer(1, 1, 1, 1, 0, 10)


def test_aggregation_weights():
    network = BUILTIN_WORKLOADS["resnet50"]
    assert sum(network.weights(Aggregation.WEIGHTED)) == 54
    assert sum(network.weights("unique")) == 24


def test_parse_layer_spec():
    layer = parse_layer_spec("R=3,S=3,P=56,Q=56,C=64,K=64,N=1,stride=2")
    assert (layer.R, layer.P, layer.stride_w, layer.stride_h) == (3, 56, 2, 2)
    with pytest.raises(ValueError, match="not a KEY=VALUE"):
        parse_layer_spec("R=3,S")
    with pytest.raises(ValueError, match="unknown layer field 'X'"):
        parse_layer_spec("X=3,C=1,K=1")


def test_layer_spec_error_lists_fields_without_count():
    with pytest.raises(ValueError, match="unknown layer field 'X'") as error:
        parse_layer_spec("X=3,C=1,K=1")

    assert str(error.value).startswith("Layer spec 'X=3,C=1,K=1'")
    assert "count" not in str(error.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("R=3 S=3 C=64 K=64", "separate fields with commas"), ("R=3,R=5,C=8,K=8", "'R' is given twice")],
)
def test_layer_spec_rejects_run_together_and_repeated_fields(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_layer_spec(spec)


@pytest.mark.parametrize(
    "fields",
    [{"stride": 2, "stride_w": 3}, {"stride_w": 3, "stride": 2}, {"Wstride": 3, "stride_w": 2},
     {"dilation": 1, "dilation_h": 2}],
)
def test_layer_rejects_spellings_that_disagree(fields):
    with pytest.raises(ValueError, match="to different values; set it once"):
        Layer.from_mapping({"C": 8, "K": 8, **fields})


def test_layer_accepts_spellings_that_agree():
    layer = Layer.from_mapping({"C": 8, "K": 8, "stride": 2, "stride_w": "2"})

    assert (layer.stride_w, layer.stride_h) == (2, 2)


def test_invalid_alias_value_names_the_spelling_given():
    with pytest.raises(ValueError, match="field 'stride' must be a positive integer, but got '0'"):
        parse_layer_spec("R=3,S=3,C=8,K=8,stride=0")


def test_layer_spec_rejects_disagreeing_strides():
    with pytest.raises(ValueError, match="stride=2, stride_w=3"):
        parse_layer_spec("R=3,S=3,C=8,K=8,stride=2,stride_w=3")


def test_workload_file_error_lists_count():
    with pytest.raises(ValueError, match="unknown layer field 'X'") as error:
        Layer.from_mapping({"X": 3, "C": 1, "K": 1})

    assert "name, count (or repeat)." in str(error.value)


@pytest.mark.parametrize("key", ["count", "repeat", "Repeats"])
def test_layer_spec_rejects_repeat_count(key):
    with pytest.raises(ValueError, match=f"'{key}' has no effect on a single layer"):
        parse_layer_spec(f"R=3,S=3,P=7,Q=7,C=8,K=8,{key}=3")


def test_yaml_file_loads_with_counts_and_fc_defaults(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(
        "name: tiny\nlayers:\n"
        "  - {R: 3, S: 3, P: 14, Q: 14, C: 32, K: 32, count: 2}\n"
        "  - {C: 512, K: 10}\n"
    )
    network = resolve_workload(str(path))
    assert network.name == "tiny"
    assert network.counts == (2, 1)
    assert network.layers[1].is_fc


def test_json_list_file_merges_repeated_shapes(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps([{"C": 8, "K": 8}, {"C": 8, "K": 8}, {"C": 8, "K": 16}]))
    network = resolve_workload(str(path))
    assert network.counts == (2, 1)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("layers: []", "non-empty list"),
        ("layers:\n  - {R: 3, C: 4}", r"layers\[0\]: missing layer field\(s\) 'K'"),
        ("layers:\n  - {R: 3, P: 56}", r"layers\[0\]: missing layer field\(s\) 'C', 'K'"),
        ("layers:\n  - {C: 4, K: 4, count: 2, repeat: 2}", r"layers\[0\]: give the repeat count once"),
        ("layers:\n  - {C: 4, K: 4, repeat: 0}", r"layers\[0\]: field 'repeat' must be a positive integer"),
        ("name: x\nlayer:\n  - {C: 4, K: 4}", r"list of layers"),
        ("name: x\nnotes: hi\nlayers:\n  - {C: 4, K: 4}", r"unknown key\(s\) 'notes'; expected name, description, layers"),
        ("layers:\n  - {C: 4, K: -1}", r"layers\[0\]: field 'K' must be a positive integer"),
        ("layers:\n  - {C: 4, K: 4, count: 0}", r"layers\[0\]: field 'count'"),
        ("layers: [ {C: 4", "not valid YAML"),
        ("just a string", "list of layers"),
    ],
)
def test_malformed_file_names_file_and_field(tmp_path, text, pattern):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(WorkloadFormatError, match=pattern) as info:
        resolve_workload(str(path))
    assert "bad.yaml" in str(info.value)


@pytest.mark.parametrize("key", ["count", "repeat", "repeats"])
def test_repeat_count_spellings_all_count(tmp_path, key):
    path = tmp_path / "net.json"
    path.write_text(json.dumps([{"R": 3, "S": 3, "P": 7, "Q": 7, "C": 8, "K": 8, key: 3}, {"C": 8, "K": 16}]))

    network = resolve_workload(str(path))

    assert network.counts == (3, 1)


def test_unknown_workload_lists_builtin_names():
    with pytest.raises(UnknownNameError, match="alexnet, deepbench, resnet50, resnext50, unseen"):
        resolve_workload("vgg99")


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(WorkloadFormatError, match="not found"):
        resolve_workload(str(tmp_path / "absent.yaml"))
