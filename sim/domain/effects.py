"""Effects: how a decision option, an inject or a hazard changes the world.

State effects (`set`, `add`, `scale`, each optionally `for:` a duration) go
to the world state; `fire` and `cancel` act on injects. The older effects of
an inject (closures, compliance, channel disruption, reinforcement) belong to
the models they change, so they are passed on to `other` (the facade's
dispatcher) unchanged: every effect of an option or an inject goes through
this one door, whatever it is.

`fire` always waits on the SimPy queue (even with no delay), so an inject that
fires another never recurses inside one step. `cancel` withdraws an inject:
its own schedule (`at`, `trigger`, `when`) no longer fires it, nor any `fire`
scheduled before the cancel; a later `fire` or the facilitator still can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sim.domain.context import Context
from sim.domain.state import WorldState
from sim.events import Kind
from sim.scenario.consequences import AddEffect, CancelEffect, FireEffect, ScaleEffect, SetEffect

CONSEQUENCE_EFFECTS = (SetEffect, AddEffect, ScaleEffect, FireEffect, CancelEffect)


class Effects:
    """Applies effects, and keeps which injects have been withdrawn."""

    def __init__(
        self,
        ctx: Context,
        state: WorldState,
        fire: Callable[[str], None],
        other: Callable[[Any], None],
    ) -> None:
        self.ctx = ctx
        self.state = state
        self._fire = fire
        self._other = other
        self.cancelled: set[str] = set()
        self._cancels: dict[str, int] = {}
        """Inject id -> how many times it was cancelled: a pending `fire` made before the latest cancel is void."""

    def apply_all(self, effects: Iterable[Any], cause: str) -> None:
        for effect in effects:
            self.apply(effect, cause)

    def apply(self, effect: Any, cause: str) -> None:
        """Apply one effect now; `cause` (e.g. `decision:evac_order=yes`) becomes the events' source."""
        match effect:
            case SetEffect():
                self.state.change(effect.state, "set", effect.value, cause, effect.for_)
            case AddEffect():
                self.state.change(effect.state, "add", effect.value, cause, effect.for_)
            case ScaleEffect():
                self.state.change(effect.state, "scale", effect.factor, cause, effect.for_)
            case FireEffect():
                self.schedule_fire(effect.inject, effect.delay)
            case CancelEffect():
                self.cancel(effect.inject, cause)
            case _:
                self._other(effect)

    def schedule_fire(self, inject_id: str, delay: float) -> None:
        """Fire an inject after `delay` minutes unless it is cancelled meanwhile."""
        generation = self._cancels.get(inject_id, 0)

        def due() -> None:
            if self._cancels.get(inject_id, 0) == generation:
                self._fire(inject_id)

        self.ctx.after(delay, due)

    def cancel(self, inject_id: str, cause: str) -> None:
        self.cancelled.add(inject_id)
        self._cancels[inject_id] = self._cancels.get(inject_id, 0) + 1
        self.ctx.emit(Kind.inject_cancelled, cause, inject_id)

    def is_cancelled(self, inject_id: str) -> bool:
        return inject_id in self.cancelled
