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
    assert "Decisions (first taken, after T+0)" in out
    for decision_id, row in metrics["decisions"].items():
        line = next(r for r in out.splitlines() if r.split()[:1] == [decision_id])
        assert duration_text(row["taken_hours"]) in line
    assert any("min" in r for r in out.splitlines() if r.split()[:1] == ["order_hours"])  # not 0.1785


def test_the_run_summary_tells_each_area_safe_of_its_people_and_when_it_was_done(capsys):
    """Per area (by its title): people safe of its people, caught if any, and when its last person was
    safe or caught, in hours after the movement started and after T+0, each named, as the run's events say; then the
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
        since_start = duration_text((area.finished - times.started) / 60)
        since_zero = duration_text(area.finished / 60)
        assert line.endswith(f"done {since_start} after movement start ({since_zero} after T+0)"), line
    assert completion in next(row for row in lines if row.startswith("    Miyakojima City "))  # the last area


def test_an_area_the_danger_reached_says_how_many_it_caught(capsys):
    assert cli.main(["run", "tsunami", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    scenario = load_scenario(resolve("tsunami"))
    for area in scenario.movement.areas:
        line = next(row for row in out.splitlines() if row.startswith(f"    {area.title} "))
        assert " caught " in line and "after movement start" in line


def test_a_repeated_decision_reads_as_first_taken_how_often_and_last_option(capsys):
    """A repeatable decision is shown at its first taking (which set the rest of the run going),
    with how many times and the last option; one taken and due again is `reopened`, not
    `waiting` with a stale option. The JSON adds `times` and `first_taken_hours`."""
    result = Simulation(load_scenario(resolve("senkaku")), seed=1).run()
    decisions = result.metrics["decisions"]
    repeated, reopened = decisions["jcg_response"], decisions["counter_disinfo"]
    assert repeated["times"] > 1 and repeated["first_taken_hours"] < repeated["taken_hours"]
    first = min(e.time for e in result.events if e.kind == "decision_taken" and e.target == "jcg_response")
    assert repeated["first_taken_hours"] == round(first / 60, 4)
    assert reopened["status"] == "reopened" and reopened["times"] == 1
    assert "times" not in decisions["alliance_signal"]  # not repeatable: its entry is as before
    assert cli.main(["run", "senkaku", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(r for r in lines if r.split()[:1] == ["jcg_response"])
    assert row.split()[1:4] == ["taken", *duration_text(repeated["first_taken_hours"]).split()]
    last = duration_text(repeated["taken_hours"])
    assert row.endswith(f"taken {repeated['times']} times, last {repeated['option']} at {last}")
    row = next(r for r in lines if r.split()[:1] == ["counter_disinfo"])
    assert row.split()[1] == "reopened" and "taken 1 time, last release_evidence" in row


def test_a_forced_run_says_so_in_its_header_and_at_the_json_top_level(capsys):
    """`--decide` changes a run as much as a reform: the header lists it (`forced: a=x`) and
    `run --json` has it at the top level (`forced`), not only as `"by": "forced"` in a decision."""
    import json

    argv = ["run", "senkaku", "--decide", "jcg_response=board", "--decide", "mofa_protest=diplomatic_channels@2h"]
    assert cli.main(argv) == 0
    header = capsys.readouterr().out.splitlines()[:4]
    assert "  forced: jcg_response=board, mofa_protest=diplomatic_channels@2.0 h" in header
    assert cli.main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["forced"] == {
        "jcg_response": {"option": "board", "delay_hours": None},
        "mofa_protest": {"option": "diplomatic_channels", "delay_hours": 2.0},
    }
    assert cli.main(["run", "tsunami", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forced"] == {}
    assert cli.main(["run", "tsunami"]) == 0
    assert "forced:" not in capsys.readouterr().out
