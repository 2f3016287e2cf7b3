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


def test_the_run_summary_tells_each_area_safe_of_its_people_and_when_it_was_done(capsys):
    """Per area (by its title): people safe of its people, caught if any, and when its last person was
    safe or caught, in hours after the movement started, as the run's events say; then the
    movement's start and completion, the same figures the scenario's own metrics report."""
    from sim.analysis.areas import area_progress, movement_times

    assert cli.main(["run", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    scenario = load_scenario(resolve("sakishima"))
    result = Simulation(scenario, seed=1).run()
    times = movement_times(result.events)
    assert f"  movement starts      {duration_text(result.metrics['evacuation.start_hours'])} after T+0" in out
    completion = duration_text(result.metrics["evacuation.completion_hours"])
    assert f"  completion           {completion} after movement start" in out
    lines = out.splitlines()
    for area in area_progress(scenario, result.events):
        line = next(row for row in lines if row.startswith(f"    {area.title} "))
        assert f"{area.safe:>7,} of {area.population:>7,} safe" in line and area.safe == area.population
        assert line.endswith(f"done at {duration_text((area.finished - times.started) / 60)}"), line
    assert completion in next(row for row in lines if row.startswith("    Miyakojima City "))  # the last area


def test_an_area_the_danger_reached_says_how_many_it_caught(capsys):
    assert cli.main(["run", "tsunami", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    scenario = load_scenario(resolve("tsunami"))
    for area in scenario.movement.areas:
        line = next(row for row in out.splitlines() if row.startswith(f"    {area.title} "))
        assert " caught " in line and "done at" in line
