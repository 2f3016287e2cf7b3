"""Repeatable decisions and injects that wait on a deadline, end to end."""

from __future__ import annotations

from sim.events import Kind
from sim.scenario.loader import load_scenario_text
from sim.simulation import Simulation

PATROL = """
scenario: {id: p, title: P, start: "2027-04-05T06:00:00+09:00", horizon: 2d}
agencies: [{id: hq, name: HQ, kind: executive, role: Commander}]
state:
  - {id: tension, initial: 1, min: 0, max: 3}
decisions:
  - id: review
    title: Review the patrol posture
    owner: hq
    delay: 1h
    repeat: 12h
    options:
      - {id: escalate, label: Escalate, effects: [{kind: add, state: tension, value: 1}]}
"""


def test_a_repeatable_decision_reopens_after_each_taking_and_state_stays_in_bounds():
    result = Simulation(load_scenario_text(PATROL), seed=1).run()
    taken = [e.time for e in result.events if e.kind == Kind.decision_taken]
    assert taken == [60.0, 840.0, 1620.0, 2400.0]  # 1 h to answer, re-opened 12 h after each answer
    reopened = [(e.time, e.data["times"]) for e in result.events if e.kind == Kind.decision_reopened]
    assert reopened == [(780.0, 1), (1560.0, 2), (2340.0, 3)]
    values = [e.data["value"] for e in result.events if e.kind == Kind.state_changed]
    assert values == [1.0, 2.0, 3.0, 3.0, 3.0]  # clamped at max


def test_a_person_answers_a_repeatable_decision_again():
    scenario = load_scenario_text(PATROL)
    sim = Simulation(scenario, seed=1, human_roles={"hq"})
    sim.advance(10)
    sim.decide("review", "escalate", "hq")
    sim.advance(10 + 12 * 60)
    assert [d.status for d in sim.view().decisions] == ["pending"]
    sim.decide("review", "escalate", "hq")
    assert sim.view().state[0].value == 3.0


DEADLINE = """
scenario: {id: d, title: D, start: "2027-04-05T06:00:00+09:00", horizon: 1d}
agencies: [{id: mayor, name: Mayor, kind: municipality}]
decisions:
  - {id: evacuation_order, title: Order the evacuation, owner: mayor, delay: DELAY, options: [{id: order, label: Order}]}
injects:
  - id: no_order
    when: {not: {decision: evacuation_order}, after: 15m}
    to: [mayor]
    synopsis: Fifteen minutes and no evacuation order.
"""


def fired(text: str) -> list[float]:
    result = Simulation(load_scenario_text(text), seed=1).run()
    return [e.time for e in result.events if e.kind == Kind.inject_fired]


def test_deadline_inject_fires_at_the_deadline_when_no_decision_came():
    assert fired(DEADLINE.replace("DELAY", "1h")) == [15.0]


def test_deadline_inject_never_fires_when_the_decision_came_first():
    assert fired(DEADLINE.replace("DELAY", "10m")) == []


POSTURE = """
scenario: {id: r, title: R, start: "2027-04-05T06:00:00+09:00", horizon: 2d}
agencies:
  - {id: hq, name: HQ, kind: executive, role: Commander}
  - {id: field, name: Field unit, kind: military, parent: hq, handling: 10m}
decisions:
  - id: posture
    title: Set the posture
    owner: hq
    delay: 1h
    repeat: 6h
    options: [{id: alert, label: Alert}, {id: relax, label: Relax}]
  - id: stand_down
    title: Stand down
    owner: field
    delay: 30m
    requires: [{decision: posture, options: [relax]}]
    options: [{id: done, label: Done}]
"""


def test_a_second_answer_of_a_repeatable_decision_reaches_those_who_learned_the_first():
    """HQ answers `alert`, six hours later `relax`: the field unit, which learned `alert`,
    learns `relax` too, and the decision waiting on it comes up."""
    sim = Simulation(load_scenario_text(POSTURE), seed=1, human_roles={"hq"})
    sim.advance(10)
    sim.decide("posture", "alert", "hq")
    sim.advance(6 * 60)
    assert sim._network.agencies["field"].knows[("decision", "posture")] == "alert"
    sim.advance(6 * 60 + 20)  # re-opened at 6 h 10 m
    sim.decide("posture", "relax", "hq")
    sim.advance(9 * 60)
    assert sim._network.agencies["field"].knows[("decision", "posture")] == "relax"
    pending = [e for e in sim.events if e.kind == Kind.decision_pending and e.target == "stand_down"]
    assert len(pending) == 1 and pending[0].time > 6 * 60 + 20


def test_an_older_answer_arriving_late_never_replaces_a_newer_one():
    from sim.domain.comms import Fact

    sim = Simulation(load_scenario_text(POSTURE), seed=1)
    network = sim._network
    network.tell("field", Fact("decision", "posture", "relax", taking=2))
    network.tell("field", Fact("decision", "posture", "alert", taking=1))
    assert network.agencies["field"].knows[("decision", "posture")] == "relax"
