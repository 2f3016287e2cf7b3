"""Effects: how a decision option, an inject or a hazard changes the world.

One door for every effect, whatever it changes:
- state (`set`, `add`, `scale` a variable) goes to the world state;
- `fire` and `cancel` act on injects;
- `close` / `open` places, `movement` start / stop in areas (the movement
  model), `channel` latency and reliability, `agency` staff and hours (the
  communications model), and `tell` (a message to agencies).

Every change that can last (`for:`) is kept as a temporary modifier on an
`Adjustable` setting (see `state.py`), so "for a duration" restores exactly and
"until changed again" means the same for a variable, a place, a channel or an
agency. The older `channel_disruption` is `channel` on agencies with `for`.

`fire` always waits on the SimPy queue (even with no delay), so an inject that
fires another never recurses inside one step. `cancel` withdraws an inject:
its own schedule (`at`, `trigger`, `when`) no longer fires it, nor any `fire`
scheduled before the cancel; a later `fire` or the facilitator still can.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sim.domain.comms import Fact, Network
from sim.domain.context import Context
from sim.domain.state import WorldState
from sim.events import Kind
from sim.scenario.consequences import (
    AddEffect,
    AgencyEffect,
    CancelEffect,
    ChannelEffect,
    CloseEffect,
    FireEffect,
    MovementEffect,
    OpenEffect,
    ScaleEffect,
    SetEffect,
    TellEffect,
)
from sim.scenario.schema import ChannelDisruptionEffect

if TYPE_CHECKING:
    from sim.domain.movement import Movement

SIMCELL = "simcell"


class Effects:
    """Applies effects, and keeps which injects have been withdrawn.

    Args:
        ctx: the engine context.
        state: the world state.
        fire: fires an inject by id now (the facade's inject door).
        network: the agencies and channels (for `channel`, `agency`, `tell`).
    """

    def __init__(self, ctx: Context, state: WorldState, fire: Callable[[str], None], network: Network) -> None:
        self.ctx = ctx
        self.state = state
        self._fire = fire
        self.network = network
        self.movement: Movement | None = None
        """The movement network (`movement:`), if the scenario has one (attached after it is built)."""
        self.cancelled: set[str] = set()
        self._cancels: dict[str, int] = {}
        """Inject id -> how many times it was cancelled: a pending `fire` made before the latest cancel is void."""
        self._told = itertools.count(1)

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
            case ChannelEffect():
                self.network.change_lines(
                    cause,
                    channels=list(effect.channels),
                    agencies=list(effect.agencies),
                    latency_factor=effect.latency_factor,
                    reliability=effect.reliability,
                    duration=effect.for_,
                )
            case ChannelDisruptionEffect():
                self.network.disrupt(list(effect.agencies), effect.factor, effect.duration, cause)
            case AgencyEffect():
                for agency in effect.agencies:
                    self.network.change_agency(
                        agency, cause, staff=effect.staff, hours=effect.hours, duration=effect.for_
                    )
            case TellEffect():
                self.tell(effect, cause)
            case CloseEffect() | OpenEffect() | MovementEffect():
                if self.movement is not None:  # `validate` warns about them in a scenario without `movement:`
                    self._network(self.movement, effect, cause)
            case _:
                raise ValueError(f"unknown effect kind {getattr(effect, 'kind', effect)!r}")

    @staticmethod
    def _network(movement: Movement, effect: CloseEffect | OpenEffect | MovementEffect, cause: str) -> None:
        """`close` / `open` links and places and `movement` start / stop of the movement network."""
        match effect:
            case CloseEffect():
                movement.close(effect.mode, list(effect.places), effect.for_, cause)
            case OpenEffect():
                movement.open(effect.mode, list(effect.places), effect.for_, cause)
            case MovementEffect():
                movement.change_movement(effect.action, list(effect.areas), effect.for_, cause)

    def tell(self, effect: TellEffect, cause: str) -> None:
        """Deliver a message: each addressee handles it, then knows it (shown in its inbox)."""
        message_id = f"{cause}#{next(self._told)}"
        self.ctx.emit(Kind.told, cause, None, message=message_id, to=list(effect.to), synopsis=effect.synopsis)
        fact = Fact("message", message_id)
        for agency in effect.to:
            if effect.from_ in self.network.agencies:
                self.network.send(fact, effect.from_, agency)
            else:
                self.network.deliver_from_outside(fact, agency)

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
