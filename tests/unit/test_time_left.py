"""Waits for the rest of a window always end (the zero-time loop a Morris design point hit).

At D+2 21:04 a feeder waited `depart - now` for a departure a fraction of an ulp
away: SimPy scheduled it at `now` again, and the loop spun until the guard
stopped the run ("more than 200,000 model steps at one instant").
"""

from __future__ import annotations

import math

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.domain.evacuation import EPS, time_left


def _steps_to_reach(now: float, deadline: float, wait) -> int:
    """SimPy steps a `while wait(now, deadline): timeout(...)` loop takes (capped at 1,000)."""
    env = simpy.Environment(initial_time=now)
    steps = 0

    def waiter():
        while left := wait(env.now, deadline):
            yield env.timeout(left)

    env.process(waiter())
    while env.peek() != math.inf and steps < 1000:
        env.step()
        steps += 1
    return steps


def _spins(ready: float, max_wait: float, *, fixed: bool) -> bool:
    """Whether waiting `max_wait` from `ready` for a load spins at one instant (1,000 steps)."""
    env = simpy.Environment(initial_time=ready)
    deadline = ready + max_wait

    def old_feeder_wait():  # the loop as it was: the test and the remainder disagree by a rounding
        while env.now - ready < max_wait:
            yield env.timeout(ready + max_wait - env.now)

    def new_feeder_wait():
        while left := time_left(env.now, deadline):
            yield env.timeout(left)

    env.process(new_feeder_wait() if fixed else old_feeder_wait())
    steps = 0
    while env.peek() != math.inf and steps < 1000:
        env.step()
        steps += 1
    return steps >= 1000


def test_the_old_wait_spins_where_time_left_ends():
    """(ready + max_wait) - ready < max_wait in floating point: the old loop waited 0 minutes for ever."""
    ready, max_wait = 1550.5249995929755, 720.0
    assert (ready + max_wait) - ready < max_wait
    assert _spins(ready, max_wait, fixed=False)
    assert not _spins(ready, max_wait, fixed=True)


@settings(max_examples=300, deadline=None)
@given(
    now=st.floats(min_value=0.0, max_value=60 * 24 * 60.0, allow_nan=False),
    ahead=st.one_of(st.floats(min_value=0.0, max_value=1e-3), st.floats(min_value=0.0, max_value=600.0)),
)
def test_a_wait_for_the_rest_of_a_window_ends_after_one_timeout(now, ahead):
    deadline = now + ahead
    assert _steps_to_reach(now, deadline, time_left) <= 3  # start, one wait, end


def test_time_left_is_exact_beyond_the_tolerance():
    assert time_left(100.0, 130.0) == 30.0
    assert time_left(100.0, 100.0 + EPS / 2) == 0.0
    assert time_left(100.0, 99.0) == 0.0
