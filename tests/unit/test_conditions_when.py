"""Conditions: the pure evaluator, and decisions and injects that wait on a condition."""

from __future__ import annotations

from pathlib import Path

from sim.domain.conditions import Facts, first_held, holds
from sim.events import Kind, SimEvent
from sim.scenario.consequences import When
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

DATA = Path(__file__).resolve().parents[1] / "data"


def when(raw) -> When:
    return When.model_validate(raw)


def test_clauses_join_with_and_and_nest():
    facts = Facts(decisions={"order": ("yes", 30.0)}, injects={"warn": 10.0}, state={"level": 3.0})
    assert holds(when({"decision": "order", "option": "yes"}), facts, 40)
    assert not holds(when({"decision": "order", "option": "no"}), facts, 40)
    assert holds(when({"state": "level", "at_least": 3, "below": 4}), facts, 0)
    assert not holds(when({"state": "level", "above": 3}), facts, 0)
    assert holds(when({"any": [{"inject": "other"}, {"inject": "warn"}]}), facts, 0)
    assert not holds(when({"all": [{"inject": "other"}, {"inject": "warn"}]}), facts, 0)
    assert holds(when({"not": {"decision": "other"}, "after": "15m"}), facts, 15)
    assert not holds(when({"not": {"decision": "other"}, "after": "15m"}), facts, 14.9)
    assert holds(when({"inject": "warn", "for": "20m"}), facts, 30)
    assert not holds(when({"inject": "warn", "for": "20m"}), facts, 29)
    assert not holds(when({"by": "1h"}), facts, 61)


def test_first_held_replays_the_event_stream_including_time_clauses():
    events = [
        SimEvent(0, 0.0, Kind.state_changed, "scenario", "level", {"value": 1.0}),
        SimEvent(1, 50.0, Kind.inject_fired, "simcell", None, {"inject": "warn"}),
        SimEvent(2, 90.0, Kind.state_changed, "x", "level", {"value": 4.0}),
    ]
    assert first_held(when({"state": "level", "at_least": 3}), events, end=200) == 90.0
    assert first_held(when({"inject": "warn", "for": "15m"}), events, end=200) == 65.0
    assert first_held(when({"not": {"decision": "order"}, "after": "2h"}), events, end=200) == 120.0
    assert first_held(when({"not": {"decision": "order"}, "after": "2h"}), events, end=100) is None
    assert first_held(when({"inject": "warn"}), events, end=200, not_before=70.0) == 70.0


def test_decision_comes_up_only_when_its_condition_holds():
    scenario = load_scenario(DATA / "consequences.yaml")
    up = Simulation(scenario, seed=5, forced={"recognise_situation": ("yes", 60.0)}).run()
    pending = [e.time for e in up.events if e.kind == Kind.decision_pending and e.target == "close_schools"]
    assert pending == [60.0]  # the moment escalation reached 3
    down = Simulation(scenario, seed=5, forced={"recognise_situation": ("no", 60.0)}).run()
    assert down.metrics["decisions"]["close_schools"]["status"] == "waiting"


def test_deadline_inject_fires_only_if_the_decision_did_not_come():
    scenario = load_scenario(DATA / "consequences.yaml")
    missed = Simulation(scenario, seed=5, forced={"recognise_situation": ("no", 60.0)}).run()
    assert [e.time for e in missed.events if e.kind == Kind.inject_fired and e.data["inject"] == "m03"] == [1440.0]
    kept = Simulation(scenario, seed=5, forced={"recognise_situation": ("yes", 60.0)}).run()
    assert not [e for e in kept.events if e.kind == Kind.inject_fired and e.data["inject"] == "m03"]
