"""The seams are the scenario's own span metrics: the console's panel, the run summary and the figures
show what the YAML declares, by its titles, with the values `run --json` reports (issue 11, item 10)."""

from __future__ import annotations

import pytest
from rich.console import Console

from sim.analysis.plots import labels_for
from sim.commands.basic import render_summary
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO, ROOT
from tui.widgets.status_panel import span_status

CONSEQUENCES = ROOT / "tests" / "data" / "consequences.yaml"
SPAN = "schools_after_recognition_hours"


def _text(rich_text) -> str:
    console = Console(width=120, record=True)
    console.print(rich_text)
    return console.export_text().strip()


def test_the_view_lists_each_span_metric_not_started_running_then_done():
    """Not started at T+0, running from when its start held, and at the end the value `run --json` reports."""
    scenario = load_scenario(CONSEQUENCES)
    for seed in range(1, 20):
        sim = Simulation(scenario, seed=seed)
        (span,) = sim.view().spans
        assert (span.id, span.title, span.started_at, span.hours) == (SPAN, SPAN, None, None)
        assert _text(span_status(span, sim.clock.label)) == "not started"
        while sim.view().spans[0].started_at is None and sim.next_event_time() is not None:
            sim.step()
        running = sim.view().spans[0]
        if running.started_at is None or running.hours is not None:
            continue  # never started, or ended in the same instant: try another seed
        assert _text(span_status(running, sim.clock.label)) == f"running since {sim.clock.label(running.started_at)}"
        result = sim.run()
        done = sim.view().spans[0]
        if done.hours is None:
            continue
        assert done.hours == result.metrics[SPAN]
        assert _text(span_status(done, sim.clock.label)) == f"done in {done.hours:.1f} h"
        return
    pytest.fail("no seed in 1..19 started and finished the span in separate instants")


def test_a_scenario_without_span_metrics_has_no_seam_rows():
    sim = Simulation(load_scenario(ROOT / "tests" / "data" / "minimal.yaml"), seed=1)
    assert sim.view().spans == ()


def test_the_run_summary_lists_the_scenarios_metrics_and_no_fixed_seams():
    """The bundled default scenario's two spans appear as its own metrics, by id and title."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    sim = Simulation(scenario, seed=1)
    text = render_summary(sim.run(), sim)
    assert "Seams" not in text
    for metric_id in ("handover.transfer_hours", "consultation.decision_hours"):
        title = next(m.title for m in scenario.metrics if m.id == metric_id)
        line = next(line for line in text.splitlines() if line.strip().startswith(metric_id))
        assert title in line


def test_the_seams_figure_draws_the_scenarios_spans_else_its_times():
    spans = labels_for(load_scenario(DEFAULT_SCENARIO)).seams
    assert spans[:2] == ("handover.transfer_hours", "consultation.decision_hours")
    assert len(spans) == 5
    tsunami = load_scenario(ROOT / "scenarios" / "tsunami.yaml")
    assert labels_for(tsunami).seams == tuple(m.id for m in tsunami.metrics if m.kind == "time")


def test_compare_out_writes_a_seams_figure_titled_by_the_scenario(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    from sim.cli import main

    out = tmp_path / "out"
    assert main(["compare", str(CONSEQUENCES), "-n", "4", "-j", "1", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert SPAN in (out / "seams.svg").read_text(encoding="utf-8")
    assert SPAN in (out / "overview.svg").read_text(encoding="utf-8")
