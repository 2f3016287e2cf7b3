"""The bundled Sakishima scenario played for real: roles have choices, choices have
consequences, the legal chains follow the fact sheet (§5.2, §8.1-§8.3) and the
adversary's hazards read the escalation the players drive.

Each test runs the whole engine on the bundled file, so it fails if the data
(or the engine features the data relies on) stop doing what the console tells
the player.
"""

from __future__ import annotations

import statistics

import pytest

from sim.events import Kind
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

DAY = 1440.0


def run(scenario, seed=1, **forced):
    return Simulation(scenario, seed=seed, forced={d: (o, None) for d, o in forced.items()}).run()


JCG_LINKS = {"ishigaki_jcg": "ishigaki", "miyako_jcg": "miyako", "miyako_jcg_one": "miyako"}
"""The links of the JCG's own vessels, by the island they sail from."""


def jcg_sailings(result) -> list[tuple[float, str]]:
    """(hours, island) of each sailing of the JCG's own vessels."""
    return [
        (e.time / 60, JCG_LINKS[e.data["link"]])
        for e in result.events
        if e.kind == Kind.cohort_departed and e.data["link"] in JCG_LINKS
    ]


def test_every_role_has_a_decision_with_two_or_more_options(sakishima):
    roles = {a.id: a.role for a in sakishima.agencies if a.role}
    with_choice = {d.owner for d in sakishima.decisions if len(d.options) >= 2}
    assert len(roles) == 13
    assert sorted(set(roles) - with_choice) == []


def test_every_option_of_a_choice_tells_the_player_its_consequence(sakishima):
    """Each option of a multi-option decision owned by a role carries a one-line consequence, and they differ."""
    roles = {a.id for a in sakishima.agencies if a.role}
    for decision in sakishima.decisions:
        if decision.owner not in roles or len(decision.options) < 2:
            continue
        texts = [o.consequence for o in decision.options]
        assert all(t and "\n" not in t for t in texts), decision.id
        assert len(set(texts)) == len(texts), decision.id


def test_the_consultation_answer_reaches_alliance_cohesion(sakishima):
    """Same seed, only the answer differs: 'no' costs 0.4 of cohesion against 'yes'."""
    yes = run(sakishima, consultation_answer="yes").metrics["alliance_cohesion_final"]
    no = run(sakishima, consultation_answer="no").metrics["alliance_cohesion_final"]
    assert yes - no == pytest.approx(0.4)


def test_an_armed_attack_occurring_skips_prior_consultation(sakishima):
    """Art. V branch (facts §3): with an attack recognised as occurring, consultation is not required
    and US sorties still launch."""
    metrics = run(sakishima, situation_assessment="occurring").metrics
    assert metrics["decisions"]["consultation_answer"]["option"] == "not_required"
    assert metrics["decisions"]["us_combat_sorties"]["status"] == "taken"
    assert metrics["article5_branch"] == 1


def test_a_defence_operation_waits_for_re_recognition_of_an_armed_attack(sakishima):
    """Art. 76 needs an armed-attack situation (facts §8.2): without re-recognition there is no order."""
    metrics = run(sakishima, armed_attack_recognition="not_yet", attack_occurring_recognition="isolated_incident")
    decisions = metrics.metrics["decisions"]
    assert decisions["defense_operation_order"]["status"] == "waiting"
    assert metrics.metrics["handover.transfer_hours"] is None


def test_diet_rejection_ends_the_defence_operation(sakishima):
    """Ex post rejection (facts §5.2 step 5): the defence operation and air defence end, control is lifted."""
    result = run(
        sakishima,
        defense_operation_order="urgent",
        jcg_special_necessity="necessary",
        diet_ex_post_approval="rejected",
        jcg_control_lifted="lifted",
    )
    finals = {}
    for event in result.events:
        if event.kind == Kind.state_changed:
            finals[event.target] = event.data["value"]
    assert finals["defence_operation"] == 0
    assert result.metrics["decisions"]["jcg_control_lifted"]["status"] == "taken"


