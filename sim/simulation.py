"""The `Simulation` facade: the one object the CLI, the console, the journal and
the analysis drive. Front ends hold a `Simulation`; they never touch SimPy.

Time rule: `advance(until)` runs every event due at or before `until`
(scenario minutes), so an input applied right after it (an inject, a decision)
always comes after all model events of that instant. A replay that advances to
the recorded time and then applies the recorded input reproduces the session
exactly, however the original run was sliced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from sim.domain.comms import Fact, Network
from sim.domain.decisions import DecisionBoard, DecisionError, DecisionState
from sim.engine.bus import EventBus, Sink
from sim.engine.clock import Clock
from sim.engine.streams import RandomStreams
from sim.events import Kind, SimEvent
from sim.scenario.schema import (
    ChannelDisruptionEffect,
    ClosureEffect,
    ComplianceEffect,
    Inject,
    Milestone,
    ReinforcementEffect,
    Scenario,
)

if TYPE_CHECKING:
    from sim.domain.evacuation import EvacuationView

__all__ = ["DecisionError", "Input", "MessageView", "RunResult", "Simulation", "WorldView"]

SIMCELL = "simcell"
MESSAGE_LIMIT = 2000
"""Characters a player's message may hold."""


@dataclass(frozen=True, slots=True)
class Input:
    """Something a person did to the run; the journal stores these for replay."""

    time: float
    kind: str  # "inject" | "decision" | "note" | "message"
    payload: dict[str, Any]
    steps_before: int | None = None
    """SimPy events processed before the input was applied: where exactly, within
    an instant, the person acted. None (hand-written scripts) means after every
    event due at `time`."""


class _CountingEnvironment(simpy.Environment):
    """Counts the model events SimPy has processed, so a replay can stop at exactly
    the point where a person acted, even between two events of the same instant.

    `run(until=...)` adds bookkeeping events that depend on how a run was sliced:
    its stop event raises out of `step()` (never counted), and SimPy 4.1
    reschedules that event at priority -1 to finish its callbacks when the run
    resumes. Those carry the only negative priority SimPy uses and are skipped.
    """

    steps = 0

    def step(self) -> None:
        bookkeeping = bool(self._queue) and self._queue[0][1] < 0
        super().step()
        if not bookkeeping:
            self.steps += 1


@dataclass(frozen=True, slots=True)
class AgencyView:
    id: str
    name: str
    kind: str
    parent: str | None
    role: str | None
    staff: int
    queued: int
    pending: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionView:
    id: str
    title: str
    owner: str
    status: str
    options: tuple[tuple[str, str], ...]
    option: str | None
    came_up_at: float | None
    taken_at: float | None
    by: str | None
    expected: str | None
    human: bool


@dataclass(frozen=True, slots=True)
class InjectView:
    id: str
    at: float | None
    synopsis: str
    to: tuple[str, ...]
    expected_action: str
    on_demand: bool
    fired_at: float | None


@dataclass(frozen=True, slots=True)
class MessageView:
    """A free-text message one agency's player sent another, and where it stands."""

    id: str
    sender: str
    to: str
    text: str
    sent_at: float
    delivered_at: float | None


