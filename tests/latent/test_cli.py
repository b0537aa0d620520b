"""The dataset, train and latent-map commands, end to end on placeholder costs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vaesa_core.cli.main import cli
from vaesa_core.latent.checkpoint import load_model
from vaesa_core.latent.dataset import read_dataset


def _invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "data.csv"
    result = _invoke(
        "dataset", "generate", "--evaluator", "placeholder", "--samples", 120, "--layers", "alexnet",
        "--seed", 3, "--workers", 1, "--executor", "serial", "--out", out,
    )
    assert result.exit_code == 0, result.output
    return out


def test_generate_writes_table(generated):
    frame = read_dataset(generated)

    assert len(frame) == 120 * 8


def test_bad_integer_names_line_and_column(generated, tmp_path):
    lines = generated.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("macs")] = "abc"
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n")

    with pytest.raises(ValueError, match=r"edited.csv', line 4: column 'macs' must be an integer, but got 'abc'"):
        read_dataset(edited)


def test_valid_row_with_negative_cycles_warns(generated, tmp_path, caplog):
    lines = generated.read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    valid_index = next(index for index, row in enumerate(rows) if row[header.index("valid")] == "True")
    rows[valid_index][header.index("cycles")] = "-5"
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join([lines[0], *(",".join(row) for row in rows)]) + "\n")

    frame = read_dataset(edited)

    assert not frame["valid"].iloc[valid_index]
    assert f"1 row(s) marked valid have missing, non-numeric or non-positive cycles or energy (first at line {valid_index + 2})" in caplog.text


def test_train_then_map(generated, tmp_path):
    model_file = tmp_path / "model.pt"
    image = tmp_path / "map.png"

    trained = _invoke(
        "train", "--data", generated, "--out", model_file, "--latent-dim", 2, "--epochs", 3,
        "--vae-hidden", "16", "--predictor-hidden", "16", "--predictor-steps", 100, "--report", tmp_path / "reports" / "report.json",
    )
    mapped = _invoke(
        "latent-map", "--model", model_file, "--workload", "alexnet", "--out", image,
        "--samples", 30, "--evaluator", "placeholder",
    )

    assert trained.exit_code == 0, trained.output
    assert "median per-layer Spearman of EDP" in trained.output
    assert "predictor phase: 100 steps" in trained.output
    # Three epochs are too few to learn reconstruction, so the command warns.
    assert "reconstructs held-out designs poorly" in trained.output
    assert load_model(model_file).latent_dim == 2
    assert (tmp_path / "reports" / "report.json").is_file()
    assert mapped.exit_code == 0, mapped.output
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "absent.csv", "--out", "m.pt"], "'absent.csv' not found"),
        (["train", "--data", "absent.csv", "--out", "m.pt", "--vae-hidden", "a,b"], "not a comma-separated list"),
        (["dataset", "import", "--source", "absent-folder", "--out", "x.csv"], "Source folder 'absent-folder' not found"),
        (["dataset", "generate", "--evaluator", "nope", "--out", "x.csv"], "Unknown evaluator 'nope'"),
        (["dataset", "generate", "--evaluator", "placeholder", "--layers", "vgg99", "--out", "x.csv"], "Unknown workload 'vgg99'"),
        (["dataset", "generate", "--evaluator", "placeholder", "--out", "x.txt"], "unknown suffix"),
        (["latent-map", "--model", "absent.pt", "--workload", "alexnet", "--out", "x.png"], "'absent.pt' not found"),
    ],
)
def test_usage_errors_have_messages_without_traceback(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = _invoke(*args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_model_of_other_format_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("nope")

    result = _invoke("latent-map", "--model", bad, "--workload", "alexnet", "--out", tmp_path / "x.png", "--evaluator", "placeholder")

    assert result.exit_code == 2
    assert "not a readable latent model" in result.output


def test_interrupted_generation_says_how_to_resume(monkeypatch, tmp_path):
    import vaesa_core.cli.dataset as dataset_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset_cli, "generate_dataset", interrupted)
    result = _invoke("dataset", "generate", "--evaluator", "placeholder", "--samples", 4, "--out", tmp_path / "d.csv")

    assert result.exit_code == 130
    assert "Run the same command with --resume" in result.output
