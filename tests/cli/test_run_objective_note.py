"""``vaesa run`` notes a mapper objective that differs from the search's."""

from __future__ import annotations

from types import SimpleNamespace

from vaesa_core.cli.run import _note_mapper_objective
from vaesa_core.mapping.fast import FastMapper


def _evaluator(objective: str) -> SimpleNamespace:
    return SimpleNamespace(mapper=FastMapper(objective=objective))


def test_differing_objectives_get_a_note(capsys):
    _note_mapper_objective(_evaluator("edp"), "latency", quiet=False)

    assert "--evaluator-option objective=latency" in capsys.readouterr().err


def test_matching_objectives_get_no_note(capsys):
    _note_mapper_objective(_evaluator("latency"), "latency", quiet=False)

    assert capsys.readouterr().err == ""


def test_quiet_run_gets_no_note(capsys):
    _note_mapper_objective(_evaluator("edp"), "energy", quiet=True)

    assert capsys.readouterr().err == ""


def test_evaluator_without_mapper_gets_no_note(capsys):
    _note_mapper_objective(SimpleNamespace(), "energy", quiet=False)

    assert capsys.readouterr().err == ""
