"""`ttxsim sensitivity`: every varied value stays within what the scenario allows, so the default
design runs (issue 14: on Sakishima it was refused before the first run, or stopped mid-design).

The fixture is tests/data/consequences.yaml with three more blocks marked as assumptions: the
`compliance` state variable (initial 0.8, max 1: x2 would be 1.6), a second row in the strike
hazard's rate table (rows scaled one by one could stop increasing) and the m03 inject whose
condition has a time point (`after: 1d`, which is never varied).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.analysis import sensitivity as sa
from sim.cli import main
from sim.scenario.loader import load_scenario_text

pytest.importorskip("SALib", reason="the analysis extra (SALib) is part of the test extra")

ROOT = Path(__file__).resolve().parents[2]
CONSEQUENCES = ROOT / "tests" / "data" / "consequences.yaml"
METRIC = "recognised_hours"


def ranges_text() -> str:
    text = CONSEQUENCES.read_text(encoding="utf-8")
    replacements = [
        (
            "    initial: 0.8\n    min: 0\n    max: 1\n",
            '    initial: 0.8\n    min: 0\n    max: 1\n    assumption: "Four in five turn up."\n',
        ),
        (
            "        - at_least: 3\n          per_day: 2\n",
            "        - at_least: 3\n          per_day: 2\n        - at_least: 4\n          per_day: 3\n",
        ),
        (
            "      after: 1d\n    to: [okinawa_pref]\n",
            '      after: 1d\n    to: [okinawa_pref]\n    assumption: "The press waits a day."\n',
        ),
    ]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def ranges(tmp_path) -> Path:
    path = tmp_path / "ranges.yaml"
    path.write_text(ranges_text(), encoding="utf-8")
    return path


def _parameters():
    text = ranges_text()
    raw = sa.base_raw(text, "r.yaml")
    return {p.path: p for p in sa.find_parameters(load_scenario_text(text, "r.yaml"), raw)}, raw


def test_a_state_variables_initial_value_stays_within_its_min_and_max_and_says_so():
    parameters, raw = _parameters()
    initial = parameters["state.compliance.initial"]
    assert (initial.low, initial.high) == (pytest.approx(0.4), 1.0)  # not 1.2 (+50 %) nor 1.6 (x2)
    assert "state compliance: 0 to 1" in initial.narrowed
    sa.patched_scenario(raw, sa.point_patches(raw, [initial], [initial.high]))  # valid at the top
    assert "state.escalation.max" not in parameters  # the scale itself is not an assumption to vary
    assert "state.escalation.min" not in parameters
    assert parameters["state.escalation.initial"].narrowed == ""  # 0.5 to 2 fits in 0 to 5


def test_a_threshold_on_a_state_variable_stays_within_its_range():
    text = ranges_text().replace(
        "    delay: 1h\n    options:\n      - id: close\n",
        '    delay: 1h\n    assumption: "Schools close at level 3."\n    options:\n      - id: close\n',
    )
    raw = sa.base_raw(text, "r.yaml")
    parameters = {p.path: p for p in sa.find_parameters(load_scenario_text(text, "r.yaml"), raw)}
    threshold = parameters["decisions.close_schools.when.at_least"]
    assert (threshold.low, threshold.high) == (0.5, pytest.approx(5 / 3))  # level 3 x2 would be 6 > max 5
    assert "state escalation" in threshold.narrowed
    assert sa.patch_value(raw, threshold, threshold.high) <= 5


def test_a_rate_table_is_one_factor_that_keeps_its_rows_in_order():
    parameters, raw = _parameters()
    assert not [path for path in parameters if ".table." in path]
    table = parameters["hazards.strike.rate.table"]
    assert (table.kind, table.low, table.high) == ("table", 0.5, 2.0)
    rows = sa.patch_value(raw, table, 2.0)
    assert rows == [{"at_least": 3, "per_day": 4.0}, {"at_least": 4, "per_day": 6.0}]
    scenario = sa.patched_scenario(raw, [(table.path, rows)])
    assert [row.per_day for row in scenario.hazards[0].rate.table] == [4.0, 6.0]


def test_time_points_in_conditions_are_never_varied():
    parameters, _ = _parameters()
    assert not [path for path in parameters if path.endswith((".after", ".by"))]
    m03 = [path for path in parameters if path.startswith("injects.m03")]
    assert m03 == ["injects.m03.effects.0.value"]  # its effect is varied, its `after: 1d` is not


def test_check_extremes_names_the_parameter_of_an_invalid_point():
    parameters, raw = _parameters()
    initial = parameters["state.compliance.initial"]
    too_wide = sa.Parameter(initial.path, "scale", 1.0, 0.5, 2.0, initial.assumption, initial.label)
    with pytest.raises(sa.SensitivityError, match=r"state.compliance.initial at 2: .* above max 1"):
        sa.check_extremes(raw, [parameters["hazards.strike.rate.table"], too_wide], "r.yaml")


def test_check_extremes_also_tries_mixed_corners():
    """The all-low, all-high and alternating corners set parameters 0 and 2 alike; a pair invalid only
    when they differ would surface mid-design, so seeded random corners are validated too."""
    parameters = [sa.Parameter(f"p{i}", "scale", 1.0, 0.5, 2.0, "a", f"p{i}") for i in range(4)]
    rows = sa.corners(parameters, seed=1)
    assert {(row[0], row[2]) for row in rows} >= {(0.5, 2.0), (2.0, 0.5)}
    assert rows == sa.corners(parameters, seed=1)  # the same corners every time


def test_the_default_design_runs_on_a_scenario_with_state_tables_and_windows(ranges, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["sensitivity", str(ranges), "--metric", METRIC, "-n", "2", "--out", str(out), "--no-plots", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    narrowed = {p["path"]: p["narrowed"] for p in manifest["parameters"] if p["narrowed"]}
    assert "state.compliance.initial" in narrowed
    header = (out / "parameters.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",narrowed")


def test_list_marks_a_narrowed_range(ranges, capsys):
    assert main(["sensitivity", str(ranges), "--list"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "state.compliance.initial" in line)
    assert "narrowed: 0.4 to 1.2 cut to 0.4 to 1" in line and "state compliance: 0 to 1" in line
    assert "ranges narrowed to what the scenario allows" in out
