"""Buses are a counted pool driven by what changes, not one SimPy event per trip (issue 11).

A bus coming back is no event of its own; the registration centre wakes at the
earliest return only while people wait for a bus. These tests check that the
pool still behaves like buses: a bus never carries two loads at once, and a
bus that comes back while people wait takes the next load without anything
else happening on the island.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from tests.unit.test_evacuation import Run, raw_config

BUS_TIME = 60.0


def one_bus_island(people: int) -> Run:
    """Only Ishigaki's residents, one bus of 50 seats, an hour's ride each way to the airport."""
    raw = raw_config()
    for m in raw["municipalities"]:
        m["residents"] = people if m["id"] == "ishigaki" else 0
        m["tourists"] = 0
        m["care_share"] = 0.0
    next(i for i in raw["islands"] if i["id"] == "ishigaki").update(buses=1, bus_seats=50)
    next(h for h in raw["hubs"] if h["id"] == "ishigaki_air")["bus_time"] = f"{int(BUS_TIME)}m"
    next(h for h in raw["hubs"] if h["id"] == "ishigaki_sea")["vessels"][0]["count"] = 0
    return Run(raw)


def dispatch_times(run: Run) -> list[float]:
    """When a bus load left Ishigaki's registration centre (recorded on the ledger)."""
    times: list[float] = []
    ledger = run.model.ledger
    move = ledger.move

    def recording(groups, src, dst):
        if src == "reg:ishigaki" and dst.startswith("landside:"):
            times.append(run.env.now)
        return move(groups, src, dst)

    ledger.move = recording
    return times


def test_one_bus_carries_one_load_at_a_time_and_comes_back_for_the_rest():
    """500 registered people and one bus: ten loads, each leaving at least two rides after the
    one before, and every one of them gets off the island (the bus came back each time)."""
    run = one_bus_island(500)
    times = dispatch_times(run)
    run.start(["ishigaki"])
    metrics = run.run(days=3)
    assert len(times) == 10
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= 2 * BUS_TIME
    assert metrics["evacuated"] == 500


def test_a_bus_back_while_people_wait_leaves_at_once():
    """With people waiting all the time, the next load leaves when the bus is back: the gap is two
    rides plus that load's registration, never an extra tick."""
    run = one_bus_island(500)
    times = dispatch_times(run)
    run.start(["ishigaki"])
    run.run(days=3)
    gaps = [b - a for a, b in pairwise(times)]
    registration = 50 * 0.8  # at most: a whole load at one desk at the slowest rate (0.8 min a person)
    assert max(gaps[:4]) <= 2 * BUS_TIME + registration
    assert gaps[0] == pytest.approx(gaps[1], abs=registration)
