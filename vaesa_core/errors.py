"""Exception and warning types raised by vaesa.

Bad arguments raise the built-in ``ValueError`` or ``TypeError`` (or a subclass
below that inherits from them); failures of the domain raise ``VaesaError``
subclasses. The CLI turns every ``VaesaError`` and ``ValueError`` raised while
reading user input into a one-line message and exit status 1 or 2.
"""

from __future__ import annotations

__all__ = [
    "VaesaError",
    "InvalidConfigError",
    "UnknownNameError",
    "WorkloadFormatError",
    "UnsupportedError",
    "ModelMismatchError",
    "RunDirectoryError",
    "VaesaWarning",
]


class VaesaError(Exception):
    """Base class of every domain error raised by vaesa."""


class InvalidConfigError(VaesaError, ValueError):
    """A hardware configuration lies outside its design space."""


class UnknownNameError(VaesaError, KeyError):
    """A plugin, workload or parameter name is not registered.

    The message lists the known names so the user can pick one.
    """

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class WorkloadFormatError(VaesaError, ValueError):
    """A workload file is malformed; the message names the file and field."""


class UnsupportedError(VaesaError):
    """A feature is not available for this component or environment."""


class ModelMismatchError(VaesaError):
    """A saved latent model does not fit the design space or format in use."""


class RunDirectoryError(VaesaError):
    """A run directory cannot be created, resumed or read."""


class VaesaWarning(UserWarning):
    """Base category of warnings emitted by vaesa."""