@dataclass(frozen=True, slots=True)
class WorldView:
    """A frozen snapshot for rendering; changing it changes nothing in the run."""

    now: float
    label: str
    calendar: str
    horizon: float
    finished: bool
    agencies: tuple[AgencyView, ...]
    decisions: tuple[DecisionView, ...]
    injects: tuple[InjectView, ...]
    evacuation: EvacuationView | None
    handover_hours: float | None
    consultation_hours: float | None


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run produced: configuration echo, inputs, the event log and metrics."""

    scenario: str
    seed: int
    reforms: tuple[str, ...]
    events: tuple[SimEvent, ...]
    inputs: tuple[Input, ...]
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON shape of `ttxsim run --json` (design.md)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "reforms": list(self.reforms),
            "events": len(self.events),
            "metrics": self.metrics,
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), sort_keys=False)


class Simulation:
    """One seeded run of one scenario.

    Args:
        scenario: a validated (and reform-patched) scenario.
        seed: master seed; every random stream derives from it.
        human_roles: agency ids whose decisions a person takes via `decide()`.
        reforms: names of the reforms already applied to `scenario` (echoed in results).
        sinks: callables that receive every event as it is emitted (journal, log).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 1,
        human_roles: Iterable[str] = (),
        reforms: Sequence[str] = (),
        sinks: Sequence[Sink] = (),
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.reforms = tuple(reforms)
        self.clock = Clock(scenario.scenario.start)
        self.horizon = scenario.scenario.horizon
        self._env = _CountingEnvironment(initial_time=self.clock.offset)
        self._bus = EventBus(self._now, list(sinks))
        self._streams = RandomStreams(seed)
        self._inputs: list[Input] = []
        self._fired: dict[str, float] = {}
        self._messages: dict[str, tuple[str, str, str, float]] = {}
        """Players' messages by id: (sender, to, text, sent at)."""
        self._human_roles = set(human_roles)
        unknown = self._human_roles - {a.id for a in scenario.agencies}
        if unknown:
            raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
        self._network = Network(self._env, scenario, self._streams, self._bus.emit, self._now, self._learned)
        self._board = DecisionBoard(
            self._env,
            scenario,
            self._network,
            self._streams,
            self._bus.emit,
            self._now,
            self._human_roles,
            self._decision_taken,
        )
        self._evacuation = None
        if scenario.evacuation is not None:
            from sim.domain.evacuation import Evacuation

            self._evacuation = Evacuation(self._env, scenario.evacuation, self._streams, self._bus.emit)
        self._movement_triggers = self._movement_triggers_of(scenario)
        handover = scenario.handover
        self._vessels_pending = bool(
            handover and self._evacuation is not None and handover.evacuation_vessels and handover.from_hub
        )
        """JCG vessels still to join the sea lift once the handover completes."""
        self._bus.emit(
            Kind.run_started,
            "engine",
            None,
            scenario=scenario.scenario.id,
            seed=seed,
            reforms=list(self.reforms),
            humans=sorted(self._human_roles),
        )
        for inject in scenario.injects:
            if inject.at is not None:
                self._env.process(self._fire_at(inject, inject.at))
        if self._evacuation is not None:
            self._evacuation.start_voluntary_departures()
        self._board.start()

    # -- time ---------------------------------------------------------------
    def _now(self) -> float:
        return self._env.now - self.clock.offset

    @property
    def now(self) -> float:
        """Scenario minutes since T+0."""
        return self._now()

    @property
    def finished(self) -> bool:
        return self._env.now >= self.clock.to_env(self.horizon)  # SimPy time: exact after advance(horizon)

    @property
    def human_roles(self) -> frozenset[str]:
        """Agencies whose decisions a person takes."""
        return frozenset(self._human_roles)

    @property
    def events(self) -> Sequence[SimEvent]:
        return self._bus.log

    @property
    def inputs(self) -> tuple[Input, ...]:
        return tuple(self._inputs)

    def next_event_time(self) -> float | None:
        """Scenario time of the next scheduled model event, if any before the horizon."""
        peek = self._env.peek()
        if peek == float("inf"):
            return None
        when = self.clock.to_scenario(peek)
        return when if when <= self.horizon else None

    def advance(self, until: float) -> list[SimEvent]:
        """Run every event due at or before `until` (scenario minutes, capped at the
        horizon) and return the events emitted. Never blocks: a decision waiting for
        a person simply stays pending."""
        mark = len(self._bus.log)
        target = self.clock.to_env(min(until, self.horizon))  # compare in SimPy time: no rounding gap
        if target > self._env.now:
            self._env.run(until=target)
        while self._env.peek() <= target:
            self._env.step()
        return self._bus.log[mark:]

    def step(self) -> list[SimEvent]:
        """Advance to the next model event (and everything at that instant)."""
        when = self.next_event_time()
        return self.advance(when) if when is not None else []

    def run(self) -> RunResult:
        """Run to the horizon with the current decision makers and return the result."""
        self.advance(self.horizon)
        return self.result()

    # -- inputs ---------------------------------------------------------------
    def apply(self, inject: Inject) -> SimEvent:
        """Fire an inject now (from the MSEL, the library or built ad hoc)."""
        self._record_input("inject", inject.model_dump(mode="json", by_alias=True, exclude_none=True))
        return self._fire(inject, manual=True)

    def decide(self, decision_id: str, option: str, role: str) -> None:
        """A person answers a pending decision at the current time.

        Raises:
            DecisionError: unknown decision, not pending, wrong role or option.
        """
        steps = self._env.steps
        self._board.decide(decision_id, option, role)
        self._record_input("decision", {"decision": decision_id, "option": option, "role": role}, steps)

    def note(self, text: str, author: str = "facilitator") -> SimEvent:
        """An observation, timestamped and kept in the event log and the inputs."""
        self._record_input("note", {"text": text, "author": author})
        return self._bus.emit(Kind.note_added, author, None, text=text)

    def message(self, sender: str, to: str, text: str) -> str:
        """A player's free-text message (or request for information) from one agency to
        another. It travels like any fact: over the channel or up and down the chain of
        command, with the modelled latency, losses and handling; the recipient learns it
        when it is handled. Returns the message id.

        Raises:
            ValueError: unknown agency, a message to oneself, or empty/too long text.
        """
        agencies = self._network.agencies
        if sender not in agencies or to not in agencies:
            raise ValueError(f"unknown agency {sender if sender not in agencies else to!r}")
        if sender == to:
            raise ValueError("a message needs another agency as recipient")
        if not text.strip() or len(text) > MESSAGE_LIMIT:
            raise ValueError(f"a message holds 1 to {MESSAGE_LIMIT} characters")
        message_id = f"msg{len(self._messages) + 1}"
        self._record_input("message", {"from": sender, "to": to, "text": text})
        self._messages[message_id] = (sender, to, text, self.now)
        self._network.send(Fact("message", message_id), sender, to)
        return message_id

    def messages(self) -> tuple[MessageView, ...]:
        """Every player's message so far, oldest first, with when it reached its recipient."""
        views = []
        for message_id, (sender, to, text, sent_at) in self._messages.items():
            delivered = self._network.agencies[to].learned_at.get(("message", message_id))
            views.append(MessageView(message_id, sender, to, text, sent_at, delivered))
        return tuple(views)

    def _record_input(self, kind: str, payload: dict[str, Any], steps: int | None = None) -> None:
        steps = self._env.steps if steps is None else steps
        self._inputs.append(Input(self.now, kind, payload, steps))

    def replay_input(self, item: Input) -> None:
        """Bring the run to exactly where a recorded input was applied, then apply it.

        With `steps_before`, replay processes exactly as many SimPy events as the
        session had, so several inputs at one instant (a decision, then a note)
        keep their order relative to the model's own events. Without it, the input
        comes after every event due at its time.

        Raises:
            ValueError: the recorded position lies beyond what this run can reach
                (the journal does not belong to this scenario and seed).
        """
        if item.steps_before is None:
            self.advance(item.time)
        else:
            while self._env.steps < item.steps_before:
                if self._env.peek() > self.clock.to_env(item.time):
                    raise ValueError(
                        f"replay diverged: the session had processed {item.steps_before} model events "
                        f"by {self.clock.label(item.time)}, this run only {self._env.steps}"
                    )
                self._env.step()
            if self.clock.to_env(item.time) > self._env.now:
                self._env.run(until=self.clock.to_env(item.time))
        if item.kind == "inject":
            self.apply(Inject.model_validate(item.payload))
        elif item.kind == "decision":
            self.decide(item.payload["decision"], item.payload["option"], item.payload["role"])
        elif item.kind == "note":
            self.note(item.payload["text"], item.payload["author"])
        elif item.kind == "message":
            self.message(item.payload["from"], item.payload["to"], item.payload["text"])
        else:
            raise ValueError(f"unknown input kind {item.kind!r}")

    # -- injects -------------------------------------------------------------
    def _fire_at(self, inject: Inject, when: float):
        yield self._env.timeout(max(0.0, when - self.now))
        if inject.id not in self._fired:  # fired early by hand: "fire now" replaces the schedule
            self._fire(inject, manual=False)

    def _fire(self, inject: Inject, *, manual: bool) -> SimEvent:
        event = self._bus.emit(
            Kind.inject_fired,
            inject.from_,
            None,
            inject=inject.id,
            to=list(inject.to),
            synopsis=inject.synopsis,
            manual=manual,
        )
        self._fired.setdefault(inject.id, self.now)
        fact = Fact("inject", inject.id)
        for agency in inject.to:
            if inject.from_ in self._network.agencies:
                self._network.send(fact, inject.from_, agency)
            else:
                self._network.deliver_from_outside(fact, agency)
        for effect in inject.effects:
            self._apply_effect(effect)
        return event

    def _apply_effect(self, effect) -> None:
        evacuation = self._evacuation
        match effect:
            case ChannelDisruptionEffect():
                self._network.disrupt(effect.agencies, effect.factor, effect.duration)
            case ClosureEffect() if evacuation is not None:
                evacuation.close(effect.mode, list(effect.places), effect.duration)
            case ComplianceEffect() if evacuation is not None:
                evacuation.set_compliance(effect.factor, effect.duration)
            case ReinforcementEffect() if evacuation is not None:
                evacuation.reinforce(effect.hub, effect.flights, effect.stand_time)

    # -- decisions -------------------------------------------------------------
    def _learned(self, agency_id: str, fact: Fact) -> None:
        self._board.review(agency_id)
        if self._vessels_pending and self._milestone_hours(self.scenario.handover.span) is not None:
            # JCG units now work under MoD direction: the moment the handover metric ends.
            self._vessels_pending = False
            handover = self.scenario.handover
            self._evacuation.add_vessels(handover.from_hub, handover.evacuation_vessels, handover.passengers_per_vessel)

    @staticmethod
    def _movement_triggers_of(scenario: Scenario) -> dict[str, list[tuple[str, list[str] | None]]]:
        triggers: dict[str, list[tuple[str, list[str] | None]]] = {}
        if scenario.evacuation is not None:
            for municipality in scenario.evacuation.municipalities:
                triggers.setdefault(municipality.guidelines_decision, []).append(
                    (municipality.id, municipality.start_options)
                )
        return triggers

    def _decision_taken(self, state: DecisionState) -> None:
        decision_id, option = state.spec.id, state.option
        for inject in self.scenario.injects:
            trigger = inject.trigger
            if trigger and trigger.decision == decision_id and (trigger.options is None or option in trigger.options):
                self._env.process(self._fire_at(inject, self.now + inject.delay))
        if self._evacuation is not None:
            for municipality, options in self._movement_triggers.get(decision_id, ()):
                if options is None or option in options:
                    self._evacuation.start_movement(municipality)

    def _milestone_hours(self, span: Milestone | None) -> float | None:
        """Hours from `start` being taken to `end` being taken (or reaching `delivered_to`)."""
        if span is None:
            return None
        start = self._board.states[span.start]
        end = self._board.states[span.end]
        if start.status != "taken" or end.status != "taken" or start.taken_at is None:
            return None
        if span.end_options is not None and end.option not in span.end_options:
            return None
        if span.delivered_to is None:
            finish = end.taken_at
        else:
            finish = self._network.agencies[span.delivered_to].learned_at.get(("decision", span.end))
        if finish is None:
            return None
        return round((finish - start.taken_at) / 60.0, 4)

    # -- reading ---------------------------------------------------------------
    def inbox(self, agency_id: str) -> list[tuple[float, str, str, str | None]]:
        """What one agency has learned so far: (time, subject, id, option), oldest first."""
        state = self._network.agencies[agency_id]
        rows = [(state.learned_at[key], key[0], key[1], option) for key, option in state.knows.items()]
        return sorted(rows, key=lambda row: row[0])

    def view(self) -> WorldView:
        pending_by_owner: dict[str, list[str]] = {}
        for state in self._board.pending():
            pending_by_owner.setdefault(state.spec.owner, []).append(state.spec.id)
        agencies = tuple(
            AgencyView(
                a.spec.id,
                a.spec.name,
                str(a.spec.kind),
                a.spec.parent,
                a.spec.role,
                a.spec.staff,
                a.queued,
                tuple(pending_by_owner.get(a.spec.id, ())),
            )
            for a in self._network.agencies.values()
        )
        decisions = tuple(
            DecisionView(
                s.spec.id,
                s.spec.title,
                s.spec.owner,
                s.status,
                tuple((o.id, o.label) for o in s.spec.options),
                s.option,
                s.came_up_at,
                s.taken_at,
                s.by,
                s.spec.expected,
                s.spec.owner in self._human_roles,
            )
            for s in self._board.states.values()
        )
        injects = tuple(
            InjectView(i.id, i.at, i.synopsis, tuple(i.to), i.expected_action, i.on_demand, self._fired.get(i.id))
            for i in self.scenario.injects
        )
        return WorldView(
            now=self.now,
            label=self.clock.label(self.now),
            calendar=self.clock.calendar(self.now).strftime("%Y-%m-%d %H:%M"),
            horizon=self.horizon,
            finished=self.finished,
            agencies=agencies,
            decisions=decisions,
            injects=injects,
            evacuation=self._evacuation.view() if self._evacuation is not None else None,
            handover_hours=self._milestone_hours(self.scenario.handover.span if self.scenario.handover else None),
            consultation_hours=self._milestone_hours(
                self.scenario.consultation.span if self.scenario.consultation else None
            ),
        )

    def metrics(self) -> dict[str, Any]:
        scenario = self.scenario
        evacuation = self._evacuation_metrics()
        return {
            "evacuation": evacuation,
            "handover": {
                "transfer_hours": self._milestone_hours(scenario.handover.span if scenario.handover else None),
            },
            "consultation": {
                "decision_hours": self._milestone_hours(scenario.consultation.span if scenario.consultation else None),
                "answer": self._answer(scenario),
            },
            "decisions": {
                s.spec.id: {
                    "status": s.status,
                    "option": s.option,
                    "by": s.by,
                    "came_up_hours": None if s.came_up_at is None else round(s.came_up_at / 60, 4),
                    "taken_hours": None if s.taken_at is None else round(s.taken_at / 60, 4),
                }
                for s in self._board.states.values()
            },
        }

    def _answer(self, scenario: Scenario) -> str | None:
        if scenario.consultation is None:
            return None
        return self._board.states[scenario.consultation.span.end].option

    def _evacuation_metrics(self) -> dict[str, Any]:
        if self._evacuation is None:
            return {"population": None, "evacuated": None, "completion_hours": None, "by_island": {}}
        return self._evacuation.metrics()

    def result(self) -> RunResult:
        return RunResult(
            scenario=self.scenario.scenario.id,
            seed=self.seed,
            reforms=self.reforms,
            events=tuple(self._bus.log),
            inputs=tuple(self._inputs),
            metrics=self.metrics(),
        )
