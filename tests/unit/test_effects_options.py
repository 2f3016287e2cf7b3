"""Effects on decision options and injects: a chosen option changes the world exactly as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.events import Kind
from sim.scenario.loader import load_scenario, load_scenario_text
from sim.simulation import Simulation

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DATA / "consequences.yaml")


def state_log(result, name):
    return [
        (e.time, e.data["value"], e.data["change"], e.source)
        for e in result.events
        if e.kind == Kind.state_changed and e.target == name
    ]


def test_taking_an_option_applies_its_effects(scenario):
    result = Simulation(scenario, seed=3, forced={"recognise_situation": ("yes", 60.0)}).run()
    assert state_log(result, "escalation") == [
        (0.0, 1.0, "initial", "scenario"),
        (60.0, 3.0, "add", "decision:recognise_situation=yes"),
    ]


def test_other_option_applies_its_own_temporary_effect_and_restores_it(scenario):
    result = Simulation(scenario, seed=3, forced={"recognise_situation": ("no", 60.0)}).run()
    assert state_log(result, "compliance") == [
        (0.0, 0.8, "initial", "scenario"),
        (60.0, 0.4, "scale", "decision:recognise_situation=no"),
        (420.0, 0.8, "restore", "decision:recognise_situation=no"),
    ]


def test_fire_effect_fires_the_inject_after_its_delay(scenario):
    result = Simulation(scenario, seed=3, forced={"recognise_situation": ("yes", 60.0)}).run()
    taken = next(e.time for e in result.events if e.kind == Kind.decision_taken and e.target == "evacuation_order")
    fired = [e.time for e in result.events if e.kind == Kind.inject_fired and e.data["inject"] == "m04"]
    assert fired == [taken + 30.0]


CANCEL = """
scenario: {id: c, title: C, start: "2027-04-05T06:00:00+09:00", horizon: 1d}
agencies: [{id: hq, name: HQ, kind: executive}]
decisions:
  - id: stand_down
    title: Stand down?
    owner: hq
    delay: 1h
    options:
      - id: "yes"
        label: "Yes"
        effects: [{kind: cancel, inject: alarm}]
injects:
  - {id: alarm, at: 2h, to: [hq], synopsis: Alarm.}
  - {id: early, at: 30m, to: [hq], synopsis: Early., effects: [{kind: fire, inject: alarm, delay: 2h}]}
"""


def test_cancel_withdraws_the_schedule_and_pending_fires():
    result = Simulation(load_scenario_text(CANCEL), seed=1).run()
    kinds = [(e.time, str(e.kind), e.target or e.data.get("inject")) for e in result.events]
    assert (60.0, "inject_cancelled", "alarm") in kinds
    assert not [k for k in kinds if k[1] == "inject_fired" and k[2] == "alarm"]


def test_an_ad_hoc_inject_naming_an_unknown_variable_is_refused_before_anything_is_recorded(scenario):
    from sim.scenario.schema import Inject

    simulation = Simulation(scenario, seed=1)
    bad = Inject.model_validate(
        {
            "id": "x1",
            "on_demand": True,
            "to": ["cabinet"],
            "synopsis": "X",
            "effects": [{"kind": "add", "state": "moral", "value": 1}],
        }
    )
    with pytest.raises(ValueError, match="unknown state variable 'moral'"):
        simulation.apply(bad)
    assert simulation.inputs == () and not [e for e in simulation.events if e.kind == Kind.inject_fired]


def test_the_view_shows_state_and_each_options_consequence(scenario):
    simulation = Simulation(scenario, seed=3, forced={"recognise_situation": ("yes", 60.0)})
    simulation.advance(61)
    view = simulation.view()
    assert [(s.id, s.value, s.unit) for s in view.state] == [
        ("escalation", 3.0, "level"),
        ("compliance", 0.8, "share"),
        ("airport_open", view.state[2].value, "flag"),
    ]
    decision = next(d for d in view.decisions if d.id == "recognise_situation")
    assert decision.consequences == ("The alert level rises by two.", "Mixed messages halve turnout for six hours.")
