"""The shortcuts that make a run cheaper give the answers the plain computation gives.

Each test computes one thing twice: the way the run does it now (indexed, skipped,
inlined) and the straightforward way (every event, every metric on its own), and
compares the two on real runs of the bundled scenarios.
"""

from __future__ import annotations

import pytest
import simpy

from sim.analysis.metrics import metric_value, scenario_metrics
from sim.domain.conditions import Facts, first_held, holds, subject_of, subjects, time_points
from sim.errors import ModelError
from sim.scenario.consequences import SpanMetric
from sim.simulation import Simulation, _CountingEnvironment


@pytest.fixture(scope="module")
def run(sakishima):
    return Simulation(sakishima, seed=2).run()


def _first_held_replaying_everything(cond, events, end, not_before=0.0):
    """`first_held` as it was: every event recorded, every due time checked before every event."""
    facts = Facts()
    watched = set(subjects(cond))
    due = sorted({0.0, not_before, *(t for t in time_points(cond, facts) if t <= end)})
    checked: set[float] = set()
    held: list[float] = []

    def check_due(before, inclusive):
        while due and (due[0] < before or (inclusive and due[0] <= before)):
            t = due.pop(0)
            checked.add(t)
            if holds(cond, facts, t):
                held.append(t)

    for event in events:
        if event.time > end:
            break
        check_due(event.time, inclusive=False)
        subject = facts.record(event)
        if subject in watched:
            if holds(cond, facts, event.time):
                held.append(event.time)
            for t in time_points(cond, facts):
                if event.time <= t <= end and t not in checked and t not in due:
                    due.append(t)
            due.sort()
    check_due(end, inclusive=True)
    return next((t for t in held if t >= not_before), None)


def test_every_scenario_metric_is_what_it_is_over_the_whole_stream(sakishima, run):
    """`scenario_metrics` hands each metric only the events of its kind or subjects."""
    end = run.events[-1].time
    indexed = scenario_metrics(sakishima.metrics, run.events, end)
    plain = {m.id: metric_value(m, run.events, end) for m in sakishima.metrics}
    assert indexed == plain
    assert any(v is not None for v in plain.values())


def test_the_live_span_view_is_the_spans_over_the_whole_log_as_the_log_grows(sakishima):
    """`Simulation.view()` replays each span over the events it reads, indexed as the log grows
    (a console redraws at every step): the same start and hours as over the whole log, at every
    point of a run, spans starting and ending along the way."""
    from sim.analysis.metrics import span_progress

    sim = Simulation(sakishima, seed=2)
    spans = [m for m in sakishima.metrics if isinstance(m, SpanMetric)]
    seen_running = seen_done = False
    for hours in (0.5, 6, 24, 48, 70, 100, 160, 240, 504):
        sim.advance(hours * 60.0)
        live = {s.id: (s.started_at, s.hours) for s in sim.view().spans}
        plain = {m.id: span_progress(m, sim.events, sim.now) for m in spans}
        assert live == plain
        seen_running |= any(start is not None and value is None for start, value in plain.values())
        seen_done |= any(value is not None for _, value in plain.values())
    assert seen_running and seen_done


def test_conditions_skip_events_about_other_subjects_with_the_same_result(sakishima, run):
    """`first_held` skips events whose subject the condition does not read."""
    end = run.events[-1].time
    conditions = [m.when for m in sakishima.metrics if getattr(m, "when", None) is not None]
    conditions += [c for m in sakishima.metrics if isinstance(m, SpanMetric) for c in (m.start, m.end)]
    conditions += [d.when for d in sakishima.decisions if d.when is not None]
    assert len(conditions) > 20
    found = 0
    for cond in conditions:
        for not_before in (0.0, end / 3):
            fast = first_held(cond, run.events, end, not_before)
            assert fast == _first_held_replaying_everything(cond, run.events, end, not_before), cond
            found += fast is not None
    assert found > 5


def test_subject_of_is_what_recording_the_event_reports(run):
    facts = Facts()
    for event in run.events:
        assert subject_of(event) == facts.record(event)


def _queued(env):
    return [
        (when, priority, eid, type(event), event.callbacks, event._value, event._ok)
        for when, priority, eid, event in env._queue
    ]


def test_the_runs_timeouts_and_events_are_what_simpy_makes():
    """The run's environment builds timeouts and events itself (cheaper): the same objects, queued alike."""
    ours, plain = _CountingEnvironment(10.0), simpy.Environment(10.0)
    made = []
    for env in (ours, plain):
        env.event()
        made.append((env.timeout(5, value="v"), env.timeout(0), env.event(), env.timeout(2.5)))
    assert _queued(ours) == _queued(plain)
    for mine, simpys in zip(*made, strict=True):
        assert type(mine) is type(simpys)
        assert {k: v for k, v in vars(mine).items() if k != "env"} == {
            k: v for k, v in vars(simpys).items() if k != "env"
        }
        assert mine.env is ours
    with pytest.raises(ValueError, match="Negative delay"):
        ours.timeout(-1)


