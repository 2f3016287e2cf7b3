"""`ttxsim compare --decisions JOURNAL`: the session arm replays every input of the class.

The session arm must reproduce the class's own run on the session's seed
(decisions *and* the facilitator's injects, ad hoc ones included; notes change
nothing), and a journal recorded on another scenario than the one given is
refused unless the user asks for the journal's scenario.
"""

from __future__ import annotations

import json

import pytest

from sim.cli import main
from sim.commands.analysis import _session_arm
from sim.journal import replay, start_session
from sim.runner import run_arm
from tests.conftest import DEFAULT_SCENARIO, MINIMAL_SCENARIO

SEED = 3


def _class_session(path):
    """A class plays pm and cabinet; the facilitator fires the typhoon and an ad hoc inject."""
    from sim.scenario.schema import Inject

    sim, journal = start_session(DEFAULT_SCENARIO, seed=SEED, human_roles=["pm", "cabinet"], journal_path=path)
    ad_hoc = Inject.model_validate(
        {
            "id": "adhoc_rumour",
            "on_demand": True,
            "to": ["okinawa_pref"],
            "synopsis": "=HYPERLINK(rumour) a rumour of closed ferries spreads",
            "effects": [{"kind": "scale", "state": "compliance", "factor": 0.5, "for": "1d"}],
        }
    )
    while not sim.finished:
        sim.advance(sim.now + 90.0)
        for decision in sim.view().decisions:
            if decision.human and decision.status == "pending" and sim.now - (decision.came_up_at or 0) >= 120:
                journal.decide(sim, decision.id, decision.options[0][0], decision.owner)
                journal.note(sim, f"{decision.id} answered", "observer")
        if sim.now == 90.0 * 20:
            journal.apply(sim, sim.scenario.inject("m06"))  # the typhoon, fired by the facilitator
        if sim.now == 90.0 * 25:
            journal.apply(sim, ad_hoc)
    journal.close(sim.now)
    return sim


@pytest.mark.slow
def test_session_arm_reproduces_the_class_run_on_its_own_seed(tmp_path):
    """On the journal's seed the session arm gives the journal's own replay, metric for metric."""
    path = tmp_path / "class.ttxj"
    played = _class_session(path)
    arm = _session_arm(path, None, DEFAULT_SCENARIO.read_text(encoding="utf-8"), False)
    kinds = [kind for _, kind, _ in arm.session_inputs]
    assert "inject" in kinds and "decision" in kinds and "note" not in kinds

    result = run_arm(arm, SEED)
    fired = [e.data["inject"] for e in result.events if e.kind == "inject_fired" and e.data.get("manual")]
    assert fired == ["m06", "adhoc_rumour"]
    assert result.metrics == replay(path).simulation.metrics() == played.metrics()
    # The typhoon matters: without the injects the evacuation ends at another time.
    decisions_only = arm.__class__(
        arm.name,
        arm.scenario_text,
        arm.filename,
        arm.reforms,
        session_inputs=tuple(item for item in arm.session_inputs if item[1] == "decision"),
        human_roles=arm.human_roles,
    )
    other = run_arm(decisions_only, SEED).metrics["evacuation.completion_hours"]
    assert other != result.metrics["evacuation.completion_hours"]


def test_compare_refuses_a_journal_of_another_scenario(tmp_path, capsys):
    """`compare other.yaml --decisions J` exits 2 with one sentence unless told to use the journal's scenario."""
    path = tmp_path / "class.ttxj"
    sim, journal = start_session(MINIMAL_SCENARIO, seed=SEED, human_roles=["cabinet"], journal_path=path)
    while not sim.finished:
        sim.advance(sim.now + 60)
        for decision in sim.view().decisions:
            if decision.status == "pending" and decision.human:
                journal.decide(sim, decision.id, "no", decision.owner)
    journal.close(sim.now)
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_SCENARIO.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    argv = ["compare", str(other), "--decisions", str(path), "-n", "2", "-j", "1", "--json", "-q"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "another scenario" in err and "--use-journal-scenario" in err and len(err.splitlines()) == 1

    assert main([*argv, "--use-journal-scenario"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["metrics"]["decisions.evacuation_instruction.taken_hours"]) == {"baseline", "session"}

    same = ["compare", str(MINIMAL_SCENARIO), "--decisions", str(path), "-n", "2", "-j", "1", "--json", "-q"]
    assert main(same) == 0
    capsys.readouterr()


def test_use_journal_scenario_needs_decisions(capsys):
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["compare", str(MINIMAL_SCENARIO), "--use-journal-scenario", "-n", "2", "-q"]))
    assert exit_info.value.code == 2
    assert "--use-journal-scenario needs --decisions" in capsys.readouterr().err
