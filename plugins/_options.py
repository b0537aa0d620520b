"""Typed, validated reading of an optimizer's ``--option KEY=VALUE`` settings.

The CLI passes optimizer settings as strings; the Python API may pass numbers.
``OptionReader`` converts each setting once, checks its range, and rejects
keys the optimizer does not define, so a typo fails at the start of a run
instead of being ignored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

__all__ = ["OptionReader", "warn_if_budget_is_initial_points"]

_logger = logging.getLogger(__name__)


def warn_if_budget_is_initial_points(optimizer: str, budget: int, initial: int, option: str, model: str) -> None:
    """Log a warning when ``initial`` prior samples use up the whole budget, so ``model`` never chooses a point."""
    if initial >= budget:
        _logger.warning(
            "%s: all %d evaluations of the budget are initial points drawn from the space's prior, so %s never "
            "chooses a point and the run equals random sampling. Raise --budget above %d or lower --option %s.",
            optimizer, budget, model, initial, option,
        )

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class OptionReader:
    """Read the settings of one optimizer from ``SearchContext.options``.

    Call one typed getter per setting, then ``check_unused`` once.

    Args:
        optimizer: Registered optimizer name, used in error messages.
        options: The raw settings, ``{key: value}``; values are strings from
            the CLI or numbers from the Python API.
        known: Every option the optimizer defines, with a one-line help text
            (listed in the error for an unknown key).
    """

    def __init__(self, optimizer: str, options: Mapping[str, object], known: Mapping[str, str]) -> None:
        self.optimizer = optimizer
        self.options = dict(options)
        self.known = dict(known)
        self._read: set[str] = set()

    def _error(self, key: str, allowed: str, value: object, example: object) -> ValueError:
        # A float default such as 1/6 would print as 0.16666666666666666.
        example_text = f"{example:.6g}" if isinstance(example, float) else example
        return ValueError(
            f"Option {key!r} of optimizer {self.optimizer!r} must be {allowed}, but got {value!r}. "
            f"Pass it as --option {key}={example_text}."
        )

    def _raw(self, key: str) -> object | None:
        if key not in self.known:
            raise KeyError(f"{key!r} is not declared in the known options of {self.optimizer!r}")
        self._read.add(key)
        return self.options.get(key)

    def integer(self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """Return ``key`` as an int in ``[minimum, maximum]``, or ``default`` when unset.

        Raises:
            ValueError: The value is not an integer or lies outside the range.
        """
        raw = self._raw(key)
        if raw is None:
            return default
        allowed = _range_text("an integer", minimum, maximum)
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self._error(key, allowed, raw, default) from None
        if isinstance(raw, bool) or not number.is_integer():
            raise self._error(key, allowed, raw, default)
        value = int(number)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self._error(key, allowed, raw, default)
        return value

    def real(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
    ) -> float:
        """Return ``key`` as a finite float in the range, or ``default`` when unset.

        Raises:
            ValueError: The value is not a finite number or lies outside the range.
        """
        raw = self._raw(key)
        if raw is None:
            return default
        allowed = _range_text("a finite number", minimum, maximum, exclusive_minimum=exclusive_minimum)
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self._error(key, allowed, raw, default) from None
        if isinstance(raw, bool) or not math.isfinite(value):
            raise self._error(key, allowed, raw, default)
        if minimum is not None and (value < minimum or (exclusive_minimum and value == minimum)):
            raise self._error(key, allowed, raw, default)
        if maximum is not None and value > maximum:
            raise self._error(key, allowed, raw, default)
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        """Return ``key`` if it is one of ``choices``, or ``default`` when unset.

        Raises:
            ValueError: The value is not one of ``choices``.
        """
        raw = self._raw(key)
        if raw is None:
            return default
        if not isinstance(raw, str) or raw not in choices:
            raise self._error(key, f"one of {', '.join(choices)}", raw, default)
        return raw

    def boolean(self, key: str, default: bool) -> bool:
        """Return ``key`` as a bool (true/false, yes/no, on/off, 1/0), or ``default`` when unset.

        Raises:
            ValueError: The value is not a recognised truth value.
        """
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._error(key, "true or false", raw, str(default).lower())

    def check_unused(self) -> None:
        """Reject settings the optimizer does not define.

        Raises:
            ValueError: A key is unknown; the message lists the known options.
        """
        unknown = sorted(set(self.options) - set(self.known))
        if not unknown:
            return
        if self.known:
            listing = "; ".join(f"{key}: {text}" for key, text in sorted(self.known.items()))
            known_text = f"Its options are {listing}."
        else:
            known_text = "It takes no options."
        raise ValueError(
            f"Optimizer {self.optimizer!r} has no option {', '.join(map(repr, unknown))}. {known_text}"
        )


def _range_text(kind: str, minimum: float | None, maximum: float | None, *, exclusive_minimum: bool = False) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in {'(' if exclusive_minimum else '['}{minimum}, {maximum}]"
    if minimum is not None:
        return f"{kind} {'greater than' if exclusive_minimum else 'at least'} {minimum}"
    if maximum is not None:
        return f"{kind} at most {maximum}"
    return kind
