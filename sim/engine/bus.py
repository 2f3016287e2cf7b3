"""The event bus: the single place where events are numbered, stamped and kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sim.errors import ModelError
from sim.events import Kind, SimEvent

Sink = Callable[[SimEvent], None]

_FIELDS = ("seq", "time", "kind", "source", "target", "data")


class _Draft:
    """A `SimEvent` while `EventBus.emit` fills it: the same six slots, writable.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__` (a global
    look-up and a call per field), and every event of a run is built by `emit`. A draft's slots
    are set by plain (specialised) attribute stores, then the draft becomes a `SimEvent` by
    class assignment, which Python allows between classes of the same slot layout: no reader
    ever sees a draft, and the record is as frozen as one its constructor built, for less than
    half the cost (tests/unit/test_run_cost.py checks both give equal records)."""

    __slots__ = _FIELDS


def _drafts_fit() -> bool:
    """Whether a `_Draft` can become a `SimEvent`: while `SimEvent` is the six-field slotted record
    without `__post_init__` it is now. Otherwise `emit` calls its constructor."""
    layout = tuple(f.name for f in dataclasses.fields(SimEvent))
    if layout != _FIELDS or getattr(SimEvent, "__slots__", None) != _FIELDS or hasattr(SimEvent, "__post_init__"):
        return False
    probe = _new(_Draft)
    for name in _FIELDS:
        setattr(probe, name, None)
    try:
        probe.__class__ = SimEvent
    except TypeError:  # a layout Python will not convert (a `__weakref__` or `__dict__` slot added)
        return False
    return True


_new = object.__new__
_DRAFTS = _drafts_fit()

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
        if _DRAFTS:  # the record's slots filled here, not in a function of their own (every event of a run)
            event = _new(_Draft)
            event.seq = seq
            event.time = self._clock()
            event.kind = kind
            event.source = source
            event.target = target
            event.data = data
            event.__class__ = SimEvent
        else:
            event = SimEvent(seq, self._clock(), kind, source, target, data)
        log.append(event)
        if self.sinks:  # none in a plain run
            for sink in self.sinks:
                try:
                    sink(event)
                except BaseException as error:
                    self.sink_error = error
                    raise
        return event
