"""Every bundled scenario loads and runs with each of its reforms, and the
generated reference files in docs/ match the schema."""

from __future__ import annotations

import json

import pytest

from sim.scenario.loader import load_scenario
from sim.scenario.reference import json_schema, markdown
from sim.simulation import Simulation
from tests.conftest import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
CASES = [(path, reform.id) for path in SCENARIOS for reform in load_scenario(path).reforms] + [
    (path, None) for path in SCENARIOS
]


@pytest.mark.parametrize(("path", "reform"), CASES, ids=lambda v: getattr(v, "name", v))
def test_bundled_scenario_runs(path, reform):
    scenario = load_scenario(path, reforms=[reform] if reform else [])
    result = Simulation(scenario, seed=1, reforms=[reform] if reform else []).run()
    assert "evacuation" not in result.metrics  # the island model's fixed block is gone with it
    movement = result.metrics.get("movement")
    if movement is not None:  # conservation: everyone is moved, exposed or still in danger
        assert movement["moved"] + movement["exposed"] + movement["in_danger"] == movement["population"]
        assert 0 <= movement["moved"] <= movement["population"]
    assert result.events[-1].time <= scenario.scenario.horizon


def test_every_number_block_is_sourced_or_assumed():
    """Each agency, channel, decision and reform in the bundled scenario says where its numbers come from."""
    scenario = load_scenario(ROOT / "scenarios" / "sakishima.yaml")
    blocks = [*scenario.agencies, *scenario.channels, *scenario.decisions, *scenario.reforms]
    missing = [getattr(b, "id", None) for b in blocks if not (b.source or b.assumption)]
    assert missing == []


def test_generated_schema_is_up_to_date():
    """docs/scenario.schema.json is what `ttxsim schema` prints (regenerate it if this fails)."""
    committed = json.loads((ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema()


def test_generated_reference_is_up_to_date():
    """docs/scenario-reference.md is what `ttxsim schema --markdown` prints."""
    assert (ROOT / "docs" / "scenario-reference.md").read_text().strip() == markdown().strip()


@pytest.mark.parametrize("path", [*SCENARIOS, ROOT / "tests" / "data" / "minimal.yaml"], ids=lambda p: p.name)
def test_json_schema_accepts_the_scenario(path):
    """An editor using `ttxsim schema` output flags nothing in a valid scenario (shorthand durations included)."""
    import jsonschema

    from sim.scenario.loader import load_raw

    raw, _ = load_raw(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(json_schema())
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(raw)]
    assert problems == []
