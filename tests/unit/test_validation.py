"""Validation against history: the historic scenarios are sourced, run, and docs/validation.md is current."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from sim.cli import main
from sim.scenario.loader import load_scenario
from tests.conftest import ROOT

VALIDATION = sorted((ROOT / "scenarios" / "validation").glob("*.yaml"))


def _script():
    spec = importlib.util.spec_from_file_location("validation_script", ROOT / "benchmarks" / "validation.py")
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


def test_at_least_two_historic_cases_are_compared():
    script = _script()
    assert len(VALIDATION) >= 2
    assert {c.scenario for c in script.CASES} == {p.name for p in VALIDATION}


def test_validation_page_is_current():
    """docs/validation.md is what the script writes now (run `python benchmarks/validation.py` if this fails)."""
    assert _script().main(["--check"]) == 0


def test_page_names_each_record_with_its_source_and_the_misses():
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    for case in _script().CASES:
        assert case.title in text
        for measure in case.measures:
            assert measure.name in text and measure.source in text
    assert "**miss**" in text  # the model's misses are reported, not hidden


@pytest.mark.parametrize(
    ("low", "high", "p5", "p95", "unit", "expected"),
    [
        (5.0, 6.0, 5.5, 7.0, "h after T+0", "within"),
        (5.73, 5.73, 4.6, 4.7, "h after T+0", "**miss**: model 1.0 h earlier than the record"),
        (2.0, 2.0, 2.5, 3.0, "h after T+0", "**miss**: model 0.5 h later than the record"),
        (3300, 3700, 4421, 5208, "people", "**miss**: model 721 people more than the record"),
    ],
)
def test_verdict_says_which_way_the_model_misses(low, high, p5, p95, unit, expected):
    assert _script().verdict(low, high, p5, p95, unit).startswith(expected)


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.stem)
def test_every_block_is_sourced_or_assumed(path):
    scenario = load_scenario(path)
    movement = scenario.movement
    assert movement is not None  # both cases run on the movement network
    blocks = [
        scenario.scenario,
        *scenario.agencies,
        *scenario.channels,
        *scenario.decisions,
        *scenario.injects,
        movement,
        *movement.places,
        *movement.links,
        *(link.vehicles for link in movement.links if link.vehicles is not None),
        *movement.areas,
        *movement.populations,
        *(population.turnout for population in movement.populations),
        *(effect for inject in scenario.injects for effect in inject.effects),
    ]
    missing = [getattr(b, "id", type(b).__name__) for b in blocks if not (b.source or b.assumption)]
    assert missing == []


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.stem)
def test_validation_scenario_validates(path, capsys):
    assert main(["validate", "--strict", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_island_whose_people_cannot_reach_a_ship_is_refused_in_one_line(tmp_path, capsys):
    """A sea-only island is refused at the population when its modes leave out the ships."""
    text = (ROOT / "scenarios" / "validation" / "kuchinoerabu_2015.yaml").read_text(encoding="utf-8")
    changed = text.replace("      cohorts: 12\n", "      cohorts: 12\n      modes: [car]\n")
    assert changed != text
    bad = tmp_path / "no_ships.yaml"
    bad.write_text(changed, encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "population 'residents' has no route from 'kuchinoerabu_homes' to a safe place (miyanoura_port)" in err
    assert len(err.strip().splitlines()) == 1


def test_page_figures_come_from_the_movement_networks_sailings():
    """The readers take departures by sea, not other links: the first ship, the count by a time, the last."""
    import sim

    script = _script()
    result = sim.run(ROOT / "scenarios" / "validation" / "kuchinoerabu_2015.yaml", seed=1)
    assert script.first_departure_hours(result) == pytest.approx(result.metrics["ferry_leaves_hours"], abs=1e-3)
    assert script.clearance_hours(result) == pytest.approx(result.metrics["ferry_leaves_hours"], abs=1e-3)
    assert script.last_arrival_hours(result) == pytest.approx(result.metrics["ferry_arrives_hours"], abs=1e-3)
    assert script.left_by(script.first_departure_hours(result))(result) == 137
    assert script.left_by(script.first_departure_hours(result) - 0.01)(result) == 0
    # the drives to the port, all before the ferry leaves, are not departures from the island
    drives = [e.time for e in result.events if e.data.get("link") == "to_honmura"]
    assert drives and max(drives) < 60 * (script.first_departure_hours(result) - 0.01)


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.stem)
def test_json_schema_accepts_the_validation_scenario(path):
    """An editor pointed at `ttxsim schema` flags nothing in the historic scenarios."""
    import jsonschema

    from sim.scenario.loader import load_raw
    from sim.scenario.reference import json_schema

    raw, _ = load_raw(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(json_schema())
    assert [e.message for e in validator.iter_errors(raw)] == []
