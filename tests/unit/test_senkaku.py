"""The bundled grey-zone scenario (scenarios/senkaku.yaml) as a new user meets it.

It validates strictly, runs deterministically, and every decision's options move
one of its own metrics the way their effects say (forced with `--decide` over the
same seeds). `run`, `compare` and `report` show its own metrics and objectives,
not the evacuation and JCG/consultation seams of the Sakishima scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main

SCENARIO = str(Path(__file__).resolve().parents[2] / "scenarios" / "senkaku.yaml")
SEEDS = (1, 2)
# Forcing these takes the maritime-security-operation chain to the decision under test.
BOARD = "jcg_response=board@10m"
REPORT = "beyond_capacity=report@10m"
REQUEST = "mod_request=request@10m"
APPROVE = "cabinet_mso=approve@10m"


def run(capsys, seed: int, *decide: str, extra: tuple[str, ...] = ()) -> dict:
    args = ["run", SCENARIO, "--seed", str(seed), "--json", *extra]
    for choice in decide:
        args += ["--decide", choice]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)["metrics"]


def total(capsys, metric: str, *decide: str) -> float:
    """The metric summed over the paired seeds (common random numbers: one stream per hazard)."""
    return sum(run(capsys, seed, *decide)[metric] for seed in SEEDS)


def test_validates_strictly(capsys):
    assert main(["validate", "--strict", SCENARIO]) == 0
    assert "ok (" in capsys.readouterr().out


def test_same_seed_gives_byte_identical_json(capsys):
    outputs = []
    for _ in range(2):
        assert main(["run", SCENARIO, "--seed", "5", "--json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    metrics = json.loads(outputs[0])["metrics"]
    for name in ("mso.order_hours", "escalation.max", "escalation.mean", "clash", "incursions", "trust.min"):
        assert name in metrics
    assert set(metrics["objectives"]) == {"mso_within_3h", "below_force", "no_clash", "trust_held", "port_within_2d"}


# (decision, forced before it, option A, option B, metric, A's total minus B's total has this sign)
CASES = [
    ("jcg_response", (), "board", "shadow_warn", "escalation.mean", +1),
    ("beyond_capacity", (BOARD, REQUEST, APPROVE), "report", "hold", "mso.ordered", +1),
    ("mod_request", (BOARD, REPORT, APPROVE), "request", "wait", "mso.ordered", +1),
    ("cabinet_mso", (BOARD, REPORT, REQUEST), "approve", "hold", "mso.ordered", +1),
    ("mso_order", (BOARD, REPORT, REQUEST, APPROVE), "on_scene", "over_horizon", "escalation.mean", -1),
    ("mofa_protest", (), "public_statement", "diplomatic_channels", "trust.mean", +1),
    ("alliance_signal", (), "public_signal", "quiet", "escalation.mean", -1),
    ("counter_disinfo", (), "release_evidence", "no_comment", "trust.mean", +1),
    ("port_cyber_response", (BOARD,), "active_defense", "operator_restores", "port.mean_ops", +1),
]


@pytest.mark.parametrize(("decision", "before", "a", "b", "metric", "sign"), CASES, ids=[c[0] for c in CASES])
def test_each_decisions_options_move_its_metric(capsys, decision, before, a, b, metric, sign):
    first = total(capsys, metric, *before, f"{decision}={a}")
    second = total(capsys, metric, *before, f"{decision}={b}")
    assert (first - second) * sign > 0, (first, second)


def test_every_decision_of_the_scenario_is_covered():
    from sim.scenario.loader import load_scenario

    assert {d.id for d in load_scenario(SCENARIO).decisions} == {c[0] for c in CASES}


def test_cabinet_hold_means_no_order_and_approval_orders_within_minutes(capsys):
    chain = (BOARD, REPORT, REQUEST)
    held = run(capsys, 1, *chain, "cabinet_mso=hold@10m")
    assert held["mso.ordered"] == 0 and held["mso.order_hours"] is None
    assert held["objectives"]["mso_within_3h"] is None  # its metric did not happen
    approved = run(capsys, 1, *chain, "cabinet_mso=approve@10m", "mso_order=on_scene@5m")
    assert approved["mso.ordered"] == 1
    assert approved["mso.order_hours"] == pytest.approx(approved["decisions"]["mso_order"]["taken_hours"])


def test_port_restoration_is_24_hours_later_when_left_to_the_operator(capsys):
    """The two options fire the restoring inject 12 h and 36 h after the answer."""
    fast = run(capsys, 1, BOARD, "port_cyber_response=active_defense@1h")
    slow = run(capsys, 1, BOARD, "port_cyber_response=operator_restores@1h")
    assert fast["port.restore_hours"] is not None and slow["port.restore_hours"] is not None
    assert slow["port.restore_hours"] - fast["port.restore_hours"] == pytest.approx(24.0)
    assert slow["port.mean_ops"] < fast["port.mean_ops"]


def test_run_summary_shows_its_own_metrics_not_the_sakishima_seams(capsys):
    assert main(["run", SCENARIO, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Metrics" in out and "Highest escalation" in out and "CCG incursions" in out
    assert "Objectives" in out and "No clash at sea" in out
    assert "JCG under MoD control" not in out and "prior consultation" not in out


def test_compare_tabulates_its_own_metrics(capsys):
    code = main(["compare", SCENARIO, "--reform", "joint_procedure", "-n", "3", "-j", "1", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    for row in ("mso.report_to_order_hours (hours)", "escalation.max", "clash", "incursions", "objectives.no_clash"):
        assert f"\n{row}\n" in out
    assert "joint_procedure" in out
    assert "did not happen in any replication: evacuation" not in out


def test_compare_json_has_its_metrics_for_both_arms(capsys):
    code = main(["compare", SCENARIO, "--reform", "joint_procedure", "-n", "3", "-j", "1", "-q", "--json"])
    assert code == 0
    table = json.loads(capsys.readouterr().out)["metrics"]
    for name in ("escalation.mean", "incursions", "trust.min", "clash"):
        assert table[name]["baseline"]["n"] == 3
        assert table[name]["joint_procedure"]["difference"]["n"] == 3
    # "better" follows the objectives: lower escalation and fewer clashes, objectives met more often
    for name in ("escalation.max", "clash", "trust.min", "objectives.no_clash"):
        assert table[name]["joint_procedure"]["difference"]["better_share"] is not None, name
    assert table["incursions"]["joint_procedure"]["difference"]["better_share"] is None  # no objective on it


def test_objectives_give_each_targeted_metric_its_direction():
    from sim.analysis.compare import objective_directions
    from sim.scenario.loader import load_scenario

    directions = objective_directions(load_scenario(SCENARIO).objectives)
    assert directions["escalation.max"] is True and directions["clash"] is True  # at_most: lower is better
    assert directions["trust.min"] is False  # at_least: higher is better
    assert directions["objectives.no_clash"] is False  # 1 = met


def test_report_shows_its_metrics_and_objectives(capsys, tmp_path):
    journal = tmp_path / "s.ttxj"
    assert main(["run", SCENARIO, "--seed", "1", "--journal", str(journal)]) == 0
    assert main(["report", str(journal), "--out", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "Highest escalation" in page and "CCG incursions into the territorial sea" in page
    assert "Objective: No clash at sea" in page
    assert "JCG under MoD control" not in page
    assert "carried off the islands" not in page
