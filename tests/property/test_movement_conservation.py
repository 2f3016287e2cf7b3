"""Conservation of people on random small movement networks with closures: moved + exposed + still in danger
= population, on the model's ledger and on the event stream; and the same seed gives the same events.
The networks use every kind of hold-up: flow limits, vehicles with departures a day and headways, a
terminal that holds people, turnout at a rate (some of it voluntary, joining another population).

The bundled Sakishima network (the island model's cases, folded in) is conserved too under random
closures and openings of its links and places, movement stops and starts, and compliance changes."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.events import Kind
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.scenario.schema import Inject
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

MODES = ["walk", "car", "bus"]


@st.composite
def networks(draw):
    homes = draw(st.integers(1, 3))
    shelters = draw(st.integers(1, 3))
    places = [{"id": f"h{i}", "kind": "home"} for i in range(homes)]
    for i in range(shelters):
        capacity = draw(st.one_of(st.none(), st.integers(0, 300)))
        places.append({"id": f"s{i}", "kind": "shelter", "capacity": capacity, "open": draw(st.booleans())})
    if draw(st.booleans()):  # a terminal that holds people on their way
        places.append({"id": "t0", "kind": "hub", "capacity": draw(st.integers(1, 300))})
    names = [p["id"] for p in places]
    links = []
    for k in range(draw(st.integers(1, 7))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        if a == b:
            continue
        mode = draw(st.sampled_from(MODES))
        link = {"id": f"l{k}", "from": a, "to": b, "mode": mode, "time": f"{draw(st.integers(1, 40))}m"}
        link["both_ways"] = draw(st.booleans())
        link["open"] = draw(st.booleans())
        if draw(st.booleans()):
            link["per_hour"] = draw(st.integers(50, 5000))
        if mode == "bus" and draw(st.booleans()):
            link["vehicles"] = {"count": draw(st.integers(1, 3)), "seats": draw(st.integers(1, 60)), "turnaround": "5m"}
            if draw(st.booleans()):
                link["vehicles"]["per_day"] = draw(st.integers(0, 5))
            if draw(st.booleans()):
                link["vehicles"]["headway"] = f"{draw(st.integers(1, 60))}m"
                link["vehicles"]["max_wait"] = f"{draw(st.integers(0, 30))}m"
        links.append(link)
    # A guaranteed way out, so every network validates: h_i -> s0 on foot.
    links += [{"id": f"out{i}", "from": f"h{i}", "to": "s0", "time": "30m"} for i in range(homes)]
    areas = [{"id": "a0", "deadline": f"{draw(st.integers(5, 120))}m"}, {"id": "a1"}]
    populations = [
        {
            "id": f"p{i}",
            "area": draw(st.sampled_from(["a0", "a1"])),
            "people": draw(st.integers(0, 400)),
            "start": f"h{i % homes}",
            "cohorts": draw(st.integers(1, 6)),
            "turnout": {"delay": {"kind": "uniform", "low": "0m", "high": f"{draw(st.integers(1, 30))}m"}},
        }
        for i in range(draw(st.integers(1, 4)))
    ]
    for i, population in enumerate(populations):
        if draw(st.booleans()):  # at a rate instead, maybe of its own accord until another population starts
            population["turnout"] = {"per_hour": draw(st.integers(1, 3000))}
            if i and draw(st.booleans()):
                population["turnout"] |= {"voluntary": True, "join": "p0"}
    effects = []
    for k in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from([lk["id"] for lk in links] + names))
        kind = draw(st.sampled_from(["close", "open"]))
        effect = {"kind": kind, "places": [target]}
        if draw(st.booleans()):
            effect["for"] = f"{draw(st.integers(1, 60))}m"
        effects.append(
            {"id": f"e{k}", "at": f"{draw(st.integers(0, 90))}m", "to": ["town"], "synopsis": "x", "effects": [effect]}
        )
    return {
        "scenario": {"id": "p", "title": "P", "start": "2027-01-01T08:00:00+09:00", "horizon": "4h"},
        "agencies": [{"id": "town", "name": "Town", "kind": "municipality"}],
        "injects": effects,
        "movement": {"places": places, "links": links, "areas": areas, "populations": populations},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(1, 1000))
def test_people_are_conserved_and_runs_are_deterministic(raw, seed):
    scenario = load_scenario_text(yaml.safe_dump(raw, sort_keys=False), "p.yaml")
    result = Simulation(scenario, seed=seed).run()
    ledger = result.metrics["movement"]
    population = sum(p["people"] for p in raw["movement"]["populations"])
    assert ledger["population"] == population
    assert min(ledger.values()) >= 0
    assert ledger["moved"] + ledger["exposed"] + ledger["in_danger"] == population
    moved = sum(e.data["people"] for e in result.events if e.kind == Kind.cohort_arrived)
    exposed = sum(e.data["people"] for e in result.events if e.kind == Kind.people_exposed)
    assert (moved, exposed) == (ledger["moved"], ledger["exposed"])
    capacities = {p["id"]: p.get("capacity") for p in raw["movement"]["places"]}
    for place, capacity in capacities.items():
        taken = sum(e.data["people"] for e in result.events if e.kind == Kind.cohort_arrived and e.target == place)
        assert capacity is None or taken <= capacity
    again = Simulation(scenario, seed=seed).run()
    assert [e.to_json() for e in again.events] == [e.to_json() for e in result.events]


# -- the bundled Sakishima network under random effects ---------------------------------------

SAKISHIMA = load_scenario(DEFAULT_SCENARIO, reforms=["unthreatened"])
LINKS = sorted(link.id for link in SAKISHIMA.movement.links)
PLACES = sorted(place.id for place in SAKISHIMA.movement.places)
AREAS = sorted(area.id for area in SAKISHIMA.movement.areas)
DAY = 1440.0

durations = st.one_of(st.none(), st.sampled_from(["30m", "6h", "1d", "2d"]))
effects = st.one_of(
    st.builds(
        lambda kind, mode, names, duration: (
            {"kind": kind, "mode": mode, "places": names} | ({} if duration is None else {"for": duration})
        ),
        st.sampled_from(["close", "open"]),
        st.sampled_from(["air", "sea", "all"]),
        st.lists(st.sampled_from(LINKS + PLACES), max_size=3, unique=True),
        durations,
    ),
    st.builds(
        lambda action, areas, duration: (
            {"kind": "movement", "action": action, "areas": areas} | ({} if duration is None else {"for": duration})
        ),
        st.sampled_from(["stop", "start"]),
        st.lists(st.sampled_from(AREAS), max_size=2, unique=True),
        durations,
    ),
    st.builds(
        lambda factor, duration: {"kind": "scale", "state": "compliance", "factor": factor, "for": duration},
        st.sampled_from([0.0, 0.2, 0.5, 2.0]),
        st.sampled_from(["6h", "1d", "2d"]),
    ),
)
plans = st.lists(st.tuples(st.integers(0, 8 * 24), effects), max_size=6).map(lambda p: sorted(p, key=lambda x: x[0]))

LIFT_EVERYTHING = [
    {"kind": "open", "mode": "all", "places": LINKS + PLACES},
    {"kind": "movement", "action": "start", "areas": AREAS},
]
"""At day 10: every link and place open and every area moving, so the 11 days left clear the islands
(JCG links included: opening them adds ships, never takes anyone twice)."""


def _inject(number: int, effect: dict) -> Inject:
    return Inject.model_validate(
        {"id": f"p{number}", "on_demand": True, "to": ["okinawa_pref"], "synopsis": "x", "effects": [effect]}
    )


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans, seed=st.integers(0, 2**16))
def test_sakishima_conserves_people_under_any_closures_stops_and_compliance(plan, seed):
    """Whatever closes, stops or scales when: at every half-day, moved + exposed + in danger = population
    (nobody lost, nobody counted twice); once everything is open again everyone is off the islands, each
    population exactly once."""
    sim = Simulation(SAKISHIMA, seed=seed)
    population = sum(p.people for p in SAKISHIMA.movement.populations)
    for number, (hour, effect) in enumerate(plan):
        sim.advance(hour * 60.0)
        sim.apply(_inject(number, effect))
    for half_day in range(1, 21):
        sim.advance(half_day * DAY / 2)
        ledger = sim.metrics()["movement"]
        assert min(ledger.values()) >= 0
        assert ledger["moved"] + ledger["exposed"] + ledger["in_danger"] == population
    for number, effect in enumerate(LIFT_EVERYTHING, start=len(plan)):
        sim.apply(_inject(number, effect))
    result = sim.run()
    assert result.metrics["movement"] == {"population": population, "moved": population, "exposed": 0, "in_danger": 0}
    arrived: dict[str, int] = {}
    for e in result.events:
        if e.kind == Kind.cohort_arrived:
            arrived[e.source] = arrived.get(e.source, 0) + e.data["people"]
    assert arrived == {p.id: p.people for p in SAKISHIMA.movement.populations if p.people}
