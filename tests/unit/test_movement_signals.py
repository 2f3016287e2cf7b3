"""The wake-ups the movement network's cohorts and vehicles sleep on (sim.engine.signals)."""

from __future__ import annotations

import simpy

from sim.engine.signals import Signal, any_of, first_of


def _steps(env: simpy.Environment) -> int:
    """Run `env` to the end; the SimPy events it processed."""
    steps = 0
    while env.peek() != float("inf"):
        env.step()
        steps += 1
    return steps


def test_a_signal_does_not_trigger_a_wait_nobody_listens_to_any_more():
    env = simpy.Environment()
    first, second = Signal(), Signal()
    woken: list[float] = []

    def sleeper():
        yield first_of(env, first.wait(env), second.wait(env))
        woken.append(env.now)

    env.process(sleeper())
    env.run()  # the sleeper is waiting on both
    first.fire()
    assert _steps(env) == 3  # the wait on `first`, the event it relays to, the process's end
    assert woken == [0.0]
    second.fire()  # the sleeper's wait on `second` is dead: dropped, not triggered
    assert _steps(env) == 0


def test_any_of_wakes_in_one_step_on_whichever_signal_fires():
    env = simpy.Environment()
    boarding, changed = Signal(), Signal()
    woken: list[str] = []

    def sleeper():
        for _ in range(2):
            wake = any_of(env, boarding, changed)
            yield wake
            woken.append(wake.value or "signal")

    env.process(sleeper())
    env.run()
    changed.fire()
    assert _steps(env) == 1  # the shared event only, no relay
    boarding.fire()
    changed.fire()  # already set off by `boarding` this round: nothing more
    assert _steps(env) == 2  # the shared event and the process's end
    assert woken == ["signal", "signal"]


def test_any_of_is_set_off_by_the_model_or_by_its_timer():
    env = simpy.Environment()
    quiet = Signal()
    times: list[float] = []

    def by_model():
        wake = env.event()
        env.process(setter(wake))
        yield any_of(env, quiet, event=wake, within=30.0)
        times.append(env.now)

    def setter(wake):
        yield env.timeout(10.0)
        wake.succeed()

    def by_timer():
        yield any_of(env, quiet, within=30.0)
        times.append(env.now)

    env.process(by_model())
    env.process(by_timer())
    env.run()
    assert sorted(times) == [10.0, 30.0]


def test_a_quiet_signal_does_not_keep_every_event_set_off_elsewhere():
    env = simpy.Environment()
    busy, quiet = Signal(), Signal()

    def sleeper():
        while True:
            yield any_of(env, busy, quiet)

    env.process(sleeper())
    env.run()
    for _ in range(1000):
        busy.fire()
        env.run()
    assert len(quiet._waiters) < 200
