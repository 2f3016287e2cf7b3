"""`ttxsim run --decide`: forcing each option changes the state and the metrics exactly as its effects say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main

SCENARIO = str(Path(__file__).resolve().parents[1] / "data" / "consequences.yaml")
HORIZON = 3 * 1440.0


def run_json(capsys, *extra: str) -> dict:
    code = main(["run", SCENARIO, "--seed", "11", "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)["metrics"]


def test_forcing_yes_raises_escalation_by_two_and_brings_up_the_gated_decision(capsys):
    metrics = run_json(capsys, "--decide", "recognise_situation=yes@1h")
    assert metrics["recognised_hours"] == 1.0
    assert metrics["recognised"] == 1
    assert metrics["final_escalation"] == 3.0  # 1 + 2, and no missed deadline
    assert metrics["peak_escalation"] == 3.0
    assert metrics["mean_compliance"] == 0.8
    assert metrics["schools_after_recognition_hours"] == 1.0  # comes up at escalation 3, modelled delay 1h
    assert metrics["deadline_missed"] == 0
    assert metrics["objectives"] == {"no_deadline_missed": 1, "alert_contained": 1}
    assert isinstance(metrics["strikes"], int)  # escalation 3 lets the strike hazard run


def test_forcing_no_halves_compliance_for_six_hours_and_misses_the_deadline(capsys):
    metrics = run_json(capsys, "--decide", "recognise_situation=no@1h")
    assert metrics["recognised"] == 0
    assert metrics["lowest_compliance"] == 0.4
    expected_mean = (0.8 * 60 + 0.4 * 360 + 0.8 * (HORIZON - 420)) / HORIZON
    assert metrics["mean_compliance"] == pytest.approx(expected_mean, rel=1e-12)
    assert metrics["schools_after_recognition_hours"] is None  # never came up: a metric that did not happen
    assert metrics["deadline_missed"] == 1
    assert metrics["final_escalation"] == 2.0  # 1 + 1 from the deadline inject at T+1d
    assert metrics["strikes"] == 0 and metrics["mean_airport_open"] == 1.0  # escalation never reached 3
    assert metrics["objectives"] == {"no_deadline_missed": 0, "alert_contained": 1}


def test_without_delay_the_modelled_delay_stays(capsys):
    free = run_json(capsys)
    forced = run_json(capsys, "--decide", "recognise_situation=no")
    assert forced["recognised_hours"] == free["recognised_hours"]
    assert forced["recognised"] == 0


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("recognise=yes", "unknown decision 'recognise' (did you mean 'recognise_situation'?)"),
        ("recognise_situation=maybe", "has no option 'maybe'; options: yes, no"),
        ("recognise_situation=yes@soon", "expected a duration"),
        ("recognise_situation", "expected DECISION=OPTION"),
    ],
)
def test_bad_decide_values_exit_2_with_one_sentence(capsys, value, fragment):
    code = main(["run", SCENARIO, "--decide", value])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_compare_forces_the_option_in_every_arm(capsys):
    def compare(decide: str) -> dict:
        argv = ["compare", SCENARIO, "--reform", "fast_instruction", "-n", "3", "--jobs", "1", "--quiet", "--json"]
        assert main([*argv, "--decide", decide]) == 0
        return json.loads(capsys.readouterr().out)["metrics"]

    no = compare("recognise_situation=no@1h")
    assert no["recognised"]["baseline"]["mean"] == 0.0 and no["recognised"]["fast_instruction"]["mean"] == 0.0
    assert no["final_escalation"]["baseline"]["mean"] == 2.0
    yes = compare("recognise_situation=yes@1h")
    assert yes["recognised"]["fast_instruction"]["mean"] == 1.0
    assert yes["peak_escalation"]["baseline"]["mean"] == 3.0


def test_compare_refuses_an_unknown_option(capsys):
    assert main(["compare", SCENARIO, "-n", "2", "--quiet", "--decide", "recognise_situation=perhaps"]) == 2
    assert "has no option 'perhaps'" in capsys.readouterr().err
