"""Hazards: random events whose rate depends on the world state.

Each hazard draws from its own named stream (`hazard.<id>`), and draws exactly
one number per occurrence: an exponential "budget" E ~ Exp(1) of integrated
rate. The next occurrence comes when the rate integrated over time since the
last one reaches E. The rate is piecewise constant (it changes only when its
variable or its `when:` condition changes), so the wait is exact: when the
rate changes, the budget already used up is subtracted and the rest is
divided by the new rate; nothing is redrawn. This is the time-change (inverse
integrated hazard) method for a non-homogeneous Poisson process. Because the
draws never depend on the state, a reform that changes the state shifts *when*
the occurrences come but not the numbers drawn (common random numbers), and
adding a hazard never changes another hazard's draws.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.domain.conditions import Conditions
from sim.domain.context import Context
from sim.domain.state import WorldState
from sim.events import Kind
from sim.scenario.consequences import Hazard

MINUTES_PER_DAY = 1440.0


class HazardProcess:
    """One hazard during a run."""

    def __init__(
        self,
        ctx: Context,
        spec: Hazard,
        state: WorldState,
        conditions: Conditions,
        apply: Callable[[list, str], None],
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.state = state
        self.conditions = conditions
        self._apply = apply
        self._rng = ctx.streams.stream(f"hazard.{spec.id}")
        self.occurrences = 0
        self._budget = 0.0
        self._rate = 0.0  # per minute
        self._since = 0.0
        self._generation = 0

    def start(self) -> None:
        self._budget = self._rng.expovariate(1.0)
        self._since = self.ctx.now()
        also = [("state", self.spec.rate.state)] if self.spec.rate.state is not None else []
        self.conditions.watch(self.spec.when, lambda _holds: self.reconsider(), also=also)

    def current_rate(self) -> float:
        """Occurrences per minute now: 0 outside `when`, else the rate at the variable's value."""
        if self.spec.limit is not None and self.occurrences >= self.spec.limit:
            return 0.0
        if not self.conditions.holds(self.spec.when):
            return 0.0
        rate = self.spec.rate
        value = self.state.value(rate.state) if rate.state is not None else 0.0
        return rate.at(value) / MINUTES_PER_DAY

    def reconsider(self) -> None:
        """The rate may have changed: use up the budget at the old rate, then reschedule at the new one."""
        now = self.ctx.now()
        self._budget = max(0.0, self._budget - self._rate * (now - self._since))
        self._since = now
        self._rate = self.current_rate()
        self._generation += 1
        if self._rate > 0.0:
            generation = self._generation
            self.ctx.after(self._budget / self._rate, lambda: self._due(generation))

    def _due(self, generation: int) -> None:
        if generation != self._generation:
            return  # rescheduled since
        self.occurrences += 1
        self.ctx.emit(Kind.hazard_occurred, "hazard", self.spec.id, title=self.spec.title, occurrence=self.occurrences)
        self._budget = self._rng.expovariate(1.0)
        self._since = self.ctx.now()
        self._rate = 0.0
        self._apply(list(self.spec.effects), f"hazard:{self.spec.id}")
        self.reconsider()
