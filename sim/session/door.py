"""The one input door of a live session, with no UI in it.

The console (`ttxsim play`), the session host (`ttxsim host`) and the journal
all drive a run through a `Session`: every input a person makes (an inject, a
decision, a note, a message between roles, pause/resume, a speed change, a
hold) passes through `Session._record`, which tells the observers (the journal
hooks in there) after the `Simulation` has taken it. An input the model
refuses raises before anything is recorded.

Pausing and holding are pacing matters: injects are scheduled in simulated
time, so a paused clock simply stops calling `advance()` and nothing shifts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sim.events import Kind, SimEvent
from sim.scenario.schema import Inject
from sim.simulation import Simulation

SPEEDS: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0, 60.0, 180.0, 360.0, 720.0, 1440.0)
"""Simulated minutes per wall-clock second, from 1 minute/s to 1 day/s."""
DEFAULT_SPEED = SPEEDS.index(60.0)
FACILITATOR = "facilitator"


@dataclass(frozen=True, slots=True)
class SessionInput:
    """One thing a person did (what a journal stores)."""

    sim_time: float
    kind: str  # "inject" | "decision" | "note" | "message" | "pause" | "resume" | "speed" | "hold"
    payload: dict[str, Any]


def speed_label(minutes_per_second: float) -> str:
    if minutes_per_second >= 1440:
        return f"{minutes_per_second / 1440:g} day/s"
    if minutes_per_second >= 60:
        return f"{minutes_per_second / 60:g} h/s"
    return f"{minutes_per_second:g} min/s"


@dataclass
class StepOutcome:
    """What one bounded advance did."""

    events: list[SimEvent] = field(default_factory=list)
    stopped_for: str | None = None  # decision id that made the clock stop
    finished: bool = False


def _human_pending_in(events: Iterable[SimEvent]) -> str | None:
    return next((e.target for e in events if e.kind is Kind.decision_pending and e.data.get("human")), None)


class Session:
    """Pacing and inputs of one live session over one `Simulation`."""

    def __init__(
        self,
        sim: Simulation,
        *,
        pause_on_decision: bool = True,
        observers: Iterable[Callable[[SessionInput], None]] = (),
    ) -> None:
        self.sim = sim
        self.paused = True
        self.speed_index = DEFAULT_SPEED
        self.minutes_per_second = SPEEDS[DEFAULT_SPEED]
        self.pause_on_decision = pause_on_decision
        self.observers: list[Callable[[SessionInput], None]] = list(observers)
        self.held_for: frozenset[str] = frozenset()
        """Roles whose pending decisions hold the clock (`hold`)."""

    # -- the one door for inputs ------------------------------------------------
    def _record(self, kind: str, **payload: Any) -> None:
        item = SessionInput(self.sim.now, kind, payload)
        for observer in self.observers:
            observer(item)

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self._record("pause" if paused else "resume")

    def set_speed(self, index: int) -> None:
        """Pick one of the console's `SPEEDS` by index (clamped)."""
        index = max(0, min(len(SPEEDS) - 1, index))
        if index != self.speed_index:
            self.speed_index = index
            self.minutes_per_second = SPEEDS[index]
            self._record("speed", minutes_per_second=SPEEDS[index])

    def set_minutes_per_second(self, value: float) -> None:
        """Any clock speed from 0.1 simulated minutes to 2 days per wall second.

        Raises:
            ValueError: a speed outside that range.
        """
        if not 0.1 <= value <= 2880:
            raise ValueError("speed must be between 0.1 and 2880 simulated minutes per second")
        if value != self.minutes_per_second:
            self.minutes_per_second = float(value)
            self.speed_index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - value))
            self._record("speed", minutes_per_second=float(value))

    def hold(self, roles: Iterable[str]) -> None:
        """Hold the clock while any of `roles` has a decision waiting (empty: no hold).

        Raises:
            ValueError: a role that is not an agency of the scenario.
        """
        roles = frozenset(roles)
        known = {a.id for a in self.sim.scenario.agencies}
        if roles - known:
            raise ValueError(f"unknown role(s): {', '.join(sorted(roles - known))}")
        if roles != self.held_for:
            self.held_for = roles
            self._record("hold", roles=sorted(roles))

    def fire(self, inject: Inject) -> SimEvent:
        """Fire an inject exactly at the current simulated time."""
        event = self.sim.apply(inject)
        self._record("inject", inject=inject.model_dump(mode="json", by_alias=True, exclude_none=True))
        return event

    def decide(self, decision_id: str, option: str, role: str) -> list[SimEvent]:
        """Answer a pending decision (raises `DecisionError`); the model takes it at
        this same instant. Returns the events that produced."""
        mark = len(self.sim.events)
        self.sim.decide(decision_id, option, role)
        self._record("decision", decision=decision_id, option=option, role=role)
        return list(self.sim.events[mark:])

    def note(self, text: str, author: str = FACILITATOR) -> SimEvent:
        event = self.sim.note(text, author)
        self._record("note", text=text, author=author)
        return event

    def message(self, sender: str, to: str, text: str) -> str:
        """A message from one role's agency to another, over the modelled channels
        (raises `ValueError` for an unknown agency or bad text). Returns its id."""
        message_id = self.sim.message(sender, to, text)
        self._record("message", id=message_id, to=to, text=text, sender=sender)
        return message_id

    # -- pacing -------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return self.minutes_per_second

    def human_pending(self) -> list[str]:
        """Ids of decisions waiting for a person."""
        return [d.id for d in self.sim.view().decisions if d.status == "pending" and d.human]

    def holding(self) -> list[str]:
        """Decisions of held roles still waiting: while any is, the clock stands still."""
        if not self.held_for:
            return []
        return [
            d.id for d in self.sim.view().decisions if d.status == "pending" and d.human and d.owner in self.held_for
        ]

    def advance_by(self, minutes: float, *, budget: float | None = None) -> StepOutcome:
        """Advance up to `minutes` of simulated time, event instant by event instant,
        stopping early (when `pause_on_decision`) at the instant a decision for a
        person comes up, or when `budget` wall seconds are spent."""
        return self.advance_to(self.sim.now + minutes, budget=budget)

    def advance_to(self, target: float, *, budget: float | None = None) -> StepOutcome:
        sim = self.sim
        outcome = StepOutcome()
        target = min(target, sim.horizon)
        started = time.perf_counter()
        while sim.now < target:
            nxt = sim.next_event_time()
            if nxt is None or nxt > target:
                outcome.events += sim.advance(target)
                break
            new = sim.advance(nxt)
            outcome.events += new
            hit = _human_pending_in(new)
            if hit is not None and (self.pause_on_decision or self._held(hit)):
                outcome.stopped_for = hit
                break
            if budget is not None and time.perf_counter() - started > budget:
                break
        outcome.finished = sim.finished
        return outcome

    def _held(self, decision_id: str) -> bool:
        return bool(self.held_for) and self.sim.scenario.decision(decision_id).owner in self.held_for

    def step(self) -> StepOutcome:
        """Advance to the next model event (and everything at that instant)."""
        new = self.sim.step()
        return StepOutcome(list(new), _human_pending_in(new), self.sim.finished)
