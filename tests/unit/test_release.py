"""`Release`, the primitive that lets people leave home at a rate with no fixed tick (issue 11, item 6).

The movement network's turnout at a rate is a `Release`: it plans its next batch and re-plans when
an effect changes the rate (a `scale` variable, a `movement: stop`); it never polls. These tests look
at when people go, and at what is scheduled while nothing is due. (What the turnout does on the
bundled Sakishima network is tested in tests/unit/test_effects_world.py and test_tourist_seats.py.)
"""

from __future__ import annotations

import math

import pytest
import simpy

from sim.engine.release import Release, after_open_minutes, open_minutes

HOUR = 60.0
DAY = 1440.0


def next_wake_up(env: simpy.Environment, before: float) -> float:
    """Process everything scheduled before `before`; then when the next event is due (inf: none)."""
    while env.peek() < before:
        env.step()
    return env.peek()


# -- the primitive -------------------------------------------------------------------


class Crowd:
    """A supply of people let go by a `Release`, with the times they went."""

    def __init__(self, env: simpy.Environment, people: int, batch: int, per_hour: float, window=(0.0, DAY)) -> None:
        self.env = env
        self.left = people
        self.per_minute = per_hour / 60.0
        self.gone: list[tuple[float, int]] = []
        self.release = Release(env, batch, window, lambda: self.per_minute, lambda: self.left, self._go)

    def _go(self, n: int) -> None:
        self.left -= n
        self.gone.append((self.env.now, n))

    def set_rate(self, per_hour: float) -> None:
        self.per_minute = per_hour / 60.0
        self.release.replan()


def test_release_lets_batches_go_at_the_rate_and_then_sleeps():
    """60 an hour in batches of 10: one batch every 10 minutes, the last one the remainder,
    and nothing scheduled once the supply is empty (no wake-up to find nothing to do)."""
    env = simpy.Environment()
    crowd = Crowd(env, people=45, batch=10, per_hour=60)
    crowd.release.replan()
    assert next_wake_up(env, 600) == math.inf
    assert crowd.gone == [(10.0, 10), (20.0, 10), (30.0, 10), (40.0, 10), (45.0, 5)]


def test_release_sleeps_outside_its_window_and_lets_the_owed_go_at_the_close():
    """Hours 08:00-20:00: nothing goes at night, the people owed at 20:00 go at 20:00 (not the
    next morning), and the first batch of the next day comes a batch's time after 08:00."""
    env = simpy.Environment(initial_time=19 * HOUR + 55)
    crowd = Crowd(env, people=1000, batch=10, per_hour=60, window=(8 * HOUR, 20 * HOUR))
    crowd.release.replan()
    assert next_wake_up(env, DAY + 8 * HOUR + 31) == DAY + 8 * HOUR + 40
    assert crowd.gone == [
        (20 * HOUR, 5),
        (DAY + 8 * HOUR + 10, 10),
        (DAY + 8 * HOUR + 20, 10),
        (DAY + 8 * HOUR + 30, 10),
    ]


def test_release_replans_at_once_when_the_rate_changes():
    """Owed people accrue at the old rate until the change and at the new one after it:
    at 60/h for 5 minutes (5 owed), then 300/h, the batch of 10 is due 1 minute later."""
    env = simpy.Environment()
    crowd = Crowd(env, people=100, batch=10, per_hour=60)
    crowd.release.replan()
    env.run(until=5)
    crowd.set_rate(300)
    env.run(until=6.5)
    assert crowd.gone == [(6.0, 10)]
    crowd.set_rate(0)  # held: nothing is scheduled, and the 2.5 owed wait for the rate to return
    assert next_wake_up(env, 600) == math.inf
    assert crowd.gone == [(6.0, 10)]
    assert crowd.release.owed == pytest.approx(2.5)
    resumed = env.now + 600.0
    env.run(until=env.timeout(600.0))  # ten hours held
    crowd.set_rate(60)  # 7.5 minutes more make the batch of 10
    env.run(until=env.timeout(10.0))
    assert crowd.gone == [(6.0, 10), (resumed + 7.5, 10)]


@pytest.mark.parametrize(
    ("t", "minutes", "expected"),
    [
        (7 * HOUR, 30, 8 * HOUR + 30),  # before opening: counts from 08:00
        (19 * HOUR, 90, DAY + 8 * HOUR + 30),  # runs past the close into the next day
        (20 * HOUR, 12 * HOUR, DAY + 20 * HOUR),  # a whole window from the close: the next day's close
        (9 * HOUR, 3 * 12 * HOUR, 3 * DAY + 9 * HOUR),
    ],
)
def test_window_arithmetic(t, minutes, expected):
    open_at, close_at = 8 * HOUR, 20 * HOUR
    assert after_open_minutes(t, minutes, open_at, close_at) == pytest.approx(expected)
    assert open_minutes(t, expected, open_at, close_at) == pytest.approx(minutes)
