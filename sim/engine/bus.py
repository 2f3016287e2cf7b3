"""The event bus: the single place where events are numbered, stamped and kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.events import Kind, SimEvent

Sink = Callable[[SimEvent], None]


class EventBus:
    """Appends every event to the run log and fans it out to sinks.

    Model code calls `emit`; the time comes from the environment, never from
    the caller, so no event can be stamped in the past.
    """

    def __init__(self, clock: Callable[[], float], sinks: list[Sink] | None = None) -> None:
        self._clock = clock
        self.log: list[SimEvent] = []
        self.sinks: list[Sink] = list(sinks or [])

    def emit(self, kind: Kind, source: str, target: str | None = None, **data: Any) -> SimEvent:
        event = SimEvent(len(self.log), self._clock(), kind, source, target, data)
        self.log.append(event)
        for sink in self.sinks:
            sink(event)
        return event
