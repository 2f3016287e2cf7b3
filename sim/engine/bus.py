"""The event bus: the single place where events are numbered, stamped and kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sim.errors import ModelError
from sim.events import Kind, SimEvent

Sink = Callable[[SimEvent], None]

_FIELDS = ("seq", "time", "kind", "source", "target", "data")


def _record_setters() -> tuple[Callable[[SimEvent, Any], None], ...] | None:
    """What fills the bus's `SimEvent`s: the six slots' own setters, or None for its constructor.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__` (a global
    lookup and a call per field); every event of a run is built by `EventBus.emit`, which sets
    the same six slots through their descriptors instead, about a third cheaper. Only while
    `SimEvent` is the six-field slotted record without `__post_init__` it is now: otherwise
    None, and `emit` calls its constructor (tests/unit/test_run_cost.py checks both give
    equal records)."""
    layout = tuple(f.name for f in dataclasses.fields(SimEvent))
    if layout != _FIELDS or getattr(SimEvent, "__slots__", None) != _FIELDS or hasattr(SimEvent, "__post_init__"):
        return None
    return tuple(getattr(SimEvent, name).__set__ for name in _FIELDS)


_SETTERS = _record_setters()
_new = object.__new__

MAX_EVENTS = 500_000
"""Most events one run may record. The bundled scenario records a few thousand in
21 days; a scenario that produces hundreds of times more is busy without end (a
retry every minute for a year, a tick that never finds work), and the log is held
in memory, so the run stops with a `ModelError` instead of growing without bound."""


class EventBus:
    """Appends every event to the run log and fans it out to sinks.

    Model code calls `emit`; the time comes from the environment, never from
    the caller, so no event can be stamped in the past.
    """

    def __init__(
        self, clock: Callable[[], float], sinks: list[Sink] | None = None, *, max_events: int = MAX_EVENTS
    ) -> None:
        self._clock = clock
        self.log: list[SimEvent] = []
        self.sinks: list[Sink] = list(sinks or [])
        self.max_events = max_events
        self.sink_error: BaseException | None = None
        """The last exception a sink raised: the sink's own failure (a journal that
        diverged, a full disk), which callers pass on as it is, not as a model failure."""

    def emit(self, kind: Kind, source: str, target: str | None = None, **data: Any) -> SimEvent:
        log = self.log
        seq = len(log)
        if seq >= self.max_events:
            raise ModelError(
                f"the run recorded {self.max_events:,} events before its horizon (the last: {kind} from "
                f"{source}{f' to {target}' if target else ''}); shorten the horizon or check what repeats so often"
            )
        setters = _SETTERS
        if setters is None:
            event = SimEvent(seq, self._clock(), kind, source, target, data)
        else:  # the record's slots filled here, not in a function of their own (every event of a run)
            seq_, time_, kind_, source_, target_, data_ = setters
            event = _new(SimEvent)
            seq_(event, seq)
            time_(event, self._clock())
            kind_(event, kind)
            source_(event, source)
            target_(event, target)
            data_(event, data)
        log.append(event)
        if self.sinks:  # none in a plain run
            for sink in self.sinks:
                try:
                    sink(event)
                except BaseException as error:
                    self.sink_error = error
                    raise
        return event
