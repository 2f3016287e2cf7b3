"""The live session: pacing state plus the one door every facilitator input goes through.

No Textual here. The exercise screen owns a `Session` (through the app) and calls
its methods; widgets never do. Every input a person makes (an inject, a decision,
a note, pause/resume, a speed change) passes through `Session._record`, so a
journal (issue 6) hooks in by appending a callable to `Session.observers`.
Pausing is purely a front-end matter: injects are scheduled in simulated time,
so a paused clock simply stops calling `advance()` and nothing shifts.
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
    """One thing a person did at the console (what a journal stores)."""

    sim_time: float
    kind: str  # "inject" | "decision" | "note" | "pause" | "resume" | "speed"
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


class Session:
    """Pacing and inputs of one console session over one `Simulation`."""

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
        self.pause_on_decision = pause_on_decision
        self.observers: list[Callable[[SessionInput], None]] = list(observers)

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
        index = max(0, min(len(SPEEDS) - 1, index))
        if index != self.speed_index:
            self.speed_index = index
            self._record("speed", minutes_per_second=SPEEDS[index])

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

    # -- pacing -------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def human_pending(self) -> list[str]:
        """Ids of decisions waiting for a person."""
        return [d.id for d in self.sim.view().decisions if d.status == "pending" and d.human]

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
            if self.pause_on_decision:
                hit = next((e.target for e in new if e.kind is Kind.decision_pending and e.data.get("human")), None)
                if hit is not None:
                    outcome.stopped_for = hit
                    break
            if budget is not None and time.perf_counter() - started > budget:
                break
        outcome.finished = sim.finished
        return outcome

    def step(self) -> StepOutcome:
        """Advance to the next model event (and everything at that instant)."""
        new = self.sim.step()
        hit = next((e.target for e in new if e.kind is Kind.decision_pending and e.data.get("human")), None)
        return StepOutcome(list(new), hit, self.sim.finished)
