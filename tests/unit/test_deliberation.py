"""`human_deliberations`: each decision a person took, timed from the event stream alone."""

from __future__ import annotations

import json

import pytest

from sim.analysis.deliberation import duration, human_deliberations
from sim.events import SimEvent
from sim.scenario.loader import load_scenario_text
from sim.simulation import Simulation

SCENARIO = """
scenario: {id: deliberate, title: Deliberation, start: "2027-04-05 06:00", horizon: 2d}
agencies:
  - {id: tokyo, name: Tokyo, kind: executive, role: Prime Minister}
  - {id: town, name: Town office, kind: municipality, handling: 10m, role: Mayor}
channels:
  - {id: line, from: tokyo, to: town, latency: 20m}
injects:
  - {id: alert, at: 1h, to: [tokyo], synopsis: Missiles on the radar}
  - {id: siren, at: 10h, to: [town], synopsis: Sirens tested}
  - {id: strike, at: 12h, to: [tokyo], synopsis: A strike on the port, effects: [{kind: add, state: threat, value: 2}]}
state:
  - {id: threat, title: Threat level, initial: 1}
decisions:
  - {id: warn, title: "Tokyo: warn?", owner: tokyo, requires: [{inject: alert}], delay: 1h, notify: [town],
     options: [{id: "yes", label: Warn}, {id: "no", label: Hold}], expected: Warn the town, expected_within: 30m}
  - {id: act, title: "Town: act?", owner: town, requires: [{decision: warn}], delay: 2h,
     options: [{id: "yes", label: Act}], expected_within: 1h}
  - {id: drill, title: "Town: drill after the sirens?", owner: town, when: {inject: siren}, delay: 1h,
     options: [{id: "yes", label: Drill}]}
  - {id: review, title: "Town: review the posture?", owner: town, requires: [{decision: warn}], delay: 3h,
     repeat: 12h, options: [{id: keep, label: Keep}], expected_within: 1h}
  - {id: shelter, title: "Town: shelter?", owner: town, requires: [{decision: warn}], when: {state: threat, at_least: 3},
     delay: 1h, options: [{id: "yes", label: Shelter}]}
  - {id: later, title: "Tokyo: stand down?", owner: tokyo, requires: [{inject: siren}], delay: 1h,
     options: [{id: "yes", label: Stand down}]}
"""


@pytest.fixture(scope="module")
def session():
    """The town is played; the facilitator overrides Tokyo's warning. The alert fires at 01:00 and
    reaches Tokyo at 01:10; the warning reaches the town at 02:00."""
    scenario = load_scenario_text(SCENARIO)
    sim = Simulation(scenario, seed=1, human_roles=["town"])
    sim.advance(90)
    sim.decide("warn", "yes", "facilitator")  # 20 min after it came up at 01:10
    sim.advance(150)
    sim.decide("review", "keep", "town")  # 30 min after 02:00: on time
    sim.advance(200)
    sim.decide("act", "yes", "town")  # 80 min after 02:00: late (S, within 2 x 1 h)
    sim.advance(660)
    sim.decide("drill", "yes", "town")  # 1 h after the sirens at 10:00
    sim.advance(12 * 60 + 45)
    sim.decide("shelter", "yes", "town")  # 45 min after the strike raised the threat at 12:00
    sim.advance(150 + 720 + 150)  # review re-opens at 14:30 (12 h after 02:30); 2.5 h later
    sim.decide("review", "keep", "town")
    sim.evaluate("act", "M", "Ms Sato", "slow to act")
    sim.advance(2 * 1440)
    return scenario, sim


def _rows(session):
    scenario, sim = session
    return {(r.decision, r.taken): r for r in human_deliberations(scenario, sim.events, sim.inputs)}


def test_each_decision_a_person_took_in_the_order_taken(session):
    scenario, sim = session
    rows = human_deliberations(scenario, sim.events, sim.inputs)
    assert [(r.decision, r.role) for r in rows] == [
        ("warn", "facilitator"),
        ("review", "town"),
        ("act", "town"),
        ("drill", "town"),
        ("shelter", "town"),
        ("review", "town"),
    ]
    assert "later" not in {r.decision for r in rows}  # the model's own decisions are not a person's


def test_came_up_taken_and_deliberation(session):
    rows = _rows(session)
    warn = rows[("warn", 90.0)]
    assert (warn.came_up, warn.taken, warn.deliberation) == (70.0, 90.0, 20.0)
    assert warn.overridden and warn.owner == "tokyo"
    act = rows[("act", 200.0)]
    assert (act.came_up, act.deliberation, act.label) == (120.0, 80.0, "Act")
    assert not act.overridden


def test_time_from_the_triggering_inject_or_decision(session):
    rows = _rows(session)
    warn = rows[("warn", 90.0)]
    assert (warn.trigger, warn.triggered_at, warn.from_trigger) == ("inject alert", 60.0, 30.0)
    act = rows[("act", 200.0)]  # the warning taken at 01:30 reached the town at 02:00
    assert (act.trigger, act.triggered_at, act.from_trigger) == ("decision warn", 90.0, 110.0)
    drill = rows[("drill", 660.0)]  # its `when:` held the instant the sirens sounded
    assert (drill.trigger, drill.triggered_at, drill.from_trigger) == ("inject siren", 600.0, 60.0)
    shelter = rows[("shelter", 765.0)]  # a state its `when:` watches, changed by an inject's effect
    assert (shelter.trigger, shelter.triggered_at, shelter.deliberation) == ("inject strike (threat 3)", 720.0, 45.0)


def test_ratings_come_from_the_one_rater(session):
    rows = _rows(session)
    assert rows[("warn", 90.0)].rating.value == "P"
    assert rows[("review", 150.0)].rating.value == "P"
    act = rows[("act", 200.0)].rating
    assert act.value == "M" and "rated M by evaluator Ms Sato" in act.reason and "derived: S late" in act.reason
    assert rows[("drill", 660.0)].rating.value == "P" and "no time standard" in rows[("drill", 660.0)].rating.reason


def test_a_repeated_decision_is_timed_and_rated_on_each_taking(session):
    again = _rows(session)[("review", 150.0 + 720 + 150)]
    assert again.came_up == 870.0 and again.deliberation == 150.0
    assert (again.trigger, again.triggered_at) == ("its repeat came due", 150.0)
    assert again.rating.value == "M" and "very late" in again.rating.reason


def test_a_stored_event_log_gives_the_same_rows(session):
    scenario, sim = session
    stored = [SimEvent.from_dict(json.loads(e.to_json())) for e in sim.events]
    assert human_deliberations(scenario, stored, sim.inputs) == human_deliberations(scenario, sim.events, sim.inputs)


def test_a_run_without_people_has_no_rows():
    scenario = load_scenario_text(SCENARIO)
    assert human_deliberations(scenario, Simulation(scenario, seed=1).run().events) == []


def test_duration_reads_minutes_under_an_hour():
    assert (duration(20.0), duration(95.0), duration(None)) == ("20 min", "1.6 h", "-")
