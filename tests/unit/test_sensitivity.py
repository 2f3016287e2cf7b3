"""`ttxsim sensitivity`: which numbers are assumptions, how a design point patches them, and a
ranking that puts the parameter with the known strongest effect first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.analysis import sensitivity as sa
from sim.cli import main
from sim.scenario.loader import load_scenario_text

pytest.importorskip("SALib", reason="the analysis extra (SALib) is part of the test extra")

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
METRIC = "decisions.evacuation_order.taken_hours"


def tagged_text() -> str:
    """tests/data/minimal.yaml with three numbers marked as assumptions.

    Effects on when Ishigaki orders the evacuation (hours after T+0), over x0.5-x2:
    the order's own delay (exponential, mean 4 h: 2 h to 8 h, ~6 h) > the instruction's
    fixed 2 h (1 h to 4 h: 3 h) > the FDMA's 15 min handling (minutes). The channel's
    latency has a source only, so it is not an assumption.
    """
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace(
        "    parent: cabinet\n    handling: 15m\n",
        '    parent: cabinet\n    handling: 15m\n    assumption: "15 min per message."\n',
    )
    text = text.replace(
        "    delay: 2h\n    options:\n      - id: instruct",
        '    delay: 2h\n    assumption: "Two hours to draft."\n    options:\n      - id: instruct',
    )
    text = text.replace(
        "      mean: 4h\n    options:",
        '      mean: 4h\n    assumption: "Four hours on average."\n    options:',
    )
    text = text.replace(
        "      p90: 1h\n    reliability: 0.9\n",
        '      p90: 1h\n    reliability: 0.9\n    source: "a measured figure"\n',
    )
    return text


@pytest.fixture
def tagged(tmp_path) -> Path:
    path = tmp_path / "tagged.yaml"
    path.write_text(tagged_text(), encoding="utf-8")
    return path


def _parameters(text: str):
    raw = sa.base_raw(text, "t.yaml")
    return sa.find_parameters(load_scenario_text(text, "t.yaml"), raw), raw


def test_only_assumption_tagged_numbers_are_parameters():
    parameters, _ = _parameters(tagged_text())
    assert [p.path for p in parameters] == [
        "agencies.fdma.handling",
        "decisions.evacuation_instruction.delay",
        "decisions.evacuation_order.delay",
    ]
    assert {p.kind for p in parameters} == {"scale"}
    assert all((p.low, p.high) == sa.DURATION_RANGE for p in parameters)
    assert parameters[0].label == "Fire and Disaster Management Agency: handling"
    untagged, _ = _parameters(MINIMAL.read_text(encoding="utf-8"))
    assert untagged == []


def test_a_sourced_block_inside_an_assumption_is_not_varied():
    """The nearest block that says where a number comes from decides: a source-only block is sourced."""
    text = tagged_text().replace(
        "    reliability: 0.9\n",
        '    reliability: 0.9\n    assumption: "90 % get through."\n',
    )
    text = text.replace('    source: "a measured figure"\n', "")
    parameters, _ = _parameters(text)
    paths = {p.path: p for p in parameters}
    assert paths["channels.cabinet_pref.latency"].kind == "scale"
    reliability = paths["channels.cabinet_pref.reliability"]
    assert (reliability.kind, reliability.low, reliability.high) == ("probability", 0.45, 1.0)  # ±50 %, clipped


def test_a_design_point_scales_a_whole_distribution():
    text = tagged_text().replace(
        "    reliability: 0.9\n",
        '    reliability: 0.9\n    assumption: "90 % get through."\n',
    )
    text = text.replace('    source: "a measured figure"\n', "")
    parameters, raw = _parameters(text)
    latency = next(p for p in parameters if p.path == "channels.cabinet_pref.latency")
    patched = sa.patch_value(raw, latency, 2.0)
    assert patched == {"kind": "lognormal", "median": 40.0, "p90": 120.0}  # minutes: shape kept
    scenario = sa.patched_scenario(raw, [(latency.path, patched)])
    assert scenario.channels[0].latency.median == 40.0


def test_option_odds_are_one_share_that_keeps_the_others_in_proportion():
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "        probability: 0.1\n",
        '        probability: 0.1\n    assumption: "Nine in ten."\n',
    )
    parameters, raw = _parameters(text)
    (odds,) = [p for p in parameters if p.kind == "share"]
    assert odds.path == "decisions.recognise_situation.options"
    assert (odds.baseline, odds.low, odds.high) == (pytest.approx(0.9), pytest.approx(0.45), 1.0)
    options = sa.patch_value(raw, odds, 0.6)
    assert [o["probability"] for o in options] == [pytest.approx(0.6), pytest.approx(0.4)]


def test_params_glob_that_matches_nothing_is_one_sentence(tagged, capsys):
    assert main(["sensitivity", str(tagged), "--params", "channels.*", "--metric", METRIC]) == 2
    err = capsys.readouterr().err
    assert "--params 'channels.*' matches none of the 3 assumption parameters" in err
    assert err.count("\n") == 1


def test_a_scenario_without_assumptions_is_refused(capsys):
    assert main(["sensitivity", str(MINIMAL), "--metric", METRIC]) == 2
    assert "no number in this scenario is marked as an assumption" in capsys.readouterr().err


def test_an_unknown_metric_is_refused_before_the_design_runs(tagged, capsys):
    assert main(["sensitivity", str(tagged), "--metric", "decisions.evacuation_order.taken_hour"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ttxsim: unknown metric 'decisions.evacuation_order.taken_hour' (did you mean ")
    assert "taken_hours" in err and err.count("\n") == 1  # explain's and compare's wording


def test_morris_ranks_the_strongest_assumption_first(tagged, capsys):
    """The order's own delay moves the order time most, then the instruction, then FDMA handling."""
    argv = ["sensitivity", str(tagged), "--metric", METRIC, "-n", "6", "-r", "8", "-j", "1", "--json", "-q"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    ranking = payload["metrics"][METRIC]["ranking"]
    assert [r["path"] for r in ranking] == [
        "decisions.evacuation_order.delay",
        "decisions.evacuation_instruction.delay",
        "agencies.fdma.handling",
    ]
    # the instruction delay is fixed: 1 h at x0.5 to 4 h at x2 moves the order time by 3 h, linearly
    assert ranking[1]["mu_star"] == pytest.approx(3.0, abs=0.01)
    assert ranking[1]["sigma"] == pytest.approx(0.0, abs=0.01)
    assert payload["points"] == 6 * 4 and payload["replications"] == 8 and payload["runs"] == 6 * 4 * 8


def test_sobol_reports_first_and_total_order_with_intervals(tagged, capsys):
    argv = ["sensitivity", str(tagged), "--method", "sobol", "--metric", METRIC, "-n", "16", "-r", "8"]
    argv += ["-j", "1", "--json", "-q"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["points"] == 16 * (3 + 2)
    top = payload["metrics"][METRIC]["ranking"][0]
    assert top["path"] == "decisions.evacuation_order.delay"
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(top)
    assert top["ST"] > 0.5


def test_out_writes_design_indices_figures_and_manifest(tagged, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="optional extra ttxsim[analysis] not installed")
    out = tmp_path / "out"
    argv = ["sensitivity", str(tagged), "--metric", METRIC, "-n", "3", "-j", "1", "--out", str(out), "-q"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].startswith("Minimal island evacuation: Morris sensitivity of 3 assumptions")
    assert "Order the evacuation of Ishigaki: decided (h after T+0)" in table
    design = (out / "design.csv").read_text(encoding="utf-8").splitlines()
    assert design[0].startswith("point,agencies.fdma.handling,")
    assert len(design) == 1 + 3 * 4
    indices = (out / "indices.csv").read_text(encoding="utf-8").splitlines()
    assert indices[0] == "metric,rank,path,label,mu_star,mu_star_conf,mu,sigma"
    assert [line.split(",")[1] for line in indices[1:]] == ["1", "2", "3"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "sensitivity"
    assert manifest["arms"]["count"] == 12
    assert "design.csv" in manifest["files"]
    stem = "sensitivity_decisions_evacuation_order_taken_hours"
    svg = (out / f"{stem}.svg").read_text(encoding="utf-8")
    assert "Minimal island evacuation" in svg  # the scenario's title in the figure title
    assert (out / f"{stem}.png").stat().st_size > 0
    assert (out / "replications.csv").read_text(encoding="utf-8").count("\n") == 1 + 12


def test_the_scenarios_own_metrics_can_be_explained(capsys):
    """A metric declared in the scenario's `metrics:` is a valid --metric; its state variable's
    initial value (an assumption there) moves the peak, the hazard's rate table never fires here."""
    scenario = str(ROOT / "tests" / "data" / "consequences.yaml")
    argv = ["sensitivity", scenario, "--metric", "peak_escalation", "-n", "4", "-r", "2", "-j", "1", "--json", "-q"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert not any(p["path"].startswith(("metrics.", "objectives.")) for p in payload["parameters"])
    ranking = payload["metrics"]["peak_escalation"]["ranking"]
    assert ranking[0]["path"] == "state.escalation.initial"
    assert ranking[0]["mu_star"] > 0


def test_censor_counts_a_metric_that_never_happened_as_the_horizon(tagged, capsys):
    """With --no-censor a metric missing at a design point gets no indices; by default (as with --censor)
    the runs where it did not happen count as the horizon (a lower bound) and the output says how many."""
    text = tagged.read_text(encoding="utf-8").replace("        probability: 0.9\n", "        probability: 0\n")
    tagged.write_text(text, encoding="utf-8")  # always 'no': the order never comes up
    argv = ["sensitivity", str(tagged), "--metric", METRIC, "-n", "3", "-r", "4", "-j", "1", "--json", "-q"]
    assert main([*argv, "--no-censor"]) == 0
    entry = json.loads(capsys.readouterr().out)["metrics"][METRIC]
    assert "ranking" not in entry and "add --censor" in entry["note"]
    assert main(argv) == 0  # by default such a metric is censored: the default design names its top five
    entry = json.loads(capsys.readouterr().out)["metrics"][METRIC]
    assert entry["censored_at_hours"] == 72.0  # the 3-day horizon
    assert entry["censored_runs"] == 48 and "in 48 of 48 runs" in entry["note"] and "lower bound" in entry["note"]
    assert [r["mu_star"] for r in entry["ranking"]] == [0.0, 0.0, 0.0]  # the horizon everywhere: no effect
    assert main([*argv, "--censor"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"][METRIC]["censored_runs"] == 48


def test_exclude_leaves_parameters_as_written(tagged, capsys):
    assert main(["sensitivity", str(tagged), "--list", "--exclude", "*.handling", "--json"]) == 0
    paths = [p["path"] for p in json.loads(capsys.readouterr().out)["parameters"]]
    assert paths == ["decisions.evacuation_instruction.delay", "decisions.evacuation_order.delay"]


def test_the_scenario_file_is_read_once(tagged, tmp_path, capsys, monkeypatch):
    """A file edited while a long design runs changes nothing: labels and outputs use the text the
    design ran (a 20-minute run once lost its results to a re-read after an edit)."""
    import sim.api

    original = sim.api.sensitivity_analysis

    def edited_meanwhile(*args, **kwargs):
        result = original(*args, **kwargs)
        tagged.write_text("not: a scenario\n", encoding="utf-8")
        return result

    monkeypatch.setattr(sim.api, "sensitivity_analysis", edited_meanwhile)
    out = tmp_path / "out"
    argv = ["sensitivity", str(tagged), "--metric", METRIC, "-n", "2", "-j", "1", "--out", str(out), "-q"]
    assert main(argv) == 0
    assert "Order the evacuation of Ishigaki: decided" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["sha256"] == __import__("hashlib").sha256(tagged_text().encode()).hexdigest()


def test_list_prints_every_parameter_and_its_range(tagged, capsys):
    assert main(["sensitivity", str(tagged), "--list"]) == 0
    out = capsys.readouterr().out
    assert "3 assumption parameters" in out
    assert "decisions.evacuation_order.delay" in out


def test_sensitivity_module_never_imports_the_engine():
    import ast

    tree = ast.parse((ROOT / "sim" / "analysis" / "sensitivity.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not name.startswith(("simpy", "sim.engine", "sim.domain", "sim.simulation")), name


@pytest.mark.slow
def test_dask_gives_the_same_numbers_as_local(tagged, capsys):
    pytest.importorskip("distributed", reason="optional extra ttxsim[cluster] not installed")
    argv = ["sensitivity", str(tagged), "--metric", METRIC, "-n", "4", "--json", "-q"]
    assert main([*argv, "-j", "1"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*argv, "--backend", "dask", "-j", "2"]) == 0
    dask = json.loads(capsys.readouterr().out)
    for payload in (local, dask):
        payload.pop("seconds")
    assert dask == local