def test_the_runs_processes_are_what_simpy_makes():
    """The run's environment builds a process and the event that starts it itself: the same objects,
    queued alike, started alike."""
    ours, plain = _CountingEnvironment(10.0), simpy.Environment(10.0)

    def story(env):
        yield env.timeout(1)

    made = []
    for env in (ours, plain):
        env.timeout(0)
        made.append(env.process(story(env)))

    def without_callbacks(env):  # the start's callback is its own process's: compared below
        return [row[:4] + row[5:] for row in _queued(env)]

    assert without_callbacks(ours) == without_callbacks(plain)
    mine, simpys = made
    assert type(mine) is type(simpys) and type(mine._target) is type(simpys._target)
    assert mine._target.callbacks == [mine._resume] and simpys._target.callbacks == [simpys._resume]
    assert (mine.callbacks, mine._value, mine.is_alive) == (simpys.callbacks, simpys._value, simpys.is_alive)
    for env in (ours, plain):
        env.run()
    assert (mine.ok, mine.value, ours.now) == (simpys.ok, simpys.value, plain.now)
    with pytest.raises(ValueError, match="is not a generator"):
        ours.process(lambda: None)


def test_a_process_waits_on_the_runs_timeouts_and_events():
    env = _CountingEnvironment(0.0)
    seen = []

    def sleeper():
        slept = yield env.timeout(3, value="slept")
        seen.append((env.now, slept))
        poke = env.event()
        env.timeout(2).callbacks.append(lambda _e: poke.succeed("poked"))
        poked = yield poke
        seen.append((env.now, poked))

    env.process(sleeper())
    env.run()
    assert seen == [(3, "slept"), (5, "poked")]
    assert env.steps == 5  # initialize, timeout, timeout, poke, the process ending


def _spinner(env):
    while True:
        yield env.timeout(0)


@pytest.mark.parametrize("drive", ["run", "step"])
def test_a_loop_that_never_lets_time_advance_stops_the_run_however_it_is_driven(drive):
    env = _CountingEnvironment(0.0, max_per_instant=50)
    env.process(_spinner(env))
    with pytest.raises(
        ModelError, match=r"time stopped advancing .* more than 50 model steps at one instant in spinner"
    ):
        if drive == "run":
            env.run(until=10)
        else:
            for _ in range(100):
                env.step()
    assert env.steps == 50


def test_run_until_an_event_returns_its_value_and_fails_if_it_never_comes():
    env = _CountingEnvironment(0.0)
    done = env.timeout(4, value="done")
    assert env.run(until=done) == "done"
    assert env.run(until=done) == "done"  # processed already: at once
    with pytest.raises(RuntimeError, match="No scheduled events left"):
        env.run(until=env.event())
    with pytest.raises(ValueError, match="must be greater than the current simulation time"):
        env.run(until=2)


def _all_routes(network):
    ids = list(network.agencies)
    return {(a, b): network.route(a, b, "x") for a in ids for b in ids if a != b}


def test_runs_of_one_scenario_share_its_routes_and_find_the_same_paths(monkeypatch):
    """Paths are searched once per routing, not once per run; a reform that changes routing gets its own."""
    from sim.domain import comms
    from sim.scenario.bundled import default_scenario
    from sim.scenario.loader import load_scenario

    base = load_scenario(default_scenario())
    reformed = load_scenario(default_scenario(), ["integrated_authority", "bilateral_cell"])
    first, second = _network_of(base), _network_of(load_scenario(default_scenario()))
    assert first._routes is second._routes
    shared = _all_routes(first), _all_routes(_network_of(reformed))
    monkeypatch.setattr(comms, "_ROUTES", {})  # every path searched afresh
    assert (_all_routes(_network_of(base)), _all_routes(_network_of(reformed))) == shared
    assert shared[0] != shared[1]


def _network_of(scenario):
    from sim.domain.comms import Network
    from sim.engine.streams import RandomStreams

    env = simpy.Environment()
    return Network(env, scenario, RandomStreams(1), lambda *a, **k: None, lambda: env.now, lambda *a: None)


class _SimpyDesks(simpy.Resource):
    """The desks as they were: a SimPy resource whose size can change."""

    def __init__(self, env, size):
        self._size = size
        super().__init__(env, capacity=size)

    @property
    def capacity(self):
        return self._size

    def resize(self, size):
        self._size = size
        self._trigger_put(None)


