"""Event-log lines read as sentences: state changes named, floats rounded for people."""

from __future__ import annotations

from sim.events import Kind, SimEvent
from sim.scenario.loader import load_scenario
from tests.conftest import DEFAULT_SCENARIO
from tui.format import describe


def _event(kind: Kind, source: str, target: str | None, **data) -> SimEvent:
    return SimEvent(time=60.0, seq=1, kind=kind, source=source, target=target, data=data)


def test_a_state_change_reads_before_and_after():
    scenario = load_scenario(DEFAULT_SCENARIO)
    line = describe(
        _event(Kind.state_changed, "hazard:strike", "escalation", value=3.0, previous=0.5499999999999999, change="add"),
        scenario,
    )
    assert line == "STATE escalation: 0.55 -> 3 (hazard:strike)"


def test_the_fallback_shows_rounded_floats():
    """The key=value fallback (no kind reaches it now, but a new kind would) rounds floats."""
    from tui.format import generic

    line = generic(_event(Kind.inject_cancelled, "decision:x=y", "m01", until=867.0212345))
    assert "until=867" in line and "867.0212345" not in line


def test_a_closure_reads_with_the_titles_of_the_links_and_places_it_closed(sakishima):
    """`leg_closed x -> None mode=air, legs=[...], hours=4.0` reads as `CLOSED (air) for 4.0 h: <titles>`,
    and its reopening names the same titles."""
    link = next(k for k in sakishima.movement.links if k.title)
    place = next(p for p in sakishima.movement.places if p.title)
    closed = _event(Kind.leg_closed, "hazard:strike", None, mode="all", places=[], legs=[place.id, link.id], hours=4.0)
    assert describe(closed, sakishima) == f"CLOSED (all) for 4.0 h: {place.title}, {link.title}"
    reopened = _event(Kind.leg_reopened, "hazard:strike", None, legs=[link.id, "unknown_leg"])
    assert describe(reopened, sakishima) == f"Reopened: {link.title}, unknown_leg"


def test_a_movement_order_reads_with_the_area_titles(sakishima):
    area = sakishima.movement.areas[0]
    event = _event(Kind.movement_changed, "decision:x=y", None, action="stop", areas=[area.id], hours=None)
    assert describe(event, sakishima) == f"MOVEMENT: stop ordered for {area.title}"
