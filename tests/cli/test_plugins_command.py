"""``vaesa plugins``: each kind's settings are shown with the flag that passes them."""

from __future__ import annotations

from click.testing import CliRunner

from vaesa_core.cli.main import cli


def _plugins_output() -> str:
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    return result.output


def test_optimizer_settings_use_option_flag():
    assert "--option n_initial_points=..." in _plugins_output()


def test_mapper_settings_use_evaluator_option_flag():
    output = _plugins_output()

    assert "--evaluator-option objective=..." in output
    assert "--evaluator-option mip_gap=..." in output
    assert "--option objective=" not in output


def test_listed_mapper_settings_are_accepted():
    from plugins import analytical_evaluator

    assert set(analytical_evaluator.make_fast_mapper.options) <= set(analytical_evaluator._FAST_OPTIONS)
    assert set(analytical_evaluator.make_cosa_mapper.options) <= set(analytical_evaluator._COSA_OPTIONS)


def test_evaluator_settings_are_listed():
    output = _plugins_output()

    assert "--evaluator-option model=..." in output
    assert "--evaluator-option timeout_s=..." in output