def _desk_story(make_desks):
    """Messages arrive, queue, hold desks, give up waiting; the staff shrinks and grows meanwhile."""
    from sim.engine.streams import RandomStreams

    env = _CountingEnvironment(0.0)
    desks = make_desks(env, 2)
    rng = RandomStreams(7).stream("desks")
    log = []

    def message(n, arrive, hold, give_up):
        yield env.timeout(arrive)
        with desks.request() as desk:
            wait = env.timeout(give_up)
            yield desk | wait
            if not desk.triggered:
                log.append((env.now, n, "gave up"))
                return
            log.append((env.now, n, "desk"))
            yield env.timeout(hold)
        log.append((env.now, n, "done"))

    def staffing():
        for size in (1, 3, 0, 2, 4, 1):
            yield env.timeout(7)
            desks.resize(size)
            log.append((env.now, "staff", size))

    for n in range(40):
        env.process(message(n, rng.uniform(0, 60), rng.choice([1, 3, 5, 8]), rng.choice([2, 10, 100])))
    env.process(staffing())
    env.run(until=200)
    return log, env.steps


def test_desks_grant_as_the_simpy_resource_they_replace_event_for_event():
    from sim.domain.comms import Desks

    ours, simpys = _desk_story(Desks), _desk_story(_SimpyDesks)
    assert ours == simpys
    log, _steps = ours
    assert {entry[2] for entry in log if entry[1] != "staff"} == {"desk", "done", "gave up"}


def _log(scenario, seed, **options):
    return [
        (e.time, str(e.kind), e.source, e.target, e.data)
        for e in Simulation(scenario, seed=seed, **options).run().events
    ]


@pytest.mark.parametrize(
    ("path", "reforms"),
    [
        ("scenarios/sakishima.yaml", ()),
        pytest.param(  # a second whole Sakishima run pair (~1.5 s on a quiet 2-core machine): slow set
            "scenarios/sakishima.yaml",
            ("integrated_authority", "early_evacuation", "bilateral_cell"),
            marks=pytest.mark.slow,
        ),
        ("scenarios/senkaku.yaml", ()),
        ("scenarios/tsunami.yaml", ()),
        ("tests/data/consequences.yaml", ()),
        ("tests/data/minimal.yaml", ()),
    ],
)
def test_learning_a_fact_reviews_only_the_decisions_that_require_it(monkeypatch, path, reforms):
    """Reviewing every decision of the agency on each fact it learns (as before) brings up the same ones."""
    from pathlib import Path

    from sim.domain.decisions import DecisionBoard
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[2] / path, reforms)
    fast = [_log(scenario, seed) for seed in (1, 2, 3, 4)]
    monkeypatch.setattr(DecisionBoard, "learned", lambda board, agency, _fact: board.review(agency))
    assert [_log(scenario, seed) for seed in (1, 2, 3, 4)] == fast
    assert any(e[1] == "decision_taken" for log in fast for e in log)


def test_the_bus_builds_the_same_frozen_records_its_constructor_would(monkeypatch):
    import dataclasses

    from sim.engine import bus
    from sim.events import Kind, SimEvent

    made = bus.EventBus(lambda: 12.5).emit(
        Kind.cohort_departed, "ishigaki_residents", "fukuoka_airport", link="x", people=150
    )
    built = SimEvent(
        0, 12.5, Kind.cohort_departed, "ishigaki_residents", "fukuoka_airport", {"link": "x", "people": 150}
    )
    assert made == built and made.to_json() == built.to_json()
    assert repr(made) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.time = 0.0  # type: ignore[misc]
    assert type(made) is SimEvent and bus._DRAFTS  # filled as a draft for today's SimEvent
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.data = {}  # type: ignore[misc]
    monkeypatch.setattr(bus, "_DRAFTS", False)  # as for a different record: its own constructor
    by_constructor = bus.EventBus(lambda: 12.5).emit(
        Kind.cohort_departed, "ishigaki_residents", "fukuoka_airport", link="x", people=150
    )
    assert by_constructor == made and repr(by_constructor) == repr(made)
    monkeypatch.setattr(bus, "_FIELDS", (*bus._FIELDS, "extra"))
    assert not bus._drafts_fit()  # a different record is not filled as a draft


def test_the_runs_clock_reads_what_simpy_reads_and_cannot_be_set():
    ours, plain = _CountingEnvironment(3.5), simpy.Environment(3.5)
    assert ours.now == plain.now == 3.5
    for env in (ours, plain):
        env.timeout(4.25)
        env.run(until=9)
    assert ours.now == plain.now == 9
    with pytest.raises(AttributeError):
        ours.now = 1.0  # type: ignore[misc]
