"""The island evacuation has no fixed tick (issue 11, item 6).

Turnout and tourists' own departures are `Release`s that plan their next batch and
re-plan when an effect changes their rate; onward travel is a timeout per landed
load; the `series` metric is the change points. These tests look at what a user
sees: when people leave home, when they reach a host, and what the model has
scheduled while nothing is due.
"""

from __future__ import annotations

import math

import pytest
import simpy

from sim.engine.release import Release, after_open_minutes, open_minutes
from sim.events import Kind
from tests.unit.test_evacuation import DAY, START, Run

HOUR = 60.0


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


# -- the model -------------------------------------------------------------------------


def left_home(run: Run) -> int:
    return sum(m.cfg.population - m.home.total for m in run.model.municipalities.values())


def test_nothing_is_scheduled_while_nobody_moves():
    """Before any movement or voluntary departure the model has no wake-up pending at all:
    no step polls for work (the old 60-minute tick did, for the whole run)."""
    run = Run()
    assert next_wake_up(run.env, START + 3 * DAY) == math.inf


def test_turnout_follows_a_compliance_change_at_once():
    """Movement starts with compliance held at 0; when it is restored 30 minutes later the
    first people leave home ten minutes after that, not at a next tick on the hour."""
    run = Run()
    run.model.set_compliance(0.0, 30.0)
    run.start()
    run.env.run(until=START + 35)
    assert left_home(run) == 0
    run.env.run(until=START + 41)
    assert left_home(run) > 0


def test_a_movement_stop_holds_turnout_and_a_start_resumes_it_at_once():
    """`movement: stop` for two hours: nobody leaves home meanwhile; ten minutes after it
    ends people leave again (the end of a stop re-plans, nothing waits for a step)."""
    run = Run()
    run.start()
    run.env.run(until=START + 60)
    run.model.change_movement("stop", [], 120.0, "inject:hold")
    before = left_home(run)
    run.env.run(until=START + 180)
    assert left_home(run) == before
    run.env.run(until=START + 191)
    assert left_home(run) > before


def test_landed_people_reach_their_host_after_the_transfer_time_exactly():
    """Every `reached_host` comes a host's `transfer_time` after a lift landing (not at the
    next step after it), and tourists count as home `home_time` after theirs."""
    run = Run()
    run.start()
    run.run(days=3)
    transfer = {h.id: h.transfer_time for h in run.config.hosts}
    landings = {e[0] for e in run.events if e[1] == str(Kind.arrived) and e[3] in {a.id for a in run.config.arrivals}}
    reached = run.kinds(Kind.reached_host)
    assert reached
    for t, _kind, _source, prefecture, _data in reached:
        assert any(math.isclose(t - transfer[prefecture], landed) for landed in landings), (t, prefecture)


def test_the_series_is_the_change_points_of_the_lift():
    """`series` starts at T+0 with everyone on the islands, steps at the times people left
    (a departure at 10:37 is at 10:37, not at the next hour) and ends at 0 on the islands."""
    run = Run()
    run.start()
    metrics = run.run()
    series = metrics["series"]
    assert series["hours"][0] == 0.0 and series["remaining"][0] == metrics["population"]
    assert series["remaining"][-1] == 0
    assert all(a >= b for a, b in zip(series["remaining"], series["remaining"][1:], strict=False))
    assert all(a <= b for a, b in zip(series["at_host"], series["at_host"][1:], strict=False))
    hours = set(series["hours"])
    lift = {h.id for h in run.config.hubs}
    departures = [e[0] for e in run.events if e[1] == str(Kind.departed) and e[4]["leg"] in lift]
    assert all(round((t - START) / 60.0, 4) in hours for t in departures)
    assert any(not float(h).is_integer() for h in hours)


def test_voluntary_departures_only_from_municipalities_that_have_not_started():
    """Once a municipality's movement starts its tourists leave with everyone else, not on
    their own: with Ishigaki started and held by a stop, its tourists stay home while the
    other municipalities' tourists leave."""
    run = Run()
    run.model.start_voluntary_departures()
    run.model.change_movement("start", ["ishigaki"], None, "test")
    run.model.change_movement("stop", ["ishigaki"], None, "test")
    run.env.run(until=START + DAY)
    at_home = run.model.municipalities["ishigaki"].home.counts
    assert at_home[("ishigaki", "tourist")] == run.config.municipalities[0].tourists
    assert run.model.view().total.gone_home + run.model.view().total.in_transit > 0
