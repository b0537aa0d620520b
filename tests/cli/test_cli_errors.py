"""Tests of CLI error handling: exit codes and messages, no tracebacks."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vaesa_core.cli.main import cli

BASE = "pes=16,macs=1024,accum_buffer=64,weight_buffer=16384,input_buffer=1024,global_buffer=65536"


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--optimizer", "nope", "--evaluator", "placeholder"], "Unknown optimizer 'nope'; registered optimizers:"),
        (["run", "--workload", "vgg99", "--evaluator", "placeholder"], "Unknown workload 'vgg99'; built-in workloads: alexnet"),
        (["run", "--space", "warped", "--evaluator", "placeholder"], "Unknown search space 'warped'"),
        (["run", "--evaluator", "nope"], "Unknown evaluator 'nope'"),
        (["run", "--budget", "0"], "0 is not in the range x>=1"),
        (["evaluate", "--config", BASE.replace("macs=1024", "macs=1000"), "--layer", "C=8,K=8", "--evaluator", "placeholder"], "macs=1000 is not legal"),
        (["evaluate", "--config", BASE, "--layer", "C=8,K=8,Z=1", "--evaluator", "placeholder"], "unknown layer field 'Z'"),
        (["evaluate", "--config", BASE], "Give exactly one of --layer"),
        (["evaluate", "--config", "pes", "--layer", "C=8,K=8"], "'pes' is not KEY=VALUE"),
    ],
)
def test_usage_errors_exit_2_with_message(args, message):
    result = _invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_malformed_workload_file_names_file_and_field(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("layers:\n  - {C: 4, K: four}\n")
    result = _invoke("run", "--workload", str(path), "--evaluator", "placeholder")
    assert result.exit_code == 2
    assert "net.yaml: layers[0]: field 'K' must be a positive integer, but got 'four'" in result.output


def test_configs_csv_missing_column_names_file(tmp_path):
    path = tmp_path / "designs.csv"
    path.write_text("pes,macs\n16,1024\n")
    result = _invoke("evaluate", "--configs", str(path), "--layer", "C=8,K=8", "--evaluator", "placeholder")
    assert result.exit_code == 2
    assert "designs.csv: missing column(s) accum_buffer" in result.output


def test_configs_csv_bad_row_names_line(tmp_path):
    path = tmp_path / "designs.csv"
    path.write_text("pes,macs,accum_buffer,weight_buffer,input_buffer,global_buffer\n16,1024,64,16384,1024,65536\n16,1024,63,16384,1024,65536\n")
    result = _invoke("evaluate", "--configs", str(path), "--layer", "C=8,K=8", "--evaluator", "placeholder")
    assert result.exit_code == 2
    assert "designs.csv, line 3: accum_buffer=63 is not legal" in result.output


def test_configs_csv_with_bom_spaces_and_extra_column(tmp_path, caplog):
    path = tmp_path / "designs.csv"
    path.write_bytes(
        b"\xef\xbb\xbfpes, macs, accum_buffer ,weight_buffer,input_buffer,global_buffer,note\n"
        b"16, 1024,64,16384,1024,65536,first\n\n"
    )

    result = _invoke("evaluate", "--configs", str(path), "--layer", "C=8,K=8", "--evaluator", "placeholder")

    assert result.exit_code == 0, result.output
    assert "16,1024,64,16384,1024,65536," in result.output
    assert "ignoring column(s) 'note'" in caplog.text


def test_configs_csv_repeated_column_is_rejected(tmp_path):
    path = tmp_path / "designs.csv"
    path.write_text("pes,macs,accum_buffer,weight_buffer,input_buffer,global_buffer,macs\n16,1024,64,16384,1024,65536,4096\n")

    result = _invoke("evaluate", "--configs", str(path), "--layer", "C=8,K=8", "--evaluator", "placeholder")

    assert result.exit_code == 2
    assert "column(s) macs appear more than once" in result.output


def test_evaluate_out_creates_its_folder(tmp_path):
    out = tmp_path / "new" / "folder" / "out.csv"

    result = _invoke("evaluate", "--config", "pes=16,macs=1024,accum_buffer=64,weight_buffer=16384,input_buffer=1024,"
                     "global_buffer=65536", "--layer", "C=8,K=8", "--evaluator", "placeholder", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert out.read_text().count("\n") == 2


def test_evaluate_csv_round_trip(tmp_path):
    designs = tmp_path / "designs.csv"
    designs.write_text("pes,macs,accum_buffer,weight_buffer,input_buffer,global_buffer\n16,1024,64,16384,1024,65536\n4,256,2,256,2,1024\n")
    out = tmp_path / "out.csv"
    result = _invoke("evaluate", "--configs", str(designs), "--workload", "alexnet", "--evaluator", "placeholder", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "pes,macs,accum_buffer,weight_buffer,input_buffer,global_buffer,cycles,energy_pj,edp,valid,reason"
    assert len(lines) == 3


def test_resume_without_out_is_usage_error():
    result = _invoke("run", "--resume", "--evaluator", "placeholder")
    assert result.exit_code == 2
    assert "--resume needs --out" in result.output


def test_workloads_show_and_plugins_list():
    shown = _invoke("workloads", "show", "resnet50")
    assert shown.exit_code == 0
    assert "Total MACs" in shown.output
    listed = _invoke("plugins")
    assert listed.exit_code == 0
    assert "placeholder" in listed.output
    assert "original" in listed.output
    assert "--option n_initial_points=...  points drawn from the space's prior" in listed.output
    assert "--option n_startup_trials=..." in listed.output
    assert "--space-option model=..." in listed.output


def test_workloads_show_prints_both_strides_and_name(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("layers:\n  - {name: c1, R: 3, S: 3, P: 7, Q: 7, C: 8, K: 8, stride_w: 2, stride_h: 1, dilation: 2}\n")

    result = _invoke("workloads", "show", str(path))

    assert result.exit_code == 0, result.output
    row = result.output.splitlines()[2].split()
    assert row[8:11] == ["2x1", "2", "1"]
    assert row[-1] == "c1"


def test_missing_model_file_is_usage_error(tmp_path):
    result = _invoke("run", "--space", "latent", "--space-option", f"model={tmp_path / 'absent.pt'}", "--evaluator", "placeholder", "--budget", "1")
    assert result.exit_code == 2, result.output
    assert "absent.pt" in result.output
    assert "Traceback" not in result.output
