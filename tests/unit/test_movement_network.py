"""Movement network features an airlift needs: turnout at a rate, departures a day, terminals that hold."""

from __future__ import annotations

import pytest

from sim.events import Kind
from sim.scenario.loader import ScenarioError
from tests.unit.test_movement import _run, _scenario

LONG = {"id": "net", "title": "Net", "start": "2027-01-01T12:00:00+09:00", "horizon": "2d"}


def _walk_out(turnout: dict, **extra) -> dict:
    return {
        "places": [{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        "links": [{"id": "up", "from": "home", "to": "hill", "time": "0m"}],
        "areas": [{"id": "coast"}],
        "populations": [{"id": "res", "area": "coast", "people": 300, "start": "home", "turnout": turnout}],
    } | extra


def test_people_leave_home_at_the_turnout_rate_in_ten_minute_batches():
    """60 an hour for the 3 h horizon: 180 are safe, 120 still at home; each cohort is ten minutes' worth."""
    result = _run(_scenario(_walk_out({"per_hour": 60})))
    assert result.metrics["movement"] == {"population": 300, "moved": 180, "exposed": 0, "in_danger": 120}
    sizes = {e.data["people"] for e in result.events if e.kind == Kind.cohort_arrived}
    assert sizes == {10}


def test_a_rate_turnout_keeps_its_daily_hours():
    """The scenario starts at 12:00; people leave only 13:00-14:00."""
    result = _run(_scenario(_walk_out({"per_hour": 60, "hours": {"open": "13:00", "close": "14:00"}})))
    assert result.metrics["movement"]["moved"] == 60
    first = min(e.time for e in result.events if e.kind == Kind.cohort_arrived)
    assert first >= 60.0


def test_a_rate_turnout_follows_its_scale_variable_when_it_changes():
    """Half the rate (scale 0.5) until an inject at 1h sets the scale to 1: 30 + 2 x 60 = 150 leave."""
    scenario = _scenario(
        _walk_out({"per_hour": 60, "scale": "willing"}),
        state=[{"id": "willing", "initial": 0.5, "min": 0, "max": 1}],
        injects=[
            {
                "id": "reassured",
                "at": "1h",
                "to": ["town"],
                "synopsis": "Reassurance.",
                "effects": [{"kind": "set", "state": "willing", "value": 1}],
            }
        ],
    )
    assert _run(scenario).metrics["movement"]["moved"] == 150


def test_hours_and_scale_without_a_rate_are_refused():
    with pytest.raises(ScenarioError, match="'hours', 'scale' and 'join' go with 'per_hour'"):
        _scenario(_walk_out({"hours": {"open": "13:00", "close": "14:00"}}))


def _shuttle(**vehicles) -> dict:
    return {
        "places": [{"id": "quay", "kind": "hub"}, {"id": "port", "kind": "destination"}],
        "links": [
            {
                "id": "ferry",
                "from": "quay",
                "to": "port",
                "mode": "sea",
                "time": "10m",
                "vehicles": {"count": 5, "seats": 10} | vehicles,
            }
        ],
        "areas": [{"id": "isle"}],
        "populations": [{"id": "res", "area": "isle", "people": 100, "start": "quay", "cohorts": 10}],
    }


def test_vehicles_leave_no_more_often_a_day_than_their_per_day():
    """Five boats could take all 100 in two rounds; two departures a day carry 20."""
    assert _run(_scenario(_shuttle())).metrics["movement"]["moved"] == 100
    result = _run(_scenario(_shuttle(per_day=2)))
    assert result.metrics["movement"]["moved"] == 20
    assert sum(1 for e in result.events if e.kind == Kind.cohort_departed) == 2


def test_the_day_s_departures_come_back_after_midnight():
    """Start 12:00, horizon 2 days: 2 departures on day 0, 2 on day 1, 2 on day 2 before 12:00."""
    scenario = _scenario(_shuttle(per_day=2), scenario=LONG)
    assert _run(scenario).metrics["movement"]["moved"] == 60


def _terminals(capacity: int | None) -> dict:
    """Two terminals with one aircraft each; the near one is 10 min away, the far one 30 min."""
    near = {"id": "near", "kind": "hub"} | ({"capacity": capacity} if capacity else {})
    far = {"id": "far", "kind": "hub"} | ({"capacity": capacity} if capacity else {})
    plane = {"count": 1, "seats": 50, "turnaround": "2h"}
    return {
        "places": [{"id": "town", "kind": "home"}, near, far, {"id": "mainland", "kind": "destination"}],
        "links": [
            {"id": "bus_near", "from": "town", "to": "near", "mode": "bus", "time": "10m"},
            {"id": "bus_far", "from": "town", "to": "far", "mode": "bus", "time": "30m"},
            {"id": "fly_near", "from": "near", "to": "mainland", "mode": "air", "time": "1h", "vehicles": plane},
            {"id": "fly_far", "from": "far", "to": "mainland", "mode": "air", "time": "1h", "vehicles": plane},
        ],
        "areas": [{"id": "isle"}],
        "populations": [{"id": "res", "area": "isle", "people": 200, "start": "town", "cohorts": 4}],
    }


def _bused(result, link: str) -> int:
    return sum(e.data["people"] for e in result.events if e.kind == Kind.cohort_departed and e.data["link"] == link)


def test_a_full_terminal_holds_people_back_and_the_other_terminal_takes_them():
    """Without a capacity everyone goes to the nearer terminal; with room for 50, the second cohort takes
    the far one, and the rest wait in town until a flight frees room (never more than 50 inside)."""
    open_ = _run(_scenario(_terminals(None)))
    assert _bused(open_, "bus_far") == 0
    held = _run(_scenario(_terminals(50), scenario=LONG))
    assert _bused(held, "bus_far") >= 50
    assert held.metrics["movement"]["moved"] == 200
    inside = {"near": 0, "far": 0}
    for e in sorted(held.events, key=lambda e: e.time):
        if e.kind == Kind.cohort_departed:
            link = e.data["link"]
            if link.startswith("bus_"):
                inside[link[4:]] += e.data["people"]
            elif link.startswith("fly_"):
                inside[link[4:]] -= e.data["people"]
            assert max(inside.values()) <= 50


def test_headway_spreads_departures():
    """Five boats, ten minutes between departures: in the 3 h horizon the trips start 10 min apart."""
    result = _run(_scenario(_shuttle(headway="10m")))
    times = sorted({e.time for e in result.events if e.kind == Kind.cohort_departed})
    assert times[:3] == [0.0, 10.0, 20.0]
    assert result.metrics["movement"]["moved"] == 100


def test_a_vehicle_does_not_wait_for_people_it_cannot_carry():
    """The ship (max_wait 5h) serves only the care cases (their safe place is the port): once the
    20 aboard it leaves, though 100 residents are still walking to the airport."""
    net = {
        "places": [
            {"id": "home", "kind": "home"},
            {"id": "quay", "kind": "hub"},
            {"id": "port", "kind": "destination"},
            {"id": "airport", "kind": "destination"},
        ],
        "links": [
            {"id": "walk_quay", "from": "home", "to": "quay", "time": "5m"},
            {"id": "walk_far", "from": "home", "to": "airport", "time": "2h"},
            {
                "id": "ship",
                "from": "quay",
                "to": "port",
                "mode": "sea",
                "time": "30m",
                "vehicles": {"count": 1, "seats": 50, "max_wait": "5h"},
            },
        ],
        "areas": [{"id": "isle"}],
        "populations": [
            {"id": "care", "area": "isle", "people": 20, "start": "home", "to": ["port"], "cohorts": 1},
            {"id": "res", "area": "isle", "people": 100, "start": "home", "to": ["airport"], "cohorts": 1},
        ],
    }
    result = _run(_scenario(net, scenario=LONG))
    sailed = next(e.time for e in result.events if e.kind == Kind.cohort_departed and e.data["link"] == "ship")
    assert sailed == 5.0


def test_voluntary_leavers_start_no_movement_and_join_their_town_when_it_starts():
    """Visitors leave at 6 an hour from T+0 (one every 10 min) without a `movement_started`; when the
    residents' start (an inject at 1h) comes, the 55 visitors still at home leave at once with them."""
    net = _walk_out({"per_hour": 60, "when": {"inject": "order"}})
    net["populations"].append(
        {
            "id": "visitors",
            "area": "coast",
            "class": "tourists",
            "people": 60,
            "start": "home",
            "turnout": {"voluntary": True, "join": "res", "per_hour": 6},
        }
    )
    order = [{"id": "order", "at": "1h", "to": ["town"], "synopsis": "Leave now."}]
    result = _run(_scenario(net, injects=order))
    started = [e for e in result.events if e.kind == Kind.movement_started]
    assert [(e.time, e.source) for e in started] == [(60.0, "coast")]
    visitors = [
        (e.time, e.data["people"]) for e in result.events if e.kind == Kind.cohort_arrived and e.source == "visitors"
    ]
    assert sum(p for t, p in visitors if t < 60.0) == 5
    assert sum(p for t, p in visitors if t == 60.0) == 55


def test_people_aboard_a_vehicle_whose_link_closes_while_it_loads_get_off_and_go_another_way():
    """The ship waits for the rest (max_wait 5h); at 1h its run is withdrawn and a bridge opens:
    the 20 aboard get off and cross it (they would otherwise sit aboard for good)."""
    net = {
        "places": [{"id": "quay", "kind": "hub"}, {"id": "port", "kind": "destination"}],
        "links": [
            {
                "id": "ship",
                "from": "quay",
                "to": "port",
                "mode": "sea",
                "time": "1h",
                "vehicles": {"count": 1, "seats": 100, "max_wait": "5h"},
            },
            {"id": "bridge", "from": "quay", "to": "port", "mode": "walk", "time": "30m", "open": False},
        ],
        "areas": [{"id": "isle"}],
        "populations": [
            {"id": "first", "area": "isle", "people": 20, "start": "quay", "cohorts": 1},
            {"id": "later", "area": "isle", "people": 20, "start": "quay", "cohorts": 1, "turnout": {"delay": "2d"}},
        ],
    }
    withdraw = [
        {
            "id": "withdrawn",
            "at": "1h",
            "to": ["town"],
            "synopsis": "The ship is withdrawn; the bridge opens.",
            "effects": [{"kind": "close", "places": ["ship"]}, {"kind": "open", "places": ["bridge"]}],
        }
    ]
    result = _run(_scenario(net, injects=withdraw))
    crossed = [(e.time, e.data["people"]) for e in result.events if e.kind == Kind.cohort_arrived]
    assert crossed == [(90.0, 20)]
