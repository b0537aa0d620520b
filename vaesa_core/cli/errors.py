"""Map expected errors to CLI exit codes without tracebacks.

Usage errors (unknown names, illegal values, malformed input files, a model
that does not fit) exit with status 2; failures while working exit with 1.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from vaesa_core.errors import (
    InvalidConfigError,
    ModelMismatchError,
    UnknownNameError,
    VaesaError,
    WorkloadFormatError,
)

__all__ = ["user_errors"]

_USAGE_ERRORS = (UnknownNameError, InvalidConfigError, WorkloadFormatError, ModelMismatchError)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn vaesa's expected errors into click errors with the right exit status."""
    try:
        yield
    except _USAGE_ERRORS as error:
        raise click.UsageError(str(error)) from None
    except VaesaError as error:
        raise click.ClickException(str(error)) from None
    except FileNotFoundError as error:
        # An error raised with only a message already names the file.
        message = f"File not found: {error.filename}." if error.filename else str(error).rstrip(".") + "."
        raise click.UsageError(f"{message} Check the path you passed.") from None
    except ValueError as error:
        # ValueError reaches here only from validating user input (factories
        # and parsers check their arguments before any work starts).
        raise click.UsageError(str(error)) from None
