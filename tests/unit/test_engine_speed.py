"""The engine's shortcuts outside the movement model give what the plain computation gives.

Each test computes one thing twice, the way the run does it now (a step looked up once,
a call inlined, a list indexed by kind, a draw dispatched by type) and the straightforward
way it was done before, and compares the two exactly.
"""

from __future__ import annotations

import gc
import math
import random
import weakref
from pathlib import Path

import pytest
import simpy

from sim.analysis.metrics import count, event_time, scenario_metrics
from sim.engine.release import (
    DAY,
    Release,
    after_open_minutes,
    after_open_minutes_in,
    open_minutes,
    window_stretch,
)
from sim.engine.signals import Signal, any_of, first_of
from sim.engine.streams import RandomStreams, derive_seed, sample_labelled
from sim.errors import ModelError
from sim.scenario.consequences import CountMetric, EventTimeMetric
from sim.scenario.loader import load_scenario
from sim.scenario.types import Empirical, Exponential, Fixed, LogNormal, Mixture, Triangular, Uniform
from sim.simulation import Simulation, _CountingEnvironment

ROOT = Path(__file__).resolve().parents[2]

WINDOWS = [(0.0, DAY), (360.0, 1320.0), (420.0, 1080.0), (0.0, 600.0), (900.0, 1439.0)]


# -- release ----------------------------------------------------------------------------------------------
def _after_open_minutes_as_it_was(t, minutes, open_at, close_at):
    """`after_open_minutes` written out in one piece, as it was before the stretch was shared."""
    if close_at - open_at >= DAY:
        return t + minutes
    start, until = window_stretch(t, open_at, close_at)
    if minutes <= until - start:
        return start + minutes
    length = close_at - open_at
    minutes -= until - start
    days = math.ceil(minutes / length)
    return until - close_at + days * DAY + open_at + (minutes - (days - 1) * length)


def test_the_due_time_from_a_shared_stretch_is_the_due_time():
    rng = random.Random(7)
    checked = 0
    for open_at, close_at in WINDOWS:
        for _ in range(400):
            t = rng.choice([rng.uniform(0, 5 * DAY), float(rng.randrange(0, 5) * DAY + open_at), close_at - 1e-7])
            minutes = rng.choice([0.0, rng.uniform(0, 60), rng.uniform(0, 3 * DAY)])
            plain = _after_open_minutes_as_it_was(t, minutes, open_at, close_at)
            assert after_open_minutes(t, minutes, open_at, close_at) == plain
            assert after_open_minutes_in(*window_stretch(t, open_at, close_at), minutes, open_at, close_at) == plain
            checked += 1
    assert checked == 2000


class _ReleaseAsItWas(Release):
    """`Release.replan` as it was: booking even when no time passed, the stretch looked up twice."""

    __slots__ = ()

    def replan(self) -> None:
        now = self._env.now
        if self._rate_now > 0.0:
            self._credit += self._rate_now * open_minutes(self._last, now, self._open, self._close)
        self._last = now
        supply = self._available()
        rate = self._rate() if supply > 0 else 0.0
        rate = rate if rate > 0.0 and math.isfinite(rate) else 0.0
        self._rate_now = rate
        if rate == 0.0:
            self._plan += 1
            self._wake_at = math.inf
            return
        target = min(self._batch, supply)
        due = _after_open_minutes_as_it_was(now, max(0.0, target - self._credit) / rate, self._open, self._close)
        _start, close = window_stretch(now, self._open, self._close)
        at = min(due, close)
        if not math.isfinite(at):
            self._plan += 1
            self._wake_at = math.inf
            return
        owed_then = target if due <= close else 0.0
        if at == self._wake_at and owed_then == self._due and at > now:
            return
        self._plan += 1
        self._wake_at = at
        self._due = owed_then
        self._env.timeout(max(0.0, at - now), self._plan).callbacks.append(self._wake)


