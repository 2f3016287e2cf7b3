"""A link's capacity scaled by a state variable (`scale:`): a decision or an inject reaches the flow
through data — half the capacity takes twice the time, none closes the link until it rises again."""

from __future__ import annotations

import pytest

from sim.events import Kind
from sim.scenario.loader import ScenarioError
from tests.unit.test_movement import _network, _run, _scenario


def _state(initial: float) -> list[dict]:
    return [{"id": "capacity", "initial": initial, "min": 0, "max": 1}]


def _path(**extra) -> dict:
    return _network(
        places=[{"id": "home", "kind": "home"}, {"id": "hill", "kind": "shelter"}],
        links=[{"id": "path", "from": "home", "to": "hill", "time": "10m", "per_hour": 600, "scale": "capacity"}],
        **extra,
    )


def _arrivals(result) -> list[float]:
    return sorted(e.time for e in result.events if e.kind == Kind.cohort_arrived)


def test_half_the_capacity_holds_the_path_twice_as_long_per_cohort():
    full = _arrivals(_run(_scenario(_path(), state=_state(1.0))))
    half = _arrivals(_run(_scenario(_path(), state=_state(0.5))))
    # 5 cohorts of 50 at 600 an hour hold the path 5 minutes each (then walk 10); at half, 10 minutes each.
    assert full == pytest.approx([15.0, 20.0, 25.0, 30.0, 35.0])
    assert half == pytest.approx([20.0, 30.0, 40.0, 50.0, 60.0])


def test_at_zero_the_link_is_closed_and_opens_when_the_variable_rises():
    inject = {
        "id": "fuel_out",
        "at": "0m",
        "to": ["town"],
        "synopsis": "no fuel",
        "effects": [{"kind": "set", "state": "capacity", "value": 0.0, "for": "1h"}],
    }
    result = _run(_scenario(_path(), state=_state(1.0), injects=[inject]))
    closed = [e for e in result.events if e.kind == Kind.leg_closed]
    reopened = [e for e in result.events if e.kind == Kind.leg_reopened]
    assert [(e.time, e.source, e.data["legs"]) for e in closed] == [(0.0, "state:capacity", ["path"])]
    assert [(e.time, e.source, e.data["legs"]) for e in reopened] == [(60.0, "state:capacity", ["path"])]
    assert min(e.time for e in result.events if e.kind == Kind.cohort_departed) == pytest.approx(65.0)
    assert result.metrics["movement"]["moved"] == 250


def test_a_link_closed_at_zero_from_the_start_stays_closed_through_an_effects_timed_closure():
    """The scale's closure and an effect's closure are separate: the effect's ending does not open a
    link whose variable is still 0."""
    inject = {
        "id": "storm",
        "at": "0m",
        "to": ["town"],
        "synopsis": "storm",
        "effects": [{"kind": "close", "places": ["path"], "for": "30m"}],
    }
    result = _run(_scenario(_path(), state=_state(0.0), injects=[inject]))
    assert not [e for e in result.events if e.kind == Kind.cohort_departed]
    assert result.metrics["movement"]["in_danger"] == 250


def test_vehicles_carry_their_share_of_the_seats():
    net = _network(
        places=[{"id": "quay", "kind": "home"}, {"id": "mainland", "kind": "destination"}],
        links=[
            {
                "id": "ferry",
                "from": "quay",
                "to": "mainland",
                "mode": "sea",
                "time": "20m",
                "scale": "capacity",
                "vehicles": {"count": 1, "seats": 100, "turnaround": "20m"},
            }
        ],
        populations=[{"id": "res", "area": "coast", "people": 250, "start": "quay", "cohorts": 1}],
    )
    loads = [
        e.data["people"]
        for e in _run(_scenario(net, state=_state(0.5))).events
        if e.kind == Kind.cohort_departed and e.data["link"] == "ferry"
    ]
    assert loads and max(loads) == 50 and sum(loads) == 250


def test_a_scale_naming_no_declared_variable_is_an_error_at_its_line():
    with pytest.raises(ScenarioError) as error:
        _scenario(_path())
    assert "movement.links.0.scale" in str(error.value) and "capacity" in str(error.value)
