"""Missing files are reported once, with the path and what to check."""

from __future__ import annotations

import click
import pytest

from vaesa_core.cli.errors import user_errors


def test_message_error_keeps_its_text():
    with pytest.raises(click.UsageError) as info, user_errors():
        raise FileNotFoundError("Latent model '/tmp/nope.pt' not found.")

    assert info.value.message == "Latent model '/tmp/nope.pt' not found. Check the path you passed."


def test_os_error_names_the_file(tmp_path):
    missing = tmp_path / "absent.csv"

    with pytest.raises(click.UsageError) as info, user_errors():
        missing.read_text()

    assert info.value.message == f"File not found: {missing}. Check the path you passed."
