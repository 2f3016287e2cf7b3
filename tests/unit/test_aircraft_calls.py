"""Evacuation aircraft are called to a stand for the people waiting, not all at once.

A hub's pool of aircraft waits at home until people are in the terminal. An idle
aircraft is called only while more people wait there (landside and airside) than
the seats of the aircraft already called, so a handful of tourists calls one
aircraft, not the whole pool; the stands stay free for other traffic (SDF/US
reinforcement flights) and no aircraft holds a stand only to leave empty.
"""

from __future__ import annotations

from sim.events import Kind
from sim.scenario.evacuation import StandPriority
from tests.unit.test_evacuation import DAY, START, Run


def tourists_and_reinforcements() -> Run:
    """Tourists leaving on their own (no movement started) while 12 reinforcement flights
    need Ishigaki's stands, evacuation first."""
    run = Run()
    run.model.start_voluntary_departures()
    run.model.reinforce("ishigaki_air", 12, 90.0, StandPriority.evacuation_first)
    return run


def test_a_few_tourists_leave_the_stands_to_the_reinforcement_flights():
    """The pool of 25 aircraft does not queue for the 5 stands behind a few dozen tourists:
    all 12 reinforcement flights land on the first day, within 6 h of T+0."""
    run = tourists_and_reinforcements()
    run.run(days=1)
    landed = [(t - START) / 60.0 for t, *_ in run.kinds(Kind.reinforcement_landed)]
    assert len(landed) == 12
    assert max(landed) <= 6.0


def test_calling_fewer_aircraft_strands_no_one():
    """After three days of tourists leaving, at most one aircraft load still waits in the
    terminal (the rest have flown), and every flight carried someone."""
    run = tourists_and_reinforcements()
    run.run(days=3)
    hub = run.model.air_hubs["ishigaki_air"]
    flights = [e for e in run.kinds(Kind.departed) if e[4]["leg"] == "ishigaki_air"]
    assert sum(e[4]["people"] for e in flights) > 2000
    assert all(e[4]["people"] > 0 for e in flights)
    waiting = hub.landside_place.total + hub.airside.total
    assert waiting <= max(a.seats for a in hub.cfg.fleet)


def test_aircraft_per_flight_stay_near_one_while_only_tourists_leave():
    """Before movement starts, each stand visit of an evacuation aircraft ends in a departure
    (the old rule sent every idle aircraft to a stand whenever anyone waited: ~4 visits a flight)."""
    run = tourists_and_reinforcements()
    hub = run.model.air_hubs["ishigaki_air"]
    visits: list[float] = []
    request = hub.stands.request

    def counting(*args, **kwargs):
        if kwargs.get("priority") == hub.evacuation_priority:
            visits.append(run.env.now)
        return request(*args, **kwargs)

    hub.stands.request = counting
    run.run(days=3)
    flights = [e for e in run.kinds(Kind.departed) if e[4]["leg"] == "ishigaki_air"]
    assert len(visits) <= len(flights) + 3 * 2  # at most a couple of slots missed a day
    assert all(t < START + 3 * DAY for t in visits)
