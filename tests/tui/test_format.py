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


def test_unnamed_kinds_show_rounded_floats():
    scenario = load_scenario(DEFAULT_SCENARIO)
    line = describe(_event(Kind.inject_cancelled, "decision:x=y", "m01", until=867.0212345), scenario)
    assert "until=867" in line and "867.0212345" not in line


def test_hosts_reached_read_with_the_host_name(sakishima):
    """`reached_host reception -> fukuoka prefecture=fukuoka, people=142` read as a sentence."""
    from sim.simulation import Simulation
    from tui.format import describe

    events = Simulation(sakishima, seed=1).run().events
    reached = next(e for e in events if str(e.kind) == "reached_host")
    name = next(h.name for h in sakishima.evacuation.hosts if h.id == reached.target)
    assert describe(reached, sakishima) == f"{reached.data['people']:,} evacuees reach lodging in {name}"
