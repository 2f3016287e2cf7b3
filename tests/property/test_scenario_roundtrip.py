"""Dumping a scenario to YAML and loading it again gives the same scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.loader import load_raw, load_scenario, load_scenario_text
from sim.scenario.schema import Scenario

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "minimal.yaml"


def _dump(scenario: Scenario) -> str:
    return yaml.safe_dump(
        scenario.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=False, allow_unicode=True
    )


def test_roundtrip_minimal() -> None:
    """minimal.yaml survives dump -> load, with and without its reform."""
    for reforms in ((), ("fast_instruction",)):
        scenario = load_scenario(MINIMAL, reforms=reforms)
        assert load_scenario_text(_dump(scenario)) == scenario


_ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_minutes = st.integers(min_value=0, max_value=30 * 1440) | st.sampled_from([0.5, 7.25, 90.0])
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@st.composite
def _distributions(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["bare", "fixed", "uniform", "triangular", "lognormal", "exponential", "empirical"]))
    a, b, c = sorted(draw(st.lists(_minutes, min_size=3, max_size=3)))
    if kind == "bare":
        return a
    if kind == "fixed":
        return {"kind": "fixed", "value": a}
    if kind == "uniform":
        return {"kind": "uniform", "low": a, "high": c}
    if kind == "triangular":
        return {"kind": "triangular", "low": a, "mode": b, "high": c}
    if kind == "lognormal":
        return {"kind": "lognormal", "median": a + 1, "p90": c + 2}
    if kind == "exponential":
        return {"kind": "exponential", "mean": b}
    return {"kind": "empirical", "values": [a, b, c], "weights": [1, 2, 1]}


@st.composite
def _scenarios(draw: st.DrawFn) -> Scenario:
    """A valid raw scenario built from minimal.yaml with drawn values swapped in."""
    raw, _ = load_raw(MINIMAL.read_text(encoding="utf-8"))
    raw["scenario"]["title"] = draw(_text.filter(str.strip))
    raw["scenario"]["description"] = draw(_text)
    raw["scenario"]["horizon"] = draw(_minutes)
    raw["scenario"]["start"] = draw(st.datetimes(allow_imaginary=False)).isoformat()
    for agency in raw["agencies"]:
        agency["handling"] = draw(_distributions())
        agency["staff"] = draw(st.integers(1, 50))
        agency["name"] = draw(_text)
    for channel in raw["channels"]:
        channel["latency"] = draw(_distributions())
        channel["reliability"] = draw(st.floats(0, 1, exclude_min=True))  # 0 never delivers: refused
        channel["both_ways"] = draw(st.booleans())
    for decision in raw["decisions"]:
        decision["delay"] = draw(_distributions())
        if draw(st.booleans()):
            decision["expected_within"] = draw(_minutes)
    raw["injects"][0]["id"] = inject_id = draw(_ids)
    raw["decisions"][2]["requires"][1]["inject"] = inject_id
    if draw(st.booleans()):
        raw["injects"][0]["method"] = draw(st.sampled_from(["yes", "no", "on", "21:00", "2027-04-05", "null", "1e3"]))
    return Scenario.model_validate(raw)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(_scenarios())
def test_roundtrip_generated(scenario: Scenario) -> None:
    """model_dump(json, by_alias) -> yaml.safe_dump -> load_scenario_text gives an equal Scenario."""
    assert load_scenario_text(_dump(scenario)) == scenario
