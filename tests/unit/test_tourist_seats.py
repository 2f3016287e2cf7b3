"""Tourists who leave voluntarily take seats (issue 12 item 7, domain facts §8.6).

Before their municipality's movement starts, tourists leave on the hub island's
scheduled flights (an outer island's on its feeder first): they pass the same
security lanes, queue at the same terminal and fly on the same aircraft, so the
seats they take are seats the evacuation does not have.
"""

from __future__ import annotations

import pytest

from sim.domain.ledger import CATEGORIES
from tests.unit.test_evacuation import DAY, PLAN, START, Run, raw_config


def off_islands(run: Run) -> int:
    ledger = run.model.ledger
    return sum(p.total for p in ledger.places.values() if p.off_islands)


def carried(run: Run) -> int:
    """People the hubs' aircraft and ships have carried off the islands."""
    model = run.model
    return sum(h.people for h in [*model.air_hubs.values(), *model.sea_hubs.values()])


def test_voluntary_tourists_leave_on_the_hubs_flights():
    """With no movement started, tourists still leave, and every one of them on a flight."""
    run = Run()
    run.model.start_voluntary_departures()
    run.run(days=2)
    left = off_islands(run)
    assert left > 1000, "about 2,000 tourists a day leave before movement starts"
    assert carried(run) == left
    assert sum(h.flights for h in run.model.air_hubs.values()) > 0
    departures = [e for e in run.kinds("departed") if e[4]["leg"] in run.model.air_hubs]
    assert sum(e[4]["people"] for e in departures) == left


def test_no_tourist_leaves_while_the_airports_are_closed():
    """Departures are not free: with every leg closed, nobody gets off the islands."""
    run = Run()
    run.model.start_voluntary_departures()
    run.model.close("all", [], None)
    run.run(days=2)
    assert off_islands(run) == 0
    home = sum(run.model.ledger.by_category[m]["at_home"] for m in run.model.municipalities)
    assert home < run.config.population, "tourists still set off for the airport and wait there"


def test_everyone_off_the_islands_used_a_seat_when_tourists_and_evacuees_mix():
    """Movement starts on Miyako's island after 30 h while Yaeyama's tourists keep leaving:
    every person off the islands was carried by a hub's aircraft or ship."""
    run = Run()
    run.model.start_voluntary_departures()
    run.start(["miyakojima", "tarama"], after_hours=30)
    run.run(days=4)
    assert off_islands(run) == carried(run)
    categories = {c: sum(run.model.ledger.by_category[m][c] for m in run.model.municipalities) for c in CATEGORIES}
    assert categories["gone_home"] > 0, "tourists who flew reach home"


def test_tourists_and_evacuees_share_the_hubs_daily_flight_cap():
    """Miyako airport's cap (31 flights a day) holds with tourists and evacuees on the same day."""
    run = Run()
    run.model.start_voluntary_departures()
    run.start(["miyakojima"], after_hours=30)
    run.run(days=5)
    flights: dict[int, int] = {}
    for t, _kind, _source, _target, data in run.kinds("departed"):
        if data["leg"] == "miyako_air":
            day = int(t // DAY)
            flights[day] = flights.get(day, 0) + 1
    assert max(flights.values()) <= 31
    assert min(flights) < (START + 30 * 60) // DAY, "tourists flew before movement started"


def test_hub_throughput_counts_the_evacuations_full_days_only():
    """Tourists' flights before movement starts do not dilute a hub's mean over full days."""
    run = Run()
    run.model.start_voluntary_departures()
    run.start(after_hours=48)
    metrics = run.run(days=12)
    for hub, planned in PLAN.items():
        figures = metrics["hubs"][hub]
        assert figures["daily"][0] < 0.3 * planned, "the first days carry only voluntary tourists"
        assert figures["mean_per_full_day"] == pytest.approx(planned, rel=0.05), hub


def test_without_voluntary_departures_tourists_wait_for_their_municipality():
    """voluntary_per_day 0: nobody leaves before movement starts (the rate is the only source)."""
    raw = raw_config()
    raw["tourists"]["voluntary_per_day"] = 0
    run = Run(raw)
    run.model.start_voluntary_departures()
    run.run(days=2)
    assert off_islands(run) == 0
    assert carried(run) == 0