def _releases(kind: type[Release], seed: int, window: tuple[float, float]) -> list[tuple[float, int, float]]:
    """(time, people, owed after) of every release of a crowd whose rate and supply change at random."""
    rng = random.Random(seed)
    env = simpy.Environment()
    crowd = {"left": rng.randrange(50, 3000), "rate": rng.uniform(0.05, 5.0)}
    log: list[tuple[float, int, float]] = []

    def release(n: int) -> None:
        taken = min(n, crowd["left"], rng.randrange(1, 200))  # a terminal may turn some away
        crowd["left"] -= taken
        log.append((env.now, taken, round(flow.owed, 9)))

    flow = kind(env, rng.randrange(1, 60), window, lambda: crowd["rate"], lambda: crowd["left"], release)
    flow.replan()

    def changes():
        for _ in range(40):
            yield env.timeout(rng.choice([0.0, rng.uniform(0, 30), rng.uniform(0, 600)]))
            crowd["rate"] = rng.choice([0.0, rng.uniform(0.01, 8.0), math.inf])
            if rng.random() < 0.2:
                crowd["left"] += rng.randrange(0, 500)
            flow.replan()

    env.process(changes())
    env.run(until=20 * DAY)
    return log


@pytest.mark.parametrize("window", WINDOWS)
def test_release_lets_the_same_people_go_at_the_same_times_as_it_did(window):
    for seed in range(12):
        ours = _releases(Release, seed, window)
        assert ours == _releases(_ReleaseAsItWas, seed, window)
        assert ours


# -- signals -------------------------------------------------------------------------------------------
def test_any_of_queues_its_event_on_each_signal_as_wait_does():
    """`any_of` adds its event to each signal's waiters itself: the same waiters, pruned alike."""
    env = simpy.Environment()
    by_wait, by_any = [Signal(), Signal()], [Signal(), Signal()]
    shared = []
    for i in range(300):  # shared events set off elsewhere pile up until a wait prunes them
        event = env.event()
        for signal in by_wait:
            signal.wait(env, event)
        any_of(env, *by_any, event=event)
        shared.append(event)
        if i % 3:
            event.succeed()
    for ours, plain in zip(by_any, by_wait, strict=True):
        assert ours._waiters == plain._waiters
        assert ours._prune_at == plain._prune_at
    assert len(by_any[0]._waiters) < 300  # pruned on the way


def test_first_of_is_freed_without_the_cycle_collector_once_it_has_fired():
    """The relay clears its reference to itself: the waits it held go as soon as it fires."""
    env = simpy.Environment()
    gc.disable()
    try:
        fired, quiet = env.event(), env.event()
        done = first_of(env, fired, quiet)
        gone = weakref.ref(quiet)
        fired.succeed()
        env.run()
        assert done.processed
        del fired, quiet
        assert gone() is None
    finally:
        gc.enable()


def test_first_of_an_event_listed_twice_fires_once():
    env = simpy.Environment()
    twice = env.event()
    done = first_of(env, twice, twice)
    woken = []
    done.callbacks.append(woken.append)
    twice.succeed()
    env.run()
    assert woken == [done]


def test_a_quiet_signal_drops_exactly_the_waits_set_off_elsewhere():
    """Pruning looks at `callbacks` first (processed events) and asks `triggered` only of the rest."""
    env = simpy.Environment()
    quiet = Signal()
    waits = [quiet.wait(env) for _ in range(200)]
    for i, event in enumerate(waits):
        if i % 3 == 0:
            event.succeed()  # set off elsewhere
    env.run(until=1)  # processed: no callbacks left
    for i, event in enumerate(waits):
        if i % 3 == 1 and i % 2 == 0:
            event.succeed()  # set off, not processed yet
    pending = [e for e in quiet._waiters if not e.triggered]
    assert 0 < len(pending) < len(quiet._waiters)
    quiet._prune()
    assert quiet._waiters == pending


def test_firing_a_signal_sets_off_what_asking_triggered_first_would():
    """`fire` lets `succeed` refuse a wait set off already, instead of asking `triggered` of each: the same
    waits are set off, none twice, and those processed or set off elsewhere are left as they were."""

    def plain_fire(signal):
        waiters, signal._waiters = signal._waiters, []
        for event in waiters:
            if event.callbacks and not event.triggered:
                event.succeed()

    outcomes = []
    for fire in (Signal.fire, plain_fire):
        env = simpy.Environment()
        signal = Signal()
        waits = [signal.wait(env) for _ in range(12)]
        for i, event in enumerate(waits):
            if i % 4 != 3:
                event.callbacks.append(lambda _e: None)  # listened to (a wait nobody yields is dropped)
            if i % 4 == 0:
                event.succeed("elsewhere")  # set off before the signal fires
        env.run(until=1)  # those are processed: no callbacks left
        for i, event in enumerate(waits):
            if i % 4 == 1:
                event.succeed("same instant")  # set off, not yet processed
        fire(signal)
        env.run(until=2)
        outcomes.append([(e.processed, e.value if e.triggered else "pending") for e in waits])
        assert signal._waiters == []
    assert outcomes[0] == outcomes[1]
    assert {value for processed, value in outcomes[0] if processed} == {"elsewhere", "same instant", None}
    assert sum(processed for processed, _ in outcomes[0]) == 9  # all but the waits nobody listened to


