"""`ttxsim run` words its summary as the report does: metrics by kind, decision times as durations."""

from __future__ import annotations

from sim import cli
from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from sim.text import duration_text, metric_text


def test_the_run_summary_words_metrics_by_kind_and_times_as_durations(capsys):
    assert cli.main(["run", "tsunami", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    scenario = load_scenario(resolve("tsunami"))
    metrics = Simulation(scenario, seed=1).run().metrics
    for metric in scenario.metrics:
        line = next(row for row in out.splitlines() if row.split()[:1] == [metric.id])
        assert metric_text(metric.kind, metrics.get(metric.id)) in line
    assert "Decisions (taken, after T+0)" in out
    for decision_id, row in metrics["decisions"].items():
        line = next(r for r in out.splitlines() if r.split()[:1] == [decision_id])
        assert duration_text(row["taken_hours"]) in line
    assert any("min" in r for r in out.splitlines() if r.split()[:1] == ["order_hours"])  # not 0.1785
