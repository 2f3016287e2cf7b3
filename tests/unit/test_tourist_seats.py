"""Tourists who leave on their own take seats (issue 12 item 7, domain facts §8.6).

On the bundled Sakishima network, tourists leave voluntarily from T+0, before any town's movement
starts: they pass the same registration and security lanes, wait in the same terminal and fly on the
same aircraft as the evacuees later, so the seats they take are seats the evacuation does not have.
The daily throughput the calibration checks counts the evacuation's full days only
(tests/unit/test_calibration.py); here, who leaves before the towns start, and how.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from sim.engine.clock import Clock
from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Inject
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

HOUR = 60.0
DAY = 1440.0


@pytest.fixture(scope="module")
def unthreatened():
    return load_scenario(DEFAULT_SCENARIO, reforms=["unthreatened"])


@pytest.fixture(scope="module")
def run(unthreatened):
    return Simulation(unthreatened, seed=1).run()


def classes(scenario) -> dict[str, str]:
    return {p.id: p.class_ for p in scenario.movement.populations}


def first_start(result) -> float:
    return min(e.time for e in result.events if e.kind == Kind.movement_started)


def test_only_tourists_leave_before_the_first_town_starts_and_they_fly(unthreatened, run):
    """Before any town's movement starts, a few thousand tourists are safe, nobody else has moved, and
    every one of them reached an arrival airport (an outer island's on its feeder first)."""
    start = first_start(run)
    assert start > 24 * HOUR
    before = [e for e in run.events if e.kind in (Kind.cohort_departed, Kind.cohort_arrived) and e.time < start]
    assert {classes(unthreatened)[e.source] for e in before} == {"tourists"}
    arrived = [e for e in before if e.kind == Kind.cohort_arrived]
    safe = sum(e.data["people"] for e in arrived)
    assert 2_000 * (start / DAY) * 0.8 <= safe <= 2_000 * (start / DAY) * 1.1  # about 2,000 a day in 08:00-20:00
    assert {e.target for e in arrived} <= {"fukuoka_airport", "kagoshima_airport"}


def test_tourists_and_evacuees_board_the_same_flights(run):
    """Ishigaki's tourists fly on the airport's own links before the town starts, and at least one
    aircraft carries tourists and residents together when it does."""
    ishigaki = min(e.time for e in run.events if e.kind == Kind.movement_started and e.source == "ishigaki")
    flights = ("ishigaki_air_b787", "ishigaki_air_b737")
    early = [
        e
        for e in run.events
        if e.kind == Kind.cohort_departed and e.source == "ishigaki_tourists" and e.time < ishigaki
    ]
    assert {e.data["link"] for e in early} >= set(flights)
    aboard: dict[tuple[float, str, int], set[str]] = defaultdict(set)
    for e in run.events:
        if e.kind == Kind.cohort_departed and e.data["link"] in flights:
            aboard[e.time, e.data["link"], e.data["vehicle"]].add(e.source)
    assert any({"ishigaki_tourists", "ishigaki_residents"} <= sources for sources in aboard.values())


def test_tourists_and_evacuees_share_the_airports_daily_flights(unthreatened, run):
    """Each airport link's flights a day (tourists' and evacuees' alike) stay within its `per_day`,
    and the first days, when only tourists fly, have flights too."""
    offset = Clock(unthreatened.scenario.start).offset
    per_day = {lk.id: lk.vehicles.per_day for lk in unthreatened.movement.links if lk.mode == "air" and lk.vehicles}
    flights: dict[tuple[str, int], set[tuple[float, int]]] = defaultdict(set)
    for e in run.events:
        if e.kind == Kind.cohort_departed and e.data["link"] in per_day and per_day[e.data["link"]] is not None:
            flights[e.data["link"], math.floor((e.time + offset) / DAY)].add((e.time, e.data["vehicle"]))
    assert flights
    for (link, _day), trips in flights.items():
        assert len(trips) <= per_day[link], link
    first_day = math.floor((first_start(run) + offset) / DAY)
    assert any(day < first_day for _link, day in flights)


def test_no_tourist_leaves_while_everything_is_closed(unthreatened):
    """Departures are not free: with every link and place closed from T+0, nobody is safe two days on."""
    sim = Simulation(unthreatened, seed=1)
    sim.apply(
        Inject.model_validate(
            {"id": "x1", "on_demand": True, "to": ["okinawa_pref"], "synopsis": "t", "effects": [{"kind": "close"}]}
        )
    )
    sim.advance(2 * DAY)
    assert not [e for e in sim.events if e.kind == Kind.cohort_arrived]
