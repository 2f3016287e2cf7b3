"""The `Simulation` facade: the one object the CLI, the console, the journal and
the analysis drive. Front ends hold a `Simulation`; they never touch SimPy.

Time rule: `advance(until)` runs every event due at or before `until`
(scenario minutes), so an input applied right after it (an inject, a decision)
always comes after all model events of that instant. A replay that advances to
the recorded time and then applies the recorded input reproduces the session
exactly, however the original run was sliced.
"""

from __future__ import annotations

import gc
import heapq
import json
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT

from sim.analysis.metrics import FactIndex, run_metrics, span_progress
from sim.domain.comms import Fact, Network
from sim.domain.consequences import Consequences
from sim.domain.context import Context
from sim.domain.decisions import DecisionBoard, DecisionError, DecisionState, InputError
from sim.engine.bus import EventBus, Sink
from sim.engine.clock import Clock
from sim.engine.streams import RandomStreams
from sim.errors import ModelError
from sim.events import Kind, SimEvent
from sim.scenario.consequences import SpanMetric
from sim.scenario.schema import (
    MAX_HORIZON,
    Inject,
    Scenario,
)
from sim.scenario.types import format_duration

__all__ = ["DecisionError", "Input", "InputError", "MessageView", "RunResult", "Simulation", "SpanView", "WorldView"]

SIMCELL = "simcell"
MESSAGE_LIMIT = 2000
"""Characters a player's message may hold."""


@dataclass(frozen=True, slots=True)
class Input:
    """Something a person did to the run; the journal stores these for replay."""

    time: float
    kind: str  # "inject" | "decision" | "note" | "evaluation" | "message"
    payload: dict[str, Any]
    steps_before: int | None = None
    """SimPy events processed before the input was applied: where exactly, within
    an instant, the person acted. None (hand-written scripts) means after every
    event due at `time`."""


def _simpy_requeues_stopped_runs() -> bool:
    """Whether this SimPy puts a `run(until=...)`'s stop event back in the queue (4.1.2 does, 4.1.0/4.1.1 do not).

    Probed once through the public API: an empty run stopped at 1 leaves
    something to `peek()` at 1 only if the stop event was put back.
    """
    probe = simpy.Environment()
    probe.run(until=1)
    return probe.peek() == 1


_new_event = object.__new__
_heappush = heapq.heappush
_Event, _Timeout, _Process, _Initialize = simpy.Event, simpy.Timeout, simpy.Process, simpy.events.Initialize
"""Looked up once: the run builds tens of thousands of events (`_CountingEnvironment.timeout`, `.event`,
`.process`)."""

MAX_STEPS_PER_INSTANT = 200_000
"""Most SimPy events one simulated instant may process. The bundled scenario needs
a few hundred at its busiest instant; far more means a loop that never lets time
advance (a retry or a tick of zero minutes), which would otherwise hang the run."""

_PARTS = {
    "Network._transmit": "message retries on a channel (channels: latency, reliability, retry)",
    "Network._carry": "messages between agencies (channels, routing)",
    "Network._handle": "message handling at an agency (agencies: handling, staff, hours)",
    "Movement._vehicle": "the vehicles of a link (movement.links: vehicles)",
    "Movement._journey": "people leaving home (movement.populations: turnout)",
    "Movement._onward": "people moving over the network (movement.links)",
    "Simulation._fire_at": "injects (injects)",
}
"""Model processes by generator name, as the part of the scenario a user can change."""


