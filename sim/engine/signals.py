"""Waiting on "something changed" without SimPy's generic machinery.

The movement network and the evacuation lift both have processes (vehicles,
cohorts) that sleep until a queue, a place or a route changes. They share
these two small pieces; each runs hundreds of times a run.
"""

from __future__ import annotations

import simpy

__all__ = ["Signal", "any_of", "first_of"]


class Signal:
    """Wake every process waiting for "something changed" at once."""

    __slots__ = ("_prune_at", "_waiters")

    def __init__(self) -> None:
        self._waiters: list[simpy.Event] = []
        self._prune_at = 64

    def wait(self, env: simpy.Environment, event: simpy.Event | None = None) -> simpy.Event:
        """An event this signal sets off when it next fires: a fresh one, or `event` (one that other
        signals or the model may set off first; see `any_of`)."""
        if event is None:
            event = env.event()
        waiters = self._waiters
        if len(waiters) >= self._prune_at:
            self._prune()
        waiters.append(event)
        return event

    def _prune(self) -> None:
        """Drop the waits set off elsewhere already: shared events (`any_of`) pile up on a quiet signal.

        Most of them have been processed too (no callbacks left), which says they were set off
        without a call to `triggered` (thousands a run)."""
        waiters = self._waiters
        waiters[:] = [e for e in waiters if e.callbacks is not None and not e.triggered]
        self._prune_at = 2 * len(waiters) + 64

    def fire(self) -> None:
        """Wake those still waiting. A wait nobody listens to any more (the `a | b` or `first_of` it was
        part of has fired already) is dropped, not triggered: processing it would do nothing but cost a
        SimPy step. So a wait must be yielded or combined before the signal can next fire."""
        if not self._waiters:  # the common case: nobody waits, no new list
            return
        waiters, self._waiters = self._waiters, []
        for event in waiters:
            if event.callbacks:  # still listened to; asking `triggered` first would cost a call per wait
                try:  # noqa: SIM105 (`contextlib.suppress` is a context manager: a call in and out per wait)
                    event.succeed()
                except RuntimeError:  # set off already at this instant (by another signal or the model)
                    pass


def any_of(
    env: simpy.Environment, *signals: Signal, event: simpy.Event | None = None, within: float | None = None
) -> simpy.Event:
    """One event that the first of `signals` to fire sets off (or the model, when it is `event`, or a
    timer after `within` minutes).

    A single SimPy step per wake-up by a signal, where `first_of` over the signals' waits takes two
    (the wait, then the event it relays to): for processes that sleep until one of several things
    changes. The timer relays (two steps), as a timeout is an event of its own."""
    if event is None:
        event = env.event()
    for signal in signals:  # `signal.wait(env, event)`, inline: thousands of waits a run come from here
        waiters = signal._waiters
        if len(waiters) >= signal._prune_at:
            signal._prune()
        waiters.append(event)
    if within is not None:
        wake = event

        def ring(_timer: simpy.Event) -> None:
            if not wake.triggered:
                wake.succeed()

        env.timeout(within).callbacks.append(ring)
    return event


def first_of(env: simpy.Environment, *events: simpy.Event) -> simpy.Event:
    """An event that fires when the first of `events` (fresh, not yet triggered) is processed.

    What `a | b` gives a process that ignores the value, scheduled at the same moment
    (so runs are unchanged), without a `Condition`'s bookkeeping: vehicles wait like
    this hundreds of times a run.

    The relay removes itself from the other events' callbacks, so it refers to itself: a
    reference cycle (the function and its own cell, holding the waits) that only the cycle
    collector could free, a thousand times a run. It clears its own name once it has fired,
    so all of it is freed by reference counting as soon as the event is processed."""
    done = env.event()

    def fire(_event: simpy.Event) -> None:
        nonlocal fire
        if fire is None or done.triggered:  # fired already (an event listed twice)
            return
        done.succeed()
        for other in events:  # no longer listened to: a signal drops them (see `Signal.fire`)
            if other.callbacks and fire in other.callbacks:
                other.callbacks.remove(fire)
        fire = None

    for event in events:
        event.callbacks.append(fire)
    return done
