"""The movement network: capacity, rerouting on closure, exposure at the deadline, validation, the tsunami scenario."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.events import Kind
from sim.scenario.loader import ScenarioError, load_scenario_text
from sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "scenario": {"id": "net", "title": "Net", "start": "2027-01-01T12:00:00+09:00", "horizon": "3h"},
    "agencies": [{"id": "town", "name": "Town", "kind": "municipality"}],
}


def _scenario(movement: dict, **extra):
    import yaml

    data = copy.deepcopy(BASE) | {"movement": movement} | extra
    return load_scenario_text(yaml.safe_dump(data, sort_keys=False), "net.yaml")


def _run(scenario, seed: int = 1):
    return Simulation(scenario, seed=seed).run()


def _sum(result, kind: Kind, target: str | None = None) -> int:
    return sum(e.data["people"] for e in result.events if e.kind == kind and (target is None or e.target == target))


def _network(**overrides) -> dict:
    net = {
        "places": [
            {"id": "home", "kind": "home"},
            {"id": "near", "kind": "shelter", "capacity": 100},
            {"id": "far", "kind": "shelter"},
        ],
        "links": [
            {"id": "to_near", "from": "home", "to": "near", "time": "5m"},
            {"id": "to_far", "from": "home", "to": "far", "time": "20m"},
        ],
        "areas": [{"id": "coast"}],
        "populations": [{"id": "res", "area": "coast", "people": 250, "start": "home", "cohorts": 5}],
    }
    net.update(overrides)
    return net


def test_a_shelter_never_takes_more_than_its_capacity_and_the_rest_go_on():
    result = _run(_scenario(_network()))
    assert _sum(result, Kind.cohort_arrived, "near") == 100
    assert _sum(result, Kind.cohort_arrived, "far") == 150
    assert result.metrics["movement"] == {"population": 250, "moved": 250, "exposed": 0, "in_danger": 0}


def test_a_link_flow_limit_spaces_cohorts_by_people_over_rate():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        links=[{"id": "path", "from": "home", "to": "hill", "time": "10m", "per_hour": 600}],
    )
    result = _run(_scenario(net))
    arrivals = sorted(e.time for e in result.events if e.kind == Kind.cohort_arrived)
    # 5 cohorts of 50 people at 600 an hour: each holds the path 5 minutes, then walks 10.
    assert arrivals == pytest.approx([15.0, 20.0, 25.0, 30.0, 35.0])


def test_a_closed_link_sends_people_the_other_way_and_reopening_brings_them_back():
    net = _network()
    net["places"][1]["capacity"] = None
    inject = {
        "id": "quake",
        "at": "0m",
        "to": ["town"],
        "synopsis": "bridge down",
        "effects": [{"kind": "close", "places": ["to_near"], "for": "1h"}],
    }
    result = _run(_scenario(net, injects=[inject]))
    assert _sum(result, Kind.cohort_arrived, "near") == 0
    assert _sum(result, Kind.cohort_arrived, "far") == 250
    closed = [e for e in result.events if e.kind == Kind.leg_closed]
    assert closed and closed[0].data["legs"] == ["to_near"]


def test_people_queued_at_a_link_reroute_when_it_closes():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "near", "kind": "shelter"}, {"id": "far", "kind": "shelter"}],
        links=[
            {"id": "bridge", "from": "home", "to": "near", "time": "5m", "per_hour": 300},
            {"id": "detour", "from": "home", "to": "far", "time": "30m"},
        ],
    )
    inject = {
        "id": "aftershock",
        "at": "12m",
        "to": ["town"],
        "synopsis": "x",
        "effects": [{"kind": "close", "places": ["bridge"]}],
    }
    result = _run(_scenario(net, injects=[inject]))
    # 50 people pass the bridge every 10 minutes, so routing (which adds the queue's wait) sends three
    # cohorts to the bridge and two on the 30-minute detour. The cohort on the bridge at 12m goes on;
    # the one still queued turns to the detour at 12m.
    departures = sorted((e.time, e.data["link"]) for e in result.events if e.kind == Kind.cohort_departed)
    assert departures == [(0.0, "detour"), (0.0, "detour"), (10.0, "bridge"), (12.0, "detour"), (20.0, "bridge")]
    assert result.metrics["movement"]["moved"] == 250


def test_everyone_not_safe_at_the_deadline_is_exposed_exactly():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        links=[{"id": "path", "from": "home", "to": "hill", "time": "10m", "per_hour": 600}],
        areas=[{"id": "coast", "deadline": "22m"}],
    )
    result = _run(_scenario(net))
    # Arrivals at 15 and 20 (100 people) beat the 22-minute deadline; the other 150 are caught.
    assert _sum(result, Kind.cohort_arrived) == 100
    exposed = [e for e in result.events if e.kind == Kind.people_exposed]
    assert [(e.time, e.data["people"], e.data["on_the_way"]) for e in exposed] == [(22.0, 150, 150)]
    done = [e for e in result.events if e.kind == Kind.movement_completed]
    assert done[0].data == {"population": 250, "moved": 100, "exposed": 150, "hours": pytest.approx(22 / 60, abs=1e-4)}


def test_vehicles_carry_at_most_their_seats_per_trip():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "inland", "kind": "destination"}],
        links=[
            {
                "id": "bus",
                "from": "home",
                "to": "inland",
                "mode": "bus",
                "time": "10m",
                "vehicles": {"count": 1, "seats": 40, "turnaround": "10m"},
            }
        ],
        populations=[{"id": "res", "area": "coast", "people": 100, "start": "home", "cohorts": 1}],
    )
    result = _run(_scenario(net))
    loads = [(e.time, e.data["people"]) for e in result.events if e.kind == Kind.cohort_departed]
    assert loads == [(0.0, 40), (20.0, 40), (40.0, 20)]
    assert result.metrics["movement"]["moved"] == 100


def test_a_population_waits_for_its_start_condition_and_a_stop_effect_holds_it():
    net = _network(
        populations=[
            {
                "id": "res",
                "area": "coast",
                "people": 100,
                "start": "home",
                "cohorts": 1,
                "turnout": {"when": {"inject": "order"}},
            }
        ]
    )
    injects = [
        {"id": "order", "at": "30m", "to": ["town"], "synopsis": "go"},
        {
            "id": "hold",
            "at": "10m",
            "to": ["town"],
            "synopsis": "wait",
            "effects": [{"kind": "movement", "action": "stop", "areas": ["coast"], "for": "30m"}],
        },
    ]
    result = _run(_scenario(net, injects=injects))
    departed = [e.time for e in result.events if e.kind == Kind.cohort_departed]
    assert departed == [40.0]  # the order came at 30m, the stop held people until 40m


def test_compliance_scales_who_leaves_and_the_rest_are_exposed():
    net = _network(
        areas=[{"id": "coast", "deadline": "1h"}],
        populations=[
            {"id": "res", "area": "coast", "people": 200, "start": "home", "turnout": {"compliance": "willing"}}
        ],
        counts={"safe": "safe", "exposed": "exposed", "in_danger": "left", "share_safe": "share"},
    )
    state = [
        {"id": "willing", "initial": 0.75, "min": 0, "max": 1},
        {"id": "safe"},
        {"id": "exposed"},
        {"id": "left", "initial": 200},
        {"id": "share"},
    ]
    result = _run(_scenario(net, state=state))
    assert result.metrics["movement"] == {"population": 200, "moved": 150, "exposed": 50, "in_danger": 0}
    finals = {e.target: e.data["value"] for e in result.events if e.kind == Kind.state_changed}
    assert finals["safe"] == 150 and finals["exposed"] == 50 and finals["left"] == 0 and finals["share"] == 0.75


def test_validate_names_unknown_places_areas_and_unreachable_populations_with_lines():
    net = _network(
        links=[{"id": "to_near", "from": "home", "to": "nowhere", "time": "5m"}],
        populations=[
            {"id": "res", "area": "cost", "people": 10, "start": "home", "turnout": {"compliance": "trust"}},
            {"id": "car", "area": "coast", "people": 10, "start": "home", "modes": ["car"], "to": ["far"]},
        ],
        counts={"exposed": "lost"},
    )
    inject = {
        "id": "x",
        "at": "1m",
        "to": ["town"],
        "synopsis": "x",
        "effects": [{"kind": "close", "places": ["to_nera"]}],
    }
    with pytest.raises(ScenarioError) as caught:
        _scenario(net, injects=[inject])
    text = str(caught.value)
    assert "net.yaml:" in text
    assert "movement.links.0.to: unknown place 'nowhere'" in text
    assert "movement.populations.0.area: unknown area 'cost'" in text
    assert "movement.populations.0.start: population 'res' has no route from 'home' to a safe place" in text
    assert "movement.populations.0.turnout.compliance: unknown state variable 'trust'" in text
    assert "movement.populations.1.start: population 'car' has no route from 'home' to a safe place (far)" in text
    assert "movement.counts.exposed: unknown state variable 'lost'" in text
    assert "injects.0.effects.0.places.0: unknown place 'to_nera' (did you mean 'to_near'?)" in text


def test_the_tsunami_scenario_passes_validate_strict(capsys):
    from sim.cli import main

    assert main(["validate", "--strict", str(ROOT / "scenarios" / "tsunami.yaml")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_same_seed_gives_byte_identical_events():
    scenario = load_scenario_text((ROOT / "scenarios" / "tsunami.yaml").read_text(encoding="utf-8"), "tsunami.yaml")
    first = [e.to_json() for e in _run(scenario, seed=7).events]
    second = [e.to_json() for e in _run(scenario, seed=7).events]
    assert first == second


def test_tsunami_metrics_are_plausible_for_its_inputs():
    """Ranges derived from the scenario: 10,240 people; the shelters near the coast hold 4,330 in Saga and
    4,500 in Irino plus 2,500 inland; the first wave comes at 30 and 35 minutes, so walkers who leave on the
    shaking (57 %) mostly make it and most of those who wait for the order do not."""
    scenario = load_scenario_text((ROOT / "scenarios" / "tsunami.yaml").read_text(encoding="utf-8"), "tsunami.yaml")
    for seed in (1, 2, 3):
        metrics = _run(scenario, seed=seed).metrics
        assert metrics["exposed_people"] + metrics["people_safe"] == 10240
        assert 3000 <= metrics["people_safe"] <= 8000
        assert metrics["share_safe"] == pytest.approx(metrics["people_safe"] / 10240)
        assert 0.05 <= metrics["order_hours"] <= 0.5
        assert metrics["zone_cleared"] == 0
        assert metrics["objectives"]["few_exposed"] == 0


def test_a_timed_closure_reports_the_reopening_and_people_use_the_link_again():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        links=[{"id": "path", "from": "home", "to": "hill", "time": "5m"}],
        populations=[{"id": "res", "area": "coast", "people": 10, "start": "home", "cohorts": 1}],
    )
    inject = {
        "id": "slide",
        "at": "0m",
        "to": ["town"],
        "synopsis": "x",
        "effects": [{"kind": "close", "places": ["path"], "for": "1h"}],
    }
    result = _run(_scenario(net, injects=[inject]))
    changes = [
        (e.time, str(e.kind), e.data["legs"]) for e in result.events if e.kind in (Kind.leg_closed, Kind.leg_reopened)
    ]
    assert changes == [(0.0, "leg_closed", ["path"]), (60.0, "leg_reopened", ["path"])]
    assert [e.time for e in result.events if e.kind == Kind.cohort_departed] == [60.0]


def test_people_wait_for_a_links_operating_hours():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "inland", "kind": "destination"}],
        links=[
            {
                "id": "train",
                "from": "home",
                "to": "inland",
                "mode": "rail",
                "time": "30m",
                "hours": {"open": "13:00", "close": "20:00"},
            }
        ],
        populations=[{"id": "res", "area": "coast", "people": 10, "start": "home", "cohorts": 1}],
    )
    result = _run(_scenario(net))  # T+0 is 12:00
    assert [e.time for e in result.events if e.kind == Kind.cohort_departed] == [60.0]


def test_a_deadline_may_follow_a_condition():
    net = _network(
        places=[{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        links=[{"id": "path", "from": "home", "to": "hill", "time": "30m"}],
        areas=[{"id": "coast", "when": {"inject": "eruption"}, "delay": "20m"}],
        populations=[{"id": "res", "area": "coast", "people": 10, "start": "home", "cohorts": 1}],
    )
    injects = [{"id": "eruption", "at": "5m", "to": ["town"], "synopsis": "x"}]
    result = _run(_scenario(net, injects=injects))
    exposed = [(e.time, e.data["people"]) for e in result.events if e.kind == Kind.people_exposed]
    assert exposed == [(25.0, 10)]


def test_run_and_compare_show_the_tsunami_scenarios_own_figures(capsys):
    from sim.cli import main

    path = str(ROOT / "scenarios" / "tsunami.yaml")
    assert main(["run", path, "--seed", "1"]) == 0
    summary = capsys.readouterr().out
    assert "Movement" in summary and "exposed" in summary and "exposed_people" in summary
    assert "JCG" not in summary and "consultation" not in summary
    assert main(["compare", path, "--reform", "drilled_town", "-n", "3", "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "exposed_people" in table and "drilled_town" in table
    assert "evacuation.completion_hours" not in table


def test_the_tsunami_decisions_reach_the_exposure_counts():
    """Ordering at once beats waiting for confirmation in every paired run; unlocking the school helps on average."""
    scenario = load_scenario_text((ROOT / "scenarios" / "tsunami.yaml").read_text(encoding="utf-8"), "tsunami.yaml")

    def exposed(decision: str, option: str, seed: int) -> int:
        forced = {decision: (option, None)}
        return Simulation(scenario, seed=seed, forced=forced).run().metrics["exposed_people"]

    seeds = range(1, 5)
    assert all(exposed("evacuation_order", "at_once", s) < exposed("evacuation_order", "confirm", s) for s in seeds)
    assert sum(exposed("open_school", "open", s) for s in seeds) < sum(
        exposed("open_school", "keep_locked", s) for s in seeds
    )


def test_movement_events_carry_exactly_the_catalogued_payload_keys():
    from sim.events import CATALOGUE
    from sim.scenario.schema import Inject

    scenario = load_scenario_text((ROOT / "scenarios" / "tsunami.yaml").read_text(encoding="utf-8"), "tsunami.yaml")
    sim = Simulation(scenario, seed=3)
    sim.advance(8)
    effects = [
        {"kind": "movement", "action": "stop", "areas": ["irino"], "for": "3m"},
        {"kind": "close", "places": ["saga_walk_tower"], "for": "2m"},
    ]
    sim.apply(
        Inject.model_validate(
            {"id": "x", "on_demand": True, "to": ["kuroshio_hq"], "synopsis": "x", "effects": effects}
        )
    )
    events = sim.run().events
    kinds = {Kind.cohort_departed, Kind.cohort_arrived, Kind.people_exposed, Kind.movement_completed}
    kinds |= {Kind.movement_started, Kind.movement_changed, Kind.leg_closed, Kind.leg_reopened}
    seen = set()
    for event in events:
        if event.kind in kinds:
            spec = CATALOGUE[event.kind]
            required = {k for k, v in spec.payload.items() if not v.startswith("(optional)")}
            assert required <= set(event.data) <= set(spec.payload), event
            seen.add(event.kind)
    assert seen == kinds
    assert any("vehicle" in e.data for e in events if e.kind == Kind.cohort_departed)


def _quay(links: list[dict], people: int = 100, cohorts: int = 5, walk: dict | None = None) -> dict:
    """Homes, a quay and the mainland: people walk to the quay and go on by the given sea links."""
    walk_link = {"id": "to_quay", "from": "town", "to": "quay", "time": "0m"} | (walk or {})
    return _network(
        places=[
            {"id": "town", "kind": "home"},
            {"id": "quay", "kind": "hub"},
            {"id": "mainland", "kind": "destination"},
        ],
        links=[walk_link, *links],
        populations=[{"id": "res", "area": "coast", "people": people, "start": "town", "cohorts": cohorts}],
    )


def _ship(link_id: str, count: int, seats: int, time: str, **vehicles) -> dict:
    return {
        "id": link_id,
        "from": "quay",
        "to": "mainland",
        "mode": "sea",
        "time": time,
        "vehicles": {"count": count, "seats": seats, "turnaround": "1h"} | vehicles,
    }


def _sailings(result) -> list[tuple[float, str, int]]:
    return sorted(
        (e.time, e.data["link"], e.data["people"])
        for e in result.events
        if e.kind == Kind.cohort_departed and e.data["mode"] == "sea"
    )


def test_people_at_a_quay_board_whichever_ship_comes_first_whatever_link_it_runs():
    """Two ship groups share the quay's queue: the slow ship takes those the fast one has no seats for
    (routing alone would send everyone to the fast ship's link and leave the slow one empty)."""
    net = _quay([_ship("fast", 1, 40, "1h"), _ship("slow", 1, 60, "3h")], cohorts=5)
    result = _run(_scenario(net))
    assert _sailings(result) == [
        (0.0, "fast", 20),
        (0.0, "fast", 20),
        (0.0, "slow", 20),
        (0.0, "slow", 20),
        (0.0, "slow", 20),
    ]
    assert result.metrics["movement"]["moved"] == 100


def test_a_ship_that_takes_nobody_closer_to_safety_does_not_take_them():
    """A vehicle serves only those its link brings closer to one of their own safe places."""
    net = _quay([_ship("out", 1, 100, "1h"), _ship("back", 1, 100, "5m") | {"from": "quay", "to": "town"}])
    result = _run(_scenario(net))
    assert {link for _, link, _ in _sailings(result)} == {"out"}


def test_vehicles_are_first_at_the_start_at_their_ready_time_and_people_wait_there():
    net = _quay([_ship("ferry", 1, 100, "1h", ready="2h")])
    result = _run(_scenario(net))
    walked = [e.time for e in result.events if e.kind == Kind.cohort_departed and e.data["link"] == "to_quay"]
    assert walked == [0.0] * 5  # they go to the quay at once, not when the ship is in
    assert _sailings(result)[0][0] == 120.0
    assert result.metrics["movement"]["moved"] == 100


def test_routing_counts_the_wait_for_vehicles_not_yet_ready():
    """A ferry ready in 2 h loses to a bridge walk of 1 h; at T+0 it would have been quicker."""
    net = _quay([_ship("ferry", 1, 100, "10m", ready="2h")])
    net["links"].append({"id": "bridge", "from": "quay", "to": "mainland", "time": "1h"})
    result = _run(_scenario(net))
    assert _sailings(result) == []
    assert _sum(result, Kind.cohort_arrived, "mainland") == 100


def test_a_vehicle_not_full_waits_up_to_max_wait_for_more_people():
    """20 people reach the quay every 10 minutes; a ship of 100 that may wait 25 minutes leaves with
    the first three groups, instead of with the first 20 alone."""
    net = _quay([_ship("ferry", 1, 100, "1h", max_wait="25m")], walk={"per_hour": 120})
    result = _run(_scenario(net))
    assert _sailings(result)[:3] == [(35.0, "ferry", 20), (35.0, "ferry", 20), (35.0, "ferry", 20)]


def test_a_waiting_vehicle_leaves_once_nobody_else_can_come():
    net = _quay([_ship("ferry", 1, 500, "1h", max_wait="2h")], walk={"per_hour": 600})
    result = _run(_scenario(net))
    # 5 cohorts of 20 pass the path 2 minutes apart: the last is at the quay at 10 minutes, and the
    # ship leaves then, not after its 2 hours of waiting.
    assert {t for t, _, _ in _sailings(result)} == {10.0}
    assert sum(n for _, _, n in _sailings(result)) == 100


def test_a_waiting_vehicle_does_not_wait_for_people_who_stay_home():
    """Half the islanders stay (compliance 0.5): the ship leaves once the other half is aboard."""
    net = _quay([_ship("ferry", 1, 500, "1h", max_wait="2h")], walk={"per_hour": 600})
    net["populations"][0]["turnout"] = {"compliance": "willing"}
    result = _run(_scenario(net, state=[{"id": "willing", "initial": 0.5, "min": 0, "max": 1}]))
    # 50 leave in 5 cohorts of 10, one a minute through the path: all at the quay at 5 minutes.
    assert _sailings(result) == [(5.0, "ferry", 10)] * 5


def test_people_wait_for_a_vehicle_in_the_queue_outside_its_links_hours():
    """The ferry runs from 13:00 (T+0 is 12:00); those who chose it wait at the quay meanwhile, so the
    boat that is in at 12:30 takes them instead of leaving them to wait for the ferry's hours."""
    ferry = _ship("ferry", 1, 100, "10m") | {"hours": {"open": "13:00", "close": "20:00"}}
    net = _quay([ferry, _ship("boat", 1, 100, "10m", ready="30m")], people=50, cohorts=1)
    result = _run(_scenario(net))
    assert _sailings(result) == [(30.0, "boat", 50)]
