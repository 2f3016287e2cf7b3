"""The one input door of a live session, with no UI in it.

The console (`ttxsim play`), the session host (`ttxsim host`) and the journal
all drive a run through a `Session`: every input a person makes (an inject, a
decision, a note, a message between roles, pause/resume, a speed change, a
hold) passes through `Session._record`, which tells the observers (the journal
hooks in there) after the `Simulation` has taken it. An input the model
refuses raises before anything is recorded.

Pausing and holding are pacing matters: injects are scheduled in simulated
time, so a paused clock simply stops calling `advance()` and nothing shifts.

A failed write (a full disk, a journal that cannot be written) never loses an
input or stops the exercise: the input stays in `Session.unsaved`, the front
end is told through `on_write_failed`, and the next input (or
`retry_unsaved()`, which the console calls every few seconds) writes it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sim.events import Kind, SimEvent
from sim.files import OutputError
from sim.journal import JournalError
from sim.scenario.schema import Inject
from sim.simulation import Simulation

SPEEDS: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0, 60.0, 180.0, 360.0, 720.0, 1440.0)
"""Simulated minutes per wall-clock second, from 1 minute/s to 1 day/s."""
FACILITATOR = "facilitator"

WRITE_ERRORS = (OSError, OutputError, JournalError, sqlite3.Error)
"""What an observer (the journal) raises when it cannot store an input."""


@dataclass(frozen=True, slots=True)
class SessionInput:
    """One thing a person did (what a journal stores)."""

    sim_time: float
    kind: str  # inject, decision, note, evaluation, message; pause, resume, speed, hold, view
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
        self.minutes_per_second = sim.scenario.scenario.pace
        """Starts at the scenario's `pace` (1 h per second unless it says otherwise)."""
        self.pause_on_decision = pause_on_decision
        self.observers: list[Callable[[SessionInput], None]] = list(observers)
        self.held_for: frozenset[str] = frozenset()
        """Roles whose pending decisions hold the clock (`hold`)."""
        self.view: str | None = None
        """The console view being shown: `facilitator` or an agency id (see `set_view`)."""
        self.unsaved: list[tuple[Callable[[SessionInput], None], SessionInput]] = []
        """Inputs an observer failed to store, oldest first, kept to be written again."""
        self.on_write_failed: Callable[[BaseException, int], None] | None = None
        """Told (error, inputs waiting) when a write fails; the console notifies the facilitator."""
        self.on_write_recovered: Callable[[int], None] | None = None
        """Told how many waiting inputs were written once writing works again."""
        self.write_error: BaseException | None = None
        """The last failed write's error."""

    # -- the one door for inputs ------------------------------------------------
    def _record(self, kind: str, **payload: Any) -> None:
        item = SessionInput(self.sim.now, kind, payload)
        self.retry_unsaved()
        for observer in self.observers:
            if any(waiting is observer for waiting, _ in self.unsaved):
                self.unsaved.append((observer, item))  # keep the order: behind what it still owes
                self._tell(self.write_error)
            else:
                self._deliver(observer, item)

    def _tell(self, error: BaseException | None) -> None:
        if self.on_write_failed is not None and error is not None:
            self.on_write_failed(error, len(self.unsaved))

    def _deliver(self, observer: Callable[[SessionInput], None], item: SessionInput) -> bool:
        try:
            observer(item)
        except WRITE_ERRORS as error:
            self.unsaved.append((observer, item))
            self.write_error = error
            self._tell(error)
            return False
        return True

    def retry_unsaved(self) -> int:
        """Write the inputs kept after a failed write, oldest first; returns how many are written.
        Stops at the first that fails again (it stays, with everything after it)."""
        if not self.unsaved:
            return 0
        waiting, self.unsaved = self.unsaved, []
        written = 0
        for index, (observer, item) in enumerate(waiting):
            try:
                observer(item)
            except WRITE_ERRORS as error:
                self.unsaved = waiting[index:] + self.unsaved
                self.write_error = error
                return written
            written += 1
        if written and self.on_write_recovered is not None:
            self.on_write_recovered(written)
        return written

    def set_view(self, view: str) -> None:
        """The console now shows `view` (`facilitator` or a role); recorded so `play --resume`
        reopens the view the session was in."""
        if view != self.view:
            self.view = view
            self._record("view", view=view)

    @property
    def speed_index(self) -> int:
        """The console's speed step: the nearest of `SPEEDS`."""
        return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.minutes_per_second))

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self._record("pause" if paused else "resume")

    def set_speed(self, index: int) -> None:
        """Pick one of the console's `SPEEDS` by index (clamped)."""
        index = max(0, min(len(SPEEDS) - 1, index))
        if SPEEDS[index] != self.minutes_per_second:
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

    def evaluate(self, target: str, rating: str, evaluator: str, comment: str = "") -> None:
        """An evaluator's P/S/M/U rating of a decision or inject (raises ValueError when invalid).
        The only way a rating other than the derived one reaches the debrief and the report."""
        self.sim.evaluate(target, rating, evaluator, comment)
        self._record("evaluation", target=target, rating=rating, evaluator=evaluator, comment=comment)

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