# -- streams -------------------------------------------------------------------------------------------
DISTRIBUTIONS = [
    Fixed(value=30.0),
    Uniform(kind="uniform", low=5.0, high=90.0),
    Triangular(kind="triangular", low=1.0, mode=4.0, high=20.0),
    LogNormal(kind="lognormal", median=30.0, p90=120.0),
    Exponential(kind="exponential", mean=45.0),
    Exponential(kind="exponential", mean=0.0),
    Empirical(kind="empirical", values=[1.0, 5.0, 60.0], weights=[1.0, 2.0, 0.5]),
    Mixture.model_validate(
        {
            "kind": "mixture",
            "components": [
                {"weight": 3, "label": "by telephone", "dist": {"kind": "fixed", "value": 20}},
                {"weight": 1, "dist": {"kind": "uniform", "low": 60, "high": 600}},
            ],
        }
    ),
]


class _Hours(Fixed):
    """A distribution's subclass: drawn as the class it extends."""


def test_a_named_stream_draws_what_the_labelled_draw_gives_and_keeps_the_components():
    streams = RandomStreams(5)
    for i, dist in enumerate([*DISTRIBUTIONS, _Hours(value=12.0)]):
        rng = random.Random(derive_seed(5, f"s{i}"))
        components: list[str | None] = []
        for _ in range(50):
            value, label = sample_labelled(dist, rng)
            assert streams.sample(dist, f"s{i}") == value
            components.append(streams.components.get(f"s{i}"))
            assert components[-1] == (label if isinstance(dist, Mixture) else None)
        if isinstance(dist, Mixture):
            assert {"by telephone", None} <= set(components)
    with pytest.raises(TypeError, match="not a distribution"):
        streams.sample(object(), "s0")


def test_fixed_draws_make_no_stream_and_leave_every_stream_drawing_what_it_would():
    """A stream asked only for fixed values is never seeded; one asked for fixed and random values in turn
    gives the random ones a stream made up front gives (fixed draws take nothing from it)."""
    fixed, spread = Fixed(value=30.0), Uniform(kind="uniform", low=5.0, high=90.0)
    pattern = [fixed, fixed, spread, fixed, spread, spread, fixed, DISTRIBUTIONS[-1], fixed, spread]
    lazy = RandomStreams(7)
    eager = RandomStreams(7)
    eager.stream("mixed")  # made before any draw, as every stream was
    drawn = [(lazy.sample(dist, "mixed"), eager.sample(dist, "mixed")) for dist in pattern]
    assert all(a == b for a, b in drawn) and drawn[0] == (30.0, 30.0)
    assert lazy.components == eager.components
    assert [lazy.sample(fixed, "only_fixed") for _ in range(3)] == [30.0] * 3
    assert "only_fixed" not in lazy._streams and "mixed" in lazy._streams
    assert lazy.stream("only_fixed").random() == random.Random(derive_seed(7, "only_fixed")).random()


# -- metrics -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def events(sakishima):
    return Simulation(sakishima, seed=3).run().events


def _event_time_scanning_everything(events, metric):
    """`event_time` as it was: every event of the run compared in full, first to last."""

    def matches(event, kind, target, source):
        return str(event.kind) == kind and target in (None, event.target) and source in (None, event.source)

    origin = 0.0
    if metric.since is not None:
        since = metric.since
        first = next((e for e in events if matches(e, since.event, since.target, since.source)), None)
        if first is None:
            return None
        origin = first.time
    found = None
    for event in events:
        if event.time >= origin and matches(event, metric.event, metric.target, metric.source):
            found = event.time
            if not metric.last:
                break
    return None if found is None else round((found - origin) / 60.0, 4)


def _count_scanning_everything(events, metric):
    total = 0
    for event in events:
        if str(event.kind) != metric.event or metric.target not in (None, event.target):
            continue
        if metric.source not in (None, event.source):
            continue
        value = 1 if metric.sum is None else event.data.get(metric.sum)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += value
    return total


