"""Parsing helpers of the command line."""

from __future__ import annotations

from pathlib import Path

from vaesa_core.cli.options import absolute_model_paths, parse_key_values


def test_model_path_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    converted = absolute_model_paths(("model=m.pt", "n_calls=5,model=sub/m.pt", "other=x.pt"), "--space-option")

    assert converted == (f"model={tmp_path / 'm.pt'}", f"n_calls=5,model={tmp_path / 'sub' / 'm.pt'}", "other=x.pt")
    assert Path(parse_key_values(converted[:1], "--space-option")["model"]).is_absolute()


def test_absolute_model_path_is_kept(tmp_path):
    pair = f"model={tmp_path / 'm.pt'}"

    assert absolute_model_paths((pair,), "--space-option") == (pair,)