def _part_of_model(event: simpy.Event) -> str:
    """The part of the scenario whose process the next event resumes, in words."""
    for callback in getattr(event, "callbacks", None) or ():
        process = getattr(callback, "__self__", None)
        if isinstance(process, simpy.Process):
            generator = process._generator
            while getattr(generator, "gi_yieldfrom", None) is not None:  # the innermost `yield from`
                generator = generator.gi_yieldfrom
            name = getattr(generator, "__qualname__", process.name)
            return _PARTS.get(name, name.rsplit(".", 1)[-1].strip("_").replace("_", " "))
    return "the model"


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the run's loop runs (as it was before, however the loop ends).

    A run keeps thousands of records (its event log) and makes tens of thousands of short-lived
    SimPy events: the collector, triggered by that allocation alone, walked them over and over
    (about 7 % of a bundled run) to find nothing, as the model makes no reference cycles while it
    runs (tests/unit/test_engine_speed.py checks the bundled scenarios). So pausing it frees no
    memory later than it would have; it runs again as usual between slices of a run and after
    it. A caller that turned it off keeps it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _CountingEnvironment(simpy.Environment):
    """The run's SimPy environment, with two jobs done in one `step()` (it runs for every
    model event, so one override instead of two stacked ones):

    - it counts the model events SimPy has processed, so a replay can stop at exactly
      the point where a person acted, even between two events of the same instant.
      `run(until=...)` adds bookkeeping that depends on how a run was sliced: its
      stop event raises out of `step()` (never counted), and SimPy 4.1.2 then puts
      that event back at the head of the queue (priority -1, below every model
      event) to finish its callbacks when the run resumes; where it does, the first
      step after a stopped run is bookkeeping and is not counted either. Only
      SimPy's public API is used for this; tests/unit/test_packaging.py checks the
      behaviour it relies on, so a SimPy release that changes it fails there;
    - it stops a zero-time loop: past `max_per_instant` steps at one simulated
      instant, `step()` raises `ModelError` naming the part of the model that keeps
      scheduling itself, instead of spinning (and growing the log) for ever.
    """

    now = property(
        operator.attrgetter("_now"), doc="The current simulation time (SimPy's, read without a Python call)."
    )
    """SimPy's `now` reads `_now` through a Python function; the run reads the clock tens of
    thousands of times, so this reads the same attribute through a C getter."""

    steps = 0
    _leftover = False
    """True while the stopped `until` event SimPy put back is still queued."""
    _requeues = _simpy_requeues_stopped_runs()

    def __init__(
        self,
        initial_time: float = 0.0,
        describe_time: Callable[[float], str] = format_duration,
        max_per_instant: int = MAX_STEPS_PER_INSTANT,
    ) -> None:
        super().__init__(initial_time=initial_time)
        # SimPy binds `timeout`, `event`, `process`, ... to the instance only for names in the
        # instance's own class `__dict__`, which a subclass's is not: without this, every
        # `env.timeout(...)` of the run goes through a descriptor (thousands a run).
        for name, attribute in vars(simpy.Environment).items():
            if type(attribute) is simpy.core.BoundClass:
                setattr(self, name, getattr(self, name))
        self.max_per_instant = max_per_instant
        self._describe_time = describe_time
        self._instant = initial_time
        self._at_instant = 0

    def timeout(self, delay: float = 0, value: Any = None) -> simpy.Timeout:
        """`simpy.Environment.timeout`, built in one step instead of three calls (the bound class,
        `Timeout.__init__`, `schedule`): the run creates thousands. The event is a `simpy.Timeout`
        with the attributes SimPy's constructor sets, queued exactly where `schedule` would put it,
        so runs are unchanged (tests/unit/test_run_cost.py compares it with SimPy's own)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = _new_event(_Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        _heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def event(self) -> simpy.Event:
        """`simpy.Environment.event`, built without the bound class's extra call (as `timeout`)."""
        event = _new_event(_Event)
        event.env = self
        event.callbacks = []
        return event

    def process(self, generator: Any) -> simpy.Process:
        """`simpy.Environment.process`, built in one step (as `timeout`): every cohort moving on from a
        place is a process of its own, thousands a run. The process and the `Initialize` event that
        starts it are SimPy's, with the attributes their constructors set, and the start is queued
        where SimPy's would be (tests/unit/test_run_cost.py compares them)."""
        if not hasattr(generator, "throw"):
            raise ValueError(f"{generator} is not a generator.")
        process = _new_event(_Process)
        process.env = self
        process.callbacks = []
        process._generator = generator
        start = _new_event(_Initialize)
        start.env = self
        start.callbacks = [process._resume]
        start._value = None
        start._ok = True
        process._target = start
        _heappush(self._queue, (self._now, URGENT, next(self._eid), start))
        return process

    def run(self, until: Any = None) -> Any:
        already_done = isinstance(until, simpy.Event) and until.processed  # SimPy returns at once: no stop
        with _cycle_collector_paused():
            value = self._run(until)
        if until is not None and not already_done and self._requeues:
            self._leftover = True
        return value

    def _run(self, until: Any) -> Any:
        """`simpy.Environment.run`, with `step()`'s bookkeeping done in its loop.

        SimPy's loop calls `self.step()`, which would run this class's `step` and then
        SimPy's: two calls for every event of the run. This loop calls SimPy's `step`
        directly, with the same checks around it; the `until` handling is SimPy's own
        (tests/unit/test_packaging.py and tests/unit/test_run_cost.py hold both to it)."""
        if until is not None:
            if not isinstance(until, simpy.Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current simulation time")
                until = self.event()
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value  # processed already
            until.callbacks.append(simpy.core.StopSimulation.callback)
        step = simpy.Environment.step  # looked up here, not at import: whoever wraps it (a benchmark) sees every step
        queue = self._queue
        limit = self.max_per_instant
        if self._leftover:  # SimPy's bookkeeping from the last stopped run comes first: not counted
            self._leftover = False
            self._count_instant()
            try:
                step(self)
            except simpy.core.StopSimulation as stop:
                return stop.args[0]
            except simpy.core.EmptySchedule:
                pass  # the loop below says what an empty queue means
        # The counters live in locals while the loop runs (written back however it ends): the
        # loop runs for every event, and nothing reads them before the run returns.
        instant, at_instant, steps = self._instant, self._at_instant, self.steps
        try:
            while True:
                if queue:
                    when = queue[0][0]
                    if when != instant:
                        instant, at_instant = when, 1
                    else:
                        at_instant += 1
                        if at_instant > limit:
                            self._instant, self._at_instant = instant, at_instant
                            raise self._stopped_advancing(when)
                step(self)  # the `until` event's StopSimulation raises here, uncounted
                steps += 1
        except simpy.core.StopSimulation as stop:
            return stop.args[0]
        except simpy.core.EmptySchedule:
            if until is not None:
                raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {until}') from None
        finally:
            self._instant, self._at_instant, self.steps = instant, at_instant, steps
        return None

    def step(self) -> None:
        self._count_instant()
        bookkeeping, self._leftover = self._leftover, False
        simpy.Environment.step(self)  # the `until` event's StopSimulation raises here, uncounted
        if not bookkeeping:
            self.steps += 1

    def _count_instant(self) -> None:
        """Count the next step against its instant; past `max_per_instant`, stop the run."""
        queue = self._queue
        if queue:
            when = queue[0][0]
            if when != self._instant:
                self._instant, self._at_instant = when, 1
            else:
                self._at_instant += 1
                if self._at_instant > self.max_per_instant:
                    raise self._stopped_advancing(when)

    def _stopped_advancing(self, when: float) -> ModelError:
        return ModelError(
            f"time stopped advancing at {self._describe_time(when)}: more than "
            f"{self.max_per_instant:,} model steps at one instant in {_part_of_model(self._queue[0][3])}"
        )


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
    consequences: tuple[str | None, ...] = ()
    """Each option's one-line `consequence:` (None where it has none), in option order."""


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
class StateView:
    """One state variable as the console shows it."""

    id: str
    title: str
    unit: str
    value: float
    min: float | None
    max: float | None


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
class SpanView:
    """One of the scenario's `span` metrics as it stands now: a row of the console's seams panel."""

    id: str
    title: str
    started_at: float | None
    """Scenario minute its start first held; None while it has not."""
    hours: float | None
    """Its value once its end has held too; None while it runs or has not started."""


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
    state: tuple[StateView, ...] = ()
    """The scenario's state variables, in declaration order."""
    spans: tuple[SpanView, ...] = ()
    """The scenario's `span` metrics, in declaration order."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run produced: configuration echo, inputs, the event log and metrics."""

    scenario: str
    seed: int
    reforms: tuple[str, ...]
    events: tuple[SimEvent, ...]
    inputs: tuple[Input, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    forced: Mapping[str, tuple[str, float | None]] = field(default_factory=dict)
    """Decisions taken by a script (`--decide`): id -> (option, delay in minutes or None for the
    modelled delay). Echoed beside `reforms`, as it changes the run as much."""

    def summary(self) -> dict[str, Any]:
        """The JSON shape of `ttxsim run --json` (design.md), plus `forced` (docs/cli.md)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "reforms": list(self.reforms),
            "forced": {
                decision: {"option": option, "delay_hours": None if delay is None else round(delay / 60, 4)}
                for decision, (option, delay) in self.forced.items()
            },
            "events": len(self.events),
            "metrics": self.metrics,
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), sort_keys=False)

    def events_frame(self):
        """The event log as a pandas DataFrame, one row per event (`sim.frames.events_frame`; needs pandas)."""
        from sim.frames import events_frame

        return events_frame(self.events)


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
        forced: Mapping[str, tuple[str, float | None]] | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.reforms = tuple(reforms)
        self.clock = Clock(scenario.scenario.start)
        self.horizon = scenario.scenario.horizon
        self._env = _CountingEnvironment(
            self.clock.offset, lambda env_time: self.clock.label(self.clock.to_scenario(env_time))
        )
        self._bus = EventBus(self._now, list(sinks))
        self._streams = RandomStreams(seed)
        self._inputs: list[Input] = []
        self._fired: dict[str, float] = {}
        self._messages: dict[str, tuple[str, str, str, float]] = {}
        """Players' messages by id: (sender, to, text, sent at)."""
        self._human_roles = set(human_roles)
        self._check_bounds(scenario)
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
        self._consequences = Consequences(
            Context(self._env, self._streams, self._bus.emit, self._now),
            scenario,
            fire=lambda inject_id: self._fire(scenario.inject(inject_id), manual=False),
            network=self._network,
            review=self._board.review,
        )
        self._board.gate = self._consequences.decision_ready
        self._board.forced = dict(forced or {})
        self._movement = None
        if scenario.movement is not None:
            from sim.domain.movement import Movement

            self._movement = Movement(self._consequences.ctx, scenario.movement)
            self._consequences.attach_movement(self._movement)
        self._span_cache: tuple[tuple[int, float], tuple[SpanView, ...]] | None = None
        """The last `_spans()` and the (event count, time) it was computed at: a paused console redraws often."""
        self._span_facts = FactIndex()
        """The log's events indexed by what they change, grown as the log grows (see `_spans`)."""
        self._bus.emit(
            Kind.run_started,
            "engine",
            None,
            scenario=scenario.scenario.id,
            seed=seed,
            reforms=list(self.reforms),
            humans=sorted(self._human_roles),
            **({"forced": {k: list(v) for k, v in sorted(self._board.forced.items())}} if forced else {}),
        )
        for inject in scenario.injects:
            if inject.at is not None:
                self._env.process(self._fire_at(inject, inject.at))
        self._consequences.start()
        if self._movement is not None:
            self._movement.start()
        self._board.start()

    @staticmethod
    def _check_bounds(scenario: Scenario) -> None:
        """Refuse a run whose length alone would exhaust time or memory. The loader
        already refuses these values; a scenario built in code or patched after
        loading meets the same bound here."""
        horizon = scenario.scenario.horizon
        if not math.isfinite(horizon) or horizon > MAX_HORIZON:
            raise ModelError(
                f"the horizon of {format_duration(horizon)} is longer than the {format_duration(MAX_HORIZON)} a run may last"
            )

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
        with self._model_failures():
            if target > self._env.now:
                self._env.run(until=target)
            while self._env.peek() <= target:
                self._env.step()
        return self._bus.log[mark:]

    @contextmanager
    def _model_failures(self) -> Iterator[None]:
        """Any failure inside the model becomes one `ModelError` sentence with the
        simulated time: the user sees what failed and when, never an exception name."""
        try:
            yield
        except ModelError:
            raise
        except Exception as error:  # a model bug or an extreme value the schema let through
            failed_sink = self._bus.sink_error
            if failed_sink is not None and failed_sink in (error, error.__cause__):
                raise  # a sink's own failure (journal, output file): its caller explains it
            raise ModelError(f"the model failed at {self.clock.label(self.now)}: {error}") from error

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
        """Fire an inject now (from the MSEL, the library or built ad hoc).

        Raises:
            InputError: the inject names an agency, place, hub, state variable or
                inject this scenario does not have; nothing is recorded, so a
                journal never holds it.
        """
        self._check_inject(inject)
        self._record_input("inject", inject.model_dump(mode="json", by_alias=True, exclude_none=True))
        with self._model_failures():
            return self._fire(inject, manual=True)

    def _check_inject(self, inject: Inject) -> None:
        """Refuse an inject the model could not carry out, before it is recorded: its
        sender and recipients must be agencies, and its effects must name things the
        scenario has (the one check `validate` runs on effects, via `refuse_unknown`)."""
        agencies = self._network.agencies
        unknown = [a for a in inject.to if a not in agencies]
        if inject.from_ != SIMCELL and inject.from_ not in agencies:
            unknown.insert(0, inject.from_)
        if unknown:
            names = ", ".join(repr(a) for a in dict.fromkeys(unknown))
            raise InputError(f"inject {inject.id!r} names agencies this scenario does not have: {names}")
        try:
            self._consequences.refuse_unknown(list(inject.effects), f"inject {inject.id!r}")
        except ValueError as error:
            raise InputError(str(error)) from None

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
            InputError: unknown agency, a message to oneself, or empty/too long text.
        """
        agencies = self._network.agencies
        if sender not in agencies or to not in agencies:
            raise InputError(f"unknown agency {sender if sender not in agencies else to!r}")
        if sender == to:
            raise InputError("a message needs another agency as recipient")
        if not text.strip() or len(text) > MESSAGE_LIMIT:
            raise InputError(f"a message holds 1 to {MESSAGE_LIMIT} characters")
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

    def evaluate(self, target: str, rating: str, evaluator: str, comment: str = "") -> None:
        """An evaluator's HSEEP rating (P/S/M/U) of a decision or inject, kept with the inputs.

        It changes nothing in the run; the debrief and the after-action report
        show it in place of the derived rating (`sim.analysis.ratings`).

        Raises:
            ValueError: unknown decision or inject, a rating other than P/S/M/U, or no evaluator name.
        """
        known = {d.id for d in self.scenario.decisions} | {i.id for i in self.scenario.injects} | set(self._fired)
        if target not in known:
            raise ValueError(f"no decision or inject {target!r} in this scenario")
        if rating not in ("P", "S", "M", "U"):
            raise ValueError(f"rating must be P, S, M or U, not {rating!r}")
        if not evaluator.strip():
            raise ValueError("an evaluation needs the evaluator's name")
        payload = {"target": target, "rating": rating, "evaluator": evaluator.strip(), "comment": comment}
        self._record_input("evaluation", payload)

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
                with self._model_failures():
                    self._env.step()
            if self.clock.to_env(item.time) > self._env.now:
                with self._model_failures():
                    self._env.run(until=self.clock.to_env(item.time))
        if item.kind == "inject":
            self.apply(Inject.model_validate(item.payload))
        elif item.kind == "decision":
            self.decide(item.payload["decision"], item.payload["option"], item.payload["role"])
        elif item.kind == "note":
            self.note(item.payload["text"], item.payload["author"])
        elif item.kind == "message":
            self.message(item.payload["from"], item.payload["to"], item.payload["text"])
        elif item.kind == "evaluation":
            payload = item.payload
            self.evaluate(payload["target"], payload["rating"], payload["evaluator"], payload.get("comment", ""))
        else:
            raise ValueError(f"unknown input kind {item.kind!r}")

    # -- injects -------------------------------------------------------------
    def _fire_at(self, inject: Inject, when: float):
        yield self._env.timeout(max(0.0, when - self.now))
        # Fired early by hand: "fire now" replaces the schedule; cancelled by an effect: withdrawn.
        if inject.id not in self._fired and not self._consequences.is_cancelled(inject.id):
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
        self._consequences.inject_fired(inject.id)
        fact = Fact("inject", inject.id)
        for agency in inject.to:
            if inject.from_ in self._network.agencies:
                self._network.send(fact, inject.from_, agency)
            else:
                self._network.deliver_from_outside(fact, agency)
        self._consequences.effects.apply_all(inject.effects, f"inject:{inject.id}")
        return event

    # -- decisions -------------------------------------------------------------
    def _learned(self, agency_id: str, fact: Fact) -> None:
        self._board.learned(agency_id, fact)

    def _decision_taken(self, state: DecisionState) -> None:
        decision_id, option = state.spec.id, state.option
        self._consequences.decision_taken(decision_id, option)
        for inject in self.scenario.injects:
            trigger = inject.trigger
            if trigger and trigger.decision == decision_id and (trigger.options is None or option in trigger.options):
                self._env.process(self._fire_at(inject, self.now + inject.delay))

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
                tuple(o.consequence for o in s.spec.options),
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
            state=tuple(
                StateView(v.id, v.title or v.id, v.unit, self._consequences.state.value(v.id), v.min, v.max)
                for v in self.scenario.state
            ),
            spans=self._spans(),
        )

    def _spans(self) -> tuple[SpanView, ...]:
        """The scenario's span metrics so far, by the rule `run --json` computes them with."""
        key = (len(self._bus.log), self.now)
        if self._span_cache is not None and self._span_cache[0] == key:
            return self._span_cache[1]
        out = []
        facts = self._span_facts
        facts.update(self._bus.log)
        for metric in self.scenario.metrics:
            if isinstance(metric, SpanMetric):
                started, hours = span_progress(metric, facts.about(metric.start, metric.end), self.now)
                out.append(SpanView(metric.id, metric.title or metric.id, started, hours))
        self._span_cache = (key, tuple(out))
        return self._span_cache[1]

    def metrics(self) -> dict[str, Any]:
        scenario = self.scenario
        return {
            **({"movement": self._movement.metrics()} if self._movement is not None else {}),
            "decisions": {s.spec.id: _decision_row(s) for s in self._board.states.values()},
            **run_metrics(scenario, self._bus.log, self.now),  # the scenario's own metrics (sim.analysis.metrics)
        }

    def result(self) -> RunResult:
        return RunResult(
            scenario=self.scenario.scenario.id,
            seed=self.seed,
            reforms=self.reforms,
            events=tuple(self._bus.log),
            inputs=tuple(self._inputs),
            metrics=self.metrics(),
            forced=dict(self._board.forced),
        )


def _hours_or_none(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 4)


def _decision_row(state: DecisionState) -> dict[str, Any]:
    """One decision in `run --json` (docs/cli.md). `option`, `by` and `taken_hours` are its last
    taking; a repeatable decision (`repeat:`) also says how many times it was taken (`times`) and
    when first (`first_taken_hours`), and one taken and due again says `reopened` rather than
    `waiting`/`pending`, so its option does not read as an answer still to come."""
    row: dict[str, Any] = {
        "status": "reopened" if state.reopened else state.status,
        "option": state.option,
        "by": state.by,
        "came_up_hours": _hours_or_none(state.came_up_at),
        "taken_hours": _hours_or_none(state.taken_at),
    }
    if state.spec.repeat is not None:
        row["times"] = state.times
        row["first_taken_hours"] = _hours_or_none(state.first_taken_at)
    return row