def test_the_regular_cabinet_meets_on_tuesday_or_friday_morning(sakishima):
    """T+0 is Monday 06:00; a policy left to the regular Cabinet is adopted within hours of Tue/Fri 09:00."""
    slots = [27.0, 99.0, 195.0, 267.0]
    for seed in (1, 2, 3):
        taken = run(sakishima, seed, cabinet_procedure="regular").metrics["decisions"]["basic_response_policy"]
        assert any(slot <= taken["taken_hours"] <= slot + 8 for slot in slots), taken


def test_coast_guard_vessels_carry_evacuees_before_any_art_80_control(sakishima):
    """JCG sea transport starts under its own Civil Protection Plan (facts §8.1), before the defence order."""
    result = run(sakishima, jcg_civil_protection="sea_transport")
    order = result.metrics["decisions"]["defense_operation_order"]["taken_hours"]
    sailings = jcg_sailings(result)
    assert sailings
    assert order is None or min(t for t, _island in sailings) < order
    assert {island for _t, island in sailings} == {"ishigaki", "miyako"}


def test_reinforcement_flights_hold_ishigakis_stands_for_their_stand_hours(sakishima):
    """Reinforcement flights first: Ishigaki's evacuation flights are held for the 3.6 stand-hours the
    12 reinforcement flights take (12 x 90 min over 5 stands)."""
    result = run(sakishima, stand_priority="reinforcement_first")
    held = [
        e.data["hours"]
        for e in result.events
        if e.kind == Kind.leg_closed and e.source.startswith("decision:stand_priority")
    ]
    assert held == [3.6]


def test_the_unthreatened_variant_has_no_adversary():
    result = Simulation(load_scenario(DEFAULT_SCENARIO, reforms=["unthreatened"]), seed=1).run()
    assert not [e for e in result.events if e.kind == Kind.hazard_occurred]
    assert result.metrics["escalation_peak"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("decision", "reference", "other", "metric", "sign"),
    [
        (
            "stand_priority",
            "evacuation_first",
            "reinforcement_first",
            "ishigaki_last_flight_hours",
            1,
        ),
        ("cabinet_procedure", "emergency", "regular", "clearance_hours", 1),
        ("operators_continue", "guarantee", "suspend", "clearance_hours", 1),
    ],
)
def test_named_decisions_change_a_headline_metric_over_paired_seeds(
    sakishima, decision, reference, other, metric, sign
):
    """Forcing one option or the other on the same 8 seeds moves the metric the consequence line names."""

    diffs = []
    for seed in range(8):
        a = run(sakishima, seed, **{decision: reference}).metrics[metric]
        b = run(sakishima, seed, **{decision: other}).metrics[metric]
        if a is not None and b is not None:
            diffs.append(b - a)
    assert len(diffs) >= 5
    assert sign * statistics.mean(diffs) > 0
    assert sum(sign * d > 0 for d in diffs) >= len(diffs) // 2


def test_forward_tasks_withdraw_the_coast_guard_vessels_from_the_lift(sakishima):
    """The Defense Minister's forward-tasks order (an open question of the 2023 guidelines) takes the JCG's
    own vessels out of the sea lift: none sails again once the trip under way is done."""
    result = run(
        sakishima,
        jcg_civil_protection="sea_transport",
        defense_operation_order="urgent",
        jcg_special_necessity="necessary",
        dm_orders_commandant="forward_sea_areas",
    )
    ordered = result.metrics["decisions"]["dm_orders_commandant"]["taken_hours"]
    assert ordered is not None
    jcg = [t for t, _island in jcg_sailings(result)]
    assert jcg and min(jcg) < ordered
    round_trip = max(lk.vehicles.turnaround.mean() for lk in sakishima.movement.links if lk.id in JCG_LINKS) / 60
    assert not [t for t in jcg if t > ordered + round_trip]
