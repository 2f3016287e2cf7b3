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
    evacuation = scenario.evacuation
    blocks = [
        scenario.scenario,
        *scenario.agencies,
        *scenario.channels,
        *scenario.decisions,
        *evacuation.municipalities,
        *evacuation.islands,
        *evacuation.hubs,
        *evacuation.arrivals,
        *evacuation.hosts,
        *(effect for inject in scenario.injects for effect in inject.effects),
    ]
    missing = [getattr(b, "id", type(b).__name__) for b in blocks if not (b.source or b.assumption)]
    assert missing == []


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.stem)
def test_validation_scenario_validates(path, capsys):
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_island_without_airport_needs_ships_that_take_anyone(tmp_path, capsys):
    """A sea-only island is valid when its ships carry everyone, and refused in one line when they would not."""
    text = (ROOT / "scenarios" / "validation" / "kuchinoerabu_2015.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "no_ships.yaml"
    bad.write_text(text.replace("takes_anyone: true", "takes_anyone: false"), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "has no air hub (nor a sea hub with ships that take anyone)" in err


@pytest.mark.parametrize("path", VALIDATION, ids=lambda p: p.stem)
def test_json_schema_accepts_the_validation_scenario(path):
    """An editor pointed at `ttxsim schema` flags nothing in the historic scenarios."""
    import jsonschema

    from sim.scenario.loader import load_raw
    from sim.scenario.reference import json_schema

    raw, _ = load_raw(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(json_schema())
    assert [e.message for e in validator.iter_errors(raw)] == []