def _event_metrics(events):
    """Event-time and count metrics over every kind, target and source of the run, and a few misses."""
    seen = sorted({(str(e.kind), e.target, e.source) for e in events}, key=str)
    kinds = {kind for kind, _, _ in seen}
    picked = random.Random(1).sample(seen, 40) + [next(t for t in seen if t[0] == kind) for kind in sorted(kinds)]
    found = []
    for i, (kind, target, source) in enumerate(picked):
        for last in (False, True):
            for j, since in enumerate((None, {"event": "movement_started"}, {"event": kind, "target": target})):
                found.append(
                    EventTimeMetric.model_validate(
                        {"id": f"t{i}_{int(last)}_{j}", "kind": "event_time", "event": kind, "target": target}
                        | {"last": last, "since": since}
                    )
                )
        found.append(
            EventTimeMetric.model_validate({"id": f"s{i}", "kind": "event_time", "event": kind, "source": source})
        )
        found.append(CountMetric.model_validate({"id": f"c{i}", "kind": "count", "event": kind, "target": target}))
        found.append(CountMetric.model_validate({"id": f"p{i}", "kind": "count", "event": kind, "sum": "people"}))
    found.append(EventTimeMetric.model_validate({"id": "none", "kind": "event_time", "event": "no_such_kind"}))
    return found


@pytest.mark.slow
def test_event_times_and_counts_are_what_scanning_every_event_gives(events):
    metrics = _event_metrics(events)
    assert len(metrics) > 100
    end = events[-1].time
    indexed = scenario_metrics(metrics, events, end)
    for metric in metrics:
        if isinstance(metric, EventTimeMetric):
            plain = _event_time_scanning_everything(events, metric)
            assert event_time(events, metric) == plain, metric
        else:
            plain = _count_scanning_everything(events, metric)
            assert count(events, metric) == plain, metric
        assert indexed[metric.id] == plain, metric
    assert sum(v is not None and v > 0 for v in indexed.values()) > len(metrics) / 2


class _CountedPasses(list):
    """The run's events, counting how often something walks through all of them."""

    passes = 0

    def __iter__(self):
        type(self).passes += 1
        return super().__iter__()


def test_the_metrics_of_a_run_read_its_events_twice_however_many_metrics_it_declares(sakishima, events):
    """Indexing by kind and by subject once, not a scan per metric: the end of a run stays linear."""
    end = events[-1].time
    many = [*sakishima.metrics, *_event_metrics(events)]
    counted = _CountedPasses(events)
    assert scenario_metrics(many, counted, end) == scenario_metrics(many, list(events), end)
    assert len(many) > 150
    assert _CountedPasses.passes == 2


# -- the cycle collector ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [  # Sakishima, the longest run (~1.2 s on a quiet 2-core machine), in the slow set; the others by default
        pytest.param("scenarios/sakishima.yaml", marks=pytest.mark.slow),
        "scenarios/tsunami.yaml",
        "scenarios/senkaku.yaml",
    ],
)
def test_a_run_makes_no_reference_cycles_so_pausing_the_collector_keeps_nothing_longer(path):
    """The run loop pauses the cycle collector: it would have found nothing to free while the model runs."""
    simulation = Simulation(load_scenario(ROOT / path), seed=2)
    gc.collect()
    gc.disable()
    try:
        simulation.advance(simulation.horizon)
        left_for_the_collector = gc.collect()
    finally:
        gc.enable()
    assert len(simulation.events) > 100
    assert left_for_the_collector == 0


def _collector_states(env):
    seen = []

    def watcher():
        seen.append(gc.isenabled())
        yield env.timeout(1)
        seen.append(gc.isenabled())

    env.process(watcher())
    return seen


def test_the_collector_is_paused_while_the_loop_runs_and_as_it_was_after():
    env = _CountingEnvironment(0.0)
    seen = _collector_states(env)
    env.run(until=0.5)
    env.run()
    assert seen == [False, False]
    assert gc.isenabled()
    spinning = _CountingEnvironment(0.0, max_per_instant=50)
    spinning.process(_spinner(spinning))
    with pytest.raises(ModelError, match="time stopped advancing"):
        spinning.run(until=10)
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off
    try:
        env = _CountingEnvironment(0.0)
        seen = _collector_states(env)
        env.run()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False, False]


def _spinner(env):
    while True:
        yield env.timeout(0)
