"""The ``gd`` optimizer: gradient descent on the search space's differentiable surrogate.

The surrogate is ``space.differentiable_objective(workload, objective)``: a
torch function from points to the predicted loss, ln(objective), which for
EDP is ln(latency in cycles) + ln(energy in pJ). Descending it costs no
evaluations; only the snapshots handed out by ``ask`` are scored by the real
evaluator, and those are what the budget counts.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence

import numpy as np

from vaesa_core.errors import UnsupportedError
from vaesa_core.hookspecs import hookimpl
from vaesa_core.search import Optimizer, SearchContext
from vaesa_plugins._options import OptionReader

__all__ = ["GradientDescent"]

_logger = logging.getLogger(__name__)

#: Options of ``gd`` with their help text.
OPTIONS: dict[str, str] = {
    "starts": "trajectories descended together in each round (default 8)",
    "steps": "Adam steps per trajectory (default 50)",
    "snapshots": "points taken evenly along each trajectory, the start included (default 8)",
    "lr": "initial Adam learning rate, as a fraction of each coordinate's range (default 0.05)",
    "final_lr": "learning rate of the last step relative to the first; cosine schedule (default 0.01)",
    "start_pool": "prior draws scored by the surrogate for each start; the best one starts (default 8)",
    "restart_from_best": "after the first round, start one trajectory at the best evaluated point (default true)",
}

#: Rounds in a row that may yield no new design before ``ask`` gives up.
_MAX_EMPTY_ROUNDS = 20


class GradientDescent(Optimizer):
    """Descend the surrogate from several starts with Adam and hand out snapshots.

    A round draws ``starts * start_pool`` points with ``context.space.sample``,
    keeps the ``starts`` points with the lowest surrogate loss, and runs Adam
    on all of them at once for ``steps`` steps. The learning rate follows a
    cosine schedule from ``lr`` down to ``lr * final_lr``. Coordinates are
    scaled to [0, 1] per dimension for the descent, so ``lr`` is a fraction
    of each coordinate's range on any space, and every step is projected
    back into the bounds. ``snapshots`` points of each trajectory, evenly
    spaced in steps and including its start, are queued for ``ask``.

    A snapshot that decodes to a design already handed out in this run is
    skipped, so converged trajectories do not spend asks on cached repeats.
    When the queue runs dry, a new round starts. From the second round on,
    and when ``restart_from_best`` is on, one trajectory starts at the point
    with the lowest real loss received through ``tell`` so far. If
    ``_MAX_EMPTY_ROUNDS`` rounds in a row yield no new design, ``ask`` returns
    no points and the run ends.

    Reproducibility: starts come from a ``numpy.random.Generator`` seeded
    with ``context.seed`` and the descent is deterministic on a CPU, so one
    seed gives the same points on one machine. Torch does not promise
    bit-identical float results across CPUs or thread counts, so snapshots
    from other machines may differ in their last bits and, near a lattice
    boundary, decode to another design.

    Options (``--option KEY=VALUE``): see ``OPTIONS``.

    Args:
        context: The run's search context.

    Raises:
        UnsupportedError: The search space has no differentiable surrogate.
    """

    name = "gd"
    options = OPTIONS

    def __init__(self, context: SearchContext) -> None:
        super().__init__(context)
        reader = OptionReader(self.name, context.options, OPTIONS)
        self.starts = reader.integer("starts", 8, minimum=1)
        self.steps = reader.integer("steps", 50, minimum=1)
        self.snapshots = reader.integer("snapshots", 8, minimum=1)
        self.lr = reader.real("lr", 0.05, minimum=0.0, exclusive_minimum=True)
        self.final_lr = reader.real("final_lr", 0.01, minimum=0.0, maximum=1.0)
        self.start_pool = reader.integer("start_pool", 8, minimum=1)
        self.restart_from_best = reader.boolean("restart_from_best", True)
        reader.check_unused()
        if self.snapshots > self.steps + 1:
            raise ValueError(
                f"Option 'snapshots' of optimizer 'gd' must be at most steps + 1 = {self.steps + 1}, "
                f"but got {self.snapshots}. Raise --option steps=... or lower --option snapshots=...."
            )

        try:
            self._surrogate = self.space.differentiable_objective(context.workload, context.objective)
        except UnsupportedError as error:
            raise UnsupportedError(
                f"Optimizer 'gd' needs a differentiable surrogate, but search space {self.space.name!r} "
                f"has none ({error}). Choose another optimizer (random, bo, tpe, cma) for this space."
            ) from error

        import torch

        self._torch = torch
        self._rng = np.random.default_rng(context.seed)
        lower, upper = (np.asarray(bound, dtype=float) for bound in self.space.bounds)
        self._lower_np = lower
        # A zero-width coordinate keeps a unit scale so the unit map stays invertible.
        self._span_np = np.where(upper > lower, upper - lower, 1.0)
        self._dtype = torch.get_default_dtype()
        self._lower = torch.as_tensor(lower, dtype=self._dtype)
        self._span = torch.as_tensor(self._span_np, dtype=self._dtype)

        # Snapshot steps, evenly spaced from 0 to ``steps`` inclusive.
        self._snapshot_steps = sorted({int(round(value)) for value in np.linspace(0, self.steps, self.snapshots)})
        self._queue: deque[np.ndarray] = deque()
        self._handed_out: set[tuple[int, ...]] = set()
        self._best_point: np.ndarray | None = None
        self._best_loss = math.inf
        self._rounds = 0
        self._surrogate_calls = 0

    # -- Optimizer interface -------------------------------------------------

    def ask(self, n: int) -> np.ndarray:
        empty_rounds = 0
        while len(self._queue) < n and empty_rounds < _MAX_EMPTY_ROUNDS:
            added = self._run_round()
            empty_rounds = 0 if added else empty_rounds + 1
        if empty_rounds >= _MAX_EMPTY_ROUNDS:
            _logger.warning(
                "gd: %d rounds in a row found no design that was not handed out before; stopping", empty_rounds
            )

        snapshots = [self._queue.popleft() for _ in range(min(n, len(self._queue)))]
        if not snapshots:
            return np.empty((0, self.space.dimension))
        return np.stack(snapshots)

    def tell(self, points: np.ndarray, losses: Sequence[float]) -> None:
        points = np.asarray(points, dtype=float).reshape(len(losses), -1)
        for point, loss in zip(points, losses):
            if math.isfinite(loss) and loss < self._best_loss:
                self._best_loss = float(loss)
                self._best_point = point.copy()

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "seed": self.context.seed,
            "starts": self.starts,
            "steps": self.steps,
            "snapshots": self.snapshots,
            "lr": self.lr,
            "final_lr": self.final_lr,
            "start_pool": self.start_pool,
            "restart_from_best": self.restart_from_best,
            "schedule": "cosine",
            # The original space has no model of its own, so its surrogate is the
            # shipped latent model's predictor. Recording it names the model a run used.
            "surrogate": self.space.describe().get("model", "shipped latent model's predictor"),
        }

    # -- descent ---------------------------------------------------------------

    def _surrogate_loss(self, unit):
        """Return the surrogate loss, shape ``(n,)``, of points in unit coordinates, shape ``(n, d)``."""
        self._surrogate_calls += 1
        return self._surrogate(self._lower + unit * self._span).reshape(-1)

    def _initial_points(self) -> np.ndarray:
        """Return ``starts`` start points in unit coordinates, shape ``(starts, d)``."""
        torch = self._torch
        dimension = self.space.dimension
        pool = np.asarray(self.space.sample(self.starts * self.start_pool, self._rng), dtype=float)
        pool = self.space.clip(pool.reshape(-1, dimension))
        unit = (pool - self._lower_np) / self._span_np

        with torch.no_grad():
            scores = self._surrogate_loss(torch.as_tensor(unit, dtype=self._dtype)).double().numpy()
        scores = np.where(np.isfinite(scores), scores, np.inf).reshape(self.starts, self.start_pool)
        chosen = unit.reshape(self.starts, self.start_pool, dimension)[np.arange(self.starts), scores.argmin(axis=1)]

        if self.restart_from_best and self._rounds > 0 and self._best_point is not None:
            chosen[0] = (self._best_point - self._lower_np) / self._span_np
        return np.clip(chosen, 0.0, 1.0)

    def _run_round(self) -> int:
        """Descend one round of trajectories; queue their new snapshots and return how many."""
        torch = self._torch
        unit = torch.tensor(self._initial_points(), dtype=self._dtype, requires_grad=True)
        adam = torch.optim.Adam([unit], lr=self.lr)
        final_fraction = self.final_lr

        def cosine(step: int) -> float:
            progress = step / max(1, self.steps - 1)
            return final_fraction + (1.0 - final_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))

        schedule = torch.optim.lr_scheduler.LambdaLR(adam, cosine)

        added = 0
        snapshot_steps = set(self._snapshot_steps)
        for step in range(self.steps + 1):
            if step in snapshot_steps:
                added += self._queue_snapshot(unit.detach().numpy().astype(float))
            if step == self.steps:
                break
            adam.zero_grad()
            losses = self._surrogate_loss(unit)
            # A non-finite surrogate value (a point the predictor cannot
            # score) must not poison the other trajectories' gradients.
            finite = torch.isfinite(losses)
            if not bool(finite.any()):
                break
            losses[finite].sum().backward()
            adam.step()
            schedule.step()
            with torch.no_grad():
                unit.clamp_(0.0, 1.0)

        self._rounds += 1
        _logger.debug("gd: round %d queued %d new snapshots", self._rounds, added)
        return added

    def _queue_snapshot(self, unit: np.ndarray) -> int:
        points = self.space.clip(self._lower_np + unit * self._span_np)
        configs = self.space.to_configs(points)
        added = 0
        for point, config in zip(points, configs):
            key = tuple(int(value) for value in config.as_array())
            if key in self._handed_out:
                continue
            self._handed_out.add(key)
            self._queue.append(point)
            added += 1
        return added


@hookimpl
def vaesa_register_optimizers():
    return {"gd": GradientDescent}
