"""Contracts of the Simulation facade that both front ends rely on."""

from __future__ import annotations

import pytest

from sim.events import Kind
from sim.scenario.schema import Inject
from sim.simulation import DecisionError, Simulation


def test_advance_returns_only_new_events_and_never_goes_back(minimal):
    """advance() returns the slice's events; advancing to the past is a no-op."""
    sim = Simulation(minimal, seed=3)
    first = sim.advance(600)
    assert sim.now == 600
    assert all(e.time <= 600 for e in first)
    assert sim.advance(300) == []
    assert sim.now == 600
    second = sim.advance(1200)
    assert [e.seq for e in second] == list(range(len(first), len(first) + len(second)))


def test_advance_is_capped_at_the_horizon(minimal):
    """No run goes past the scenario horizon."""
    sim = Simulation(minimal, seed=1)
    sim.advance(10 * minimal.scenario.horizon)
    assert sim.now == minimal.scenario.horizon
    assert sim.finished


def test_slicing_does_not_change_the_event_log(sakishima):
    """Many small advance() calls give the same log as one run()."""
    whole = Simulation(sakishima, seed=5).run()
    sliced = Simulation(sakishima, seed=5)
    t = 0.0
    while not sliced.finished:
        t += 97.3
        sliced.advance(t)
    assert [e.to_json() for e in sliced.events] == [e.to_json() for e in whole.events]


def test_step_reaches_the_next_event_time(minimal):
    """step() moves the clock exactly to the next scheduled event."""
    sim = Simulation(minimal, seed=2)
    nxt = sim.next_event_time()
    assert nxt is not None
    sim.step()
    assert sim.now == nxt


def test_human_decision_waits_and_decide_changes_the_run(minimal):
    """A human-played role's decision stays pending until decide(); the choice is recorded."""
    sim = Simulation(minimal, seed=1, human_roles={"cabinet"})
    sim.advance(3 * 24 * 60 - 1)
    pending = [d for d in sim.view().decisions if d.status == "pending"]
    assert [d.id for d in pending] == ["recognise_situation"]
    assert not any(e.kind is Kind.decision_taken for e in sim.events)
    sim.decide("recognise_situation", "no", "cabinet")
    sim.advance(sim.now + 1)
    taken = [e for e in sim.events if e.kind is Kind.decision_taken]
    assert taken[0].data["option"] == "no" and taken[0].data["by"] == "human:cabinet"
    assert sim.inputs[-1].kind == "decision"


def test_decide_rejects_wrong_role_option_and_state(minimal):
    """decide() refuses answers the model cannot take, with a clear error."""
    sim = Simulation(minimal, seed=1, human_roles={"cabinet"})
    with pytest.raises(DecisionError, match="waiting, not pending"):
        sim.decide("evacuation_instruction", "instruct", "fdma")
    sim.advance(24 * 60)
    with pytest.raises(DecisionError, match="does not own"):
        sim.decide("recognise_situation", "yes", "fdma")
    with pytest.raises(DecisionError, match="no option 'maybe'"):
        sim.decide("recognise_situation", "maybe", "cabinet")
    with pytest.raises(DecisionError, match="unknown decision"):
        sim.decide("nope", "yes", "cabinet")


