"""`ttxsim explain` tells a minutes-long metric in minutes (the tsunami's order: '11 min', not '0.2 h')."""

from __future__ import annotations

from sim.analysis.explain import explain
from sim.cli import main
from sim.scenario.bundled import resolve
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from sim.text import duration_text


def test_a_short_metric_is_explained_in_minutes(capsys):
    assert main(["explain", "tsunami", "--seed", "1", "--metric", "order_hours"]) == 0
    out = capsys.readouterr().out
    scenario = load_scenario(resolve("tsunami"))
    explanation = explain(scenario, Simulation(scenario, seed=1).run().events, "order_hours")
    assert explanation.value_hours < 2
    assert f"[order_hours]: {duration_text(explanation.value_hours)}" in out
    assert "from (min)" in out and "Which seam cost the most minutes" in out
    seam, hours = explanation.by_seam()[0]
    line = next(
        row for row in out.split("Which seam cost the most minutes")[1].splitlines() if row.split()[:1] == [seam]
    )
    assert f"{hours * 60:.1f} min" in line


def test_a_long_metric_stays_in_hours(capsys):
    assert main(["explain", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "from (h)   hours" in out and "Which seam cost the most hours" in out


def test_replications_explain_a_metric_that_happened_when_the_headline_never_did(capsys):
    """The tsunami's first time metric (90 % safe) never happens: `explain -n` said only that it
    did not happen; it now explains the next time metric that did, and says so."""
    assert main(["explain", "tsunami", "-n", "3"]) == 0
    captured = capsys.readouterr()
    assert "note: 'time_to_90pct_safe' did not happen in any of the 3 runs; explaining 'order_hours'" in captured.err
    assert "order_hours: mean over 3 runs:" in captured.out and "(mean minutes per run)" in captured.out
