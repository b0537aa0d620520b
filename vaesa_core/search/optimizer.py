"""The Optimizer interface: ask for points, tell their losses."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from vaesa_core.evaluation.objective import Objective
from vaesa_core.search.search_space import SearchSpace
from vaesa_core.workloads.network import Network

__all__ = ["Optimizer", "SearchContext"]


@dataclass(frozen=True)
class SearchContext:
    """What an optimizer may know about the run that drives it.

    Attributes:
        space: The search space; points live in its ``bounds``.
        workload: The network being optimised (for surrogate-based methods).
        objective: Which metric the losses measure.
        budget: Evaluator calls the run may make (cached repeats excluded).
        seed: Seed of the run; optimizers derive every random stream from it.
        batch_size: Points the runner asks for at once.
        options: Optimizer-specific settings from the CLI (``--option KEY=VALUE``).
    """

    space: SearchSpace
    workload: Network
    objective: Objective
    budget: int
    seed: int
    batch_size: int = 1
    options: dict[str, str] = field(default_factory=dict)


class Optimizer(abc.ABC):
    """Propose points of a search space and learn from their losses.

    Lifecycle, driven by ``vaesa_core.runner.run_search``:

    1. The runner builds the optimizer once with a ``SearchContext``.
    2. It calls ``ask(n)`` for ``n`` points (``n`` is the batch size, or fewer
       near the end of the budget) and maps each point to a design with
       ``context.space.to_config``.
    3. It evaluates the designs (or serves repeats from its cache) and calls
       ``tell(points, losses)`` exactly once with the same points in the same
       order, before the next ``ask``.
    4. It repeats until the budget of evaluator calls is spent, or until
       ``ask`` returns no points (the optimizer is done).

    Losses are ln(objective value) (for EDP, ln(cycles) + ln(pJ)), so lower is
    better. An invalid evaluation (INFEASIBLE, TIMEOUT, NaN) arrives as a
    finite penalty: the worst valid loss of the run so far plus
    ``INVALID_LOSS_MARGIN``, or ``INITIAL_INVALID_LOSS`` before any valid one.
    The optimizer never sees NaN or infinity.

    Same seed, same points: an optimizer must derive all randomness from
    ``context.seed`` so a run can be replayed (``--resume`` relies on it).

    Args:
        context: The run's search context.
    """

    #: Registered name, e.g. ``"bo"``.
    name: str = "optimizer"

    #: Settings the optimizer reads from ``context.options`` (``vaesa run
    #: --option KEY=VALUE``), each with a one-line help text that states its
    #: default. ``vaesa plugins`` lists them. Empty when it takes none.
    options: Mapping[str, str] = MappingProxyType({})

    def __init__(self, context: SearchContext) -> None:
        self.context = context
        self.space = context.space

    @abc.abstractmethod
    def ask(self, n: int) -> np.ndarray:
        """Return up to ``n`` new points, shape ``(m, dimension)`` with ``m <= n``.

        ``m == 0`` tells the runner the optimizer has nothing more to try.
        """

    @abc.abstractmethod
    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        """Record the losses of the points from the last ``ask``, in order."""

    def close(self) -> None:
        """Release resources at the end of a run; a no-op by default."""

    def describe(self) -> dict[str, object]:
        """Return settings worth recording in a run directory (JSON-ready)."""
        return {"name": self.name}