def test_apply_fires_at_now_and_is_recorded(sakishima):
    """An inject applied by hand fires at the current time and is an input for replay."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(500.5)
    event = sim.apply(sakishima.inject("m11"))
    assert event.kind is Kind.inject_fired and event.time == 500.5 and event.data["manual"]
    assert sim.inputs[-1].kind == "inject" and sim.inputs[-1].time == 500.5
    sim.advance(3000)
    assert any(e.kind is Kind.decision_pending and e.target == "mso_beyond_jcg" for e in sim.events)


def test_ad_hoc_inject_validates_through_the_schema(sakishima):
    """An inject built by hand is a schema object; bad ones fail before reaching the engine."""
    inject = Inject.model_validate({"id": "adhoc1", "on_demand": True, "to": ["okinawa_pref"], "synopsis": "Power cut"})
    sim = Simulation(sakishima, seed=1)
    sim.apply(inject)
    sim.advance(120)
    assert any(
        e.kind is Kind.message_handled and e.source == "okinawa_pref" and e.data["fact"] == "adhoc1" for e in sim.events
    )
    with pytest.raises(ValueError):
        Inject.model_validate({"id": "bad", "on_demand": True, "to": [], "synopsis": "x"})


@pytest.mark.slow
def test_replaying_inputs_reproduces_the_session(sakishima):
    """Scenario + seed + inputs in order give the same event log, byte for byte."""
    live = Simulation(sakishima, seed=9, human_roles={"okinawa_pref"})
    t = 0.0
    while not live.finished:
        t += 211.7
        live.advance(t)
        pending = [d for d in live.view().decisions if d.status == "pending" and d.human]
        for decision in pending:
            live.decide(decision.id, decision.options[0][0], decision.owner)
        if 3000 < t < 3300:
            live.apply(sakishima.inject("m06"))
            live.note("typhoon fired by hand")
    replay = Simulation(sakishima, seed=9, human_roles={"okinawa_pref"})
    for item in live.inputs:
        replay.replay_input(item)
    replay.run()
    assert [e.to_json() for e in replay.events] == [e.to_json() for e in live.events]


def test_view_is_frozen(sakishima):
    """The UI gets copies; it cannot change the model through them."""
    view = Simulation(sakishima, seed=1).view()
    with pytest.raises(AttributeError):
        view.now = 5  # type: ignore[misc]


def test_inbox_holds_only_what_the_agency_learned(sakishima):
    """A role view shows facts delivered to that agency, never others' internals."""
    sim = Simulation(sakishima, seed=1)
    sim.advance(24 * 60)
    inbox = sim.inbox("nss")
    assert ("inject", "m01") in {(row[1], row[2]) for row in inbox}
    assert all(row[0] <= sim.now for row in inbox)
    assert not any(row[2] == "m02" for row in inbox)  # m02 went to Okinawa, not to the NSS


def test_unknown_human_role_is_rejected(minimal):
    with pytest.raises(ValueError, match="unknown role"):
        Simulation(minimal, human_roles={"atlantis"})


def test_advance_reaches_awkward_times_exactly(minimal):
    """Scenario times that do not survive the SimPy offset exactly still count as reached."""
    sim = Simulation(minimal, seed=1)
    until = 831.9736852329436  # (until + offset) - offset != until in floating point
    sim.advance(until)
    assert sim.now == pytest.approx(until, abs=1e-9)
    sim.advance(until)  # a repeated target is a no-op, never a SimPy error
    sim.advance(minimal.scenario.horizon)
    assert sim.finished


def test_answer_in_the_instant_a_decision_comes_up(minimal):
    """A person may answer before the engine has even started waiting for them."""
    sim = Simulation(minimal, seed=1, human_roles={"cabinet"})
    while not any(d.status == "pending" for d in sim.view().decisions):
        sim.step()
    sim.decide("recognise_situation", "yes", "cabinet")
    sim.advance(sim.now + 1)
    assert sim.view().decisions[0].status == "taken"


def test_decide_takes_the_decision_at_once(minimal):
    """A person's answer is taken in the same call: no intermediate state for the UI."""
    sim = Simulation(minimal, seed=1, human_roles={"cabinet"})
    sim.advance(60)
    sim.decide("recognise_situation", "yes", "cabinet")
    assert next(d for d in sim.view().decisions if d.id == "recognise_situation").status == "taken"
    assert any(e.kind is Kind.decision_taken and e.target == "recognise_situation" for e in sim.events)


def test_firing_a_scheduled_inject_early_replaces_its_schedule(sakishima):
    """'Fire now' on an MSEL inject fires it once, now, not again at its scheduled time."""
    sim = Simulation(sakishima, seed=1)
    m04 = sakishima.inject("m04")
    sim.advance(60)
    sim.apply(m04)
    sim.advance(m04.at + 60)
    fired = [e for e in sim.events if e.kind is Kind.inject_fired and e.data["inject"] == "m04"]
    assert [e.time for e in fired] == [60]
