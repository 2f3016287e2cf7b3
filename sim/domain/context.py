"""What every domain part needs from the engine, passed as one object.

Domain parts (state, effects, conditions, hazards) read the clock, draw from
their own random stream, schedule on the SimPy environment and emit events;
nothing else. One shared context instead of four constructor arguments each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.streams import RandomStreams
from sim.events import SimEvent


@dataclass(frozen=True, slots=True)
class Context:
    env: simpy.Environment
    streams: RandomStreams
    emit: Callable[..., SimEvent]
    """`emit(kind, source, target, **data)`: the event bus."""
    now: Callable[[], float]
    """Scenario minutes since T+0."""

    def after(self, delay: float, action: Callable[[], Any]) -> None:
        """Run `action` `delay` minutes from now (a plain SimPy timeout with a callback)."""
        self.env.timeout(max(0.0, delay)).callbacks.append(lambda _event: action())
