"""The notebook API (`sim.load_scenario`, `sim.run`, `sim.replicate`, `sim.compare`): the same
numbers as the command line for the same seeds, as DataFrames with the documented columns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import sim
from sim.cli import main

pd = pytest.importorskip("pandas", reason="the analysis extra (pandas) is part of the test extra")

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = str(ROOT / "tests" / "data" / "minimal.yaml")
DECISION = "decisions.evacuation_order.taken_hours"


def _cli_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_load_scenario_accepts_a_bundled_name():
    """`sim.load_scenario("sakishima")` loads the bundled file (it used to fail with 'file not found')."""
    by_name = sim.load_scenario("sakishima")
    by_file = sim.load_scenario(ROOT / "scenarios" / "sakishima.yaml")
    assert by_name.scenario.id == "sakishima"
    assert by_name == by_file
    assert sim.load_scenario("sakishima.yaml") == by_file


def test_load_scenario_names_a_missing_file():
    with pytest.raises(sim.ScenarioError, match="file not found"):
        sim.load_scenario("no_such_scenario_here")


def test_run_equals_the_cli_run_json(capsys):
    """`sim.run(...).summary()` is what `ttxsim run --json` prints for the same seed and reform."""
    cli = _cli_json(capsys, ["run", MINIMAL, "--seed", "7", "--reform", "fast_instruction", "--json"])
    api = sim.run(MINIMAL, seed=7, reforms=["fast_instruction"]).summary()
    assert json.loads(json.dumps(api)) == cli


def test_events_frame_has_one_row_per_event():
    result = sim.run(sim.load_scenario(MINIMAL), seed=2)
    frame = result.events_frame()
    assert len(frame) == len(result.events)
    assert list(frame.columns[:6]) == ["seq", "time", "hours", "kind", "source", "target"]
    taken = frame[frame.kind == "decision_taken"]
    assert list(taken["target"]) == [e.target for e in result.events if e.kind == "decision_taken"]
    assert taken["hours"].tolist() == [round(e.time / 60, 4) for e in result.events if e.kind == "decision_taken"]
    assert {"data.option", "data.by"} <= set(frame.columns)


def test_replicate_rows_equal_the_cli_replications_csv(tmp_path, capsys):
    """`sim.replicate` gives the baseline rows of `ttxsim compare --out` for the same seed, options included."""
    out = tmp_path / "out"
    assert main(["compare", MINIMAL, "-n", "6", "--seed", "3", "-j", "1", "--out", str(out), "--no-plots", "-q"]) == 0
    capsys.readouterr()
    cli = pd.read_csv(out / "replications.csv")
    api = sim.replicate(MINIMAL, n=6, seed=3)
    assert list(api.columns) == list(cli.columns)
    assert list(api["seed"]) == list(cli["seed"])
    assert api[DECISION].tolist() == pytest.approx(cli[DECISION].tolist())
    assert api["decisions.evacuation_order.by"].tolist() == cli["decisions.evacuation_order.by"].tolist()
    assert set(api["decisions.recognise_situation.option"]) <= {"yes", "no"}


def test_compare_frame_equals_the_cli_json(capsys):
    """Every (metric, arm) row of `sim.compare` carries the numbers of `ttxsim compare --json`."""
    payload = _cli_json(
        capsys, ["compare", MINIMAL, "--reform", "fast_instruction", "-n", "8", "--seed", "5", "-j", "1", "--json"]
    )
    frame = sim.compare(MINIMAL, reforms=["fast_instruction"], n=8, seed=5)
    assert frame.attrs["replications"] == payload["replications"] == 8
    assert set(frame.metric) == set(payload["metrics"])
    for row in frame.itertuples():
        expected = payload["metrics"][row.metric][row.arm]
        for column, value in (("mean", row.mean), ("sd", row.sd), ("n", row.n), ("missing", row.missing)):
            _same(value, expected[column], column)
        low, high = expected["ci95"] or (None, None)
        _same(row.ci95_low, low, "ci95_low")
        _same(row.ci95_high, high, "ci95_high")
        diff = expected.get("difference")
        if diff is None:
            assert math.isnan(row.diff_mean)
        else:
            _same(row.diff_mean, diff["mean"], "diff_mean")
            _same(row.better_share, diff["better_share"], "better_share")
    reform = frame[(frame.metric == DECISION) & (frame.arm == "fast_instruction")].iloc[0]
    assert reform.diff_mean == pytest.approx(-1.5)  # 2 h instruction delay cut to 30 min


def test_a_scenario_object_with_reforms_runs_like_its_file():
    """A `Scenario` the API did not load from text (here: reforms applied) is dumped and gives the same runs."""
    patched = sim.load_scenario(MINIMAL, reforms=["fast_instruction"])
    from_object = sim.replicate(patched, n=3, seed=9)
    from_file = sim.replicate(MINIMAL, n=3, seed=9, reforms=["fast_instruction"])
    assert from_object[DECISION].tolist() == from_file[DECISION].tolist()


def test_compare_rejects_baseline_as_a_reform():
    from sim.api import ExperimentError

    with pytest.raises(ExperimentError, match="baseline arm is always run"):
        sim.compare(MINIMAL, reforms=["baseline"], n=2)


def _same(actual, expected, what):
    if expected is None:
        assert actual is None or math.isnan(actual), what
    else:
        assert actual == pytest.approx(expected), what


def test_decide_forces_an_option_in_run_and_replicate():
    """`decide={decision: option}` takes that option whenever it comes up; with a delay, that long after."""
    result = sim.run(MINIMAL, seed=4, decide={"recognise_situation": "no"})
    assert result.metrics["decisions"]["recognise_situation"]["option"] == "no"
    assert result.metrics["decisions"]["evacuation_order"]["option"] is None
    timed = sim.run(MINIMAL, seed=4, decide={"recognise_situation": ("yes", "30m")}).metrics["decisions"]
    entry = timed["recognise_situation"]
    assert entry["taken_hours"] - entry["came_up_hours"] == pytest.approx(0.5)
    runs = sim.replicate(MINIMAL, n=3, seed=1, decide={"recognise_situation": "no"})
    assert set(runs["decisions.recognise_situation.option"]) == {"no"}


def test_decide_names_an_unknown_option():
    from sim.api import ExperimentError

    with pytest.raises(ExperimentError, match="has no option 'maybe'; options: yes, no"):
        sim.run(MINIMAL, decide={"recognise_situation": "maybe"})


def test_compare_reports_the_scenarios_own_metrics():
    """Metrics declared in the scenario (`metrics:`) come out under their own ids."""
    frame = sim.compare(ROOT / "tests" / "data" / "consequences.yaml", n=3, seed=1)
    assert {"recognised_hours", "peak_escalation"} <= set(frame.metric)


@pytest.mark.parametrize("name", ["sakishima", "senkaku", "tsunami"])
def test_a_scenario_built_in_code_dumps_and_loads_back_equal(name):
    """A Scenario object with no file behind it (here a copy) is dumped to YAML and reloads equal,
    reform patches that set a value to null included."""
    from sim.api import _validated, scenario_source

    original = sim.load_scenario(name)
    copy = original.model_copy()
    text, filename = scenario_source(copy)
    assert filename.startswith("<")
    assert _validated(text, filename) == original
